#!/usr/bin/env bash
# The primary database server dies under booking load (the rehearsal: a
# primary, a synchronous standby, pg_auto_failover's monitor): 16 clients
# book with Idempotency-Keys, cancel and read while `cluster fail-primary`
# SIGKILLs the primary's pg_autoctl and postmaster.
#   - the standby is promoted by itself; bookings succeed again within 10 s;
#   - every answer is right or 503 problem+json: never 500, never a hang;
#   - every 201 reads back confirmed afterwards (0 lost), and each booking
#     answered 503 is whole or absent: repeated with its key it answers 201;
#   - no seat is in two confirmed bookings;
#   - the old primary rejoins as the new primary's synchronous standby.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cluster_lib.sh"

server_port() { psql_q "SELECT inet_server_port()" 2>/dev/null; }
load_setup failover 40
BEFORE=$(server_port)
note "primary on port $BEFORE"

load_build failover 60 1 15
note "${#ROUND_FILES[@]} rounds built"
load_drive
sleep 1
cluster fail-primary
KILLED=$(now)
# Bookings are back at the end of the first POST /bookings begun after the
# kill and answered 201 (nginx's log: end time, ..., duration).
BACK=""
for _ in $(seq 30); do
  sleep 0.5
  first=$(logged_after "$KILLED" | awk -v t="$KILLED" '$2 == "POST" && $3 ~ /bookings$/ && $4 == 201 && $1 - $NF > t {print $1; exit}')
  if [ -n "$first" ]; then BACK=$(awk -v a="$first" -v b="$KILLED" 'BEGIN {printf "%.2f", a - b}'); break; fi
done
note "bookings answered 201 again ${BACK:-never} s after the kill"
sleep 2
ALL=$TMP/all.json
load_stop "$ALL"
check "bookings back within 10 s" "$([ -n "$BACK" ] && awk -v b="$BACK" 'BEGIN {exit !(b < 10)}' && echo yes)" yes
AFTER=$(server_port)
check "the standby was promoted" "$([ -n "$AFTER" ] && [ "$AFTER" != "$BEFORE" ] && echo yes)" yes

# Every answer: right, or 503 problem+json. No 500, 502, 409 or hang (0).
unavailable='(.status == 503 and .body.code == "service_unavailable" and .body.status == 503)'
check "reads 200 or 503" "$(count_where "$ALL" ".kind == \"read\" and .status != 200 and ($unavailable | not)")" 0
check "bookings 201 or 503" "$(count_where "$ALL" ".kind == \"book\" and .status != 201 and ($unavailable | not)")" 0
check "cancels 200 or 503" "$(count_where "$ALL" ".kind == \"cancel\" and .status != 200 and ($unavailable | not)")" 0
check "every 201 is the booking asked for" "$(count_where "$ALL" '.kind == "book" and .status == 201 and
  (.body.status != "confirmed" or ([.body.seats[]?.id] != .seats) or .body.event_id != .event)')" 0

# 0 lost: every booking answered 201 is confirmed in the database.
ids=$(jq -r '[.[] | select(.kind == "book" and .status == 201) | .body.id] | join(",")' "$ALL")
n201=$(count_where "$ALL" '.kind == "book" and .status == 201')
check "every 201 reads back confirmed" \
  "$(psql_q "SELECT count(*) FROM bookings WHERE id IN (${ids:-0}) AND status = 'confirmed'")" "$n201"
# A booking answered 503 committed whole or not at all: its key tells.
jq -r '.[] | select(.kind == "book" and .status == 503) | "\(.client) \(.key) \(.seats[0])"' "$ALL" >"$TMP/retry"
start_batch retry
while read -r c k seat; do add_book "$c" "$c" "$EVENT_ID" "$k" "$seat"; done <"$TMP/retry"
if [ -s "$BATCH" ]; then
  run_batch
  check "503 bookings repeated with their keys answer 201" \
    "$(count_where "$BATCH.all" '.status == 201 and .body.status == "confirmed"')" "$(wc -l <"$TMP/retry")"
fi
check "no seat in two confirmed bookings" "$(overlaps "$EVENT_ID")" 0
check "one booking per seat asked for" "$(psql_q "
  SELECT count(*) FROM (SELECT bs.seat_id FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id
   WHERE b.event_id = $EVENT_ID AND b.status = 'confirmed' GROUP BY 1 HAVING count(*) > 1) x")" 0

# The old primary rejoins, as the synchronous standby of the new one.
cluster rejoin
check "the old primary streams to the new one, synchronously" \
  "$(psql_q "SELECT string_agg(sync_state, ',') FROM pg_stat_replication")" quorum
check "the new primary waits for it" "$(psql_q "SHOW synchronous_standby_names" | grep -c ANY)" 1
TOKEN=${TOKENS[1]}
req POST /bookings "{\"event_id\":$EVENT_ID,\"seat_ids\":[${SEATS[$NEXT_SEAT]}]}" -H "Idempotency-Key: after-$RANDOM"
expect_status 201 "a booking after the rejoin"
finish
