-- Booking and cancellation, each one call and one transaction.
--
-- Lock order, the same everywhere, so that no two of these ever deadlock:
--   1. the event row, FOR KEY SHARE (an event deletion waits for bookings in
--      flight, and they find it gone once it is deleted);
--   2. the booking row being cancelled, FOR UPDATE;
--   3. seat rows, FOR UPDATE, in ascending id order;
--   4. one counter shard of the event (chosen by backend, so concurrent
--      bookings of one event rarely share it);
--   5. booking_stats rows of that same shard, in ascending day order.

-- GET /bookings: newest first, paged by (created_at, id).
DROP INDEX bookings_by_user;
CREATE INDEX bookings_by_user_newest ON bookings (user_id, created_at DESC, id DESC);

-- Running totals for analytics, per event, UTC day and shard. Like the seat
-- counters they are split by backend so that a flash sale never queues on one
-- row. A day's row counts the bookings created that day (and how many of them
-- are still confirmed, with their seats and revenue) and the cancellations
-- made that day.
CREATE TABLE booking_stats (
    event_id      bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    day           date NOT NULL,
    shard         smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    bookings      integer NOT NULL DEFAULT 0,
    confirmed     integer NOT NULL DEFAULT 0,
    seats_sold    bigint NOT NULL DEFAULT 0,
    revenue_cents bigint NOT NULL DEFAULT 0,
    cancellations integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, day, shard)
);
-- Analytics windows read whole days from booking_stats, and the partial
-- days at a window's edges from bookings through these.
CREATE INDEX booking_stats_by_day ON booking_stats (day);
CREATE INDEX bookings_by_creation ON bookings (created_at)
    INCLUDE (event_id, status, seat_count, total_cents);
CREATE INDEX bookings_by_cancellation ON bookings (cancelled_at) INCLUDE (event_id)
    WHERE cancelled_at IS NOT NULL;

CREATE FUNCTION utc_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT (t AT TIME ZONE 'UTC')::date $$;

CREATE FUNCTION book(p_user bigint, p_event bigint, p_seats bigint[], p_key text, p_request text,
                     OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_starts  timestamptz;
    v_found   bigint[];
    v_taken   bigint[];
    v_invalid bigint[];
    v_total   bigint;
    v_booking bigint;
    v_created timestamptz;
    v_prev    idempotency_keys;
BEGIN
    IF p_key IS NOT NULL THEN
        -- A repeat racing the first request waits on this insert until the
        -- first commits, then replays its stored answer.
        INSERT INTO idempotency_keys (user_id, key, request_hash)
        VALUES (p_user, p_key, p_request)
        ON CONFLICT (user_id, key) DO NOTHING;
        IF FOUND THEN
            -- Keys are kept 24 hours; a user's new key clears their expired ones.
            DELETE FROM idempotency_keys k
             WHERE k.user_id = p_user AND k.created_at < now() - interval '24 hours';
        ELSE
            SELECT * INTO v_prev FROM idempotency_keys k
             WHERE k.user_id = p_user AND k.key = p_key FOR UPDATE;
            IF v_prev.created_at < now() - interval '24 hours' THEN
                -- Kept 24 hours; an older key starts afresh.
                UPDATE idempotency_keys k SET request_hash = p_request, status = NULL, body = NULL,
                                              created_at = now()
                 WHERE k.user_id = p_user AND k.key = p_key;
            ELSIF v_prev.request_hash <> p_request THEN
                o_status := 422;
                o_body := problem(422, 'idempotency_key_reused',
                                  'This Idempotency-Key was used with a different request');
                RETURN;
            ELSE
                o_status := v_prev.status;
                o_body := v_prev.body;
                RETURN;
            END IF;
        END IF;
    END IF;

    SELECT e.starts_at INTO v_starts FROM events e WHERE e.id = p_event FOR KEY SHARE;
    IF NOT FOUND THEN
        o_status := 404;
        o_body := problem(404, 'event_not_found', 'Event not found');
    ELSIF v_starts <= now() THEN
        o_status := 409;
        o_body := problem(409, 'event_started', 'The event has already started');
    ELSE
        SELECT array_agg(l.id ORDER BY l.id),
               array_agg(l.id ORDER BY l.id) FILTER (WHERE l.booking_id IS NOT NULL),
               coalesce(sum(l.price_cents), 0)
          INTO v_found, v_taken, v_total
          FROM (SELECT s.id, s.booking_id, s.price_cents FROM seats s
                 WHERE s.id = ANY (p_seats) AND s.event_id = p_event
                 ORDER BY s.id FOR UPDATE) l;
        v_invalid := ARRAY(SELECT x FROM unnest(p_seats) x
                            WHERE x <> ALL (coalesce(v_found, '{}')) ORDER BY x);
        IF cardinality(v_invalid) > 0 THEN
            o_status := 400;
            o_body := problem(400, 'invalid_seats',
                              format('%s of the requested seats are not seats of this event',
                                     cardinality(v_invalid)),
                              jsonb_build_object('invalid_seat_ids', v_invalid));
        ELSIF v_taken IS NOT NULL THEN
            o_status := 409;
            o_body := problem(409, 'seat_unavailable',
                              format('%s of the requested seats are already taken',
                                     cardinality(v_taken)),
                              jsonb_build_object('unavailable_seat_ids', v_taken));
        ELSE
            INSERT INTO bookings (event_id, user_id, seat_count, total_cents)
            VALUES (p_event, p_user, cardinality(v_found), v_total)
            RETURNING id, created_at INTO v_booking, v_created;
            INSERT INTO booking_seats (booking_id, seat_id) SELECT v_booking, unnest(v_found);
            UPDATE seats SET booking_id = v_booking WHERE id = ANY (v_found);
            UPDATE event_seat_counts SET booked = booked + cardinality(v_found), version = version + 1
             WHERE event_id = p_event AND shard = pg_backend_pid() % 16;
            INSERT INTO booking_stats AS t (event_id, day, shard, bookings, confirmed, seats_sold, revenue_cents)
            VALUES (p_event, utc_day(v_created), pg_backend_pid() % 16, 1, 1, cardinality(v_found), v_total)
            ON CONFLICT (event_id, day, shard) DO UPDATE
               SET bookings = t.bookings + 1, confirmed = t.confirmed + 1,
                   seats_sold = t.seats_sold + EXCLUDED.seats_sold,
                   revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents;
            o_status := 201;
            o_body := booking_json(v_booking)::text;
        END IF;
    END IF;

    IF p_key IS NOT NULL THEN
        UPDATE idempotency_keys k SET status = o_status, body = o_body
         WHERE k.user_id = p_user AND k.key = p_key;
    END IF;
END
$$;

-- Cancels a booking of p_user (any booking when p_admin). A cancelled
-- booking is returned unchanged.
CREATE FUNCTION cancel_booking(p_user bigint, p_admin boolean, p_booking bigint,
                               OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_booking   bookings;
    v_starts    timestamptz;
    v_cancelled timestamptz;
BEGIN
    SELECT * INTO v_booking FROM bookings b WHERE b.id = p_booking;
    IF NOT FOUND OR (v_booking.user_id <> p_user AND NOT p_admin) THEN
        o_status := 404;
        o_body := problem(404, 'booking_not_found', 'Booking not found');
        RETURN;
    END IF;
    IF v_booking.status = 'confirmed' THEN
        SELECT e.starts_at INTO v_starts FROM events e WHERE e.id = v_booking.event_id FOR KEY SHARE;
        SELECT * INTO v_booking FROM bookings b WHERE b.id = p_booking FOR UPDATE;
        IF NOT FOUND THEN  -- deleted with its event meanwhile
            o_status := 404;
            o_body := problem(404, 'booking_not_found', 'Booking not found');
            RETURN;
        END IF;
    END IF;
    IF v_booking.status = 'cancelled' THEN
        o_status := 200;
        o_body := booking_json(p_booking)::text;
        RETURN;
    END IF;
    IF v_starts <= now() THEN
        o_status := 409;
        o_body := problem(409, 'event_started', 'The event has already started');
        RETURN;
    END IF;

    PERFORM 1 FROM seats s
      WHERE s.id IN (SELECT bs.seat_id FROM booking_seats bs WHERE bs.booking_id = p_booking)
      ORDER BY s.id FOR UPDATE;
    UPDATE seats s SET booking_id = NULL
     WHERE s.booking_id = p_booking
       AND s.id IN (SELECT bs.seat_id FROM booking_seats bs WHERE bs.booking_id = p_booking);
    -- booking_seats.status follows by ON UPDATE CASCADE.
    UPDATE bookings b SET status = 'cancelled', cancelled_at = clock_timestamp()
     WHERE b.id = p_booking
    RETURNING b.cancelled_at INTO v_cancelled;
    UPDATE event_seat_counts c SET booked = booked - v_booking.seat_count, version = version + 1
     WHERE c.event_id = v_booking.event_id AND c.shard = pg_backend_pid() % 16;
    -- The creation day loses a confirmed booking; the cancellation day (never
    -- earlier, so the rows lock in day order) gains a cancellation.
    INSERT INTO booking_stats AS t (event_id, day, shard, confirmed, seats_sold, revenue_cents)
    VALUES (v_booking.event_id, utc_day(v_booking.created_at), pg_backend_pid() % 16,
            -1, -v_booking.seat_count, -v_booking.total_cents)
    ON CONFLICT (event_id, day, shard) DO UPDATE
       SET confirmed = t.confirmed - 1, seats_sold = t.seats_sold + EXCLUDED.seats_sold,
           revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents;
    INSERT INTO booking_stats AS t (event_id, day, shard, cancellations)
    VALUES (v_booking.event_id, utc_day(v_cancelled), pg_backend_pid() % 16, 1)
    ON CONFLICT (event_id, day, shard) DO UPDATE SET cancellations = t.cancellations + 1;
    o_status := 200;
    o_body := booking_json(p_booking)::text;
END
$$;
