#!/usr/bin/env bash
# Operators: least privilege (the cluster, the roles, the accounts and the
# sockets of the stack), the login throttle, statement and lock timeouts,
# the sweeper, GET /metrics and the request id, the web app's headers.
source "$(dirname "$0")/lib.sh"
STATE=$EVENTLY_TEST_STATE
PG_PORT=$((PORT + 1000))
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
note() { echo "note: $*" >&2; }

# --- least privilege -------------------------------------------------------------------

# Another OS account reaches no role at all (peer authentication, the
# socket's group and the state directory's mode each refuse it).
if [ "$IS_ROOT" = 1 ]; then
  for role in postgres evently_owner evently_app; do
    out=$(runuser -u nobody -- psql "host=$STATE/run port=$PG_PORT dbname=evently user=$role" \
      -qAtX -c "SELECT 'connected'" 2>&1)
    check "nobody cannot connect as $role" "$(grep -c connected <<<"$out")" 0
  done
  # The application account gets only the application role.
  out=$(runuser -u evently -- psql "host=$STATE/run port=$PG_PORT dbname=evently user=evently_owner" \
    -qAtX -c "SELECT 'connected'" 2>&1)
  check "the app account cannot connect as the owner" "$(grep -c connected <<<"$out")" 0
  app_psql() { runuser -u evently -- psql "host=$STATE/run port=$PG_PORT dbname=evently user=evently_app" -qAtX "$@" 2>&1; }
else
  note "not root: the other-account checks need root; the app role is checked as this account"
  app_psql() { psql "host=$STATE/run port=$PG_PORT dbname=evently user=evently_app" -qAtX "$@" 2>&1; }
fi
check "the cluster accepts peer connections only" \
  "$(psql_q "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method NOT IN ('peer', 'scram-sha-256')")" 0
check "the app role connects" "$(app_psql -c "SELECT current_user")" evently_app
check "the app role is no superuser" "$(app_psql -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" f
check "the app role cannot create tables" "$(app_psql -c "CREATE TABLE intruder (i int)" | grep -c 'permission denied')" 1
check "the app role cannot create databases" "$(app_psql -c "CREATE DATABASE intruder" | grep -c 'permission denied')" 1
check "the app role cannot run programs" \
  "$(app_psql -c "COPY (SELECT 1) TO PROGRAM 'true'" | grep -c 'permission denied\|must be superuser\|privileges of the pg_execute_server_program')" 1
check "the app role cannot touch the migrations' records" \
  "$(app_psql -c "DELETE FROM schema_migrations" | grep -c 'permission denied')" 1
check "the app role can read what later migrations made" "$(app_psql -c "SELECT count(*) >= 0 FROM login_failures")" t
check "the functions connect as the app role" \
  "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'evently-%' AND usename <> 'evently_app'")" 0

# Sockets: none writable by others; the state directory not open to others.
check "no world-writable socket" "$(find "$STATE/run" -type s -perm -o=w | wc -l)" 0
mode=$(stat -c %a "$STATE")
check "no world-accessible state directory" "${mode: -1}" 0
check "the secrets file is 0600" "$(stat -c %a "$STATE/secrets")" 600
check "the cursor secret is generated" "$(grep -cE '^EVENTLY_SECRET=[0-9a-f]{64}$' "$STATE/secrets")" 1

# No process of the stack runs as root: nginx, every pool's supervisor and
# workers, the background processes and PostgreSQL.
stack_pids() {
  local f
  for f in "$STATE"/run/*.pid "$STATE/pgdata/postmaster.pid"; do
    [ -f "$f" ] || continue
    local p
    p=$(head -n1 "$f")
    echo "$p"
    pgrep -P "$p" || true
    # The background supervisors' children run children too.
    for c in $(pgrep -P "$p"); do pgrep -P "$c" || true; done
  done
}
mapfile -t PIDS < <(stack_pids | sort -u)
check "the stack's processes are found" "$([ "${#PIDS[@]}" -gt 40 ] && echo yes)" yes
if [ "$IS_ROOT" = 1 ]; then
  root_procs=$(ps -o user=,pid=,args= -p "$(IFS=,; echo "${PIDS[*]}")" | awk '$1 == "root"')
  check "no process of the stack runs as root" "$root_procs" ""
  check "nginx workers run as evently" \
    "$(ps -o user= --ppid "$(cat "$STATE/run/nginx.pid")" | sort -u | tr -d ' ')" evently
fi

# The admin's password is never the one the README once published.
TOKEN=""
req POST /auth/login '{"email":"admin@evently.test","password":"evently-admin"}'
expect_problem 401 invalid_credentials

# --- the login throttle ----------------------------------------------------------------

EMAIL="throttle$(date +%s%N)@example.com"
req POST /auth/register "{\"email\":\"$EMAIL\",\"password\":\"password-123\",\"name\":\"T\"}"
expect_status 201 "register the throttled account"
# A success does not clear failures, and does not count as one.
req POST /auth/login "{\"email\":\"$EMAIL\",\"password\":\"password-123\"}"
expect_status 200 "a first good login"
for i in $(seq 1 10); do
  req POST /auth/login "{\"email\":\"$EMAIL\",\"password\":\"wrong-$i\"}"
  expect_problem 401 invalid_credentials
done
check "ten failures are recorded" \
  "$(psql_q "SELECT count(*) FROM login_failures WHERE email_hash = sha256(convert_to('$EMAIL', 'UTF8'))")" 10
req POST /auth/login "{\"email\":\"$EMAIL\",\"password\":\"wrong-11\"}"
expect_problem 429 rate_limited
retry=$(header Retry-After)
check "Retry-After is the window's remaining seconds" "$([ "$retry" -ge 1 ] && [ "$retry" -le 900 ] && echo ok)" ok
# Whatever the password, whatever the case of the email; not counted.
req POST /auth/login "{\"email\":\"${EMAIL^^}\",\"password\":\"password-123\"}"
expect_problem 429 rate_limited
check "refused attempts are not counted" \
  "$(psql_q "SELECT count(*) FROM login_failures WHERE email_hash = sha256(convert_to('$EMAIL', 'UTF8'))")" 10
# An unregistered email is throttled the same way.
GHOST="ghost$(date +%s%N)@example.com"
for i in $(seq 1 10); do req POST /auth/login "{\"email\":\"$GHOST\",\"password\":\"x\"}"; done
expect_problem 401 invalid_credentials
req POST /auth/login "{\"email\":\"$GHOST\",\"password\":\"x\"}"
expect_problem 429 rate_limited
# A sliding window: once the oldest failure is 15 minutes old, one attempt
# may be made again.
psql_q "UPDATE login_failures SET failed_at = failed_at - interval '15 minutes'
         WHERE email_hash = sha256(convert_to('$EMAIL', 'UTF8'))
           AND failed_at = (SELECT min(failed_at) FROM login_failures
                             WHERE email_hash = sha256(convert_to('$EMAIL', 'UTF8')))" >/dev/null
req POST /auth/login "{\"email\":\"$EMAIL\",\"password\":\"password-123\"}"
expect_status 200 "the window slides: a good login again"
req POST /auth/login "{\"email\":\"$EMAIL\",\"password\":\"wrong-12\"}"
expect_problem 401 invalid_credentials
req POST /auth/login "{\"email\":\"$EMAIL\",\"password\":\"password-123\"}"
expect_problem 429 rate_limited

# A non-ASCII email is a validation error, never a 500.
req POST /auth/register '{"email":"élise@example.com","password":"password-123","name":"E"}'
expect_invalid email

# --- statement and lock timeouts answer 503 --------------------------------------------

sign_in_both
create_event "Timeout" "Hall" "2030-01-01T20:00:00Z"
expect_status 201 "an event to read"
EVENT=$EVENT_ID
# hold LOCK SECONDS: a session of ours holds a table lock that readers wait for.
hold_lock() {
  PGAPPNAME=evently_test_timeout psql "$PG_URL" -qAtX -c "BEGIN" -c "LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE" \
    -c "SELECT pg_sleep($2)" -c "COMMIT" >/dev/null 2>&1 &
  HOLDER=$!
  for _ in $(seq 100); do
    [ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'evently_test_timeout' AND query LIKE '%pg_sleep%'")" = 1 ] && return 0
    sleep 0.1
  done
  fail "the lock holder did not start"
}
# event_get's statement_timeout (3 s in the test stack) ends a wait that its
# lock_timeout (20 s) would not.
hold_lock events 15
TOKEN=""
req GET "/events/$EVENT"
expect_problem 503 service_unavailable
check "503 has Retry-After" "$(header Retry-After)" 1
wait "$HOLDER"
req GET "/events/$EVENT"
expect_status 200 "the event reads again once the lock is gone"
# waitlist_get's lock_timeout (1 s in the test stack).
TOKEN=$USER_TOKEN
hold_lock waitlist_entries 10
req GET /waitlist/1
expect_problem 503 service_unavailable
wait "$HOLDER"
req GET /waitlist/999999999
expect_problem 404 waitlist_entry_not_found
check "timeouts are logged as such, not as internal errors" \
  "$(grep -c 'error:' "$STATE/logs/event_get.log" "$STATE/logs/waitlist_get.log" | awk -F: '{s += $2} END {print s}')" 0

# --- the sweeper -----------------------------------------------------------------------

# Expired sessions, old idempotency keys and throttle rows past their window
# go; live ones stay.
UID_ROW=$(psql_q "SELECT id FROM users WHERE email = '$EMAIL'")
LIVE="sweep-live-$RANDOM$RANDOM"
psql_q "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES
          (sha256('sweep-expired-$RANDOM$RANDOM'), $UID_ROW, now() - interval '1 second'),
          (sha256('$LIVE'), $UID_ROW, now() + interval '1 hour');
        INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES
          ($UID_ROW, 'sweep-old', 'x', now() - interval '25 hours'),
          ($UID_ROW, 'sweep-new', 'x', now());
        INSERT INTO login_failures (email_hash, failed_at) VALUES
          (sha256('sweep@example.com'), now() - interval '16 minutes')" >/dev/null
gone=no
for _ in $(seq 100); do
  if [ "$(psql_q "SELECT (SELECT count(*) FROM sessions WHERE user_id = $UID_ROW AND expires_at <= now())
                      + (SELECT count(*) FROM idempotency_keys WHERE key = 'sweep-old')
                      + (SELECT count(*) FROM login_failures WHERE email_hash = sha256('sweep@example.com'))")" = 0 ]; then
    gone=yes
    break
  fi
  sleep 0.2
done
check "the sweeper removed the expired rows" "$gone" yes
check "the live session stays" "$(psql_q "SELECT count(*) FROM sessions WHERE token_hash = sha256('$LIVE')")" 1
check "the new idempotency key stays" "$(psql_q "SELECT count(*) FROM idempotency_keys WHERE key = 'sweep-new'")" 1
check "the throttle rows in their window stay" \
  "$(psql_q "SELECT count(*) FROM login_failures WHERE email_hash = sha256(convert_to('$EMAIL', 'UTF8'))")" 10
psql_q "DELETE FROM idempotency_keys WHERE key = 'sweep-new'" >/dev/null
check "the sweeper is supervised" "$(pgrep -c -P "$(cat "$STATE/run/sweeper.pid")")" 1

# --- metrics and the request id --------------------------------------------------------

TOKEN=""
req GET /metrics
expect_status 200 "GET /metrics"
check "metrics are Prometheus text" "$(header Content-Type)" "text/plain; version=0.0.4; charset=utf-8"
cp "$TMP/body" "$TMP/metrics-1"
# Every line is a comment or `name{labels} value`.
check "every line parses" \
  "$(grep -cvE '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+)$' "$TMP/metrics-1")" 0
check "every series has a TYPE" \
  "$(awk '/^# TYPE/ {t[$3] = 1} /^[a-z]/ {n = $1; sub(/[{].*/, "", n); b = n; sub(/_(bucket|sum|count)$/, "", b); if (!(n in t) && !(b in t)) bad++} END {print bad + 0}' "$TMP/metrics-1")" 0
figure() { # FILE SERIES: the value of one exact series (0 when absent)
  awk -v s="$2" '$1 == s {v = $2} END {print v + 0}' "$1"
}
check "health's workers are counted" "$(figure "$TMP/metrics-1" 'evently_workers{function="health"}')" 1
check "booking_create's workers are counted" "$(figure "$TMP/metrics-1" 'evently_workers{function="booking_create"}')" 4
check "nginx's figures are there" "$(grep -c '^nginx_http_requests_total ' "$TMP/metrics-1")" 1
before=$(figure "$TMP/metrics-1" 'evently_requests_total{function="health",status="200"}')
count_before=$(figure "$TMP/metrics-1" 'evently_request_duration_seconds_count{function="health"}')
booked_before=$(figure "$TMP/metrics-1" 'evently_bookings_created_total{function="booking_create"}')
for _ in 1 2 3 4 5; do req GET /health; done
TOKEN=$USER_TOKEN
SEAT=$(psql_q "SELECT min(id) FROM seats WHERE event_id = $EVENT")
req POST /bookings "{\"event_id\":$EVENT,\"seat_ids\":[$SEAT]}"
expect_status 201 "a booking to count"
TOKEN=""
req GET /metrics
cp "$TMP/body" "$TMP/metrics-2"
check "requests move with traffic" \
  "$(( $(figure "$TMP/metrics-2" 'evently_requests_total{function="health",status="200"}') - before ))" 5
check "the histogram moves with traffic" \
  "$(( $(figure "$TMP/metrics-2" 'evently_request_duration_seconds_count{function="health"}') - count_before ))" 5
check "the booking counter moves" \
  "$(( $(figure "$TMP/metrics-2" 'evently_bookings_created_total{function="booking_create"}') - booked_before ))" 1
check "database errors of the timeouts are counted" \
  "$([ "$(figure "$TMP/metrics-2" 'evently_db_errors_total{function="event_get"}')" -ge 1 ] && echo yes)" yes
inf=$(figure "$TMP/metrics-2" 'evently_request_duration_seconds_bucket{function="health",le="+Inf"}')
check "the +Inf bucket is the count" "$inf" "$(figure "$TMP/metrics-2" 'evently_request_duration_seconds_count{function="health"}')"

# A worker that dies is replaced: the metrics and `deploy/evently status`
# count the restart.
status_row() { # FUNCTION: its line of `deploy/evently status`
  EVENTLY_STATE_DIR=$STATE EVENTLY_PORT=$PORT EVENTLY_PG_PORT=$PG_PORT "$ROOT/deploy/evently" status |
    awk -v f="$1" '$1 == f'
}
restarts_before=$(status_row me | awk '{print $3}')
check "status shows me's live workers" "$(status_row me | awk '{print $2}')" 2
starts_before=$(figure "$TMP/metrics-2" 'evently_worker_starts_total{function="me"}')
kill -KILL "$(pgrep -P "$(cat "$STATE/run/me.pid")" | head -n1)"
for _ in $(seq 50); do
  [ "$(pgrep -c -P "$(cat "$STATE/run/me.pid")")" = 2 ] && break
  sleep 0.1
done
TOKEN=$USER_TOKEN
for _ in 1 2 3 4; do req GET /me; done  # the new worker claims its slot when it starts
TOKEN=""
req GET /metrics
cp "$TMP/body" "$TMP/metrics-3"
check "a replaced worker counts as a start" \
  "$(( $(figure "$TMP/metrics-3" 'evently_worker_starts_total{function="me"}') - starts_before ))" 1
check "status counts the restart" "$(( $(status_row me | awk '{print $3}') - restarts_before ))" 1
check "status shows the pool whole again" "$(status_row me | awk '{print $2}')" 2

# Only EVENTLY_METRICS_ALLOW (127.0.0.1 here) may read them: another local
# address of this host is refused like an unknown path.
OTHER=$(hostname -I 2>/dev/null | awk '{print $1}')
if [ -n "$OTHER" ] && [ "$OTHER" != 127.0.0.1 ]; then
  STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' --interface "$OTHER" "$BASE/metrics")
  BODY=$(cat "$TMP/body")
  check "metrics refused to $OTHER" "$STATUS" 404
else
  note "no second local address: the metrics allow list is not exercised"
fi

# The request id: returned, in the JSON access log and in the function's log.
req GET /health
RID=$(header X-Request-Id)
check "X-Request-Id is returned" "$(grep -cE '^[0-9a-f]{32}$' <<<"$RID")" 1
req GET /nothing-here
check "X-Request-Id on nginx's own answers too" "$(header X-Request-Id | grep -cE '^[0-9a-f]{32}$')" 1
check "nosniff on every answer" "$(header X-Content-Type-Options)" nosniff
found=no
for _ in $(seq 30); do  # the access log is flushed each second
  if grep -F "\"request_id\":\"$RID\"" "$STATE/logs/nginx-access.log" | jq -e '.function == "health" and .status == 200' >/dev/null 2>&1; then
    found=yes
    break
  fi
  sleep 0.2
done
check "the access log has the request as JSON" "$found" yes
check "the function's log names the request id" "$(grep -c "$RID" "$STATE/logs/health.log")" 1

# The web app: only its own scripts and styles, never in a frame.
req GET /
csp=$(header Content-Security-Policy)
check "the web app has a CSP" "$(grep -c "script-src 'self'" <<<"$csp")" 1
check "the CSP allows no inline script" "$(grep -c "unsafe-inline" <<<"$csp")" 0
check "the web app is never framed" "$(grep -c "frame-ancestors 'none'" <<<"$csp")" 1
check "nosniff on the web app" "$(header X-Content-Type-Options)" nosniff
check "the web app has no inline script" "$(grep -c '<script>' "$ROOT/web/index.html")" 0

# TRACE and CONNECT: 405 with Allow.
for m in TRACE CONNECT; do
  STATUS=$(curl -s -X "$m" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' "$BASE/health")
  BODY=$(cat "$TMP/body")
  expect_problem 405 method_not_allowed
  check "$m /health: Allow" "$(header Allow)" "GET, OPTIONS"
done

finish
