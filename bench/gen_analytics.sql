-- Analytics volume for bench/run: 1,000 events of 1,000 seats and one
-- booking per seat (1,000,000 bookings, a tenth of them cancelled), spread
-- over the last 60 days and over the bench users. Set-based; idempotent (does
-- nothing when the events exist). `-v events=N` makes it N events (N x 1,000
-- bookings): only the events missing up to N are added, with their bookings,
-- so a larger volume can be grown in steps of one transaction each.
\set ON_ERROR_STOP on
\if :{?events}
\else
\set events 1000
\endif
SELECT count(*) AS have, coalesce(max(id), 0) AS last_id, count(*) < :events AS fresh
  FROM events WHERE venue = 'Analytics Hall' \gset
\if :fresh
SELECT count(create_event('Analytics Show ' || g, 'Analytics Hall', '', now() + interval '90 days',
                          '[{"name":"Main","rows":10,"seats_per_row":100,"price_cents":2500}]', 600))
  FROM generate_series(:have + 1, :events) g;

CREATE TEMP TABLE gen AS
SELECT s.id AS seat_id, s.event_id, s.price_cents, nextval('bookings_id_seq') AS booking_id,
       (SELECT min(id) FROM users WHERE email LIKE 'bench%@bench.invalid') + (s.id % 2000) AS user_id,
       now() - random() * interval '60 days' AS created_at,
       random() < 0.1 AS cancelled
  FROM seats s JOIN events e ON e.id = s.event_id
 WHERE e.venue = 'Analytics Hall' AND e.id > :last_id;

INSERT INTO bookings (id, event_id, user_id, status, seat_count, total_cents, created_at, cancelled_at)
SELECT booking_id, event_id, user_id, CASE WHEN cancelled THEN 'cancelled' ELSE 'confirmed' END, 1,
       price_cents, created_at,
       CASE WHEN cancelled THEN created_at + random() * (now() - created_at) END
  FROM gen;
INSERT INTO booking_seats (booking_id, seat_id, status)
SELECT booking_id, seat_id, CASE WHEN cancelled THEN 'cancelled' ELSE 'confirmed' END FROM gen;
UPDATE seats s SET booking_id = g.booking_id FROM gen g WHERE s.id = g.seat_id AND NOT g.cancelled;
UPDATE event_seat_counts c SET booked = x.n, version = version + 1
  FROM (SELECT event_id, count(*) AS n FROM gen WHERE NOT cancelled GROUP BY event_id) x
 WHERE c.event_id = x.event_id AND c.shard = 0;

-- The running totals, as book() and cancel_booking() would have kept them.
INSERT INTO booking_stats (event_id, day, shard, bookings, confirmed, seats_sold, revenue_cents, cancellations)
SELECT event_id, day, 0, sum(bookings), sum(confirmed), sum(seats), sum(revenue), sum(cancellations)
  FROM (SELECT b.event_id, utc_day(b.created_at) AS day, 1 AS bookings,
               (b.status = 'confirmed')::int AS confirmed,
               CASE WHEN b.status = 'confirmed' THEN b.seat_count ELSE 0 END AS seats,
               CASE WHEN b.status = 'confirmed' THEN b.total_cents ELSE 0 END AS revenue,
               0 AS cancellations
          FROM bookings b JOIN gen g ON g.booking_id = b.id
        UNION ALL
        SELECT b.event_id, utc_day(b.cancelled_at), 0, 0, 0, 0, 1
          FROM bookings b JOIN gen g ON g.booking_id = b.id WHERE b.cancelled_at IS NOT NULL) f
 GROUP BY event_id, day;
ANALYZE;
\endif
