#!/usr/bin/env bash
# The cached public reads, GET /events/{id} and GET /events: weak ETags and
# 304, and never a stale answer: after every write that changes an event (a
# booking, a hold, a hold's expiry, a cancellation, a PATCH) every worker of
# the pool answers with the new counts at once. And search answers the same
# whichever way it finds its page (walking start order or the trigram index).
source "$(dirname "$0")/lib.sh"

sign_in_both
urlencode() { jq -rn --arg s "$1" '$s | @uri'; }
READS=12  # more than the workers of either pool: nginx spreads them over all

TAG=$(new_tag)
create_event "$TAG Cached" "Cache Hall" 2036-03-01T19:00:00Z \
  '[{"name":"Floor","rows":2,"seats_per_row":5,"price_cents":1000}]'
EVENT=$EVENT_ID
SEATS=($(psql_q "SELECT id FROM seats WHERE event_id = $EVENT ORDER BY id"))

# counts: "available held booked" of GET /events/{id} and of its search page.
counts_of_event() { req GET "/events/$EVENT"; json '"\(.available_seats) \(.held_seats) \(.booked_seats)"' | tr -d '"'; }
counts_in_search() {
  req GET "/events?q=$TAG"
  json ".events[] | select(.id == $EVENT) | \"\(.available_seats) \(.held_seats) \(.booked_seats)\"" | tr -d '"'
}
# every_read_shows WHAT COUNTS: READS reads of each endpoint all show COUNTS.
every_read_shows() {
  local i bad=0
  for i in $(seq "$READS"); do
    [ "$(counts_of_event)" = "$2" ] || bad=$((bad + 1))
    [ "$(counts_in_search)" = "$2" ] || bad=$((bad + 1))
  done
  check "$1: every read of the event and of its search page shows $2" "$bad" 0
}
event_tag() { req GET "/events/$EVENT"; header ETag; }
search_tag() { req GET "/events?q=$TAG"; header ETag; }

# --- ETag / 304 on both endpoints ----------------------------------------------------

for path in "/events/$EVENT" "/events?q=$TAG"; do
  req GET "$path"
  expect_status 200 "$path"
  ETAG=$(header ETag)
  check "$path: a weak ETag" "${ETAG:0:3}" 'W/"'
  expect_header Cache-Control no-cache
  for i in $(seq "$READS"); do
    req GET "$path" "" -H "If-None-Match: $ETAG"
    check "$path: If-None-Match with the current tag is 304 (read $i)" "$STATUS" 304
    check "$path: a 304 has no body" "$BODY" ""
    check "$path: the 304 names the tag" "$(header ETag)" "$ETAG"
  done
  req GET "$path" "" -H 'If-None-Match: W/"stale"'
  expect_status 200 "$path: another tag is a 200"
  req GET "$path" "" -H 'Accept-Encoding: gzip' --compressed
  expect_status 200 "$path: gzip"
  check "$path: the gzipped body is the same JSON" "$(json ".id // .events[0].id")" "$EVENT"
done
every_read_shows "at first" "10 0 0"

# --- every write moves the tags, and no read is stale --------------------------------

E0=$(event_tag); S0=$(search_tag)
TOKEN=$USER_TOKEN
req POST /bookings "{\"event_id\":$EVENT,\"seat_ids\":[${SEATS[0]},${SEATS[1]}]}"
expect_status 201 "booking"
BOOKING=$(json .id)
TOKEN=""
every_read_shows "after a booking" "8 0 2"
E1=$(event_tag); S1=$(search_tag)
check "a booking moves the event's tag" "$([ "$E1" != "$E0" ] && echo moved)" moved
check "a booking moves the search page's tag" "$([ "$S1" != "$S0" ] && echo moved)" moved
req GET "/events/$EVENT" "" -H "If-None-Match: $E0"
expect_status 200 "the old event tag is no longer current"
req GET "/events?q=$TAG" "" -H "If-None-Match: $S0"
expect_status 200 "the old search tag is no longer current"

TOKEN=$USER_TOKEN
req POST /holds "{\"event_id\":$EVENT,\"seat_ids\":[${SEATS[2]},${SEATS[3]},${SEATS[4]}]}"
expect_status 201 "hold"
HOLD=$(json .id)
TOKEN=""
every_read_shows "after a hold" "5 3 2"
E2=$(event_tag); S2=$(search_tag)
check "a hold moves the event's tag" "$([ "$E2" != "$E1" ] && echo moved)" moved
check "a hold moves the search page's tag" "$([ "$S2" != "$S1" ] && echo moved)" moved

TOKEN=$USER_TOKEN
req DELETE "/holds/$HOLD"
expect_status 200 "release"
TOKEN=""
every_read_shows "after a release" "8 0 2"

TOKEN=$USER_TOKEN
req DELETE "/bookings/$BOOKING"
expect_status 200 "cancellation"
TOKEN=""
every_read_shows "after a cancellation" "10 0 0"
E3=$(event_tag); S3=$(search_tag)
check "a cancellation moves the event's tag" "$([ "$E3" != "$E1" ] && [ "$E3" != "$E2" ] && echo moved)" moved
check "a cancellation moves the search page's tag" "$([ "$S3" != "$S1" ] && echo moved)" moved

# A hold lasts the event's hold_seconds; past its expires_at it counts as
# available at once, whether or not a sweep has run.
TOKEN=$ADMIN_TOKEN
req PATCH "/admin/events/$EVENT" '{"hold_seconds":3}'
expect_status 200 "PATCH hold_seconds"
TOKEN=""
E4=$(event_tag); S4=$(search_tag)
check "a PATCH moves the event's tag" "$([ "$E4" != "$E3" ] && echo moved)" moved
check "a PATCH moves the search page's tag" "$([ "$S4" != "$S3" ] && echo moved)" moved
req GET "/events/$EVENT"
expect_json .hold_seconds 3 "the PATCH shows at once"
TOKEN=$USER_TOKEN
req POST /holds "{\"event_id\":$EVENT,\"seat_ids\":[${SEATS[5]}]}"
expect_status 201 "a short hold"
EXPIRES=$(json .expires_at | tr -d '"')
TOKEN=""
E5=$(event_tag); S5=$(search_tag)
before_expiry() { [ "$(psql_q "SELECT now() < '$EXPIRES'::timestamptz")" = t ]; }
# No timing is asserted: a read must show the hold when the database's clock
# was still before expires_at after it answered.
if before_expiry; then TAGS_BEFORE=yes; else TAGS_BEFORE=no; fi
bad=0
for i in $(seq "$READS"); do
  got_event=$(counts_of_event)
  got_search=$(counts_in_search)
  before_expiry || break
  [ "$got_event" = "9 1 0" ] && [ "$got_search" = "9 1 0" ] || bad=$((bad + 1))
done
check "during a short hold: every read shows 9 1 0" "$bad" 0
for _ in $(seq 100); do
  before_expiry || break
  sleep 0.1
done
every_read_shows "once the hold has expired" "10 0 0"
if [ "$TAGS_BEFORE" = yes ]; then
  check "an expiry moves the event's tag" "$([ "$(event_tag)" != "$E5" ] && echo moved)" moved
  check "an expiry moves the search page's tag" "$([ "$(search_tag)" != "$S5" ] && echo moved)" moved
fi

# A PATCH that renames the event: every read shows the new name, the search
# finds it under the new one and no longer under the old.
TOKEN=$ADMIN_TOKEN
req PATCH "/admin/events/$EVENT" "{\"name\":\"$TAG Renamed\"}"
expect_status 200 "rename"
NEWTAG=$(new_tag)
req PATCH "/admin/events/$EVENT" "{\"venue\":\"$NEWTAG Hall\"}"
TOKEN=""
bad=0
for i in $(seq "$READS"); do
  req GET "/events/$EVENT"
  [ "$(json .name)" = "\"$TAG Renamed\"" ] && [ "$(json .venue)" = "\"$NEWTAG Hall\"" ] || bad=$((bad + 1))
  req GET "/events?q=$NEWTAG"
  [ "$(json '[.events[].id]')" = "[$EVENT]" ] || bad=$((bad + 1))
  req GET "/events?venue=$(urlencode "Cache Hall")&q=$TAG"
  [ "$(json '[.events[].id]')" = "[]" ] || bad=$((bad + 1))
done
check "after a PATCH every read shows it and search finds the event by its new venue only" "$bad" 0

# A deleted event leaves every cached page at once; a new one joins it.
create_event "$TAG Second" "Cache Hall" 2036-03-02T19:00:00Z; SECOND=$EVENT_ID
bad=0
for i in $(seq "$READS"); do
  req GET "/events?q=$TAG"
  [ "$(json '[.events[].id]')" = "[$EVENT,$SECOND]" ] || bad=$((bad + 1))
done
check "a new event is in every worker's page at once" "$bad" 0
TOKEN=$ADMIN_TOKEN
req DELETE "/admin/events/$SECOND"
expect_status 204 "delete"
TOKEN=""
bad=0
for i in $(seq "$READS"); do
  req GET "/events?q=$TAG"
  [ "$(json '[.events[].id]')" = "[$EVENT]" ] || bad=$((bad + 1))
  req GET "/events/$SECOND"
  [ "$STATUS" = 404 ] || bad=$((bad + 1))
done
check "a deleted event is gone from every worker's answers at once" "$bad" 0

# --- the change board: unchanged answers with no round trip -------------------------------

# Every write above was made through the API, and every read after it was new
# at once (the writer marks the board before it answers). An unchanged event
# is answered from the workers' caches alone: board hits, not PostgreSQL.
board_figure() { # FUNCTION hits|misses: summed over the function's workers
  curl -s "$BASE/metrics" | awk -v s="evently_cache_$2_total{function=\"$1\",cache=\"board\"}" \
    '$1 == s {v = $2} END {print v + 0}'
}
for i in $(seq "$READS"); do counts_of_event >/dev/null; counts_in_search >/dev/null; done
hits0=$(board_figure event_get hits); search_hits0=$(board_figure events_list hits)
for i in $(seq 40); do counts_of_event >/dev/null; counts_in_search >/dev/null; done
check "most unchanged event reads are answered on the board alone" \
  "$([ $(( $(board_figure event_get hits) - hits0 )) -ge 20 ] && echo yes)" yes
check "most unchanged search pages are answered on the board alone" \
  "$([ $(( $(board_figure events_list hits) - search_hits0 )) -ge 20 ] && echo yes)" yes

# A write the board cannot see (made by hand in SQL) is shown within the
# trust window (EVENTLY_BOARD_TRUST_MS: 3 s in the test stack, 1 s by
# default): every cached answer is checked with PostgreSQL again by then.
psql_q "UPDATE events SET description = 'changed by hand' WHERE id = $EVENT" >/dev/null
sleep 3.2
bad=0
for i in $(seq "$READS"); do
  req GET "/events/$EVENT"
  [ "$(json .description)" = '"changed by hand"' ] || bad=$((bad + 1))
  req GET "/events?q=$TAG"
  [ "$(json ".events[] | select(.id == $EVENT) | .description")" = '"changed by hand"' ] || bad=$((bad + 1))
done
check "a write made by hand is in every answer once the trust window has passed" "$bad" 0

# --- broad and selective searches: the same page, whichever way it is found ------------

# 300 events in one day of 2037, in start order: every 60th is "<B> sparse"
# (5 in all), the other 3rds "<B> dense" (95). A search from that day walks the
# start-time index for the dense term and goes to the trigram index for the
# sparse one; without from (the whole database first) both use the index.
B=$(new_tag)
psql_q "SELECT count(create_event(CASE WHEN g % 60 = 0 THEN '$B sparse ' || g
                                       WHEN g % 3 = 0 THEN '$B dense ' || g ELSE '$B filler ' || g END,
                                  'Search Hall', '', '2037-04-01T00:00:00Z'::timestamptz + g * interval '1 minute',
                                  '[{\"name\":\"A\",\"rows\":1,\"seats_per_row\":1,\"price_cents\":0}]', 600))
          FROM generate_series(1, 300) g" >/dev/null
# truth WORD: the ids the SQL itself finds, in order.
truth() {
  psql_q "SELECT string_agg(id::text, ' ' ORDER BY starts_at, id) FROM events
           WHERE (name ILIKE '%$B $1%' OR venue ILIKE '%$B $1%') AND starts_at >= '2037-04-01'" 
}
# paged QUERY LIMIT: every id of QUERY, following next_cursor page by page.
paged() {
  local query=$1 limit=$2 cursor="" out="" pages=0
  while :; do
    req GET "/events?$query&limit=$limit${cursor:+&cursor=$cursor}"
    [ "$STATUS" = 200 ] || { echo "status $STATUS"; return; }
    out+=" $(jq -r '[.events[].id] | join(" ")' <<<"$BODY")"
    cursor=$(jq -r '.next_cursor // empty' <<<"$BODY")
    pages=$((pages + 1))
    [ -z "$cursor" ] || [ "$pages" -gt 200 ] && break
  done
  echo $out
}
DENSE=$(truth dense)
SPARSE=$(truth sparse)
check "the dense term matches 95" "$(wc -w <<<"$DENSE")" 95
check "the sparse term matches 5" "$(wc -w <<<"$SPARSE")" 5
for limit in 1 7 20 100; do
  check "dense, from that day, limit $limit" "$(paged "q=$(urlencode "$B dense")&from=2037-04-01" $limit)" "$DENSE"
  check "dense, whole database, limit $limit" "$(paged "q=$(urlencode "$B dense")" $limit)" "$DENSE"
  check "sparse, from that day, limit $limit" "$(paged "q=$(urlencode "$B sparse")&from=2037-04-01" $limit)" "$SPARSE"
  check "sparse, whole database, limit $limit" "$(paged "q=$(urlencode "$B sparse")" $limit)" "$SPARSE"
done
check "dense with a to bound" "$(paged "q=$(urlencode "$B dense")&from=2037-04-01&to=2037-04-01T01:00:00Z" 7)" \
  "$(psql_q "SELECT string_agg(id::text, ' ' ORDER BY starts_at, id) FROM events
              WHERE name ILIKE '%$B dense%' AND starts_at BETWEEN '2037-04-01' AND '2037-04-01T01:00:00Z'")"
check "venue and q together" "$(paged "venue=search%20hall&q=$(urlencode "$B sparse")" 2)" "$SPARSE"
ALL=$(psql_q "SELECT string_agg(id::text, ' ' ORDER BY starts_at, id) FROM events
              WHERE starts_at BETWEEN '2037-04-01' AND '2037-04-01T05:00:00Z'")
check "no term: every event in the range, in order" "$(paged "from=2037-04-01&to=2037-04-01T05:00:00Z" 33)" "$ALL"
# The same query again (now from the cached ids) gives the same pages.
check "dense again, cached" "$(paged "q=$(urlencode "$B dense")&from=2037-04-01" 7)" "$DENSE"
check "sparse again, cached" "$(paged "q=$(urlencode "$B sparse")" 7)" "$SPARSE"

finish
