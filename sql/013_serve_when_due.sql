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
