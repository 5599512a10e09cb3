#!/usr/bin/env bash
# The public event reads: GET /events (search, venue, time bounds, paging),
# GET /events/{id} and GET /events/{id}/seats (order, filters, ETag / 304).
source "$(dirname "$0")/lib.sh"

admin_login
ADMIN_TOKEN=$TOKEN
TOKEN=""
EVENT_KEYS='["admission","available_seats","booked_seats","capacity","created_at","description","held_seats","hold_seconds","id","max_price_cents","min_price_cents","name","sections","starts_at","updated_at","venue"]'

# ids Q: the ids of GET /events?Q (one page of up to 100), space-separated.
ids() { req GET "/events?$1&limit=100"; jq -r '[.events[].id] | join(" ")' <<<"$BODY"; }
urlencode() { jq -rn --arg s "$1" '$s | @uri'; }

# --- search: q on name or venue, venue on venue only, % and _ literal ----------------

STAG=$(new_tag)
create_event "$STAG Hamlet" "Globe Theatre" 2034-01-01T19:00:00Z; A=$EVENT_ID
create_event "$STAG Macbeth" "Rose Playhouse" 2034-01-02T19:00:00Z; B=$EVENT_ID
create_event "$STAG 100% Fun" "Globe Theatre" 2034-01-03T19:00:00Z; C=$EVENT_ID
create_event "$STAG 100X Fun" "Globe Theatre" 2034-01-04T19:00:00Z; D=$EVENT_ID
create_event "$STAG a_b" "Rose Playhouse" 2034-01-05T19:00:00Z; E=$EVENT_ID
create_event "$STAG aXb" "Rose Playhouse" 2034-01-06T19:00:00Z; F=$EVENT_ID
create_event "Untagged Show" "$STAG Arena" 2034-01-07T19:00:00Z; G=$EVENT_ID
create_event "$STAG back\\slash" "Rose Playhouse" 2034-01-08T19:00:00Z; H=$EVENT_ID

check "q matches name or venue" "$(ids "q=$STAG")" "$A $B $C $D $E $F $G $H"
req GET "/events?q=$STAG"
expect_status 200
expect_header Content-Type application/json
expect_json 'keys' '["events","next_cursor"]'
expect_json .next_cursor null "one page: next_cursor is null"
check "q is case-insensitive" "$(ids "q=${STAG^^}")" "$A $B $C $D $E $F $G $H"
check "q is a substring match" "$(ids "q=$(urlencode "${STAG:3} HAML")")" "$A"
check "q takes % literally" "$(ids "q=$(urlencode "$STAG 100%")")" "$C"
check "q without % matches both" "$(ids "q=$(urlencode "$STAG 100")")" "$C $D"
check "q takes _ literally" "$(ids "q=$(urlencode "$STAG a_b")")" "$E"
check "q takes \\ literally" "$(ids "q=$(urlencode "$STAG back\\slash")")" "$H"
check "q of only % matches only names or venues with %" \
  "$(req GET "/events?q=%25&limit=100"; jq '[.events[] | (.name + .venue) | contains("%")] | all' <<<"$BODY")" true
check "q of only _ matches only names or venues with _" \
  "$(req GET "/events?q=_&limit=100"; jq '[.events[] | (.name + .venue) | contains("_")] | all' <<<"$BODY")" true
check "venue matches the venue only" "$(ids "venue=$STAG")" "$G"
check "venue is case-insensitive" "$(ids "venue=$(urlencode "${STAG^^} arena")")" "$G"
check "q and venue together" "$(ids "q=$STAG&venue=gLoBe")" "$A $C $D"
check "venue does not look at names" "$(ids "venue=$(urlencode "$STAG Hamlet")")" ""
req GET "/events?q=${STAG}zzz"
expect_status 200 "an empty result is 200"
expect_json . '{"events":[],"next_cursor":null}' "no match: an empty list"

# --- time bounds: inclusive, dates cover the whole UTC day -----------------------------

DTAG=$(new_tag)
create_event "$DTAG d3" "Hall" 2031-05-10T23:59:59.999999Z; D3=$EVENT_ID
create_event "$DTAG d0" "Hall" 2031-05-09T23:59:59.999999Z; D0=$EVENT_ID
create_event "$DTAG d4" "Hall" 2031-05-11T00:00:00Z; D4=$EVENT_ID
create_event "$DTAG d2" "Hall" 2031-05-10T12:00:00+02:00; D2=$EVENT_ID
expect_json .starts_at '"2031-05-10T10:00:00Z"' "starts_at is given back in UTC"
create_event "$DTAG d1" "Hall" 2031-05-10T00:00:00Z; D1=$EVENT_ID

check "all, by starts_at" "$(ids "q=$DTAG")" "$D0 $D1 $D2 $D3 $D4"
check "date from/to: that whole day" "$(ids "q=$DTAG&from=2031-05-10&to=2031-05-10")" "$D1 $D2 $D3"
check "date from: from the day's start" "$(ids "q=$DTAG&from=2031-05-10")" "$D1 $D2 $D3 $D4"
check "date to: to the day's end" "$(ids "q=$DTAG&to=2031-05-10")" "$D0 $D1 $D2 $D3"
check "from is inclusive" "$(ids "q=$DTAG&from=2031-05-10T00:00:00Z")" "$D1 $D2 $D3 $D4"
check "from one microsecond later" "$(ids "q=$DTAG&from=2031-05-10T00:00:00.000001Z")" "$D2 $D3 $D4"
check "to is inclusive" "$(ids "q=$DTAG&to=2031-05-11T00:00:00Z")" "$D0 $D1 $D2 $D3 $D4"
check "to one microsecond earlier" "$(ids "q=$DTAG&to=2031-05-10T23:59:59.999998Z")" "$D0 $D1 $D2"
check "from with an offset" "$(ids "q=$DTAG&from=$(urlencode 2031-05-10T12:00:00+02:00)")" "$D2 $D3 $D4"
check "to with a negative offset" "$(ids "q=$DTAG&to=$(urlencode 2031-05-09T19:59:59.999999-04:00)")" "$D0"
check "from after to: nothing" "$(ids "q=$DTAG&from=2031-05-11&to=2031-05-10")" ""
for bad in "from=2031-05-10T00:00:00" "from=2031-02-30" "from=tomorrow" "from=2031-5-10" \
           "to=2031-05-10T25:00:00Z" "to=10/05/2031" "to=2031-05-10T00:00:00%2B0200"; do
  req GET "/events?q=$DTAG&$bad"
  expect_invalid "${bad%%=*}"
done

# --- paging: limit bounds, cursors, each event exactly once, order starts_at then id ---

PTAG=$(new_tag)
declare -a EXPECTED=()
for i in $(seq 0 22); do
  # Seven distinct start times, so that many events tie on starts_at.
  create_event "$PTAG show $i" "Paging Hall" "2036-03-0$(( (i * 3) % 7 + 1 ))T20:00:00Z"
  EXPECTED+=("$(json .starts_at) $EVENT_ID")
done
ORDER=$(printf '%s\n' "${EXPECTED[@]}" | sort -k1,1 -k2,2n | awk '{print $2}' | paste -sd' ')
check "order: starts_at, then id" "$(ids "q=$PTAG")" "$ORDER"
req GET "/events?q=$PTAG&limit=100"
ALL=$(jq -c .events <<<"$BODY")
check "23 events" "$(jq length <<<"$ALL")" 23

req GET "/events?q=$PTAG"
expect_status 200 "default limit"
expect_json '.events | length' 20 "the default limit is 20"
expect_true "next_cursor is a string when more follows" '.next_cursor | type == "string" and length > 0'

# walk LIMIT: pages through q=PTAG; prints the ids in page order, one line.
walk() {
  local cursor="" out="" pages=0
  while :; do
    req GET "/events?q=$PTAG&limit=$1${cursor:+&cursor=$cursor}"
    [ "$STATUS" = 200 ] || { fail "paging with limit $1"; break; }
    pages=$((pages + 1))
    local n; n=$(json '.events | length')
    [ "$n" -le "$1" ] || fail "page larger than limit $1"
    cursor=$(jq -r '.next_cursor // empty' <<<"$BODY")
    [ -n "$cursor" ] && [ "$n" -eq 0 ] && fail "empty page with a next_cursor"
    out+=" $(jq -r '[.events[].id] | join(" ")' <<<"$BODY")"
    [ -z "$cursor" ] && break
    [ "$pages" -gt 30 ] && { fail "paging does not end"; break; }
  done
  echo $out
}
for limit in 1 5 7 22 23 100; do
  check "limit $limit: every event exactly once, in order" "$(walk $limit)" "$ORDER"
done
req GET "/events?q=$PTAG&limit=23"
expect_json .next_cursor null "next_cursor is null when the page ends the list exactly"
req GET "/events?q=$PTAG&limit=22"
CURSOR=$(jq -r .next_cursor <<<"$BODY")
req GET "/events?q=$PTAG&limit=22&cursor=$CURSOR"
expect_json '.events | length' 1 "the last page"
expect_json .next_cursor null
expect_json '.events[0]' "$(jq -c '.[22]' <<<"$ALL")" "the listed event is the full Event"

for bad in 0 101 -1 abc 1.5 "" "%2B5" 99999999999999999999; do
  req GET "/events?q=$PTAG&limit=$bad"
  expect_invalid limit
done
req GET "/events?q=$PTAG&limit=100"
expect_status 200 "limit 100"

# A cursor that was altered, cut, extended or made up is refused.
req GET "/events?q=$PTAG&limit=5"
CURSOR=$(jq -r .next_cursor <<<"$BODY")
flip() { local c=${1:$2:1} r=A; [ "$c" = A ] && r=B; echo "${1:0:$2}$r${1:$(($2 + 1))}"; }
for bad in "$(flip "$CURSOR" 0)" "$(flip "$CURSOR" 5)" "$(flip "$CURSOR" $(( ${#CURSOR} / 2 )))" \
           "${CURSOR:0:$(( ${#CURSOR} - 2 ))}" "${CURSOR}AAAA" "garbage" "" "$(echo -n '{"id":1}' | base64)"; do
  req GET "/events?q=$PTAG&limit=5&cursor=$(urlencode "$bad")"
  expect_invalid cursor
done
req GET "/events?q=$PTAG&limit=5&cursor=$CURSOR"
expect_status 200 "the untouched cursor still works"

# Events created while a client pages: nothing seen twice, a later one still comes.
req GET "/events?q=$PTAG&limit=10"
SEEN=$(jq -r '[.events[].id] | join(" ")' <<<"$BODY")
CURSOR=$(jq -r .next_cursor <<<"$BODY")
create_event "$PTAG early" "Paging Hall" 2036-01-01T00:00:00Z; EARLY=$EVENT_ID
create_event "$PTAG late" "Paging Hall" 2036-12-31T00:00:00Z; LATE=$EVENT_ID
while [ -n "$CURSOR" ]; do
  req GET "/events?q=$PTAG&limit=10&cursor=$CURSOR"
  SEEN+=" $(jq -r '[.events[].id] | join(" ")' <<<"$BODY")"
  CURSOR=$(jq -r '.next_cursor // empty' <<<"$BODY")
done
check "paging during inserts: each event once" "$(echo $SEEN)" "$ORDER $LATE"

# --- GET /events/{id} -----------------------------------------------------------------

TWO='[{"name":"Stalls","rows":2,"seats_per_row":5,"price_cents":9000},{"name":"Balcony","rows":1,"seats_per_row":4,"price_cents":2500}]'
create_event "$STAG Two Sections" "Globe Theatre" 2034-06-01T19:30:00+01:00 "$TWO"
ID=$EVENT_ID
CREATED=$BODY
req GET "/events/$ID"
expect_status 200 "GET /events/{id}"
expect_header Content-Type application/json
expect_json 'keys' "$EVENT_KEYS" "Event has exactly the contract's fields"
expect_json . "$(jq -c . <<<"$CREATED")" "the event as created"
expect_json .id "$ID"
expect_json .starts_at '"2034-06-01T18:30:00Z"'
expect_json .capacity 14
expect_json .available_seats 14
expect_json .booked_seats 0
expect_json .min_price_cents 2500
expect_json .max_price_cents 9000
expect_json .description '""'
expect_json .sections "$TWO"
req GET "/events?q=$(urlencode "$STAG Two Sections")"
expect_json .events "[$(jq -c . <<<"$CREATED")]" "the list shows the same Event"

for bad in 0 -1 abc 1.5 1e3 "%20" "%2B$ID" 0x10 9007199254740992 99999999999999999999 \
           18446744073709551617 9007199254740991; do
  req GET "/events/$bad"
  expect_problem 404 event_not_found
  req GET "/events/$bad/seats"
  expect_problem 404 event_not_found
done

# --- GET /events/{id}/seats ----------------------------------------------------------

SECTIONS='[{"name":"Zeta","rows":2,"seats_per_row":3,"price_cents":5000},{"name":"Alpha","rows":3,"seats_per_row":2,"price_cents":2500},{"name":"Mid","rows":1,"seats_per_row":4,"price_cents":0}]'
create_event "$STAG Seat Map" "Seat Hall" 2035-02-01T19:00:00Z "$SECTIONS"
SE=$EVENT_ID
req GET "/events/$SE/seats"
expect_status 200 "seat map"
expect_header Content-Type application/json
expect_json 'keys_unsorted' '["event_id","sections","seats"]'
expect_json .event_id "$SE"
expect_json .sections "$SECTIONS" "sections as in the Event, in creation order"
expect_json '.seats | length' 16
expect_json '[.seats[] | keys] | unique' '[["id","number","price_cents","row","section","status"]]' \
  "Seat has exactly the contract's fields"
expect_true "ordered by section (creation order), row, number" \
  '[.sections[] as $s | range(1; $s.rows + 1) as $r | range(1; $s.seats_per_row + 1) as $n | [$s.name, $r, $n, $s.price_cents]]
   == [.seats[] | [.section, .row, .number, .price_cents]]'
expect_true "seat ids are distinct positive integers" '[.seats[].id] | (unique | length) == 16 and all(. >= 1)'
expect_true "every seat available" '[.seats[].status] | unique == ["available"]'
ALL_SEATS=$(jq -c .seats <<<"$BODY")
check "the database holds exactly these seats" \
  "$(psql_q "SELECT string_agg(id::text, ',' ORDER BY id) FROM seats WHERE event_id = $SE")" \
  "$(jq -r '[.[].id] | sort | join(",")' <<<"$ALL_SEATS")"

req GET "/events/$SE/seats?section=Alpha"
expect_status 200
expect_json .seats "$(jq -c '[.[] | select(.section == "Alpha")]' <<<"$ALL_SEATS")" "section filter"
req GET "/events/$SE/seats?section=Nope"
expect_status 200 "unknown section"
expect_json .seats '[]' "an unknown section gives an empty list"
req GET "/events/$SE/seats?status=available"
expect_json .seats "$ALL_SEATS" "status=available"
req GET "/events/$SE/seats?status=booked"
expect_json .seats '[]' "status=booked before any booking"
for bad in bogus Booked "" "available,booked"; do
  req GET "/events/$SE/seats?status=$bad"
  expect_invalid status
done
req GET "/events/9007199254740991/seats?status=bogus"
expect_invalid status

# ETag: stable, 304 on a match (no body), distinct per filter and per event.
etag_of() { req GET "/events/$1/seats$2"; header ETag; }
TAG_ALL=$(etag_of "$SE" "")
check "ETag is a quoted entity tag" "$(grep -Ec '^(W/)?"[^"]+"$' <<<"$TAG_ALL")" 1
for _ in 1 2 3 4 5 6; do check "the same ETag on every worker" "$(etag_of "$SE" "")" "$TAG_ALL"; done
TAG_ALPHA=$(etag_of "$SE" "?section=Alpha")
TAG_AVAIL=$(etag_of "$SE" "?status=available")
TAG_BOTH=$(etag_of "$SE" "?section=Alpha&status=available")
TAG_NOPE=$(etag_of "$SE" "?section=Nope")
check "tags differ between filters" \
  "$(printf '%s\n' "$TAG_ALL" "$TAG_ALPHA" "$TAG_AVAIL" "$TAG_BOTH" "$TAG_NOPE" | sort -u | grep -c .)" 5
check "another event's tag is stable too" "$(etag_of "$ID" "")" "$(etag_of "$ID" "")"
[ "$(etag_of "$ID" "")" != "$TAG_ALL" ] && ok || fail "two events share a seat-map ETag"

req GET "/events/$SE/seats" "" -H "If-None-Match: $TAG_ALL"
expect_status 304 "If-None-Match with the current tag"
check "304 has no body" "$BODY" ""
expect_header ETag "$TAG_ALL"
req GET "/events/$SE/seats?section=Alpha" "" -H "If-None-Match: $TAG_ALPHA"
expect_status 304 "304 for a filtered map"
req GET "/events/$SE/seats" "" -H "If-None-Match: \"other\", $TAG_ALL"
expect_status 304 "a tag in a list matches"
req GET "/events/$SE/seats" "" -H "If-None-Match: $TAG_ALPHA"
expect_status 200 "another filter's tag does not match"
expect_json .seats "$ALL_SEATS"
req GET "/events/$SE/seats" "" -H 'If-None-Match: "nope"'
expect_status 200 "an unknown tag"
expect_header ETag "$TAG_ALL"

# After a booking, the status filter and the tag follow at once.
new_user
TWO_SEATS=$(jq -c '[.[] | select(.section == "Alpha")][0:2] | map(.id)' <<<"$ALL_SEATS")
req POST /bookings "{\"event_id\":$SE,\"seat_ids\":$TWO_SEATS}"
expect_status 201 "a booking to change the seat map"
TOKEN=""
req GET "/events/$SE/seats" "" -H "If-None-Match: $TAG_ALL"
expect_status 200 "the old tag no longer matches after a booking"
[ "$(header ETag)" != "$TAG_ALL" ] && ok || fail "the ETag did not change after a booking"
req GET "/events/$SE/seats?section=Alpha" "" -H "If-None-Match: $TAG_ALPHA"
expect_status 200 "a filtered tag changes too"
req GET "/events/$SE/seats?status=booked"
expect_json '[.seats[].id]' "$TWO_SEATS" "status=booked lists the booked seats"
expect_true "booked seats say so" '[.seats[].status] | unique == ["booked"]'
req GET "/events/$SE/seats?status=available"
expect_json '.seats | length' 14
expect_true "no booked seat among the available" "[.seats[].id] - $TWO_SEATS | length == 14"
req GET "/events/$SE/seats?section=Alpha&status=booked"
expect_json '[.seats[].id]' "$TWO_SEATS" "section and status together"
req GET "/events/$SE"
expect_json '[.capacity, .available_seats, .booked_seats]' '[16,14,2]' "capacity = available + booked"

finish
