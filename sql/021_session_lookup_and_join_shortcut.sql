-- Follow-ups to sql/018 (which stays as it landed):
--
-- 1. The three functions that check the caller's session themselves,
--    hold(p_token, ...), confirm_hold(p_token, ...) and
--    join_waitlist(p_token, ...), share signed_in(), the one lookup of a
--    live session's user.
-- 2. A join behind another of its group (same quantity and section), once
--    the waitlist pass before it has seen every earlier join, is marked seen
--    without the second pass that could serve nobody; the join reads
--    served_seq from its own upsert of the event's waitlist head.
--    join_waitlist(p_user, ...) is otherwise as in sql/018.
-- 3. waitlist_serve() sums a served entry's user's held seats from that
--    user's own holds (the event and the expiry are filters no index
--    serves), as hold() does since sql/018; it is otherwise as in sql/018.

-- The user of a live session, by the hash of its bearer token; a row of
-- NULLs when there is none. The three functions below that check the
-- caller's session themselves answer o_status 401 then.
CREATE FUNCTION signed_in(p_token bytea) RETURNS users
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_user users;
BEGIN
    SELECT u.* INTO v_user FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = p_token AND s.expires_at > now();
    RETURN v_user;
END
$$;

CREATE OR REPLACE FUNCTION hold(p_token bytea, p_event bigint, p_seats bigint[], p_quantity integer,
                     p_section text, p_admitted_user bigint, p_key text, p_request text,
                     OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user users := signed_in(p_token);
BEGIN
    IF v_user.id IS NULL THEN
        o_status := 401;
        RETURN;
    END IF;
    SELECT h.o_status, h.o_body INTO o_status, o_body
      FROM hold(v_user.id, p_event, p_seats, p_quantity, p_section, v_user.id = p_admitted_user,
                p_key, p_request) h;
END
$$;

CREATE OR REPLACE FUNCTION confirm_hold(p_token bytea, p_hold bigint, OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user users := signed_in(p_token);
BEGIN
    IF v_user.id IS NULL THEN
        o_status := 401;
        RETURN;
    END IF;
    SELECT c.o_status, c.o_body INTO o_status, o_body
      FROM confirm_hold(v_user.id, v_user.role = 'admin', p_hold) c;
END
$$;

CREATE OR REPLACE FUNCTION join_waitlist(p_user bigint, p_event bigint, p_quantity integer, p_section text,
                              OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_section bigint;
    v_seq     bigint;
    v_served  bigint;
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
     WHERE w.user_id = p_user AND (w.event_id = p_event) IS TRUE AND w.status = 'offered'
       AND h.id = w.hold_id
       AND (h.status <> 'active' OR h.expires_at <= clock_timestamp());
    -- Joins of one event queue on its row (above), so this check holds.
    PERFORM 1 FROM waitlist_entries w
     WHERE w.user_id = p_user AND (w.event_id = p_event) IS TRUE AND w.status IN ('waiting', 'offered');
    IF FOUND THEN
        o_status := 409;
        o_body := problem(409, 'already_waiting',
                          'You already have a waiting or offered entry for this event');
        RETURN;
    END IF;
    INSERT INTO waitlist_heads AS h (event_id, last_seq) VALUES (p_event, 1)
    ON CONFLICT (event_id) DO UPDATE SET last_seq = h.last_seq + 1
    RETURNING h.last_seq, h.served_seq INTO v_seq, v_served;
    INSERT INTO waitlist_entries (event_id, user_id, seq, quantity, section_id)
    VALUES (p_event, p_user, v_seq, p_quantity, v_section)
    RETURNING id INTO v_entry;
    -- An entry that can be met at once is answered offered. One that joins
    -- behind another of its group (same quantity and section) cannot be met
    -- now: when the pass above saw every join before this one, this join is
    -- marked seen without a second pass.
    IF v_served = v_seq - 1
       AND EXISTS (SELECT 1 FROM waitlist_entries w
                    WHERE w.event_id = p_event AND w.status = 'waiting' AND w.quantity = p_quantity
                      AND coalesce(w.section_id, 0) = coalesce(v_section, 0) AND w.seq < v_seq) THEN
        UPDATE waitlist_heads h SET served_seq = v_seq WHERE h.event_id = p_event;
    ELSE
        PERFORM waitlist_serve(p_event);
    END IF;
    o_status := 201;
    o_body := waitlist_json(v_entry)::text;
END
$$;

CREATE OR REPLACE FUNCTION join_waitlist(p_token bytea, p_event bigint, p_quantity integer, p_section text,
                              OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user users := signed_in(p_token);
BEGIN
    IF v_user.id IS NULL THEN
        o_status := 401;
        RETURN;
    END IF;
    SELECT j.o_status, j.o_body INTO o_status, o_body
      FROM join_waitlist(v_user.id, p_event, p_quantity, p_section) j;
END
$$;

CREATE OR REPLACE FUNCTION waitlist_serve(p_event bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_now     timestamptz;
    v_hold    holds;
    v_group   record;
    v_entry   waitlist_entries;
    v_held    integer;
    v_seats   bigint[];
    v_made    boolean;
    v_due     boolean := false;
    v_limited boolean := false;
    v_head    waitlist_heads;
    v_freed   bigint;
BEGIN
    IF NOT waitlist_anyone_waiting(p_event) THEN
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
        v_due := true;
    END LOOP;

    -- Due? (The event row's lock, held by every server, orders these reads.)
    SELECT * INTO v_head FROM waitlist_heads h WHERE h.event_id = p_event;
    SELECT sum(c.freed - c.freed_seen) INTO v_freed FROM event_seat_counts c WHERE c.event_id = p_event;
    IF NOT v_due AND v_head.served_freed = v_freed
       AND NOT EXISTS (SELECT 1 FROM (SELECT w.* FROM waitlist_entries w
                                       WHERE w.event_id = p_event AND w.seq > v_head.served_seq
                                       ORDER BY w.event_id, w.seq) w
                        WHERE w.status = 'waiting'
                          AND NOT EXISTS (SELECT 1 FROM waitlist_entries x
                                           WHERE x.event_id = p_event AND x.status = 'waiting'
                                             AND x.quantity = w.quantity
                                             AND coalesce(x.section_id, 0) = coalesce(w.section_id, 0)
                                             AND x.seq < w.seq)) THEN
        IF v_head.served_seq <> v_head.last_seq THEN
            UPDATE waitlist_heads h SET served_seq = h.last_seq WHERE h.event_id = p_event;
        END IF;
        RETURN;
    END IF;

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
                 WHERE h.user_id = v_entry.user_id AND h.status = 'active'
                   AND (h.event_id = p_event) IS TRUE AND (h.expires_at > v_now) IS TRUE;
                IF v_held + v_entry.quantity > 10 THEN
                    v_limited := true;
                    CONTINUE;
                END IF;
                v_seats := take_best_block(p_event, v_entry.section_id, v_entry.quantity, v_now);
                EXIT WHEN v_seats IS NULL;  -- nor can the rest of this group
                PERFORM waitlist_depart(v_entry, 'offered', create_hold(v_event, v_entry.user_id, v_seats));
                v_made := true;
                EXIT groups;
            END LOOP;
        END LOOP;
        EXIT WHEN NOT v_made;
    END LOOP;

    -- Offers take seats and free none: the freed sum read above still holds.
    UPDATE waitlist_heads h
       SET served_freed = CASE WHEN v_limited THEN NULL ELSE v_freed END,
           served_seq = CASE WHEN v_limited THEN NULL ELSE h.last_seq END
     WHERE h.event_id = p_event;
END
$$;
