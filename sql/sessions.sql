-- SPEC §6 session_gap_minutes: activities of one team, member, resolved case and work date whose
-- spans lie within the gap of each other form a session with one draft entry: last end - first
-- start, rounded up to the billing increment, described by what it covers. Every activity keeps
-- one link, to the session's entry; only a draft session grows; deleting an activity shrinks or
-- removes its session; backfill builds the sessions live capture would have.
\i test/fixtures/small_firm.sql

-- A session's entry as a reviewer reads it, with the activities billed on it.
CREATE FUNCTION pg_temp.sessions(team bigint) RETURNS TABLE (entry text, work_date date, case_id bigint, minutes integer,
    status text, description text, activities text) LANGUAGE sql AS $$
  SELECT e.source_kind || ' ' || e.source_id, e.work_date, e.case_id, e.minutes, e.status, e.description,
         (SELECT string_agg(l.kind || ' ' || l.source_id, ', ' ORDER BY lower(l.worked), l.kind, l.source_id)
            FROM autotime.activity_links l
           WHERE l.team_id = e.team_id AND autotime.entry_for(l.kind, l.source_id, l.team_id) = e.id)
  FROM firm.time_entries e WHERE e.team_id = team ORDER BY e.work_date, e.case_id, e.user_id, e.minutes, e.source_kind, e.source_id
$$;

-- Off (NULL) by default; 1..240 minutes.
SELECT session_gap_minutes FROM autotime.team_settings WHERE team_id = 1;
SELECT pg_temp.refused('UPDATE autotime.team_settings SET session_gap_minutes = 0 WHERE team_id = 1');
SELECT pg_temp.refused('UPDATE autotime.team_settings SET session_gap_minutes = 241 WHERE team_id = 1');
UPDATE autotime.team_settings SET session_gap_minutes = 10 WHERE team_id = 1;

-- Ann's morning of 10 March (New York): a 5-minute call at 10:00, texts at 10:08 and 10:30 (each
-- 15 minutes: its own minutes). The call ends 10:05, the first text starts 3 minutes later and
-- ends 10:23, the second starts 7 minutes after that: one session, 10:00 to 10:45.
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 10:00-04', 300);
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', '2026-03-10 10:08-04');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 2, 100, 10, 'outbound', 'sent', '2026-03-10 10:30-04');
SELECT * FROM pg_temp.sessions(1);
-- Every activity is linked once, to the session's entry; explain and entry_for name it.
SELECT kind, source_id, case_id, worked, description, session_entry_id IS NOT NULL AS in_session
  FROM autotime.activity_links WHERE team_id = 1 ORDER BY lower(worked);
SELECT autotime.explain('sms', 2, 1) ->> 'outcome' AS outcome,
       autotime.explain('sms', 2, 1) ->> 'time_entry_id' = autotime.entry_for('call', 1, 1)::text AS same_entry,
       autotime.entry_for('sms', 1, 1) = autotime.entry_for('call', 1, 1) AS sms_1_too;
-- The session's entry history (SPEC §7): created by the call, then regrouped as each text joined;
-- the texts' own drafts, merged into it, are deleted.
SELECT h.action, h.changes -> 'minutes' AS minutes, h.changes -> 'description' -> 'after' AS description
  FROM autotime.history(autotime.entry_for('call', 1, 1), 1) h ORDER BY h.change_id;
SELECT string_agg(h.action, ',' ORDER BY h.change_id) AS merged_drafts
  FROM autotime.entry_history h WHERE h.team_id = 1 AND h.entry_id <> autotime.entry_for('call', 1, 1);

-- The gap's boundary: a text exactly 10 minutes after the session's end (10:45 -> 10:55) joins it;
-- one 10 minutes and 1 second after the new end (11:10 -> 11:20:01) opens another.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 3, 100, 10, 'outbound', 'sent', '2026-03-10 10:55-04');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 4, 100, 10, 'outbound', 'sent', '2026-03-10 11:20:01-04');
SELECT * FROM pg_temp.sessions(1);

-- Another member, another case, another day, another firm: sessions of their own. Team 2 has no
-- gap: one entry per activity, as before.
INSERT INTO sms (team_id, id, client_id, case_id, user_id, direction, status, sent_at) VALUES
  (1, 5, 100, NULL, 12, 'outbound', 'sent', '2026-03-10 10:10-04'),
  (1, 6, 100, 1000, 10, 'outbound', 'sent', '2026-03-10 10:10-04'),
  (1, 7, 100, NULL, 10, 'outbound', 'sent', '2026-03-11 10:10-04'),
  (2, 1, 200, NULL, 20, 'outbound', 'sent', '2026-03-10 10:00+00'),
  (2, 2, 200, NULL, 20, 'outbound', 'sent', '2026-03-10 10:05+00');
SELECT * FROM pg_temp.sessions(1);
SELECT source_id, minutes, description FROM time_entries WHERE team_id = 2 ORDER BY source_id;

-- Arrival order doesn't matter: a text sent earlier than the session, inserted later, extends it
-- at the front (09:50 -> 10:05 touches the call at 10:00).
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 8, 100, 10, 'outbound', 'sent', '2026-03-10 09:50-04');
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;

-- An activity that bridges two sessions merges them into one entry (11:05 ends 11:20, within
-- the gap of both).
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 2, 100, 10, 'inbound', 'completed', '2026-03-10 11:05-04', 600);
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;

-- Deleting an activity shrinks its session: without the bridging call the session splits again
-- (the second half gets an entry of its own); without the last text of a session, its entry goes.
DELETE FROM calls WHERE team_id = 1 AND id = 2;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;
DELETE FROM sms WHERE team_id = 1 AND id = 4;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;
-- Deleting the activity the entry is keyed by (the call) keeps the entry for the others, keyed now
-- by one of them; the deleted activity's link is released (sent again, it is captured again).
DELETE FROM calls WHERE team_id = 1 AND id = 1;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;
SELECT autotime.explain('call', 1, 1) ->> 'reason' AS deleted_call,
       (SELECT released_at IS NOT NULL FROM autotime.activity_links WHERE team_id = 1 AND kind = 'call' AND source_id = 1) AS released;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 1, 100, 10, 'outbound', 'completed', '2026-03-10 10:00-04', 300);
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;

-- Only a draft session grows: once approved, the next activity within the gap opens a new entry,
-- and the approved entry keeps its minutes.
SELECT autotime.approve(ARRAY[autotime.entry_for('call', 1, 1)], 10, 1);
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 9, 100, 10, 'outbound', 'sent', '2026-03-10 11:00-04');
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;
-- Deleting an activity of an approved session changes nothing of it (its link stays).
DELETE FROM sms WHERE team_id = 1 AND id = 1;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-10' AND case_id = 1001;
SELECT released_at IS NULL AS link_kept FROM autotime.activity_links WHERE team_id = 1 AND kind = 'sms' AND source_id = 1;
SELECT autotime.explain('sms', 2, 1) ->> 'outcome' AS sms_2, autotime.entry_for('sms', 2, 1) = autotime.entry_for('call', 1, 1) AS same_entry;

-- Several activities in one statement make their sessions at once; the last one deleted removes
-- the session's entry.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 10, 100, 10, 'outbound', 'sent', '2026-03-12 14:00-04'),
  (1, 11, 100, 10, 'outbound', 'sent', '2026-03-12 14:05-04'),
  (1, 12, 100, 10, 'outbound', 'sent', '2026-03-12 14:10-04');
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-12';
DELETE FROM sms WHERE team_id = 1 AND id IN (10, 11);
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-12';
DELETE FROM sms WHERE team_id = 1 AND id = 12;
SELECT count(*) AS entries_on_the_12th FROM time_entries WHERE team_id = 1 AND work_date = '2026-03-12';

-- Billing increments round the session, not each activity: 6-minute increments, three texts
-- from 15:00 to 15:32 (32 minutes) bill 36.
UPDATE autotime.team_settings SET billing_increment_minutes = 6 WHERE team_id = 1;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 13, 100, 10, 'outbound', 'sent', '2026-03-13 15:00-04'),
  (1, 14, 100, 10, 'outbound', 'sent', '2026-03-13 15:10-04'),
  (1, 15, 100, 10, 'outbound', 'sent', '2026-03-13 15:17-04');
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-13';

-- Under a daily cap each activity counts its own minutes toward the day (18 each here), and a
-- session bills at most what its activities counted, so the day never passes the cap: two texts
-- 25 minutes apart within a 30-minute gap span 40 minutes (42 billed) but counted 36.
UPDATE autotime.team_settings SET daily_cap_minutes = 40, session_gap_minutes = 30 WHERE team_id = 1;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 16, 100, 10, 'outbound', 'sent', '2026-03-16 15:00-04'),
  (1, 17, 100, 10, 'outbound', 'sent', '2026-03-16 15:25-04');
-- A third would pass the cap: skipped daily_cap, not linked.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 18, 100, 10, 'outbound', 'sent', '2026-03-16 15:30-04');
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-16';
SELECT autotime.explain('sms', 18, 1) ->> 'reason' AS sms_18,
       (SELECT minutes FROM autotime.daily_minutes WHERE team_id = 1 AND user_id = 10 AND work_date = '2026-03-16') AS counted;
UPDATE autotime.team_settings SET daily_cap_minutes = NULL, billing_increment_minutes = NULL, session_gap_minutes = 10
 WHERE team_id = 1;

-- Backfill builds the sessions live capture would have, whatever the order rows arrive in. The
-- same day of activity for Cy, on the 17th, loaded with capture paused (newest first), then
-- backfilled; and live again on the 18th, oldest first.
SET autotime.capture = off;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 33, 100, 12, 'inbound', 'completed', '2026-03-17 16:00-04', 1200);
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 32, 100, 12, 'outbound', 'sent', '2026-03-17 09:20-04'),
  (1, 31, 100, 12, 'outbound', 'sent', '2026-03-17 09:10-04');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 31, 100, 12, 'outbound', 'completed', '2026-03-17 09:00-04', 240);
RESET autotime.capture;
SELECT autotime.explain('sms', 31, 1) ->> 'reason' AS before_backfill;
SELECT autotime.backfill_automatic_time(100, 1) AS entries_created;
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 41, 100, 12, 'outbound', 'completed', '2026-03-18 09:00-04', 240);
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 41, 100, 12, 'outbound', 'sent', '2026-03-18 09:10-04');
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 42, 100, 12, 'outbound', 'sent', '2026-03-18 09:20-04');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 43, 100, 12, 'inbound', 'completed', '2026-03-18 16:00-04', 1200);
SELECT * FROM pg_temp.sessions(1) WHERE work_date IN ('2026-03-17', '2026-03-18');
SELECT (SELECT array_agg((minutes, description) ORDER BY minutes) FROM time_entries WHERE team_id = 1 AND work_date = '2026-03-17')
     = (SELECT array_agg((minutes, description) ORDER BY minutes) FROM time_entries WHERE team_id = 1 AND work_date = '2026-03-18')
       AS backfill_equals_live;
-- A re-run finds nothing to do.
SELECT autotime.backfill_automatic_time(100, 1) AS entries_created_again;

-- Dismissing a session's entry dismisses it for all its activities: none comes back.
SELECT autotime.dismiss(ARRAY[autotime.entry_for('sms', 41, 1)], 1);
SELECT kind, source_id, dismissed_at IS NOT NULL AS dismissed FROM autotime.activity_links
 WHERE team_id = 1 AND source_id IN (41, 42) ORDER BY 1, 2;
SELECT autotime.explain('sms', 41, 1) ->> 'reason' AS dismissed_member;
SELECT autotime.backfill_automatic_time(100, 1) AS after_dismissal;

-- Off again: new activities get one entry each; existing sessions stay.
UPDATE autotime.team_settings SET session_gap_minutes = NULL WHERE team_id = 1;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 50, 100, 10, 'outbound', 'sent', '2026-03-19 10:00-04'),
  (1, 51, 100, 10, 'outbound', 'sent', '2026-03-19 10:05-04');
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-19';

-- The manual's worked day (doc/autotime.md, Sessions): Ann, a 10-minute gap, 6-minute increments.
UPDATE autotime.team_settings SET session_gap_minutes = 10, billing_increment_minutes = 6 WHERE team_id = 1;
INSERT INTO calls (team_id, id, client_id, case_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 60, 100, 1000, 10, 'outbound', 'completed', '2026-03-20 10:00-04', 300),
  (1, 61, 100, 1000, 10, 'inbound', 'completed', '2026-03-20 14:00-04', 750);
INSERT INTO sms (team_id, id, client_id, case_id, user_id, direction, status, sent_at) VALUES
  (1, 60, 100, 1000, 10, 'outbound', 'sent', '2026-03-20 10:08-04'),
  (1, 61, 100, 1000, 10, 'outbound', 'sent', '2026-03-20 10:30-04'),
  (1, 62, 100, 1000, 10, 'outbound', 'sent', '2026-03-20 11:20-04');
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-20';
SELECT sum(minutes) AS day_minutes FROM time_entries WHERE team_id = 1 AND work_date = '2026-03-20';
-- The 10:08 text deleted: the session splits into the call and the 10:30 text.
DELETE FROM sms WHERE team_id = 1 AND id = 60;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-20';

-- A session's activity whose identity or client changes leaves its session (which shrinks, keyed
-- by another of its activities when it was keyed by this one) and is captured as it is now.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 70, 100, 10, 'outbound', 'sent', '2026-03-23 10:00-04'),
  (1, 71, 100, 10, 'outbound', 'sent', '2026-03-23 10:05-04'),
  (1, 72, 100, 10, 'outbound', 'sent', '2026-03-23 10:10-04');
UPDATE sms SET client_id = 103 WHERE team_id = 1 AND id = 71;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-23';
UPDATE sms SET id = 170 WHERE team_id = 1 AND id = 70;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-23';
SELECT count(*) AS links, count(DISTINCT session_entry_id) AS entries FROM autotime.activity_links
 WHERE team_id = 1 AND kind = 'sms' AND source_id IN (70, 170, 72) AND released_at IS NULL;
-- Moved to another case of the client, an activity leaves its session for one on that case.
UPDATE sms SET case_id = 1000 WHERE team_id = 1 AND id = 72;
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-23';

-- TRUNCATE is a deletion of every row: sessions lose the truncated activities (an approved one
-- keeps them), and a session of texts only goes.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 80, 100, 10, 'outbound', 'sent', '2026-03-24 10:06-04');
INSERT INTO calls (team_id, id, client_id, user_id, direction, status, started_at, duration_seconds) VALUES
  (1, 80, 100, 10, 'outbound', 'completed', '2026-03-24 10:00-04', 300);
SELECT * FROM pg_temp.sessions(1) WHERE work_date = '2026-03-24';
TRUNCATE sms;
SELECT * FROM pg_temp.sessions(1) WHERE work_date IN ('2026-03-10', '2026-03-24');
SELECT count(*) AS text_entries_left FROM time_entries WHERE team_id = 1 AND source_kind = 'sms' AND status = 'draft';
SELECT count(*) AS live_text_links_on_drafts FROM autotime.activity_links l
 WHERE l.team_id = 1 AND l.kind = 'sms' AND l.released_at IS NULL AND l.dismissed_at IS NULL
   AND EXISTS (SELECT 1 FROM time_entries e WHERE e.team_id = 1 AND e.id = l.session_entry_id AND e.status = 'draft');

-- The double-billing guard sees a session's whole span: Ann's texts to Acme at 10:00 and 10:10
-- (10:00 to 10:25) overlap her 10:20 text to Flat Co by 5 minutes.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (1, 90, 100, 10, 'outbound', 'sent', '2026-03-25 10:00-04'),
  (1, 91, 100, 10, 'outbound', 'sent', '2026-03-25 10:10-04'),
  (1, 92, 102, 10, 'outbound', 'sent', '2026-03-25 10:20-04');
SELECT e.source_kind || ' ' || e.source_id AS entry, o.user_id, x.source_kind || ' ' || x.source_id AS other, o.overlap_minutes
  FROM autotime.overlaps o JOIN time_entries e ON e.team_id = o.team_id AND e.id = o.entry_id
  JOIN time_entries x ON x.team_id = o.team_id AND x.id = o.other_entry_id
 WHERE o.team_id = 1 AND e.work_date = '2026-03-25' ORDER BY 1;
SELECT * FROM autotime.capture_report(1) WHERE kind = 'sms';

-- backfill_team builds sessions too, batch after committed batch: team 2's history, loaded with
-- capture paused, in batches of two ids.
UPDATE autotime.team_settings SET session_gap_minutes = 10 WHERE team_id = 2;
SET autotime.capture = off;
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, sent_at) VALUES
  (2, 13, 200, 20, 'outbound', 'sent', '2026-03-26 10:20+00'),
  (2, 11, 200, 20, 'outbound', 'sent', '2026-03-26 10:00+00'),
  (2, 12, 200, 20, 'outbound', 'sent', '2026-03-26 10:10+00'),
  (2, 14, 200, 20, 'outbound', 'sent', '2026-03-26 12:00+00');
RESET autotime.capture;
\set VERBOSITY terse
CALL autotime.backfill_team(2, since => '2026-03-26', batch_size => 2);
\set VERBOSITY default
SELECT * FROM pg_temp.sessions(2) WHERE work_date = '2026-03-26';
