-- The booking path of sql/015: book(p_token, ...), session included (one round trip).
-- pgbench -D event=<id> -D first=<its first seat id> -D min_user= -D max_user= (bench users
-- with known tokens); sequence bench_seat hands every transaction a seat of its own.
\set uid random(:min_user, :max_user)
SELECT o_status, o_body FROM book(sha256(convert_to('bt' || lpad(:uid::text, 41, '0'), 'UTF8')), :event::bigint, ARRAY[(SELECT :first + nextval('bench_seat'))]::bigint[], 0::bigint, NULL::text, 'x'::text);
