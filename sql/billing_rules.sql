-- SPEC §7 client billing rules: autotime.billing_rules (team_id, client_id NULL = every client of
-- the team, rule, value); clerical kinds born non-billable (nonbillable_kinds); flags in
-- autotime.entry_flags for max_entry_minutes, min_increment_minutes, require_activity_code (and a
-- billable entry of a non-billable kind), computed at capture and whenever the entry or the rules
-- change; approve refuses a flagged entry (23514, the rule named) unless override_flags => true.
\i test/fixtures/small_firm.sql
CREATE VIEW pg_temp.flags AS
  SELECT e.source_kind, e.source_id, f.rule, f.detail
    FROM autotime.entry_flags f JOIN time_entries e ON e.team_id = f.team_id AND e.id = f.entry_id
   ORDER BY 1, 2, 3;
-- Acme (client 100) bills no texts or documents (clerical), at most 30 minutes an entry, in
-- tenths of an hour, each with a UTBMS code; the rest of the firm: at most 60 minutes an entry.
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES
  (1, 100, 'nonbillable_kinds', 'sms, document'),
  (1, 100, 'max_entry_minutes', '30'),
  (1, 100, 'min_increment_minutes', '6'),
  (1, NULL, 'max_entry_minutes', '60');
-- Values are checked, and a client has one value per rule.
\set VERBOSITY terse
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 103, 'nonbillable_kinds', 'sms, fax');
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 103, 'max_entry_minutes', '0');
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 103, 'require_activity_code', 'yes');
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 103, 'max_hours', '2');
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, NULL, 'max_entry_minutes', '45');
\set VERBOSITY default
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 103, 'min_increment_minutes', '6.5');
-- Texts and documents for Acme are born non-billable; its calls are not, nor texts for the other
-- firm (no rules there). (Lucky's are non-billable anyway: its case is a contingency.)
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', '2026-03-10 17:00+00'),
  (1, 2, 103, 10, 'outbound', 'sent', '2026-03-10 17:05+00'),
  (2, 1, 200, 20, 'outbound', 'sent', '2026-03-10 17:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 1, 100, 10, 'Letter', 7);
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00', 300);
SELECT team_id, source_kind, source_id, minutes, billable FROM time_entries ORDER BY 1, 2, 3;
-- 15 minutes is not a whole number of tenths: every Acme entry is flagged; Lucky's is not.
SELECT * FROM pg_temp.flags;
-- An edit computes the entry's flags again: 36 minutes passes Acme's maximum; 24 clears both.
UPDATE time_entries SET minutes = 36 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT * FROM pg_temp.flags WHERE source_kind = 'call';
-- explain names the flags of the entry an activity made (and says nothing of flags when it has none).
SELECT autotime.explain('call', 1, 1) -> 'flags' AS call_flags, autotime.explain('sms', 2, 1) ? 'flags' AS lucky_text_has_flags;
UPDATE time_entries SET minutes = 24 WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1;
SELECT * FROM pg_temp.flags WHERE source_kind = 'call';
-- Making a clerical entry billable again is flagged too.
UPDATE time_entries SET billable = true, minutes = 6 WHERE team_id = 1 AND source_kind = 'sms' AND source_id = 1;
SELECT * FROM pg_temp.flags WHERE source_kind = 'sms';
-- approve refuses a flagged entry, naming the rule, unless the reviewer overrides the flags.
SELECT id AS sms_entry FROM time_entries WHERE team_id = 1 AND source_kind = 'sms' AND source_id = 1 \gset
SELECT id AS call_entry FROM time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 1 \gset
SELECT autotime.approve(ARRAY[:sms_entry, :call_entry]::bigint[], 10, team_id => 1);
SELECT status FROM time_entries WHERE team_id = 1 AND id IN (:sms_entry, :call_entry);
SELECT autotime.approve(ARRAY[:call_entry]::bigint[], 10, team_id => 1);
SELECT autotime.approve(ARRAY[:sms_entry]::bigint[], 10, team_id => 1, override_flags => true);
SELECT source_kind, status FROM time_entries WHERE team_id = 1 AND id IN (:sms_entry, :call_entry) ORDER BY 1;
-- Rules changed: every entry of the team is flagged again. A code required by every client; the
-- Acme increment dropped.
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, NULL, 'require_activity_code', 'true');
DELETE FROM autotime.billing_rules WHERE team_id = 1 AND client_id = 100 AND rule = 'min_increment_minutes';
SELECT * FROM pg_temp.flags;
UPDATE time_entries SET activity_code = NULL WHERE team_id = 1 AND source_kind = 'document';
SELECT * FROM pg_temp.flags;
-- A client's own value wins over the team's: Lucky may have 90 minutes, others of the firm 60.
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 103, 'max_entry_minutes', '90');
UPDATE time_entries SET minutes = 75 WHERE team_id = 1 AND source_kind = 'sms' AND source_id = 2;
SELECT * FROM pg_temp.flags WHERE source_id = 2;
UPDATE time_entries SET minutes = 95 WHERE team_id = 1 AND source_kind = 'sms' AND source_id = 2;
SELECT * FROM pg_temp.flags WHERE source_id = 2;
DELETE FROM autotime.billing_rules WHERE team_id = 1 AND client_id = 103 AND rule = 'max_entry_minutes';
SELECT * FROM pg_temp.flags WHERE source_id = 2;
-- approve computes the flags again when it runs: a rule added since is honoured.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 2, 103, 10, 'outbound', 'completed', '2026-03-11 15:00+00');
SELECT id AS lucky_call FROM time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 2 \gset
ALTER TABLE autotime.billing_rules DISABLE TRIGGER billing_rules_inserted;
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 103, 'min_increment_minutes', '10');
ALTER TABLE autotime.billing_rules ENABLE TRIGGER billing_rules_inserted;
SELECT count(*) AS flags_before_approval FROM autotime.entry_flags WHERE team_id = 1 AND entry_id = :lucky_call;
\set VERBOSITY terse
SELECT autotime.approve(ARRAY[:lucky_call]::bigint[], 10, team_id => 1);
\set VERBOSITY default
-- An entry an application renumbers keeps its flags under its new id only.
UPDATE time_entries SET id = 9999 WHERE team_id = 1 AND id = :lucky_call;
SELECT entry_id, rule FROM autotime.entry_flags WHERE team_id = 1 AND entry_id IN (:lucky_call, 9999);
UPDATE time_entries SET id = :lucky_call WHERE team_id = 1 AND id = 9999;
-- A deleted entry takes its flags along; the other firm never had any.
DELETE FROM time_entries WHERE team_id = 1 AND id = :lucky_call;
SELECT count(*) AS flags_of_deleted FROM autotime.entry_flags WHERE team_id = 1 AND entry_id = :lucky_call;
SELECT count(*) AS other_firm_flags FROM autotime.entry_flags WHERE team_id = 2;
-- No rules left: nothing flagged, nothing born non-billable.
DELETE FROM autotime.billing_rules;
SELECT count(*) AS flags FROM autotime.entry_flags;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 3, 100, 10, 'outbound', 'sent', '2026-03-12 17:00+00');
SELECT billable FROM time_entries WHERE team_id = 1 AND source_kind = 'sms' AND source_id = 3;
-- Backfill is capture: born non-billable there too.
INSERT INTO autotime.billing_rules (team_id, client_id, rule, value) VALUES (1, 100, 'nonbillable_kinds', 'sms');
SET autotime.capture = off;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 4, 100, 10, 'outbound', 'sent', '2026-03-13 17:00+00');
RESET autotime.capture;
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT billable FROM time_entries WHERE team_id = 1 AND source_kind = 'sms' AND source_id = 4;
-- Nobody reads or writes the rules or flags without a grant.
CREATE ROLE rules_nobody;
SET ROLE rules_nobody;
SELECT count(*) FROM autotime.billing_rules;
SELECT count(*) FROM autotime.entry_flags;
RESET ROLE;
DROP ROLE rules_nobody;
