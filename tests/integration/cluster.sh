#!/usr/bin/env bash
# CTest fixture: the local rehearsal of the multi-machine layout
# (`deploy/evently cluster`: two function hosts, a primary, a synchronous
# standby, the failover monitor, nginx) on throwaway ports and directory.
#   cluster.sh up|down   with EVENTLY_TEST_STATE and EVENTLY_BUILD_DIR set
# Ports: nginx P (in EVENTLY_TEST_STATE/port), PostgreSQL P+1000 (monitor)
# and the next two, the pools from P+2000 on 127.0.0.11 and 127.0.0.12.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${EVENTLY_TEST_STATE:?}" "${EVENTLY_BUILD_DIR:?}"
export EVENTLY_STATE_DIR=$EVENTLY_TEST_STATE EVENTLY_SKIP_BUILD=1 EVENTLY_SKIP_INSTALL=1
export EVENTLY_ADMIN_EMAIL=admin@evently.test EVENTLY_ADMIN_PASSWORD=admin-password-1
export EVENTLY_PG_SHARED_BUFFERS=128MB
unset DATABASE_URL DATABASE_READ_URL EVENTLY_HOSTS_FILE

free_port() { # a port nobody listens on, nor on the next three thousand's same offsets
  local p i
  for i in $(seq 0 899); do
    p=$((21080 + (RANDOM + i) % 900))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1000))") 2>/dev/null && continue
    echo "$p"
    return
  done
  return 1
}

with_ports() { # PORT COMMAND...
  local p=$1
  shift
  EVENTLY_PORT=$p EVENTLY_PG_PORT=$((p + 1000)) EVENTLY_FCGI_PORT=$((p + 2000)) "$@"
}

case "$1" in
  up)
    "$0" down >/dev/null 2>&1 || true
    mkdir -p "$EVENTLY_TEST_STATE"
    port=$(free_port)
    echo "$port" >"$EVENTLY_TEST_STATE/port"
    with_ports "$port" "$ROOT/deploy/evently" cluster up
    ;;
  down)
    if [ -f "$EVENTLY_TEST_STATE/port" ]; then
      with_ports "$(cat "$EVENTLY_TEST_STATE/port")" "$ROOT/deploy/evently" cluster down || true
    fi
    rm -rf "$EVENTLY_TEST_STATE"
    ;;
  # For the tests: the rehearsal's own commands on the fixture's ports.
  kill-host|fail-primary|rejoin|status)
    with_ports "$(cat "$EVENTLY_TEST_STATE/port")" "$ROOT/deploy/evently" cluster "$@"
    ;;
  *) echo "usage: cluster.sh up|down|kill-host N|fail-primary|rejoin|status" >&2; exit 2 ;;
esac
