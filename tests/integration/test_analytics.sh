#!/usr/bin/env bash
# GET /admin/analytics: admin only (401, 403), parameter validation, and exact
# figures. Other tests' data may be in the database, so figures over windows
# that reach before this test are checked as deltas (read before, book and
# cancel, read after); windows built from this test's own created_at and
# cancelled_at hold only its own bookings and are checked absolutely. After
# every booking and cancellation the very next read must show it. Deleting an
# event takes its bookings out of every figure.
source "$(dirname "$0")/lib.sh"

RUN=$(new_tag)
FUTURE=2099-06-01T19:30:00Z

# --- time helpers (microseconds since the epoch, UTC) ------------------------

# to_us RFC3339Z: the instant in microseconds (fraction optional, Z only).
to_us() {
  local base=${1%[Zz]} frac=0
  if [[ $base == *.* ]]; then
    frac=$(printf '%-6s' "${base#*.}" | tr ' ' 0)
    frac=$((10#${frac:0:6}))
    base=${base%%.*}
  fi
  echo $(( $(date -u -d "${base}Z" +%s) * 1000000 + frac ))
}
# from_us US [OFFSET_MINUTES]: RFC 3339 with six fractional digits, in UTC
# (Z) or at the given offset (+HH:MM / -HH:MM).
from_us() {
  local us=$1 m=${2-} s f sign=+ a
  s=$((us / 1000000))
  f=$((us % 1000000))
  if [ -z "$m" ]; then
    printf '%s.%06dZ' "$(date -u -d "@$s" +%Y-%m-%dT%H:%M:%S)" "$f"
    return
  fi
  a=$m
  if ((m < 0)); then sign=-; a=$((-m)); fi
  printf '%s.%06d%s%02d:%02d' "$(date -u -d "@$((s + m * 60))" +%Y-%m-%dT%H:%M:%S)" "$f" \
    "$sign" $((a / 60)) $((a % 60))
}
enc() { local v=${1//+/%2B}; echo "$v"; }

# --- analytics reads and checks ----------------------------------------------

# analytics QUERY: GET /admin/analytics?QUERY as the admin; sets STATUS, BODY.
analytics() {
  local saved=$TOKEN
  TOKEN=$ADMIN_TOKEN
  req GET "/admin/analytics${1:+?$1}"
  TOKEN=$saved
}

# Rounded ratios, scaled by 10^4, half up (n, d >= 0): the value Postgres'
# round(n/d, 4) gives, times 10000, exactly; 0 when d is 0.
JQ_DEFS='
def r4($n; $d): if $d == 0 then 0 else (($n * 20000 + $d) / (2 * $d) | floor) end;
def ok4($x; $n; $d): ($x | type) == "number" and (($x * 10000) | round) == r4($n; $d)
                     and ((($x * 10000) - (($x * 10000) | round)) | fabs) < 0.000001;
def key: [-.seats_sold, .event_id];
'

# shape_checks LABEL TOP: invariants every answer must keep, whoever's data.
shape_checks() {
  local l=$1 top=$2
  check "$l: status" "$STATUS" 200
  check "$l: content type" "$(header Content-Type | cut -d';' -f1)" application/json
  check "$l: totals are integers" "$(json '[.totals | .events, .capacity, .bookings,
    .confirmed_bookings, .cancelled_bookings, .seats_sold, .revenue_cents
    | type == "number" and . >= 0 and . == floor] | all')" true
  check "$l: cancellation_rate = round(cancelled/bookings, 4)" \
    "$(jq -c "$JQ_DEFS .totals | ok4(.cancellation_rate; .cancelled_bookings; .bookings)" <<<"$BODY")" true
  check "$l: utilization = round(seats_sold/capacity, 4)" \
    "$(jq -c "$JQ_DEFS .totals | ok4(.utilization; .seats_sold; .capacity)" <<<"$BODY")" true
  # popular_events: every event up to top, by seats_sold desc then event_id.
  check "$l: popular_events length = min(top, events)" \
    "$(json "(.popular_events | length) == ([$top, .totals.events] | min)")" true
  check "$l: popular_events ordered by seats_sold desc, event_id" \
    "$(jq -c "$JQ_DEFS [.popular_events | map(key) | . as \$k | range(1; length) | \$k[. - 1] < \$k[.]] | all" <<<"$BODY")" true
  check "$l: popular_events rows well formed" "$(jq -c "$JQ_DEFS [.popular_events[] |
    (keys == ([\"bookings\",\"capacity\",\"event_id\",\"name\",\"revenue_cents\",\"seats_sold\",\"utilization\",\"venue\"]))
    and ok4(.utilization; .seats_sold; .capacity) and .seats_sold <= .capacity] | all" <<<"$BODY")" true
  check "$l: popular_events sums = totals when every event is listed" "$(json 'if .totals.events <= ('"$top"')
    then ([.popular_events[].seats_sold] | add // 0) == .totals.seats_sold
     and ([.popular_events[].revenue_cents] | add // 0) == .totals.revenue_cents
     and ([.popular_events[].bookings] | add // 0) == .totals.bookings
    else true end')" true
  # daily: one row per day with a booking or cancellation, ascending, summing to the totals.
  check "$l: daily rows well formed" "$(json '[.daily[] |
    (keys == ["bookings","cancellations","date","revenue_cents","seats_sold"])
    and (.date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")) and (.bookings > 0 or .cancellations > 0)] | all')" true
  check "$l: daily strictly ascending" \
    "$(json '[.daily | map(.date) | . as $d | range(1; length) | $d[. - 1] < $d[.]] | all')" true
  check "$l: daily sums = totals" "$(json '[([.daily[].bookings] | add // 0) == .totals.bookings,
    ([.daily[].cancellations] | add // 0) == .totals.cancelled_bookings,
    ([.daily[].seats_sold] | add // 0) == .totals.seats_sold,
    ([.daily[].revenue_cents] | add // 0) == .totals.revenue_cents] | all')" true
}

# State of this test's own data: bookings and events (as JSON arrays).
MINE='[]'    # [{id, event, created, cancelled, seats, cents, cday, xday}]
EVENTS='[]'  # [{event_id, name, venue, capacity}]

# What this test's own data adds to a window [F, T] (microseconds, "null" for
# unbounded), per the contract.
EXPECT_DEFS='
def inw($x): $x != null and ($f == null or $x >= $f) and ($t == null or $x <= $t);
def live: select(inw(.created) and .cancelled == null);
def totals: {bookings: [.[] | select(inw(.created))] | length,
             confirmed_bookings: [.[] | live] | length,
             cancelled_bookings: [.[] | select(inw(.cancelled))] | length,
             seats_sold: ([.[] | live | .seats] | add // 0),
             revenue_cents: ([.[] | live | .cents] | add // 0)};
def daily: ([.[] | select(inw(.created)) | {date: .cday, b: 1, c: 0,
               s: (if .cancelled == null then .seats else 0 end),
               r: (if .cancelled == null then .cents else 0 end)}]
            + [.[] | select(inw(.cancelled)) | {date: .xday, b: 0, c: 1, s: 0, r: 0}])
           | group_by(.date)
           | map({date: .[0].date, bookings: (map(.b) | add), cancellations: (map(.c) | add),
                  seats_sold: (map(.s) | add), revenue_cents: (map(.r) | add)});
'
expected() { # expected F T WHAT(totals|daily|popular)
  if [ "$3" = popular ]; then
    jq -nc --argjson f "$1" --argjson t "$2" --argjson m "$MINE" --argjson e "$EVENTS" "$EXPECT_DEFS"'
      [$e[] | . as $ev | ($m | map(select(.event == $ev.event_id))) as $b
       | $ev + {seats_sold: ($b | [.[] | live | .seats] | add // 0),
                revenue_cents: ($b | [.[] | live | .cents] | add // 0),
                bookings: ($b | [.[] | select(inw(.created))] | length)}]'
  else
    jq -c --argjson f "$1" --argjson t "$2" "$EXPECT_DEFS $3" <<<"$MINE"
  fi
}

TOTAL_KEYS='{bookings, confirmed_bookings, cancelled_bookings, seats_sold, revenue_cents}'

# check_popular LABEL F T TOP: this test's events in popular_events, exact;
# one missing only when top rows that rank before it fill the list.
check_popular() {
  local l=$1 top=$4 exp
  exp=$(expected "$2" "$3" popular)
  check "$l: own events in popular_events exact (or ranked past top)" "$(jq -c --argjson x "$exp" \
    --argjson top "$top" "$JQ_DEFS"'.popular_events as $p | [$x[] | . as $e
      | ($p | map(select(.event_id == $e.event_id))) as $row
      | if ($row | length) == 1 then ($row[0] | del(.utilization)) == $e
        else ($row | length) == 0 and ($p | length) == $top and ($p[-1] | key) < ($e | key) end]
      | all' <<<"$BODY")" true
  # Deleted or foreign ids never appear under one of ours twice.
  check "$l: popular_events ids distinct" "$(json '.popular_events | map(.event_id) | length == (unique | length)')" true
}

# A window whose figures are checked as deltas from a read before this test's data.
DELTA_WINDOWS=()
declare -A BEFORE
TODAY=$(date -u +%F)
YESTERDAY=$(date -u -d "$TODAY - 1 day" +%F)
TOMORROW=$(date -u -d "$TODAY + 1 day" +%F)
# name|query|from_us|to_us
add_window() { DELTA_WINDOWS+=("$1|$2|$3|$4"); }
add_window all "top=100" null null
add_window today "from=$TODAY&to=$TODAY&top=100" \
  "$(to_us "${TODAY}T00:00:00Z")" "$(( $(to_us "${TOMORROW}T00:00:00Z") - 1 ))"
add_window today-times "from=${TODAY}T00:00:00Z&to=${TODAY}T23:59:59.999999Z&top=100" \
  "$(to_us "${TODAY}T00:00:00Z")" "$(( $(to_us "${TOMORROW}T00:00:00Z") - 1 ))"
add_window mixed "from=${YESTERDAY}T12:00:00Z&to=$TOMORROW&top=100" \
  "$(to_us "${YESTERDAY}T12:00:00Z")" "$(( $(to_us "${TOMORROW}T00:00:00Z") + 86400000000 - 1 ))"
add_window offsets "from=$(enc "${YESTERDAY}T20:00:00-05:00")&to=$(enc "${TOMORROW}T01:30:00+02:00")&top=100" \
  "$(to_us "${TODAY}T01:00:00Z")" "$(to_us "${TODAY}T23:30:00Z")"
add_window from-only "from=${YESTERDAY}&top=100" "$(to_us "${YESTERDAY}T00:00:00Z")" null
add_window to-only "to=9999-12-31&top=100" null "$(( $(to_us "9999-12-31T00:00:00Z") + 86400000000 - 1 ))"
add_window widest "from=0001-01-01&to=9999-12-31T23:59:59.999999Z&top=100" null null

# check_deltas LABEL: every delta window against its read before this test.
check_deltas() {
  local w name q f t before
  for w in "${DELTA_WINDOWS[@]}"; do
    IFS='|' read -r name q f t <<<"$w"
    f=$(jq -n "$f") t=$(jq -n "$t")
    before=${BEFORE[$name]}
    analytics "$q"
    shape_checks "$1 [$name]" 100
    check "$1 [$name]: events delta" \
      "$(jq -n --argjson a "$BODY" --argjson b "$before" '$a.totals.events - $b.totals.events')" \
      "$(jq -n --argjson e "$EVENTS" '$e | length')"
    check "$1 [$name]: capacity delta" \
      "$(jq -n --argjson a "$BODY" --argjson b "$before" '$a.totals.capacity - $b.totals.capacity')" \
      "$(jq -n --argjson e "$EVENTS" '[$e[].capacity] | add // 0')"
    check "$1 [$name]: totals delta" \
      "$(jq -nc --argjson a "$BODY" --argjson b "$before" "\$a.totals as \$x | \$b.totals as \$y
        | $TOTAL_KEYS | with_entries(.value = \$x[.key] - \$y[.key])")" \
      "$(expected "$f" "$t" "totals | $TOTAL_KEYS")"
    check "$1 [$name]: daily delta" \
      "$(jq -nc --argjson a "$BODY" --argjson b "$before" '
        def z: {bookings: 0, cancellations: 0, seats_sold: 0, revenue_cents: 0};
        def m($d): $d | map({key: .date, value: (. | del(.date))}) | from_entries;
        m($a.daily) as $am | m($b.daily) as $bm
        | [($am + $bm) | keys[] | . as $d | (($am[$d] // z) as $x | ($bm[$d] // z) as $y
            | {date: $d, bookings: ($x.bookings - $y.bookings),
               cancellations: ($x.cancellations - $y.cancellations),
               seats_sold: ($x.seats_sold - $y.seats_sold),
               revenue_cents: ($x.revenue_cents - $y.revenue_cents)})]
        | map(select(.bookings != 0 or .cancellations != 0 or .seats_sold != 0 or .revenue_cents != 0))')" \
      "$(expected "$f" "$t" daily)"
    check_popular "$1 [$name]" "$f" "$t" 100
  done
}

# check_window LABEL QUERY F T: a window holding only this test's data
# (besides events/capacity): figures exact, not deltas.
check_window() {
  local l=$1 q=$2 f=$3 t=$4
  analytics "$q"
  shape_checks "$l" 100
  check "$l: totals" "$(json ".totals | $TOTAL_KEYS")" "$(expected "$f" "$t" "totals | $TOTAL_KEYS")"
  check "$l: daily" "$(json .daily)" "$(expected "$f" "$t" daily)"
  check_popular "$l" "$f" "$t" 100
  check "$l: popular_events sales are only ours" "$(jq -c --argjson e "$EVENTS" \
    '[.popular_events[] | select(.seats_sold > 0 or .bookings > 0) | .event_id] - [$e[].event_id] | length' <<<"$BODY")" 0
}

# --- setup ---------------------------------------------------------------------

admin_login
ADMIN_TOKEN=$TOKEN
[ -n "$ADMIN_TOKEN" ] && [ "$ADMIN_TOKEN" != null ] || fail "setup: admin login"
new_user
U1=$TOKEN
new_user
U2=$TOKEN
TOKEN=""

# --- auth, method, validation --------------------------------------------------

req GET /admin/analytics
expect_problem 401 unauthorized
check "401 WWW-Authenticate" "$(header WWW-Authenticate | cut -d' ' -f1)" Bearer
req GET "/admin/analytics?top=0&from=junk"
expect_problem 401 unauthorized  # authentication comes before validation
TOKEN=not-a-token
req GET /admin/analytics
expect_problem 401 unauthorized
check "401 (bad token) WWW-Authenticate" "$(header WWW-Authenticate | cut -d' ' -f1)" Bearer
TOKEN=$U1
req GET /admin/analytics
expect_problem 403 forbidden
req GET "/admin/analytics?top=0"
expect_problem 403 forbidden  # role comes before validation
TOKEN=$ADMIN_TOKEN
req POST /admin/analytics '{}'
expect_problem 405 method_not_allowed
check "405 Allow names GET" "$(header Allow | grep -c GET)" 1

for q in top=0 top=101 top=abc top=-1 top=1.5 top=10x; do
  req GET "/admin/analytics?$q"
  expect_invalid top
done
for q in from=junk from=2027-13-01 from=2027-02-30 from=2027-03-01T10:00:00 \
         "from=$(enc 2027-03-01T10:00:00+25:00)" from=2027-03-01T24:00:00Z from=20270301; do
  req GET "/admin/analytics?$q"
  expect_invalid from
done
for q in to=junk to=2027-02-29 to=2027-03-01T10:00Z "to=2027-03-01 10:00:00Z"; do
  req GET "/admin/analytics?${q// /%20}"
  expect_invalid to
done
req GET "/admin/analytics?top=1"
check "top=1 is accepted" "$STATUS" 200
check "top=1: at most one row" "$(json '(.popular_events | length) == ([1, .totals.events] | min)')" true
req GET "/admin/analytics?top=100"
check "top=100 is accepted" "$STATUS" 200

# --- reads before this test's data ----------------------------------------------

for w in "${DELTA_WINDOWS[@]}"; do
  IFS='|' read -r name q _ _ <<<"$w"
  analytics "$q"
  shape_checks "before [$name]" 100
  BEFORE[$name]=$BODY
done
BEFORE_ALL=${BEFORE[all]}

# --- events ------------------------------------------------------------------------

# mk_event NAME SECTIONS_JSON: sets EVENT_ID, records it; prints nothing.
mk_event() {
  create_event "$1 $RUN" "Analytics Hall $RUN" "$FUTURE" "$2"
  local cap
  cap=$(jq '[.[] | .rows * .seats_per_row] | add' <<<"$2")
  check "event $1 capacity" "$(json .capacity)" "$cap"
  EVENTS=$(jq -c --argjson id "$EVENT_ID" --arg n "$1 $RUN" --arg v "Analytics Hall $RUN" --argjson c "$cap" \
    '. + [{event_id: $id, name: $n, venue: $v, capacity: $c}]' <<<"$EVENTS")
}
# seats EVENT SECTION: that section's seat ids, in seat-map order.
seats() { curl -s "$BASE/events/$1/seats" | jq -c --arg s "$2" '[.seats[] | select(.section == $s) | .id]'; }

mk_event "Big" '[{"name":"Stalls","rows":2,"seats_per_row":5,"price_cents":9000},
                 {"name":"Balcony","rows":2,"seats_per_row":5,"price_cents":2500}]'
E1=$EVENT_ID
mk_event "Mid" '[{"name":"Floor","rows":2,"seats_per_row":3,"price_cents":1500}]'
E2=$EVENT_ID
mk_event "Quiet" '[{"name":"Floor","rows":1,"seats_per_row":4,"price_cents":100}]'
E3=$EVENT_ID
mk_event "Doomed" '[{"name":"Floor","rows":2,"seats_per_row":3,"price_cents":1500}]'
E4=$EVENT_ID
E1_STALLS=$(seats "$E1" Stalls)
E1_BALCONY=$(seats "$E1" Balcony)
E2_FLOOR=$(seats "$E2" Floor)
E4_FLOOR=$(seats "$E4" Floor)
check "seat maps" "$(jq -n "[$E1_STALLS, $E1_BALCONY, $E2_FLOOR, $E4_FLOOR] | map(length)" -c)" "[10,10,6,6]"
check_deltas "events only"

# --- bookings and cancellations, each seen by the very next read ------------------

# book NAME USER_TOKEN EVENT CENTS SEAT_ID...: books, records it as NAME.
declare -A BID
book() {
  local name=$1 user=$2 ev=$3 cents=$4
  shift 4
  local ids
  ids=$(IFS=,; echo "$*")
  TOKEN=$user
  req POST /bookings "{\"event_id\":$ev,\"seat_ids\":[$ids]}"
  TOKEN=""
  check "book $name" "$STATUS" 201
  check "book $name: total_cents" "$(json .total_cents)" "$cents"
  local created
  created=$(jq -r .created_at <<<"$BODY")
  BID[$name]=$(json .id)
  MINE=$(jq -c --argjson id "${BID[$name]}" --argjson e "$ev" --argjson c "$(to_us "$created")" \
    --argjson n $# --argjson cents "$cents" --arg d "${created:0:10}" \
    '. + [{id: $id, event: $e, created: $c, cancelled: null, seats: $n, cents: $cents, cday: $d, xday: null}]' <<<"$MINE")
  check_deltas "after booking $name"
}
# cancel NAME USER_TOKEN: cancels booking NAME, records when.
cancel() {
  TOKEN=$2
  req DELETE "/bookings/${BID[$1]}"
  TOKEN=""
  check "cancel $1" "$STATUS" 200
  check "cancel $1: status" "$(json .status)" '"cancelled"'
  local at
  at=$(jq -r .cancelled_at <<<"$BODY")
  MINE=$(jq -c --argjson id "${BID[$1]}" --argjson x "$(to_us "$at")" --arg d "${at:0:10}" \
    'map(if .id == $id then .cancelled = $x | .xday = $d else . end)' <<<"$MINE")
  check_deltas "after cancelling $1"
}
seat() { jq -r ".[$2]" <<<"$1"; }

book b1 "$U1" "$E1" 18000 "$(seat "$E1_STALLS" 0)" "$(seat "$E1_STALLS" 1)"
book b2 "$U2" "$E1" 2500 "$(seat "$E1_BALCONY" 0)"
book b3 "$U1" "$E2" 4500 "$(seat "$E2_FLOOR" 0)" "$(seat "$E2_FLOOR" 1)" "$(seat "$E2_FLOOR" 2)"
book b4 "$U2" "$E1" 11500 "$(seat "$E1_STALLS" 2)" "$(seat "$E1_BALCONY" 1)"
cancel b2 "$U2"
book b5 "$U1" "$E4" 3000 "$(seat "$E4_FLOOR" 0)" "$(seat "$E4_FLOOR" 1)"
book b6 "$U2" "$E4" 1500 "$(seat "$E4_FLOOR" 2)"
cancel b6 "$ADMIN_TOKEN"
# A failed booking (a taken seat) and a repeated cancellation change nothing.
TOKEN=$U2
req POST /bookings "{\"event_id\":$E1,\"seat_ids\":[$(seat "$E1_STALLS" 0)]}"
check "booking a taken seat" "$STATUS" 409
req DELETE "/bookings/${BID[b2]}"
check "cancelling again" "$STATUS" 200
TOKEN=""
check_deltas "after a refused booking and a repeated cancellation"

# --- the whole picture, stated outright ---------------------------------------------

# totals_delta: this answer's totals less BEFORE_ALL's, as [events, capacity,
# bookings, confirmed, cancelled, seats_sold, revenue_cents].
totals_delta() {
  jq -nc --argjson a "$BODY" --argjson b "$BEFORE_ALL" \
    '[$a.totals, $b.totals] as [$x, $y] | [$x.events - $y.events, $x.capacity - $y.capacity,
      $x.bookings - $y.bookings, $x.confirmed_bookings - $y.confirmed_bookings,
      $x.cancelled_bookings - $y.cancelled_bookings, $x.seats_sold - $y.seats_sold,
      $x.revenue_cents - $y.revenue_cents]'
}

analytics "top=100"
check "all: delta stated outright" "$(totals_delta)" "[4,36,6,4,2,9,37000]"
check "all: bookings = confirmed + cancelled (no window)" \
  "$(json '.totals.bookings == .totals.confirmed_bookings + .totals.cancelled_bookings')" true
for pair in "$E1:4:29500:3:20:0.2" "$E2:3:4500:1:6:0.5" "$E3:0:0:0:4:0" "$E4:2:3000:2:6:0.3333"; do
  IFS=: read -r id s r b c u <<<"$pair"
  # Each of ours is listed unless 100 events rank before it.
  if [ "$(json "[.popular_events[] | select(.event_id == $id)] | length")" = 1 ]; then
    check "popular event $id" "$(json ".popular_events[] | select(.event_id == $id)
      | [.seats_sold, .revenue_cents, .bookings, .capacity, .utilization == $u]")" "[$s,$r,$b,$c,true]"
  else
    check "popular event $id missing only past top" "$(json "(.popular_events | length == 100)
      and (.popular_events[-1] | .seats_sold > $s or (.seats_sold == $s and .event_id < $id))")" true
  fi
done

# --- windows from this test's own timestamps (only its own bookings inside) -------

ts() { # ts NAME created|cancelled: microseconds
  jq -r --argjson id "${BID[$1]}" ".[] | select(.id == \$id) | .$2" <<<"$MINE"
}
C1=$(ts b1 created) C2=$(ts b2 created) C3=$(ts b3 created) C4=$(ts b4 created)
C6=$(ts b6 created) X2=$(ts b2 cancelled) X6=$(ts b6 cancelled)
check "timestamps in order" "$(jq -n "$C1 < $C2 and $C2 < $C3 and $C3 < $C4 and $C4 < $X2 and $X2 < $C6 and $C6 < $X6")" true

# win LABEL F T [extra query]: from/to given as the exact instants in UTC.
win() {
  local q="top=100"
  [ "$2" != null ] && q+="&from=$(enc "$(from_us "$2")")"
  [ "$3" != null ] && q+="&to=$(enc "$(from_us "$3")")"
  check_window "$1" "$q" "$2" "$3"
}
win "first..last creation" "$C1" "$C6"
check "first..last creation: every booking" "$(json '.totals | [.bookings, .confirmed_bookings, .cancelled_bookings, .seats_sold, .revenue_cents]')" "[6,4,1,9,37000]"
win "first creation..last cancellation" "$C1" "$X6"
check "first creation..last cancellation" "$(json '.totals | [.bookings, .cancelled_bookings, .cancellation_rate]')" "[6,2,0.3333]"
win "from first creation, open end" "$C1" null
win "to just before b4" "$C1" "$((C4 - 1))"
check "to just before b4 excludes it" "$(json '.totals | [.bookings, .confirmed_bookings, .cancelled_bookings, .seats_sold, .revenue_cents]')" "[3,2,0,5,22500]"
win "from just after b1" "$((C1 + 1))" "$C4"
check "from just after b1 excludes it" "$(json '.totals | [.bookings, .seats_sold, .revenue_cents]')" "[3,5,16000]"
win "b2 cancelled, created before the window" "$C3" "$X2"
check "cancellation inside, creation outside" \
  "$(json '.totals | [.bookings, .confirmed_bookings, .cancelled_bookings, .seats_sold, .revenue_cents, .cancellation_rate]')" \
  "[2,2,1,5,16000,0.5]"
win "a single instant: b3" "$C3" "$C3"
check "a single instant" "$(json '.totals | [.bookings, .seats_sold, .revenue_cents]')" "[1,3,4500]"
win "a single instant: b2's cancellation" "$X2" "$X2"
check "a single instant: cancellation only" "$(json '.totals | [.bookings, .cancelled_bookings, .cancellation_rate]')" "[0,1,0]"
win "between b1 and b2" "$((C1 + 1))" "$((C2 - 1))"
check "empty window" "$(json '[.totals.bookings, .totals.cancelled_bookings, .daily]')" "[0,0,[]]"
check_window "same bounds at other offsets" \
  "top=100&from=$(enc "$(from_us "$C1" 330)")&to=$(enc "$(from_us "$C4" -180)")" "$C1" "$C4"
check "offsets: b1..b4" "$(json '.totals.bookings')" 4
check_window "digits past microseconds are dropped, not rounded" \
  "top=100&from=$(from_us "$C2" | sed 's/Z$/999Z/')&to=$(from_us "$C4" | sed 's/Z$/999Z/')" "$C2" "$C4"
check "digits past microseconds" "$(json '.totals.bookings')" 3

# Before any of ours: what the read before this test said.
analytics "top=100&to=$(from_us "$((C1 - 1))")"
shape_checks "up to just before b1" 100
check "up to just before b1 = before this test" \
  "$(json ".totals | $TOTAL_KEYS"), $(json .daily)" \
  "$(jq -c ".totals | $TOTAL_KEYS" <<<"$BEFORE_ALL"), $(jq -c .daily <<<"$BEFORE_ALL")"
check "up to just before b1: events/capacity count every current event" \
  "$(json '.totals | [.events, .capacity]')" "$(jq -c '.totals | [.events + 4, .capacity + 36]' <<<"$BEFORE_ALL")"

# popular_events order over a window holding only our sales.
analytics "top=100&from=$(from_us "$C1")"
check "ours by seats_sold desc: Big, Mid, Doomed, and Quiet (no sales) after them" \
  "$(json "[.popular_events[] | .event_id | select(. == $E1 or . == $E2 or . == $E3 or . == $E4)]")" \
  "$(jq -nc "[$E1, $E2, $E4] + (if $(json "[.popular_events[].event_id] | index($E3) != null") then [$E3] else [] end)")"
check "the first three are ours" "$(json '[.popular_events[:3][].event_id]')" "[$E1,$E2,$E4]"
check "no event without sales before one with" \
  "$(json '[.popular_events | map(.seats_sold > 0) | . as $s | range(1; length) | ($s[.] | not) or $s[. - 1]] | all')" true
BELOW_E3=$(psql_q "SELECT count(*) FROM events WHERE id < $E3")
if [ "$((BELOW_E3 + 2))" -le 100 ]; then  # E4 ranks before E3; E1, E2 are among those below it
  check "Quiet (no sales) listed at its rank" "$(json "[.popular_events[].event_id] | index($E3)")" "$((BELOW_E3 + 1))"
  check "Quiet row" "$(json ".popular_events[] | select(.event_id == $E3) | [.seats_sold, .revenue_cents, .bookings, .capacity, .utilization]")" "[0,0,0,4,0]"
fi
analytics "top=1&from=$(from_us "$C1")"
check "top=1 over our window: Big only" "$(json '[.popular_events[].event_id]')" "[$E1]"
TOTAL_EVENTS=$(json .totals.events)
analytics "from=$(from_us "$C1")"
check "default top is 10" "$(json '.popular_events | length')" "$(( TOTAL_EVENTS < 10 ? TOTAL_EVENTS : 10 ))"
check "default top: Big first" "$(json '.popular_events[0].event_id')" "$E1"

# from later than to: an empty window (docs/openapi.yaml), the same answer as
# any other empty window; events/capacity still counted.
analytics "top=100&from=$(from_us "$((C1 + 1))")&to=$(from_us "$((C2 - 1))")"
EMPTY_WINDOW=$BODY
analytics "top=100&from=$(from_us "$C4")&to=$(from_us "$C1")"
check "from after to: the same answer as an empty window" "$BODY" "$EMPTY_WINDOW"
shape_checks "from after to" 100
check "from after to: zero figures" \
  "$(json '.totals | [.bookings, .confirmed_bookings, .cancelled_bookings, .seats_sold, .revenue_cents, .cancellation_rate, .utilization]')" \
  "[0,0,0,0,0,0,0]"
check "from after to: no daily rows, nothing sold" \
  "$(json '[.daily, ([.popular_events[] | .seats_sold, .revenue_cents, .bookings, .utilization] | add // 0)]')" "[[],0]"
check "from after to: events/capacity" "$(json '.totals | [.events, .capacity]')" \
  "$(jq -c '.totals | [.events + 4, .capacity + 36]' <<<"$BEFORE_ALL")"
analytics "top=100&from=$TOMORROW&to=$TODAY"
check "from after to (dates): zero bookings" "$(json '[.totals.bookings, .totals.cancelled_bookings, .daily]')" "[0,0,[]]"

# --- deleting an event takes its bookings out -----------------------------------------

TOKEN=$ADMIN_TOKEN
req DELETE "/admin/events/$E4"
check "delete Doomed" "$STATUS" 204
TOKEN=""
MINE=$(jq -c --argjson e "$E4" 'map(select(.event != $e))' <<<"$MINE")
EVENTS=$(jq -c --argjson e "$E4" 'map(select(.event_id != $e))' <<<"$EVENTS")
check_deltas "after deleting Doomed"
analytics "top=100"
check "after delete: delta stated outright" "$(totals_delta)" "[3,30,4,3,1,7,34000]"
win "after delete: first creation..last cancellation" "$C1" "$X6"
check "after delete: Doomed gone from the window" \
  "$(json "[.totals.bookings, .totals.cancelled_bookings, ([.popular_events[] | select(.event_id == $E4)] | length)]")" "[4,1,0]"
analytics "top=100&from=$(from_us "$C1")"
check "after delete: ours by seats_sold" "$(json '[.popular_events[:2][].event_id]')" "[$E1,$E2]"
check "after delete: Doomed not listed" "$(json "[.popular_events[] | select(.event_id == $E4)] | length")" 0

# --- the roll-ups agree with the bookings themselves --------------------------------

# Recounted from bookings in the same snapshot: booking_stats per event and day,
# and both roll-ups of it (all-time per event, per day over every event).
RECOUNT="WITH f AS (
    SELECT event_id, utc_day(created_at) AS day, 1 AS bookings, (status = 'confirmed')::int AS confirmed,
           CASE WHEN status = 'confirmed' THEN seat_count ELSE 0 END AS seats_sold,
           CASE WHEN status = 'confirmed' THEN total_cents ELSE 0 END AS revenue_cents, 0 AS cancellations
      FROM bookings
    UNION ALL
    SELECT event_id, utc_day(cancelled_at), 0, 0, 0, 0, 1 FROM bookings WHERE cancelled_at IS NOT NULL)"
SUMS="sum(bookings), sum(confirmed), sum(seats_sold), sum(revenue_cents), sum(cancellations)"
mismatches() { # KEYS ROLLUP: rows where the recount and the roll-up differ
  psql_q "$RECOUNT SELECT count(*) FROM (
      (SELECT $1, $SUMS FROM f GROUP BY $1 EXCEPT SELECT $1, $SUMS FROM $2 GROUP BY $1)
      UNION ALL
      (SELECT $1, $SUMS FROM $2 GROUP BY $1 HAVING sum(bookings) <> 0 OR sum(cancellations) <> 0
       EXCEPT SELECT $1, $SUMS FROM f GROUP BY $1)) x"
}
check "booking_stats = bookings recounted, per event and day" "$(mismatches "event_id, day" booking_stats)" 0
check "stats_per_event = bookings recounted, per event" "$(mismatches event_id stats_per_event)" 0
check "stats_per_day = bookings recounted, per day" "$(mismatches day stats_per_day)" 0
check "all-time analytics = the widest window, in one snapshot" \
  "$(psql_q "SELECT analytics(NULL, NULL, 100) = analytics('1970-01-01T00:00:00Z', '2100-01-01T00:00:00Z', 100)")" t

finish
