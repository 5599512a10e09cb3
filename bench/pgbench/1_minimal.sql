-- The minimal booking transaction: lock the seat, insert the booking and its booking_seats row, claim the seat.
-- pgbench -D event=<id> -D first=<its first seat id> -D min_user= -D max_user= (bench users
-- with known tokens); sequence bench_seat hands every transaction a seat of its own.
\set uid random(:min_user, :max_user)
BEGIN;
SELECT s.id AS seat, s.price_cents AS price FROM seats s WHERE s.id = (SELECT :first + nextval('bench_seat')) AND (s.event_id = :event) IS TRUE ORDER BY s.id FOR UPDATE \gset
INSERT INTO bookings (event_id, user_id, seat_count, total_cents) VALUES (:event, :uid, 1, :price) RETURNING id AS booking, created_at \gset
INSERT INTO booking_seats (booking_id, seat_id) VALUES (:booking, :seat);
UPDATE seats SET booking_id = :booking, hold_id = NULL, held_until = NULL WHERE id = :seat;
END;
