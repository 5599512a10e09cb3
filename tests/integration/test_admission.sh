#!/usr/bin/env bash
# Admission: `admission` on events (create, PATCH, read, null removes the
# gate), POST and GET /events/{id}/queue (every error, one position per user,
# positions gapless in join order under 200 concurrent joins, admission times
# exactly by the leaky-bucket formula), admission tokens (forged, foreign,
# expired and truncated ones refused) and a gated event refusing holds and
# bookings without a token and taking them with one.
source "$(dirname "$0")/lib.sh"

RUN="$(date +%s%N)$RANDOM"
FUTURE=2099-06-01T19:30:00Z
SECTIONS='[{"name":"Floor","rows":2,"seats_per_row":10,"price_cents":1000}]'

# mk_event ADMISSION_JSON: an event made by the admin; sets EVENT_ID and SEATS.
mk_event() {
  local saved=$TOKEN
  TOKEN=$ADMIN
  req POST /admin/events "{\"name\":\"Gate $RUN\",\"venue\":\"Arena\",\"starts_at\":\"$FUTURE\",
    \"admission\":$1,\"sections\":$SECTIONS}"
  [ "$STATUS" = 201 ] || fail "setup: create event"
  EVENT_ID=$(json .id)
  TOKEN=$saved
  mapfile -t SEATS < <(curl -s "$BASE/events/$EVENT_ID/seats" | jq '.seats[].id')
}
micros() { # micros RFC3339: microseconds since the epoch, from PostgreSQL
  psql_q "SELECT (extract(epoch FROM '$1'::timestamptz) * 1000000)::bigint"
}
iso_in() { date -u -d "$1" +%Y-%m-%dT%H:%M:%S.%6NZ; }

admin_login
ADMIN=$TOKEN

# --- admission on events -------------------------------------------------------------

OPENS=$(iso_in '-1 minute')
# 20 a minute: positions 3 s apart, more than two joins in a row take here.
mk_event "{\"opens_at\":\"$OPENS\",\"rate_per_minute\":20}"
EG=$EVENT_ID; G=("${SEATS[@]}")
TOKEN=""
req GET "/events/$EG"
expect_json '.admission.rate_per_minute' 20
check "opens_at read back" "$(micros "$(json .admission.opens_at | jq -r .)")" "$(micros "$OPENS")"
TOKEN=$ADMIN
for bad in '{"rate_per_minute":60}' "{\"opens_at\":\"$OPENS\"}" "{\"opens_at\":\"$OPENS\",\"rate_per_minute\":0}" \
           "{\"opens_at\":\"$OPENS\",\"rate_per_minute\":1000001}" '{"opens_at":"soon","rate_per_minute":5}' '60' '"on"'; do
  req PATCH "/admin/events/$EG" "{\"admission\":$bad}"
  expect_problem 400 validation_failed
  check "errors name admission ($bad)" "$(json '[.errors[].field | startswith("admission")] | all')" true
done
mk_event null
EN=$EVENT_ID; N=("${SEATS[@]}")
TOKEN=""; req GET "/events/$EN"; expect_json .admission null "no gate"
TOKEN=$ADMIN
req PATCH "/admin/events/$EN" "{\"admission\":{\"opens_at\":\"$OPENS\",\"rate_per_minute\":5}}"
expect_json .admission.rate_per_minute 5 "PATCH sets a gate"
req PATCH "/admin/events/$EN" '{"name":"Still gated"}'
expect_json .admission.rate_per_minute 5 "other PATCHes keep it"
req PATCH "/admin/events/$EN" '{"admission":null}'
expect_json .admission null "null removes the gate"

# --- the queue: errors ---------------------------------------------------------------

new_user; U1=$TOKEN; U1_ID=$USER_ID
TOKEN=""
req POST "/events/$EG/queue"
expect_problem 401 unauthorized
req GET "/events/$EG/queue"
expect_problem 401 unauthorized
TOKEN=not-a-token-of-anyone
req GET "/events/$EG/queue"
expect_problem 401 unauthorized "an unknown token"
req GET /events/abc/queue
expect_problem 401 unauthorized "an unknown token before a bad path"
TOKEN=$U1
req POST /events/999999999/queue
expect_problem 404 event_not_found
req GET /events/999999999/queue
expect_problem 404 event_not_found
req GET /events/abc/queue
expect_problem 404 event_not_found
req POST "/events/$EN/queue"
expect_problem 409 no_queue
req GET "/events/$EN/queue"
expect_problem 404 not_in_queue "no queue, no ticket"
req GET "/events/$EG/queue"
expect_problem 404 not_in_queue
mk_event "{\"opens_at\":\"$OPENS\",\"rate_per_minute\":60}"; EP=$EVENT_ID
TOKEN=$ADMIN; req PATCH "/admin/events/$EP" '{"starts_at":"2020-01-01T00:00:00Z"}'; TOKEN=$U1
req POST "/events/$EP/queue"
expect_problem 409 event_started
req PUT "/events/$EG/queue"
expect_problem 405 method_not_allowed

# --- joining, and the wait -----------------------------------------------------------

# Opens in the future: nobody is admitted before opens_at.
LATER=$(iso_in '+1 hour')
mk_event "{\"opens_at\":\"$LATER\",\"rate_per_minute\":120}"; EF=$EVENT_ID; F=("${SEATS[@]}")
TOKEN=$U1
req POST "/events/$EF/queue"
expect_status 201 "first join"
expect_json .position 1
expect_json .event_id "$EF"
expect_json .admitted false
expect_json .admission_token null
expect_json .token_expires_at null
check "position 1 is admitted at opens_at" "$(micros "$(json .admitted_at | jq -r .)")" "$(micros "$LATER")"
FIRST=$BODY
req POST "/events/$EF/queue"
expect_status 200 "joining again"
check "the same ticket" "$BODY" "$FIRST"
req GET "/events/$EF/queue"
expect_status 200
check "GET gives the same ticket" "$BODY" "$FIRST"
new_user; U2=$TOKEN
req POST "/events/$EF/queue"
expect_json .position 2
check "position 2: 60/120 s after position 1" "$(micros "$(json .admitted_at | jq -r .)")" "$(( $(micros "$LATER") + 500000 ))"
req POST /holds "{\"event_id\":$EF,\"seat_ids\":[${F[0]}]}"
expect_problem 403 admission_required "not admitted yet: no token"

# Open already: position 1 at its join, the next ones a second apart.
TOKEN=$U1
req POST "/events/$EG/queue"
expect_status 201
expect_json .admitted true "admitted at once when the gate is open and nobody is ahead"
TOK1=$(json .admission_token | jq -r .)
A1=$(micros "$(json .admitted_at | jq -r .)")
check "token_expires_at = admitted_at + 900 s" "$(micros "$(json .token_expires_at | jq -r .)")" "$((A1 + 900000000))"
check "admitted at the join" \
  "$(psql_q "SELECT (extract(epoch FROM admitted_at) * 1000000)::bigint = (extract(epoch FROM joined_at) * 1000000)::bigint FROM queue_tickets WHERE event_id = $EG AND user_id = $U1_ID")" t
TOKEN=$U2
req POST "/events/$EG/queue"
expect_json .position 2
A2=$(micros "$(json .admitted_at | jq -r .)")
check "position 2 three seconds (60/20) after position 1" "$((A2 - A1))" 3000000
expect_json .admitted false "position 2 waits"
# Wait for it (as the clock of PostgreSQL sees it), then it is admitted.
psql_q "SELECT pg_sleep(greatest(0, ($A2 / 1000000.0) - extract(epoch FROM clock_timestamp()) + 0.05))" >/dev/null
req GET "/events/$EG/queue"
expect_json .admitted true "admitted from admitted_at on"
TOK2=$(json .admission_token | jq -r .)

# --- a gated event: holds and bookings need the token ----------------------------------

TOKEN=$U1
req POST /holds "{\"event_id\":$EG,\"seat_ids\":[${G[0]}]}"
expect_problem 403 admission_required "a hold without a token"
KEY="gate-$RUN"
req POST /bookings "{\"event_id\":$EG,\"seat_ids\":[${G[1]}]}" -H "Idempotency-Key: $KEY"
expect_problem 403 admission_required "a booking without a token"
req POST /bookings "{\"event_id\":$EG,\"seat_ids\":[${G[1]}]}" -H "Idempotency-Key: $KEY" -H "Admission-Token: $TOK1"
expect_status 201 "the same key after admission goes through (403 is not kept)"
req POST /bookings "{\"event_id\":999999999,\"seat_ids\":[${G[2]}]}"
expect_problem 404 event_not_found "404 comes before 403"
req POST /holds "{\"event_id\":$EG,\"seat_ids\":[999999999]}"
expect_problem 403 admission_required "403 comes before invalid_seats"
req POST /holds "{\"event_id\":$EG,\"quantity\":1,\"section\":\"Nowhere\"}"
expect_problem 403 admission_required "403 comes before invalid_section"
req POST /holds "{\"event_id\":$EG,\"seat_ids\":[${G[2]}]}" -H "Admission-Token: $TOK1"
expect_status 201 "a hold with the token"
HG=$(json .id)
req POST "/holds/$HG/confirm"
expect_status 201 "confirming needs no token"
req POST /holds "{\"event_id\":$EG,\"quantity\":2}" -H "Admission-Token: $TOK1"
expect_status 201 "best available with the token"

# Forged, foreign, expired, truncated tokens: all 403 admission_required.
flip() { # flip TOKEN POS: the token with one character changed
  local c=${1:$2:1} r=A
  [ "$c" = A ] && r=B
  echo "${1:0:$2}$r${1:$(($2 + 1))}"
}
TOKEN=$U1
mk_event "{\"opens_at\":\"$OPENS\",\"rate_per_minute\":60}"; EO=$EVENT_ID; O=("${SEATS[@]}")
TOKEN=$U1; req POST "/events/$EO/queue"; TOK_OTHER_EVENT=$(json .admission_token | jq -r .)
for bad in "$(flip "$TOK1" 3)" "$(flip "$TOK1" 20)" "$(flip "$TOK1" $((${#TOK1} - 2)))" "${TOK1:0:40}" "${TOK1}AA" \
           "$TOK2" "$TOK_OTHER_EVENT" "garbage" "$TOK1$TOK1"; do
  req POST /holds "{\"event_id\":$EG,\"seat_ids\":[${G[5]}]}" -H "Admission-Token: $bad"
  expect_problem 403 admission_required "token refused: ${bad:0:12}…"
done
TOKEN=$U2
req POST /holds "{\"event_id\":$EG,\"seat_ids\":[${G[5]}]}" -H "Admission-Token: $TOK1"
expect_problem 403 admission_required "another user's token"
req POST /holds "{\"event_id\":$EG,\"seat_ids\":[${G[5]}]}" -H "Admission-Token: $TOK2"
expect_status 201 "their own token"
# An expired token: a ticket admitted 901 s ago gives a token that no longer works.
new_user; U3=$TOKEN; U3_ID=$USER_ID
psql_q "WITH b AS (UPDATE admission_buckets SET last_position = last_position + 1
                   WHERE event_id = $EG RETURNING last_position)
        INSERT INTO queue_tickets (event_id, position, user_id, joined_at, admitted_at)
        SELECT $EG, last_position, $U3_ID, now() - interval '901 s', now() - interval '901 s' FROM b" >/dev/null
req GET "/events/$EG/queue"
expect_json .admitted true
OLD=$(json .admission_token | jq -r .)
check "its token_expires_at has passed" "$(json '.token_expires_at < (now | todate)')" true
req POST /bookings "{\"event_id\":$EG,\"seat_ids\":[${G[6]}]}" -H "Admission-Token: $OLD"
expect_problem 403 admission_required "an expired token"
req POST "/events/$EG/queue"
expect_status 201 "after the token expired, a new position at the back"
check "at the back" "$(json .position)" "$(psql_q "SELECT last_position FROM admission_buckets WHERE event_id = $EG")"

# Removing the gate: no token needed any more.
TOKEN=$ADMIN; req PATCH "/admin/events/$EG" '{"admission":null}'
TOKEN=$U3
req POST /holds "{\"event_id\":$EG,\"seat_ids\":[${G[7]}]}"
expect_status 201 "an ungated event needs no token"
req GET "/events/$EG/queue"
expect_problem 404 not_in_queue "no gate, no ticket"

# --- polls answered from the workers' caches never outlive what they show ------------------

# A poll is answered from the worker's cache while the change board has seen
# nothing of the session, the user's tickets or the event; every change of
# those shows in the next poll, whichever worker answers it.
POLLS=12  # more than queue_get's workers: nginx spreads them over all
polls_agree() { # DESCRIPTION STATUS [POSITION]: POLLS polls, each STATUS (and POSITION)
  local bad=0 i
  for i in $(seq "$POLLS"); do
    req GET "/events/$EQ/queue"
    [ "$STATUS" = "$2" ] && { [ -z "${3:-}" ] || [ "$(json .position)" = "$3" ]; } || bad=$((bad + 1))
  done
  check "$1" "$bad" 0
}
mk_event "{\"opens_at\":\"$OPENS\",\"rate_per_minute\":60}"; EQ=$EVENT_ID
new_user; U5=$TOKEN
polls_agree "before joining, every poll is 404" 404
req POST "/events/$EQ/queue"
expect_status 201 "a join"
P5=$(json .position)
polls_agree "a join is in every poll at once" 200 "$P5"
polls_agree "and polled again, from the caches" 200 "$P5"
req POST /auth/logout
expect_status 204 "logout"
polls_agree "after logout every poll is 401 at once" 401
new_user; U6=$TOKEN
req POST "/events/$EQ/queue"
P6=$(json .position)
polls_agree "another user's poll" 200 "$P6"
TOKEN=$ADMIN; req PATCH "/admin/events/$EQ" '{"admission":null}'; TOKEN=$U6
polls_agree "once the gate is removed every poll is 404 at once" 404

# --- 200 concurrent joins ------------------------------------------------------------------

if [ ! -x "$DRIVER" ]; then
  fail "$DRIVER is not built"
  finish
  exit
fi
mk_event "{\"opens_at\":\"$OPENS\",\"rate_per_minute\":7}"; EC=$EVENT_ID
sql_users 200 "queue-$RUN"
start_batch joins
for c in $(seq 0 199); do
  add_line "$c" "POST /events/$EC/queue ${TOKENS[$c]} -" "{\"user_id\":${USER_IDS[$c]}}"
  add_line "$c" "POST /events/$EC/queue ${TOKENS[$c]} -" "{\"user_id\":${USER_IDS[$c]},\"again\":true}"
done
run_batch
check "every first join 201" "$(jq '[.[] | select(.again | not) | .status] | unique' "$BATCH.all" | jq -c .)" "[201]"
check "every repeat 200 with the same position" \
  "$(jq '[group_by(.client)[] | select(.[0].body.position != .[1].body.position or .[1].status != 200)] | length' "$BATCH.all")" 0
check "positions 1..200, gapless, one per user" \
  "$(jq -c '[.[] | select(.again | not) | .body.position] | sort == [range(1; 201)]' "$BATCH.all")" true
check "the database agrees" \
  "$(psql_q "SELECT count(*) = 200 AND count(DISTINCT user_id) = 200 AND min(position) = 1 AND max(position) = 200 FROM queue_tickets WHERE event_id = $EC")" t
# Each position by the formula: max(opens_at, its join, the previous + 60/7 s).
check "admission times exactly by the formula" "$(psql_q "
  WITH RECURSIVE t AS (SELECT position, joined_at, admitted_at FROM queue_tickets WHERE event_id = $EC),
  f AS (SELECT position, greatest(timestamptz '$OPENS', joined_at) AS want, admitted_at FROM t WHERE position = 1
        UNION ALL
        SELECT t.position, greatest(timestamptz '$OPENS', t.joined_at, f.want + make_interval(secs => 60.0 / 7)),
               t.admitted_at
          FROM f JOIN t ON t.position = f.position + 1)
  SELECT count(*) FILTER (WHERE want <> admitted_at) || '/' || count(*) FROM f")" "0/200"
check "the answers name the recorded times" "$(jq -r '[.[] | select(.again | not) | [.body.position, .body.admitted_at]] | sort | map(@tsv) | .[]' "$BATCH.all" | head -3 | while IFS=$'\t' read -r p a; do
    psql_q "SELECT (extract(epoch FROM admitted_at) * 1000000)::bigint = $(micros "$a") FROM queue_tickets WHERE event_id = $EC AND position = $p"; done | sort -u)" t

finish
