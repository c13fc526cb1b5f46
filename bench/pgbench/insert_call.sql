-- One completed call, the way a telephony webhook records it (variants none, autotime, plpgsql).
\set c random(1, 1000)
\set u random(101, 150)
INSERT INTO bench.calls (team_id, client_id, user_id, direction, status, started_at, duration_seconds, counterparty)
VALUES (1, :c, :u, 'outbound', 'completed', now(), 300, 'bench');
