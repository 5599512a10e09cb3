-- Best available locks its candidate blocks in the transaction itself.
--
-- lock_block (sql/006) tried each candidate in a subtransaction, so that a
-- block it got only part of was let go at once. Under an on-sale that made
-- every race cost three times over: each lost attempt assigned a
-- subtransaction id; the seats it did lock carried that id, so every other
-- request reading the row looked it up in pg_subtrans to learn whether its
-- transaction was still running; and the winner's own update of seats it
-- had locked in a subtransaction made a MultiXact of each. Measured on a
-- 100,000-seat event at 64 connections: 7.2 ms of take_best_block's own time
-- per call and 1.7 ms per create_hold, against 0.4 ms for a hold of exact
-- seats.
--
-- Now a block is locked FOR UPDATE (SKIP LOCKED in the first pass) by the
-- transaction itself. A block got only in part is refused as before, and
-- the seats of it that were locked stay locked until the transaction ends:
-- other requests skip them in their first pass (they seem taken) and wait
-- for them in their second, then find them free. So nothing is sold twice
-- (the lock and the recheck of every seat decide, as before) and no request
-- gets a spurious not_enough_seats.
CREATE OR REPLACE FUNCTION lock_block(p_block bigint[], p_now timestamptz, p_wait boolean)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_locked bigint[];
BEGIN
    IF p_wait THEN
        SELECT array_agg(l.id ORDER BY l.id) INTO v_locked
          FROM (SELECT s.id FROM seats s
                 WHERE s.id = ANY (p_block) AND s.booking_id IS NULL
                   AND (s.held_until IS NULL OR s.held_until <= p_now)
                 ORDER BY s.id FOR UPDATE) l;
    ELSE
        SELECT array_agg(l.id ORDER BY l.id) INTO v_locked
          FROM (SELECT s.id FROM seats s
                 WHERE s.id = ANY (p_block) AND s.booking_id IS NULL
                   AND (s.held_until IS NULL OR s.held_until <= p_now)
                 ORDER BY s.id FOR UPDATE SKIP LOCKED) l;
    END IF;
    IF coalesce(cardinality(v_locked), 0) < cardinality(p_block) THEN
        RETURN NULL;
    END IF;
    RETURN v_locked;
END
$$;
