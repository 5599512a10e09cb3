#!/usr/bin/env bash
# Bookings under concurrency, driven by tests/load/load_driver (one thread and
# keep-alive connection per client, all released at once):
#   (a) 150 users race for one seat;
#   (b) rounds of 120 users booking random overlapping 2..4-seat sets;
#   (c) one user sends the same Idempotency-Key and body 20 times at once;
#   (d) rounds of owners cancelling while others book the same seats;
#   (e) a booking worker is killed with SIGKILL in the middle of a booking,
#       then again at a random moment of a load.
# After each: the answers agree with each other and with PostgreSQL (no seat
# in two confirmed bookings, every booking whole, counters and seat map
# right), no 5xx and no deadlock. Inputs are random: EVENTLY_TEST_SEED
# replays a run's choices.
source "$(dirname "$0")/lib.sh"

if [ ! -x "$DRIVER" ]; then
  fail "$DRIVER is not built"
  finish
  exit
fi
PG_LOG=$EVENTLY_TEST_STATE/logs/postgresql.log
PG_LOG_START=$(stat -c %s "$PG_LOG")
SEED=${EVENTLY_TEST_SEED:-$(date +%s)}
RANDOM=$SEED
echo "seed $SEED (EVENTLY_TEST_SEED=$SEED replays these choices)"
RUN=r$(date +%s%N)
STARTS_AT=2031-06-01T19:30:00Z
note() { echo "[${SECONDS}s] $*"; }

# pick N LO HI: sets PICK to N distinct random integers in [LO, HI). No
# subshell, so that RANDOM stays one reproducible sequence.
pick() {
  PICK=()
  local x
  while [ ${#PICK[@]} -lt "$1" ]; do
    x=$(($2 + RANDOM % ($3 - $2)))
    [[ " ${PICK[*]} " == *" $x "* ]] || PICK+=("$x")
  done
}

# --- what the answers must say --------------------------------------------------
# BEFORE is the map {booking id: [seat ids]} of the event's confirmed bookings
# when the batch started. Every answer of the batch is checked against it and
# against the other answers: a 201 books exactly what it asked for and nothing
# that stayed booked all along; a 409 names only seats it asked for that
# somebody held during the batch, and every seat it asked for that stayed
# booked all along; a cancel answers the booking as it was, now cancelled.
# Answers with a status in SKIP (transport failures under a kill) are left
# to the caller. Prints one line a violation.
# shellcheck disable=SC2016  # jq, not shell, variables
VIOLATIONS_JQ='
def set: map({key: tostring, value: true}) | from_entries;
def seats_of: [.[]] | add // [];
def short: tostring | .[0:240];
([$batch[] | select(.kind == "cancel" and .status == 200) | .booking] | set) as $cancelled
| ($before | with_entries(select($cancelled[.key] | not)) | seats_of | set) as $held
| (($before | seats_of) + [$batch[] | select(.kind == "book" and .status == 201) | .body.seats[]?.id]
   | set) as $maybe
| $batch[] | select(.status as $s | $skip | index($s) | not)
| .body |= (if type == "object" then . else {raw: .} end)
| "client \(.client) #\(.index) \(.kind) \(.seats // .booking)" as $what
| if .kind == "book" then
    [.seats[] | select($held[tostring])] as $must
    | if .status == 201 then
        (if ([.body.seats[]?.id] | sort) != (.seats | sort)
         then "\($what): 201 lists seats \([.body.seats[]?.id])" else empty end),
        (if .body.status != "confirmed" or .body.event_id != .event or .body.user_id != .user_id
         then "\($what): 201 with \(.body | short)" else empty end),
        (if .body.total_cents != ([.body.seats[]?.price_cents] | add)
         then "\($what): total_cents is not the sum of its seats" else empty end),
        (if $must != [] then "\($what): 201 although \($must) stayed booked by others" else empty end)
      elif .status == 409 then
        (.body.unavailable_seat_ids // []) as $u
        | (if .body.code != "seat_unavailable" or $u == []
           then "\($what): 409 with \(.body | short)" else empty end),
          (if ($u - .seats) != [] then "\($what): 409 names \($u - .seats), not asked for" else empty end),
          ([$u[] | select($maybe[tostring] | not)] as $never
           | if $never != [] then "\($what): 409 names \($never), which nobody held" else empty end),
          (if ($must - $u) != [] then "\($what): 409 omits \($must - $u), booked all along" else empty end)
      else "\($what): status \(.status) \(.body | short)" end
  elif .kind == "cancel" then
    if .status == 200 then
      (if .body.id != .booking or .body.status != "cancelled" or .body.cancelled_at == null
       then "\($what): 200 with \(.body | short)" else empty end),
      (if ([.body.seats[]?.id] | sort) != $before[.booking | tostring]
       then "\($what): cancelled booking lists \([.body.seats[]?.id])" else empty end)
    else "\($what): status \(.status) \(.body | short)" end
  else empty end'

# check_answers LABEL BEFORE_FILE ALL_FILE [SKIP_JSON]
check_answers() {
  local out
  if ! out=$(jq -rn --slurpfile before "$2" --slurpfile batch "$3" --argjson skip "${4:-[]}" \
    "\$before[0] as \$before | \$batch[0] as \$batch | $VIOLATIONS_JQ"); then
    fail "$1: the answers could not be analysed"
    return
  fi
  check "$1: violations among $(jq length "$3") answers ($(status_counts "$3"))" \
    "$(grep -c . <<<"$out")" 0
  [ -n "$out" ] && head -n 10 <<<"$out" >&2
}

# advance EXPECTED_FILE ALL_FILE...: the confirmed bookings after these
# answers: + every 201, - every cancelled booking.
advance() {
  local exp=$1
  shift
  jq -s --slurpfile cur "$exp" '
    add as $all
    | ($cur[0] + ([$all[] | select(.kind == "book" and .status == 201)
                   | {key: (.body.id | tostring), value: ([.body.seats[].id] | sort)}] | from_entries))
    | delpaths([$all[] | select(.kind == "cancel" and .status == 200) | [.booking | tostring]])' \
    "$@" >"$exp.next" && mv "$exp.next" "$exp"
}

# --- what PostgreSQL and the API must say -----------------------------------------

# check_whole LABEL [EVENT]: every booking has exactly its seat_count seats,
# each mirroring its status; every seat's holder is the one confirmed booking
# that names it; no seat in two confirmed bookings. All events without EVENT.
check_whole() {
  local where=${2:+"AND b.event_id = $2"} swhere=${2:+"AND s.event_id = $2"}
  check "$1: bookings whose booking_seats do not match them" "$(psql_q "
    SELECT count(*) FROM bookings b
     WHERE TRUE $where
       AND (b.seat_count <> (SELECT count(*) FROM booking_seats bs WHERE bs.booking_id = b.id)
            OR EXISTS (SELECT 1 FROM booking_seats bs WHERE bs.booking_id = b.id
                                                       AND bs.status <> b.status))")" 0
  check "$1: seats in two confirmed bookings" "$(psql_q "
    SELECT count(*) FROM (SELECT bs.seat_id FROM booking_seats bs
                            JOIN bookings b ON b.id = bs.booking_id
                           WHERE b.status = 'confirmed' $where
                           GROUP BY bs.seat_id HAVING count(*) > 1) x")" 0
  check "$1: seats whose booking_id is not their confirmed booking" "$(psql_q "
    SELECT count(*) FROM seats s
      LEFT JOIN (SELECT bs.seat_id, b.id FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id
                  WHERE b.status = 'confirmed') c ON c.seat_id = s.id
     WHERE s.booking_id IS DISTINCT FROM c.id $swhere")" 0
}

# check_event LABEL EVENT EXPECTED_FILE: PostgreSQL holds exactly the expected
# confirmed bookings, and the event, its seat map and every booking read
# through the API agree.
check_event() {
  local label=$1 e=$2 exp=$3 db n capacity
  check_whole "$label" "$e"
  db=$(psql_q "SELECT coalesce(json_object_agg(b.id, (SELECT json_agg(bs.seat_id ORDER BY bs.seat_id)
                                                      FROM booking_seats bs WHERE bs.booking_id = b.id)), '{}')
                 FROM bookings b WHERE b.event_id = $e AND b.status = 'confirmed'")
  check "$label: confirmed bookings in PostgreSQL that differ from the answers (id: db, answers)" \
    "$(jq -cn --argjson db "$db" --slurpfile exp "$exp" '
        $exp[0] as $x | [($db + $x | keys[]) | select($db[.] != $x[.]) | {(.): [$db[.], $x[.]]}][0:5]')" '[]'
  n=$(jq '[.[][]] | length' "$exp")
  TOKEN=""
  req GET "/events/$e"
  capacity=$(json .capacity)
  check "$label: event booked_seats" "$(json .booked_seats)" "$n"
  check "$label: event available_seats" "$(json .available_seats)" "$((capacity - n))"
  req GET "/events/$e/seats"
  check "$label: seat map booked count" "$(json '[.seats[] | select(.status == "booked")] | length')" "$n"
  check "$label: seat map booked seats are the answered ones" \
    "$(jq -c --slurpfile exp "$exp" \
       '([.seats[] | select(.status == "booked") | .id] | sort) == ([$exp[0][][]] | sort)' <<<"$BODY")" true
  # Each expected booking read back (as the admin), 20 clients at once.
  local saved=$BATCH id c=0
  start_batch "read-$e-$RANDOM"
  for id in $(jq -r 'keys[]' "$exp"); do
    add_line $((c++ % 20)) "GET /bookings/$id $ADMIN_TOKEN -" "{\"kind\":\"get\",\"booking\":$id}"
  done
  if [ "$c" -gt 0 ]; then
    run_batch
    check "$label: bookings read back that are not confirmed with the answered seats" "$(
      jq -c --slurpfile exp "$exp" '[.[] | select(.status != 200 or .body.status != "confirmed"
        or ([.body.seats[].id] | sort) != $exp[0][.booking | tostring]) | {booking, status}][0:5]' \
        "$BATCH.all")" '[]'
  fi
  BATCH=$saved
}

# new_event NAME SECTIONS: sets EVENT and SEATS (the seat ids, in map order).
new_event() {
  TOKEN=$ADMIN_TOKEN
  req POST /admin/events "{\"name\":\"$1 $RUN\",\"venue\":\"Race Hall\",\"starts_at\":\"$STARTS_AT\",\"sections\":$2}"
  TOKEN=""
  expect_status 201 "create event $1"
  EVENT=$(json .id)
  req GET "/events/$EVENT/seats"
  mapfile -t SEATS < <(jq -r '.seats[].id' <<<"$BODY")
}

# wait_for SECONDS SQL VALUE: polls until the query answers VALUE.
wait_for() {
  local i
  for i in $(seq $(($1 * 10))); do
    [ "$(psql_q "$2")" == "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

# Client backends of the stack, other than the one asking.
OTHERS="datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()"

# --- users: 150 racers, the idempotency user, four blockers, a prober -------------

admin_login
ADMIN_TOKEN=$TOKEN
N_USERS=156
U_IDEM=150
U_BLOCK=151
U_PROBE=155
race_users "$N_USERS" "race-$RUN"
if [ "$FAILED" -gt 0 ]; then
  finish
  exit
fi

# --- (a) 150 users, one seat ----------------------------------------------------------

new_event "One seat" '[{"name":"Box","rows":1,"seats_per_row":10,"price_cents":5000}]'
EVENT_A=$EVENT
SEATS_A=("${SEATS[@]}")
EXP_A=$TMP/expected-a
echo '{}' >"$EXP_A"
start_batch one-seat
for c in $(seq 0 149); do add_book "$c" "$c" "$EVENT_A" - "${SEATS_A[0]}"; done
run_batch
note "(a) one seat: $(status_counts "$BATCH.all")"
check "(a) exactly one 201" "$(count_where "$BATCH.all" '.status == 201')" 1
check "(a) 409 seat_unavailable naming the seat for all others" \
  "$(count_where "$BATCH.all" ".status == 409 and .body.code == \"seat_unavailable\"
                               and .body.unavailable_seat_ids == [${SEATS_A[0]}]")" 149
check "(a) no 5xx" "$(count_where "$BATCH.all" '.status >= 500')" 0
check_answers "(a)" "$EXP_A" "$BATCH.all"
advance "$EXP_A" "$BATCH.all"
check_event "(a)" "$EVENT_A" "$EXP_A"

# --- (b) rounds of overlapping multi-seat bookings ------------------------------------

new_event "Overlaps" '[{"name":"Stalls","rows":10,"seats_per_row":20,"price_cents":9000},
                      {"name":"Circle","rows":5,"seats_per_row":20,"price_cents":4500}]'
EVENT_B=$EVENT
SEATS_B=("${SEATS[@]}")
EXP_B=$TMP/expected-b
echo '{}' >"$EXP_B"
for round in 1 2 3 4; do
  start_batch "overlaps-$round"
  for c in $(seq 0 119); do
    pick $((2 + RANDOM % 3)) 0 ${#SEATS_B[@]}
    ids=()
    for x in "${PICK[@]}"; do ids+=("${SEATS_B[$x]}"); done
    add_book "$c" $(((c + 37 * round) % 150)) "$EVENT_B" - "${ids[@]}"
  done
  run_batch
  note "(b) round $round: $(status_counts "$BATCH.all")"
  check "(b) round $round: no 5xx" "$(count_where "$BATCH.all" '.status >= 500')" 0
  check_answers "(b) round $round" "$EXP_B" "$BATCH.all"
  advance "$EXP_B" "$BATCH.all"
  check_event "(b) round $round" "$EVENT_B" "$EXP_B"
done
check "(b) some bookings succeeded" "$(jq 'length > 0' "$EXP_B")" true

# --- (c) one Idempotency-Key, twenty times at once ---------------------------------------

KEY=idem-$RUN
start_batch idempotency
for c in $(seq 0 19); do add_book "$c" "$U_IDEM" "$EVENT_A" "$KEY" "${SEATS_A[1]}" "${SEATS_A[2]}" "${SEATS_A[3]}"; done
run_batch
note "(c) idempotency: $(status_counts "$BATCH.all")"
check "(c) all twenty answers 201" "$(count_where "$BATCH.all" '.status == 201')" 20
check "(c) all twenty bodies identical" "$(jq '[.[].body] | unique | length' "$BATCH.all")" 1
check "(c) one booking for the user" \
  "$(psql_q "SELECT count(*) FROM bookings WHERE user_id = ${USER_IDS[$U_IDEM]}")" 1
check "(c) it is the one answered" \
  "$(psql_q "SELECT id FROM bookings WHERE user_id = ${USER_IDS[$U_IDEM]}")" \
  "$(jq '.[0].body.id' "$BATCH.all")"
check_answers "(c)" "$EXP_A" "$BATCH.all"
advance "$EXP_A" "$BATCH.all"
FIRST=$(jq -c '.[0].body' "$BATCH.all")
# A later repeat, seat ids in another order, replays the same answer.
TOKEN=${TOKENS[$U_IDEM]}
req POST /bookings "{\"event_id\":$EVENT_A,\"seat_ids\":[${SEATS_A[3]},${SEATS_A[1]},${SEATS_A[2]}]}" \
  -H "Idempotency-Key: $KEY"
expect_status 201 "(c) a later repeat"
check "(c) a later repeat replays the body" "$(json .)" "$FIRST"
check_event "(c)" "$EVENT_A" "$EXP_A"

# --- (d) cancels racing bookings of the same seats ------------------------------------------

new_event "Cancel race" '[{"name":"Floor","rows":10,"seats_per_row":20,"price_cents":3000}]'
EVENT_D=$EVENT
SEATS_D=("${SEATS[@]}")
EXP_D=$TMP/expected-d
echo '{}' >"$EXP_D"
declare -A OWNER   # booking id -> user index
start_batch cancel-setup
for c in $(seq 0 59); do
  add_book "$c" "$c" "$EVENT_D" - "${SEATS_D[$((3 * c))]}" "${SEATS_D[$((3 * c + 1))]}" "${SEATS_D[$((3 * c + 2))]}"
done
run_batch
check "(d) setup: 60 disjoint bookings at once" "$(count_where "$BATCH.all" '.status == 201')" 60
check_answers "(d) setup" "$EXP_D" "$BATCH.all"
advance "$EXP_D" "$BATCH.all"
remember_owners() {
  local id u
  while read -r id u; do OWNER[$id]=$u; done < <(jq -r '.[] | select(.kind == "book" and .status == 201)
                                                         | "\(.body.id) \(.user)"' "$BATCH.all")
}
remember_owners
for round in 1 2 3 4; do
  mapfile -t BOOKED < <(jq -r 'keys[]' "$EXP_D")
  # Shuffle; cancel the first half, book over them, and over the kept ones.
  for ((i = ${#BOOKED[@]} - 1; i > 0; i--)); do
    j=$((RANDOM % (i + 1)))
    t=${BOOKED[i]}; BOOKED[i]=${BOOKED[j]}; BOOKED[j]=$t
  done
  half=$((${#BOOKED[@]} / 2))
  start_batch "cancel-$round"
  c=0
  for ((i = 0; i < half; i++)); do
    b=${BOOKED[$i]}
    kept=${BOOKED[$((half + RANDOM % (${#BOOKED[@]} - half)))]}
    mapfile -t bs < <(jq -r --arg b "$b" '.[$b][]' "$EXP_D")
    mapfile -t ks < <(jq -r --arg b "$kept" '.[$b][]' "$EXP_D")
    add_cancel $((c++)) "${OWNER[$b]}" "$b"
    # A third of them cancelled twice at once by their owner.
    [ $((RANDOM % 3)) -eq 0 ] && add_cancel $((c++)) "${OWNER[$b]}" "$b"
    # Asks twice in a row, so that one of the two likely follows the cancel.
    u=$((RANDOM % 150))
    add_book "$c" "$u" "$EVENT_D" - "${bs[@]}"
    add_book $((c++)) "$u" "$EVENT_D" - "${bs[@]}"
    add_book $((c++)) $((RANDOM % 150)) "$EVENT_D" - "${bs[$((RANDOM % ${#bs[@]}))]}"
    add_book $((c++)) $((RANDOM % 150)) "$EVENT_D" - "${bs[$((RANDOM % ${#bs[@]}))]}" "${ks[0]}"
  done
  while [ "$c" -lt 120 ]; do
    pick $((2 + RANDOM % 2)) 0 ${#SEATS_D[@]}
    ids=()
    for x in "${PICK[@]}"; do ids+=("${SEATS_D[$x]}"); done
    add_book $((c++)) $((RANDOM % 150)) "$EVENT_D" - "${ids[@]}"
  done
  run_batch
  note "(d) round $round ($half cancelled): $(status_counts "$BATCH.all")"
  check "(d) round $round: every cancel 200" \
    "$(count_where "$BATCH.all" '.kind == "cancel" and .status != 200')" 0
  check "(d) round $round: every booking 201 or 409" \
    "$(count_where "$BATCH.all" '.kind == "book" and .status != 201 and .status != 409')" 0
  check "(d) round $round: cancels of one booking answer the same" \
    "$(jq '[.[] | select(.kind == "cancel")] | group_by(.booking)
           | map(select((map(.body) | unique | length) > 1)) | length' "$BATCH.all")" 0
  check_answers "(d) round $round" "$EXP_D" "$BATCH.all"
  advance "$EXP_D" "$BATCH.all"
  remember_owners
  check_event "(d) round $round" "$EVENT_D" "$EXP_D"
done

# --- (e) a worker killed in the middle of a booking ----------------------------------------
# Deterministically mid-request: a session of ours holds seat X, four
# blockers (one for each worker) each ask for a seat of their own and X, so
# every worker waits inside book(); then a load queues up behind them, one
# worker is killed with SIGKILL, and X is let go.

SUP=$(cat "$EVENTLY_TEST_STATE/run/booking_create.pid")
check "(e) booking_create runs 4 workers" "$(pgrep -c -P "$SUP")" 4
new_event "Kill" '[{"name":"Hall","rows":15,"seats_per_row":20,"price_cents":2500}]'
EVENT_E=$EVENT
SEATS_E=("${SEATS[@]}")
EXP_E=$TMP/expected-e
echo '{}' >"$EXP_E"
X=${SEATS_E[299]}
PGAPPNAME=evently_test_lock psql "$PG_URL" -qAtX -c "BEGIN" -c "SELECT id FROM seats WHERE id = $X FOR UPDATE" \
  -c "SELECT pg_sleep(600)" -c "COMMIT" >/dev/null 2>&1 &
HOLDER=$!
wait_for 30 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'evently_test_lock'
               AND query LIKE '%pg_sleep%'" 1 || fail "(e) the lock holder did not start"

start_batch kill-blockers
BLOCKERS=$BATCH
for i in 0 1 2 3; do add_book "$i" $((U_BLOCK + i)) "$EVENT_E" "block-$RUN-$i" "${SEATS_E[$((290 + i))]}" "$X"; done
drive "$BLOCKERS" &
BLOCKERS_PID=$!
if wait_for 60 "SELECT count(*) FROM pg_stat_activity WHERE $OTHERS AND wait_event_type = 'Lock'
                 AND query LIKE '%FROM book(%'" 4; then ok; else fail "(e) the four workers never all waited in book()"; fi

start_batch kill-load
LOAD=$BATCH
for c in $(seq 0 99); do
  for _ in 1 2 3; do
    pick $((2 + RANDOM % 3)) 0 280
    ids=()
    for x in "${PICK[@]}"; do ids+=("${SEATS_E[$x]}"); done
    add_book "$c" "$c" "$EVENT_E" "load-$RUN-$c-${NEXT[$c]:-0}" "${ids[@]}"
  done
done
drive "$LOAD" &
LOAD_PID=$!
sleep 1 # let the load queue up behind the blocked workers (no assertion hangs on it)

mapfile -t WORKERS < <(pgrep -P "$SUP")
VICTIM=${WORKERS[$((RANDOM % ${#WORKERS[@]}))]}
note "(e) killing booking_create worker $VICTIM (of ${WORKERS[*]})"
kill -9 "$VICTIM"
psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'evently_test_lock'" >/dev/null
wait "$HOLDER" 2>/dev/null
wait "$BLOCKERS_PID" "$LOAD_PID"
join_batch "$BLOCKERS"
join_batch "$LOAD"
note "(e) blockers: $(status_counts "$BLOCKERS.all"); load: $(status_counts "$LOAD.all")"
check "(e) the killed worker's request, and only it, failed" \
  "$(jq -s 'add | map(select(.status != 201 and .status != 409)) | length' "$BLOCKERS.all" "$LOAD.all")" 1
check "(e) the failed one answered 502 or 503" "$(count_where "$BLOCKERS.all" '.status == 502 or .status == 503')" 1

# retry_failed NAME ALL...: repeats every failed request with its key; the
# repeat gets the definitive answer (201 or 409).
retry_failed() {
  local name=$1 row
  shift
  start_batch "$name"
  while read -r row; do
    # shellcheck disable=SC2046
    add_book "$(jq .client <<<"$row")" "$(jq .user <<<"$row")" "$(jq .event <<<"$row")" \
      "$(jq -r .key <<<"$row")" $(jq -r '.seats[]' <<<"$row")
  done < <(jq -cs 'add | .[] | select(.status != 201 and .status != 409)' "$@")
  [ -s "$BATCH" ] || { echo '[]' >"$BATCH.all"; return; }
  run_batch
  check "$name: every repeat of a failed request 201 or 409" \
    "$(count_where "$BATCH.all" '.status != 201 and .status != 409')" 0
}
retry_failed kill-retry "$BLOCKERS.all" "$LOAD.all"
jq -s add "$BLOCKERS.all" "$LOAD.all" "$BATCH.all" >"$TMP/e.all"
check_answers "(e)" "$EXP_E" "$TMP/e.all" '[0,502,503]'
advance "$EXP_E" "$TMP/e.all"
check "(e) seat X in exactly one booking" \
  "$(psql_q "SELECT count(*) FROM seats WHERE id = $X AND booking_id IS NOT NULL")" 1

wait_for 30 "SELECT count(*) FROM pg_stat_activity WHERE $OTHERS AND state <> 'idle'" 0 ||
  fail "(e) backends still busy: $(psql_q "SELECT pid, state, left(query, 60) FROM pg_stat_activity
                                             WHERE $OTHERS AND state <> 'idle'")"
# Locks of any client backend but ours, or of a backend that is gone.
check "(e) no locks left behind" "$(psql_q "
  SELECT count(*) FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
   WHERE l.pid IS DISTINCT FROM pg_backend_pid()
     AND coalesce(a.backend_type, 'gone') IN ('client backend', 'gone')")" 0
for _ in $(seq 300); do
  [ "$(pgrep -c -P "$SUP")" = 4 ] && ! kill -0 "$VICTIM" 2>/dev/null && break
  sleep 0.1
done
check "(e) the supervisor replaced the worker: 4 workers" "$(pgrep -c -P "$SUP")" 4
check "(e) the killed worker is gone" "$(kill -0 "$VICTIM" 2>/dev/null && echo alive || echo gone)" gone

# Every seat the blockers left free can be booked at once (no lock left).
mapfile -t FREE < <(psql_q "SELECT id FROM seats WHERE event_id = $EVENT_E AND booking_id IS NULL
                             AND id IN ($(IFS=,; echo "${SEATS_E[*]:290:10}")) ORDER BY id")
start_batch kill-probe
add_book 0 "$U_PROBE" "$EVENT_E" - "${FREE[@]}"
"$DRIVER" -t 30 -o "$BATCH.out" "127.0.0.1:$PORT" "$BATCH"
join_batch "$BATCH"
check "(e) a fresh booking of the ${#FREE[@]} free seats near X" "$(jq '.[0].status' "$BATCH.all")" 201
check_answers "(e) probe" "$EXP_E" "$BATCH.all"
advance "$EXP_E" "$BATCH.all"
check_event "(e)" "$EVENT_E" "$EXP_E"

# The same at a random moment of a running load: at most a handful fail.
new_event "Kill again" '[{"name":"Hall","rows":40,"seats_per_row":50,"price_cents":2500}]'
EVENT_F=$EVENT
SEATS_F=("${SEATS[@]}")
EXP_F=$TMP/expected-f
echo '{}' >"$EXP_F"
start_batch kill-random
for c in $(seq 0 119); do
  for _ in $(seq 8); do
    pick $((1 + RANDOM % 3)) 0 ${#SEATS_F[@]}
    ids=()
    for x in "${PICK[@]}"; do ids+=("${SEATS_F[$x]}"); done
    add_book "$c" "$c" "$EVENT_F" "rnd-$RUN-$c-${NEXT[$c]:-0}" "${ids[@]}"
  done
done
drive "$BATCH" &
LOAD_PID=$!
wait_for 30 "SELECT count(*) > 0 FROM pg_stat_activity WHERE $OTHERS AND query LIKE '%FROM book(%'
              AND state = 'active'" t || echo "(e2) no booking seen running; killing anyway"
mapfile -t WORKERS < <(pgrep -P "$SUP")
VICTIM=${WORKERS[$((RANDOM % ${#WORKERS[@]}))]}
note "(e2) killing booking_create worker $VICTIM"
kill -9 "$VICTIM"
wait "$LOAD_PID"
join_batch "$BATCH"
RANDOM_KILL=$BATCH
note "(e2) load: $(status_counts "$RANDOM_KILL.all")"
check "(e2) at most a handful failed (4)" "$(count_where "$RANDOM_KILL.all" '.status != 201 and .status != 409' |
                                             awk '{print ($1 <= 4 ? "yes" : "no: " $1)}')" yes
check "(e2) failures are 502/503 only" \
  "$(count_where "$RANDOM_KILL.all" '.status != 201 and .status != 409 and .status != 502 and .status != 503')" 0
retry_failed kill-random-retry "$RANDOM_KILL.all"
jq -s add "$RANDOM_KILL.all" "$BATCH.all" >"$TMP/e2.all"
check_answers "(e2)" "$EXP_F" "$TMP/e2.all" '[0,502,503]'
advance "$EXP_F" "$TMP/e2.all"
for _ in $(seq 300); do
  [ "$(pgrep -c -P "$SUP")" = 4 ] && ! kill -0 "$VICTIM" 2>/dev/null && break
  sleep 0.1
done
check "(e2) the supervisor replaced the worker: 4 workers" "$(pgrep -c -P "$SUP")" 4
check_event "(e2)" "$EVENT_F" "$EXP_F"

# --- everywhere -------------------------------------------------------------------------------

check_whole "all events"
check "no 'deadlock detected' in the PostgreSQL log" \
  "$(tail -c +$((PG_LOG_START + 1)) "$PG_LOG" | grep -c 'deadlock detected')" 0
check "no constraint violation in the PostgreSQL log" \
  "$(tail -c +$((PG_LOG_START + 1)) "$PG_LOG" | grep -c 'violates')" 0

finish
