#!/usr/bin/env bash
# The booking path of sql/015 (one statement per POST /bookings): the
# session checked in the same call (401 before validation, as the contract
# orders it), the answer built without reading the booking back (the same
# text as booking_json), Idempotency-Key replays, an admission token for
# another user, extra counter shards when every shard is held, and the
# analytics totals exact after bookings and cancellations.
source "$(dirname "$0")/lib.sh"

RUN="$(date +%s%N)$RANDOM"
FUTURE=2099-07-01T19:30:00Z

mk_event() { # mk_event [ADMISSION_JSON]: sets EVENT_ID, SEATS (20 seats)
  local saved=$TOKEN
  TOKEN=$ADMIN
  EVENT_SEQ=$(( ${EVENT_SEQ:-0} + 1 ))
  req POST /admin/events "{\"name\":\"Path $RUN #$EVENT_SEQ\",\"venue\":\"Hall $RUN\",
    \"starts_at\":\"$FUTURE\",\"admission\":${1:-null},\"sections\":[
      {\"name\":\"Stalls\",\"rows\":2,\"seats_per_row\":5,\"price_cents\":9000},
      {\"name\":\"Balcony\",\"rows\":2,\"seats_per_row\":5,\"price_cents\":2500}]}"
  [ "$STATUS" = 201 ] || fail "setup: create event"
  EVENT_ID=$(json .id)
  TOKEN=$saved
  mapfile -t SEATS < <(curl -s "$BASE/events/$EVENT_ID/seats" | jq '.seats[].id')
  [ "${#SEATS[@]}" = 20 ] || { fail "setup: event $EVENT_ID has ${#SEATS[@]} seats"; finish; exit 1; }
}
book_body() { # book_body EVENT SEAT...
  local e=$1
  shift
  echo "{\"event_id\":$e,\"seat_ids\":[$(IFS=,; echo "$*")]}"
}
# The token's session, from the database (only its hash is stored).
token_hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

admin_login
ADMIN=$TOKEN
new_user; U1=$TOKEN; U1_ID=$USER_ID
new_user; U2=$TOKEN
mk_event; E=$EVENT_ID; S=("${SEATS[@]}")

# --- the session, checked in the booking's own call ----------------------------------
new_user; EXPIRED=$TOKEN
psql_q "UPDATE sessions SET expires_at = now() - interval '1 second'
         WHERE token_hash = '\\x$(token_hash "$EXPIRED")'::bytea" >/dev/null
TOKEN=$EXPIRED
req POST /bookings "$(book_body "$E" "${S[0]}")"
expect_problem 401 unauthorized
expect_header WWW-Authenticate Bearer
req POST /bookings '{"event_id":0,"seat_ids":[]}'
expect_problem 401 unauthorized  # an expired token is 401 before a bad body's 400
req POST /bookings '{not json'
expect_problem 401 unauthorized
req POST /bookings "$(book_body "$E" "${S[0]}")" -H "Idempotency-Key: expired-$RUN"
expect_problem 401 unauthorized
UNKNOWN=$(printf 'x%.0s' $(seq 43))  # well-formed, no such session
TOKEN=$UNKNOWN
req POST /bookings "$(book_body "$E" "${S[0]}")"
expect_problem 401 unauthorized
req POST /bookings '{"event_id":1,"seat_ids":[1,1]}'
expect_problem 401 unauthorized
check "no booking from a 401, no key kept" "$(psql_q "
  SELECT (SELECT count(*) FROM bookings WHERE event_id = $E)
       + (SELECT count(*) FROM idempotency_keys WHERE key = 'expired-$RUN')")" 0
TOKEN=$U1
req POST /bookings '{"event_id":0,"seat_ids":[]}'
expect_problem 400 validation_failed
req POST /bookings "$(book_body "$E" "${S[0]}" "${S[0]}")"
expect_problem 400 validation_failed

# --- the answer: booking_json's text, and its replays ----------------------------------
req POST /bookings "$(book_body "$E" "${S[12]}" "${S[3]}")" -H "Idempotency-Key: k1-$RUN"
expect_status 201 "a booking"
BK=$(json .id)
FIRST=$BODY
check "Location" "$(header Location)" "/bookings/$BK"
check "the answer is booking_json's text" "$FIRST" "$(psql_q "SELECT booking_json($BK)::text")"
check "the Booking's fields" "$(json '[.event_id, .user_id, .status, [.seats[].id], .total_cents, .cancelled_at]')" \
  "[$E,$U1_ID,\"confirmed\",[${S[3]},${S[12]}],11500,null]"
check "the seats as GET /bookings/{id} shows them" "$(jq -S -c . <<<"$FIRST")" \
  "$(curl -s -H "Authorization: Bearer $U1" "$BASE/bookings/$BK" | jq -S -c .)"
req POST /bookings "$(book_body "$E" "${S[3]}" "${S[12]}")" -H "Idempotency-Key: k1-$RUN"
expect_status 201 "a replay (seats in another order)"
check "the replay is the first answer, byte for byte" "$BODY" "$FIRST"
req POST /bookings "$(book_body "$E" "${S[3]}")" -H "Idempotency-Key: k1-$RUN"
expect_problem 422 idempotency_key_reused
req POST /bookings "$(book_body "$E" "${S[3]}" "${S[4]}")" -H "Idempotency-Key: k2-$RUN"
expect_problem 409 seat_unavailable
check "unavailable ids" "$(json .unavailable_seat_ids)" "[${S[3]}]"
CONFLICT=$BODY
req POST /bookings "$(book_body "$E" "${S[4]}" "${S[3]}")" -H "Idempotency-Key: k2-$RUN"
check "a replayed 409" "$STATUS $BODY" "409 $CONFLICT"
TOKEN=$U2
req POST /bookings "$(book_body "$E" "${S[4]}")" -H "Idempotency-Key: k1-$RUN"
expect_status 201 "another user's key of the same name is theirs"
check "one booking per key and user" "$(psql_q "SELECT count(*) FROM bookings WHERE event_id = $E")" 2
req POST /bookings "$(book_body "$E" 9007199254740991 "${S[5]}")"
expect_problem 400 invalid_seats
check "invalid ids" "$(json .invalid_seat_ids)" "[9007199254740991]"

# --- admission: the token must admit the session's user --------------------------------
mk_event "{\"opens_at\":\"2020-01-01T00:00:00Z\",\"rate_per_minute\":1000000}"
EG=$EVENT_ID; G=("${SEATS[@]}")
TOKEN=$U2
req POST "/events/$EG/queue"
expect_status 201 "U2 joins the queue"
ADMIT2=$(json .admission_token | jq -r .)
TOKEN=$U1
req POST /bookings "$(book_body "$EG" "${G[0]}")"
expect_problem 403 admission_required
req POST /bookings "$(book_body "$EG" "${G[0]}")" -H "Admission-Token: $ADMIT2"
expect_problem 403 admission_required  # another user's token
req POST "/events/$EG/queue"
ADMIT1=$(json .admission_token | jq -r .)
req POST /bookings "$(book_body "$EG" "${G[0]}")" -H "Admission-Token: $ADMIT1"
expect_status 201 "U1 with their own token"
req POST /bookings "$(book_body "$E" "${S[6]}")" -H "Admission-Token: $ADMIT1"
expect_status 201 "an ungated event ignores the header"

# --- every counter shard held: the booking opens one of its own ------------------------
mk_event; EH=$EVENT_ID; H=("${SEATS[@]}")
PGAPPNAME=evently_test_shards psql "$PG_URL" -qAtX -c "BEGIN" \
  -c "SELECT shard FROM event_seat_counts WHERE event_id = $EH FOR UPDATE" \
  -c "SELECT pg_sleep(120)" -c "COMMIT" >/dev/null 2>&1 &
HOLDER=$!
for _ in $(seq 100); do
  [ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'evently_test_shards'
                AND query LIKE '%pg_sleep%'")" = 1 ] && break
  sleep 0.1
done
TOKEN=$U1
req POST /bookings "$(book_body "$EH" "${H[0]}" "${H[1]}")" --max-time 60
expect_status 201 "booked while all 16 shards are held"
check "the holder still holds them" "$(psql_q "SELECT count(*) FROM pg_stat_activity
  WHERE application_name = 'evently_test_shards' AND query LIKE '%pg_sleep%'")" 1
psql_q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'evently_test_shards'" >/dev/null
wait "$HOLDER" 2>/dev/null
check "an extra shard counts the booking" "$(psql_q "
  SELECT count(*) FILTER (WHERE shard > 15), sum(booked) FROM event_seat_counts WHERE event_id = $EH" | tr '|' ' ')" "1 2"
check "the event's counters" "$(curl -s "$BASE/events/$EH" | jq -c '[.available_seats, .booked_seats]')" "[18,2]"
check "the seat map" "$(curl -s "$BASE/events/$EH/seats?status=booked" | jq -c '[.seats[].id]')" "[${H[0]},${H[1]}]"
req DELETE "/bookings/$(psql_q "SELECT id FROM bookings WHERE event_id = $EH")"
expect_status 200 "cancelled"
check "counters after the cancellation" "$(curl -s "$BASE/events/$EH" | jq -c '[.available_seats, .booked_seats]')" "[20,0]"

# --- analytics totals: exact after bookings and cancellations --------------------------
mk_event; EX=$EVENT_ID; X=("${SEATS[@]}")
TOKEN=$U1
ids=()
for i in 0 2 4 6 8 10 12 14 16; do
  req POST /bookings "$(book_body "$EX" "${X[$i]}" "${X[$((i + 1))]}")"
  [ "$STATUS" = 201 ] && ids+=("$(json .id)")
done
check "nine bookings" "${#ids[@]}" 9
for i in 1 4 7; do req DELETE "/bookings/${ids[$i]}"; expect_status 200 "cancel ${ids[$i]}"; done
TOKEN=$U2
req POST /bookings "$(book_body "$EX" "${X[2]}" "${X[3]}" "${X[18]}")"
expect_status 201 "freed seats booked again"
TRUTH="SELECT count(*), count(*) FILTER (WHERE status = 'confirmed'),
              coalesce(sum(seat_count) FILTER (WHERE status = 'confirmed'), 0),
              coalesce(sum(total_cents) FILTER (WHERE status = 'confirmed'), 0),
              count(*) FILTER (WHERE status = 'cancelled')
         FROM bookings WHERE event_id = $EX"
TOTALS="SELECT sum(bookings), sum(confirmed), sum(seats_sold), sum(revenue_cents), sum(cancellations)"
check "the truth" "$(psql_q "$TRUTH")" "10|7|15|89500|3"
check "booking_stats" "$(psql_q "$TOTALS FROM booking_stats WHERE event_id = $EX")" "$(psql_q "$TRUTH")"
check "stats_per_event" "$(psql_q "$TOTALS FROM stats_per_event WHERE event_id = $EX")" "$(psql_q "$TRUTH")"
check "stats_per_day equals booking_stats over all events" \
  "$(psql_q "$TOTALS FROM stats_per_day")" "$(psql_q "$TOTALS FROM booking_stats")"
check "counters agree with the seats" "$(psql_q "
  SELECT count(*) FROM events e
  WHERE (SELECT coalesce(sum(c.booked), 0) FROM event_seat_counts c WHERE c.event_id = e.id)
     <> (SELECT count(*) FROM seats s WHERE s.event_id = e.id AND s.booking_id IS NOT NULL)")" 0
check "no seat in two confirmed bookings" "$(psql_q "
  SELECT count(*) FROM (SELECT seat_id FROM booking_seats WHERE status = 'confirmed'
                         GROUP BY seat_id HAVING count(*) > 1) x")" 0

finish
