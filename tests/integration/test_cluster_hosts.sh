#!/usr/bin/env bash
# Two function hosts behind nginx (the rehearsal): under a mixed load of 16
# clients (keyed bookings, a cancellation, reads), host 1 is killed with
# SIGKILL. No idempotent request (GET, keyed POST /bookings) fails: nginx
# passes it on to host 2. Within 1 s of the kill every request is answered by
# host 2. Host 1 then comes back and takes its share again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cluster_lib.sh"

load_setup hosts 20
H1=127.0.0.11 H2=127.0.0.12

# Rounds until 3 s after the kill, the kill 1 s into the load.
ALL=$TMP/all.json
echo '[]' >"$ALL"
START=$(now)
KILLED=""
while :; do
  load_round hosts 1 7
  load_run &
  round=$!
  if [ -z "$KILLED" ] && [ "$(echo "$(now) - $START > 1" | bc)" = 1 ]; then
    cluster kill-host 1
    KILLED=$(now)
    note "host 1 killed"
  fi
  wait "$round"
  load_collect "$ALL"
  [ -n "$KILLED" ] && [ "$(echo "$(now) - $KILLED > 3" | bc)" = 1 ] && break
  [ "$NEXT_SEAT" -ge $((${#SEATS[@]} - CLIENTS * 2)) ] && break
done
note "$(jq length "$ALL") requests: $(status_counts "$ALL")"
check "host killed during the load" "$([ -n "$KILLED" ] && echo yes)" yes

# Idempotent requests: every one answered right.
check "failed reads" "$(count_where "$ALL" '.kind == "read" and .status != 200')" 0
check "failed keyed bookings" "$(count_where "$ALL" '.kind == "book" and .status != 201')" 0
check "keyed bookings confirmed" \
  "$(count_where "$ALL" '.kind == "book" and .status == 201 and .body.status == "confirmed"')" \
  "$(count_where "$ALL" '.kind == "book"')"
# The cancellation (not idempotent to nginx) is right or a clean 503.
check "cancel answered 200 or 503" \
  "$(count_where "$ALL" '.kind == "cancel" and .status != 200 and (.status != 503 or .body.code != "service_unavailable")')" 0
check "no seat in two confirmed bookings" "$(overlaps "$EVENT_ID")" 0

# The share: nginx's log of which host answered each request.
sleep 1.5  # the log is flushed every second
t=$KILLED
read -r before after late_h1 < <(awk -v t="$t" -v h1="$H1:" -v h2="$H2:" '
  { n = split($0, q, "\""); addr = q[2]; k = split(addr, a, ", "); last = a[k] }
  $1 < t - 1 && index(last, h1) == 1 { b1++ }
  $1 > t + 1 && $1 < t + 3 && index(last, h2) == 1 { a2++ }
  $1 > t + 1 && index(last, h1) == 1 { l1++ }
  END { print b1 + 0, a2 + 0, l1 + 0 }' "$UPSTREAM_LOG")
note "host 1 answered $before before the kill; host 2 answered $after from 1 s after; host 1 $late_h1 after"
check "host 1 had a share before" "$([ "$before" -gt 0 ] && echo yes)" yes
check "host 2 answers from 1 s after the kill" "$([ "$after" -gt 0 ] && echo yes)" yes
check "host 1 answers nothing from 1 s after the kill" "$late_h1" 0

# Host 1 comes back and takes its share again.
cluster rejoin
: >"$UPSTREAM_LOG.mark"
BACK=$(now)
sleep 2.5  # host 1 is tried again after its fail_timeout (2 s)
for _ in 1 2 3; do load_round hosts 1 7; load_run; done
sleep 1.5
back=$(awk -v t="$BACK" -v h1="$H1:" '$1 > t { n = split($0, q, "\""); if (index(q[2], h1) == 1) c++ } END { print c + 0 }' "$UPSTREAM_LOG")
check "host 1 answers again after rejoin" "$([ "$back" -gt 0 ] && echo yes)" yes
finish
