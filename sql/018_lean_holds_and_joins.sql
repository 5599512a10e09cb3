-- POST /holds and POST /holds/{id}/confirm in one round trip each, as sql/015
-- made POST /bookings, and the lookups that a new event's statistics sent
-- down the wrong index, led by the right one.
--
-- 1. hold(p_token, ...) takes the hash of the caller's bearer token and
--    checks the session itself: authentication and the hold are one round
--    trip. An unknown or expired session answers o_status 401 (no body; the
--    worker writes the contract's answer) before anything else; the worker
--    validates the body first and looks the session up on its own only when
--    the body is invalid, so the contract's order holds. The worker checks
--    an Admission-Token by its signature and passes the user it admits
--    (p_admitted_user); the gate opens only when that user is the session's.
--    The older hold(p_user, ...) does the rest, as before, for every caller.
-- 2. In hold(p_user, ...), the requested seats are found by their ids only,
--    with the event checked as a filter that no index can serve. For an
--    event created since the last ANALYZE the planner expects no seats, and
--    walked seats_place_key through all of the event's seats for each
--    requested id: 23 ms per hold on a new 100,000-seat event, against
--    0.06 ms by id. The invalid ids are worked out only when some are
--    missing.
-- 3. The user's held seats are summed from holds_active_by_user alone (the
--    event and the expiry are filters no index serves): the planner chose
--    holds_active_by_expiry, which reads every active hold of every event.
-- Everything else in hold(), and the check order, is as in sql/008. The
-- same trap is left in waitlist_serve()'s per-entry limit, which runs only
-- while an entry is being served.

CREATE OR REPLACE FUNCTION hold(p_user bigint, p_event bigint, p_seats bigint[], p_quantity integer,
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
        IF p_seats IS NOT NULL
           AND (SELECT count(*) FROM seats s
                 WHERE s.id = ANY (p_seats) AND (s.event_id = p_event) IS TRUE) < cardinality(p_seats) THEN
            v_invalid := ARRAY(SELECT x FROM unnest(p_seats) x
                                WHERE NOT EXISTS (SELECT 1 FROM seats s
                                                   WHERE s.id = x AND (s.event_id = p_event) IS TRUE)
                                ORDER BY x);
            o_status := 400;
            o_body := problem(400, 'invalid_seats',
                              format('%s of the requested seats are not seats of this event',
                                     cardinality(v_invalid)),
                              jsonb_build_object('invalid_seat_ids', v_invalid));
            EXIT decide;
        END IF;

        -- The per-user limit, counted under the user's lock so that two
        -- holds of one user cannot both pass it.
        PERFORM 1 FROM users u WHERE u.id = p_user FOR NO KEY UPDATE;
        SELECT coalesce(sum(h.seat_count), 0) INTO v_held FROM holds h
         WHERE h.user_id = p_user AND h.status = 'active'
           AND (h.event_id = p_event) IS TRUE AND (h.expires_at > v_now) IS TRUE;
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
                     WHERE s.id = ANY (p_seats) AND (s.event_id = p_event) IS TRUE
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

CREATE FUNCTION hold(p_token bytea, p_event bigint, p_seats bigint[], p_quantity integer,
                     p_section text, p_admitted_user bigint, p_key text, p_request text,
                     OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user bigint;
BEGIN
    SELECT s.user_id INTO v_user FROM sessions s WHERE s.token_hash = p_token AND s.expires_at > now();
    IF NOT FOUND THEN
        o_status := 401;
        RETURN;
    END IF;
    SELECT h.o_status, h.o_body INTO o_status, o_body
      FROM hold(v_user, p_event, p_seats, p_quantity, p_section, v_user = p_admitted_user,
                p_key, p_request) h;
END
$$;

-- 4. POST /holds/{id}/confirm in one round trip, the same way: the session
--    (and whether its user is an admin) is looked up here, 401 first.
CREATE FUNCTION confirm_hold(p_token bytea, p_hold bigint, OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user  bigint;
    v_admin boolean;
BEGIN
    SELECT u.id, u.role = 'admin' INTO v_user, v_admin
      FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = p_token AND s.expires_at > now();
    IF NOT FOUND THEN
        o_status := 401;
        RETURN;
    END IF;
    SELECT c.o_status, c.o_body INTO o_status, o_body FROM confirm_hold(v_user, v_admin, p_hold) c;
END
$$;

-- 5. A user's waiting or offered entry of an event is found through an
--    index led by the user. join_waitlist() looks for it twice (an ended
--    offer to close, an entry already there); with the event leading, the
--    planner walked waitlist_entries_seq_key through the event's whole
--    list for a new event (1,370 entries read for one check in a 5-second
--    run: a join's cost grew with the list) or waitlist_by_hold through
--    every entry that ever had an offer. The unique index that keeps one
--    such entry per user and event now leads with the user, and the checks
--    name the event as a filter no index serves: they read that user's
--    entries only. join_waitlist() is otherwise as in sql/009.
CREATE UNIQUE INDEX waitlist_one_per_user_event ON waitlist_entries (user_id, event_id)
    WHERE status IN ('waiting', 'offered');
DROP INDEX waitlist_one_per_user;

CREATE OR REPLACE FUNCTION join_waitlist(p_user bigint, p_event bigint, p_quantity integer, p_section text,
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

-- 6. A waiting entry's position counts the departed entries of its block of
--    1,024 on whichever side of it is shorter: those after it are the
--    block's departures (waitlist_departures, kept by waitlist_depart(),
--    the only way an entry stops waiting) less those before it. A new
--    entry, the last of its block, reads none: the join's answer no longer
--    reads up to 1,023 entries under the event's lock.
CREATE OR REPLACE FUNCTION waitlist_position(p_entry waitlist_entries) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT p_entry.seq
           - coalesce((SELECT sum(d.departed) FROM waitlist_departures d
                        WHERE d.event_id = p_entry.event_id AND d.block < waitlist_block(p_entry.seq)), 0)
           - CASE WHEN p_entry.seq % 1024 < 512 THEN
                 (SELECT count(*) FROM waitlist_entries w
                   WHERE w.event_id = p_entry.event_id AND w.status <> 'waiting'
                     AND w.seq >= waitlist_block(p_entry.seq) * 1024 AND w.seq < p_entry.seq)
             ELSE
                 coalesce((SELECT d.departed FROM waitlist_departures d
                            WHERE d.event_id = p_entry.event_id
                              AND d.block = waitlist_block(p_entry.seq)), 0)
                 - (SELECT count(*) FROM waitlist_entries w
                     WHERE w.event_id = p_entry.event_id AND w.status <> 'waiting'
                       AND w.seq > p_entry.seq AND w.seq < (waitlist_block(p_entry.seq) + 1) * 1024)
             END
$$;

-- 7. POST /events/{id}/waitlist in one round trip, as hold(p_token, ...).
CREATE FUNCTION join_waitlist(p_token bytea, p_event bigint, p_quantity integer, p_section text,
                              OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_user bigint;
BEGIN
    SELECT s.user_id INTO v_user FROM sessions s WHERE s.token_hash = p_token AND s.expires_at > now();
    IF NOT FOUND THEN
        o_status := 401;
        RETURN;
    END IF;
    SELECT j.o_status, j.o_body INTO o_status, o_body
      FROM join_waitlist(v_user, p_event, p_quantity, p_section) j;
END
$$;

-- 8. "Is anyone waiting for this event?" and "has anyone joined since the
--    last pass?" are asked by every write that takes or frees seats, and
--    after a few calls PL/pgSQL plans them once for any event (a generic
--    plan), sized for an average event: the table's rows over its number of
--    events. With a few events holding long lists (the on-sale case: one
--    sold-out event, thousands waiting) that average is large, and both
--    became sequential scans that stop at the event's first matching row,
--    usually far down the table or nowhere: 12 ms per booking, hold or
--    cancellation of any event while one event had 100,000 entries, and
--    21,000 rows read per join with 3,000. Each is now asked in an order an
--    index gives (waitlist_waiting_by_group for the first, the event's join
--    order for the second), which the planner reads from that index rather
--    than by scanning the table.
--    waitlist_serve_freed() (9, below), waitlist_serve() (as in sql/017)
--    and book(p_token, ...) (as in sql/015, below) ask them so.
CREATE FUNCTION waitlist_anyone_waiting(p_event bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT true FROM waitlist_entries w WHERE w.event_id = p_event AND w.status = 'waiting'
             ORDER BY w.event_id, w.quantity LIMIT 1) IS NOT NULL;
END
$$;

-- 9. A freer looks once, under the lock. sql/017 looked twice: first
--    without a lock, to choose between the skippers' FOR SHARE and the
--    servers' FOR NO KEY UPDATE (two freers holding FOR SHARE could not both
--    raise it), then again under FOR SHARE to decide. Each look sums the
--    event's counter shards, the rows every freer of the event is updating,
--    and the first look halved the rate of cancellations with people
--    waiting (400/s against 780/s with one look, 64 connections). Now the
--    freer takes FOR SHARE in a subtransaction and looks; when it cannot
--    skip, it rolls the subtransaction back, which lets go of FOR SHARE (and
--    of the shared seat locks of its look), and serves under the servers'
--    lock as before. waitlist_skip_due() is now always called to see
--    freers (its p_see_freers stays, true).
CREATE OR REPLACE FUNCTION waitlist_serve_freed(p_event bigint, p_seats bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_skip boolean;
BEGIN
    IF NOT waitlist_anyone_waiting(p_event) THEN
        RETURN;
    END IF;
    BEGIN
        PERFORM 1 FROM events e WHERE e.id = p_event FOR SHARE;
        v_skip := waitlist_skip_due(p_event, p_seats, true);
        IF NOT v_skip THEN
            RAISE EXCEPTION USING ERRCODE = 'EV002';  -- rolls back to let go of FOR SHARE
        END IF;
    EXCEPTION WHEN SQLSTATE 'EV002' THEN
        v_skip := false;
    END;
    IF v_skip THEN
        UPDATE event_seat_counts c SET freed_seen = freed_seen + 1
         WHERE c.event_id = p_event AND c.shard = pg_backend_pid() % 16;
        RETURN;
    END IF;
    PERFORM waitlist_serve(p_event);
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
                 WHERE h.user_id = v_entry.user_id AND h.event_id = p_event
                   AND h.status = 'active' AND h.expires_at > v_now;
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

CREATE OR REPLACE FUNCTION book(p_token bytea, p_event bigint, p_seats bigint[], p_admitted_user bigint,
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
           waitlist_anyone_waiting(e.id),
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
