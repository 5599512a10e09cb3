-- Server-side pieces of the API: JSON shapes built where the data lives, and
-- the multi-statement operations as single calls (one round trip each).

-- Short transactions only: JIT compilation costs more than it saves here.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = off', current_database()); END $$;

-- RFC 3339 in UTC, as given times are shown: fractional seconds only when
-- there are some.
CREATE FUNCTION rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC',
                   CASE WHEN extract(microseconds FROM t)::bigint % 1000000 = 0
                        THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
                        ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)
$$;

-- RFC 3339 in UTC, as recorded times are shown: always to the microsecond,
-- never rounded, so that clients can use them as exact bounds.
CREATE FUNCTION rfc3339_exact(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION problem(p_status integer, p_code text, p_detail text, p_extra jsonb DEFAULT '{}')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (jsonb_build_object(
        'type', 'about:blank',
        'title', CASE p_status WHEN 400 THEN 'Bad Request' WHEN 404 THEN 'Not Found'
                               WHEN 409 THEN 'Conflict' WHEN 422 THEN 'Unprocessable Content'
                               ELSE 'Error' END,
        'status', p_status, 'code', p_code, 'detail', p_detail) || p_extra)::text
$$;

CREATE FUNCTION user_json(u users) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', u.id, 'email', u.email, 'name', u.name, 'role', u.role,
                             'created_at', rfc3339_exact(u.created_at))
$$;

-- The JSON builders are PL/pgSQL, not SQL functions: a SQL function that
-- cannot be inlined is planned again in every statement that calls it, while
-- PL/pgSQL keeps its plans for the session.

CREATE FUNCTION event_json(e events) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- Booked seats: the sum of the event's counter shards.
    RETURN json_build_object(
        'id', e.id, 'name', e.name, 'venue', e.venue, 'description', e.description,
        'starts_at', rfc3339(e.starts_at), 'capacity', e.capacity,
        'available_seats', e.capacity - b.booked, 'booked_seats', b.booked,
        'min_price_cents', e.min_price_cents, 'max_price_cents', e.max_price_cents,
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

-- Creates an event, its sections and every seat (set-based: one INSERT for
-- all seats), and returns the event as JSON. p_sections is the validated
-- array [{name, rows, seats_per_row, price_cents}].
CREATE FUNCTION create_event(p_name text, p_venue text, p_description text,
                             p_starts_at timestamptz, p_sections jsonb)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_section record;
    v_created sections;
BEGIN
    INSERT INTO events (name, venue, description, starts_at, capacity, min_price_cents, max_price_cents)
    SELECT p_name, p_venue, p_description, p_starts_at,
           sum(x.rows * x.seats_per_row), min(x.price_cents), max(x.price_cents)
      FROM jsonb_to_recordset(p_sections) AS x(rows integer, seats_per_row integer, price_cents bigint)
    RETURNING * INTO v_event;

    -- Section by section, in the given order (the seat map's order), each
    -- with all its seats in one set-based INSERT.
    FOR v_section IN
        SELECT t.ord, t.item FROM jsonb_array_elements(p_sections) WITH ORDINALITY AS t(item, ord)
         ORDER BY t.ord
    LOOP
        INSERT INTO sections (event_id, position, name, rows, seats_per_row, price_cents)
        VALUES (v_event.id, v_section.ord - 1, v_section.item->>'name',
                (v_section.item->>'rows')::integer, (v_section.item->>'seats_per_row')::integer,
                (v_section.item->>'price_cents')::bigint)
        RETURNING * INTO v_created;
        INSERT INTO seats (event_id, section_id, row, number, price_cents)
        SELECT v_event.id, v_created.id, r, n, v_created.price_cents
          FROM generate_series(1, v_created.rows) r, generate_series(1, v_created.seats_per_row) n;
    END LOOP;

    INSERT INTO event_seat_counts (event_id, shard)
    SELECT v_event.id, g FROM generate_series(0, 15) g;

    RETURN event_json(v_event);
END
$$;

-- The seat-map version: grows with every booking or cancellation of the
-- event; NULL when the event does not exist.
CREATE FUNCTION seat_map_version(p_event bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT sum(version)::bigint FROM event_seat_counts WHERE event_id = p_event
$$;

-- Every seat's status in seat-map order (section, row, number): '1' booked,
-- '0' available. The worker renders the map over the event's layout.
CREATE FUNCTION seat_statuses(p_event bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(CASE WHEN booking_id IS NULL THEN '0' ELSE '1' END, ''
                               ORDER BY section_id, row, number), '')
      FROM seats WHERE event_id = p_event
$$;

CREATE FUNCTION booking_json(p_booking bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_build_object(
        'id', b.id, 'event_id', b.event_id, 'user_id', b.user_id, 'status', b.status,
        'seats', (SELECT json_agg(json_build_object('id', s.id, 'section', sec.name, 'row', s.row,
                                                    'number', s.number, 'price_cents', s.price_cents)
                                  ORDER BY s.id)
                    FROM booking_seats bs
                    JOIN seats s ON s.id = bs.seat_id
                    JOIN sections sec ON sec.id = s.section_id
                   WHERE bs.booking_id = b.id),
        'total_cents', b.total_cents, 'created_at', rfc3339_exact(b.created_at),
        'cancelled_at', rfc3339_exact(b.cancelled_at))
    FROM bookings b WHERE b.id = p_booking;
END
$$;
