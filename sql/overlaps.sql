-- SPEC §6 double-billing guard: each auto entry keeps its span; autotime.overlaps lists a member's
-- auto entries on different clients whose spans overlap; approve refuses (23P01) an entry that
-- overlaps an approved or billed entry of another client unless allow_overlap => true.
\i test/fixtures/small_firm.sql

-- Ann: a call for Acme at 15:00 (15 min), a text for Lucky at 15:10 (15 min: overlaps 5), a call for
-- Acme at 15:05 (same client: no overlap counts), a document for Lucky at 16:00 (no overlap).
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 15:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 103, 10, 'outbound', 'sent', '2026-03-10 15:10+00');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 2, 100, 10, 'outbound', 'completed', '2026-03-10 15:05+00'),
  (1, 3, 103, 12, 'outbound', 'completed', '2026-03-10 15:00+00');  -- Cy: another member
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at) VALUES
  (1, 1, 103, 10, 'Letter', 7, '2026-03-10 16:00+00');
SELECT e.source_kind, e.source_id, lower(l.span) AS starts, upper(l.span) - lower(l.span) AS covers
FROM time_entries e JOIN autotime.activity_links l ON l.team_id = e.team_id AND l.kind = e.source_kind AND l.source_id = e.source_id
ORDER BY 1, 2;
CREATE TEMP VIEW named AS SELECT id, source_kind || ' ' || source_id AS activity FROM time_entries;
SELECT o.team_id, o.user_id, a.activity, b.activity AS other, o.overlap_minutes
FROM autotime.overlaps o JOIN named a ON a.id = o.entry_id JOIN named b ON b.id = o.other_entry_id ORDER BY 3, 4;

-- Approving one side is fine; then the other side is refused, and allowed when the reviewer says so.
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 1, 1)], 10) AS approved_call_1;
\set VERBOSITY default
SELECT autotime.approve(ARRAY[autotime.entry_for('sms', 1, 1)], 10) AS approved_text;
\set VERBOSITY terse
SELECT status FROM time_entries WHERE source_kind = 'sms';
SELECT autotime.approve(ARRAY[autotime.entry_for('sms', 1, 1)], 10, allow_overlap => true) AS approved_text;
-- Both sides in one call are refused too; entries of the same client, another member's, or
-- apart in time are approved.
UPDATE time_entries SET status = 'draft' WHERE source_kind IN ('call', 'sms') AND source_id = 1;
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 1, 1), autotime.entry_for('sms', 1, 1)], 10);
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 1, 1), autotime.entry_for('call', 2, 1),
                              autotime.entry_for('call', 3, 1), autotime.entry_for('document', 1, 1)], 10) AS approved;
-- Nobody reads the overlaps without a grant.
CREATE ROLE overlaps_nobody;
SET ROLE overlaps_nobody;
SELECT count(*) FROM autotime.overlaps;
SELECT count(*) FROM autotime.overlap_rows();
RESET ROLE;
DROP ROLE overlaps_nobody;
