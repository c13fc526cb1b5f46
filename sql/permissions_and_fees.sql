-- Who gets entries (members allowed to log time) and how billing type decides billable.
\i test/fixtures/small_firm.sql

INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 100, 10, 'Letter by Ann', 1, '2026-03-10 15:00+00'),
  (1, 2, 100, 11, 'Letter by Bob (may not log time)', 1, '2026-03-10 15:00+00'),
  (1, 3, 100, 99, 'Letter by a former employee', 1, '2026-03-10 15:00+00'),
  (1, 4, 100, NULL, 'Letter by the mail merge', 1, '2026-03-10 15:00+00'),
  (1, 5, 100, 20, 'Letter by a member of another firm', 1, '2026-03-10 15:00+00');
SELECT source_id, user_id, rate FROM time_entries ORDER BY source_id;
SELECT id, autotime.explain('document', id) ->> 'reason' AS reason FROM documents ORDER BY id;

-- Bob is allowed to log time from now on: the next document is his.
UPDATE team_members SET can_log_time = true WHERE team_id = 1 AND user_id = 11;
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 6, 100, 11, 'Second letter by Bob', 1, '2026-03-10 15:00+00');
SELECT source_id, user_id, rate FROM time_entries WHERE source_id = 6;

-- Flat fee: non_billable (default), skip, billable. Contingency is recorded non-billable.
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 10, 102, 10, 'Articles', 1);
UPDATE autotime.team_settings SET flat_fee_policy = 'skip' WHERE team_id = 1;
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 11, 102, 10, 'Bylaws', 1);
UPDATE autotime.team_settings SET flat_fee_policy = 'billable' WHERE team_id = 1;
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 12, 102, 10, 'Minutes', 1);
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id) VALUES (1, 13, 103, 10, 'Demand letter', 1);
SELECT source_id, case_id, billable FROM time_entries WHERE source_id >= 10 ORDER BY source_id;
SELECT autotime.explain('document', 11) ->> 'reason' AS reason;
