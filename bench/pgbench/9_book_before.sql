-- The booking path before sql/015: the session lookup, then book(p_user, ...) (two round trips).
-- pgbench -D event=<id> -D first=<its first seat id> -D min_user= -D max_user= (bench users
-- with known tokens); sequence bench_seat hands every transaction a seat of its own.
\set uid random(:min_user, :max_user)
SELECT u.id, u.role FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = sha256(convert_to('bt' || lpad(:uid::text, 41, '0'), 'UTF8')) AND s.expires_at > now();
SELECT o_status, o_body FROM book(:uid, :event, ARRAY[(SELECT :first + nextval('bench_seat'))]::bigint[], false, NULL, 'x');
