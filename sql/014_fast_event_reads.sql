-- Event reads without building JSON per read.
--
-- 1. The static part of an event's JSON (everything but its live counts) is
--    kept on the event row, rebuilt by a trigger whenever a write changes it
--    (create, PATCH, the sections added at creation). event_doc_head and
--    event_doc_tail are the one writer of the Event shape; event_doc_json
--    splices the live counts in between. The counts are never stored: booked
--    is the sum of the event's counter shards and held its unexpired active
--    holds, read at the instant of the read (a hold past its expires_at is
--    available at once, whatever has run since).
-- 2. event_reads: one event's JSON with its live counts and a version that
--    moves whenever that JSON does (doc_version.booked.held). The reads join
--    it by id; it is plain SQL, so it is planned once per prepared statement.
-- 3. The catalog version: grows in every transaction that adds, removes or
--    moves events (name, venue, starts_at: what search and its order look
--    at). A search page's ids stay right as long as it has not moved.

LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE events
    ADD COLUMN doc_head text,
    ADD COLUMN doc_tail text,
    ADD COLUMN doc_version bigint NOT NULL DEFAULT 0;

-- The Event JSON up to the counts: '{"id" : 1, ..., "capacity" : 20, "available_seats" : '.
CREATE FUNCTION event_doc_head(e events) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT left(json_build_object(
        'id', e.id, 'name', e.name, 'venue', e.venue, 'description', e.description,
        'starts_at', rfc3339(e.starts_at), 'capacity', e.capacity)::text, -1)
        || ', "available_seats" : '
$$;

-- The Event JSON after the counts: ', "min_price_cents" : ..., "updated_at" : "..."}'.
CREATE FUNCTION event_doc_tail(e events) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT ', ' || substr(json_build_object(
        'min_price_cents', e.min_price_cents, 'max_price_cents', e.max_price_cents,
        'hold_seconds', e.hold_seconds,
        'admission', CASE WHEN e.admission_rate IS NOT NULL THEN
                         json_build_object('opens_at', rfc3339(e.admission_opens_at),
                                           'rate_per_minute', e.admission_rate) END,
        'sections', (SELECT json_agg(json_build_object('name', s.name, 'rows', s.rows,
                                                       'seats_per_row', s.seats_per_row,
                                                       'price_cents', s.price_cents)
                                     ORDER BY s.position)
                       FROM sections s WHERE s.event_id = e.id),
        'created_at', rfc3339_exact(e.created_at), 'updated_at', rfc3339_exact(e.updated_at))::text, 2)
$$;

-- The whole Event JSON from its static parts and its live counts. Inlined
-- where it is called (a single immutable expression: the casts are explicit,
-- since text || integer is a stable function that would stop the inlining
-- and cost a function call per event).
CREATE FUNCTION event_doc_json(p_head text, p_tail text, p_capacity integer, p_booked integer,
                               p_held integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_head || (p_capacity - p_booked - p_held)::text || ', "held_seats" : ' || p_held::text
           || ', "booked_seats" : ' || p_booked::text || p_tail
$$;

-- Keeps the stored parts in step with the row; doc_version moves only when
-- they change.
CREATE FUNCTION events_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_head text := event_doc_head(NEW);
    v_tail text := event_doc_tail(NEW);
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.doc_version := 1;
    ELSIF v_head IS DISTINCT FROM OLD.doc_head OR v_tail IS DISTINCT FROM OLD.doc_tail THEN
        NEW.doc_version := OLD.doc_version + 1;
    END IF;
    NEW.doc_head := v_head;
    NEW.doc_tail := v_tail;
    RETURN NEW;
END
$$;
CREATE TRIGGER events_doc_refresh BEFORE INSERT OR UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_doc_refresh();

-- Sections are added once, at creation, after their event's row: the event's
-- stored parts are rebuilt to show them.
CREATE FUNCTION sections_doc_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE events e SET doc_head = NULL WHERE e.id IN (SELECT DISTINCT n.event_id FROM new_sections n);
    RETURN NULL;
END
$$;
CREATE TRIGGER sections_doc_refresh AFTER INSERT ON sections
    REFERENCING NEW TABLE AS new_sections FOR EACH STATEMENT EXECUTE FUNCTION sections_doc_refresh();

UPDATE events SET doc_head = NULL;

-- The catalog version (one row).
CREATE TABLE event_catalog (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint NOT NULL
);
INSERT INTO event_catalog (version) VALUES (1);

-- Once per transaction, however many statements change events in it (a
-- seeding of 100,000 events bumps the row once, not 100,000 times).
CREATE FUNCTION event_catalog_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_xact text := pg_current_xact_id()::text;
BEGIN
    IF current_setting('evently.catalog_bumped', true) IS DISTINCT FROM v_xact THEN
        UPDATE event_catalog SET version = version + 1;
        PERFORM set_config('evently.catalog_bumped', v_xact, true);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_catalog_insert_delete AFTER INSERT OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION event_catalog_bump();
CREATE TRIGGER events_catalog_update AFTER UPDATE OF name, venue, starts_at ON events
    FOR EACH STATEMENT EXECUTE FUNCTION event_catalog_bump();

-- Every event's JSON with its live counts, and the version of that JSON.
CREATE VIEW event_reads AS
SELECT e.id, e.starts_at, (extract(epoch FROM e.starts_at) * 1000000)::bigint AS starts_us,
       e.doc_version::text || '.' || b.booked::text || '.' || h.held::text AS version,
       event_doc_json(e.doc_head, e.doc_tail, e.capacity, b.booked, h.held) AS doc
  FROM events e
 CROSS JOIN LATERAL (SELECT coalesce(sum(c.booked), 0)::integer AS booked
                       FROM event_seat_counts c WHERE c.event_id = e.id) b
 CROSS JOIN LATERAL (SELECT coalesce(sum(x.seat_count), 0)::integer AS held
                       FROM holds x
                      WHERE x.event_id = e.id AND x.status = 'active' AND x.expires_at > now()) h;

-- The same shape for any events row (the admin writes' answers), made by the
-- same writer from the row given.
CREATE OR REPLACE FUNCTION event_json(e events) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_held integer := held_seats(e.id);
    v_booked integer;
BEGIN
    SELECT coalesce(sum(c.booked), 0)::integer INTO v_booked
      FROM event_seat_counts c WHERE c.event_id = e.id;
    RETURN event_doc_json(event_doc_head(e), event_doc_tail(e), e.capacity, v_booked, v_held)::json;
END
$$;
