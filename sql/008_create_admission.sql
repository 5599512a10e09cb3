-- Admission: a virtual waiting room in front of an on-sale. An event whose
-- admission is set is gated: positions are given in join order, each with an
-- admission time fixed at join by a leaky bucket, and POST /holds and POST
-- /bookings need an admission token (signed by the workers, checked without
-- the database: they pass p_admitted).
--
-- Lock order (extends 006): 1. the event row, FOR KEY SHARE; 2. the user
-- row, FOR NO KEY UPDATE (one position per user and event); then the
-- event's bucket row, last before commit, so that joins queue on it only
-- for the ticket's insert and the commit.

LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE events
    ADD COLUMN admission_opens_at timestamptz,
    ADD COLUMN admission_rate integer CHECK (admission_rate BETWEEN 1 AND 1000000),
    ADD CONSTRAINT events_admission_whole
        CHECK ((admission_opens_at IS NULL) = (admission_rate IS NULL));

-- One per gated event: the last position given and its admission time.
CREATE TABLE admission_buckets (
    event_id         bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    last_position    bigint NOT NULL,
    last_admitted_at timestamptz NOT NULL
);

-- A user's positions in an event's queue; a new one only once the last
-- one's token has expired.
CREATE TABLE queue_tickets (
    event_id    bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position    bigint NOT NULL CHECK (position >= 1),
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at   timestamptz NOT NULL,
    admitted_at timestamptz NOT NULL CHECK (admitted_at >= joined_at),
    PRIMARY KEY (event_id, position)
);
-- GET /events/{id}/queue: the caller's latest ticket, one index probe.
CREATE INDEX queue_tickets_by_user ON queue_tickets (event_id, user_id, position DESC)
    INCLUDE (admitted_at);

-- How long an admission token works from its admission time.
CREATE FUNCTION admission_token_seconds() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 900 $$;

CREATE OR REPLACE FUNCTION event_json(e events) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_held integer := held_seats(e.id);
BEGIN
    -- Booked seats: the sum of the event's counter shards; held seats: its
    -- unexpired active holds.
    RETURN json_build_object(
        'id', e.id, 'name', e.name, 'venue', e.venue, 'description', e.description,
        'starts_at', rfc3339(e.starts_at), 'capacity', e.capacity,
        'available_seats', e.capacity - b.booked - v_held, 'held_seats', v_held,
        'booked_seats', b.booked,
        'min_price_cents', e.min_price_cents, 'max_price_cents', e.max_price_cents,
        'hold_seconds', e.hold_seconds,
        'admission', CASE WHEN e.admission_rate IS NOT NULL THEN
                         json_build_object('opens_at', rfc3339(e.admission_opens_at),
                                           'rate_per_minute', e.admission_rate) END,
        'sections', (SELECT json_agg(json_build_object('name', s.name, 'rows', s.rows,
                                                       'seats_per_row', s.seats_per_row,
                                                       'price_cents', s.price_cents)
                                     ORDER BY s.position)
                       FROM sections s WHERE s.event_id = e.id),
        'created_at', rfc3339_exact(e.created_at), 'updated_at', rfc3339_exact(e.updated_at))
    FROM (SELECT coalesce(sum(c.booked), 0)::integer AS booked
            FROM event_seat_counts c WHERE c.event_id = e.id) b;
END
$$;

-- POST /events/{id}/queue: the caller's ticket (o_status 200), or a new
-- position at the back (201) when they have none or its token has expired.
-- o_status 404/409 are the contract's errors (o_code names them).
CREATE FUNCTION join_queue(p_user bigint, p_event bigint, OUT o_status integer, OUT o_code text,
                           OUT o_position bigint, OUT o_admitted_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_event events;
    v_now   timestamptz;
BEGIN
    SELECT * INTO v_event FROM events e WHERE e.id = p_event FOR KEY SHARE;
    IF NOT FOUND THEN
        o_status := 404; o_code := 'event_not_found';
        RETURN;
    END IF;
    v_now := clock_timestamp();
    IF v_event.starts_at <= v_now THEN
        o_status := 409; o_code := 'event_started';
        RETURN;
    ELSIF v_event.admission_rate IS NULL THEN
        o_status := 409; o_code := 'no_queue';
        RETURN;
    END IF;
    PERFORM 1 FROM users u WHERE u.id = p_user FOR NO KEY UPDATE;
    SELECT q.position, q.admitted_at INTO o_position, o_admitted_at
      FROM queue_tickets q WHERE q.event_id = p_event AND q.user_id = p_user
     ORDER BY q.position DESC LIMIT 1;
    IF FOUND AND o_admitted_at + make_interval(secs => admission_token_seconds()) > v_now THEN
        o_status := 200;
        RETURN;
    END IF;
    -- The leaky bucket: never before opens_at, never before the join,
    -- never closer than 60 / rate seconds to the previous position.
    INSERT INTO admission_buckets AS b (event_id, last_position, last_admitted_at)
    VALUES (p_event, 1, greatest(v_event.admission_opens_at, v_now))
    ON CONFLICT (event_id) DO UPDATE
       SET last_position = b.last_position + 1,
           last_admitted_at = greatest(v_event.admission_opens_at, v_now,
                                       b.last_admitted_at
                                       + make_interval(secs => 60.0 / v_event.admission_rate))
    RETURNING b.last_position, b.last_admitted_at INTO o_position, o_admitted_at;
    INSERT INTO queue_tickets (event_id, position, user_id, joined_at, admitted_at)
    VALUES (p_event, o_position, p_user, v_now, o_admitted_at);
    o_status := 201;
END
$$;

-- POST /holds and POST /bookings learn whether the caller showed a valid
-- admission token (p_admitted); a gated event refuses them without one, and
-- that answer is never kept for an Idempotency-Key.
DROP FUNCTION hold(bigint, bigint, bigint[], integer, text, text, text);
DROP FUNCTION book(bigint, bigint, bigint[], text, text);

-- Problem documents name 403 too.
CREATE OR REPLACE FUNCTION problem(p_status integer, p_code text, p_detail text,
                                   p_extra jsonb DEFAULT '{}')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (jsonb_build_object(
        'type', 'about:blank',
        'title', CASE p_status WHEN 400 THEN 'Bad Request' WHEN 403 THEN 'Forbidden'
                               WHEN 404 THEN 'Not Found' WHEN 409 THEN 'Conflict'
                               WHEN 422 THEN 'Unprocessable Content' ELSE 'Error' END,
        'status', p_status, 'code', p_code, 'detail', p_detail) || p_extra)::text
$$;

CREATE FUNCTION admission_required() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT problem(403, 'admission_required',
                   'This event is gated: join its queue and send the Admission-Token it gives')
$$;

-- POST /bookings. A seat in an active hold is unavailable, also to the
-- hold's owner: holds become bookings only by confirming them.
CREATE FUNCTION book(p_user bigint, p_event bigint, p_seats bigint[], p_admitted boolean,
                     p_key text, p_request text, OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_found   bigint[];
    v_taken   bigint[];
    v_invalid bigint[];
    v_total   bigint;
    v_booking bigint;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT c.o_status, c.o_body INTO o_status, o_body
          FROM idempotency_claim('booking', p_user, p_key, p_request) c;
        IF o_status IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;

    SELECT * INTO v_event FROM events e WHERE e.id = p_event FOR KEY SHARE;
    IF NOT FOUND THEN
        o_status := 404;
        o_body := problem(404, 'event_not_found', 'Event not found');
    ELSIF v_event.starts_at <= clock_timestamp() THEN
        o_status := 409;
        o_body := problem(409, 'event_started', 'The event has already started');
    ELSIF v_event.admission_rate IS NOT NULL AND NOT p_admitted THEN
        o_status := 403;
        o_body := admission_required();
    ELSE
        PERFORM waitlist_serve(p_event);
        SELECT array_agg(l.id ORDER BY l.id),
               array_agg(l.id ORDER BY l.id)
                   FILTER (WHERE l.booking_id IS NOT NULL OR l.held_until > clock_timestamp()),
               coalesce(sum(l.price_cents), 0)
          INTO v_found, v_taken, v_total
          FROM (SELECT s.id, s.booking_id, s.held_until, s.price_cents FROM seats s
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
            -- Two statements: booking_json (STABLE) sees what the statement
            -- before it wrote, not what its own statement writes.
            v_booking := record_booking(p_event, p_user, v_found, v_total);
            o_status := 201;
            o_body := booking_json(v_booking)::text;
        END IF;
    END IF;

    IF p_key IS NOT NULL THEN
        PERFORM idempotency_store('booking', p_user, p_key, nullif(o_status, 403), o_body);
    END IF;
END
$$;

-- POST /holds: these exact seats (p_seats) or the best p_quantity (in
-- p_section, a name). One call, one transaction.
CREATE FUNCTION hold(p_user bigint, p_event bigint, p_seats bigint[], p_quantity integer,
                     p_section text, p_admitted boolean, p_key text, p_request text,
                     OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_now     timestamptz;
    v_section bigint;
    v_found   bigint[];
    v_taken   bigint[];
    v_invalid bigint[];
    v_total   bigint;
    v_held    integer;
    v_hold    bigint;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT c.o_status, c.o_body INTO o_status, o_body
          FROM idempotency_claim('hold', p_user, p_key, p_request) c;
        IF o_status IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;

    <<decide>>
    BEGIN
        SELECT * INTO v_event FROM events e WHERE e.id = p_event FOR KEY SHARE;
        IF NOT FOUND THEN
            o_status := 404;
            o_body := problem(404, 'event_not_found', 'Event not found');
            EXIT decide;
        END IF;
        v_now := clock_timestamp();
        IF v_event.starts_at <= v_now THEN
            o_status := 409;
            o_body := problem(409, 'event_started', 'The event has already started');
            EXIT decide;
        END IF;
        IF v_event.admission_rate IS NOT NULL AND NOT p_admitted THEN
            o_status := 403;
            o_body := admission_required();
            EXIT decide;
        END IF;
        PERFORM waitlist_serve(p_event);
        IF p_quantity IS NOT NULL AND p_section IS NOT NULL THEN
            SELECT s.id INTO v_section FROM sections s
             WHERE s.event_id = p_event AND s.name = p_section;
            IF NOT FOUND THEN
                o_status := 400;
                o_body := problem(400, 'invalid_section', 'The event has no section of that name');
                EXIT decide;
            END IF;
        END IF;
        IF p_seats IS NOT NULL THEN
            v_invalid := ARRAY(SELECT x FROM unnest(p_seats) x
                                WHERE NOT EXISTS (SELECT 1 FROM seats s
                                                   WHERE s.id = x AND s.event_id = p_event)
                                ORDER BY x);
            IF cardinality(v_invalid) > 0 THEN
                o_status := 400;
                o_body := problem(400, 'invalid_seats',
                                  format('%s of the requested seats are not seats of this event',
                                         cardinality(v_invalid)),
                                  jsonb_build_object('invalid_seat_ids', v_invalid));
                EXIT decide;
            END IF;
        END IF;

        -- The per-user limit, counted under the user's lock so that two
        -- holds of one user cannot both pass it.
        PERFORM 1 FROM users u WHERE u.id = p_user FOR NO KEY UPDATE;
        SELECT coalesce(sum(h.seat_count), 0) INTO v_held FROM holds h
         WHERE h.user_id = p_user AND h.event_id = p_event AND h.status = 'active'
           AND h.expires_at > v_now;
        IF v_held + coalesce(cardinality(p_seats), p_quantity) > 10 THEN
            o_status := 409;
            o_body := problem(409, 'hold_limit_reached',
                              format('You already hold %s seats of this event; at most 10 may be held',
                                     v_held));
            EXIT decide;
        END IF;

        IF p_seats IS NOT NULL THEN
            SELECT array_agg(l.id ORDER BY l.id),
                   array_agg(l.id ORDER BY l.id)
                       FILTER (WHERE l.booking_id IS NOT NULL OR l.held_until > v_now)
              INTO v_found, v_taken
              FROM (SELECT s.id, s.booking_id, s.held_until FROM seats s
                     WHERE s.id = ANY (p_seats) AND s.event_id = p_event
                     ORDER BY s.id FOR UPDATE) l;
            IF v_taken IS NOT NULL THEN
                o_status := 409;
                o_body := problem(409, 'seat_unavailable',
                                  format('%s of the requested seats are already taken',
                                         cardinality(v_taken)),
                                  jsonb_build_object('unavailable_seat_ids', v_taken));
                EXIT decide;
            END IF;
        ELSE
            v_found := take_best_block(p_event, v_section, p_quantity, v_now);
            IF v_found IS NULL THEN
                o_status := 409;
                o_body := problem(409, 'not_enough_seats',
                                  format('No %s adjacent seats are available', p_quantity));
                EXIT decide;
            END IF;
        END IF;

        v_hold := create_hold(v_event, p_user, v_found);
        o_status := 201;
        o_body := hold_json(v_hold)::text;
    END;

    IF p_key IS NOT NULL THEN
        PERFORM idempotency_store('hold', p_user, p_key, nullif(o_status, 403), o_body);
    END IF;
END
$$;


-- Events are created with or without a gate.
CREATE FUNCTION create_event(p_name text, p_venue text, p_description text,
                             p_starts_at timestamptz, p_sections jsonb, p_hold_seconds integer,
                             p_opens_at timestamptz, p_rate integer)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_id    bigint := (create_event(p_name, p_venue, p_description, p_starts_at, p_sections,
                                    p_hold_seconds)->>'id')::bigint;
    v_event events;
BEGIN
    UPDATE events e SET admission_opens_at = p_opens_at, admission_rate = p_rate
     WHERE e.id = v_id
    RETURNING * INTO v_event;
    RETURN event_json(v_event);
END
$$;
