-- An activity is its (table, team, key): changing its id, its team, its client or its case, or
-- filling in a text's provider id after capture keeps exactly one entry, on the activity's current
-- team, client and case while the entry is a draft (SPEC 4.11). Approved entries are never changed.
\i test/fixtures/small_firm.sql

INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at) VALUES
  (1, 1, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 15:00+00'),
  (1, 2, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 16:00+00'),
  (1, 3, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 17:00+00'),
  (1, 4, 100, NULL, 10, 'outbound', 'completed', '2026-03-10 18:00+00');
SELECT team_id, source_id, client_id, case_id FROM time_entries ORDER BY team_id, source_id;

-- Renumbered (one row): one draft, for the new id; the old id is unknown.
UPDATE calls SET id = 50 WHERE team_id = 1 AND id = 1;
SELECT team_id, source_id, client_id, case_id FROM time_entries WHERE source_kind = 'call' ORDER BY team_id, source_id;
SELECT autotime.explain('call', 50) ->> 'outcome' AS call_50, autotime.explain('call', 1) ->> 'reason' AS call_1;

-- Renumbered in bulk: still one draft each.
UPDATE calls SET id = id + 100 WHERE team_id = 1 AND id IN (2, 50);
SELECT team_id, source_id FROM time_entries WHERE source_kind = 'call' ORDER BY team_id, source_id;

-- A mis-routed call corrected to another firm: its draft moves to that firm (no draft left behind).
UPDATE calls SET team_id = 2, client_id = 200, user_id = 20 WHERE team_id = 1 AND id = 3;
SELECT team_id, source_id, client_id, case_id, rate FROM time_entries WHERE source_kind = 'call' ORDER BY team_id, source_id;

-- The client and case corrected together: the draft follows (no foreign key error), billed by the
-- new case's rules (102's case is flat fee: non-billable).
UPDATE calls SET client_id = 102, case_id = 1020 WHERE team_id = 1 AND id = 4;
SELECT source_id, client_id, case_id, billable FROM time_entries WHERE source_kind = 'call' AND source_id = 4;
-- The client alone corrected: the draft moves to the new client's open case.
UPDATE calls SET client_id = 103, case_id = NULL WHERE team_id = 1 AND id = 4;
SELECT source_id, client_id, case_id, billable FROM time_entries WHERE source_kind = 'call' AND source_id = 4;

-- An approved entry is never changed: renumbering its call keeps it as it was, and the new id is
-- not billed a second time.
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 4, 1)], 10, 1) AS approved;
UPDATE calls SET id = 400 WHERE team_id = 1 AND id = 4;
SELECT source_id, client_id, status FROM time_entries WHERE source_kind = 'call' AND client_id = 103;
SELECT count(*) AS entries_for_call_400 FROM time_entries WHERE source_kind = 'call' AND source_id = 400;

-- A text captured before its provider id was known, then given it, then replayed under it: one entry.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, sent_at)
VALUES (1, 1, 100, 10, 'outbound', 'sent', 'See you at 3', '2026-03-11 15:00+00');
UPDATE sms SET provider_message_id = 'SM-9' WHERE team_id = 1 AND id = 1;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 2, 100, 10, 'outbound', 'sent', 'See you at 3', 'SM-9', '2026-03-11 15:00+00');
SELECT source_id FROM time_entries WHERE source_kind = 'sms' ORDER BY source_id;
SELECT autotime.explain('sms', 1) ->> 'outcome' AS sms_1, autotime.explain('sms', 2) ->> 'reason' AS sms_2;
-- The other order: the replay came first (two texts then, as far as anyone could tell); filling in
-- the first one's provider id makes them one activity with one entry.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, sent_at)
VALUES (1, 3, 100, 10, 'outbound', 'sent', 'Signed', '2026-03-11 16:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 4, 100, 10, 'outbound', 'sent', 'Signed', 'SM-10', '2026-03-11 16:00+00');
UPDATE sms SET provider_message_id = 'SM-10' WHERE team_id = 1 AND id = 3;
SELECT source_id FROM time_entries WHERE source_kind = 'sms' ORDER BY source_id;

-- Every link points at a live activity or is released; never two drafts for one activity.
SELECT kind, source_key, source_id, released_at IS NOT NULL AS released
FROM autotime.activity_links ORDER BY kind, team_id, source_key;

-- A person's removal follows the activity to its new identity: a dismissed call renumbered, a call
-- whose entry was deleted by hand renumbered, and a dismissed call moved to another firm never get
-- an entry again, a backfill included (SPEC 4.12).
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 60, 100, 10, 'outbound', 'completed', '2026-03-12 15:00+00'),
  (1, 61, 100, 10, 'outbound', 'completed', '2026-03-12 16:00+00'),
  (1, 62, 100, 10, 'outbound', 'completed', '2026-03-12 17:00+00');
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 60, 1), autotime.entry_for('call', 62, 1)], 1) AS dismissed;
DELETE FROM time_entries WHERE team_id = 1 AND source_kind = 'call' AND source_id = 61;
UPDATE calls SET id = 160 WHERE team_id = 1 AND id = 60;
UPDATE calls SET id = 161 WHERE team_id = 1 AND id = 61;
UPDATE calls SET team_id = 2, client_id = 200, user_id = 20 WHERE team_id = 1 AND id = 62;
SELECT autotime.backfill_automatic_time(100, 1) + autotime.backfill_automatic_time(200, 2) AS backfilled;
SELECT autotime.explain('call', 160, 1) ->> 'reason' AS call_160, autotime.explain('call', 161, 1) ->> 'reason' AS call_161,
       autotime.explain('call', 62, 2) ->> 'reason' AS moved_call_62;
SELECT count(*) AS entries_for_them FROM time_entries
WHERE source_kind = 'call' AND (team_id, source_id) IN ((1, 160), (1, 161), (2, 62));
-- A replayed text (its provider id is linked to the text it replays, which has the entry) moved to
-- another firm is that firm's activity: the replay had no entry and no removal to carry, so it
-- waits for a backfill there (as any row that already qualified), which takes it.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 70, 100, 10, 'outbound', 'sent', 'SM-70', '2026-03-13 15:00+00');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 71, 100, 10, 'outbound', 'sent', 'SM-70', '2026-03-13 15:00+00');
UPDATE sms SET team_id = 2, client_id = 200, user_id = 20 WHERE team_id = 1 AND id = 71;
SELECT team_id, source_id FROM time_entries WHERE source_kind = 'sms' AND source_id IN (70, 71) ORDER BY 1;
SELECT autotime.explain('sms', 71, 2) ->> 'reason' AS moved_replay;
SELECT autotime.backfill_automatic_time(200, 2) AS backfilled;
SELECT team_id, source_id FROM time_entries WHERE source_kind = 'sms' AND source_id IN (70, 71) ORDER BY 1;
-- Back where it was: the key an activity left is released, and when the activity comes back to
-- it with a person's removal (dismissed in the other firm, or under its other id) or with an
-- approved entry under the other key, it takes the released key over: a backfill finds it linked,
-- so no dismissed entry comes back and nothing is billed twice.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 80, 100, 10, 'outbound', 'completed', '2026-03-14 15:00+00'),
  (1, 81, 100, 10, 'outbound', 'completed', '2026-03-14 16:00+00'),
  (1, 82, 100, 10, 'outbound', 'completed', '2026-03-14 17:00+00');
UPDATE calls SET team_id = 2, client_id = 200, user_id = 20 WHERE team_id = 1 AND id IN (80, 81);
UPDATE calls SET id = 182 WHERE team_id = 1 AND id = 82;
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 80, 2)], 2) + autotime.dismiss(ARRAY[autotime.entry_for('call', 182, 1)], 1) AS dismissed;
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 81, 2)], 20, 2) AS approved;
UPDATE calls SET team_id = 1, client_id = 100, user_id = 10 WHERE team_id = 2 AND id IN (80, 81);
UPDATE calls SET id = 82 WHERE team_id = 1 AND id = 182;
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT team_id, source_id, status FROM time_entries WHERE source_kind = 'call' AND source_id IN (80, 81, 82, 182) ORDER BY 1, 2;
SELECT team_id, source_key, source_id, released_at IS NOT NULL AS released, dismissed_at IS NOT NULL AS dismissed
  FROM autotime.activity_links WHERE kind = 'call' AND source_key IN ('80', '81', '82', '182') ORDER BY 1, 2;
SELECT autotime.explain('call', 80, 1) ->> 'reason' AS call_80,
       autotime.explain('call', 82, 1) ->> 'reason' AS call_82;
-- A link in force at the new key is another activity's and stays: a text approved in one firm and
-- moved to a firm where its provider id is another text's keeps that text's link and entry.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 90, 100, 10, 'outbound', 'sent', 'SM-90', '2026-03-15 15:00+00'),
  (2, 91, 200, 20, 'outbound', 'sent', 'SM-90', '2026-03-15 15:00+00');
SELECT autotime.approve(ARRAY[autotime.entry_for('sms', 91, 2)], 20, 2) AS approved;
UPDATE sms SET team_id = 1, client_id = 100, user_id = 10 WHERE team_id = 2 AND id = 91;
SELECT team_id, source_id, status FROM time_entries WHERE source_kind = 'sms' AND source_id IN (90, 91) ORDER BY 1, 2;
SELECT team_id, source_key, source_id, released_at IS NOT NULL AS released, dismissed_at IS NOT NULL AS dismissed
  FROM autotime.activity_links WHERE kind = 'sms' AND source_id IN (90, 91) ORDER BY 1, 2;
-- A text renumbered under the same provider id keeps its removal as its own: the link follows its
-- id, so explain still says dismissed, and a later move to another firm carries the removal (an
-- entry deleted by hand, a dismissed one) there: a backfill in that firm makes neither again.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 95, 100, 10, 'outbound', 'sent', 'SM-95', '2026-03-16 15:00+00'),
  (1, 96, 100, 10, 'outbound', 'sent', 'SM-96', '2026-03-16 16:00+00');
DELETE FROM time_entries WHERE team_id = 1 AND source_kind = 'sms' AND source_id = 95;
SELECT autotime.dismiss(ARRAY[autotime.entry_for('sms', 96, 1)], 1) AS dismissed;
UPDATE sms SET id = id + 1000 WHERE team_id = 1 AND id IN (95, 96);
SELECT autotime.explain('sms', 1095, 1) ->> 'reason' AS sms_1095, autotime.explain('sms', 1096, 1) ->> 'reason' AS sms_1096;
UPDATE sms SET team_id = 2, client_id = 200, user_id = 20 WHERE team_id = 1 AND id IN (1095, 1096);
SELECT autotime.backfill_automatic_time(200, 2) AS backfilled;
SELECT count(*) AS entries_for_them FROM time_entries WHERE source_kind = 'sms' AND source_id IN (95, 96, 1095, 1096);
SELECT team_id, source_key, source_id, released_at IS NOT NULL AS released, dismissed_at IS NOT NULL AS dismissed
  FROM autotime.activity_links WHERE kind = 'sms' AND source_key IN ('provider:SM-95', 'provider:SM-96') ORDER BY 1, 2;
-- Renumbered onto a key a person's removal left: the removal goes with the activity that had it,
-- and the one that takes its key is another activity, captured. Ids swapped in one statement (a
-- dismissed and a drafted call; two dismissed calls), and shifted in two (the dismissed call first,
-- then a drafted one onto its old id). A backfill makes nothing more.
ALTER TABLE calls DROP CONSTRAINT calls_pkey, ADD PRIMARY KEY (team_id, id) DEFERRABLE INITIALLY DEFERRED;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at) VALUES
  (1, 300, 100, 10, 'outbound', 'completed', '2026-03-17 15:00+00'),
  (1, 310, 100, 10, 'outbound', 'completed', '2026-03-17 16:00+00'),
  (1, 320, 100, 10, 'outbound', 'completed', '2026-03-17 17:00+00'),
  (1, 325, 100, 10, 'outbound', 'completed', '2026-03-17 18:00+00'),
  (1, 330, 100, 10, 'outbound', 'completed', '2026-03-17 19:00+00'),
  (1, 340, 100, 10, 'outbound', 'completed', '2026-03-17 20:00+00');
SELECT autotime.dismiss(ARRAY[autotime.entry_for('call', 310, 1), autotime.entry_for('call', 320, 1),
                              autotime.entry_for('call', 325, 1), autotime.entry_for('call', 340, 1)], 1) AS dismissed;
UPDATE calls SET id = CASE id WHEN 300 THEN 310 WHEN 310 THEN 300 WHEN 320 THEN 325 ELSE 320 END
 WHERE team_id = 1 AND id IN (300, 310, 320, 325);
UPDATE calls SET id = 350 WHERE team_id = 1 AND id = 340;
UPDATE calls SET id = 340 WHERE team_id = 1 AND id = 330;
SELECT team_id, source_id, status FROM time_entries WHERE source_kind = 'call' AND source_id BETWEEN 300 AND 399 ORDER BY 1, 2;
SELECT autotime.backfill_automatic_time(100, 1) AS backfilled;
SELECT source_id, autotime.explain('call', source_id, 1) ->> 'reason' AS reason FROM (VALUES (300), (310), (320), (325), (340), (350)) v(source_id);
SELECT team_id, source_key, source_id, released_at IS NOT NULL AS released, dismissed_at IS NOT NULL AS dismissed
  FROM autotime.activity_links WHERE kind = 'call' AND source_key IN ('300', '310', '320', '325', '330', '340', '350') ORDER BY 1, 2;
-- A provider id's key stays as the removal left it: any text with that id is the same message, so
-- a replay left behind when the dismissed text moved to another firm gets no entry either.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 97, 100, 10, 'outbound', 'sent', 'SM-97', '2026-03-18 15:00+00');
SELECT autotime.dismiss(ARRAY[autotime.entry_for('sms', 97, 1)], 1) AS dismissed;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 98, 100, 10, 'outbound', 'sent', 'SM-97', '2026-03-18 15:00+00');
UPDATE sms SET team_id = 2, client_id = 200, user_id = 20 WHERE team_id = 1 AND id = 97;
SELECT autotime.backfill_automatic_time(100, 1) + autotime.backfill_automatic_time(200, 2) AS backfilled;
SELECT count(*) AS entries_for_them FROM time_entries WHERE source_kind = 'sms' AND source_id IN (97, 98);
SELECT autotime.explain('sms', 98, 1) ->> 'reason' AS replay_left_behind;
SELECT team_id, source_key, source_id, released_at IS NOT NULL AS released, dismissed_at IS NOT NULL AS dismissed
  FROM autotime.activity_links WHERE kind = 'sms' AND source_key = 'provider:SM-97' ORDER BY 1, 2;
