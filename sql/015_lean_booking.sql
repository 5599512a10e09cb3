-- The booking path, leaner: POST /bookings is one statement, and book() does
-- fewer statements for the same guarantees. Each statement's cost was
-- measured with pgbench (bench/statements, bench/pgbench/*.sql; the table is
-- in bench/RESULTS.md, "The booking path, statement by statement").
--
-- 1. book(p_token, ...) takes the hash of the caller's bearer token and
--    checks the session itself: authentication and booking are one round
--    trip. An unknown or expired session answers o_status 401 (no body; the
--    worker writes the contract's answer) before anything else, so the
--    contract's order holds: 401, then validation (in the worker, which
--    looks the session up on its own only when the body is invalid), then
--    the rules below. The worker checks an Admission-Token by its signature
--    and passes the user it admits (p_admitted_user); the gate opens only
--    when that user is the session's.
-- 2. The same guarantees in fewer statements:
--    - the session, the event, the waitlist's probe (is anyone waiting?) and
--      the requested seats' state are one read, without a lock; every
--      refusal (404, 409 event_started, 403, 400 invalid_seats, 409
--      seat_unavailable for a seat booked or held as of that read) is
--      answered from it, taking no lock and writing nothing, so a refusal
--      commits no transaction id and never waits for a WAL flush (the hot
--      seats of an on-sale: nearly every request is one); waitlist_serve()
--      is called only when someone is waiting;
--    - a booking then locks the event row (FOR KEY SHARE, step 1 of the
--      lock order) and the seats (FOR UPDATE, ascending id) and decides
--      again: the seats are checked, summed and rendered as the Booking's
--      seats in that one locking statement, so the answer is built from
--      what the booking wrote, without booking_json() reading it back (the
--      same builders, so the same text);
--    - the seats are found by their ids only: the event is checked as a
--      filter that no index can serve, since the planner would otherwise
--      walk seats_place_key through all of a new event's seats (an event
--      created since the last ANALYZE is estimated to have none) and keep
--      that plan;
--    - the ids that are not seats of the event are worked out only when
--      some are missing;
--    - the counter shard is chosen among those nobody holds (counter_shard
--      below), so that bookings of one event do not queue on a shard's row
--      lock, held until commit;
--    - the booking, its booking_seats, the seats' claim, the counter shard
--      and the analytics totals (booking_stats, whose trigger keeps the
--      roll-ups) are written by one statement of data-modifying CTEs, in the
--      lock order of sql/003 and sql/006: the seats and (mostly) the counter
--      shard are locked already, and booking_stats reads the counter
--      shard's CTE, so the shard is locked before booking_stats (the
--      roll-ups follow in its trigger, at the end of the statement). Every constraint of sql/001 and sql/006 still
--      checks them.
--    Idempotency keys are claimed and stored as before (only when a key is
--    given). The older book(p_user, ...) stays for any caller of it.

-- Counter shards that open when an event is busy. Every event has the 16
-- shards 0..15; a booking that finds all of them held by transactions in
-- flight opens one more of its own (16..63, by backend), so that bookings
-- of a busy event no longer queue behind one another's commits. Readers sum
-- whatever shards there are, as before; quiet events keep 16. booking_stats
-- and its roll-ups are sharded like the counter that guards them.
ALTER TABLE event_seat_counts DROP CONSTRAINT event_seat_counts_shard_check,
    ADD CONSTRAINT event_seat_counts_shard_check CHECK (shard BETWEEN 0 AND 63);
ALTER TABLE booking_stats DROP CONSTRAINT booking_stats_shard_check,
    ADD CONSTRAINT booking_stats_shard_check CHECK (shard BETWEEN 0 AND 63);
ALTER TABLE stats_per_event DROP CONSTRAINT stats_per_event_shard_check,
    ADD CONSTRAINT stats_per_event_shard_check CHECK (shard BETWEEN 0 AND 63);
ALTER TABLE stats_per_day DROP CONSTRAINT stats_per_day_shard_check,
    ADD CONSTRAINT stats_per_day_shard_check CHECK (shard BETWEEN 0 AND 63);

-- The counter shard a booking of the event writes, locked (step 4 of the
-- lock order): the backend's own (pg_backend_pid() % 16, as every other
-- writer) unless a transaction in flight holds it, then any of the event's
-- shards that nobody holds, and when every one is held, the backend's own
-- extra shard (16 + pg_backend_pid() % 48), opened if need be. A shard's
-- row stays locked until commit, and so do the booking_stats and roll-up
-- rows of that shard that follow it.
CREATE FUNCTION counter_shard(p_event bigint) RETURNS smallint
LANGUAGE plpgsql AS $$
DECLARE
    v_shard smallint;
BEGIN
    SELECT c.shard INTO v_shard FROM event_seat_counts c
     WHERE c.event_id = p_event
     ORDER BY c.shard <> pg_backend_pid() % 16, c.shard
       FOR UPDATE SKIP LOCKED LIMIT 1;
    IF NOT FOUND THEN
        v_shard := 16 + pg_backend_pid() % 48;
        -- Waits only for a backend that opens the same shard at this instant.
        INSERT INTO event_seat_counts (event_id, shard) VALUES (p_event, v_shard)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN v_shard;
END
$$;

CREATE FUNCTION book(p_token bytea, p_event bigint, p_seats bigint[], p_admitted_user bigint,
                     p_key text, p_request text, OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user    bigint;
    v_exists  boolean;
    v_starts  timestamptz;
    v_gated   boolean;
    v_waiting boolean;
    v_count   integer;
    v_found   bigint[];
    v_taken   bigint[];
    v_invalid bigint[];
    v_total   bigint;
    v_seats   json;
    v_booking bigint;
    v_created timestamptz;
    v_shard   smallint;
BEGIN
    -- The session, the event, whether anyone waits for it, and the seats'
    -- state, read without a lock: every refusal below is decided from this
    -- one read, with no lock taken and nothing written (a refused booking
    -- commits no transaction id, so it never waits for a WAL flush).
    SELECT s.user_id, e.id IS NOT NULL, e.starts_at, e.admission_rate IS NOT NULL,
           EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.event_id = e.id AND w.status = 'waiting'),
           l.n, l.taken
      INTO v_user, v_exists, v_starts, v_gated, v_waiting, v_count, v_taken
      FROM sessions s
      LEFT JOIN events e ON e.id = p_event
      LEFT JOIN LATERAL (
          SELECT count(*)::integer AS n,
                 array_agg(x.id ORDER BY x.id)
                     FILTER (WHERE x.booking_id IS NOT NULL OR x.held_until > clock_timestamp()) AS taken
            FROM seats x
           WHERE x.id = ANY (p_seats) AND (x.event_id = e.id) IS TRUE) l ON true
     WHERE s.token_hash = p_token AND s.expires_at > now();
    IF NOT FOUND THEN
        o_status := 401;
        RETURN;
    END IF;

    IF p_key IS NOT NULL THEN
        SELECT c.o_status, c.o_body INTO o_status, o_body
          FROM idempotency_claim('booking', v_user, p_key, p_request) c;
        IF o_status IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;

    <<decide>>
    BEGIN
        IF NOT v_exists THEN
            o_status := 404;
            o_body := problem(404, 'event_not_found', 'Event not found');
            EXIT decide;
        ELSIF v_starts <= clock_timestamp() THEN
            o_status := 409;
            o_body := problem(409, 'event_started', 'The event has already started');
            EXIT decide;
        ELSIF v_gated AND v_user IS DISTINCT FROM p_admitted_user THEN
            o_status := 403;
            o_body := admission_required();
            EXIT decide;
        ELSIF v_count < cardinality(p_seats) THEN
            -- A seat never changes events: no lock is needed to say so.
            v_invalid := ARRAY(SELECT x FROM unnest(p_seats) x
                                WHERE NOT EXISTS (SELECT 1 FROM seats s
                                                   WHERE s.id = x AND s.event_id = p_event)
                                ORDER BY x);
            o_status := 400;
            o_body := problem(400, 'invalid_seats',
                              format('%s of the requested seats are not seats of this event',
                                     cardinality(v_invalid)),
                              jsonb_build_object('invalid_seat_ids', v_invalid));
            EXIT decide;
        ELSIF v_taken IS NOT NULL THEN
            -- Booked or held by a committed transaction as of this read.
            o_status := 409;
            o_body := problem(409, 'seat_unavailable',
                              format('%s of the requested seats are already taken',
                                     cardinality(v_taken)),
                              jsonb_build_object('unavailable_seat_ids', v_taken));
            EXIT decide;
        END IF;

        -- The seats looked free: lock and decide again (lock order: the
        -- event row, then the seats in ascending id order).
        PERFORM 1 FROM events e WHERE e.id = p_event FOR KEY SHARE;
        IF NOT FOUND THEN  -- deleted meanwhile
            o_status := 404;
            o_body := problem(404, 'event_not_found', 'Event not found');
            EXIT decide;
        END IF;
        IF v_waiting THEN
            -- Freed seats go to the waitlist before anyone books them.
            PERFORM waitlist_serve(p_event);
        END IF;
        SELECT array_agg(l.id ORDER BY l.id),
               array_agg(l.id ORDER BY l.id)
                   FILTER (WHERE l.booking_id IS NOT NULL OR l.held_until > clock_timestamp()),
               coalesce(sum(l.price_cents), 0),
               json_agg(json_build_object('id', l.id, 'section', l.section, 'row', l.row,
                                          'number', l.number, 'price_cents', l.price_cents)
                        ORDER BY l.id)
          INTO v_found, v_taken, v_total, v_seats
          FROM (SELECT s.id, s.booking_id, s.held_until, s.price_cents, s.row, s.number,
                       (SELECT sec.name FROM sections sec WHERE sec.id = s.section_id) AS section
                  FROM seats s
                 WHERE s.id = ANY (p_seats) AND (s.event_id = p_event) IS TRUE
                 ORDER BY s.id FOR UPDATE) l;
        IF coalesce(cardinality(v_found), 0) < cardinality(p_seats) THEN  -- deleted meanwhile
            o_status := 404;
            o_body := problem(404, 'event_not_found', 'Event not found');
            EXIT decide;
        ELSIF v_taken IS NOT NULL THEN
            o_status := 409;
            o_body := problem(409, 'seat_unavailable',
                              format('%s of the requested seats are already taken',
                                     cardinality(v_taken)),
                              jsonb_build_object('unavailable_seat_ids', v_taken));
            EXIT decide;
        END IF;

        -- Its own statement: the one below must see a shard it opens.
        v_shard := counter_shard(p_event);
        -- The sub-statements run in this order: the booking (the main
        -- query reads it), the claim and booking_seats, then the counter
        -- shard and booking_stats (which reads the counter's CTE, so
        -- that the lock order holds if the shard must be waited for).
        WITH b AS (
            INSERT INTO bookings (event_id, user_id, seat_count, total_cents)
            VALUES (p_event, v_user, cardinality(v_found), v_total)
            RETURNING id, created_at
        ), counts AS (
            UPDATE event_seat_counts c
               SET booked = c.booked + cardinality(v_found), version = c.version + 1
             WHERE c.event_id = p_event AND c.shard = v_shard
            RETURNING c.shard
        ), stats AS (
            INSERT INTO booking_stats AS t (event_id, day, shard, bookings, confirmed,
                                            seats_sold, revenue_cents)
            SELECT p_event, utc_day(b.created_at), counts.shard, 1, 1, cardinality(v_found),
                   v_total
              FROM b, counts
            ON CONFLICT (event_id, day, shard) DO UPDATE
               SET bookings = t.bookings + 1, confirmed = t.confirmed + 1,
                   seats_sold = t.seats_sold + EXCLUDED.seats_sold,
                   revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents
        ), bs AS (
            INSERT INTO booking_seats (booking_id, seat_id)
            SELECT b.id, unnest(v_found) FROM b
        ), claim AS (
            UPDATE seats s SET booking_id = b.id, hold_id = NULL, held_until = NULL
              FROM b WHERE s.id = ANY (v_found)
        )
        SELECT b.id, b.created_at INTO v_booking, v_created FROM b;
        o_status := 201;
        -- booking_json()'s document, from what was just written.
        o_body := json_build_object(
            'id', v_booking, 'event_id', p_event, 'user_id', v_user, 'status', 'confirmed',
            'seats', v_seats, 'total_cents', v_total, 'created_at', rfc3339_exact(v_created),
            'cancelled_at', NULL)::text;
    END;

    IF p_key IS NOT NULL THEN
        PERFORM idempotency_store('booking', v_user, p_key, nullif(o_status, 403), o_body);
    END IF;
END
$$;
