-- GET /admin/analytics in one call. Whole UTC days of the window come from
-- booking_stats (kept by book() and cancel_booking()); the partial days at
-- its edges come from bookings through their time indexes. Both are read in
-- one snapshot, so the figures are exact at the moment of the request.

-- How many events there are and their capacity: kept by triggers, since
-- analytics reads them on every call and events come and go rarely (no
-- booking ever touches this row).
CREATE TABLE event_totals (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    events   bigint NOT NULL,
    capacity bigint NOT NULL
);
INSERT INTO event_totals (events, capacity) SELECT count(*), coalesce(sum(capacity), 0) FROM events;

CREATE FUNCTION event_totals_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE event_totals SET events = events + 1, capacity = capacity + NEW.capacity;
    ELSE
        UPDATE event_totals SET events = events - 1, capacity = capacity - OLD.capacity;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_totals AFTER INSERT OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION event_totals_track();

CREATE FUNCTION day_start(d date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT d::timestamp AT TIME ZONE 'UTC' $$;

CREATE FUNCTION analytics(p_from timestamptz, p_to timestamptz, p_top integer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_lo     date;              -- first whole day in the window (NULL: unbounded)
    v_hi     date;              -- last whole day in the window (NULL: unbounded)
    v_days   boolean := true;   -- does the window hold any whole day?
    v_ranges tstzrange[] := '{}';  -- partial days, half-open: [lower, upper)
    v_end    timestamptz := p_to + interval '1 microsecond';  -- `to` is inclusive
BEGIN
    IF p_from IS NOT NULL THEN
        v_lo := utc_day(p_from) + CASE WHEN p_from = day_start(utc_day(p_from)) THEN 0 ELSE 1 END;
    END IF;
    IF p_to IS NOT NULL THEN
        v_hi := utc_day(p_to + interval '1 microsecond') - 1;
    END IF;

    IF p_from > p_to THEN
        v_days := false;
    ELSIF v_lo > v_hi THEN
        v_days := false;
        v_ranges := ARRAY[tstzrange(p_from, v_end)];
    ELSE
        IF p_from < day_start(v_lo) THEN
            v_ranges := v_ranges || tstzrange(p_from, day_start(v_lo));
        END IF;
        IF p_to >= day_start(v_hi + 1) THEN
            v_ranges := v_ranges || tstzrange(day_start(v_hi + 1), v_end);
        END IF;
    END IF;

    RETURN (
    WITH facts AS (
        SELECT s.event_id, s.day, s.bookings, s.confirmed, s.seats_sold, s.revenue_cents, s.cancellations
          FROM booking_stats s
         WHERE v_days AND (v_lo IS NULL OR s.day >= v_lo) AND (v_hi IS NULL OR s.day <= v_hi)
        UNION ALL
        SELECT b.event_id, utc_day(b.created_at), 1, (b.status = 'confirmed')::integer,
               CASE WHEN b.status = 'confirmed' THEN b.seat_count ELSE 0 END,
               CASE WHEN b.status = 'confirmed' THEN b.total_cents ELSE 0 END, 0
          FROM unnest(v_ranges) r JOIN bookings b
            ON b.created_at >= lower(r) AND b.created_at < upper(r)
        UNION ALL
        SELECT b.event_id, utc_day(b.cancelled_at), 0, 0, 0, 0, 1
          FROM unnest(v_ranges) r JOIN bookings b
            ON b.cancelled_at >= lower(r) AND b.cancelled_at < upper(r)
    ), grouped AS (
        -- One pass over the facts for both the per-event and the per-day sums.
        SELECT event_id, day, GROUPING(event_id) AS per_day,
               sum(bookings) AS bookings, sum(confirmed) AS confirmed,
               sum(seats_sold) AS seats_sold, sum(revenue_cents) AS revenue_cents,
               sum(cancellations) AS cancellations
          FROM facts GROUP BY GROUPING SETS ((event_id), (day))
    ), per_event AS (
        SELECT * FROM grouped WHERE per_day = 0
    ), per_day AS (
        SELECT * FROM grouped WHERE per_day = 1 AND (bookings > 0 OR cancellations > 0)
    ), totals AS (
        SELECT (SELECT events FROM event_totals) AS events,
               (SELECT capacity FROM event_totals) AS capacity,
               coalesce(sum(p.bookings), 0) AS bookings,
               coalesce(sum(p.confirmed), 0) AS confirmed,
               coalesce(sum(p.cancellations), 0) AS cancellations,
               coalesce(sum(p.seats_sold), 0) AS seats_sold,
               coalesce(sum(p.revenue_cents), 0) AS revenue_cents
          FROM per_event p
    ), popular AS (
        -- Events with sales first; then, in id order, as many without as
        -- `top` leaves room for (found without sorting every event).
        SELECT e.id, e.name, e.venue, e.capacity, t.seats_sold, t.revenue_cents, t.bookings
          FROM ((SELECT p.event_id, p.seats_sold, p.revenue_cents, p.bookings
                   FROM per_event p WHERE p.seats_sold > 0
                  ORDER BY p.seats_sold DESC, p.event_id LIMIT p_top)
                UNION ALL
                (SELECT ev.id, 0, 0, coalesce(p.bookings, 0)
                   FROM events ev LEFT JOIN per_event p ON p.event_id = ev.id
                  WHERE coalesce(p.seats_sold, 0) = 0
                  ORDER BY ev.id LIMIT p_top)) t (event_id, seats_sold, revenue_cents, bookings)
          JOIN events e ON e.id = t.event_id
         ORDER BY t.seats_sold DESC, e.id
         LIMIT p_top
    )
    SELECT json_build_object(
        'totals', json_build_object(
            'events', t.events, 'capacity', t.capacity, 'bookings', t.bookings,
            'confirmed_bookings', t.confirmed, 'cancelled_bookings', t.cancellations,
            'seats_sold', t.seats_sold, 'revenue_cents', t.revenue_cents,
            'cancellation_rate', CASE WHEN t.bookings = 0 THEN 0
                                      ELSE round(t.cancellations::numeric / t.bookings, 4) END,
            'utilization', CASE WHEN t.capacity = 0 THEN 0
                                ELSE round(t.seats_sold::numeric / t.capacity, 4) END),
        'popular_events', coalesce((
            SELECT json_agg(json_build_object(
                       'event_id', p.id, 'name', p.name, 'venue', p.venue, 'capacity', p.capacity,
                       'seats_sold', p.seats_sold,
                       'utilization', round(p.seats_sold::numeric / p.capacity, 4),
                       'revenue_cents', p.revenue_cents, 'bookings', p.bookings)
                   ORDER BY p.seats_sold DESC, p.id)
              FROM popular p), '[]'),
        'daily', coalesce((
            SELECT json_agg(json_build_object(
                       'date', to_char(d.day, 'YYYY-MM-DD'), 'bookings', d.bookings,
                       'cancellations', d.cancellations, 'seats_sold', d.seats_sold,
                       'revenue_cents', d.revenue_cents)
                   ORDER BY d.day)
              FROM per_day d), '[]'))::text
      FROM totals t);
END
$$;
