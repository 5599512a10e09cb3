# Helpers for the integration tests: requests through nginx with curl,
# assertions on status, headers and JSON (jq), and a closing tally.
# shellcheck shell=bash
set -uo pipefail
: "${EVENTLY_TEST_STATE:?run through ctest}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORT=$(cat "$EVENTLY_TEST_STATE/port")
BASE=http://127.0.0.1:$PORT
ADMIN_EMAIL=admin@evently.test
ADMIN_PASSWORD=admin-password-1
PG_URL="postgresql:///evently?host=$EVENTLY_TEST_STATE/run&port=$((PORT + 1000))&user=$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0
TOKEN=""
STATUS=""
BODY=""

# req METHOD PATH [BODY [curl args...]]: sends with $TOKEN when set; sets STATUS, BODY.
req() {
  local method=$1 path=$2 body=${3-}
  shift $(( $# < 3 ? $# : 3 ))
  local args=(-s -X "$method" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  [ -n "$TOKEN" ] && args+=(-H "Authorization: Bearer $TOKEN")
  rm -f "$TMP/headers" "$TMP/body"  # curl leaves an old file in place when no body comes
  STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
  BODY=$(cat "$TMP/body" 2>/dev/null)
}

# header NAME: the value of a response header of the last request.
header() { grep -i "^$1:" "$TMP/headers" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }

# json FILTER: jq over the last response body (compact).
json() { jq -c "$1" <<<"$BODY" 2>/dev/null; }

ok() { PASSED=$((PASSED + 1)); }
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL: $*" >&2
  echo "      last response: $STATUS $(head -c 400 <<<"$BODY")" >&2
}

check() { # check DESCRIPTION ACTUAL EXPECTED
  if [ "$2" == "$3" ]; then ok; else fail "$1: expected [$3], got [$2]"; fi
}
expect_status() { check "${2:-status}" "$STATUS" "$1"; }
expect_json() { check "${3:-$1}" "$(json "$1")" "$2"; }
expect_header() { check "header $1" "$(header "$1")" "$2"; }
# expect_problem STATUS CODE: a problem+json error with that status and code.
expect_problem() {
  check "status" "$STATUS" "$1"
  check "problem content type" "$(header Content-Type)" "application/problem+json"
  check "problem code" "$(json .code)" "\"$2\""
  check "problem status" "$(json .status)" "$1"
}

# A fresh user: sets TOKEN and USER_ID; prints nothing.
new_user() {
  local email="u$(date +%s%N)$RANDOM@example.com"
  TOKEN=""
  req POST /auth/register "{\"email\":\"$email\",\"password\":\"password-123\",\"name\":\"Test User\"}"
  USER_ID=$(json .id)
  req POST /auth/login "{\"email\":\"$email\",\"password\":\"password-123\"}"
  TOKEN=$(jq -r .token <<<"$BODY")
}

admin_login() {
  TOKEN=""
  req POST /auth/login "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
  TOKEN=$(jq -r .token <<<"$BODY")
}

# psql_q SQL: a query straight against the stack's database.
psql_q() { psql "$PG_URL" -qAtX -c "$1"; }

# finish: the tally; exits non-zero on any failure.
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# --- shared by the accounts, events and edge tests -------------------------

# expect_true DESCRIPTION FILTER: jq FILTER over the last body is true.
expect_true() {
  local got=false
  jq -e "$2" <<<"$BODY" >/dev/null 2>&1 && got=true
  check "$1" "$got" true
}

# expect_invalid FIELD: 400 validation_failed naming FIELD in detail and errors.
expect_invalid() {
  expect_problem 400 validation_failed
  check "errors name $1" "$(jq --arg f "$1" '[.errors[]?.field] | index($f) != null' <<<"$BODY" 2>/dev/null)" true
  check "detail names $1" "$(jq --arg f "$1" '.detail | contains($f)' <<<"$BODY" 2>/dev/null)" true
}

# send METHOD PATH CONTENT_TYPE FILE [curl args...]: like req, the body read
# from FILE and sent with CONTENT_TYPE ("" sends no Content-Type at all).
send() {
  local method=$1 path=$2 ctype=$3 file=$4
  shift 4
  local args=(-s -X "$method" -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}'
              -H "Content-Type:${ctype:+ $ctype}" --data-binary "@$file")
  [ -n "$TOKEN" ] && args+=(-H "Authorization: Bearer $TOKEN")
  rm -f "$TMP/headers" "$TMP/body"  # curl leaves an old file in place when no body comes
  STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
  BODY=$(cat "$TMP/body" 2>/dev/null)
}

# A tag unique to this run, to find a test's own events with q=.
new_tag() { echo "t$(date +%s%N)r$RANDOM"; }

# repeat TEXT N: TEXT N times, for length bounds.
repeat() { printf "%0.s$1" $(seq "$2"); }

# sign_in_both: ADMIN_TOKEN (the admin) and USER_TOKEN (a fresh user); TOKEN cleared.
sign_in_both() {
  admin_login
  ADMIN_TOKEN=$TOKEN
  new_user
  USER_TOKEN=$TOKEN
  TOKEN=""
}

# create_event NAME VENUE STARTS_AT [SECTIONS]: created by the admin
# (ADMIN_TOKEN, from admin_login); sets EVENT_ID and leaves the response.
create_event() {
  local sections=${4:-'[{"name":"Stalls","rows":2,"seats_per_row":3,"price_cents":1500}]'}
  local saved=$TOKEN
  TOKEN=$ADMIN_TOKEN
  req POST /admin/events "$(jq -nc --arg n "$1" --arg v "$2" --arg s "$3" --argjson sec "$sections" \
    '{name: $n, venue: $v, starts_at: $s, sections: $sec}')"
  TOKEN=$saved
  EVENT_ID=$(json .id)
  [ "$STATUS" = 201 ] || fail "create_event $1: expected 201"
}

# --- batches of concurrent requests (tests/load/load_driver) ------------------------
# A batch is a driver input file B and B.meta, one JSON line a request
# ({client, index, ...}); run_batch adds the answers as B.all, a JSON array of
# meta + {status, body}.
DRIVER=${EVENTLY_BUILD_DIR:-}/tests/load/load_driver

declare -A NEXT
start_batch() { BATCH=$TMP/$1; : >"$BATCH"; : >"$BATCH.meta"; NEXT=(); }

add_line() { # add_line CLIENT DRIVER_LINE META_JSON
  local i=${NEXT[$1]:-0}
  echo "$1 $2" >>"$BATCH"
  local rest=${3#\{}
  rest=${rest%\}}
  echo "{\"client\":$1,\"index\":$i${rest:+,}$rest}" >>"$BATCH.meta"
  NEXT[$1]=$((i + 1))
}

# add_book CLIENT USER EVENT KEY SEAT_ID...: KEY - sends none.
add_book() {
  local c=$1 u=$2 e=$3 k=$4
  shift 4
  local ids
  ids=$(IFS=,; echo "$*")
  add_line "$c" "POST /bookings ${TOKENS[$u]} $k {\"event_id\":$e,\"seat_ids\":[$ids]}" \
    "{\"kind\":\"book\",\"user\":$u,\"user_id\":${USER_IDS[$u]},\"event\":$e,\"key\":\"$k\",\"seats\":[$ids]}"
}

# add_cancel CLIENT USER BOOKING_ID
add_cancel() {
  add_line "$1" "DELETE /bookings/$3 ${TOKENS[$2]} -" \
    "{\"kind\":\"cancel\",\"user\":$2,\"user_id\":${USER_IDS[$2]},\"booking\":$3}"
}

# drive FILE: runs FILE through the driver; its answers as FILE.out.
drive() {
  "$DRIVER" -t 120 -o "$1.out" "127.0.0.1:$PORT" "$1" || fail "load_driver failed on $(basename "$1")"
}

# join_batch FILE: FILE.meta with the answers of FILE.out, as FILE.all.
join_batch() {
  jq -R 'split("\t") | {client: (.[0] | tonumber), index: (.[1] | tonumber),
                        status: (.[2] | tonumber), body: ((.[3] // "") | (try fromjson catch .))}' \
    "$1.out" |
    jq -s --slurpfile meta "$1.meta" '
      (map({key: "\(.client)/\(.index)", value: .}) | from_entries) as $r
      | $meta | map(. + ($r["\(.client)/\(.index)"] // {status: -1, body: null} | {status, body}))' \
      >"$1.all"
}

run_batch() { drive "$BATCH"; join_batch "$BATCH"; }

# status_counts FILE.all: "201x3 409x7", for the log.
status_counts() { jq -r 'group_by(.status) | map("\(.[0].status)x\(length)") | join(" ")' "$1"; }

# count_where FILE.all JQ_CONDITION: how many answers satisfy it.
count_where() { jq "map(select($2)) | length" "$1"; }

# race_users N NAME: N users registered, then logged in, each batch at once;
# sets USER_IDS and TOKENS (index = client).
race_users() {
  local i
  start_batch "register-$2"
  for i in $(seq 0 $(($1 - 1))); do
    add_line "$i" "POST /auth/register - - {\"email\":\"$2-$i@example.com\",\"password\":\"password-123\",\"name\":\"Racer $i\"}" '{}'
  done
  run_batch
  mapfile -t USER_IDS < <(jq -r '.[].body.id' "$BATCH.all")
  check "users registered at once" "$(count_where "$BATCH.all" '.status == 201')" "$1"
  start_batch "login-$2"
  for i in $(seq 0 $(($1 - 1))); do
    add_line "$i" "POST /auth/login - - {\"email\":\"$2-$i@example.com\",\"password\":\"password-123\"}" '{}'
  done
  run_batch
  mapfile -t TOKENS < <(jq -r '.[].body.token' "$BATCH.all")
  check "users logged in at once" "$(count_where "$BATCH.all" '.status == 200')" "$1"
}

# sql_users N NAME: N users made straight in PostgreSQL, each with a session
# (for tests that need many signed-in users, not the sign-up path); sets
# USER_IDS and TOKENS (index = client). Tokens are 43 base64url characters,
# stored as their SHA-256, like real ones.
sql_users() {
  local rows
  rows=$(psql_q "
    WITH t AS (
      SELECT i, translate(rtrim(encode(sha256(convert_to(random()::text || clock_timestamp()::text || i, 'UTF8')),
                                       'base64'), '='), '+/', '-_') AS token
        FROM generate_series(0, $1 - 1) i),
    u AS (
      INSERT INTO users (email, name, password_hash)
      SELECT '$2-' || i || '@example.com', 'Racer ' || i, 'not-a-hash' FROM t ORDER BY i
      RETURNING id, email),
    s AS (
      INSERT INTO sessions (token_hash, user_id, expires_at)
      SELECT sha256(convert_to(t.token, 'UTF8')), u.id, now() + interval '1 day'
        FROM t JOIN u ON u.email = '$2-' || t.i || '@example.com')
    SELECT u.id || ' ' || t.token FROM t JOIN u ON u.email = '$2-' || t.i || '@example.com' ORDER BY t.i")
  USER_IDS=()
  TOKENS=()
  local id token
  while read -r id token; do USER_IDS+=("$id"); TOKENS+=("$token"); done <<<"$rows"
  check "$1 users made" "${#TOKENS[@]}" "$1"
}

# No seat of EVENT in two of {an active hold, a confirmed booking} at any
# instant: a hold claims its seats from created_at until it ends (confirmed
# or released: ended_at) or expires; a booking from created_at until it is
# cancelled.
overlaps() {
  psql_q "
    WITH claims AS (
      SELECT hs.seat_id, 'h' || h.id AS claim, h.created_at AS a,
             least(h.expires_at, coalesce(h.ended_at, 'infinity')) AS b
        FROM holds h JOIN hold_seats hs ON hs.hold_id = h.id WHERE h.event_id = $1
      UNION ALL
      SELECT bs.seat_id, 'b' || b.id, b.created_at, coalesce(b.cancelled_at, 'infinity')
        FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id WHERE b.event_id = $1)
    SELECT count(*) FROM claims x JOIN claims y
        ON x.seat_id = y.seat_id AND x.claim < y.claim AND x.a < y.b AND y.a < x.b"
}
