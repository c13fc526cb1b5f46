-- Adopting autotime on an existing practice database whose names differ from the reference:
-- matters instead of cases, attorneys instead of members, integer call states, its own billing table.
\i test/fixtures/small_firm.sql
SELECT autotime.detach(source) FROM autotime.attachments ORDER BY kind;

CREATE SCHEMA lawfirm;
CREATE TABLE lawfirm.attorneys (firm_id int, attorney_id int, bills_time boolean, billing_rate numeric(8,2),
  PRIMARY KEY (firm_id, attorney_id));
CREATE TABLE lawfirm.matters (firm_id int, matter_id int, contact_id int, stage text, fee_arrangement text,
  modified_at timestamptz, PRIMARY KEY (firm_id, matter_id));
CREATE TABLE lawfirm.billing_lines (firm_id int, line_id bigint GENERATED ALWAYS AS IDENTITY, contact_id int,
  matter_id int, attorney_id int, day date, mins int, memo text, chargeable boolean, line_state text,
  hourly numeric(8,2), origin_kind text, origin_id bigint, approver int, approved_on timestamptz,
  PRIMARY KEY (firm_id, line_id), UNIQUE (firm_id, origin_kind, origin_id));
CREATE TABLE lawfirm.phone_calls (firm_id int, call_id bigint, contact_id int, matter_id int, attorney_id int,
  state smallint, way text, began timestamptz, secs int, PRIMARY KEY (firm_id, call_id));  -- state 3 = completed
CREATE TABLE lawfirm.texts (firm_id int, text_id bigint, contact_id int, matter_id int, attorney_id int, way text,
  delivery text, msg text, carrier_ref text, at timestamptz, PRIMARY KEY (firm_id, text_id));
CREATE TABLE lawfirm.generated_docs (firm_id int, doc_id bigint, contact_id int, matter_id int, attorney_id int,
  filename text, template int, made_at timestamptz, PRIMARY KEY (firm_id, doc_id));
CREATE TABLE lawfirm.interviews (firm_id int, interview_id bigint, contact_id int, matter_id int, attorney_id int,
  headline text, notes text, made_at timestamptz, PRIMARY KEY (firm_id, interview_id));
CREATE TABLE lawfirm.appointments (firm_id int, appt_id bigint, contact_id int, matter_id int, organizer_id int,
  subject text, done_at timestamptz, done_by int, PRIMARY KEY (firm_id, appt_id));

SELECT autotime.bind('time_entries', 'lawfirm.billing_lines', '{"team_id": "firm_id", "id": "line_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "attorney_id", "work_date": "day", "minutes": "mins",
  "description": "memo", "billable": "chargeable", "status": "line_state", "rate": "hourly", "source_kind": "origin_kind",
  "source_id": "origin_id", "reviewed_by": "approver", "reviewed_at": "approved_on"}');
SELECT autotime.bind('cases', 'lawfirm.matters', '{"team_id": "firm_id", "id": "matter_id", "client_id": "contact_id",
  "status": "stage", "billing_type": "fee_arrangement", "updated_at": "modified_at"}');
SELECT autotime.bind('team_members', 'lawfirm.attorneys', '{"team_id": "firm_id", "user_id": "attorney_id",
  "can_log_time": "bills_time", "hourly_rate": "billing_rate"}');
SELECT autotime.attach('lawfirm.phone_calls', 'call', '{"team_id": "firm_id", "id": "call_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "status": "state", "direction": "way", "started_at": "began",
  "duration_seconds": "secs"}', qualifies => 'state = 3');
SELECT autotime.attach('lawfirm.texts', 'sms', '{"team_id": "firm_id", "id": "text_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "status": "delivery",
  "provider_message_id": "carrier_ref", "sent_at": "at"}');
SELECT autotime.attach('lawfirm.generated_docs', 'document', '{"team_id": "firm_id", "id": "doc_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "attorney_id", "name": "filename",
  "template_id": "template", "created_at": "made_at"}');
SELECT autotime.attach('lawfirm.interviews', 'ir_report', '{"team_id": "firm_id", "id": "interview_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "attorney_id", "title": "headline",
  "created_at": "made_at"}');
SELECT autotime.attach('lawfirm.appointments', 'event', '{"team_id": "firm_id", "id": "appt_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "organizer_id", "title": "subject",
  "completed_at": "done_at", "completed_by": "done_by"}');
SELECT source, kind, qualifies FROM autotime.attachments ORDER BY kind;

INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (7, true, 'America/Chicago');
INSERT INTO lawfirm.attorneys VALUES (7, 70, true, 410), (7, 71, false, 200);
INSERT INTO lawfirm.matters VALUES (7, 700, 9000, 'open', 'hourly', '2026-01-01'), (7, 701, 9000, 'closed', 'hourly', '2026-02-01'),
                                   (7, 702, 9001, 'open', 'flat_fee', '2026-01-01');

-- Capture, through the mapping and the custom qualification.
INSERT INTO lawfirm.phone_calls VALUES (7, 1, 9000, NULL, 70, 3, 'outbound', '2026-03-10 15:00+00', 125),
                                       (7, 2, 9000, NULL, 70, 1, 'outbound', '2026-03-10 16:00+00', 0),
                                       (7, 3, 9000, NULL, 71, 3, 'inbound', '2026-03-10 17:00+00', 60);
INSERT INTO lawfirm.texts VALUES (7, 1, 9000, NULL, 70, 'outbound', 'delivered', 'private', 'TW-1', '2026-03-10 18:00+00'),
                                 (7, 2, 9000, NULL, 70, 'outbound', 'delivered', 'private', 'TW-1', '2026-03-10 18:00+00');
INSERT INTO lawfirm.generated_docs VALUES (7, 1, 9001, NULL, 70, 'Articles.docx', 12, '2026-03-10 19:00+00');
INSERT INTO lawfirm.interviews VALUES (7, 1, 9000, 700, 70, 'Intake', 'private notes', '2026-03-10 20:00+00');
INSERT INTO lawfirm.appointments VALUES (7, 1, 9000, NULL, 70, 'Hearing', NULL, NULL);
UPDATE lawfirm.phone_calls SET state = 3 WHERE call_id = 2;
UPDATE lawfirm.appointments SET done_at = '2026-03-11 02:00+00', done_by = 70 WHERE appt_id = 1;
SELECT firm_id, contact_id, matter_id, attorney_id, day, mins, memo, chargeable, line_state, hourly, origin_kind, origin_id
FROM lawfirm.billing_lines ORDER BY origin_kind, origin_id;

-- Explain, dedupe and backfill there, exactly as on the reference schema.
SELECT autotime.explain('call', 3) ->> 'reason' AS call_3, autotime.explain('sms', 2) ->> 'reason' AS text_2,
       autotime.explain('call', 1) ->> 'outcome' AS call_1;
SELECT autotime.backfill_automatic_time(9000) AS backfilled_again;
UPDATE autotime.team_settings SET enabled = false WHERE team_id = 7;
INSERT INTO lawfirm.phone_calls VALUES (7, 4, 9000, 700, 70, 3, 'outbound', '2026-03-12 15:00+00', 30);
UPDATE autotime.team_settings SET enabled = true WHERE team_id = 7;
SELECT autotime.explain('call', 4) ->> 'reason' AS call_4_before;
SELECT autotime.backfill_automatic_time(9000) AS backfilled;
SELECT origin_kind, origin_id, matter_id FROM lawfirm.billing_lines WHERE origin_kind = 'call' ORDER BY origin_id;

-- Review works on the bound table too.
SELECT autotime.approve(ARRAY(SELECT line_id FROM lawfirm.billing_lines WHERE origin_kind = 'call'), 70) AS approved;
SELECT client_id, case_id, approved_minutes, approved_amount, draft_minutes, draft_amount
FROM autotime.unbilled WHERE team_id = 7 ORDER BY client_id, case_id NULLS LAST;

-- A later ALTER that breaks the mapping: a clear error at the next capture, nothing half-written.
ALTER TABLE lawfirm.phone_calls RENAME COLUMN began TO started;
INSERT INTO lawfirm.phone_calls VALUES (7, 5, 9000, 700, 70, 3, 'outbound', now(), 30);
SELECT count(*) AS call_5_rows FROM lawfirm.phone_calls WHERE call_id = 5;

-- A status column that is an enum, or blank-padded char(n): the default qualification compares its
-- text, and a row that can't qualify is told apart before any lookup only where that text is exact.
CREATE TYPE lawfirm.call_state AS ENUM ('ringing', 'missed', 'completed');
CREATE TABLE lawfirm.enum_calls (team_id int, id bigint, client_id int, case_id int, user_id int, status lawfirm.call_state,
  direction text, started_at timestamptz, duration_seconds int, PRIMARY KEY (team_id, id));
CREATE TABLE lawfirm.padded_calls (team_id int, id bigint, client_id int, case_id int, user_id int, status char(12),
  direction varchar(10), started_at timestamptz, duration_seconds int, PRIMARY KEY (team_id, id));
-- Attached while lawfirm.phone_calls is, each gets an id space of its own: the entries table must
-- say which table an entry's activity is in (a mapped column, in its unique key).
ALTER TABLE lawfirm.billing_lines ADD COLUMN origin_table text NOT NULL DEFAULT '',
  DROP CONSTRAINT billing_lines_firm_id_origin_kind_origin_id_key,
  ADD CONSTRAINT billing_lines_one_per_activity UNIQUE (firm_id, origin_kind, origin_id, origin_table);
SELECT autotime.bind('time_entries', 'lawfirm.billing_lines', '{"team_id": "firm_id", "id": "line_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "attorney_id", "work_date": "day", "minutes": "mins",
  "description": "memo", "billable": "chargeable", "status": "line_state", "rate": "hourly", "source_kind": "origin_kind",
  "source_id": "origin_id", "reviewed_by": "approver", "reviewed_at": "approved_on", "source_table": "origin_table"}');
SELECT autotime.attach('lawfirm.enum_calls', 'call'), autotime.attach('lawfirm.padded_calls', 'call');
-- With an index on (firm, client) a call is decided by index probes (integer keys of other widths,
-- an enum status); a matter never updated does not win over one updated (NULLS LAST), as in SQL.
CREATE INDEX matters_of_contact ON lawfirm.matters (firm_id, contact_id);
INSERT INTO lawfirm.matters VALUES (7, 703, 9000, 'open', 'hourly', NULL);
INSERT INTO lawfirm.enum_calls VALUES (7, 101, 9000, NULL, 70, 'ringing', 'outbound', '2026-03-13 15:00+00', 60);
INSERT INTO lawfirm.enum_calls VALUES (7, 102, 9000, NULL, 70, 'completed', 'outbound', '2026-03-13 16:00+00', 60);
INSERT INTO lawfirm.enum_calls VALUES (7, 103, 9000, NULL, 70, NULL, 'outbound', '2026-03-13 17:00+00', 60);
INSERT INTO lawfirm.padded_calls VALUES (7, 201, 9000, NULL, 70, 'completed', 'inbound', '2026-03-13 15:00+00', 60);
INSERT INTO lawfirm.padded_calls VALUES (7, 202, 9000, NULL, 70, 'missed', 'inbound', '2026-03-13 16:00+00', 60);
SELECT origin_id, origin_table, matter_id, memo, hourly FROM lawfirm.billing_lines WHERE origin_id > 100 ORDER BY origin_id;
-- The ringing call completes: captured by the UPDATE.
UPDATE lawfirm.enum_calls SET status = 'completed' WHERE id = 101;
SELECT origin_id, matter_id FROM lawfirm.billing_lines WHERE origin_id > 100 ORDER BY origin_id;
-- Without that index the SELECT decides again (the kept lookups are dropped with the index).
DROP INDEX lawfirm.matters_of_contact;
INSERT INTO lawfirm.enum_calls VALUES (7, 104, 9000, NULL, 70, 'completed', 'inbound', '2026-03-13 18:00+00', 60);
SELECT origin_id, matter_id, memo FROM lawfirm.billing_lines WHERE origin_id = 104;
SELECT autotime.detach('lawfirm.padded_calls');
-- A column altered after attach to a type capture can't date work by is refused at the next
-- capture with attach's own error (not cast silently with the session's TimeZone).
ALTER TABLE lawfirm.enum_calls ALTER COLUMN started_at TYPE timestamp;
INSERT INTO lawfirm.enum_calls VALUES (7, 105, 9000, NULL, 70, 'completed', 'inbound', '2026-03-13 19:00', 60);
SELECT count(*) AS call_105_rows FROM lawfirm.enum_calls WHERE id = 105;
SELECT autotime.detach('lawfirm.enum_calls');
