-- Reads served from the workers' caches on the change board (shared/board.hpp).
--
-- 1. event_reads also says until when its counts hold with no write: the
--    earliest expiry of the event's active holds (until_us, microseconds
--    since the epoch; NULL when none). At that instant the held seats become
--    available, with no write to mark it, so a cached answer ends there.
-- 2. The offer maker's round names the events whose seats it changed (it
--    made an offer, which is a hold), so that it marks those on the board.

CREATE OR REPLACE VIEW event_reads AS
SELECT e.id, e.starts_at, (extract(epoch FROM e.starts_at) * 1000000)::bigint AS starts_us,
       e.doc_version::text || '.' || b.booked::text || '.' || h.held::text AS version,
       event_doc_json(e.doc_head, e.doc_tail, e.capacity, b.booked, h.held) AS doc,
       (extract(epoch FROM h.until) * 1000000)::bigint AS until_us
  FROM events e
 CROSS JOIN LATERAL (SELECT coalesce(sum(c.booked), 0)::integer AS booked
                       FROM event_seat_counts c WHERE c.event_id = e.id) b
 CROSS JOIN LATERAL (SELECT coalesce(sum(x.seat_count), 0)::integer AS held, min(x.expires_at) AS until
                       FROM holds x
                      WHERE x.event_id = e.id AND x.status = 'active' AND x.expires_at > now()) h;

-- The offer maker's round, in place of waitlist_serve_all (sql/009, dropped
-- below: nothing else calls it): the same pass over every event with
-- waiting entries, returning each event where it made an offer (a new hold:
-- the event's newest hold id moved).
CREATE FUNCTION waitlist_serve_all_changed() RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_event bigint;
    v_newest bigint;
BEGIN
    FOR v_event IN SELECT h.event_id FROM waitlist_heads h
                     JOIN events e ON e.id = h.event_id AND e.starts_at > now()
                    WHERE EXISTS (SELECT 1 FROM waitlist_entries w
                                   WHERE w.event_id = h.event_id AND w.status = 'waiting')
                    ORDER BY h.event_id LOOP
        PERFORM 1 FROM events e WHERE e.id = v_event FOR NO KEY UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        v_newest := (SELECT max(x.id) FROM holds x WHERE x.event_id = v_event);
        PERFORM waitlist_serve(v_event);
        IF (SELECT max(x.id) FROM holds x WHERE x.event_id = v_event) IS DISTINCT FROM v_newest THEN
            RETURN NEXT v_event;
        END IF;
    END LOOP;
END
$$;

DROP FUNCTION waitlist_serve_all();
