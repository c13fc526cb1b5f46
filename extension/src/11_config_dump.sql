-- What pg_dump keeps of autotime's own tables: the firm's configuration and records (every row;
-- firm data is never an extension member), and the identity sequences, so a restored database
-- numbers new backfill runs and history rows after the restored ones. In the order each was
-- first registered (1.0, 1.1, 1.3): pg_extension.extconfig lists them in that order, and a fresh
-- install must list them as an updated one does.
SELECT pg_catalog.pg_extension_config_dump('autotime.team_settings', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.activity_links', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.attachments', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.bindings', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.capture_failures', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.backfill_runs', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('autotime.backfill_runs', 'id'), '');
SELECT pg_catalog.pg_extension_config_dump('autotime.daily_minutes', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.activity_codes', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.entry_history', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('autotime.entry_history', 'change_id'), '');
SELECT pg_catalog.pg_extension_config_dump('autotime.billing_rules', '');
SELECT pg_catalog.pg_extension_config_dump('autotime.entry_flags', '');
