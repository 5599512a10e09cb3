# Helpers for the tests on the local rehearsal (tests/integration/cluster.sh),
# sourced after lib.sh: the cluster's database, a mixed booking load in
# rounds, and the rehearsal's own commands.
# shellcheck shell=bash
# Whichever node is primary: the workers' multi-host connection string.
PG_URL="host=127.0.0.1,127.0.0.1 port=$((PORT + 1001)),$((PORT + 1002)) dbname=evently user=$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un) target_session_attrs=read-write connect_timeout=2"
UPSTREAM_LOG=$EVENTLY_TEST_STATE/cluster/gateway/logs/nginx-upstream.log
CLIENTS=16
note() { echo "[${SECONDS}s] $*"; }
cluster() { "$ROOT/tests/integration/cluster.sh" "$@"; }
now() { date +%s.%N; }

# load_setup NAME ROWS: an event of ROWS rows of 50 seats, CLIENTS users, and
# each user's first booking (one seat, no key), which a round may cancel;
# sets EVENT_ID, SEATS (seat ids in order), OWN (a booking id per client).
load_setup() {
  admin_login
  ADMIN_TOKEN=$TOKEN
  create_event "Cluster $1 $(new_tag)" "Hall" 2031-06-01T19:30:00Z \
    "[{\"name\":\"Floor\",\"rows\":$2,\"seats_per_row\":50,\"price_cents\":1000}]"
  mapfile -t SEATS < <(psql_q "SELECT id FROM seats WHERE event_id = $EVENT_ID ORDER BY id")
  sql_users "$CLIENTS" "$1-$(new_tag)"
  NEXT_SEAT=0
  start_batch "own-$1"
  local c
  for c in $(seq 0 $((CLIENTS - 1))); do
    add_book "$c" "$c" "$EVENT_ID" - "${SEATS[$NEXT_SEAT]}"
    NEXT_SEAT=$((NEXT_SEAT + 1))
  done
  run_batch
  mapfile -t OWN < <(jq -r '.[].body.id' "$BATCH.all")
  check "first bookings" "$(count_where "$BATCH.all" '.status == 201')" "$CLIENTS"
}

# load_round NAME BOOKINGS READS: builds a batch where each client books BOOKINGS
# fresh seats, one at a time, with an Idempotency-Key each, and reads READS
# times (the event, its seat map, its own booking, search); on the second
# round each client also cancels its first booking (not idempotent to nginx:
# never passed on to a second host).
ROUND=0
load_round() {
  start_batch "round-$1-$ROUND"
  local c i k
  for c in $(seq 0 $((CLIENTS - 1))); do
    for i in $(seq 0 $(($2 + $3 - 1))); do
      if [ $((i % (($2 + $3) / $2))) -eq 0 ] && [ $((i / (($2 + $3) / $2))) -lt "$2" ]; then
        k="$1-$ROUND-$c-$i-$RANDOM"
        add_book "$c" "$c" "$EVENT_ID" "$k" "${SEATS[$NEXT_SEAT]}"
        NEXT_SEAT=$((NEXT_SEAT + 1))
      else
        case $((i % 4)) in
          0) add_line "$c" "GET /events/$EVENT_ID - -" '{"kind":"read"}' ;;
          1) add_line "$c" "GET /events/$EVENT_ID/seats - -" '{"kind":"read"}' ;;
          2) add_line "$c" "GET /bookings/${OWN[$c]} ${TOKENS[$c]} -" '{"kind":"read"}' ;;
          3) add_line "$c" "GET /events?q=Cluster - -" '{"kind":"read"}' ;;
        esac
      fi
    done
  done
  if [ "$ROUND" = 1 ]; then
    for c in $(seq 0 $((CLIENTS - 1))); do add_cancel "$c" "$c" "${OWN[$c]}"; done
  fi
  ROUND=$((ROUND + 1))
}

# load_build NAME ROUNDS BOOKINGS READS: ROUNDS batches built ahead (ROUND_FILES),
# so that load_drive runs them back to back with no gap.
load_build() {
  ROUND_FILES=()
  local r
  for r in $(seq "$2"); do
    load_round "$1" "$3" "$4"
    ROUND_FILES+=("$BATCH")
  done
}

# load_drive: in the background, the rounds one after the other until
# $TMP/stop appears; DRIVEN counts the rounds begun. A request that takes
# longer than 15 s counts as a hang (status 0).
load_drive() {
  rm -f "$TMP/stop" "$TMP/driven"
  (
    for f in "${ROUND_FILES[@]}"; do
      [ -f "$TMP/stop" ] && break
      echo "$f" >>"$TMP/driven"
      "$DRIVER" -t 15 -o "$f.out" "127.0.0.1:$PORT" "$f" || echo "load_driver failed on $f" >&2
    done
  ) &
  DRIVE_PID=$!
}

# load_stop ALL: stops the rounds, and collects every answer into the JSON
# array in ALL; fails when the rounds ran out before the stop.
load_stop() {
  touch "$TMP/stop"
  wait "$DRIVE_PID"
  local f n
  n=$(wc -l <"$TMP/driven")
  check "the load lasted until the end of the test window" \
    "$([ "$n" -lt "${#ROUND_FILES[@]}" ] && echo yes)" yes
  while read -r f; do
    # Seat maps are large and only their status is checked: bodies over 4 kB go.
    awk -F'\t' -v OFS='\t' 'length($4) > 4096 { $4 = "{\"large\":true}" } 1' "$f.out" >"$f.cut"
    mv "$f.cut" "$f.out"
    join_batch "$f"
  done <"$TMP/driven"
  jq -s 'add' $(sed 's/$/.all/' "$TMP/driven") >"$1"
  note "$n rounds, $(jq length "$1") requests: $(status_counts "$1")"
}

# logged_after T: the lines of nginx's log of which host answered what (end
# time, method, uri, status, hosts tried, their statuses, duration) that
# ended after time T.
logged_after() {
  sleep 1.2  # the log is flushed every second
  awk -v t="$1" '$1 > t' "$UPSTREAM_LOG"
}
