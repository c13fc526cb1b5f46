-- Human review before invoice: approve, non-billable, reassign, dismiss, the views and the invoice gate.
\i test/fixtures/small_firm.sql

-- One document per statement, so entry ids follow document ids (the messages below name them).
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 1, 100, 10, 'Demand letter', 1, '2026-03-10 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 2, 100, 12, 'Reply', 1, '2026-03-11 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 3, 100, 10, 'Draft motion', 1, '2026-03-12 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (1, 4, 102, 10, 'Articles', 1, '2026-03-12 15:00+00');
INSERT INTO documents (team_id, id, client_id, user_id, name, template_id, created_at)
VALUES (2, 5, 200, 20, 'Other firm letter', 1, '2026-03-12 15:00+00');
CREATE TEMP TABLE ids AS SELECT source_id AS doc, id AS entry FROM time_entries;

SELECT team_id, client_id, case_id, user_id, work_date, minutes, description, rate, amount, source_id
FROM autotime.unreviewed ORDER BY source_id;

-- Approve: only by a member of the entry's team, only drafts, idempotent.
SELECT autotime.approve(ARRAY(SELECT entry FROM ids WHERE doc IN (1, 2)), 10) AS approved;
SELECT autotime.approve(ARRAY(SELECT entry FROM ids WHERE doc IN (1, 2)), 10) AS approved_again;
SELECT autotime.approve(ARRAY(SELECT entry FROM ids WHERE doc = 5), 10);
SELECT autotime.approve(ARRAY[424242], 10);
SELECT autotime.approve(ARRAY(SELECT entry FROM ids WHERE doc = 3), NULL);
SELECT source_id, status, reviewed_by, reviewed_at IS NOT NULL AS reviewed FROM time_entries WHERE team_id = 1 ORDER BY source_id;

-- Non-billable.
SELECT autotime.set_non_billable(ARRAY(SELECT entry FROM ids WHERE doc = 2)) AS made_non_billable;

-- Reassign within the client only.
SELECT autotime.reassign((SELECT entry FROM ids WHERE doc = 3), 1000);
SELECT autotime.reassign((SELECT entry FROM ids WHERE doc = 3), 1020);
SELECT autotime.reassign((SELECT entry FROM ids WHERE doc = 3), 2000);
SELECT source_id, case_id FROM time_entries WHERE source_id = 3;

-- Per case and per client (case_id empty): approved vs still-draft time.
SELECT team_id, client_id, case_id, approved_minutes, approved_amount, draft_minutes, draft_amount
FROM autotime.unbilled ORDER BY team_id, client_id, case_id NULLS LAST;

-- The invoice gate: a draft can't be billed or put on an invoice; an approved one can.
UPDATE time_entries SET invoice_id = 77 WHERE id = (SELECT entry FROM ids WHERE doc = 3);
UPDATE time_entries SET status = 'billed' WHERE id = (SELECT entry FROM ids WHERE doc = 3);
SELECT pg_temp.refused($$INSERT INTO time_entries (team_id, client_id, case_id, user_id, work_date, minutes, description, status, invoice_id)
VALUES (1, 100, 1000, 10, '2026-03-01', 30, 'Manual', 'draft', 78)$$);
UPDATE time_entries SET status = 'billed', invoice_id = 77 WHERE id = (SELECT entry FROM ids WHERE doc = 1);
SELECT source_id, status, invoice_id FROM time_entries WHERE source_id IN (1, 3) ORDER BY source_id;
-- Billed entries can no longer be reassigned or made non-billable.
SELECT autotime.reassign((SELECT entry FROM ids WHERE doc = 1), 1000);
SELECT autotime.set_non_billable(ARRAY(SELECT entry FROM ids WHERE doc = 1)) AS changed;

-- Dismiss: draft entries go, their links stay as tombstones, nothing re-creates them.
SELECT autotime.dismiss(ARRAY(SELECT entry FROM ids WHERE doc IN (3, 1))) AS dismissed;
SELECT source_id, status FROM time_entries WHERE team_id = 1 ORDER BY source_id;
SELECT source_id, dismissed_at IS NOT NULL AS dismissed FROM autotime.activity_links WHERE team_id = 1 ORDER BY source_id;
SELECT autotime.backfill_automatic_time(100) AS recreated;
UPDATE documents SET name = 'Draft motion v2', template_id = 2 WHERE id = 3;
SELECT autotime.explain('document', 3) - 'team_id' AS explained;
SELECT autotime.dismiss(NULL);
