#!/usr/bin/env bash
# CTest fixture: brings a whole Evently stack (PostgreSQL, every function's
# pool, nginx) up on a throwaway port and state directory, or tears it down.
#   stack.sh up|down   with EVENTLY_TEST_STATE and EVENTLY_BUILD_DIR set
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${EVENTLY_TEST_STATE:?}" "${EVENTLY_BUILD_DIR:?}"
export EVENTLY_STATE_DIR=$EVENTLY_TEST_STATE EVENTLY_SKIP_BUILD=1 EVENTLY_SKIP_INSTALL=1
export EVENTLY_ADMIN_EMAIL=admin@evently.test EVENTLY_ADMIN_PASSWORD=admin-password-1
unset DATABASE_URL
# test_operators: the sweeper every second; event_get gives up on a statement
# after 3 s and waitlist_get on a lock wait after 1 s (nothing else in the
# suite locks what they read).
export EVENTLY_SWEEP_INTERVAL=1 EVENTLY_STATEMENT_TIMEOUT_EVENT_GET=3000 EVENTLY_LOCK_TIMEOUT_WAITLIST_GET=1000
# Cached answers go unchecked for up to 3 s on the change board, so that a
# test reading after a write sees the write through the board's marks, not
# because the trust window happened to end (test_read_cache waits it out once).
export EVENTLY_BOARD_TRUST_MS=3000

# A port nobody listens on, from a random start so that stacks started at the
# same time rarely pick the same one (a clash is retried below).
free_port() {
  local p i
  for i in $(seq 0 899); do
    p=$((18080 + (RANDOM + i) % 900))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

case "$1" in
  up)
    "$0" down >/dev/null 2>&1 || true
    mkdir -p "$EVENTLY_TEST_STATE"
    for attempt in 1 2 3; do
      port=$(free_port)
      echo "$port" >"$EVENTLY_TEST_STATE/port"
      # Enough booking workers to prove locking across processes.
      if EVENTLY_PORT=$port EVENTLY_PG_PORT=$((port + 1000)) EVENTLY_WORKERS_BOOKING_CREATE=4 \
        "$ROOT/deploy/evently" up; then
        exit 0
      fi
      echo "stack.sh: attempt $attempt on port $port failed; retrying" >&2
      EVENTLY_PORT=$port EVENTLY_PG_PORT=$((port + 1000)) "$ROOT/deploy/evently" down || true
    done
    exit 1
    ;;
  down)
    if [ -f "$EVENTLY_TEST_STATE/port" ]; then
      port=$(cat "$EVENTLY_TEST_STATE/port")
      EVENTLY_PORT=$port EVENTLY_PG_PORT=$((port + 1000)) "$ROOT/deploy/evently" down || true
    fi
    rm -rf "$EVENTLY_TEST_STATE"
    ;;
  *) echo "usage: stack.sh up|down" >&2; exit 2 ;;
esac
