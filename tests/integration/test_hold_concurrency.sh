#!/usr/bin/env bash
# Holds under concurrency, driven by tests/load/load_driver (one thread and
# keep-alive connection per client, all released at once; POST /holds and
# POST /bookings each served by 4 worker processes):
#   (a) 120 users race for 40 seats in three rounds: exact holds, best
#       available and bookings; then confirms, releases and more holds and
#       bookings; then, once the remaining holds have expired, confirms of
#       them against new holds and bookings of their seats;
#   (b) 50 users ask for the best 2 seats of a 100-seat event at once.
# Afterwards, in PostgreSQL: no seat was ever in two of {an active hold, a
# confirmed booking} at any instant (the holds' and bookings' time intervals
# never overlap on a seat), and every 201 reads back. Inputs are random:
# EVENTLY_TEST_SEED replays a run's choices.
source "$(dirname "$0")/lib.sh"

if [ ! -x "$DRIVER" ]; then
  fail "$DRIVER is not built"
  finish
  exit
fi
SEED=${EVENTLY_TEST_SEED:-$(date +%s)}
RANDOM=$SEED
echo "seed $SEED (EVENTLY_TEST_SEED=$SEED replays these choices)"
RUN=h$(date +%s%N)
note() { echo "[${SECONDS}s] $*"; }

# pick N LO HI: PICK, N distinct random integers in [LO, HI) (no subshell, so
# RANDOM stays one reproducible sequence).
pick() {
  PICK=()
  local x
  while [ ${#PICK[@]} -lt "$1" ]; do
    x=$(($2 + RANDOM % ($3 - $2)))
    [[ " ${PICK[*]} " == *" $x "* ]] || PICK+=("$x")
  done
}
ids_of() { local out="" i; for i in "$@"; do out+="${out:+,}${SEATS[$i]}"; done; echo "$out"; }

# add_hold CLIENT SEAT_INDEX... / add_best CLIENT QUANTITY / add_book CLIENT SEAT_INDEX...
add_hold() {
  local c=$1 ids
  shift
  ids=$(ids_of "$@")
  add_line "$c" "POST /holds ${TOKENS[$c]} - {\"event_id\":$EVENT_ID,\"seat_ids\":[$ids]}" \
    "{\"kind\":\"hold\",\"user_id\":${USER_IDS[$c]},\"seats\":[$ids]}"
}
add_best() {
  add_line "$1" "POST /holds ${TOKENS[$1]} - {\"event_id\":$EVENT_ID,\"quantity\":$2}" \
    "{\"kind\":\"best\",\"user_id\":${USER_IDS[$1]},\"quantity\":$2}"
}
add_booking() {
  local c=$1 ids
  shift
  ids=$(ids_of "$@")
  add_line "$c" "POST /bookings ${TOKENS[$c]} - {\"event_id\":$EVENT_ID,\"seat_ids\":[$ids]}" \
    "{\"kind\":\"book\",\"user_id\":${USER_IDS[$c]},\"seats\":[$ids]}"
}
add_on_hold() { # add_on_hold CLIENT confirm|release HOLD_ID
  local method=POST path=/holds/$3/confirm
  [ "$2" = release ] && method=DELETE path=/holds/$3
  add_line "$1" "$method $path ${TOKENS[$1]} -" "{\"kind\":\"$2\",\"user_id\":${USER_IDS[$1]},\"hold\":$3}"
}
# random_take CLIENT: an exact hold, a best-available hold or a booking of 1..3 seats.
random_take() {
  local n=$((1 + RANDOM % 3)) r=$((RANDOM % 10))
  if [ "$r" -lt 5 ]; then pick "$n" 0 "$N_SEATS"; add_hold "$1" "${PICK[@]}"
  elif [ "$r" -lt 8 ]; then add_best "$1" "$n"
  else pick "$n" 0 "$N_SEATS"; add_booking "$1" "${PICK[@]}"; fi
}

# Answers that break the contract, one line each. A 201 hold has exactly the
# seats asked for (or `quantity` adjacent seats of one row); a 409 names only
# seats asked for; nothing else than these statuses and codes is answered.
# shellcheck disable=SC2016
BAD_ANSWERS_JQ='
.[] | .body |= (if type == "object" then . else {raw: .} end)
| "client \(.client) #\(.index) \(.kind) \(.seats // .hold // .quantity)" as $what
| if .kind == "hold" or .kind == "best" then
    if .status == 201 then
      (if .body.status != "active" or .body.user_id != .user_id or .body.event_id != $event
       then "\($what): 201 with \(.body | tostring | .[0:200])" else empty end),
      (if .kind == "hold" and ([.body.seats[].id] | sort) != (.seats | sort)
       then "\($what): 201 holds \([.body.seats[].id])" else empty end),
      (if .kind == "best" and ((.body.seats | length) != .quantity
            or (.body.seats | map([.section, .row]) | unique | length) != 1
            or (.body.seats | map(.number) | sort | (.[-1] - .[0]) != (length - 1)))
       then "\($what): best available gave \(.body.seats | map([.row, .number]))" else empty end)
    elif .status == 409 then
      (if (.body.code | IN("seat_unavailable", "not_enough_seats", "hold_limit_reached")) | not
       then "\($what): 409 \(.body.code)" else empty end),
      (if .kind == "hold" and .body.code == "seat_unavailable"
            and ((.body.unavailable_seat_ids // [null]) - .seats) != []
       then "\($what): 409 names \(.body.unavailable_seat_ids)" else empty end)
    else "\($what): status \(.status) \(.body | tostring | .[0:200])" end
  elif .kind == "book" then
    if .status == 201 then
      (if ([.body.seats[].id] | sort) != (.seats | sort) or .body.status != "confirmed"
       then "\($what): 201 books \([.body.seats[].id])" else empty end)
    elif .status == 409 then
      (if .body.code != "seat_unavailable" or ((.body.unavailable_seat_ids // [null]) - .seats) != []
       then "\($what): 409 \(.body | tostring | .[0:200])" else empty end)
    else "\($what): status \(.status)" end
  elif .kind == "confirm" then
    if .status == 201 then
      (if .body.status != "confirmed" or .body.user_id != .user_id
       then "\($what): 201 with \(.body | tostring | .[0:200])" else empty end)
    elif .status == 409 then
      (if .body.code != "hold_expired" then "\($what): 409 \(.body.code)" else empty end)
    else "\($what): status \(.status)" end
  elif .kind == "release" then
    if .status != 200 or (.body.status | IN("released", "expired") | not)
    then "\($what): \(.status) \(.body.status)" else empty end
  else "\($what): unknown kind" end'
check_answers() { # check_answers NAME FILE.all
  local bad
  bad=$(jq -r --argjson event "$EVENT_ID" "$BAD_ANSWERS_JQ" "$2")
  check "$1: answers keep the contract ($(status_counts "$2"))" "$bad" ""
}

# Every 201 reads back: holds (as active, expired or confirmed, with the
# same seats) and bookings (confirmed, same seats).
check_read_back() { # check_read_back FILE.all
  local bad="" id kind seats token got
  while IFS=$'\t' read -r kind id seats token; do
    if [ "$kind" = booking ]; then
      got=$(curl -s -H "Authorization: Bearer $token" "$BASE/bookings/$id" | jq -c '[.status, ([.seats[].id] | sort)]')
      [ "$got" = "[\"confirmed\",$seats]" ] || bad+="booking $id reads $got; "
    else
      got=$(curl -s -H "Authorization: Bearer $token" "$BASE/holds/$id" | jq -c '([.seats[].id] | sort)')
      [ "$got" = "$seats" ] || bad+="hold $id reads $got; "
    fi
  done < <(jq -r --argjson tokens "$(printf '%s\n' "${TOKENS[@]}" | jq -R . | jq -sc .)" '
      .[] | select(.status == 201)
      | [if .kind == "hold" or .kind == "best" then "hold" else "booking" end,
         .body.id, ([.body.seats[].id] | sort | tostring), $tokens[.client]] | @tsv' "$1")
  check "every 201 reads back" "$bad" ""
}

check_invariants() { # check_invariants EVENT
  check "no seat ever in two of {active hold, confirmed booking}" "$(overlaps "$1")" 0
  check "no seat row with two claims" \
    "$(psql_q "SELECT count(*) FROM seats WHERE event_id = $1 AND booking_id IS NOT NULL AND hold_id IS NOT NULL")" 0
  check "capacity = available + held + booked" \
    "$(curl -s "$BASE/events/$1" | jq '.capacity == .available_seats + .held_seats + .booked_seats')" true
  check "booked_seats counts the booked seats" \
    "$(curl -s "$BASE/events/$1" | jq .booked_seats)" \
    "$(psql_q "SELECT count(*) FROM seats WHERE event_id = $1 AND booking_id IS NOT NULL")"
  # Holds only expire once the load is over: the API's count, read between two
  # counts in PostgreSQL, lies between them (equal when none expired meanwhile).
  local before api after
  before=$(psql_q "SELECT count(*) FROM seats WHERE event_id = $1 AND held_until > now()")
  api=$(curl -s "$BASE/events/$1" | jq .held_seats)
  after=$(psql_q "SELECT count(*) FROM seats WHERE event_id = $1 AND held_until > now()")
  check "held_seats counts the held seats ($after <= $api <= $before)" \
    "$([ "$after" -le "$api" ] && [ "$api" -le "$before" ] && echo yes)" yes
}

admin_login
ADMIN_TOKEN=$TOKEN
N_USERS=120
sql_users "$N_USERS" "holdrace-$RUN"
if [ "$FAILED" -gt 0 ]; then
  finish
  exit
fi

# --- (a) 120 users, 40 seats, three rounds ------------------------------------------

create_event "Hold race $RUN" "Arena" 2031-06-01T19:30:00Z \
  '[{"name":"Floor","rows":4,"seats_per_row":10,"price_cents":1000}]'
TOKEN=$ADMIN_TOKEN
req PATCH "/admin/events/$EVENT_ID" '{"hold_seconds":3}'
mapfile -t SEATS < <(curl -s "$BASE/events/$EVENT_ID/seats" | jq '.seats[].id')
N_SEATS=${#SEATS[@]}

start_batch round1
for c in $(seq 0 $((N_USERS - 1))); do random_take "$c"; done
run_batch
ROUND1=$BATCH.all
note "(a) round 1: $(status_counts "$ROUND1")"
check_answers "round 1" "$ROUND1"

# Round 2: holders confirm or release (or leave the hold to expire); the
# others try again on the same seats.
start_batch round2
mapfile -t HELD < <(jq -r '.[] | select((.kind == "hold" or .kind == "best") and .status == 201) | "\(.client) \(.body.id)"' "$ROUND1")
declare -A ACTED=()
for line in "${HELD[@]}"; do
  read -r c h <<<"$line"
  r=$((RANDOM % 10))
  if [ "$r" -lt 4 ]; then add_on_hold "$c" confirm "$h"; ACTED[$c]=1
  elif [ "$r" -lt 7 ]; then add_on_hold "$c" release "$h"; ACTED[$c]=1; fi
done
for c in $(seq 0 $((N_USERS - 1))); do [ -n "${ACTED[$c]:-}" ] || random_take "$c"; done
run_batch
ROUND2=$BATCH.all
note "(a) round 2: $(status_counts "$ROUND2")"
check_answers "round 2" "$ROUND2"

# Round 3, once every hold so far has expired: confirming the ones left
# alone is refused while others race for their seats.
LAST=$(psql_q "SELECT max(expires_at) FROM holds WHERE event_id = $EVENT_ID AND status = 'active'")
[ -n "$LAST" ] && psql_q "SELECT pg_sleep(greatest(0, extract(epoch FROM '$LAST'::timestamptz - clock_timestamp()) + 0.05))" >/dev/null
mapfile -t LEFT < <(psql_q "SELECT user_id || ' ' || id FROM holds WHERE event_id = $EVENT_ID AND status = 'active'")
declare -A CLIENT_OF=()
for c in $(seq 0 $((N_USERS - 1))); do CLIENT_OF[${USER_IDS[$c]}]=$c; done
start_batch round3
declare -A ACTED=()
for line in "${LEFT[@]}"; do
  read -r u h <<<"$line"
  c=${CLIENT_OF[$u]}
  [ -n "${ACTED[$c]:-}" ] && continue
  add_on_hold "$c" confirm "$h"
  ACTED[$c]=1
done
for c in $(seq 0 $((N_USERS - 1))); do [ -n "${ACTED[$c]:-}" ] || random_take "$c"; done
run_batch
ROUND3=$BATCH.all
note "(a) round 3: $(status_counts "$ROUND3")"
check_answers "round 3" "$ROUND3"
check "confirming an expired hold always fails" \
  "$(jq '[.[] | select(.kind == "confirm" and .status != 409)] | length' "$ROUND3")" 0
check "somebody took freed seats in round 3" \
  "$(jq '[.[] | select(.kind != "confirm" and .status == 201)] | length > 0' "$ROUND3")" true
for f in "$ROUND1" "$ROUND2" "$ROUND3"; do check_read_back "$f"; done
check "confirms read back as confirmed holds" \
  "$(psql_q "SELECT count(*) FROM holds h JOIN bookings b ON b.id = h.booking_id
             WHERE h.event_id = $EVENT_ID AND h.status = 'confirmed' AND b.user_id = h.user_id")" \
  "$(jq -s '[.[][] | select(.kind == "confirm" and .status == 201)] | length' "$ROUND2" "$ROUND3")"
check_invariants "$EVENT_ID"

# --- (b) 50 users, the best two seats each, 100 seats --------------------------------

create_event "Best race $RUN" "Arena" 2031-06-01T19:30:00Z \
  '[{"name":"Floor","rows":10,"seats_per_row":10,"price_cents":1000}]'
start_batch best50
for c in $(seq 0 49); do add_best "$c" 2; done
run_batch
note "(b) best available: $(status_counts "$BATCH.all")"
check "all 50 best-available holds succeed" "$(count_where "$BATCH.all" '.status == 201')" 50
check_answers "(b)" "$BATCH.all"
check "their seats are distinct" "$(jq '[.[].body.seats[]?.id] | unique | length' "$BATCH.all")" 100
check_invariants "$EVENT_ID"

finish
