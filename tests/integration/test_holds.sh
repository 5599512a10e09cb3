#!/usr/bin/env bash
# Holds: POST /holds (exact seats and best available, every error in the
# contract's order, Idempotency-Key, the per-user limit), GET /holds and
# GET /holds/{id}, DELETE /holds/{id}, POST /holds/{id}/confirm, lazy expiry
# exact to the instant, and what holds do to the seat map, its ETag, the
# Event's counters, POST /bookings and analytics.
source "$(dirname "$0")/lib.sh"

RUN="$(date +%s%N)$RANDOM"
FUTURE=2099-06-01T19:30:00Z
PAST=2020-01-01T19:30:00Z

# mk_event SECTIONS [HOLD_SECONDS]: an event made by the admin; sets EVENT_ID
# and SEATS (ids in seat-map order: section, row, number).
mk_event() {
  local saved=$TOKEN extra=""
  [ -n "${2:-}" ] && extra=",\"hold_seconds\":$2"
  TOKEN=$ADMIN
  EVENT_SEQ=$(( ${EVENT_SEQ:-0} + 1 ))
  req POST /admin/events "{\"name\":\"Holds $RUN #$EVENT_SEQ\",\"venue\":\"Hall\",
    \"starts_at\":\"$FUTURE\",\"sections\":$1$extra}"
  [ "$STATUS" = 201 ] || fail "setup: create event"
  EVENT_ID=$(json .id)
  TOKEN=$saved
  mapfile -t SEATS < <(curl -s "$BASE/events/$EVENT_ID/seats" | jq '.seats[].id')
}
# seat_ids_of EVENT FILTER: ids of seats matching a jq filter, e.g. '.row == 1'.
seat_ids_of() { curl -s "$BASE/events/$1/seats" | jq -c "[.seats[] | select($2) | .id]"; }
# places: the last hold's seats as [[section, row, number], ...] by id.
places() { json '[.seats | sort_by(.section, .row, .number)[] | [.section, .row, .number]]'; }
seat_status() { curl -s "$BASE/events/$1/seats" | jq -r ".seats[] | select(.id == $2) | .status"; }
# counts EVENT: [capacity, available, held, booked].
counts() { curl -s "$BASE/events/$1" | jq -c '[.capacity, .available_seats, .held_seats, .booked_seats]'; }
etag_of() { curl -s -D - -o /dev/null "$BASE/events/$1/seats${2:-}" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r'; }
hold_body() { local e=$1; shift; echo "{\"event_id\":$e,\"seat_ids\":[$(IFS=,; echo "$*")]}"; }
best_body() { echo "{\"event_id\":$1,\"quantity\":$2${3:+,\"section\":\"$3\"}}"; }
# fresh: TOKEN becomes a new user's (each has its own 10-seat limit).
fresh() { new_user; }

admin_login
ADMIN=$TOKEN
SMALL='[{"name":"Stalls","rows":2,"seats_per_row":5,"price_cents":9000},
        {"name":"Balcony","rows":1,"seats_per_row":5,"price_cents":2500}]'

# --- hold_seconds on events ------------------------------------------------------

mk_event "$SMALL"
EA=$EVENT_ID; A=("${SEATS[@]}")
TOKEN=""
req GET "/events/$EA"
expect_json .hold_seconds 600 "hold_seconds defaults to 600"
expect_json .held_seats 0
TOKEN=$ADMIN
for bad in 0 3601 '"60"' 1.5 null; do
  req POST /admin/events "{\"name\":\"x\",\"venue\":\"y\",\"starts_at\":\"$FUTURE\",\"hold_seconds\":$bad,
    \"sections\":[{\"name\":\"A\",\"rows\":1,\"seats_per_row\":1,\"price_cents\":1}]}"
  expect_invalid hold_seconds
done
req PATCH "/admin/events/$EA" '{"hold_seconds":3601}'
expect_invalid hold_seconds
req PATCH "/admin/events/$EA" '{"hold_seconds":120}'
expect_status 200 "PATCH hold_seconds"
expect_json .hold_seconds 120
req PATCH "/admin/events/$EA" '{"name":"Renamed"}'
expect_json .hold_seconds 120 "hold_seconds kept by other PATCHes"

# --- validation, auth, media type ---------------------------------------------------

fresh
U1=$TOKEN; U1_ID=$USER_ID
TOKEN=""
req POST /holds "$(hold_body "$EA" "${A[0]}")"
expect_problem 401 unauthorized
check "401 has WWW-Authenticate" "$(header WWW-Authenticate)" Bearer
# A well-formed token of no session is refused by hold() itself; with an
# invalid body the worker looks it up first: 401 before 400.
TOKEN=$(repeat A 43)
req POST /holds "$(hold_body "$EA" "${A[0]}")"
expect_problem 401 unauthorized
req POST /holds "{\"event_id\":$EA}"
expect_problem 401 unauthorized
fresh
psql_q "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $USER_ID" >/dev/null
req POST /holds "$(hold_body "$EA" "${A[0]}")"
expect_problem 401 unauthorized
check "an expired session holds nothing" \
  "$(psql_q "SELECT count(*) FROM holds WHERE user_id = $USER_ID")" 0
TOKEN=$U1
req POST /holds "{\"event_id\":$EA}"
expect_invalid seat_ids
req POST /holds "{\"event_id\":$EA,\"seat_ids\":[${A[0]}],\"quantity\":1}"
expect_problem 400 validation_failed
for bad in 0 11 '"2"' 2.5; do
  req POST /holds "{\"event_id\":$EA,\"quantity\":$bad}"
  expect_invalid quantity
done
req POST /holds "{\"event_id\":$EA,\"seat_ids\":[]}"
expect_invalid seat_ids
req POST /holds "{\"event_id\":$EA,\"seat_ids\":[${A[0]},${A[0]}]}"
expect_invalid seat_ids
req POST /holds "{\"event_id\":$EA,\"seat_ids\":[1,2,3,4,5,6,7,8,9,10,11]}"
expect_invalid seat_ids
req POST /holds "{\"event_id\":0,\"quantity\":1}"
expect_invalid event_id
req POST /holds "{\"event_id\":$EA,\"quantity\":1,\"section\":\"\"}"
expect_invalid section
req POST /holds "[1]"
expect_problem 400 validation_failed
req POST /holds "{nope"
expect_problem 400 invalid_json
hold_body "$EA" "${A[0]}" >"$TMP/plain"
send POST /holds text/plain "$TMP/plain"
expect_problem 415 unsupported_media_type
req POST /holds "$(hold_body "$EA" "${A[0]}")" -H "Idempotency-Key: $(repeat k 256)"
expect_invalid Idempotency-Key
check "nothing held by refused requests" "$(counts "$EA")" "[15,15,0,0]"

# --- the rules, in the contract's order ----------------------------------------------

req POST /holds "$(hold_body 999999999 "${A[0]}")"
expect_problem 404 event_not_found
mk_event "$SMALL"; EPAST=$EVENT_ID; P=("${SEATS[@]}")
TOKEN=$ADMIN; req PATCH "/admin/events/$EPAST" "{\"starts_at\":\"$PAST\"}"; TOKEN=$U1
req POST /holds "$(hold_body "$EPAST" "${P[0]}")"
expect_problem 409 event_started
req POST /holds "$(best_body "$EPAST" 1 Nowhere)"
expect_problem 409 event_started "event_started comes before invalid_section"
req POST /holds "$(best_body "$EA" 1 Nowhere)"
expect_problem 400 invalid_section
req POST /holds "$(best_body "$EA" 1 stalls)"
expect_problem 400 invalid_section "section names match exactly, case included"
req POST /holds "$(hold_body "$EA" "${A[0]}" "${P[1]}" 999999999)"
expect_problem 400 invalid_seats
expect_json .invalid_seat_ids "$(jq -nc "[${P[1]}, 999999999] | sort")"
req POST /holds "{\"event_id\":$EA,\"seat_ids\":[${P[0]}],\"section\":\"Nowhere\"}"
expect_problem 400 invalid_seats "section is read only with quantity"

# --- a hold: the Hold, the seat map, the counters ------------------------------------

TAG0=$(etag_of "$EA")
check "counts before" "$(counts "$EA")" "[15,15,0,0]"
req POST /holds "$(hold_body "$EA" "${A[3]}" "${A[1]}")"
expect_status 201 "hold two seats"
H1=$(json .id)
expect_header Location "/holds/$H1"
expect_json .status '"active"'
expect_json .event_id "$EA"
expect_json .user_id "$U1_ID"
expect_json .booking_id null
expect_json '[.seats[].id]' "[${A[1]},${A[3]}]"
expect_json '.seats[0] | [.section, .row, .number, .price_cents]' '["Stalls",1,2,9000]'
expect_json '.seats[0] | has("status")' false "seats of a hold carry no status"
expect_json .total_cents 18000
check "expires_at is created_at + hold_seconds (120)" \
  "$(json '(.expires_at | sub("\\.[0-9]+Z$"; "Z") | fromdate) - (.created_at | sub("\\.[0-9]+Z$"; "Z") | fromdate)')" 120
check "expires_at keeps created_at's fraction" "$(json '(.expires_at | split(".")[1]) == (.created_at | split(".")[1])')" true
check "seat held" "$(seat_status "$EA" "${A[1]}")" held
check "counts with a hold" "$(counts "$EA")" "[15,13,2,0]"
check "held filter" "$(seat_ids_of "$EA" '.status == "held"')" "[${A[1]},${A[3]}]"
check "status=held" "$(curl -s "$BASE/events/$EA/seats?status=held" | jq -c '[.seats[].id]')" "[${A[1]},${A[3]}]"
TOKEN=""
req GET "/events/$EA/seats?status=reserved"
expect_invalid status
req GET "/events/$EA/seats" "" -H "If-None-Match: $TAG0"
expect_status 200 "the seat map's tag moved with the hold"
TOKEN=$U1

# A held seat is unavailable to everyone, the holder included.
req POST /bookings "$(hold_body "$EA" "${A[1]}")"
expect_problem 409 seat_unavailable
expect_json .unavailable_seat_ids "[${A[1]}]"
fresh; U2=$TOKEN
req POST /holds "$(hold_body "$EA" "${A[3]}" "${A[4]}")"
expect_problem 409 seat_unavailable "another user's hold of a held seat"
expect_json .unavailable_seat_ids "[${A[3]}]"
req POST /bookings "$(hold_body "$EA" "${A[4]}" "${A[3]}")"
expect_problem 409 seat_unavailable "another user's booking of a held seat"
check "all-or-nothing: the free seat stays free" "$(seat_status "$EA" "${A[4]}")" available

# --- reading holds ------------------------------------------------------------------------

TOKEN=$U1
req GET "/holds/$H1"
expect_status 200
expect_json .status '"active"'
TOKEN=$U2
req GET "/holds/$H1"
expect_problem 404 hold_not_found "another user's hold does not exist for them"
req GET /holds/abc
expect_problem 404 hold_not_found
req GET /holds/0
expect_problem 404 hold_not_found
TOKEN=$ADMIN
req GET "/holds/$H1"
expect_status 200 "an admin reads any hold"
TOKEN=""
req GET "/holds/$H1"
expect_problem 401 unauthorized

TOKEN=$U1
req POST /holds "$(hold_body "$EA" "${A[10]}")"; H2=$(json .id)
req POST /holds "$(hold_body "$EPAST" "${P[2]}")"  # refused: not listed
mk_event "$SMALL"; EC=$EVENT_ID; C=("${SEATS[@]}")
TOKEN=$U1
req POST /holds "$(hold_body "$EC" "${C[0]}")"; H3=$(json .id)
req GET /holds
expect_json '[.holds[].id]' "[$H3,$H2,$H1]" "GET /holds: active holds, newest first"
expect_json .next_cursor null
req GET "/holds?event_id=$EA&limit=1"
expect_json '[.holds[].id]' "[$H2]"
CUR=$(json .next_cursor | jq -r .)
req GET "/holds?event_id=$EA&limit=1&cursor=$CUR"
expect_json '[.holds[].id]' "[$H1]" "second page"
expect_json .next_cursor null
for bad in 'limit=0' 'limit=101' 'cursor=zzz' 'event_id=x' 'event_id=0'; do
  req GET "/holds?$bad"
  expect_problem 400 validation_failed
done
TOKEN=$U2
req GET /holds
expect_json '.holds | length' 0 "nobody else's holds are listed"

# --- the per-user limit: 10 held seats per event ------------------------------------------

mk_event '[{"name":"Floor","rows":3,"seats_per_row":10,"price_cents":100}]'
EL=$EVENT_ID; L=("${SEATS[@]}")
fresh
req POST /holds "$(hold_body "$EL" "${L[@]:0:6}")"
expect_status 201 "six seats"
req POST /holds "$(best_body "$EL" 5)"
expect_problem 409 hold_limit_reached
req POST /holds "$(hold_body "$EL" "${L[20]}" 999999999)"
expect_problem 400 invalid_seats "invalid_seats comes before hold_limit_reached"
req POST /holds "$(hold_body "$EL" "${L[@]:10:4}")"
expect_status 201 "exactly ten"
LH=$(json .id)
req POST /holds "$(hold_body "$EL" "${L[0]}")"
expect_problem 409 hold_limit_reached "hold_limit_reached comes before seat_unavailable"
req POST /holds "$(hold_body "$EC" "${C[5]}")"
expect_status 201 "the limit is per event"
req DELETE "/holds/$LH"
req POST /holds "$(hold_body "$EL" "${L[@]:20:4}")"
expect_status 201 "released seats no longer count"

# --- Idempotency-Key ---------------------------------------------------------------------

fresh
KEY="hold-$RUN"
req POST /holds "$(hold_body "$EL" "${L[25]}" "${L[26]}")" -H "Idempotency-Key: $KEY"
expect_status 201 "first keyed hold"
cp "$TMP/body" "$TMP/first"
IH=$(json .id)
req POST /holds "$(hold_body "$EL" "${L[26]}" "${L[25]}")" -H "Idempotency-Key: $KEY"
expect_status 201 "a repeat replays the answer"
check "same body" "$(cmp -s "$TMP/body" "$TMP/first" && echo same)" same
req POST /holds "$(hold_body "$EL" "${L[27]}")" -H "Idempotency-Key: $KEY"
expect_problem 422 idempotency_key_reused
req POST /holds "$(best_body "$EL" 2)" -H "Idempotency-Key: $KEY"
expect_problem 422 idempotency_key_reused "quantity is another body"
req POST /bookings "$(hold_body "$EL" "${L[28]}")" -H "Idempotency-Key: $KEY"
expect_status 201 "booking keys are separate from hold keys"
req GET "/holds?event_id=$EL"
expect_json '[.holds[].id]' "[$IH]" "one hold, however often repeated"
BKEY="best-$RUN"
req POST /holds "$(best_body "$EL" 1)" -H "Idempotency-Key: $BKEY"
cp "$TMP/body" "$TMP/bfirst"
req POST /holds "$(best_body "$EL" 1)" -H "Idempotency-Key: $BKEY"
check "best available replays the same seats" "$(cmp -s "$TMP/body" "$TMP/bfirst" && echo same)" same
req POST /holds "$(best_body "$EL" 1 Floor)" -H "Idempotency-Key: $BKEY"
expect_problem 422 idempotency_key_reused "a section is another body"

# --- release -----------------------------------------------------------------------------

TOKEN=$U2
req DELETE "/holds/$H1"
expect_problem 404 hold_not_found "only the owner or an admin releases"
TOKEN=$U1
TAG1=$(etag_of "$EA")
req DELETE "/holds/$H1"
expect_status 200 "release"
expect_json .status '"released"'
expect_json '[.seats[].id]' "[${A[1]},${A[3]}]" "a released hold still lists its seats"
check "released seat available" "$(seat_status "$EA" "${A[1]}")" available
check "tag moved with the release" "$([ "$(etag_of "$EA")" != "$TAG1" ] && echo yes)" yes
cp "$TMP/body" "$TMP/released"
req DELETE "/holds/$H1"
expect_status 200 "releasing again"
check "unchanged" "$(cmp -s "$TMP/body" "$TMP/released" && echo same)" same
req POST "/holds/$H1/confirm"
expect_problem 409 hold_released
TOKEN=$U2
req POST /holds "$(hold_body "$EA" "${A[1]}" "${A[3]}")"
expect_status 201 "released seats can be held again"
TOKEN=$ADMIN
req DELETE "/holds/$(json .id)"
expect_status 200 "an admin releases any hold"

# --- confirm -----------------------------------------------------------------------------

STATS0=$(psql_q "SELECT coalesce(sum(bookings), 0) || ',' || coalesce(sum(seats_sold), 0) FROM booking_stats WHERE event_id = $EA")
TOKEN=$U2
req POST "/holds/$H2/confirm"
expect_problem 404 hold_not_found "only the owner or an admin confirms"
# 401 before anything else: no token, a token of no session (with a hold id
# or with one that is not an id at all).
for T in "" "$(repeat A 43)"; do
  TOKEN=$T
  for path in "/holds/$H2/confirm" /holds/nope/confirm; do
    req POST "$path"
    expect_problem 401 unauthorized
  done
done
check "the hold is still active" "$(psql_q "SELECT status FROM holds WHERE id = $H2")" active
TOKEN=$U1
req POST /holds/nope/confirm
expect_problem 404 hold_not_found
req POST "/holds/$H2/confirm"
expect_status 201 "confirm"
BK=$(json .id)
expect_header Location "/bookings/$BK"
expect_json .status '"confirmed"'
expect_json .user_id "$U1_ID"
expect_json '[.seats[].id]' "[${A[10]}]"
expect_json .total_cents 2500
cp "$TMP/body" "$TMP/confirmed"
check "confirmed seat booked" "$(seat_status "$EA" "${A[10]}")" booked
req POST "/holds/$H2/confirm"
expect_status 200 "confirming again"
check "the same booking" "$(cmp -s "$TMP/body" "$TMP/confirmed" && echo same)" same
req GET "/holds/$H2"
expect_json .status '"confirmed"'
expect_json .booking_id "$BK"
req DELETE "/holds/$H2"
expect_problem 409 hold_confirmed
req GET "/bookings/$BK"
expect_status 200 "the booking reads back"
check "analytics counts the confirmed hold as a booking" \
  "$(psql_q "SELECT coalesce(sum(bookings), 0) || ',' || coalesce(sum(seats_sold), 0) FROM booking_stats WHERE event_id = $EA")" \
  "$(( ${STATS0%,*} + 1 )),$(( ${STATS0#*,} + 1 ))"
TOKEN=$ADMIN
req POST "/holds/$H3/confirm"
expect_status 201 "an admin confirms a user's hold"
expect_json .user_id "$U1_ID" "the booking is the hold's user's"

# A hold of a started event: confirm refuses, release is allowed.
mk_event "$SMALL"; ES=$EVENT_ID; S=("${SEATS[@]}")
TOKEN=$U1
req POST /holds "$(hold_body "$ES" "${S[0]}")"; HS1=$(json .id)
req POST /holds "$(hold_body "$ES" "${S[1]}")"; HS2=$(json .id)
TOKEN=$ADMIN; req PATCH "/admin/events/$ES" "{\"starts_at\":\"$PAST\"}"; TOKEN=$U1
req POST "/holds/$HS1/confirm"
expect_problem 409 event_started
req DELETE "/holds/$HS2"
expect_status 200 "release after the event has started"
expect_json .status '"released"'

# --- expiry, exact to the instant ----------------------------------------------------------

mk_event "$SMALL" 2
EX=$EVENT_ID; X=("${SEATS[@]}")
TOKEN=$U1
req POST /holds "$(hold_body "$EX" "${X[0]}" "${X[1]}")"
expect_status 201 "a two-second hold"
HX=$(json .id)
EXPIRES=$(json .expires_at | jq -r .)
check "held" "$(counts "$EX")" "[15,13,2,0]"
TAGX=$(etag_of "$EX")
# Until the instant named by expires_at (as PostgreSQL's clock sees it), then past it.
psql_q "SELECT pg_sleep(greatest(0, extract(epoch FROM '$EXPIRES'::timestamptz - clock_timestamp()) + 0.05))" >/dev/null
req GET "/holds/$HX"
expect_json .status '"expired"' "expired from expires_at on, no sweep"
check "counts after expiry" "$(counts "$EX")" "[15,15,0,0]"
check "seat available after expiry" "$(seat_status "$EX" "${X[0]}")" available
check "tag moved at the expiry" "$([ "$(etag_of "$EX")" != "$TAGX" ] && echo yes)" yes
req POST "/holds/$HX/confirm"
expect_problem 409 hold_expired
req GET /holds
expect_json "[.holds[].id] | index($HX)" null "an expired hold is not listed"
req DELETE "/holds/$HX"
expect_status 200 "releasing an expired hold"
expect_json .status '"expired"' "it is returned unchanged"
TOKEN=$U2
req POST /holds "$(hold_body "$EX" "${X[0]}")"
expect_status 201 "an expired hold does not block a new one"
HX2=$(json .id)
EXPIRES2=$(json .expires_at | jq -r .)
req POST /bookings "$(hold_body "$EX" "${X[1]}")"
expect_status 201 "nor a booking"
check "the seat rows keep one claim each" \
  "$(psql_q "SELECT count(*) FROM seats WHERE event_id = $EX AND booking_id IS NOT NULL AND hold_id IS NOT NULL")" 0
TOKEN=$U1
req GET "/holds/$HX"
expect_json .status '"expired"' "the old hold stays expired"
# The sweeper's work is tidiness only: afterwards everything reads the same.
psql_q "SELECT pg_sleep(greatest(0, extract(epoch FROM '$EXPIRES2'::timestamptz - clock_timestamp()) + 0.05))" >/dev/null
SWEPT=0
while n=$(psql_q "SELECT sweep_holds(1000)") && [ "$n" -gt 0 ]; do SWEPT=$((SWEPT + n)); done
check "sweep tidied expired holds" "$([ "$SWEPT" -ge 1 ] && echo yes)" yes
check "swept holds read expired" "$(psql_q "SELECT status FROM holds WHERE id IN ($HX, $HX2) ORDER BY id" | tr '\n' ,)" "expired,expired,"
check "counts after the sweep" "$(counts "$EX")" "[15,14,0,1]"
TOKEN=$U2
req GET "/holds/$HX2"
expect_json .status '"expired"'

# --- best available, by hand -----------------------------------------------------------------
# Front: 2 rows of 7; Back: 1 row of 4.
mk_event '[{"name":"Front","rows":2,"seats_per_row":7,"price_cents":100},
           {"name":"Back","rows":1,"seats_per_row":4,"price_cents":50}]'
EB=$EVENT_ID
fresh
req POST /holds "$(best_body "$EB" 2)"
expect_status 201
check "centre of the first row, lowest first on a tie" "$(places)" '[["Front",1,3],["Front",1,4]]'
fresh
req POST /holds "$(best_body "$EB" 2)"
# Row 1 has 1-2 and 5-7 free: 5-6 strands 7 and 6-7 strands 5; 1-2 strands nothing.
check "a block that strands nothing beats a closer one" "$(places)" '[["Front",1,1],["Front",1,2]]'
fresh
req POST /holds "$(best_body "$EB" 2)"
# Row 1 has only 5-7: every block strands a seat, so the next row wins.
check "no stranding before row order" "$(places)" '[["Front",2,3],["Front",2,4]]'
fresh
req POST /holds "$(best_body "$EB" 3 Back)"
# Every block of 3 in a row of 4 strands one seat: the best of those.
check "section filter; all blocks strand" "$(places)" '[["Back",1,1],["Back",1,2],["Back",1,3]]'
fresh
req POST /holds "$(best_body "$EB" 2 Back)"
expect_problem 409 not_enough_seats "one seat left in Back"
req POST /holds "$(best_body "$EB" 1 Back)"
check "a single seat strands nothing" "$(places)" '[["Back",1,4]]'
fresh
req POST /holds "$(best_body "$EB" 3)"
# Row 1: 5-7 (free, strands nothing: the row's end is beside it). Row 2 has
# 1-2 and 5-7 free too, but row 1 comes first.
check "row order among blocks that strand nothing" "$(places)" '[["Front",1,5],["Front",1,6],["Front",1,7]]'
fresh
req POST /holds "$(best_body "$EB" 3)"
check "the next row" "$(places)" '[["Front",2,5],["Front",2,6],["Front",2,7]]'
fresh
req POST /holds "$(best_body "$EB" 3)"
expect_problem 409 not_enough_seats "no block of three left"
req POST /holds "$(best_body "$EB" 2)"
check "the last pair" "$(places)" '[["Front",2,1],["Front",2,2]]'
# Booked seats and stale holds: booking the middle of a row moves the block;
# an expired hold's seats count as free.
mk_event '[{"name":"Hall","rows":1,"seats_per_row":9,"price_cents":100}]' 1
EH=$EVENT_ID; HH=("${SEATS[@]}")
fresh
req POST /bookings "$(hold_body "$EH" "${HH[4]}")"
req POST /holds "$(best_body "$EH" 3)"
# Free: 1-4 and 6-9, and every block of three strands a seat: the closest to
# the centre (2-4 and 6-8 tie), lowest first.
check "around a booked seat" "$(places)" '[["Hall",1,2],["Hall",1,3],["Hall",1,4]]'
EXP=$(json .expires_at | jq -r .)
psql_q "SELECT pg_sleep(greatest(0, extract(epoch FROM '$EXP'::timestamptz - clock_timestamp()) + 0.05))" >/dev/null
fresh
req POST /holds "$(best_body "$EH" 3)"
check "an expired hold's seats are free again" "$(places)" '[["Hall",1,2],["Hall",1,3],["Hall",1,4]]'

# Rows found full are skipped by later requests only while they stay full:
# a release, a cancellation or an expiry in them makes them best again.
HINT='[{"name":"Hall","rows":2,"seats_per_row":4,"price_cents":100}]'
mk_event "$HINT"; EH=$EVENT_ID; HH=("${SEATS[@]}")
fresh; req POST /holds "$(best_body "$EH" 4)"; FULL=$(json .id)
fresh; req POST /holds "$(best_body "$EH" 2)"
check "row 1 full: row 2" "$(places)" '[["Hall",2,1],["Hall",2,2]]'
TOKEN=$ADMIN; req DELETE "/holds/$FULL"
fresh; req POST /holds "$(best_body "$EH" 2)"
check "after a release in row 1, row 1 again" "$(places)" '[["Hall",1,1],["Hall",1,2]]'
mk_event "$HINT"; EH=$EVENT_ID; HH=("${SEATS[@]}")
fresh; req POST /bookings "$(hold_body "$EH" "${HH[@]:0:4}")"; FULL=$(json .id)
fresh; req POST /holds "$(best_body "$EH" 2)"
check "row 1 booked: row 2" "$(places)" '[["Hall",2,1],["Hall",2,2]]'
TOKEN=$ADMIN; req DELETE "/bookings/$FULL"
fresh; req POST /holds "$(best_body "$EH" 2)"
check "after a cancellation in row 1, row 1 again" "$(places)" '[["Hall",1,1],["Hall",1,2]]'
# The buyers sign up first, so that nothing slow comes between the hold and its check.
new_user; HA=$TOKEN; new_user; HB=$TOKEN; new_user; HC=$TOKEN
mk_event "$HINT" 2; EH=$EVENT_ID
TOKEN=$HA; req POST /holds "$(best_body "$EH" 4)"; EXP=$(json .expires_at | jq -r .)
TOKEN=$HB; req POST /holds "$(best_body "$EH" 2)"
check "row 1 held: row 2" "$(places)" '[["Hall",2,1],["Hall",2,2]]'
psql_q "SELECT pg_sleep(greatest(0, extract(epoch FROM '$EXP'::timestamptz - clock_timestamp()) + 0.05))" >/dev/null
TOKEN=$HC; req POST /holds "$(best_body "$EH" 2)"
check "after the hold in row 1 expired, row 1 again" "$(places)" '[["Hall",1,1],["Hall",1,2]]'

# Rows with free seats but no run as long as the block asked for are skipped
# the same way, per quantity.
mk_event "$HINT"; EH=$EVENT_ID; HH=("${SEATS[@]}")
fresh; req POST /holds "$(hold_body "$EH" "${HH[1]}")"; SINGLE=$(json .id)
fresh; req POST /holds "$(hold_body "$EH" "${HH[3]}")"
fresh; req POST /holds "$(best_body "$EH" 2)"
check "row 1 has single seats only: row 2 for two" "$(places)" '[["Hall",2,1],["Hall",2,2]]'
fresh; req POST /holds "$(best_body "$EH" 1)"
check "but a single seat of row 1 for one (nearest the centre)" "$(places)" '[["Hall",1,3]]'
TOKEN=$ADMIN; req DELETE "/holds/$SINGLE"
fresh; req POST /holds "$(best_body "$EH" 2)"
check "after a release in row 1, row 1 again for two" "$(places)" '[["Hall",1,1],["Hall",1,2]]'

# --- deleting an event takes its holds ------------------------------------------------------

TOKEN=$ADMIN
req DELETE "/admin/events/$EA"
expect_status 204
check "holds gone with the event" "$(psql_q "SELECT count(*) FROM holds WHERE event_id = $EA")" 0
TOKEN=$U1
req GET "/holds/$H2"
expect_problem 404 hold_not_found

finish
