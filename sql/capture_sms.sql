-- Texts: outbound and sent/delivered qualifies; a replayed webhook (same provider_message_id) is one text.
\i test/fixtures/small_firm.sql

INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at) VALUES
  (1, 1, 100, 10, 'outbound', 'sent', 'Your hearing is at 9am, bring the lease', 'SM-1', '2026-03-10 15:00+00'),
  (1, 2, 100, 10, 'outbound', 'delivered', 'Confirmed', 'SM-2', '2026-03-10 15:05+00'),
  (1, 3, 100, 10, 'inbound', 'received', 'Thanks!', 'SM-3', '2026-03-10 15:06+00'),
  (1, 4, 100, 10, 'outbound', 'queued', 'Reminder', 'SM-4', '2026-03-10 15:07+00'),
  (1, 5, 100, 10, 'outbound', 'failed', 'Reminder', 'SM-5', '2026-03-10 15:08+00');
SELECT * FROM entries;
-- The description names the work, never the body.
SELECT count(*) AS descriptions_leaking_a_body FROM time_entries e JOIN sms s ON s.id = e.source_id
 WHERE e.description LIKE '%' || s.body || '%';

-- The queued text is sent: captured by the update.
UPDATE sms SET status = 'sent' WHERE id = 4;
SELECT source_id FROM time_entries ORDER BY source_id;

-- The provider replays the webhook for SM-1 (a new row, same provider id): still one entry.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, body, provider_message_id, sent_at)
VALUES (1, 6, 100, 10, 'outbound', 'sent', 'Your hearing is at 9am, bring the lease', 'SM-1', '2026-03-10 15:00+00');
-- ... and twice within one statement for a new text: one entry.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 7, 100, 10, 'outbound', 'sent', 'SM-7', '2026-03-10 16:00+00'),
  (1, 8, 100, 10, 'outbound', 'sent', 'SM-7', '2026-03-10 16:00+00');
SELECT source_id, count(*) FROM time_entries GROUP BY source_id ORDER BY source_id;
SELECT kind, source_key, source_id FROM autotime.activity_links ORDER BY source_id;
SELECT autotime.explain('sms', 6) - 'team_id' AS replay, autotime.explain('sms', 8) ->> 'reason' AS replay_in_batch;

-- Without a provider id, the row id is the key: two texts, two entries.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at) VALUES
  (1, 9, 100, 10, 'outbound', 'sent', NULL, '2026-03-10 17:00+00'),
  (1, 10, 100, 10, 'outbound', 'sent', '', '2026-03-10 17:00+00');
SELECT source_id FROM time_entries WHERE source_id >= 9 ORDER BY source_id;

-- The same provider id in another team is another text.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at)
VALUES (2, 11, 200, 20, 'outbound', 'sent', 'SM-1', '2026-03-10 15:00+00');
SELECT team_id, source_id FROM time_entries WHERE team_id = 2;

-- A text with no sender (sent by an automation) has no actor to bill.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at)
VALUES (1, 12, 100, NULL, 'outbound', 'sent', 'SM-12', '2026-03-10 18:00+00');
SELECT autotime.explain('sms', 12) ->> 'reason' AS reason;
-- A sent text without a sent_at has no work date.
INSERT INTO sms (team_id, id, client_id, user_id, direction, status, provider_message_id, sent_at)
VALUES (1, 13, 100, 10, 'outbound', 'sent', 'SM-13', NULL);
SELECT autotime.explain('sms', 13) ->> 'reason' AS reason;
