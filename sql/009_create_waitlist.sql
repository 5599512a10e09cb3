-- Waitlist: sold-out events offer freed seats to the people waiting, in join
-- order, first fit. An offer is a hold (best available for the entry's
-- quantity and section, the event's hold_seconds) of the entry's user.
--
-- Serving happens in the transaction that frees seats (a cancellation, a
-- release) and, before anything else, in every write that can take seats
-- (POST /holds, POST /bookings, confirm, a join): waitlist_serve() first
-- turns the event's expired holds into freed seats, then offers. Expiry is
-- lazy, so no outsider can take a freed seat before the waiting entries
-- it can serve have had it. The offer maker (deploy/offers.cpp) serves the
-- same way when no request comes. Correctness never depends on it.
--
-- Lock order (extends 006 and 008): 1. the event row, FOR KEY SHARE, then
-- FOR NO KEY UPDATE while serving (servers of one event queue; bookings,
-- which take KEY SHARE, do not wait for them unless the event has waiting
-- entries); 2. hold rows, in expiry order; 3. seat rows, ascending id;
-- 4. counters. A rare deadlock with a writer that found no waiting entry an
-- instant before one joined is retried by the workers.

CREATE TABLE waitlist_entries (
    id         bigserial PRIMARY KEY,
    event_id   bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The entry's place in the event's join order, from 1 (see position).
    seq        bigint NOT NULL,
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    section_id bigint REFERENCES sections (id) ON DELETE CASCADE,
    status     text NOT NULL DEFAULT 'waiting'
               CHECK (status IN ('waiting', 'offered', 'fulfilled', 'expired', 'left')),
    -- The offer, once made (it stays, in its own status).
    hold_id    bigint REFERENCES holds (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (status NOT IN ('offered', 'fulfilled') OR hold_id IS NOT NULL),
    CHECK (status <> 'waiting' OR hold_id IS NULL),
    CONSTRAINT waitlist_entries_seq_key UNIQUE (event_id, seq)
);
-- One waiting or offered entry per user and event.
CREATE UNIQUE INDEX waitlist_one_per_user ON waitlist_entries (event_id, user_id)
    WHERE status IN ('waiting', 'offered');
-- Serving: entries grouped by what they ask for, each group in join order,
-- so that first fit reads only each group's head.
CREATE INDEX waitlist_waiting_by_group ON waitlist_entries
    (event_id, quantity, (coalesce(section_id, 0)), seq) WHERE status = 'waiting';
CREATE INDEX waitlist_by_hold ON waitlist_entries (hold_id) WHERE hold_id IS NOT NULL;

-- The event's join counter, and entries that stopped waiting counted by
-- blocks of 1024 join places, so that an entry's position is its place less
-- the departures before it: a sum over blocks and one block's entries, not
-- a count of the whole list.
CREATE TABLE waitlist_heads (
    event_id bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    last_seq bigint NOT NULL
);
CREATE TABLE waitlist_departures (
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    block    bigint NOT NULL,
    departed bigint NOT NULL,
    PRIMARY KEY (event_id, block)
);

CREATE FUNCTION waitlist_block(p_seq bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT p_seq / 1024 $$;

-- An entry stops waiting (offered or left): it no longer counts ahead of
-- anyone.
CREATE FUNCTION waitlist_depart(p_entry waitlist_entries, p_status text, p_hold bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE waitlist_entries w SET status = p_status, hold_id = coalesce(p_hold, w.hold_id)
     WHERE w.id = p_entry.id;
    INSERT INTO waitlist_departures AS d (event_id, block, departed)
    VALUES (p_entry.event_id, waitlist_block(p_entry.seq), 1)
    ON CONFLICT (event_id, block) DO UPDATE SET departed = d.departed + 1;
END
$$;

-- 1 for the first waiting entry of its event, and so on.
CREATE FUNCTION waitlist_position(p_entry waitlist_entries) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT p_entry.seq
           - coalesce((SELECT sum(d.departed) FROM waitlist_departures d
                        WHERE d.event_id = p_entry.event_id AND d.block < waitlist_block(p_entry.seq)), 0)
           - (SELECT count(*) FROM waitlist_entries w
               WHERE w.event_id = p_entry.event_id AND w.status <> 'waiting'
                 AND w.seq >= waitlist_block(p_entry.seq) * 1024 AND w.seq < p_entry.seq)
$$;

CREATE FUNCTION waitlist_json(p_entry bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_entry waitlist_entries;
    v_hold  json;
    v_state text;
BEGIN
    SELECT * INTO v_entry FROM waitlist_entries w WHERE w.id = p_entry;
    IF v_entry.hold_id IS NOT NULL THEN
        v_hold := hold_json(v_entry.hold_id);
    END IF;
    -- An offer reads as its hold does: confirmed is fulfilled, released or
    -- expired (exactly from its expires_at on) is expired.
    v_state := CASE WHEN v_entry.status <> 'offered' THEN v_entry.status
                    WHEN v_hold->>'status' = 'confirmed' THEN 'fulfilled'
                    WHEN v_hold->>'status' = 'active' THEN 'offered'
                    ELSE 'expired' END;
    RETURN json_build_object(
        'id', v_entry.id, 'event_id', v_entry.event_id, 'user_id', v_entry.user_id,
        'quantity', v_entry.quantity,
        'section', (SELECT s.name FROM sections s WHERE s.id = v_entry.section_id),
        'status', v_state,
        'position', CASE WHEN v_entry.status = 'waiting' THEN waitlist_position(v_entry) END,
        'hold', v_hold, 'created_at', rfc3339_exact(v_entry.created_at));
END
$$;

-- Serves an event's waiting entries: its expired holds give their seats back
-- (an expired offer's entry becomes expired), then each waiting entry in
-- join order that can be met gets an offer; one that cannot keeps its place.
-- First fit reads group heads only: an entry that cannot be met blocks the
-- later entries of its group (same quantity and section) unless it failed
-- on its user's 10-seat limit. Nothing to do costs one index probe.
CREATE FUNCTION waitlist_serve(p_event bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_event events;
    v_now   timestamptz;
    v_hold  holds;
    v_group record;
    v_entry waitlist_entries;
    v_held  integer;
    v_seats bigint[];
    v_made  boolean;
BEGIN
    PERFORM 1 FROM waitlist_entries w WHERE w.event_id = p_event AND w.status = 'waiting' LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO v_event FROM events e WHERE e.id = p_event FOR NO KEY UPDATE;
    v_now := clock_timestamp();
    IF NOT FOUND OR v_event.starts_at <= v_now THEN
        RETURN;  -- once the event has started no offers are made
    END IF;

    FOR v_hold IN SELECT * FROM holds h
                   WHERE h.event_id = p_event AND h.status = 'active' AND h.expires_at <= v_now
                   ORDER BY h.expires_at, h.id FOR UPDATE LOOP
        PERFORM 1 FROM seats s
          WHERE s.id IN (SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = v_hold.id)
          ORDER BY s.id FOR UPDATE;
        UPDATE seats s SET hold_id = NULL, held_until = NULL
         WHERE s.hold_id = v_hold.id
           AND s.id IN (SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = v_hold.id);
        UPDATE holds h SET status = 'expired' WHERE h.id = v_hold.id;
        UPDATE waitlist_entries w SET status = 'expired'
         WHERE w.hold_id = v_hold.id AND w.status = 'offered';
    END LOOP;

    LOOP
        v_made := false;
        <<groups>>
        FOR v_group IN
            WITH RECURSIVE g AS (
                (SELECT w.quantity, coalesce(w.section_id, 0) AS sk FROM waitlist_entries w
                  WHERE w.event_id = p_event AND w.status = 'waiting'
                  ORDER BY w.quantity, coalesce(w.section_id, 0) LIMIT 1)
                UNION ALL
                SELECT n.quantity, n.sk FROM g, LATERAL (
                    SELECT w.quantity, coalesce(w.section_id, 0) AS sk FROM waitlist_entries w
                     WHERE w.event_id = p_event AND w.status = 'waiting'
                       AND (w.quantity, coalesce(w.section_id, 0)) > (g.quantity, g.sk)
                     ORDER BY w.quantity, coalesce(w.section_id, 0) LIMIT 1) n)
            SELECT g.quantity, g.sk,
                   (SELECT min(w.seq) FROM waitlist_entries w
                     WHERE w.event_id = p_event AND w.status = 'waiting'
                       AND w.quantity = g.quantity AND coalesce(w.section_id, 0) = g.sk) AS head
              FROM g ORDER BY head
        LOOP
            FOR v_entry IN SELECT * FROM waitlist_entries w
                            WHERE w.event_id = p_event AND w.status = 'waiting'
                              AND w.quantity = v_group.quantity
                              AND coalesce(w.section_id, 0) = v_group.sk
                            ORDER BY w.seq LOOP
                SELECT coalesce(sum(h.seat_count), 0) INTO v_held FROM holds h
                 WHERE h.user_id = v_entry.user_id AND h.event_id = p_event
                   AND h.status = 'active' AND h.expires_at > v_now;
                CONTINUE WHEN v_held + v_entry.quantity > 10;
                v_seats := take_best_block(p_event, v_entry.section_id, v_entry.quantity, v_now);
                EXIT WHEN v_seats IS NULL;  -- nor can the rest of this group
                PERFORM waitlist_depart(v_entry, 'offered', create_hold(v_event, v_entry.user_id, v_seats));
                v_made := true;
                EXIT groups;
            END LOOP;
        END LOOP;
        EXIT WHEN NOT v_made;
    END LOOP;
END
$$;

-- POST /events/{id}/waitlist.
CREATE FUNCTION join_waitlist(p_user bigint, p_event bigint, p_quantity integer, p_section text,
                              OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_section bigint;
    v_seq     bigint;
    v_entry   bigint;
BEGIN
    SELECT * INTO v_event FROM events e WHERE e.id = p_event FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_status := 404;
        o_body := problem(404, 'event_not_found', 'Event not found');
        RETURN;
    END IF;
    IF v_event.starts_at <= clock_timestamp() THEN
        o_status := 409;
        o_body := problem(409, 'event_started', 'The event has already started');
        RETURN;
    END IF;
    IF p_section IS NOT NULL THEN
        SELECT s.id INTO v_section FROM sections s WHERE s.event_id = p_event AND s.name = p_section;
        IF NOT FOUND THEN
            o_status := 400;
            o_body := problem(400, 'invalid_section', 'The event has no section of that name');
            RETURN;
        END IF;
    END IF;
    -- Those ahead first; this user's ended offer no longer counts as one.
    PERFORM waitlist_serve(p_event);
    UPDATE waitlist_entries w
       SET status = CASE WHEN h.status = 'confirmed' THEN 'fulfilled' ELSE 'expired' END
      FROM holds h
     WHERE w.event_id = p_event AND w.user_id = p_user AND w.status = 'offered' AND h.id = w.hold_id
       AND (h.status <> 'active' OR h.expires_at <= clock_timestamp());
    -- Joins of one event queue on its row (above), so this check holds.
    PERFORM 1 FROM waitlist_entries w
     WHERE w.event_id = p_event AND w.user_id = p_user AND w.status IN ('waiting', 'offered');
    IF FOUND THEN
        o_status := 409;
        o_body := problem(409, 'already_waiting',
                          'You already have a waiting or offered entry for this event');
        RETURN;
    END IF;
    INSERT INTO waitlist_heads AS h (event_id, last_seq) VALUES (p_event, 1)
    ON CONFLICT (event_id) DO UPDATE SET last_seq = h.last_seq + 1
    RETURNING h.last_seq INTO v_seq;
    INSERT INTO waitlist_entries (event_id, user_id, seq, quantity, section_id)
    VALUES (p_event, p_user, v_seq, p_quantity, v_section)
    RETURNING id INTO v_entry;
    -- An entry that can be met at once is answered offered.
    PERFORM waitlist_serve(p_event);
    o_status := 201;
    o_body := waitlist_json(v_entry)::text;
END
$$;

-- DELETE /waitlist/{id}: the entry leaves; an outstanding offer is released
-- (its seats to the next entries). An entry no longer waiting or offered is
-- returned unchanged.
CREATE FUNCTION leave_waitlist(p_user bigint, p_admin boolean, p_entry bigint,
                               OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_entry waitlist_entries;
    v_hold  holds;
BEGIN
    SELECT * INTO v_entry FROM waitlist_entries w WHERE w.id = p_entry;
    IF NOT FOUND OR (v_entry.user_id <> p_user AND NOT p_admin) THEN
        o_status := 404;
        o_body := problem(404, 'waitlist_entry_not_found', 'Waitlist entry not found');
        RETURN;
    END IF;
    PERFORM 1 FROM events e WHERE e.id = v_entry.event_id FOR NO KEY UPDATE;
    SELECT * INTO v_entry FROM waitlist_entries w WHERE w.id = p_entry FOR UPDATE;
    IF v_entry.status = 'waiting' THEN
        PERFORM waitlist_depart(v_entry, 'left', NULL);
    ELSIF v_entry.status = 'offered' THEN
        SELECT * INTO v_hold FROM holds h WHERE h.id = v_entry.hold_id FOR UPDATE;
        IF v_hold.status = 'active' AND v_hold.expires_at > clock_timestamp() THEN
            PERFORM free_hold_seats(v_hold);
            UPDATE holds h SET status = 'released', ended_at = clock_timestamp() WHERE h.id = v_hold.id;
            UPDATE waitlist_entries w SET status = 'left' WHERE w.id = p_entry;
            PERFORM waitlist_serve(v_entry.event_id);
        ELSIF v_hold.status = 'confirmed' THEN
            UPDATE waitlist_entries w SET status = 'fulfilled' WHERE w.id = p_entry;
        ELSE
            UPDATE waitlist_entries w SET status = 'expired' WHERE w.id = p_entry;
        END IF;
    END IF;
    o_status := 200;
    o_body := waitlist_json(p_entry)::text;
END
$$;

-- The offer maker's round: every event with waiting entries is served.
-- Events being served by a request are skipped (that request serves them).
CREATE FUNCTION waitlist_serve_all() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_event bigint;
    v_count integer := 0;
BEGIN
    FOR v_event IN SELECT h.event_id FROM waitlist_heads h
                     JOIN events e ON e.id = h.event_id AND e.starts_at > now()
                    WHERE EXISTS (SELECT 1 FROM waitlist_entries w
                                   WHERE w.event_id = h.event_id AND w.status = 'waiting')
                    ORDER BY h.event_id LOOP
        PERFORM 1 FROM events e WHERE e.id = v_event FOR NO KEY UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        PERFORM waitlist_serve(v_event);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
