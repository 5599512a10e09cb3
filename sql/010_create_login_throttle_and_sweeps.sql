-- Operators: the login throttle and the sweeps that keep tables bounded.
--
-- Login throttle (contract "Operators"): after 10 failed attempts for one
-- email (registered or not) within 15 minutes, a sliding window, further
-- attempts are refused until fewer than 10 failures remain in the window.
-- Kept here, so that it holds across workers and hosts. An email is kept
-- only as its sha256; refused attempts are not recorded, so an email has at
-- most about 10 rows in its window, and each failure deletes that email's
-- rows that have left it. The sweeper removes the rest (sweep_expired).

CREATE TABLE login_failures (
    email_hash bytea NOT NULL CHECK (length(email_hash) = 32),
    failed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The window of one email, newest first.
CREATE INDEX login_failures_by_email ON login_failures (email_hash, failed_at DESC);
-- The sweep of rows past any window.
CREATE INDEX login_failures_by_age ON login_failures (failed_at);

-- Seconds until an attempt for p_email may be tried (0: now): the 10th
-- newest failure in the window has to leave it.
CREATE FUNCTION login_retry_after(p_email text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT greatest(1, ceil(extract(epoch FROM
                   f.failed_at + interval '15 minutes' - clock_timestamp())))::integer
          FROM login_failures f
         WHERE f.email_hash = sha256(convert_to(p_email, 'UTF8'))
           AND f.failed_at > clock_timestamp() - interval '15 minutes'
         ORDER BY f.failed_at DESC
        OFFSET 9 LIMIT 1), 0)
$$;

-- Records one failed attempt for p_email, dropping its rows outside the window.
CREATE FUNCTION login_failed(p_email text) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM login_failures
     WHERE email_hash = sha256(convert_to(p_email, 'UTF8'))
       AND failed_at <= clock_timestamp() - interval '15 minutes';
    INSERT INTO login_failures (email_hash) VALUES (sha256(convert_to(p_email, 'UTF8')));
$$;

-- The sweeper's round (deploy/sweeper.cpp): up to p_limit rows of each kind
-- that nothing can use any more. Expired sessions are already refused by
-- every check, idempotency keys are kept at least 24 h (the contract), and
-- throttle rows count only within their window, so correctness never
-- depends on this having run. Returns how many rows of each kind went.
CREATE FUNCTION sweep_expired(p_limit integer, p_key_hours integer,
                              OUT o_sessions integer, OUT o_idempotency_keys integer,
                              OUT o_login_failures integer)
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sessions s
     WHERE s.ctid = ANY (ARRAY(SELECT x.ctid FROM sessions x
                                WHERE x.expires_at <= now()
                                ORDER BY x.expires_at LIMIT p_limit));
    GET DIAGNOSTICS o_sessions = ROW_COUNT;
    DELETE FROM idempotency_keys k
     WHERE k.ctid = ANY (ARRAY(SELECT x.ctid FROM idempotency_keys x
                                WHERE x.created_at <= now() - make_interval(hours => greatest(p_key_hours, 24))
                                ORDER BY x.created_at LIMIT p_limit));
    GET DIAGNOSTICS o_idempotency_keys = ROW_COUNT;
    DELETE FROM login_failures f
     WHERE f.ctid = ANY (ARRAY(SELECT x.ctid FROM login_failures x
                                WHERE x.failed_at <= now() - interval '15 minutes'
                                ORDER BY x.failed_at LIMIT p_limit));
    GET DIAGNOSTICS o_login_failures = ROW_COUNT;
END
$$;
