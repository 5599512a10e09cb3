#!/usr/bin/env bash
# Event management: POST/PATCH/DELETE /admin/events — who may, every
# validation bound of the contract, the check order, and what the event and
# its seats look like afterwards (down to an event of 100,000 seats).
source "$(dirname "$0")/lib.sh"

sign_in_both
TAG=$(new_tag)
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3,6}Z$'
EVENT_KEYS='["admission","available_seats","booked_seats","capacity","created_at","description","held_seats","hold_seconds","id","max_price_cents","min_price_cents","name","sections","starts_at","updated_at","venue"]'
SECTION='{"name":"Stalls","rows":2,"seats_per_row":3,"price_cents":1500}'

# body FIELD=JSON...: a valid creation body with the given fields replaced
# (JSON null as the value drops the field).
body() {
  local doc
  doc=$(jq -nc --arg n "$TAG event" --argjson sec "[$SECTION]" \
    '{name: $n, venue: "Test Hall", description: "About it", starts_at: "2033-04-01T19:00:00Z", sections: $sec}')
  local kv
  for kv in "$@"; do
    doc=$(jq -c --arg k "${kv%%=*}" --argjson v "${kv#*=}" 'if $v == null then del(.[$k]) else .[$k] = $v end' <<<"$doc")
  done
  echo "$doc"
}
events_of_tag() { psql_q "SELECT count(*) FROM events WHERE name LIKE '$TAG%'"; }
expect_unauthorized() {
  expect_problem 401 unauthorized
  check "WWW-Authenticate" "$(header WWW-Authenticate)" Bearer
}

# --- who may: 401 without a token, 403 for a user; before any validation -------------

TOKEN=$ADMIN_TOKEN
req POST /admin/events "$(body)"
expect_status 201 "an admin creates an event"
VICTIM=$(json .id)

for t in "" "Bearer nope"; do
  TOKEN=""
  auth=(); [ -n "$t" ] && auth=(-H "Authorization: $t")
  req POST /admin/events "$(body)" "${auth[@]}"
  expect_unauthorized "POST /admin/events"
  req POST /admin/events '{"name":""}' "${auth[@]}"
  expect_unauthorized "401 comes before validation"
  req PATCH "/admin/events/$VICTIM" '{"name":"Hijacked"}' "${auth[@]}"
  expect_unauthorized "PATCH /admin/events/{id}"
  req PATCH /admin/events/abc '{"name":""}' "${auth[@]}"
  expect_unauthorized "401 comes before validation and existence"
  req DELETE "/admin/events/$VICTIM" "" "${auth[@]}"
  expect_unauthorized "DELETE /admin/events/{id}"
  req DELETE /admin/events/0 "" "${auth[@]}"
  expect_unauthorized "401 comes before existence"
done
TOKEN=$USER_TOKEN
req POST /admin/events "$(body)"
expect_problem 403 forbidden
req POST /admin/events '{"name":""}'
expect_problem 403 forbidden
req POST /admin/events '{'
expect_problem 403 forbidden
req PATCH "/admin/events/$VICTIM" '{"name":"Hijacked"}'
expect_problem 403 forbidden
req PATCH /admin/events/999999999 '{"sections":[]}'
expect_problem 403 forbidden
req DELETE "/admin/events/$VICTIM"
expect_problem 403 forbidden
req DELETE /admin/events/abc
expect_problem 403 forbidden
check "no event was created by the refused requests" "$(events_of_tag)" 1
TOKEN=""
req GET "/events/$VICTIM"
expect_json .name "\"$TAG event\"" "the refused PATCH changed nothing"

# --- create: the Event, Location, seats ----------------------------------------------------

TOKEN=$ADMIN_TOKEN
SECTIONS='[{"name":"Stalls","rows":20,"seats_per_row":25,"price_cents":9000},{"name":"Circle","rows":4,"seats_per_row":10,"price_cents":2500},{"name":"Box","rows":1,"seats_per_row":2,"price_cents":0}]'
req POST /admin/events "$(body "starts_at=\"2033-04-01T21:30:00+02:00\"" "sections=$SECTIONS" \
                              'description="A \"quoted\" <b>description</b> ✓"')"
expect_status 201 "create"
expect_header Content-Type application/json
ID=$(json .id)
expect_header Location "/events/$ID"
expect_json 'keys' "$EVENT_KEYS" "Event has exactly the contract's fields"
expect_true "id is a positive integer" '.id | type == "number" and . >= 1'
expect_json .name "\"$TAG event\""
expect_json .venue '"Test Hall"'
expect_json .description '"A \"quoted\" <b>description</b> ✓"'
expect_json .starts_at '"2033-04-01T19:30:00Z"' "starts_at normalised to UTC Z"
expect_json .capacity 542
expect_json .available_seats 542 "every seat is available after creation"
expect_json .booked_seats 0
expect_json '.capacity == .available_seats + .held_seats + .booked_seats' true "capacity = available + held + booked"
expect_json .min_price_cents 0
expect_json .max_price_cents 9000
expect_json .sections "$SECTIONS" "sections as given, in order"
for f in created_at updated_at; do
  check "$f has fractional seconds and ends in Z" "$(jq -r ".$f" <<<"$BODY" | grep -Ec "$TIME_RE")" 1
done
CREATED=$BODY
TOKEN=""
req GET "/events/$ID"
expect_json . "$(jq -c . <<<"$CREATED")" "GET /events/{id} shows the event as created"
req GET "/events/$ID/seats"
expect_json '.seats | length' 542 "every seat exists"
expect_true "every seat is available" '[.seats[].status] | unique == ["available"]'
expect_true "every seat of every section, with its price" \
  '[.sections[] as $s | range(1; $s.rows + 1) as $r | range(1; $s.seats_per_row + 1) as $n | [$s.name, $r, $n, $s.price_cents]]
   == [.seats[] | [.section, .row, .number, .price_cents]]'
check "the database holds every seat, none booked" \
  "$(psql_q "SELECT count(*), count(booking_id) FROM seats WHERE event_id = $ID")" "542|0"

# Unknown fields are ignored; description is optional (""); events may start in the past.
TOKEN=$ADMIN_TOKEN
req POST /admin/events "$(body description=null 'id=12345' 'capacity=7' 'extra={"a":[1]}' 'starts_at="2001-01-01T00:00:00-05:00"')"
expect_status 201 "unknown fields ignored, past start allowed"
expect_json .description '""' "description defaults to empty"
expect_json .capacity 6 "capacity comes from the sections, not the body"
expect_json .starts_at '"2001-01-01T05:00:00Z"'
[ "$(json .id)" != 12345 ] && ok || fail "the body chose the event id"
req POST /admin/events "$(body 'starts_at="2033-04-01T19:00:00.250-00:30"')"
expect_status 201 "fractional seconds and a half-hour offset"
expect_true "starts_at keeps its fraction, in UTC" '.starts_at | test("^2033-04-01T19:30:00\\.250*Z$")'

# --- create: every validation bound ---------------------------------------------------------

N=$(events_of_tag)
# invalid FIELD BODY: 400 validation_failed naming FIELD.
invalid() { req POST /admin/events "$2"; expect_invalid "$1"; }

invalid name "$(body name=null)"
invalid name "$(body 'name=""')"
invalid name "$(body "name=\"$(repeat n 201)\"")"
invalid name "$(body "name=\"$(repeat é 201)\"")"
invalid name "$(body name=42)"
invalid venue "$(body venue=null)"
invalid venue "$(body 'venue=""')"
invalid venue "$(body "venue=\"$(repeat v 201)\"")"
invalid venue "$(body 'venue=["Hall"]')"
invalid description "$(body "description=\"$(repeat d 5001)\"")"
invalid description "$(body 'description=5')"
invalid starts_at "$(body starts_at=null)"
for t in '""' '"2033-04-01T19:00:00"' '"2033-04-01"' '"tomorrow"' '"2033-02-29T19:00:00Z"' \
         '"2033-04-01T24:00:00Z"' '"2033-04-01 19:00:00"' '"2033-04-01T19:00:00+0200"' '1900000000'; do
  invalid starts_at "$(body "starts_at=$t")"
done
invalid sections "$(body sections=null)"
invalid sections "$(body 'sections=[]')"
invalid sections "$(body "sections=$SECTION")"
invalid sections "$(body "sections=$(jq -nc '[range(51) | {name: "S\(.)", rows: 1, seats_per_row: 1, price_cents: 0}]')")"
invalid 'sections[0]' "$(body 'sections=["Stalls"]')"
invalid 'sections[1].name' "$(body 'sections=[{"name":"A","rows":1,"seats_per_row":1,"price_cents":0},{"name":"A","rows":1,"seats_per_row":1,"price_cents":0}]')"
invalid 'sections[0].name' "$(body 'sections=[{"name":"","rows":1,"seats_per_row":1,"price_cents":0}]')"
invalid 'sections[0].name' "$(body 'sections=[{"rows":1,"seats_per_row":1,"price_cents":0}]')"
for f in rows seats_per_row; do
  for v in 0 501 -1 1.5 '"3"' null; do
    # The second section is the bad one: the field names its index.
    s=$(jq -c --arg f "$f" --argjson v "$v" '.name = "Other" | .[$f] = $v | if $v == null then del(.[$f]) else . end' <<<"$SECTION")
    invalid "sections[1].$f" "$(body "sections=[$SECTION,$s]")"
  done
done
for v in -1 100000001 2.5 '"100"' null; do
  s=$(jq -c --argjson v "$v" '.price_cents = $v | if $v == null then del(.price_cents) else . end' <<<"$SECTION")
  invalid 'sections[0].price_cents' "$(body "sections=[$s]")"
done
invalid sections "$(body 'sections=[{"name":"A","rows":500,"seats_per_row":200,"price_cents":0},{"name":"B","rows":1,"seats_per_row":1,"price_cents":0}]')"
invalid sections "$(body 'sections=[{"name":"A","rows":500,"seats_per_row":500,"price_cents":0}]')"
req POST /admin/events "$(body name=null 'venue=""' 'sections=[]')"
expect_problem 400 validation_failed
expect_json '[.errors[].field] | sort' '["name","sections","venue"]' "every offending field is listed"
check "no event was created by an invalid request" "$(events_of_tag)" "$N"

# Not JSON, not an object, wrong media type.
req POST /admin/events '{"name":'
expect_problem 400 invalid_json
req POST /admin/events "$(body) trailing"
expect_problem 400 invalid_json
for doc in '[]' '"event"' '42' 'null' 'true'; do
  req POST /admin/events "$doc"
  expect_problem 400 validation_failed
done
echo "$(body)" >"$TMP/valid.json"
send POST /admin/events text/plain "$TMP/valid.json"
expect_problem 415 unsupported_media_type
check "nothing created by malformed requests" "$(events_of_tag)" "$N"

# The bounds themselves are accepted.
MAX_SECTIONS=$(jq -nc '[range(50) | {name: "S\(.)", rows: 1, seats_per_row: 1, price_cents: .}]')
req POST /admin/events "$(body "name=\"$TAG$(repeat n $((200 - ${#TAG})))\"" "venue=\"$(repeat v 200)\"" \
                              "description=\"$(repeat d 5000)\"" "sections=$MAX_SECTIONS")"
expect_status 201 "name and venue of 200, description of 5000, 50 sections"
expect_json '.sections | length' 50
expect_json .capacity 50
req POST /admin/events "$(body "name=\"$TAG$(repeat é $((200 - ${#TAG})))\"" "venue=\"$(repeat ü 200)\"" \
                              "description=\"$(repeat ß 5000)\"")"
expect_status 201 "lengths count characters, not bytes"
req POST /admin/events "$(body 'name="   "' 'venue=" "')"
expect_status 201 "white space is a character"
req POST /admin/events "$(body 'sections=[{"name":"Free","rows":1,"seats_per_row":1,"price_cents":0},{"name":"Dear","rows":1,"seats_per_row":1,"price_cents":100000000}]')"
expect_status 201 "price_cents 0 and 100000000"
expect_json '[.min_price_cents, .max_price_cents]' '[0,100000000]'
req POST /admin/events "$(body 'sections=[{"name":"Long","rows":1,"seats_per_row":500,"price_cents":1},{"name":"Deep","rows":500,"seats_per_row":1,"price_cents":1}]')"
expect_status 201 "rows and seats_per_row of 500"
expect_json .capacity 1000
req POST /admin/events "$(body 'sections=[{"name":"stalls","rows":1,"seats_per_row":1,"price_cents":1},{"name":"Stalls","rows":1,"seats_per_row":1,"price_cents":1}]')"
expect_status 201 "section names differing in case are distinct"

# 100,000 seats: the largest event there may be.
req POST /admin/events "$(body 'sections=[{"name":"Arena","rows":500,"seats_per_row":100,"price_cents":5000},{"name":"Ring","rows":100,"seats_per_row":500,"price_cents":7000}]')" \
  --max-time 120
expect_status 201 "an event of 100,000 seats"
BIG=$(json .id)
expect_json '[.capacity, .available_seats, .booked_seats]' '[100000,100000,0]'
check "all 100,000 seats exist" "$(psql_q "SELECT count(*), count(DISTINCT (section_id, row, number)), count(booking_id) FROM seats WHERE event_id = $BIG")" "100000|100000|0"
TOKEN=""
req GET "/events/$BIG/seats" "" --max-time 120 --compressed
expect_status 200 "the seat map of 100,000 seats"
expect_json '[(.seats | length), ([.seats[].status] | unique)]' '[100000,["available"]]'
expect_json '.seats[-1] | [.section, .row, .number]' '["Ring",100,500]' "the last seat is the last of the last section"

# --- PATCH --------------------------------------------------------------------------------

TOKEN=$ADMIN_TOKEN
req GET "/events/$ID"
BEFORE=$BODY
req PATCH "/admin/events/$ID" '{}'
expect_status 200 "PATCH {}"
expect_header Content-Type application/json
expect_json . "$(jq -c . <<<"$BEFORE")" "PATCH {} changes nothing, not even updated_at"

# patch FIELD JSON EXPECTED: one field changed, everything else kept.
patch() {
  local prev=$BEFORE
  req PATCH "/admin/events/$ID" "{\"$1\":$2}"
  expect_status 200 "PATCH $1"
  expect_json ".$1" "$3" "PATCH $1 sets it"
  expect_json "del(.$1, .updated_at)" "$(jq -c "del(.$1, .updated_at)" <<<"$prev")" "PATCH $1 keeps the rest"
  expect_true "PATCH $1 moves updated_at forward" \
    "(.updated_at | sub(\"Z\$\"; \"\")) > (\"$(jq -r .updated_at <<<"$prev")\" | sub(\"Z\$\"; \"\"))"
  check "updated_at has fractional seconds" "$(jq -r .updated_at <<<"$BODY" | grep -Ec "$TIME_RE")" 1
  BEFORE=$BODY
  TOKEN=""
  req GET "/events/$ID"
  check "GET shows the PATCH of $1" "$BODY" "$BEFORE"
  TOKEN=$ADMIN_TOKEN
}
patch name "\"$TAG renamed\"" "\"$TAG renamed\""
patch venue '"New Hall"' '"New Hall"'
patch description '"Now with text"' '"Now with text"'
patch description '""' '""'
patch starts_at '"2034-07-04T12:00:00-07:00"' '"2034-07-04T19:00:00Z"'
LONGEST="$TAG $(repeat n $((199 - ${#TAG})))"
patch name "\"$LONGEST\"" "\"$LONGEST\""
req PATCH "/admin/events/$ID" "{\"name\":\"$TAG both\",\"venue\":\"Both Hall\",\"ignored\":1}"
expect_status 200 "PATCH of two fields at once"
expect_json '[.name, .venue]' "[\"$TAG both\",\"Both Hall\"]"
expect_json '[.created_at, .capacity, .sections]' "$(jq -c '[.created_at, .capacity, .sections]' <<<"$CREATED")" \
  "created_at, capacity and sections never change"
BEFORE=$BODY

# The layout cannot change; invalid fields are refused and nothing changes.
for doc in '{"sections":[]}' "{\"sections\":$SECTIONS}" '{"name":"Changed","sections":null}'; do
  req PATCH "/admin/events/$ID" "$doc"
  expect_invalid sections
done
for doc in '{"name":""}' "{\"name\":\"$(repeat n 201)\"}" '{"name":null}' '{"name":7}'; do
  req PATCH "/admin/events/$ID" "$doc"; expect_invalid name
done
for doc in '{"venue":""}' "{\"venue\":\"$(repeat v 201)\"}" '{"venue":false}'; do
  req PATCH "/admin/events/$ID" "$doc"; expect_invalid venue
done
req PATCH "/admin/events/$ID" "{\"description\":\"$(repeat d 5001)\"}"
expect_invalid description
for t in '"2034-07-04T12:00:00"' '"2034-07-04"' '"soon"' 'null' '17'; do
  req PATCH "/admin/events/$ID" "{\"starts_at\":$t}"; expect_invalid starts_at
done
req PATCH "/admin/events/$ID" '{"name":'
expect_problem 400 invalid_json
req PATCH "/admin/events/$ID" '["name"]'
expect_problem 400 validation_failed
echo '{"name":"Plain"}' >"$TMP/patch.json"
send PATCH "/admin/events/$ID" text/plain "$TMP/patch.json"
expect_problem 415 unsupported_media_type
send PATCH "/admin/events/$ID" "application/json; charset=utf-8" "$TMP/patch.json"
expect_status 200 "PATCH with a charset parameter"
expect_json .name '"Plain"'
req PATCH "/admin/events/$ID" "{\"name\":$(jq -c .name <<<"$BEFORE")}"
BEFORE=$BODY
req GET "/events/$ID"
check "refused PATCHes changed nothing" "$BODY" "$BEFORE"
check "no seat changed" "$(psql_q "SELECT count(*) FROM seats WHERE event_id = $ID")" 542

# 404 for events that are not there; validation comes first.
for bad in 0 -3 abc 9007199254740991 9007199254740992 99999999999999999999 1.0; do
  req PATCH "/admin/events/$bad" '{"name":"Nobody"}'
  expect_problem 404 event_not_found
  req PATCH "/admin/events/$bad" '{}'
  expect_problem 404 event_not_found
done
req PATCH /admin/events/9007199254740991 '{"name":""}'
expect_invalid name
req PATCH /admin/events/9007199254740991 '{"sections":[]}'
expect_invalid sections

# --- DELETE -------------------------------------------------------------------------------

req DELETE "/admin/events/$ID"
expect_status 204 "DELETE"
check "DELETE has no body" "$BODY" ""
TOKEN=""
req GET "/events/$ID"
expect_problem 404 event_not_found
req GET "/events/$ID/seats"
expect_problem 404 event_not_found
req GET "/events?q=$(jq -rn --arg s "$TAG both" '$s | @uri')"
expect_json .events '[]' "a deleted event is not listed"
check "its sections and seats are gone" \
  "$(psql_q "SELECT (SELECT count(*) FROM seats WHERE event_id = $ID) + (SELECT count(*) FROM sections WHERE event_id = $ID)")" 0
TOKEN=$ADMIN_TOKEN
req DELETE "/admin/events/$ID"
expect_problem 404 event_not_found
req PATCH "/admin/events/$ID" '{"name":"Ghost"}'
expect_problem 404 event_not_found
for bad in 0 -1 abc 9007199254740992 99999999999999999999; do
  req DELETE "/admin/events/$bad"
  expect_problem 404 event_not_found
done
req DELETE "/admin/events/$BIG" "" --max-time 120
expect_status 204 "DELETE of the 100,000-seat event"
check "its seats are gone" "$(psql_q "SELECT count(*) FROM seats WHERE event_id = $BIG")" 0
req GET "/events/$VICTIM"
expect_status 200 "other events are untouched"

finish
