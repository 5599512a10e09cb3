-- Roll-ups of booking_stats, so that analytics never aggregates the whole
-- event x day table: all-time figures per event (stats_per_event) and figures
-- per UTC day over every event (stats_per_day). A trigger on booking_stats
-- keeps them, so every writer of booking_stats keeps them alike. They are
-- sharded like booking_stats (the writer's shard), so no booking ever waits
-- on another backend's row, and each booking's rows are locked after its
-- booking_stats row:
--   6. stats_per_event (event, shard), then stats_per_day (day, shard); a
--      cancellation locks its two days in ascending order, like booking_stats.
-- Deleting an event takes its figures out of stats_per_day (rows locked in
-- ascending order); its stats_per_event rows go with it.

-- Writers of booking_stats wait until the roll-ups and their trigger exist,
-- then keep them; event deletions in flight finish first.
LOCK TABLE events, booking_stats IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE stats_per_event (
    event_id      bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    shard         smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    bookings      bigint NOT NULL DEFAULT 0,
    confirmed     bigint NOT NULL DEFAULT 0,
    seats_sold    bigint NOT NULL DEFAULT 0,
    revenue_cents bigint NOT NULL DEFAULT 0,
    cancellations bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, shard)
);

CREATE TABLE stats_per_day (
    day           date NOT NULL,
    shard         smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    bookings      bigint NOT NULL DEFAULT 0,
    confirmed     bigint NOT NULL DEFAULT 0,
    seats_sold    bigint NOT NULL DEFAULT 0,
    revenue_cents bigint NOT NULL DEFAULT 0,
    cancellations bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, shard)
);

INSERT INTO stats_per_event (event_id, shard, bookings, confirmed, seats_sold, revenue_cents, cancellations)
SELECT event_id, 0, sum(bookings), sum(confirmed), sum(seats_sold), sum(revenue_cents), sum(cancellations)
  FROM booking_stats GROUP BY event_id;
INSERT INTO stats_per_day (day, shard, bookings, confirmed, seats_sold, revenue_cents, cancellations)
SELECT day, 0, sum(bookings), sum(confirmed), sum(seats_sold), sum(revenue_cents), sum(cancellations)
  FROM booking_stats GROUP BY day;

-- Adds a booking_stats row's change (NEW less OLD) to both roll-ups.
CREATE FUNCTION booking_stats_roll_up() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d_bookings      bigint := NEW.bookings;
    d_confirmed     bigint := NEW.confirmed;
    d_seats_sold    bigint := NEW.seats_sold;
    d_revenue_cents bigint := NEW.revenue_cents;
    d_cancellations bigint := NEW.cancellations;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        d_bookings      := d_bookings - OLD.bookings;
        d_confirmed     := d_confirmed - OLD.confirmed;
        d_seats_sold    := d_seats_sold - OLD.seats_sold;
        d_revenue_cents := d_revenue_cents - OLD.revenue_cents;
        d_cancellations := d_cancellations - OLD.cancellations;
    END IF;
    INSERT INTO stats_per_event AS t (event_id, shard, bookings, confirmed, seats_sold, revenue_cents, cancellations)
    VALUES (NEW.event_id, NEW.shard, d_bookings, d_confirmed, d_seats_sold, d_revenue_cents, d_cancellations)
    ON CONFLICT (event_id, shard) DO UPDATE
       SET bookings = t.bookings + EXCLUDED.bookings, confirmed = t.confirmed + EXCLUDED.confirmed,
           seats_sold = t.seats_sold + EXCLUDED.seats_sold,
           revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents,
           cancellations = t.cancellations + EXCLUDED.cancellations;
    INSERT INTO stats_per_day AS t (day, shard, bookings, confirmed, seats_sold, revenue_cents, cancellations)
    VALUES (NEW.day, NEW.shard, d_bookings, d_confirmed, d_seats_sold, d_revenue_cents, d_cancellations)
    ON CONFLICT (day, shard) DO UPDATE
       SET bookings = t.bookings + EXCLUDED.bookings, confirmed = t.confirmed + EXCLUDED.confirmed,
           seats_sold = t.seats_sold + EXCLUDED.seats_sold,
           revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents,
           cancellations = t.cancellations + EXCLUDED.cancellations;
    RETURN NULL;
END
$$;
CREATE TRIGGER booking_stats_roll_up AFTER INSERT OR UPDATE ON booking_stats
    FOR EACH ROW EXECUTE FUNCTION booking_stats_roll_up();

-- Before an event row is deleted it is locked (bookings and cancellations of
-- the event wait for it, then find it gone), so its booking_stats are final.
CREATE FUNCTION event_stats_forget() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM stats_per_day d
      JOIN booking_stats s ON s.day = d.day AND s.shard = d.shard AND s.event_id = OLD.id
     ORDER BY d.day, d.shard FOR UPDATE OF d;
    UPDATE stats_per_day d
       SET bookings = d.bookings - s.bookings, confirmed = d.confirmed - s.confirmed,
           seats_sold = d.seats_sold - s.seats_sold, revenue_cents = d.revenue_cents - s.revenue_cents,
           cancellations = d.cancellations - s.cancellations
      FROM booking_stats s
     WHERE s.event_id = OLD.id AND d.day = s.day AND d.shard = s.shard;
    RETURN OLD;
END
$$;
CREATE TRIGGER events_stats_forget BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION event_stats_forget();

-- GET /admin/analytics in one call and one snapshot. Per-event figures come
-- from stats_per_event when the window is unbounded, else from booking_stats
-- for the window's whole days; per-day figures and the totals from
-- stats_per_day; the partial days at a window's edges from bookings through
-- their time indexes.
CREATE OR REPLACE FUNCTION analytics(p_from timestamptz, p_to timestamptz, p_top integer) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_all    boolean := p_from IS NULL AND p_to IS NULL;
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
    WITH edges AS MATERIALIZED (
        -- Summed per event and day once, for both per_event and per_day.
        SELECT event_id, day, sum(bookings) AS bookings, sum(confirmed) AS confirmed,
               sum(seats_sold) AS seats_sold, sum(revenue_cents) AS revenue_cents,
               sum(cancellations) AS cancellations
          FROM (SELECT b.event_id, utc_day(b.created_at) AS day, 1 AS bookings,
                       (b.status = 'confirmed')::integer AS confirmed,
                       CASE WHEN b.status = 'confirmed' THEN b.seat_count ELSE 0 END AS seats_sold,
                       CASE WHEN b.status = 'confirmed' THEN b.total_cents ELSE 0 END AS revenue_cents,
                       0 AS cancellations
                  FROM unnest(v_ranges) r JOIN bookings b
                    ON b.created_at >= lower(r) AND b.created_at < upper(r)
                UNION ALL
                SELECT b.event_id, utc_day(b.cancelled_at), 0, 0, 0, 0, 1
                  FROM unnest(v_ranges) r JOIN bookings b
                    ON b.cancelled_at >= lower(r) AND b.cancelled_at < upper(r)) f
         GROUP BY event_id, day
    ), per_event AS (
        SELECT event_id, sum(bookings) AS bookings, sum(seats_sold) AS seats_sold,
               sum(revenue_cents) AS revenue_cents
          FROM (SELECT s.event_id, s.bookings, s.seats_sold, s.revenue_cents
                  FROM stats_per_event s WHERE v_all
                UNION ALL
                SELECT s.event_id, s.bookings, s.seats_sold, s.revenue_cents
                  FROM booking_stats s
                 WHERE NOT v_all AND v_days
                   AND (v_lo IS NULL OR s.day >= v_lo) AND (v_hi IS NULL OR s.day <= v_hi)
                UNION ALL
                SELECT e.event_id, e.bookings, e.seats_sold, e.revenue_cents FROM edges e) f
         GROUP BY event_id
    ), per_day AS (
        SELECT day, sum(bookings) AS bookings, sum(confirmed) AS confirmed,
               sum(seats_sold) AS seats_sold, sum(revenue_cents) AS revenue_cents,
               sum(cancellations) AS cancellations
          FROM (SELECT s.day, s.bookings, s.confirmed, s.seats_sold, s.revenue_cents, s.cancellations
                  FROM stats_per_day s
                 WHERE v_days AND (v_lo IS NULL OR s.day >= v_lo) AND (v_hi IS NULL OR s.day <= v_hi)
                UNION ALL
                SELECT e.day, e.bookings, e.confirmed, e.seats_sold, e.revenue_cents, e.cancellations
                  FROM edges e) f
         GROUP BY day
    ), totals AS (
        SELECT (SELECT events FROM event_totals) AS events,
               (SELECT capacity FROM event_totals) AS capacity,
               coalesce(sum(d.bookings), 0) AS bookings,
               coalesce(sum(d.confirmed), 0) AS confirmed,
               coalesce(sum(d.cancellations), 0) AS cancellations,
               coalesce(sum(d.seats_sold), 0) AS seats_sold,
               coalesce(sum(d.revenue_cents), 0) AS revenue_cents
          FROM per_day d
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
              FROM per_day d WHERE d.bookings > 0 OR d.cancellations > 0), '[]'))::text
      FROM totals t);
END
$$;
