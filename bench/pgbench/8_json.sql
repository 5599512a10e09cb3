-- + the answer read back: booking_json().
-- pgbench -D event=<id> -D first=<its first seat id> -D min_user= -D max_user= (bench users
-- with known tokens); sequence bench_seat hands every transaction a seat of its own.
\set uid random(:min_user, :max_user)
BEGIN;
SELECT s.user_id FROM sessions s WHERE s.token_hash = sha256(convert_to('bt' || lpad(:uid::text, 41, '0'), 'UTF8')) AND s.expires_at > now();
SELECT e.starts_at, e.admission_rate FROM events e WHERE e.id = :event FOR KEY SHARE;
SELECT EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.event_id = :event AND w.status = 'waiting');
SELECT s.id AS seat, s.price_cents AS price FROM seats s WHERE s.id = (SELECT :first + nextval('bench_seat')) AND (s.event_id = :event) IS TRUE ORDER BY s.id FOR UPDATE \gset
INSERT INTO bookings (event_id, user_id, seat_count, total_cents) VALUES (:event, :uid, 1, :price) RETURNING id AS booking, created_at \gset
INSERT INTO booking_seats (booking_id, seat_id) VALUES (:booking, :seat);
UPDATE seats SET booking_id = :booking, hold_id = NULL, held_until = NULL WHERE id = :seat;
UPDATE event_seat_counts SET booked = booked + 1, version = version + 1 WHERE event_id = :event AND shard = pg_backend_pid() % 16;
INSERT INTO booking_stats AS t (event_id, day, shard, bookings, confirmed, seats_sold, revenue_cents) VALUES (:event, utc_day(now()), pg_backend_pid() % 16, 1, 1, 1, :price) ON CONFLICT (event_id, day, shard) DO UPDATE SET bookings = t.bookings + 1, confirmed = t.confirmed + 1, seats_sold = t.seats_sold + EXCLUDED.seats_sold, revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents;
SELECT booking_json(:booking)::text;
END;
