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

-- 8. A freer looks once, under the lock. sql/017 looked twice: first
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
    PERFORM 1 FROM waitlist_entries w WHERE w.event_id = p_event AND w.status = 'waiting' LIMIT 1;
    IF NOT FOUND THEN
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

-- 9. Every read of waitlist_entries names one event, and after a few calls
--    PL/pgSQL plans it once for any event (a generic plan), sized for an
--    average event: the table's rows over its number of events. With a few
--    events holding long lists (the on-sale case: one sold-out event,
--    thousands waiting) that average is large, and the generic plans of
--    the probes ("is anyone waiting?", "has anyone joined since the last
--    pass?") became sequential scans that stop at the event's first row,
--    usually far down the table: 4 scans and 21,000 rows read per join
--    with 3,000 entries, and the same for every cancellation of an event
--    with anyone waiting. The planner is told to size an event as a few
--    entries, so that it keeps to the indexes led by the event (an event
--    with many entries still shows in the statistics' common values).
ALTER TABLE waitlist_entries ALTER COLUMN event_id SET (n_distinct = -0.5);
ANALYZE waitlist_entries;
