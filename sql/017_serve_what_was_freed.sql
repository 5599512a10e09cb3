-- A cancellation or a release serves the waitlist at the cost of the rows it
-- freed, not of the event, and without queueing behind the other freers.
--
-- After a full pass of waitlist_serve() no waiting entry can be met, and that
-- stays true until seats are freed, a hold expires or a new group head joins
-- (sql/013). When nothing but seats freed has changed since, an entry can be
-- met now only from a row that holds a freed seat: the other rows are as the
-- pass left them. So a writer that freed seats looks at its own rows: when
-- none of them has a run of free seats as long as a waiting entry of its
-- section (or of any section) asks for, nobody can be served and the pass is
-- skipped. Otherwise, or when anything else changed, the full pass runs as
-- before. Until now every cancellation of a sold-out event with people
-- waiting scanned the whole event for a block (the best-available hint is
-- void once a seat is freed), one at a time under the event's row lock.
--
-- Why skipping is safe with many freers at once:
-- - Against passes and joins: the skipping writer holds the event row FOR
--   SHARE until it commits, which every server's FOR NO KEY UPDATE (and a
--   join's) waits for, and it decides only once it holds it: a pass or join
--   that committed first is seen, one that comes later sees this freeing.
-- - Against each other: freers do not see each other's uncommitted seats.
--   So each freer takes an advisory lock on every seat it frees before it
--   locks the seats' rows, and a reader counts a taken seat whose lock
--   another transaction holds as free. A taken seat whose lock is free ends
--   the run, and the reader keeps a shared lock on it until it commits, so
--   whoever frees that seat later waits for it and then sees its seats. Of
--   two freers of one run, the later therefore sees the earlier's seats; a
--   run that might be long enough sends it to the full pass, whose lock
--   waits for every skipping freer to commit.
-- A freer that skipped counts its freeing as seen (freed_seen, in its own
-- counter shard, a row it already holds), so the next serve is not due for
-- it; a full pass compares the freeings not seen. The sweeper's freeings are
-- never seen: a pass is due after it, as before.

ALTER TABLE event_seat_counts ADD COLUMN freed_seen bigint NOT NULL DEFAULT 0;

-- As in sql/013, but a freeing that was seen to serve nobody leaves the pass
-- not due.
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
        v_due := true;
    END LOOP;

    -- Due? (The event row's lock, held by every server, orders these reads.)
    SELECT * INTO v_head FROM waitlist_heads h WHERE h.event_id = p_event;
    SELECT sum(c.freed - c.freed_seen) INTO v_freed FROM event_seat_counts c WHERE c.event_id = p_event;
    IF NOT v_due AND v_head.served_freed = v_freed
       AND NOT EXISTS (SELECT 1 FROM waitlist_entries w
                        WHERE w.event_id = p_event AND w.status = 'waiting'
                          AND w.seq > v_head.served_seq
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

-- Nobody waiting can be met from the rows of p_seats, seats of p_event this
-- transaction has freed: no run of free seats through one of them is as long
-- as a waiting entry of the row's section (or of any section) asks for (a
-- run of 10 or more counts as 10). With
-- p_see_freers, a taken seat that another transaction is freeing (it holds
-- the seat's advisory lock, see waitlist_lock_freed) counts as free; one that
-- nobody is freeing ends the run, and this transaction keeps a shared lock on
-- it until it commits, so whoever frees it later sees this freeing.
CREATE FUNCTION waitlist_rows_serve_nobody(p_event bigint, p_seats bigint[], p_now timestamptz,
                                           p_see_freers boolean)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_row     record;
    v_ids     bigint[];
    v_free    boolean[];
    v_mine    integer[];  -- where p_seats are in the row
    v_n       integer;
    v_i       integer;
    v_l       integer;
    v_r       integer;
    v_d       integer;
    v_j       integer;
    v_longest integer;
BEGIN
    -- Entries ask for 10 seats at most: a run through a freed seat that long
    -- lies within 9 seats of it, so only that much of each row is read.
    FOR v_row IN SELECT s.section_id, s.row, min(s.number) - 9 AS first, max(s.number) + 9 AS last
                   FROM seats s
                  WHERE s.id = ANY (p_seats) AND s.event_id = p_event
                  GROUP BY s.section_id, s.row LOOP
        SELECT array_agg(t.id ORDER BY t.number),
               array_agg(t.booking_id IS NULL AND (t.held_until IS NULL OR t.held_until <= p_now)
                         ORDER BY t.number),
               array_agg(t.n ORDER BY t.number) FILTER (WHERE t.id = ANY (p_seats))
          INTO v_ids, v_free, v_mine
          FROM (SELECT s.*, row_number() OVER (ORDER BY s.number)::integer AS n FROM seats s
                 WHERE s.event_id = p_event AND s.section_id = v_row.section_id
                   AND s.row = v_row.row AND s.number BETWEEN v_row.first AND v_row.last) t;
        v_n := cardinality(v_ids);
        v_longest := 0;
        v_r := 0;
        FOREACH v_i IN ARRAY v_mine LOOP
            CONTINUE WHEN v_i <= v_r;
            -- The run through seat v_i, v_l .. v_r: walked left, then right.
            -- (Trying a shared lock this transaction already holds succeeds
            -- again.)
            FOREACH v_d IN ARRAY ARRAY[-1, 1] LOOP
                v_j := v_i;
                WHILE v_j + v_d BETWEEN 1 AND v_n LOOP
                    IF NOT v_free[v_j + v_d] THEN
                        EXIT WHEN NOT p_see_freers;
                        EXIT WHEN pg_try_advisory_xact_lock_shared(v_ids[v_j + v_d]);
                        v_free[v_j + v_d] := true;  -- another transaction is freeing it
                    END IF;
                    v_j := v_j + v_d;
                END LOOP;
                IF v_d < 0 THEN
                    v_l := v_j;
                ELSE
                    v_r := v_j;
                END IF;
            END LOOP;
            v_longest := greatest(v_longest, v_r - v_l + 1);
        END LOOP;
        IF EXISTS (SELECT 1 FROM waitlist_entries w
                    WHERE w.event_id = p_event AND w.status = 'waiting'
                      AND w.quantity = ANY (ARRAY(SELECT generate_series(1, least(v_longest, 10))))
                      AND coalesce(w.section_id, 0) = ANY (ARRAY[0, v_row.section_id])) THEN
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;

-- A writer about to free p_seats takes their advisory locks (the key is the
-- seat's id; nothing else in Evently takes advisory locks), in id order,
-- before it locks their rows; it holds them until it commits.
CREATE FUNCTION waitlist_lock_freed(p_seats bigint[]) RETURNS void
LANGUAGE sql AS $$
    SELECT count(pg_advisory_xact_lock(x)) FROM (SELECT x FROM unnest(p_seats) x ORDER BY x) s
$$;

-- Nothing but this transaction's freeing of p_seats can have made an entry
-- servable: no other unseen freeing, no join since the last pass, no hold of
-- the event past its time, and nobody can be met from p_seats' rows.
CREATE FUNCTION waitlist_skip_due(p_event bigint, p_seats bigint[], p_see_freers boolean)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_head waitlist_heads;
    v_now  timestamptz := clock_timestamp();
BEGIN
    SELECT * INTO v_head FROM waitlist_heads h WHERE h.event_id = p_event;
    RETURN v_head.served_seq = v_head.last_seq
       AND v_head.served_freed = (SELECT sum(c.freed - c.freed_seen) - 1 FROM event_seat_counts c
                                   WHERE c.event_id = p_event)
       AND NOT EXISTS (SELECT 1 FROM holds h
                        WHERE h.event_id = p_event AND h.status = 'active' AND h.expires_at <= v_now)
       AND waitlist_rows_serve_nobody(p_event, p_seats, v_now, p_see_freers);
END
$$;

-- Serves the waitlist of p_event after this transaction freed p_seats (one
-- step of its counter shard's freed, under waitlist_lock_freed): skips the
-- pass when it can (see above), else serves in full.
CREATE FUNCTION waitlist_serve_freed(p_event bigint, p_seats bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM waitlist_entries w WHERE w.event_id = p_event AND w.status = 'waiting' LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- A first look without the lock decides which lock to take, so that a
    -- writer that will serve takes the servers' lock at once (two freers
    -- holding FOR SHARE could not both raise it to FOR NO KEY UPDATE). Only
    -- the second look, under the lock, decides a skip.
    IF waitlist_skip_due(p_event, p_seats, false) THEN
        PERFORM 1 FROM events e WHERE e.id = p_event FOR SHARE;
        IF waitlist_skip_due(p_event, p_seats, true) THEN
            UPDATE event_seat_counts c SET freed_seen = freed_seen + 1
             WHERE c.event_id = p_event AND c.shard = pg_backend_pid() % 16;
            RETURN;
        END IF;
    END IF;
    PERFORM waitlist_serve(p_event);
END
$$;

-- The two writers that free seats of their own, now telling which: as in
-- sql/006, but serving through waitlist_serve_freed().
CREATE OR REPLACE FUNCTION release_hold(p_user bigint, p_admin boolean, p_hold bigint,
                                        OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_hold  holds;
    v_seats bigint[];
BEGIN
    v_hold := lock_hold(p_user, p_admin, p_hold);
    IF v_hold.id IS NULL THEN
        o_status := 404;
        o_body := problem(404, 'hold_not_found', 'Hold not found');
        RETURN;
    END IF;
    IF v_hold.status = 'confirmed' THEN
        o_status := 409;
        o_body := problem(409, 'hold_confirmed', 'The hold was confirmed; cancel its booking instead');
        RETURN;
    END IF;
    IF v_hold.status = 'active' AND v_hold.expires_at > clock_timestamp() THEN
        v_seats := ARRAY(SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = p_hold);
        PERFORM waitlist_lock_freed(v_seats);
        PERFORM free_hold_seats(v_hold);
        UPDATE holds h SET status = 'released', ended_at = clock_timestamp() WHERE h.id = p_hold;
        -- A released offer: its entry is done, its seats go to the next.
        UPDATE waitlist_entries w SET status = 'expired' WHERE w.hold_id = p_hold AND w.status = 'offered';
        PERFORM waitlist_serve_freed(v_hold.event_id, v_seats);
    END IF;
    o_status := 200;
    o_body := hold_json(p_hold)::text;
END
$$;

CREATE OR REPLACE FUNCTION cancel_booking(p_user bigint, p_admin boolean, p_booking bigint,
                                          OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_booking   bookings;
    v_starts    timestamptz;
    v_cancelled timestamptz;
    v_seats     bigint[];
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
    IF v_starts <= clock_timestamp() THEN
        o_status := 409;
        o_body := problem(409, 'event_started', 'The event has already started');
        RETURN;
    END IF;

    v_seats := ARRAY(SELECT bs.seat_id FROM booking_seats bs WHERE bs.booking_id = p_booking);
    PERFORM waitlist_lock_freed(v_seats);
    PERFORM 1 FROM seats s WHERE s.id = ANY (v_seats) ORDER BY s.id FOR UPDATE;
    UPDATE seats s SET booking_id = NULL WHERE s.booking_id = p_booking AND s.id = ANY (v_seats);
    -- booking_seats.status follows by ON UPDATE CASCADE.
    UPDATE bookings b SET status = 'cancelled', cancelled_at = clock_timestamp()
     WHERE b.id = p_booking
    RETURNING b.cancelled_at INTO v_cancelled;
    UPDATE event_seat_counts c SET booked = booked - v_booking.seat_count, version = version + 1,
                                   freed = freed + 1
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
    PERFORM waitlist_serve_freed(v_booking.event_id, v_seats);
    o_status := 200;
    o_body := booking_json(p_booking)::text;
END
$$;
