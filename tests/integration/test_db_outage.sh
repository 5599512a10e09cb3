#!/usr/bin/env bash
# PostgreSQL goes away and comes back: while it is down every endpoint that
# needs it answers 503 service_unavailable (never 500, never a hang, never a
# leaked SQL message); once it is back, reads and writes work again within
# seconds, without restarting any worker.
source "$(dirname "$0")/lib.sh"

PG_BIN=${EVENTLY_PG_BIN:-/usr/lib/postgresql/15/bin}
PGDATA=$EVENTLY_TEST_STATE/pgdata
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1 ||
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$EVENTLY_TEST_STATE/logs/postgresql.log" -w -t 60 start >/dev/null
}
# Whatever happens below, the stack gets its database back for the next test.
trap 'pg_start; rm -rf "$TMP"' EXIT

sign_in_both
create_event "$(new_tag) outage" "Outage Hall" 2035-08-01T20:00:00Z
ID=$EVENT_ID

# Every worker holds a live connection before the database goes.
for _ in 1 2 3 4 5 6 7 8; do
  req GET /health; req GET /events; req GET "/events/$ID"; req GET "/events/$ID/seats"
done
expect_status 200 "warm-up"
SUPERVISORS=$(cat "$EVENTLY_TEST_STATE"/run/*.pid | sort | paste -sd' ')
WORKERS=$(for s in $SUPERVISORS; do pgrep -P "$s"; done | sort | paste -sd' ')

as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
check "PostgreSQL is stopped" "$(as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; echo $?)" 3
# A cached public read that the change board saw nothing change may still be
# answered as it was (nothing can change while the database is away) until
# its trust window ends (EVENTLY_BOARD_TRUST_MS, 3 s in the test stack); from
# then on it is checked with PostgreSQL like every other answer.
sleep 3.2

# expect_unavailable WHAT: 503 service_unavailable, no internals in it.
expect_unavailable() {
  expect_problem 503 service_unavailable
  check "$1: no internals in the detail" \
    "$(grep -Eic 'postgres|sql|socket|connection to server|pqxx|errno' <<<"$BODY")" 0
}
for round in 1 2 3; do  # several rounds reach several workers of each pool
  req GET /health "" --max-time 15
  expect_unavailable "GET /health ($round)"
  req GET /events "" --max-time 15
  expect_unavailable "GET /events ($round)"
  req GET "/events/$ID" "" --max-time 15
  expect_unavailable "GET /events/{id} ($round)"
  req GET "/events/$ID/seats" "" --max-time 15
  expect_unavailable "GET /events/{id}/seats ($round)"
done
req POST /auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" --max-time 15
expect_unavailable "POST /auth/login"
TOKEN=$USER_TOKEN
req GET /me "" --max-time 15
expect_unavailable "GET /me (a token cannot be checked: 503, not 401)"
TOKEN=$ADMIN_TOKEN
req POST /admin/events "{\"name\":\"x\",\"venue\":\"y\",\"starts_at\":\"2035-01-01T00:00:00Z\",\"sections\":[{\"name\":\"A\",\"rows\":1,\"seats_per_row\":1,\"price_cents\":1}]}" --max-time 15
expect_unavailable "POST /admin/events"
TOKEN=""
# What needs no database still works: nginx's own answers.
req GET /no/such/path
expect_problem 404 not_found
req OPTIONS /events
expect_status 204 "preflight while the database is down"
# Validation needs no database either, and comes before it.
req GET "/events?limit=0"
expect_invalid limit

# Workers that saw no request during the outage still hold their dead
# connection: their next request must notice and use a fresh one — a
# read-only statement with all its arguments again, and a write (nothing of
# which was sent) too. The admin pools have one worker each; registration
# was not tried during the outage at all.
pg_start
for i in 1 2 3 4 5 6; do
  TOKEN=""
  req POST /auth/register "{\"email\":\"after$i.$(date +%s%N)@example.com\",\"password\":\"password-123\",\"name\":\"After\"}" --max-time 15
  expect_status 201 "registration right after recovery ($i)"
done
TOKEN=$ADMIN_TOKEN
req PATCH "/admin/events/$ID" '{"description":"after the outage"}' --max-time 15
expect_status 200 "the first PATCH after recovery, with a token from before"
req DELETE /admin/events/9007199254740991 "" --max-time 15
expect_problem 404 event_not_found
check "the first DELETE after recovery authenticates" "$(json .code)" '"event_not_found"'
TOKEN=""
check "PostgreSQL is running again" "$(as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; echo $?)" 0

# Bounded polling: /health answers 200 within 10 s.
for _ in $(seq 50); do
  req GET /health "" --max-time 5
  [ "$STATUS" = 200 ] && break
  sleep 0.2
done
expect_status 200 "/health recovers"
expect_json . '{"status":"ok","database":"ok"}'

# From then on every request succeeds, on every worker, with no 503 left over.
for round in $(seq 8); do
  req GET /health;            expect_status 200 "GET /health after recovery ($round)"
  req GET /events?limit=1;    expect_status 200 "GET /events after recovery ($round)"
  req GET "/events/$ID";      expect_status 200 "GET /events/{id} after recovery ($round)"
  req GET "/events/$ID/seats"; expect_status 200 "GET /events/{id}/seats after recovery ($round)"
done
req GET "/events/$ID"
expect_json .id "$ID" "the data survived"
TOKEN=$USER_TOKEN
req GET /me
expect_status 200 "a token from before the outage still works"
TOKEN=""
req POST /auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
expect_status 200 "login after recovery"
create_event "$(new_tag) after" "Outage Hall" 2035-08-02T20:00:00Z
check "writes work after recovery" "$STATUS" 201
TOKEN=$ADMIN_TOKEN
req DELETE "/admin/events/$EVENT_ID"
expect_status 204 "delete after recovery"

check "no worker was restarted to recover" \
  "$(for s in $SUPERVISORS; do pgrep -P "$s"; done | sort | paste -sd' ')" "$WORKERS"
check "no 500 during the outage" \
  "$(grep -h ' 500 ' "$EVENTLY_TEST_STATE"/logs/{health,events_list,event_get,event_seats,auth_login,me,admin_event_create}.log 2>/dev/null | wc -l)" 0

finish
