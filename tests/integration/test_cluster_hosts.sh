#!/usr/bin/env bash
# Two function hosts behind nginx (the rehearsal): under a mixed load of 16
# clients (keyed bookings, cancellations, reads), host 1 is killed with
# SIGKILL. No idempotent request (GET, keyed POST /bookings) fails: nginx
# passes it on to host 2. From 1 s after the kill every request is answered
# by host 2. Host 1 then comes back and takes its share again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cluster_lib.sh"

load_setup hosts 20
H1=127.0.0.11 H2=127.0.0.12
load_build hosts 24 1 31
note "${#ROUND_FILES[@]} rounds built"
START=$(now)
load_drive
sleep 1
cluster kill-host 1
KILLED=$(now)
sleep 3
ALL=$TMP/all.json
load_stop "$ALL"

# Idempotent requests: every one answered right.
check "failed reads" "$(count_where "$ALL" '.kind == "read" and .status != 200')" 0
check "failed keyed bookings" "$(count_where "$ALL" '.kind == "book" and .status != 201')" 0
check "keyed bookings confirmed" \
  "$(count_where "$ALL" '.kind == "book" and .status == 201 and .body.status == "confirmed"')" \
  "$(count_where "$ALL" '.kind == "book"')"
# Cancellations (not idempotent to nginx): right, or a clean 503.
check "cancels answered 200 or 503" \
  "$(count_where "$ALL" '.kind == "cancel" and .status != 200 and (.status != 503 or .body.code != "service_unavailable")')" 0
check "no seat in two confirmed bookings" "$(overlaps "$EVENT_ID")" 0

# The share, from nginx's log of which host answered each request.
read -r before after late_h1 < <(awk -v t="$KILLED" -v h1="$H1:" -v h2="$H2:" '
  { split($0, q, "\""); k = split(q[2], a, ", "); last = a[k] }
  $1 < t && index(last, h1) == 1 { b1++ }
  $1 > t + 1 && index(last, h2) == 1 { a2++ }
  $1 > t + 1 && index(last, h1) == 1 { l1++ }
  END { print b1 + 0, a2 + 0, l1 + 0 }' <(logged_after "$START"))
note "host 1 answered $before before the kill; from 1 s after, host 2 answered $after, host 1 $late_h1"
check "host 1 had a share before" "$([ "$before" -gt 0 ] && echo yes)" yes
check "host 2 answers from 1 s after the kill" "$([ "$after" -gt 100 ] && echo yes)" yes
check "host 1 answers nothing from 1 s after the kill" "$late_h1" 0
# Only the idempotent ones (rewritten to /_retry/...) may have gone to two hosts.
check "non-idempotent requests sent to one host only" "$(logged_after "$START" |
  awk '$3 !~ /^\/_retry\// && $5 ~ /,$/ {c++} END {print c + 0}')" 0
check "idempotent requests passed on to host 2" "$([ "$(logged_after "$START" |
  awk '$3 ~ /^\/_retry\// && $5 ~ /,$/ {c++} END {print c + 0}')" -gt 0 ] && echo yes)" yes

# Host 1 comes back and takes its share again (nginx tries it again after
# its fail_timeout, 2 s).
cluster rejoin
BACK=$(now)
sleep 2.5
load_build hosts-back 2 1 15
load_drive
wait "$DRIVE_PID"
back=$(logged_after "$BACK" | awk -v h1="$H1:" '{ split($0, q, "\""); if (index(q[2], h1) == 1) c++ } END { print c + 0 }')
check "host 1 answers again after rejoin" "$([ "$back" -gt 0 ] && echo yes)" yes
finish
