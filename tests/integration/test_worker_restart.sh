#!/usr/bin/env bash
# A worker killed with SIGKILL is replaced by its pool's supervisor, and
# requests keep succeeding — also when a pool loses every worker at once.
source "$(dirname "$0")/lib.sh"

supervisor() { cat "$EVENTLY_TEST_STATE/run/$1.pid"; }
workers() { pgrep -P "$(supervisor "$1")" | sort -n | paste -sd' '; }
count() { wc -w <<<"$1"; }

# await_pool FUNCTION N GONE...: polls (bounded, 10 s) until FUNCTION has N
# workers, none of them one of GONE; prints them.
await_pool() {
  local fn=$1 n=$2 now
  shift 2
  for _ in $(seq 100); do
    now=$(workers "$fn")
    if [ "$(count "$now")" -eq "$n" ] && ! grep -qwF -f <(printf '%s\n' "$@") <<<"$now"; then
      echo "$now"
      return 0
    fi
    sleep 0.1
  done
  echo "$now"
  return 1
}

admin_login
ADMIN_TOKEN=$TOKEN
TOKEN=""
create_event "$(new_tag) restart" "Restart Hall" 2035-09-01T20:00:00Z
ID=$EVENT_ID

# --- one worker of a pool of one: /health ---------------------------------------------

for fn in health event_get; do
  check "$fn has a live supervisor" "$(kill -0 "$(supervisor "$fn")" 2>/dev/null && echo yes)" yes
done
BEFORE=$(workers health)
check "health runs one worker" "$(count "$BEFORE")" 1
req GET /health
expect_status 200 "before the kill"

kill -9 "$BEFORE"
# The socket stays bound by the supervisor: a request waits for the new worker.
req GET /health "" --max-time 15
expect_status 200 "a request right after the kill"
expect_json . '{"status":"ok","database":"ok"}'
AFTER=$(await_pool health 1 "$BEFORE") && ok || fail "health was not given a new worker: [$AFTER]"
check "the killed worker is gone" "$(kill -0 "$BEFORE" 2>/dev/null && echo alive || echo gone)" gone
for i in $(seq 20); do
  req GET /health
  expect_status 200 "GET /health after the restart ($i)"
done

# --- every worker of a pool at once: GET /events/{id} ---------------------------------

BEFORE=$(workers event_get)
N=$(count "$BEFORE")
check "event_get runs more than one worker" "$([ "$N" -gt 1 ] && echo yes)" yes
for _ in $(seq 2 "$N"); do req GET "/events/$ID"; done  # each worker connects
# shellcheck disable=SC2086
kill -9 $BEFORE
for i in $(seq 20); do
  req GET "/events/$ID" "" --max-time 15
  expect_status 200 "GET /events/{id} while and after the pool is replaced ($i)"
done
expect_json .id "$ID"
AFTER=$(await_pool event_get "$N" $BEFORE) && ok || fail "event_get was not refilled: [$AFTER]"

# --- a worker killed in the middle of a request's life: the next requests succeed -------

BEFORE=$(workers events_list)
N=$(count "$BEFORE")
# Parallel readers while one worker dies: each request either succeeds, or
# (only the one in flight on the dead worker) fails with a problem document.
for i in $(seq 40); do
  curl -s -o "$TMP/par.$i" -w '%{http_code}\n' --max-time 15 "$BASE/events?limit=5" >"$TMP/code.$i" &
  [ "$i" -eq 10 ] && kill -9 "${BEFORE%% *}"
done
wait
OK=$(cat "$TMP"/code.* | grep -c '^200$')
check "at most one request lost with the killed worker" "$([ "$OK" -ge 39 ] && echo yes)" yes
for f in "$TMP"/par.*; do
  grep -qi '<html' "$f" && fail "an HTML answer while a worker died"
done
AFTER=$(await_pool events_list "$N" "${BEFORE%% *}") && ok || fail "events_list was not refilled: [$AFTER]"
for i in $(seq 20); do
  req GET "/events?limit=5"
  expect_status 200 "GET /events after the restart ($i)"
done

# The supervisors themselves were never replaced.
for fn in health event_get events_list; do
  check "$fn supervisor still alive" "$(kill -0 "$(supervisor "$fn")" 2>/dev/null && echo yes)" yes
done

finish
