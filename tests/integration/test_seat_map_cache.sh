#!/usr/bin/env bash
# The seat map's worker cache: 10,000 requests with random `section` values
# (none of them the event's) are answered with an empty list and cost no
# rendering, no cache entry and no eviction, and the hot map stays cached in
# every worker; every worker's map follows a booking, a hold and a hold's
# expiry at once (new ETag, new statuses).
source "$(dirname "$0")/lib.sh"

RUN="$(date +%s%N)$RANDOM"
FUTURE=2099-06-01T19:30:00Z

admin_login
ADMIN=$TOKEN
# mk_event SECTIONS [HOLD_SECONDS]: sets EVENT_ID.
mk_event() {
  local extra=""
  [ -n "${2:-}" ] && extra=",\"hold_seconds\":$2"
  TOKEN=$ADMIN
  req POST /admin/events "{\"name\":\"Seat cache $RUN\",\"venue\":\"Hall\",\"starts_at\":\"$FUTURE\",
    \"sections\":$1$extra}"
  [ "$STATUS" = 201 ] || fail "setup: create event"
  EVENT_ID=$(json .id)
  TOKEN=""
}

# The event_seats workers' counters, summed over workers (0 when absent).
metrics() { curl -s "$BASE/metrics" >"$TMP/metrics"; }
figure() { awk -v s="$1" '$1 == s {v = $2} END {print v + 0}' "$TMP/metrics"; }
RENDERS='evently_seat_map_renders_total{function="event_seats"}'
HITS='evently_cache_hits_total{function="event_seats",cache="seat_map"}'
MISSES='evently_cache_misses_total{function="event_seats",cache="seat_map"}'
EVICTIONS='evently_cache_evictions_total{function="event_seats",cache="seat_map"}'
BYTES='evently_cache_bytes{function="event_seats",cache="seat_map"}'
LAYOUT_MISSES='evently_cache_misses_total{function="event_seats",cache="seat_layout"}'
SECTION_MISSES='evently_cache_misses_total{function="event_seats",cache="seat_sections"}'
snapshot() { # PREFIX: PREFIX_renders, PREFIX_hits, ... from /metrics now
  metrics
  local name
  for name in RENDERS HITS MISSES EVICTIONS BYTES LAYOUT_MISSES SECTION_MISSES; do
    printf -v "${1}_${name}" '%s' "$(figure "${!name}")"
  done
}
etag_of() { curl -s -D - -o /dev/null "$BASE/events/$1/seats${2:-}" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r'; }

metrics
WORKERS=$(figure 'evently_workers{function="event_seats"}')
check "event_seats has workers" "$([ "$WORKERS" -ge 1 ] && echo yes)" yes
check "the renders counter is exported" "$(grep -c "^evently_seat_map_renders_total{function=\"event_seats\"} " "$TMP/metrics")" 1

# --- the hot map, cached in every worker ------------------------------------------------

SECTIONS='[{"name":"Stalls","rows":20,"seats_per_row":40,"price_cents":9000},
           {"name":"Balcony","rows":5,"seats_per_row":40,"price_cents":2500}]'
mk_event "$SECTIONS"
HOT=$EVENT_ID
snapshot before
# Until every worker has rendered the hot map once (each renders it on its
# first request and then answers from its cache).
for _ in $(seq 100); do
  for _ in 1 2 3 4 5 6 7 8 9 10; do curl -s -o /dev/null "$BASE/events/$HOT/seats"; done
  metrics
  [ $(( $(figure "$RENDERS") - before_RENDERS )) -ge "$WORKERS" ] && break
done
snapshot warm
check "every worker rendered the hot map exactly once" $(( warm_RENDERS - before_RENDERS )) "$WORKERS"
req GET "/events/$HOT/seats"
expect_status 200 "the hot map"
HOT_BODY=$BODY
HOT_TAG=$(header ETag)
expect_json '.seats | length' 1000
expect_true "all available" '[.seats[].status] | unique == ["available"]'

# --- 10,000 random sections: empty lists, nothing rendered, nothing cached --------------

req GET "/events/$HOT/seats?section=Nowhere"
expect_status 200 "an unknown section"
expect_json .seats '[]' "an unknown section gives an empty list"
expect_json .sections "$(jq -c .sections <<<"$HOT_BODY")" "with the event's sections"
expect_json .event_id "$HOT"
EMPTY_SIZE=$(wc -c <"$TMP/body")
NOWHERE_TAG=$(header ETag)
check "an unknown section has its own tag" "$([ -n "$NOWHERE_TAG" ] && [ "$NOWHERE_TAG" != "$HOT_TAG" ] && echo yes)" yes
req GET "/events/$HOT/seats?section=Nowhere" "" -H "If-None-Match: $NOWHERE_TAG"
expect_status 304 "an unknown section's tag gives 304"
req GET "/events/$HOT/seats?section=Nowhere" "" -H 'Accept-Encoding: gzip' --compressed
expect_status 200 "an unknown section, gzipped"
expect_json .seats '[]'

snapshot quiet
# Random text: letters in every case (stalls, STALLS...), digits, spaces,
# quotes, slashes, percent signs and UTF-8, 1 to 40 characters.
awk -v seed="$RANDOM" -v base="$BASE/events/$HOT/seats" 'BEGIN {
  srand(seed)
  n = split("a b c S t a l l s B A L C O N Y 0 7 9 %20 %22 %27 %2F %25 %26 %3D %C3%A9 %E2%82%AC - _ . ~ +", alphabet, " ")
  for (i = 1; i <= 10000; i++) {
    len = 1 + int(rand() * 40); s = ""
    for (j = 0; j < len; j++) s = s alphabet[1 + int(rand() * n)]
    if (i % 100 == 0) s = (i % 200 == 0) ? "stalls" : "Stalls%20"  # near misses
    printf "url = \"%s?section=%s\"\noutput = \"/dev/null\"\n", base, s
  }
}' >"$TMP/random.curl"
check "10,000 requests to make" "$(grep -c '^url' "$TMP/random.curl")" 10000
curl -s -K "$TMP/random.curl" -w '%{http_code} %{size_download}\n' >"$TMP/random.out"
check "10,000 answers" "$(wc -l <"$TMP/random.out")" 10000
check "every random section gets 200" "$(awk '$1 != 200' "$TMP/random.out" | wc -l)" 0
check "every random section gets the empty list" "$(awk -v n="$EMPTY_SIZE" '$2 != n' "$TMP/random.out" | wc -l)" 0

snapshot after
check "no map rendered for 10,000 unknown sections" "$after_RENDERS" "$quiet_RENDERS"
check "no seat-map cache lookups for them" "$after_MISSES" "$quiet_MISSES"
check "no seat-map cache eviction" "$after_EVICTIONS" "$quiet_EVICTIONS"
check "the seat-map caches hold the same bytes" "$after_BYTES" "$quiet_BYTES"
check "no layout loaded again" "$after_LAYOUT_MISSES" "$quiet_LAYOUT_MISSES"
check "no sections loaded again" "$after_SECTION_MISSES" "$quiet_SECTION_MISSES"

# The hot map is still cached in every worker: hits, no rendering.
N=$(( 4 * WORKERS + 4 ))
for _ in $(seq "$N"); do
  req GET "/events/$HOT/seats"
  [ "$STATUS" = 200 ] && [ "$BODY" = "$HOT_BODY" ] && [ "$(header ETag)" = "$HOT_TAG" ] && ok || fail "the hot map changed"
done
snapshot hot
check "the hot map's next requests are hits" $(( hot_HITS - after_HITS )) "$N"
check "and render nothing" "$hot_RENDERS" "$after_RENDERS"

# An event no worker has drawn yet: its unknown sections load its sections
# (once per worker at most), never its seats.
mk_event '[{"name":"Cold","rows":10,"seats_per_row":10,"price_cents":100}]'
COLD=$EVENT_ID
snapshot cold
bad=0
for i in $(seq "$N"); do
  req GET "/events/$COLD/seats?section=Warm$i"
  [ "$STATUS" = 200 ] && [ "$(json .seats)" = '[]' ] && [ "$(json '.sections[0].name')" = '"Cold"' ] || bad=$((bad + 1))
done
check "a cold event's unknown sections get the empty list" "$bad" 0
snapshot coldafter
check "and load no layout" "$coldafter_LAYOUT_MISSES" "$cold_LAYOUT_MISSES"
check "and render nothing" "$coldafter_RENDERS" "$cold_RENDERS"
check "its sections are loaded once per worker at most" \
  "$(d=$(( coldafter_SECTION_MISSES - cold_SECTION_MISSES )); [ "$d" -ge 1 ] && [ "$d" -le "$WORKERS" ] && echo yes)" yes

# A real section and a real status still render (once per worker at most).
req GET "/events/$HOT/seats?section=Balcony&status=available"
expect_status 200 "a real section"
expect_json '.seats | length' 200
expect_true "only the Balcony" '[.seats[].section] | unique == ["Balcony"]'

# Bad input keeps its order: the status before the event, whatever the section.
req GET "/events/9007199254740991/seats?section=$RUN&status=bogus"
expect_invalid status
req GET "/events/9007199254740991/seats?section=$RUN"
expect_problem 404 event_not_found
req GET "/events/$HOT/seats?section=$RUN&status=Booked"
expect_invalid status

# --- every worker's map follows a booking, a hold and an expiry ------------------------

# every_worker_sees DESCRIPTION OLD_TAG FILTER: every one of N reads (enough
# to reach every worker) has a tag other than OLD_TAG and FILTER true.
every_worker_sees() {
  local i bad=0 tag
  for i in $(seq "$N"); do
    req GET "/events/$EVENT_ID/seats" "" -H "If-None-Match: $2"
    tag=$(header ETag)
    if [ "$STATUS" != 200 ] || [ -z "$tag" ] || [ "$tag" = "$2" ] || ! jq -e "$3" <<<"$BODY" >/dev/null; then
      bad=$((bad + 1))
    fi
  done
  check "$1 (every read of $N)" "$bad" 0
}
seat_ids() { jq -c "[.seats[] | select($1) | .id]" <<<"$HOT_BODY"; }

EVENT_ID=$HOT
TWO=$(seat_ids '.section == "Stalls" and .row == 1 and .number <= 2')
new_user
req POST /bookings "{\"event_id\":$HOT,\"seat_ids\":$TWO}"
expect_status 201 "a booking"
TOKEN=""
every_worker_sees "the booking shows at once" "$HOT_TAG" \
  "[.seats[] | select(.id | IN(${TWO}[])) | .status] == [\"booked\",\"booked\"]"
TAG_BOOKED=$(etag_of "$HOT")
req GET "/events/$HOT/seats?section=Nowhere"
check "an unknown section's tag moves with the map" "$([ "$(header ETag)" != "$NOWHERE_TAG" ] && echo yes)" yes
expect_json .seats '[]'

THREE=$(seat_ids '.section == "Balcony" and .row == 5 and .number >= 38')
new_user
req POST /holds "{\"event_id\":$HOT,\"seat_ids\":$THREE}"
expect_status 201 "a hold"
TOKEN=""
every_worker_sees "the hold shows at once" "$TAG_BOOKED" \
  "[.seats[] | select(.id | IN(${THREE}[])) | .status] == [\"held\",\"held\",\"held\"]"

# A short hold: its seats are free again in every worker from the instant it
# expires. Each read is judged by when it was made (this machine's clock is
# PostgreSQL's): held if it ended before expires_at, available if it began
# after; a read that straddles the instant could be either.
mk_event '[{"name":"Floor","rows":1,"seats_per_row":5,"price_cents":1000}]' 10
curl -s -o /dev/null "$BASE/events/$EVENT_ID/seats"
FLOOR=$(curl -s "$BASE/events/$EVENT_ID/seats" | jq -c '[.seats[0:2][].id]')
new_user
req POST /holds "{\"event_id\":$EVENT_ID,\"seat_ids\":$FLOOR}"
expect_status 201 "a short hold"
EXPIRES_NS=$(( $(date -d "$(json .expires_at | jq -r .)" +%s%N) ))
TOKEN=""
HELD='[.seats[].status] == ["held","held","available","available","available"]'
FREE='[.seats[].status] | unique == ["available"]'
HELD_TAG="" bad=0 judged=0
for _ in $(seq "$N"); do
  t0=$(date +%s%N)
  req GET "/events/$EVENT_ID/seats"
  t1=$(date +%s%N)
  if [ "$t1" -lt "$EXPIRES_NS" ]; then
    judged=$((judged + 1))
    if [ "$STATUS" = 200 ] && jq -e "$HELD" <<<"$BODY" >/dev/null; then HELD_TAG=$(header ETag); else bad=$((bad + 1)); fi
  elif [ "$t0" -gt "$EXPIRES_NS" ]; then
    judged=$((judged + 1))
    jq -e "$FREE" <<<"$BODY" >/dev/null || bad=$((bad + 1))
  fi
done
check "reads while held show the hold ($judged judged)" "$bad" 0
[ "$judged" -gt 0 ] || echo "note: every read straddled the hold's expiry" >&2
psql_q "SELECT pg_sleep(greatest(0, ($EXPIRES_NS - extract(epoch FROM clock_timestamp()) * 1e9) / 1e9 + 0.05))" >/dev/null
every_worker_sees "available again once it expired" "${HELD_TAG:-\"none\"}" "$FREE"

# --- 304s from the tag alone ---------------------------------------------------------------

# Clients that poll with the tag they have get their 304 from workers that
# never rendered the map: the tag read last is kept on the change board, and
# a hold moves it at once in every worker.
mk_event '[{"name":"Floor","rows":1,"seats_per_row":5,"price_cents":1000}]'
TAGGED=$(etag_of "$EVENT_ID")
metrics; tag_hits0=$(figure 'evently_cache_hits_total{function="event_seats",cache="board"}')
bad=0
for _ in $(seq "$N"); do
  req GET "/events/$EVENT_ID/seats" "" -H "If-None-Match: $TAGGED"
  [ "$STATUS" = 304 ] && [ "$(header ETag)" = "$TAGGED" ] || bad=$((bad + 1))
done
check "the current tag is 304 from every worker" "$bad" 0
metrics
check "most of those 304s were answered on the board alone" \
  "$([ $(( $(figure 'evently_cache_hits_total{function="event_seats",cache="board"}') - tag_hits0 )) -ge $(( N - 2 * WORKERS )) ] && echo yes)" yes
new_user
req POST /holds "{\"event_id\":$EVENT_ID,\"seat_ids\":[$(curl -s "$BASE/events/$EVENT_ID/seats" | jq '.seats[0].id')]}"
expect_status 201 "a hold"
TOKEN=""
every_worker_sees "after the hold the old tag is a 200 with the held seat" "$TAGGED" '[.seats[0].status] == ["held"]'

finish
