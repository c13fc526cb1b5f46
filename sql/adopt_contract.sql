-- Adoption accepts every contract column of SPEC §3 for its role or kind, whether or not capture
-- reads it; refuses unknown names; reports all the problems of one call in one error; with
-- qualifies given, does not require the columns only the default qualification reads; and a bound
-- time entries table with an invoice_id gets the invoice gate.
\i test/fixtures/small_firm.sql
SELECT autotime.detach(source) FROM autotime.attachments ORDER BY kind;

-- What each role and kind accepts: capture's columns, then the ones it never reads.
SELECT k AS kind_or_role, array_to_string(autotime.accepted_columns(k), ', ') AS accepted,
       array_to_string(ARRAY(SELECT c FROM unnest(autotime.accepted_columns(k)) c
                             WHERE NOT c = ANY (autotime.contract_columns(k))), ', ') AS not_read_by_capture,
       array_to_string(autotime.qualification_columns(k), ', ') AS optional_with_qualifies
FROM unnest(ARRAY['time_entries', 'cases', 'team_members', 'call', 'sms', 'document', 'ir_report', 'event']) k;
SELECT autotime.accepted_columns('fax') IS NULL AS unknown_kind;

CREATE SCHEMA shop;
CREATE TABLE shop.staff (firm_id int, staff_no bigint, attorney_id int, full_name text, bills_time boolean,
  billing_rate numeric(8,2), PRIMARY KEY (firm_id, attorney_id));
CREATE TABLE shop.matters (firm_id int, matter_id int, contact_id int, caption text, stage text, fee_arrangement text,
  modified_at timestamptz, PRIMARY KEY (firm_id, matter_id));
CREATE TABLE shop.lines (firm_id int, line_id bigint GENERATED ALWAYS AS IDENTITY, contact_id int, matter_id int,
  attorney_id int, day date, mins int, memo text, chargeable boolean, line_state text, hourly numeric(8,2),
  origin_kind text, origin_id bigint, invoice_ref text, approver int, approved_on timestamptz, entered_at timestamptz,
  origin_table text NOT NULL DEFAULT '', PRIMARY KEY (firm_id, line_id), UNIQUE (firm_id, origin_kind, origin_id, origin_table));
-- A draft that was put on an invoice before autotime came: the gate doesn't block its approval.
INSERT INTO shop.lines (firm_id, contact_id, matter_id, attorney_id, day, mins, memo, chargeable, line_state, hourly,
                        invoice_ref) VALUES (7, 9000, 700, 70, '2026-03-01', 30, 'Manual work', true, 'draft', 410, 'INV-0');

-- Every contract column may be mapped: an entry's invoice_id, created_at and source_table (which
-- attached table its activity is in), a case's title, a member's id and name.
SELECT autotime.bind('time_entries', 'shop.lines', '{"team_id": "firm_id", "id": "line_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "work_date": "day", "minutes": "mins", "description": "memo",
  "billable": "chargeable", "status": "line_state", "rate": "hourly", "source_kind": "origin_kind",
  "source_id": "origin_id", "reviewed_by": "approver", "reviewed_at": "approved_on", "invoice_id": "invoice_ref",
  "created_at": "entered_at", "source_table": "origin_table"}');
SELECT autotime.bind('cases', 'shop.matters', '{"team_id": "firm_id", "id": "matter_id", "client_id": "contact_id",
  "title": "caption", "status": "stage", "billing_type": "fee_arrangement", "updated_at": "modified_at"}');
SELECT autotime.bind('team_members', 'shop.staff', '{"team_id": "firm_id", "id": "staff_no", "user_id": "attorney_id",
  "name": "full_name", "can_log_time": "bills_time", "hourly_rate": "billing_rate"}');
SELECT role, rel FROM autotime.bindings ORDER BY role;

-- A call's counterparty, a text's body, a report's transcript, an event's starts_at.
CREATE TABLE shop.calls (firm_id int, call_id bigint, contact_id int, matter_id int, attorney_id int, state text,
  way text, began timestamptz, secs int, other_party text, PRIMARY KEY (firm_id, call_id));
CREATE TABLE shop.texts (firm_id int, text_id bigint, contact_id int, matter_id int, attorney_id int, way text,
  delivery text, msg text, carrier_ref text, at timestamptz, PRIMARY KEY (firm_id, text_id));
CREATE TABLE shop.interviews (firm_id int, interview_id bigint, contact_id int, matter_id int, attorney_id int,
  headline text, notes text, made_at timestamptz, PRIMARY KEY (firm_id, interview_id));
CREATE TABLE shop.appointments (firm_id int, appt_id bigint, contact_id int, matter_id int, organizer_id int,
  subject text, begins timestamptz, done_at timestamptz, done_by int, PRIMARY KEY (firm_id, appt_id));
SELECT autotime.attach('shop.calls', 'call', '{"team_id": "firm_id", "id": "call_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "status": "state", "direction": "way", "started_at": "began",
  "duration_seconds": "secs", "counterparty": "other_party"}');
SELECT autotime.attach('shop.texts', 'sms', '{"team_id": "firm_id", "id": "text_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "status": "delivery", "body": "msg",
  "provider_message_id": "carrier_ref", "sent_at": "at"}');
SELECT autotime.attach('shop.interviews', 'ir_report', '{"team_id": "firm_id", "id": "interview_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "attorney_id", "title": "headline",
  "transcript": "notes", "created_at": "made_at"}');
SELECT autotime.attach('shop.appointments', 'event', '{"team_id": "firm_id", "id": "appt_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "organizer_id", "title": "subject", "starts_at": "begins",
  "completed_at": "done_at", "completed_by": "done_by"}');
SELECT source, kind FROM autotime.attachments ORDER BY kind;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'shop.calls'::regclass AND NOT tgisinternal ORDER BY 1;

-- Capture works through these mappings, and a mapped body or transcript never reaches an entry.
INSERT INTO autotime.team_settings (team_id, enabled, timezone) VALUES (7, true, 'America/Chicago');
INSERT INTO shop.staff VALUES (7, 1, 70, 'Ana Ruiz', true, 410);
INSERT INTO shop.matters VALUES (7, 700, 9000, 'Ruiz v. Landlord', 'open', 'hourly', '2026-01-01');
INSERT INTO shop.calls VALUES (7, 1, 9000, NULL, 70, 'completed', 'outbound', '2026-03-10 15:00+00', 125, '+1 555 0100');
INSERT INTO shop.texts VALUES (7, 1, 9000, NULL, 70, 'outbound', 'delivered', 'Your hearing is at 9', 'TW-1',
                               '2026-03-10 16:00+00');
INSERT INTO shop.interviews VALUES (7, 1, 9000, NULL, 70, 'Intake', 'the client said ...', '2026-03-10 17:00+00');
INSERT INTO shop.appointments VALUES (7, 1, 9000, NULL, 70, 'Hearing', '2026-03-10 18:00+00', '2026-03-10 19:00+00', 70);
SELECT origin_kind, origin_id, matter_id, mins, memo, line_state, invoice_ref FROM shop.lines
WHERE origin_kind IS NOT NULL ORDER BY origin_kind;

-- Unknown names are refused, with the accepted ones in the hint.
SELECT autotime.attach('shop.calls', 'call', '{"team_id": "firm_id", "id": "call_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "status": "state", "direction": "way", "started_at": "began",
  "duration_seconds": "secs", "colour": "other_party"}');
-- A column autotime doesn't read is still checked when it is mapped: it must exist, and an
-- event's starts_at is a time like the others.
CREATE TABLE shop.odd_appointments (firm_id int, appt_id bigint, contact_id int, matter_id int, organizer_id int,
  subject text, begins timestamp, done_at timestamptz, done_by int, PRIMARY KEY (firm_id, appt_id));
SELECT autotime.attach('shop.odd_appointments', 'event', '{"team_id": "firm_id", "id": "appt_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "organizer_id", "title": "subject",
  "starts_at": "begins", "completed_at": "done_at", "completed_by": "done_by"}');
SELECT autotime.attach('shop.texts', 'sms', '{"team_id": "firm_id", "id": "text_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "status": "delivery", "body": "message",
  "provider_message_id": "carrier_ref", "sent_at": "at"}');
-- Unmapped, the columns capture doesn't read are not required (the texts table has no "body").
SELECT autotime.attach('shop.texts', 'sms', '{"team_id": "firm_id", "id": "text_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "status": "delivery",
  "provider_message_id": "carrier_ref", "sent_at": "at"}');

-- All the problems of one call in one error: an unknown name, a non-string value, a missing
-- column, a wrong type and no key.
CREATE TABLE shop.bad_calls (firm_id int, call_id bigint, contact_id int, attorney_id int, state text, way text,
  began timestamp, secs numeric);
SELECT autotime.attach('shop.bad_calls', 'call', '{"team_id": "firm_id", "id": "call_id", "client_id": "contact_id",
  "user_id": "attorney_id", "status": "state", "direction": "way", "started_at": "began", "duration_seconds": "secs",
  "matter": "matter_id", "counterparty": 7}');
-- Several problems of one kind: the missing columns' hint is one.
SELECT autotime.bind('cases', 'shop.staff');
-- One problem is raised as itself.
SELECT autotime.bind('team_members', 'shop.staff', '{"team_id": "firm_id", "user_id": "attorney_id",
  "can_log_time": "bills_time", "hourly_rate": "full_name"}');
-- Refused calls changed nothing.
SELECT count(*) AS bad_calls_attached FROM autotime.attachments WHERE source = 'shop.bad_calls'::regclass;
SELECT role, rel FROM autotime.bindings ORDER BY role;

-- With qualifies given, the columns only the default qualification reads are not required: a
-- call's status, a text's status, a document's template_id.
CREATE TABLE shop.voip_calls (firm_id int, call_id bigint, contact_id int, matter_id int, attorney_id int, way text,
  began timestamptz, secs int, answered boolean, PRIMARY KEY (firm_id, call_id));
SELECT autotime.attach('shop.voip_calls', 'call', '{"team_id": "firm_id", "id": "call_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "started_at": "began",
  "duration_seconds": "secs"}');
SELECT autotime.attach('shop.voip_calls', 'call', '{"team_id": "firm_id", "id": "call_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "started_at": "began",
  "duration_seconds": "secs"}', qualifies => 'answered AND secs > 0');
INSERT INTO shop.voip_calls VALUES (7, 10, 9000, NULL, 70, 'inbound', '2026-03-11 15:00+00', 60, true),
                                   (7, 11, 9000, NULL, 70, 'inbound', '2026-03-11 16:00+00', 0, false);
SELECT autotime.explain('call', 10, team_id => 7) ->> 'outcome' AS call_10,
       autotime.explain('call', 11, team_id => 7) ->> 'reason' AS call_11;
CREATE TABLE shop.outbox (firm_id int, text_id bigint, contact_id int, matter_id int, attorney_id int, way text,
  carrier_ref text, at timestamptz, PRIMARY KEY (firm_id, text_id));
SELECT autotime.attach('shop.outbox', 'sms', '{"team_id": "firm_id", "id": "text_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "provider_message_id": "carrier_ref",
  "sent_at": "at"}', qualifies => $$way = 'out'$$);
CREATE TABLE shop.pleadings (firm_id int, doc_id bigint, contact_id int, matter_id int, attorney_id int,
  filename text, made_at timestamptz, generated boolean, PRIMARY KEY (firm_id, doc_id));
SELECT autotime.attach('shop.pleadings', 'document', '{"team_id": "firm_id", "id": "doc_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "name": "filename", "created_at": "made_at"}',
  qualifies => 'generated');
INSERT INTO shop.pleadings VALUES (7, 1, 9000, NULL, 70, 'Complaint.docx', '2026-03-11 17:00+00', true);
INSERT INTO shop.outbox VALUES (7, 20, 9000, NULL, 70, 'out', 'TW-20', '2026-03-11 18:00+00'),
                               (7, 21, 9000, NULL, 70, 'in', 'TW-21', '2026-03-11 18:05+00');
SELECT origin_kind, origin_id, memo FROM shop.lines WHERE origin_id IN (10, 11, 20, 21) OR memo LIKE '%Complaint%'
ORDER BY origin_kind, origin_id;
-- The columns capture reads whatever qualifies are still required: a text's direction, and an
-- event's completed_at (when it happened) and completed_by (who did it).
CREATE TABLE shop.quiet_texts (firm_id int, text_id bigint, contact_id int, matter_id int, attorney_id int,
  carrier_ref text, at timestamptz, PRIMARY KEY (firm_id, text_id));
SELECT autotime.attach('shop.quiet_texts', 'sms', '{"team_id": "firm_id", "id": "text_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "provider_message_id": "carrier_ref", "sent_at": "at"}',
  qualifies => 'true');
CREATE TABLE shop.meetings (firm_id int, meeting_id bigint, contact_id int, matter_id int, organizer_id int,
  subject text, held boolean, PRIMARY KEY (firm_id, meeting_id));
SELECT autotime.attach('shop.meetings', 'event', '{"team_id": "firm_id", "id": "meeting_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "organizer_id", "title": "subject"}', qualifies => 'held');
-- A mapped qualification column is still checked.
SELECT autotime.attach('shop.voip_calls', 'call', '{"team_id": "firm_id", "id": "call_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "direction": "way", "started_at": "began",
  "duration_seconds": "secs", "status": "call_state"}', qualifies => 'answered');

-- The invoice gate on the bound entries table, as on the reference schema.
SELECT tgname, pg_get_triggerdef(t.oid) LIKE '%refuse_draft_invoicing(''line_id'')' AS names_line_id
FROM pg_trigger t WHERE tgrelid = 'shop.lines'::regclass AND NOT tgisinternal ORDER BY tgname;
SELECT line_id AS call_line FROM shop.lines WHERE origin_kind = 'call' AND origin_id = 1 \gset
-- A draft can't be put on an invoice, billed, or inserted with an invoice.
UPDATE shop.lines SET invoice_ref = 'INV-1' WHERE line_id = :call_line;
SELECT pg_temp.refused(format($$UPDATE shop.lines SET line_state = 'billed' WHERE line_id = %s$$, :call_line));
SELECT pg_temp.refused($$INSERT INTO shop.lines (firm_id, contact_id, matter_id, attorney_id, day, mins, memo,
  chargeable, line_state, hourly, invoice_ref) VALUES (7, 9000, 700, 70, '2026-03-02', 30, 'x', true, 'draft', 410, 'INV-2')$$);
SELECT line_state, invoice_ref FROM shop.lines WHERE line_id = :call_line;
-- Approved, it can.
SELECT autotime.approve(ARRAY[:call_line]::bigint[], 70, team_id => 7) AS approved;
UPDATE shop.lines SET invoice_ref = 'INV-1', line_state = 'billed' WHERE line_id = :call_line;
SELECT line_state, invoice_ref FROM shop.lines WHERE line_id = :call_line;
-- The draft invoiced before autotime was bound is approved as any other (its invoice is unchanged),
-- and capture's own writes (drafts without an invoice) pass the gate.
SELECT autotime.approve(ARRAY(SELECT line_id FROM shop.lines WHERE memo = 'Manual work'), 70, team_id => 7) AS approved;
INSERT INTO shop.calls VALUES (7, 2, 9000, NULL, 70, 'completed', 'inbound', '2026-03-12 15:00+00', 60, NULL);
SELECT origin_id, line_state FROM shop.lines WHERE origin_kind = 'call' ORDER BY origin_id;
-- Re-binding keeps one gate; binding a table without an invoice column puts none there and takes
-- autotime's gate off the table it replaces.
SELECT autotime.bind('time_entries', 'shop.lines', '{"team_id": "firm_id", "id": "line_id", "client_id": "contact_id",
  "case_id": "matter_id", "user_id": "attorney_id", "work_date": "day", "minutes": "mins", "description": "memo",
  "billable": "chargeable", "status": "line_state", "rate": "hourly", "source_kind": "origin_kind",
  "source_id": "origin_id", "reviewed_by": "approver", "reviewed_at": "approved_on", "invoice_id": "invoice_ref",
  "source_table": "origin_table"}');
SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE tgrelid = 'shop.lines'::regclass AND NOT tgisinternal ORDER BY 2;
CREATE TABLE shop.plain_lines (LIKE shop.lines INCLUDING ALL);
ALTER TABLE shop.plain_lines DROP COLUMN invoice_ref;
SELECT autotime.bind('time_entries', 'shop.plain_lines', '{"team_id": "firm_id", "id": "line_id",
  "client_id": "contact_id", "case_id": "matter_id", "user_id": "attorney_id", "work_date": "day", "minutes": "mins",
  "description": "memo", "billable": "chargeable", "status": "line_state", "rate": "hourly",
  "source_kind": "origin_kind", "source_id": "origin_id", "reviewed_by": "approver", "reviewed_at": "approved_on",
  "source_table": "origin_table"}');
SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE tgrelid IN ('shop.lines'::regclass, 'shop.plain_lines'::regclass)
  AND NOT tgisinternal ORDER BY 1, 2;
-- A column named invoice_id needs no mapping.
CREATE TABLE shop.entries (LIKE firm.time_entries INCLUDING DEFAULTS INCLUDING IDENTITY);
ALTER TABLE shop.entries ADD PRIMARY KEY (team_id, id);
SELECT autotime.bind('time_entries', 'shop.entries');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'shop.entries'::regclass AND NOT tgisinternal ORDER BY 1;
-- The reference schema keeps its own gate: binding it adds none.
SELECT autotime.bind('time_entries', 'firm.time_entries');
SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE tgrelid IN ('shop.entries'::regclass, 'firm.time_entries'::regclass)
  AND NOT tgisinternal AND tgparentid = 0 ORDER BY 1, 2;
