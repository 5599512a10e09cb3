-- Evently schema: accounts, events with their seat layout, bookings.
-- The constraints here are the first line of defence: the database itself
-- refuses a seat in two confirmed bookings, whatever a caller does.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

-- Only a hash of a bearer token is stored; the token itself is shown once.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE events (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    venue           text NOT NULL CHECK (length(venue) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    starts_at       timestamptz NOT NULL,
    capacity        integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    min_price_cents bigint NOT NULL CHECK (min_price_cents >= 0),
    max_price_cents bigint NOT NULL CHECK (max_price_cents >= min_price_cents),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- GET /events pages by (starts_at, id).
CREATE INDEX events_by_start ON events (starts_at, id);
-- GET /events?q=&venue=: case-insensitive substring search.
CREATE INDEX events_name_trgm ON events USING gin (name gin_trgm_ops);
CREATE INDEX events_venue_trgm ON events USING gin (venue gin_trgm_ops);

CREATE TABLE sections (
    id            bigserial PRIMARY KEY,
    event_id      bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position      smallint NOT NULL CHECK (position BETWEEN 0 AND 49),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    rows          integer NOT NULL CHECK (rows BETWEEN 1 AND 500),
    seats_per_row integer NOT NULL CHECK (seats_per_row BETWEEN 1 AND 500),
    price_cents   bigint NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
    CONSTRAINT sections_position_key UNIQUE (event_id, position),
    CONSTRAINT sections_name_key UNIQUE (event_id, name),
    -- Target of seats' (event_id, section_id) reference.
    CONSTRAINT sections_event_id_key UNIQUE (event_id, id)
);

CREATE TABLE bookings (
    id           bigserial PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
    seat_count   integer NOT NULL CHECK (seat_count BETWEEN 1 AND 10),
    total_cents  bigint NOT NULL CHECK (total_cents >= 0),
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    cancelled_at timestamptz,
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    -- Target of booking_seats' (booking_id, status) mirror.
    CONSTRAINT bookings_id_status_key UNIQUE (id, status)
);
-- GET /bookings: the caller's own, newest first.
CREATE INDEX bookings_by_user ON bookings (user_id, id DESC);
CREATE INDEX bookings_by_event ON bookings (event_id);

-- One row per seat, created with the event. booking_id names the confirmed
-- booking that holds the seat (NULL: available). A single reference to its
-- section (which belongs to the event) keeps creating 100,000 seats to one
-- foreign-key check each.
CREATE TABLE seats (
    id          bigserial PRIMARY KEY,
    event_id    bigint NOT NULL,
    section_id  bigint NOT NULL,
    row         integer NOT NULL CHECK (row BETWEEN 1 AND 500),
    number      integer NOT NULL CHECK (number BETWEEN 1 AND 500),
    price_cents bigint NOT NULL CHECK (price_cents BETWEEN 0 AND 100000000),
    booking_id  bigint,
    FOREIGN KEY (event_id, section_id) REFERENCES sections (event_id, id) ON DELETE CASCADE,
    -- One seat per place; also the seat map's order (section, row, number).
    CONSTRAINT seats_place_key UNIQUE (event_id, section_id, row, number)
) WITH (fillfactor = 90);

-- The seats each booking asked for. status mirrors the booking's status
-- (ON UPDATE CASCADE), so that the partial unique index below makes a seat in
-- two confirmed bookings impossible at the database level.
CREATE TABLE booking_seats (
    booking_id bigint NOT NULL,
    seat_id    bigint NOT NULL REFERENCES seats (id) ON DELETE CASCADE,
    status     text NOT NULL DEFAULT 'confirmed',
    PRIMARY KEY (booking_id, seat_id),
    FOREIGN KEY (booking_id, status) REFERENCES bookings (id, status)
        ON UPDATE CASCADE ON DELETE CASCADE
);
-- Deleting a seat (with its event) finds the rows that name it.
CREATE INDEX booking_seats_by_seat ON booking_seats (seat_id);
CREATE UNIQUE INDEX booking_seats_one_confirmed_per_seat
    ON booking_seats (seat_id) WHERE status = 'confirmed';

-- A seat may only be held by a booking that asked for it.
ALTER TABLE seats ADD CONSTRAINT seats_holder_fkey
    FOREIGN KEY (booking_id, id) REFERENCES booking_seats (booking_id, seat_id)
    ON DELETE SET NULL (booking_id) DEFERRABLE INITIALLY DEFERRED;

-- Booked-seat counters, split in shards so that concurrent bookings of one
-- event update different rows instead of queueing on one. version grows on
-- every change and feeds the seat map's ETag.
CREATE TABLE event_seat_counts (
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    shard    smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    -- A shard may go below zero (booked in one, freed in another); the sum cannot.
    booked   integer NOT NULL DEFAULT 0,
    version  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, shard)
);

-- POST /bookings Idempotency-Key: the first answer, replayed to repeats.
CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash text NOT NULL,
    status       integer,
    body         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
