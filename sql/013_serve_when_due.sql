-- Cheaper holds and waitlist serving.
--
-- 1. A new hold no longer bumps a counter shard of its event: two holds whose
--    backends share a shard queued on it until commit. The seat map's tag
--    takes the event's newest hold id instead (one probe of a new index);
--    releases, confirmations, bookings and cancellations still move the
--    counters' version, and the next expiry is in the tag as before.
-- 2. Serving the waitlist runs its first-fit pass only when something can
--    have changed since the last pass of the event. After every pass no
--    waiting entry can be met (each that could was offered seats), and that
--    stays true until seats are freed (cancellations, releases, sweeps: the
--    counters' freed sum moves), a hold expires (the pass frees it first), an
--    entry joins at the head of its group (same quantity and section: one
--    behind another cannot be met either), or a user's hold count drops
--    (confirmations: a pass that skipped an entry for its user's 10-seat limit
--    leaves the next pass due). Writes that take seats therefore pay one
--    probe, not a pass, while a long list waits for seats that do not come.
-- 3. Best available skips the rows that have no run of free seats as long as
--    the block asked for, not only full rows: rows left with single seats
--    (stranded ones are the last to go) no longer make every later request
--    read them. The hint is kept per quantity: rows without a run of 4 may
--    still serve 2.

CREATE INDEX holds_by_event ON holds (event_id, id);

CREATE OR REPLACE FUNCTION seat_map_tag(p_event bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT v.version || '.' || coalesce((SELECT max(h.id) FROM holds h WHERE h.event_id = p_event), 0)
           || '.' || coalesce((SELECT (extract(epoch FROM min(h.expires_at)) * 1000000)::bigint
                                 FROM holds h
                                WHERE h.event_id = p_event AND h.status = 'active'
                                  AND h.expires_at > now()), 0)
      FROM (SELECT sum(version)::bigint AS version FROM event_seat_counts WHERE event_id = p_event) v
     WHERE v.version IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION create_hold(p_event events, p_user bigint, p_seats bigint[])
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_created timestamptz := clock_timestamp();
    v_expires timestamptz := v_created + make_interval(secs => p_event.hold_seconds);
    v_hold    bigint;
BEGIN
    INSERT INTO holds (event_id, user_id, seat_count, total_cents, created_at, expires_at)
    SELECT p_event.id, p_user, cardinality(p_seats), sum(s.price_cents), v_created, v_expires
      FROM seats s WHERE s.id = ANY (p_seats)
    RETURNING id INTO v_hold;
    INSERT INTO hold_seats (hold_id, seat_id) SELECT v_hold, unnest(p_seats);
    UPDATE seats SET hold_id = v_hold, held_until = v_expires WHERE id = ANY (p_seats);
    RETURN v_hold;
END
$$;

-- What the event's last full pass saw: the counters' freed sum and the last
-- join place. NULL: a pass is due.
ALTER TABLE waitlist_heads ADD COLUMN served_freed bigint, ADD COLUMN served_seq bigint;

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
    SELECT sum(c.freed) INTO v_freed FROM event_seat_counts c WHERE c.event_id = p_event;
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

-- The sweeper frees seats too: it says so in the counters (so that the next
-- serve of the event is due) and ends the offers it expires.
CREATE OR REPLACE FUNCTION sweep_holds(p_limit integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_hold  holds;
    v_count integer := 0;
BEGIN
    FOR v_hold IN SELECT * FROM holds h
                   WHERE h.status = 'active' AND h.expires_at <= clock_timestamp()
                   ORDER BY h.expires_at LIMIT p_limit LOOP
        PERFORM 1 FROM events e WHERE e.id = v_hold.event_id FOR KEY SHARE;
        SELECT * INTO v_hold FROM holds h
         WHERE h.id = v_hold.id AND h.status = 'active' FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        PERFORM free_hold_seats(v_hold);
        UPDATE holds h SET status = 'expired' WHERE h.id = v_hold.id;
        UPDATE waitlist_entries w SET status = 'expired'
         WHERE w.hold_id = v_hold.id AND w.status = 'offered';
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- Where a best-available scan for p_quantity seats may start: no row before
-- (position, row) — sections by position, then rows — had p_quantity free
-- seats side by side when the scan that wrote this started, no seat has been
-- freed since (freed is the sum of event_seat_counts.freed then), and none of
-- those rows' holds expires before `until`. Only a shortcut: a stale hint is
-- ignored. (It replaces best_start, which hinted past full rows only.)
CREATE TABLE best_starts (
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    position smallint NOT NULL,
    row      integer NOT NULL,
    freed    bigint NOT NULL,
    until    timestamptz NOT NULL,
    PRIMARY KEY (event_id, quantity)
);

CREATE FUNCTION remember_best_start(p_event bigint, p_quantity integer, p_position integer,
                                    p_row integer, p_freed bigint, p_until timestamptz)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO best_starts AS b (event_id, quantity, position, row, freed, until)
    VALUES (p_event, p_quantity, p_position, p_row, p_freed, p_until)
    ON CONFLICT (event_id, quantity) DO UPDATE
       SET position = EXCLUDED.position, row = EXCLUDED.row, freed = EXCLUDED.freed,
           until = EXCLUDED.until
     WHERE b.freed <= EXCLUDED.freed
$$;

CREATE OR REPLACE FUNCTION take_best_block(p_event bigint, p_section bigint, p_quantity integer,
                                p_now timestamptz)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_want     text := repeat('0', p_quantity);
    v_skip     bigint[] := '{}';
    v_wait     boolean := false;
    v_freed    bigint;
    v_hint     best_starts;
    v_from_pos integer := 0;
    v_from_row integer := 1;
    v_until    timestamptz := 'infinity';
    v_none     boolean := true;  -- no row so far has p_quantity free seats in a run
    v_has      boolean;
    v_sec      record;
    v_row      integer;
    v_status   text;
    v_ids      bigint[];
    v_expiry   timestamptz;
    v_n        integer;
    v_l        integer;
    v_r        integer;
    v_t        integer;
    v_at       integer;
    v_pos      integer;
    v_strands  boolean;
    v_dist     integer;
    v_best_at  integer;
    v_best_d   integer;
    v_fb_ids   bigint[];
    v_fb_at    integer;
    v_fb_d     integer;
    v_block    bigint[];
    v_locked   bigint[];
BEGIN
    SELECT sum(c.freed) INTO v_freed FROM event_seat_counts c WHERE c.event_id = p_event;
    SELECT * INTO v_hint FROM best_starts b WHERE b.event_id = p_event AND b.quantity = p_quantity;
    IF FOUND AND v_hint.freed = v_freed AND v_hint.until > p_now THEN
        v_from_pos := v_hint.position;
        v_from_row := v_hint.row;
        v_until := v_hint.until;
    END IF;
    LOOP  -- one pass; a second one waits for seats the first skipped
        v_fb_ids := NULL;
        FOR v_sec IN SELECT s.id, s.position, s.rows FROM sections s
                      WHERE s.event_id = p_event AND (p_section IS NULL OR s.id = p_section)
                        AND s.position >= v_from_pos
                      ORDER BY s.position LOOP
            v_row := CASE WHEN v_sec.position = v_from_pos THEN v_from_row ELSE 1 END;
            v_status := NULL;
            WHILE v_row <= v_sec.rows LOOP
              IF v_status IS NULL THEN
                SELECT string_agg(CASE WHEN t.booking_id IS NULL
                                            AND (t.held_until IS NULL OR t.held_until <= p_now)
                                            AND t.id <> ALL (v_skip)
                                       THEN '0' ELSE '1' END, '' ORDER BY t.number),
                       array_agg(t.id ORDER BY t.number),
                       min(t.held_until) FILTER (WHERE t.booking_id IS NULL AND t.held_until > p_now)
                  INTO v_status, v_ids, v_expiry
                  FROM seats t
                 WHERE t.event_id = p_event AND t.section_id = v_sec.id AND t.row = v_row;
                IF v_none AND p_section IS NULL AND NOT v_wait AND cardinality(v_skip) = 0 THEN
                    v_has := strpos(v_status, v_want) > 0;
                    IF NOT v_has THEN
                        -- Until one of its holds expires, no block here.
                        v_until := least(v_until, v_expiry);
                    ELSE
                        -- The first row with a block: later scans start here.
                        v_none := false;
                        IF (v_sec.position, v_row) > (v_from_pos, v_from_row) THEN
                            PERFORM remember_best_start(p_event, p_quantity, v_sec.position, v_row,
                                                        v_freed, v_until);
                        END IF;
                    END IF;
                END IF;
              END IF;
                -- The row's best non-stranding block and its best block at
                -- all, run by run of free seats: in a run L..R a block
                -- starting at a strands a seat exactly when a = L + 1 or
                -- a + q = R, so a few candidates per run decide.
                v_n := length(v_status);
                v_best_at := NULL;
                v_pos := 1;
                LOOP
                    v_l := strpos(substr(v_status, v_pos), '0');
                    EXIT WHEN v_l = 0;
                    v_l := v_pos + v_l - 1;
                    v_r := strpos(substr(v_status, v_l), '1');
                    v_r := CASE WHEN v_r = 0 THEN v_n ELSE v_l + v_r - 2 END;
                    IF v_r - v_l + 1 >= p_quantity THEN
                        -- Twice the row's centre, less the block's length:
                        -- a block at a is off the centre by |2a - v_t|.
                        v_t := v_n + 2 - p_quantity;
                        FOREACH v_at IN ARRAY ARRAY[v_l, v_r - p_quantity + 1, v_l + 2,
                                                    v_r - p_quantity - 1, v_t / 2, (v_t + 1) / 2,
                                                    v_t / 2 - 1, (v_t + 1) / 2 + 1, v_l + 1,
                                                    v_r - p_quantity] LOOP
                            CONTINUE WHEN v_at < v_l OR v_at > v_r - p_quantity + 1;
                            v_strands := v_at = v_l + 1 OR v_at + p_quantity = v_r;
                            v_dist := abs(2 * v_at - v_t);
                            IF NOT v_strands AND (v_best_at IS NULL OR v_dist < v_best_d
                                                  OR (v_dist = v_best_d AND v_at < v_best_at)) THEN
                                v_best_at := v_at;
                                v_best_d := v_dist;
                            ELSIF v_strands AND v_fb_ids IS NULL
                                  AND (v_fb_at IS NULL OR v_dist < v_fb_d
                                       OR (v_dist = v_fb_d AND v_at < v_fb_at)) THEN
                                v_fb_at := v_at;
                                v_fb_d := v_dist;
                            END IF;
                        END LOOP;
                    END IF;
                    EXIT WHEN v_r >= v_n;
                    v_pos := v_r + 1;
                END LOOP;
                IF v_best_at IS NULL AND v_fb_at IS NOT NULL AND v_fb_ids IS NULL THEN
                    -- The first row with any block: the fallback if no row
                    -- has a block that strands nothing.
                    v_fb_ids := v_ids[v_fb_at:v_fb_at + p_quantity - 1];
                END IF;
                v_fb_at := NULL;
                IF v_best_at IS NOT NULL THEN
                    v_block := v_ids[v_best_at:v_best_at + p_quantity - 1];
                    v_locked := lock_block(v_block, p_now, v_wait);
                    IF v_locked IS NOT NULL THEN
                        RETURN v_locked;
                    END IF;
                    -- Lost the race for it: the next best, in this row as
                    -- read (a seat taken since fails its lock the same way).
                    v_skip := v_skip || v_block;
                    v_status := overlay(v_status PLACING repeat('1', p_quantity)
                                        FROM v_best_at FOR p_quantity);
                    CONTINUE;
                END IF;
                v_row := v_row + 1;
                v_status := NULL;
            END LOOP;
        END LOOP;
        IF v_none AND p_section IS NULL AND NOT v_wait AND cardinality(v_skip) = 0 THEN
            -- No row has a block: later scans start past the end.
            v_none := false;
            PERFORM remember_best_start(p_event, p_quantity, 32767, 1, v_freed, v_until);
        END IF;
        IF v_fb_ids IS NOT NULL THEN
            v_locked := lock_block(v_fb_ids, p_now, v_wait);
            IF v_locked IS NOT NULL THEN
                RETURN v_locked;
            END IF;
            v_skip := v_skip || v_fb_ids;
            CONTINUE;
        END IF;
        EXIT WHEN v_wait OR cardinality(v_skip) = 0;
        v_wait := true;
        v_skip := '{}';
    END LOOP;
    RETURN NULL;
END
$$;

DROP FUNCTION remember_best_start(bigint, integer, integer, bigint, timestamptz);
DROP TABLE best_start;
