-- Holds: seats held for a buyer for the event's hold_seconds, then confirmed
-- into a booking or released. Expiry is lazy and exact: a hold is expired
-- from its expires_at on, whatever has run since, because every reader and
-- writer compares held_until with the clock; nothing waits for a sweep.
--
-- Every claim on a seat lives on the seat's own row: booking_id (a confirmed
-- booking) or hold_id + held_until (a hold, active while held_until is in the
-- future). A CHECK forbids both at once, so no seat is ever in an active hold
-- and a confirmed booking, and one row holds one hold at most, so no seat is
-- ever in two active holds. An expired hold never blocks a new one: the new
-- hold overwrites the stale claim on the row it has locked.
--
-- Lock order, the same everywhere (extends 003 and 005):
--   1. the event row, FOR KEY SHARE;
--   2. the user row, FOR NO KEY UPDATE (new holds only: the per-user limit);
--   3. the hold row, FOR UPDATE (confirm, release);
--   4. seat rows, FOR UPDATE, in ascending id order;
--   5. one counter shard of the event, then booking_stats and its roll-ups.
-- Writes that free seats serve the waitlist (waitlist_serve, sql/009) before
-- they commit, and writes that take seats serve it first.

-- Waits for bookings in flight, which then run the new book().
LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE events ADD COLUMN hold_seconds integer NOT NULL DEFAULT 600
    CHECK (hold_seconds BETWEEN 1 AND 3600);

CREATE TABLE holds (
    id          bigserial PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'expired' is written only by the sweeper, for tidiness: an 'active'
    -- hold past expires_at reads expired all the same.
    status      text NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'confirmed', 'released', 'expired')),
    seat_count  integer NOT NULL CHECK (seat_count BETWEEN 1 AND 10),
    total_cents bigint NOT NULL CHECK (total_cents >= 0),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
    -- Bookings go only with their event, and so do its holds.
    booking_id  bigint REFERENCES bookings (id) ON DELETE CASCADE,
    ended_at    timestamptz,
    CHECK ((status = 'confirmed') = (booking_id IS NOT NULL)),
    CHECK ((status IN ('active', 'expired')) = (ended_at IS NULL))
);
-- GET /holds (a user's active holds are few: they are sorted, not walked)
-- and the per-user limit (a user's unexpired seats in one event's holds).
CREATE INDEX holds_active_by_user ON holds (user_id, event_id, expires_at) INCLUDE (seat_count)
    WHERE status = 'active';
-- held_seats and the seat map's next expiry: an event's active holds by expiry.
CREATE INDEX holds_active_by_event ON holds (event_id, expires_at) INCLUDE (seat_count)
    WHERE status = 'active';
-- The sweeper: active holds whose time is up.
CREATE INDEX holds_active_by_expiry ON holds (expires_at) WHERE status = 'active';

-- The seats each hold asked for (its Hold document), kept after it ends.
CREATE TABLE hold_seats (
    hold_id bigint NOT NULL REFERENCES holds (id) ON DELETE CASCADE,
    seat_id bigint NOT NULL REFERENCES seats (id) ON DELETE CASCADE,
    PRIMARY KEY (hold_id, seat_id)
);
CREATE INDEX hold_seats_by_seat ON hold_seats (seat_id);

-- Seats freed so far (cancellations, releases), per counter shard: a
-- best-available scan that starts after rows it once found full is valid
-- only while nothing has been freed since.
ALTER TABLE event_seat_counts ADD COLUMN freed bigint NOT NULL DEFAULT 0;

-- Where a best-available scan may start: every seat in every row before
-- (position, row) — sections by position, then rows — was booked or held
-- when the scan that wrote this started, no seat has been freed since
-- (freed is the sum of event_seat_counts.freed then), and none of those
-- holds expires before `until`. Only a shortcut: a stale hint is ignored.
CREATE TABLE best_start (
    event_id bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    position smallint NOT NULL,
    row      integer NOT NULL,
    freed    bigint NOT NULL,
    until    timestamptz NOT NULL
);

ALTER TABLE seats
    ADD COLUMN hold_id bigint,
    ADD COLUMN held_until timestamptz,
    ADD CONSTRAINT seats_one_claim CHECK (booking_id IS NULL OR hold_id IS NULL),
    ADD CONSTRAINT seats_hold_has_expiry CHECK ((hold_id IS NULL) = (held_until IS NULL)),
    -- A seat may only be held by a hold that asked for it. Holds go only
    -- with their event, and its seats with them (checked at commit).
    ADD CONSTRAINT seats_hold_fkey FOREIGN KEY (hold_id, id) REFERENCES hold_seats (hold_id, seat_id)
        DEFERRABLE INITIALLY DEFERRED;

-- Idempotency keys of holds and of bookings are separate.
ALTER TABLE idempotency_keys ADD COLUMN scope text NOT NULL DEFAULT 'booking'
    CHECK (scope IN ('booking', 'hold'));
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey,
    ADD PRIMARY KEY (user_id, scope, key);

-- Claims a key for a first request, or gives the answer to replay: NULL
-- o_status means go on (and call idempotency_store with the answer). A
-- repeat racing the first request waits on the insert until the first
-- commits, then replays its stored answer.
CREATE FUNCTION idempotency_claim(p_scope text, p_user bigint, p_key text, p_request text,
                                  OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_prev idempotency_keys;
BEGIN
    INSERT INTO idempotency_keys (user_id, scope, key, request_hash)
    VALUES (p_user, p_scope, p_key, p_request)
    ON CONFLICT (user_id, scope, key) DO NOTHING;
    IF FOUND THEN
        -- Keys are kept 24 hours; a user's new key clears their expired ones.
        DELETE FROM idempotency_keys k
         WHERE k.user_id = p_user AND k.scope = p_scope AND k.created_at < now() - interval '24 hours';
        RETURN;
    END IF;
    SELECT * INTO v_prev FROM idempotency_keys k
     WHERE k.user_id = p_user AND k.scope = p_scope AND k.key = p_key FOR UPDATE;
    IF v_prev.created_at < now() - interval '24 hours' OR v_prev.status IS NULL THEN
        -- Kept 24 hours; an older key (or one whose answer was not kept)
        -- starts afresh.
        UPDATE idempotency_keys k SET request_hash = p_request, status = NULL, body = NULL,
                                      created_at = now()
         WHERE k.user_id = p_user AND k.scope = p_scope AND k.key = p_key;
    ELSIF v_prev.request_hash <> p_request THEN
        o_status := 422;
        o_body := problem(422, 'idempotency_key_reused',
                          'This Idempotency-Key was used with a different request');
    ELSE
        o_status := v_prev.status;
        o_body := v_prev.body;
    END IF;
END
$$;

-- Stores the answer of a claimed key; p_status NULL forgets it instead
-- (answers that are not replayed, such as 403 admission_required).
CREATE FUNCTION idempotency_store(p_scope text, p_user bigint, p_key text, p_status integer,
                                  p_body text)
RETURNS void LANGUAGE sql AS $$
    UPDATE idempotency_keys k SET status = p_status, body = p_body
     WHERE k.user_id = p_user AND k.scope = p_scope AND k.key = p_key
$$;

-- Seats in an event's active holds at this instant.
CREATE FUNCTION held_seats(p_event bigint) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(h.seat_count), 0)::integer FROM holds h
     WHERE h.event_id = p_event AND h.status = 'active' AND h.expires_at > now()
$$;

CREATE OR REPLACE FUNCTION event_json(e events) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_held integer := held_seats(e.id);
BEGIN
    -- Booked seats: the sum of the event's counter shards; held seats: its
    -- unexpired active holds.
    RETURN json_build_object(
        'id', e.id, 'name', e.name, 'venue', e.venue, 'description', e.description,
        'starts_at', rfc3339(e.starts_at), 'capacity', e.capacity,
        'available_seats', e.capacity - b.booked - v_held, 'held_seats', v_held,
        'booked_seats', b.booked,
        'min_price_cents', e.min_price_cents, 'max_price_cents', e.max_price_cents,
        'hold_seconds', e.hold_seconds,
        'sections', (SELECT json_agg(json_build_object('name', s.name, 'rows', s.rows,
                                                       'seats_per_row', s.seats_per_row,
                                                       'price_cents', s.price_cents)
                                     ORDER BY s.position)
                       FROM sections s WHERE s.event_id = e.id),
        'created_at', rfc3339_exact(e.created_at), 'updated_at', rfc3339_exact(e.updated_at))
    FROM (SELECT coalesce(sum(c.booked), 0)::integer AS booked
            FROM event_seat_counts c WHERE c.event_id = e.id) b;
END
$$;

-- The seat map's tag: the counters' version (every booking, cancellation,
-- hold, release and confirmation moves it) and the next instant an active
-- hold expires (passing it changes the statuses without any write). NULL
-- when the event does not exist.
CREATE FUNCTION seat_map_tag(p_event bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT v.version || '.' || coalesce((SELECT (extract(epoch FROM min(h.expires_at)) * 1000000)::bigint
                                           FROM holds h
                                          WHERE h.event_id = p_event AND h.status = 'active'
                                            AND h.expires_at > now()), 0)
      FROM (SELECT sum(version)::bigint AS version FROM event_seat_counts WHERE event_id = p_event) v
     WHERE v.version IS NOT NULL
$$;

-- Every seat's status in seat-map order (section, row, number): '1' booked,
-- '2' held, '0' available.
CREATE OR REPLACE FUNCTION seat_statuses(p_event bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(CASE WHEN booking_id IS NOT NULL THEN '1'
                                    WHEN held_until > now() THEN '2' ELSE '0' END, ''
                               ORDER BY section_id, row, number), '')
      FROM seats WHERE event_id = p_event
$$;

CREATE FUNCTION hold_json(p_hold bigint) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_build_object(
        'id', h.id, 'event_id', h.event_id, 'user_id', h.user_id,
        'status', CASE WHEN h.status = 'active' AND h.expires_at <= now() THEN 'expired'
                       ELSE h.status END,
        'seats', (SELECT json_agg(json_build_object('id', s.id, 'section', sec.name, 'row', s.row,
                                                    'number', s.number, 'price_cents', s.price_cents)
                                  ORDER BY s.id)
                    FROM hold_seats hs
                    JOIN seats s ON s.id = hs.seat_id
                    JOIN sections sec ON sec.id = s.section_id
                   WHERE hs.hold_id = h.id),
        'total_cents', h.total_cents, 'created_at', rfc3339_exact(h.created_at),
        'expires_at', rfc3339_exact(h.expires_at), 'booking_id', h.booking_id)
    FROM holds h WHERE h.id = p_hold;
END
$$;

-- Records a confirmed booking of seats already locked by the caller (steps
-- 4–5 of the lock order): the booking, its seats, the seats' claim, the
-- counters and the analytics totals. Used by book() and confirm_hold(), so
-- a confirmed hold is a booking made at confirm time.
CREATE FUNCTION record_booking(p_event bigint, p_user bigint, p_seats bigint[], p_total bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_booking bigint;
    v_created timestamptz;
BEGIN
    INSERT INTO bookings (event_id, user_id, seat_count, total_cents)
    VALUES (p_event, p_user, cardinality(p_seats), p_total)
    RETURNING id, created_at INTO v_booking, v_created;
    INSERT INTO booking_seats (booking_id, seat_id) SELECT v_booking, unnest(p_seats);
    UPDATE seats SET booking_id = v_booking, hold_id = NULL, held_until = NULL
     WHERE id = ANY (p_seats);
    UPDATE event_seat_counts SET booked = booked + cardinality(p_seats), version = version + 1
     WHERE event_id = p_event AND shard = pg_backend_pid() % 16;
    INSERT INTO booking_stats AS t (event_id, day, shard, bookings, confirmed, seats_sold, revenue_cents)
    VALUES (p_event, utc_day(v_created), pg_backend_pid() % 16, 1, 1, cardinality(p_seats), p_total)
    ON CONFLICT (event_id, day, shard) DO UPDATE
       SET bookings = t.bookings + 1, confirmed = t.confirmed + 1,
           seats_sold = t.seats_sold + EXCLUDED.seats_sold,
           revenue_cents = t.revenue_cents + EXCLUDED.revenue_cents;
    RETURN v_booking;
END
$$;

-- The seat-map version moves (a hold or release changes statuses).
CREATE FUNCTION touch_seat_map(p_event bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE event_seat_counts SET version = version + 1
     WHERE event_id = p_event AND shard = pg_backend_pid() % 16
$$;

-- POST /bookings. A seat in an active hold is unavailable, also to the
-- hold's owner: holds become bookings only by confirming them.
CREATE OR REPLACE FUNCTION book(p_user bigint, p_event bigint, p_seats bigint[], p_key text,
                                p_request text, OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_starts  timestamptz;
    v_found   bigint[];
    v_taken   bigint[];
    v_invalid bigint[];
    v_total   bigint;
    v_booking bigint;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT c.o_status, c.o_body INTO o_status, o_body
          FROM idempotency_claim('booking', p_user, p_key, p_request) c;
        IF o_status IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;

    SELECT e.starts_at INTO v_starts FROM events e WHERE e.id = p_event FOR KEY SHARE;
    IF NOT FOUND THEN
        o_status := 404;
        o_body := problem(404, 'event_not_found', 'Event not found');
    ELSIF v_starts <= clock_timestamp() THEN
        o_status := 409;
        o_body := problem(409, 'event_started', 'The event has already started');
    ELSE
        SELECT array_agg(l.id ORDER BY l.id),
               array_agg(l.id ORDER BY l.id)
                   FILTER (WHERE l.booking_id IS NOT NULL OR l.held_until > clock_timestamp()),
               coalesce(sum(l.price_cents), 0)
          INTO v_found, v_taken, v_total
          FROM (SELECT s.id, s.booking_id, s.held_until, s.price_cents FROM seats s
                 WHERE s.id = ANY (p_seats) AND s.event_id = p_event
                 ORDER BY s.id FOR UPDATE) l;
        v_invalid := ARRAY(SELECT x FROM unnest(p_seats) x
                            WHERE x <> ALL (coalesce(v_found, '{}')) ORDER BY x);
        IF cardinality(v_invalid) > 0 THEN
            o_status := 400;
            o_body := problem(400, 'invalid_seats',
                              format('%s of the requested seats are not seats of this event',
                                     cardinality(v_invalid)),
                              jsonb_build_object('invalid_seat_ids', v_invalid));
        ELSIF v_taken IS NOT NULL THEN
            o_status := 409;
            o_body := problem(409, 'seat_unavailable',
                              format('%s of the requested seats are already taken',
                                     cardinality(v_taken)),
                              jsonb_build_object('unavailable_seat_ids', v_taken));
        ELSE
            -- Two statements: booking_json (STABLE) sees what the statement
            -- before it wrote, not what its own statement writes.
            v_booking := record_booking(p_event, p_user, v_found, v_total);
            o_status := 201;
            o_body := booking_json(v_booking)::text;
        END IF;
    END IF;

    IF p_key IS NOT NULL THEN
        PERFORM idempotency_store('booking', p_user, p_key, o_status, o_body);
    END IF;
END
$$;

-- Best available: the first block of p_quantity adjacent available seats in
-- the contract's order — blocks that strand no single seat first, then
-- section order, row, distance from the row's centre, lowest number — locked
-- and returned (ascending ids), or NULL when there is none. Rows are read
-- best-first, from the first row that is not known to be full
-- (best_start), and the scan stops at the first row with a non-stranding
-- block, so its cost follows the free rows it passes, not the event's size.
--
-- Races: seats locked by a request in flight are skipped (SKIP LOCKED) and
-- the next best block is taken; only when the skipped seats were all that
-- could serve does a second pass wait for them, so the answer is NULL only
-- if no block is left when it decides.
CREATE FUNCTION take_best_block(p_event bigint, p_section bigint, p_quantity integer,
                                p_now timestamptz)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_want     text := repeat('0', p_quantity);
    v_skip     bigint[] := '{}';
    v_wait     boolean := false;
    v_freed    bigint;
    v_hint     best_start;
    v_from_pos integer := 0;
    v_from_row integer := 1;
    v_until    timestamptz := 'infinity';
    v_full     boolean := true;  -- every row so far booked or held
    v_sec      record;
    v_row      integer;
    v_status   text;
    v_ids      bigint[];
    v_row_full boolean;
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
    SELECT * INTO v_hint FROM best_start b WHERE b.event_id = p_event;
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
                       bool_and(t.booking_id IS NOT NULL OR coalesce(t.held_until > p_now, false)),
                       min(t.held_until) FILTER (WHERE t.booking_id IS NULL AND t.held_until > p_now)
                  INTO v_status, v_ids, v_row_full, v_expiry
                  FROM seats t
                 WHERE t.event_id = p_event AND t.section_id = v_sec.id AND t.row = v_row;
                IF v_full AND p_section IS NULL AND NOT v_wait THEN
                    IF v_row_full THEN
                        v_until := least(v_until, v_expiry);
                    ELSE
                        -- The first row with a free seat: later scans start here.
                        v_full := false;
                        IF (v_sec.position, v_row) > (v_from_pos, v_from_row) THEN
                            PERFORM remember_best_start(p_event, v_sec.position, v_row, v_freed, v_until);
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
        IF v_full AND p_section IS NULL AND NOT v_wait THEN
            -- Every row is full: later scans start past the end.
            v_full := false;
            PERFORM remember_best_start(p_event, 32767, 1, v_freed, v_until);
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

-- Records where best-available scans may start, unless a hint made after
-- more seats were freed is already there.
CREATE FUNCTION remember_best_start(p_event bigint, p_position integer, p_row integer,
                                    p_freed bigint, p_until timestamptz)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO best_start AS b (event_id, position, row, freed, until)
    VALUES (p_event, p_position, p_row, p_freed, p_until)
    ON CONFLICT (event_id) DO UPDATE
       SET position = EXCLUDED.position, row = EXCLUDED.row, freed = EXCLUDED.freed,
           until = EXCLUDED.until
     WHERE b.freed <= EXCLUDED.freed
$$;

-- Locks every seat of a block that is still available, or none: a lock
-- attempt that gets only part of it is rolled back (a subtransaction), so
-- no seat stays locked for nothing. p_wait waits for seats locked by others
-- (then rechecks them); otherwise they are skipped.
CREATE FUNCTION lock_block(p_block bigint[], p_now timestamptz, p_wait boolean)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_locked bigint[];
BEGIN
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
            RAISE EXCEPTION USING ERRCODE = 'EV001';
        END IF;
    EXCEPTION WHEN SQLSTATE 'EV001' THEN
        RETURN NULL;
    END;
    RETURN v_locked;
END
$$;

-- POST /holds: these exact seats (p_seats) or the best p_quantity (in
-- p_section, a name). One call, one transaction.
CREATE FUNCTION hold(p_user bigint, p_event bigint, p_seats bigint[], p_quantity integer,
                     p_section text, p_key text, p_request text,
                     OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_now     timestamptz;
    v_section bigint;
    v_found   bigint[];
    v_taken   bigint[];
    v_invalid bigint[];
    v_total   bigint;
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
        IF p_quantity IS NOT NULL AND p_section IS NOT NULL THEN
            SELECT s.id INTO v_section FROM sections s
             WHERE s.event_id = p_event AND s.name = p_section;
            IF NOT FOUND THEN
                o_status := 400;
                o_body := problem(400, 'invalid_section', 'The event has no section of that name');
                EXIT decide;
            END IF;
        END IF;
        IF p_seats IS NOT NULL THEN
            v_invalid := ARRAY(SELECT x FROM unnest(p_seats) x
                                WHERE NOT EXISTS (SELECT 1 FROM seats s
                                                   WHERE s.id = x AND s.event_id = p_event)
                                ORDER BY x);
            IF cardinality(v_invalid) > 0 THEN
                o_status := 400;
                o_body := problem(400, 'invalid_seats',
                                  format('%s of the requested seats are not seats of this event',
                                         cardinality(v_invalid)),
                                  jsonb_build_object('invalid_seat_ids', v_invalid));
                EXIT decide;
            END IF;
        END IF;

        -- The per-user limit, counted under the user's lock so that two
        -- holds of one user cannot both pass it.
        PERFORM 1 FROM users u WHERE u.id = p_user FOR NO KEY UPDATE;
        SELECT coalesce(sum(h.seat_count), 0) INTO v_held FROM holds h
         WHERE h.user_id = p_user AND h.event_id = p_event AND h.status = 'active'
           AND h.expires_at > v_now;
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
                     WHERE s.id = ANY (p_seats) AND s.event_id = p_event
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
        PERFORM idempotency_store('hold', p_user, p_key, o_status, o_body);
    END IF;
END
$$;

-- A new active hold of seats the caller has locked (available ones).
CREATE FUNCTION create_hold(p_event events, p_user bigint, p_seats bigint[])
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
    PERFORM touch_seat_map(p_event.id);
    RETURN v_hold;
END
$$;

-- Locks a hold the caller may act on (steps 1 and 3 of the lock order) and
-- returns it, or NULL (404) when it is not theirs or gone.
CREATE FUNCTION lock_hold(p_user bigint, p_admin boolean, p_hold bigint) RETURNS holds
LANGUAGE plpgsql AS $$
DECLARE
    v_hold holds;
BEGIN
    SELECT * INTO v_hold FROM holds h WHERE h.id = p_hold;
    IF NOT FOUND OR (v_hold.user_id <> p_user AND NOT p_admin) THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM events e WHERE e.id = v_hold.event_id FOR KEY SHARE;
    -- NULL when deleted with its event meanwhile.
    SELECT * INTO v_hold FROM holds h WHERE h.id = p_hold FOR UPDATE;
    RETURN v_hold;
END
$$;

-- Frees the seats a hold still claims (its own, never another hold's).
CREATE FUNCTION free_hold_seats(p_hold holds) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM seats s
      WHERE s.id IN (SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = p_hold.id)
      ORDER BY s.id FOR UPDATE;
    UPDATE seats s SET hold_id = NULL, held_until = NULL
     WHERE s.hold_id = p_hold.id
       AND s.id IN (SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = p_hold.id);
    UPDATE event_seat_counts SET version = version + 1, freed = freed + 1
     WHERE event_id = p_hold.event_id AND shard = pg_backend_pid() % 16;
END
$$;

-- POST /holds/{id}/confirm: a booking of exactly the hold's seats.
CREATE FUNCTION confirm_hold(p_user bigint, p_admin boolean, p_hold bigint,
                             OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_hold    holds;
    v_starts  timestamptz;
    v_now     timestamptz;
    v_seats   bigint[];
    v_booking bigint;
BEGIN
    v_hold := lock_hold(p_user, p_admin, p_hold);
    SELECT e.starts_at INTO v_starts FROM events e WHERE e.id = v_hold.event_id;
    v_now := clock_timestamp();
    IF v_hold.id IS NULL THEN
        o_status := 404;
        o_body := problem(404, 'hold_not_found', 'Hold not found');
    ELSIF v_hold.status = 'confirmed' THEN
        o_status := 200;
        o_body := booking_json(v_hold.booking_id)::text;
    ELSIF v_hold.status = 'released' THEN
        o_status := 409;
        o_body := problem(409, 'hold_released', 'The hold was released');
    ELSIF v_hold.status = 'expired' OR v_hold.expires_at <= v_now THEN
        o_status := 409;
        o_body := problem(409, 'hold_expired', 'The hold has expired');
    ELSIF v_starts <= v_now THEN
        o_status := 409;
        o_body := problem(409, 'event_started', 'The event has already started');
    ELSE
        PERFORM waitlist_serve(v_hold.event_id);
        -- An active hold still claims every one of its seats.
        SELECT array_agg(l.id) INTO v_seats
          FROM (SELECT s.id FROM seats s
                 WHERE s.id IN (SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = p_hold)
                   AND s.hold_id = p_hold
                 ORDER BY s.id FOR UPDATE) l;
        IF coalesce(cardinality(v_seats), 0) <> v_hold.seat_count THEN
            RAISE EXCEPTION 'hold % lost a seat while active', p_hold;
        END IF;
        v_booking := record_booking(v_hold.event_id, v_hold.user_id, v_seats, v_hold.total_cents);
        UPDATE holds h SET status = 'confirmed', booking_id = v_booking, ended_at = v_now
         WHERE h.id = p_hold;
        UPDATE waitlist_entries w SET status = 'fulfilled' WHERE w.hold_id = p_hold AND w.status = 'offered';
        o_status := 201;
        o_body := booking_json(v_booking)::text;
    END IF;
END
$$;

-- DELETE /holds/{id}: released at once; a released or expired hold is
-- returned unchanged, a confirmed one is a conflict.
CREATE FUNCTION release_hold(p_user bigint, p_admin boolean, p_hold bigint,
                             OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_hold holds;
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
        PERFORM free_hold_seats(v_hold);
        UPDATE holds h SET status = 'released', ended_at = clock_timestamp() WHERE h.id = p_hold;
        -- A released offer: its entry is done, its seats go to the next.
        UPDATE waitlist_entries w SET status = 'expired' WHERE w.hold_id = p_hold AND w.status = 'offered';
        PERFORM waitlist_serve(v_hold.event_id);
    END IF;
    o_status := 200;
    o_body := hold_json(p_hold)::text;
END
$$;

-- Tidies up to p_limit holds whose time is up: their seats lose the stale
-- claim and the hold reads 'expired' from its row. Only tidiness: every
-- reader already treats them as expired. Safe to run anywhere, any time.
CREATE FUNCTION sweep_holds(p_limit integer) RETURNS integer
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
        PERFORM 1 FROM seats s
          WHERE s.id IN (SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = v_hold.id)
          ORDER BY s.id FOR UPDATE;
        UPDATE seats s SET hold_id = NULL, held_until = NULL
         WHERE s.hold_id = v_hold.id
           AND s.id IN (SELECT hs.seat_id FROM hold_seats hs WHERE hs.hold_id = v_hold.id);
        UPDATE holds h SET status = 'expired' WHERE h.id = v_hold.id;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;

-- Events are created with how long their holds last.
DROP FUNCTION create_event(text, text, text, timestamptz, jsonb);
CREATE FUNCTION create_event(p_name text, p_venue text, p_description text,
                             p_starts_at timestamptz, p_sections jsonb, p_hold_seconds integer)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_event   events;
    v_section record;
    v_created sections;
BEGIN
    INSERT INTO events (name, venue, description, starts_at, capacity, min_price_cents,
                        max_price_cents, hold_seconds)
    SELECT p_name, p_venue, p_description, p_starts_at,
           sum(x.rows * x.seats_per_row), min(x.price_cents), max(x.price_cents), p_hold_seconds
      FROM jsonb_to_recordset(p_sections) AS x(rows integer, seats_per_row integer, price_cents bigint)
    RETURNING * INTO v_event;

    -- Section by section, in the given order (the seat map's order), each
    -- with all its seats in one set-based INSERT.
    FOR v_section IN
        SELECT t.ord, t.item FROM jsonb_array_elements(p_sections) WITH ORDINALITY AS t(item, ord)
         ORDER BY t.ord
    LOOP
        INSERT INTO sections (event_id, position, name, rows, seats_per_row, price_cents)
        VALUES (v_event.id, v_section.ord - 1, v_section.item->>'name',
                (v_section.item->>'rows')::integer, (v_section.item->>'seats_per_row')::integer,
                (v_section.item->>'price_cents')::bigint)
        RETURNING * INTO v_created;
        INSERT INTO seats (event_id, section_id, row, number, price_cents)
        SELECT v_event.id, v_created.id, r, n, v_created.price_cents
          FROM generate_series(1, v_created.rows) r, generate_series(1, v_created.seats_per_row) n;
    END LOOP;

    INSERT INTO event_seat_counts (event_id, shard)
    SELECT v_event.id, g FROM generate_series(0, 15) g;

    RETURN event_json(v_event);
END
$$;
DROP FUNCTION seat_map_version(bigint);

-- Cancelling counts the freed seats too (see best_start).
-- Cancels a booking of p_user (any booking when p_admin). A cancelled
-- booking is returned unchanged.
CREATE OR REPLACE FUNCTION cancel_booking(p_user bigint, p_admin boolean, p_booking bigint,
                               OUT o_status integer, OUT o_body text)
LANGUAGE plpgsql AS $$
DECLARE
    v_booking   bookings;
    v_starts    timestamptz;
    v_cancelled timestamptz;
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

    PERFORM 1 FROM seats s
      WHERE s.id IN (SELECT bs.seat_id FROM booking_seats bs WHERE bs.booking_id = p_booking)
      ORDER BY s.id FOR UPDATE;
    UPDATE seats s SET booking_id = NULL
     WHERE s.booking_id = p_booking
       AND s.id IN (SELECT bs.seat_id FROM booking_seats bs WHERE bs.booking_id = p_booking);
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
    PERFORM waitlist_serve(v_booking.event_id);
    o_status := 200;
    o_body := booking_json(p_booking)::text;
END
$$;
