#!/usr/bin/env bash
# Waitlist: POST /events/{id}/waitlist, GET and DELETE /waitlist/{id} with
# every error; serving in join order, first fit, at the instant seats free
# up (a cancellation, a release, an expiry, a join), with nobody outside the
# list able to take those seats first; offer expiry chaining to the next
# entry; confirming an offer; exact positions. Then, concurrently: 200
# waiting users, 100 cancellations and releases at once and outsiders
# hammering the same seats.
source "$(dirname "$0")/lib.sh"

RUN="$(date +%s%N)$RANDOM"
FUTURE=2099-06-01T19:30:00Z

# mk_event SECTIONS [HOLD_SECONDS]: sets EVENT_ID and SEATS (seat-map order).
mk_event() {
  local saved=$TOKEN extra=""
  [ -n "${2:-}" ] && extra=",\"hold_seconds\":$2"
  TOKEN=$ADMIN
  req POST /admin/events "{\"name\":\"Waitlist $RUN\",\"venue\":\"Hall\",\"starts_at\":\"$FUTURE\",
    \"sections\":$1$extra}"
  [ "$STATUS" = 201 ] || fail "setup: create event"
  EVENT_ID=$(json .id)
  TOKEN=$saved
  mapfile -t SEATS < <(curl -s "$BASE/events/$EVENT_ID/seats" | jq '.seats[].id')
}
seat_list() { local IFS=,; echo "$*"; }
# book_each EVENT SEAT...: one booking per seat as $TOKEN; sets BOOKED (their ids).
book_each() {
  local event=$1 s
  shift
  BOOKED=()
  for s in "$@"; do
    req POST /bookings "{\"event_id\":$event,\"seat_ids\":[$s]}"; BOOKED+=("$(json .id)")
  done
}
# join_in_order EVENT BODY FIRST LAST: users TOKENS[FIRST..LAST] join, one after another.
join_in_order() {
  local c
  for c in $(seq "$3" "$4"); do
    curl -s -o /dev/null -X POST -H "Authorization: Bearer ${TOKENS[$c]}" -H 'Content-Type: application/json' \
      -d "$2" "$BASE/events/$1/waitlist"
  done
}
# entry ID TOKEN: GET /waitlist/ID as that user; leaves STATUS/BODY.
entry() { local saved=$TOKEN; TOKEN=$2; req GET "/waitlist/$1"; TOKEN=$saved; }
state() { entry "$1" "$2"; json '[.status, .position]'; }
wait_offer() { # wait_offer ID TOKEN: up to 3 s for the offer maker
  local i
  for i in $(seq 30); do
    entry "$1" "$2"
    [ "$(json .status)" = '"offered"' ] && return 0
    sleep 0.1
  done
  return 1
}

admin_login
ADMIN=$TOKEN
ONE_ROW='[{"name":"Row","rows":1,"seats_per_row":4,"price_cents":100}]'

# --- errors ------------------------------------------------------------------------

mk_event "$ONE_ROW"; E0=$EVENT_ID
new_user; U1=$TOKEN
TOKEN=""
req POST "/events/$E0/waitlist" '{"quantity":1}'
expect_problem 401 unauthorized
# A token of no session: refused by join_waitlist() itself, and before a bad
# body or an unknown event.
TOKEN=$(repeat A 43)
for path_body in "/events/$E0/waitlist {\"quantity\":1}" "/events/$E0/waitlist {}" "/events/nope/waitlist {\"quantity\":1}"; do
  req POST "${path_body%% *}" "${path_body#* }"
  expect_problem 401 unauthorized
done
TOKEN=$U1
for bad in '{}' '{"quantity":0}' '{"quantity":11}' '{"quantity":"2"}' '{"quantity":1.5}'; do
  req POST "/events/$E0/waitlist" "$bad"
  expect_invalid quantity
done
req POST "/events/$E0/waitlist" '{"quantity":1,"section":""}'
expect_invalid section
req POST "/events/$E0/waitlist" '[]'
expect_problem 400 validation_failed
req POST /events/999999999/waitlist '{"quantity":1}'
expect_problem 404 event_not_found
req POST "/events/$E0/waitlist" '{"quantity":1,"section":"row"}'
expect_problem 400 invalid_section "section names match exactly"
mk_event "$ONE_ROW"; EP=$EVENT_ID
TOKEN=$ADMIN; req PATCH "/admin/events/$EP" '{"starts_at":"2020-01-01T00:00:00Z"}'; TOKEN=$U1
req POST "/events/$EP/waitlist" '{"quantity":1,"section":"Nowhere"}'
expect_problem 409 event_started "event_started comes before invalid_section"
req GET /waitlist/abc
expect_problem 404 waitlist_entry_not_found
req DELETE /waitlist/0
expect_problem 404 waitlist_entry_not_found

# --- an entry that can be met at once is answered offered ------------------------------

req POST "/events/$E0/waitlist" '{"quantity":2,"section":"Row"}'
expect_status 201 "join"
W0=$(json .id)
expect_header Location "/waitlist/$W0"
expect_json .status '"offered"' "seats free: offered at once"
expect_json .position null
expect_json .section '"Row"'
expect_json .hold.status '"active"'
expect_json '.hold.seats | length' 2
req POST "/events/$E0/waitlist" '{"quantity":1}'
expect_problem 409 already_waiting "one waiting or offered entry per user"
new_user; U2=$TOKEN
req GET "/waitlist/$W0"
expect_problem 404 waitlist_entry_not_found "another user's entry"
entry "$W0" "$ADMIN"
expect_status 200 "an admin reads any entry"

# --- a sold-out event: serving in join order, first fit ----------------------------------

mk_event "$ONE_ROW" 3; ES=$EVENT_ID; S=("${SEATS[@]}")
new_user; OUT=$TOKEN
new_user; OWNER=$TOKEN
req POST /bookings "{\"event_id\":$ES,\"seat_ids\":[$(seat_list "${S[@]:0:2}")]}"; BK1=$(json .id)
req POST /bookings "{\"event_id\":$ES,\"seat_ids\":[$(seat_list "${S[@]:2:2}")]}"; BK2=$(json .id)
new_user; A=$TOKEN; req POST "/events/$ES/waitlist" '{"quantity":3}'; WA=$(json .id)
expect_json '[.status, .position]' '["waiting",1]' "sold out: waiting, first"
new_user; B=$TOKEN; req POST "/events/$ES/waitlist" '{"quantity":2}'; WB=$(json .id)
new_user; C=$TOKEN; req POST "/events/$ES/waitlist" '{"quantity":1}'; WC=$(json .id)
new_user; D=$TOKEN; req POST "/events/$ES/waitlist" '{"quantity":1}'; WD=$(json .id)
expect_json '[.status, .position]' '["waiting",4]'
req DELETE "/waitlist/$WD"
expect_status 200 "leave"
expect_json '[.status, .position]' '["left",null]'
cp "$TMP/body" "$TMP/left"
req DELETE "/waitlist/$WD"
check "leaving again: unchanged" "$(cmp -s "$TMP/body" "$TMP/left" && echo same)" same
check "positions close up" "$(state "$WC" "$C")" '["waiting",3]'

TOKEN=$OWNER
req DELETE "/bookings/$BK1"
expect_status 200 "a cancellation frees two seats"
check "the first entry (3 seats) cannot be met and keeps its place" "$(state "$WA" "$A")" '["waiting",1]'
entry "$WB" "$B"
expect_json .status '"offered"' "the first that fits (2 seats) is offered, in the same transaction"
expect_json '[.hold.seats[].id]' "[$(seat_list "${S[@]:0:2}")]"
HB=$(json .hold.id)
check "the next waits" "$(state "$WC" "$C")" '["waiting",2]'
# At the same instant, nobody outside the list can take them.
TOKEN=$OUT
req POST /holds "{\"event_id\":$ES,\"seat_ids\":[${S[0]}]}"
expect_problem 409 seat_unavailable "an outsider's hold of an offered seat"
req POST /bookings "{\"event_id\":$ES,\"seat_ids\":[${S[1]}]}"
expect_problem 409 seat_unavailable "an outsider's booking of an offered seat"
req POST /holds "{\"event_id\":$ES,\"quantity\":1}"
expect_problem 409 not_enough_seats "an outsider's best available"

# The offer expires (hold_seconds 3): its seats go to the next that fits.
entry "$WB" "$B"; EXP=$(json .hold.expires_at | jq -r .)
psql_q "SELECT pg_sleep(greatest(0, extract(epoch FROM '$EXP'::timestamptz - clock_timestamp()) + 0.05))" >/dev/null
# An outsider writing right after the expiry loses to the list.
TOKEN=$OUT
req POST /holds "{\"event_id\":$ES,\"seat_ids\":[$(seat_list "${S[@]:0:2}")]}"
expect_problem 409 seat_unavailable "an outsider right after the expiry loses to the list"
# The 1-seat entry takes the better of the two (seat 2: seat 1 is at the row's end).
expect_json .unavailable_seat_ids "[${S[1]}]"
check "the expired offer's entry is expired" "$(state "$WB" "$B")" '["expired",null]'
entry "$WC" "$C"
check "its seats went to the next that fits" "$(json '[.status, [.hold.seats[].id]]')" "[\"offered\",[${S[1]}]]"
check "the 3-seat entry still waits, first" "$(state "$WA" "$A")" '["waiting",1]'

# Leaving with an offer releases it; confirming one fulfils the entry.
TOKEN=$C
req DELETE "/waitlist/$WC"
expect_json .status '"left"'
expect_json .hold.status '"released"'
TOKEN=$OWNER
req DELETE "/bookings/$BK2"
entry "$WA" "$A"
check "seats free: the 3-seat entry is offered" "$(json '[.status, (.hold.seats | length)]')" '["offered",3]'
HA=$(json .hold.id)
TOKEN=$A
req POST "/holds/$HA/confirm"
expect_status 201 "confirming an offer"
check "fulfilled" "$(state "$WA" "$A")" '["fulfilled",null]'
req POST "/events/$ES/waitlist" '{"quantity":1}'
expect_status 201 "a fulfilled entry no longer blocks joining"
expect_json .status '"offered"' "the last seat is free: offered at once"

# The offer maker: an expiry with no other request is offered within a second.
mk_event "$ONE_ROW" 3; EM=$EVENT_ID; M=("${SEATS[@]}")
new_user; WAITER=$TOKEN
new_user; H=$TOKEN
req POST /holds "{\"event_id\":$EM,\"seat_ids\":[$(seat_list "${M[@]}")]}"
EXP=$(json .expires_at | jq -r .)
TOKEN=$WAITER
req POST "/events/$EM/waitlist" '{"quantity":4}'; WM=$(json .id)
expect_json .status '"waiting"'
psql_q "SELECT pg_sleep(greatest(0, extract(epoch FROM '$EXP'::timestamptz - clock_timestamp())))" >/dev/null
check "offered after the expiry, with no request" "$(wait_offer "$WM" "$WAITER" && echo yes)" yes

# An entry passed over for its user's 10-seat limit is served once that user
# holds fewer seats, before any outsider's write.
mk_event '[{"name":"Row","rows":1,"seats_per_row":12,"price_cents":100}]'; EL=$EVENT_ID; L=("${SEATS[@]}")
new_user; LX=$TOKEN
req POST /holds "{\"event_id\":$EL,\"seat_ids\":[$(seat_list "${L[@]:0:10}")]}"; LH=$(json .id)
new_user; LY=$TOKEN
req POST /bookings "{\"event_id\":$EL,\"seat_ids\":[${L[10]}]}"; LB=$(json .id)
req POST /bookings "{\"event_id\":$EL,\"seat_ids\":[${L[11]}]}"
new_user; LO=$TOKEN
TOKEN=$LX; req POST "/events/$EL/waitlist" '{"quantity":1}'; WL=$(json .id)
expect_json .status '"waiting"' "sold out: the holder of 10 seats waits for one more"
TOKEN=$LY; req DELETE "/bookings/$LB"
check "at its limit: passed over, still waiting" "$(state "$WL" "$LX")" '["waiting",1]'
TOKEN=$LX; req POST "/holds/$LH/confirm"
expect_status 201 "the holder confirms: now it holds nothing"
TOKEN=$LO; req POST /holds "{\"event_id\":$EL,\"seat_ids\":[${L[10]}]}"
expect_problem 409 seat_unavailable "an outsider loses the seat to the entry now within its limit"
check "offered the freed seat" "$(entry "$WL" "$LX"; json '[.status, [.hold.seats[].id]]')" "[\"offered\",[${L[10]}]]"

# Freed seats that cannot serve anyone skip the pass; the seat that joins them
# to a run long enough is offered at once, and only to an entry of its section.
mk_event '[{"name":"A","rows":1,"seats_per_row":4,"price_cents":100},
           {"name":"B","rows":1,"seats_per_row":2,"price_cents":100}]'; EF=$EVENT_ID; F=("${SEATS[@]}")
new_user; FO=$TOKEN
book_each "$EF" "${F[@]}"; FB=("${BOOKED[@]}")
new_user; FP=$TOKEN; req POST "/events/$EF/waitlist" '{"quantity":2}'; WP=$(json .id)
new_user; FQ=$TOKEN; req POST "/events/$EF/waitlist" '{"quantity":1,"section":"B"}'; WQ=$(json .id)
TOKEN=$FO; req DELETE "/bookings/${FB[0]}"
check "a lone freed seat in A: the pair waits" "$(state "$WP" "$FP")" '["waiting",1]'
check "a seat of A is not one of B" "$(state "$WQ" "$FQ")" '["waiting",2]'
TOKEN=$FO; req DELETE "/bookings/${FB[2]}"
check "two freed seats apart: the pair still waits" "$(state "$WP" "$FP")" '["waiting",1]'
TOKEN=$FO; req DELETE "/bookings/${FB[1]}"
entry "$WP" "$FP"
check "the seat between them makes a run of three: the pair is offered" \
  "$(json '[.status, (.hold.seats | length)]')" '["offered",2]'
check "B's entry still waits" "$(state "$WQ" "$FQ")" '["waiting",1]'
TOKEN=$FO; req DELETE "/bookings/${FB[4]}"
entry "$WQ" "$FQ"
check "a freed seat of B is offered to B's entry" "$(json '[.status, [.hold.seats[].id]]')" "[\"offered\",[${F[4]}]]"

# Two neighbouring seats freed at once: the first freer has not committed when
# the second looks at the row, and neither sees the other's seat free, yet
# the pair is offered.
mk_event "$ONE_ROW"; EN=$EVENT_ID; N=("${SEATS[@]}")
TOKEN=$FO; book_each "$EN" "${N[@]}"; NB=("${BOOKED[@]}")
new_user; NW=$TOKEN; req POST "/events/$EN/waitlist" '{"quantity":2}'; WN=$(json .id)
psql "$PG_URL" -qAtX -c "BEGIN" -c "SELECT o_status FROM cancel_booking(0, true, ${NB[1]})" \
  -c "SELECT pg_sleep(1.5)" -c "COMMIT" >/dev/null &
sleep 0.5
psql_q "SELECT o_status FROM cancel_booking(0, true, ${NB[2]})" >/dev/null
wait
entry "$WN" "$NW"
check "two seats freed side by side at once: the pair is offered" \
  "$(json '[.status, [.hold.seats[].id]]')" "[\"offered\",[${N[1]},${N[2]}]]"

# --- concurrency: 200 waiting, 100 seats freed at once, outsiders hammering -----------

if [ ! -x "$DRIVER" ]; then
  fail "$DRIVER is not built"
  finish
  exit
fi
mk_event '[{"name":"Floor","rows":10,"seats_per_row":10,"price_cents":100}]'
EC=$EVENT_ID; CS=("${SEATS[@]}")
sql_users 400 "wl-$RUN"
# Clients 0..49 book a seat each, 50..99 hold one: the event is sold out.
start_batch claim
for c in $(seq 0 99); do
  if [ "$c" -lt 50 ]; then path=/bookings; else path=/holds; fi
  add_line "$c" "POST $path ${TOKENS[$c]} - {\"event_id\":$EC,\"seat_ids\":[${CS[$c]}]}" '{}'
done
run_batch
check "sold out" "$(count_where "$BATCH.all" '.status == 201')" 100
mapfile -t CLAIMS < <(jq -r '.[].body.id' "$BATCH.all")
# Clients 100..299 join the list, one after another (join order known).
join_in_order "$EC" '{"quantity":1}' 100 299
check "200 waiting" "$(psql_q "SELECT count(*) FROM waitlist_entries WHERE event_id = $EC AND status = 'waiting'")" 200
# At once: the 100 owners cancel or release, 100 outsiders hold, book or ask
# for the best seat.
start_batch free
for c in $(seq 0 99); do
  if [ "$c" -lt 50 ]; then add_line "$c" "DELETE /bookings/${CLAIMS[$c]} ${TOKENS[$c]} -" '{"kind":"free"}'
  else add_line "$c" "DELETE /holds/${CLAIMS[$c]} ${TOKENS[$c]} -" '{"kind":"free"}'; fi
done
for c in $(seq 300 399); do
  s=${CS[$((RANDOM % 100))]}
  case $((c % 3)) in
    0) add_line "$c" "POST /holds ${TOKENS[$c]} - {\"event_id\":$EC,\"seat_ids\":[$s]}" '{"kind":"out"}' ;;
    1) add_line "$c" "POST /bookings ${TOKENS[$c]} - {\"event_id\":$EC,\"seat_ids\":[$s]}" '{"kind":"out"}' ;;
    2) add_line "$c" "POST /holds ${TOKENS[$c]} - {\"event_id\":$EC,\"quantity\":1}" '{"kind":"out"}' ;;
  esac
  add_line "$c" "POST /holds ${TOKENS[$c]} - {\"event_id\":$EC,\"quantity\":1}" '{"kind":"out"}'
done
run_batch
echo "frees and outsiders: $(status_counts "$BATCH.all")"
check "every cancellation and release answered 200" "$(count_where "$BATCH.all" '.kind == "free" and .status != 200')" 0
check "no outsider got a freed seat" "$(count_where "$BATCH.all" '.kind == "out" and .status == 201')" 0
check "outsiders were refused cleanly" \
  "$(count_where "$BATCH.all" '.kind == "out" and ((.status == 409 and (.body.code | IN("seat_unavailable", "not_enough_seats"))) | not)')" 0
check "every freed seat went to an entry, in join order" "$(psql_q "
  SELECT count(*) FILTER (WHERE status = 'offered' AND seq <= 100) || ',' ||
         count(*) FILTER (WHERE status = 'waiting' AND seq > 100)
    FROM waitlist_entries WHERE event_id = $EC")" "100,100"
check "each offer holds one seat of the event, all distinct" \
  "$(psql_q "SELECT count(DISTINCT s.id) FROM waitlist_entries w JOIN holds h ON h.id = w.hold_id
             JOIN seats s ON s.hold_id = h.id WHERE w.event_id = $EC AND h.expires_at > now()")" 100
check "positions of those still waiting are exact" "$(psql_q "
  SELECT count(*) FILTER (WHERE waitlist_position(w) <> w.seq - 100) FROM waitlist_entries w
   WHERE w.event_id = $EC AND w.status = 'waiting'")" 0
check "no seat ever in two of {active hold, confirmed booking}" "$(overlaps "$EC")" 0

# Pairs: 100 single seats cancelled at once, side by side, with 60 entries
# waiting for 2. No freer sees the others' seats before they commit, so a
# pair made of two freeings must still be offered by one of them: at the
# end, while anyone waits, no two adjacent seats are free.
mk_event '[{"name":"Floor","rows":10,"seats_per_row":10,"price_cents":100}]'
EP2=$EVENT_ID; PS=("${SEATS[@]}")
sql_users 160 "wl2-$RUN"
start_batch pairs-claim
for c in $(seq 0 99); do
  add_line "$c" "POST /bookings ${TOKENS[$c]} - {\"event_id\":$EP2,\"seat_ids\":[${PS[$c]}]}" '{}'
done
run_batch
check "sold out in single seats" "$(count_where "$BATCH.all" '.status == 201')" 100
mapfile -t PAIRS < <(jq -r '.[].body.id' "$BATCH.all")
join_in_order "$EP2" '{"quantity":2}' 100 159
start_batch pairs-free
for c in $(seq 0 99); do add_line "$c" "DELETE /bookings/${PAIRS[$c]} ${TOKENS[$c]} -" '{}'; done
run_batch
check "every cancellation answered 200" "$(count_where "$BATCH.all" '.status != 200')" 0
check "pairs were offered" "$(psql_q "SELECT count(*) > 0 FROM waitlist_entries WHERE event_id = $EP2 AND status = 'offered'")" t
check "while anyone waits for 2, no 2 adjacent seats are free" "$(psql_q "
  SELECT count(*) FROM (
    SELECT string_agg(CASE WHEN booking_id IS NULL AND (held_until IS NULL OR held_until <= now())
                           THEN '0' ELSE '1' END, '' ORDER BY number) AS r
      FROM seats WHERE event_id = $EP2 GROUP BY section_id, row) x
   WHERE r LIKE '%00%'
     AND EXISTS (SELECT 1 FROM waitlist_entries WHERE event_id = $EP2 AND status = 'waiting')")" 0
check "no seat ever in two of {active hold, confirmed booking}" "$(overlaps "$EP2")" 0

# Positions across blocks of 1,024 (a position counts the departed entries
# of its block on whichever side of it is shorter): 1,500 entries, every
# seventh and a run near the first block's end gone; every waiting entry's
# position is its rank among those waiting, and the join answers it.
mk_event '[{"name":"Floor","rows":1,"seats_per_row":1,"price_cents":100}]'
EPOS=$EVENT_ID
sql_users 1501 "wlpos-$RUN"
LAST_TOKEN=${TOKENS[1500]}
psql_q "SELECT o_status FROM book(${USER_IDS[0]}::bigint, $EPOS, ARRAY[${SEATS[0]}]::bigint[], false, NULL, 'x')" >/dev/null
psql_q "SELECT count(join_waitlist(u, $EPOS, 1, NULL))
          FROM unnest(ARRAY[$(IFS=,; echo "${USER_IDS[*]:0:1500}")]::bigint[]) u" >/dev/null
psql_q "SELECT count(leave_waitlist(w.user_id, false, w.id)) FROM waitlist_entries w
         WHERE w.event_id = $EPOS AND (w.seq % 7 = 0 OR w.seq BETWEEN 1000 AND 1030)" >/dev/null
check "positions across blocks are ranks among those waiting" "$(psql_q "
  SELECT count(*) || ',' || count(*) FILTER (WHERE waitlist_position(w) <> r)
    FROM (SELECT w, row_number() OVER (ORDER BY w.seq) AS r FROM waitlist_entries w
           WHERE w.event_id = $EPOS AND w.status = 'waiting') x")" "1260,0"
TOKEN=$LAST_TOKEN
req POST "/events/$EPOS/waitlist" '{"quantity":1}'
expect_json '[.status, .position]' '["waiting",1261]' "a new entry's position"

# With one event holding a long list, the probes every seat-taking or
# seat-freeing write makes (is anyone waiting? is a pass due?) keep to the
# indexes even in the plans made once for any event: no sequential scan of
# the entries, for this event or one nobody waits for.
mk_event "$ONE_ROW"; EQUIET=$EVENT_ID
check "the probes read no entries by scanning the table" "$(psql_q "ANALYZE waitlist_entries;
  DO \$\$ BEGIN FOR i IN 1..20 LOOP
    PERFORM waitlist_anyone_waiting($EPOS); PERFORM waitlist_anyone_waiting($EQUIET);
    PERFORM waitlist_serve($EPOS); PERFORM waitlist_serve($EQUIET);
  END LOOP; END \$\$;
  SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = 'waitlist_entries'")" 0

finish
