#!/usr/bin/env bash
# The edge: CORS on every status, preflight, 405 with Allow, unknown paths,
# body size, media type, malformed JSON, the order of checks, and no HTML
# ever — all as problem documents.
source "$(dirname "$0")/lib.sh"

sign_in_both
create_event "$(new_tag) edge" "Edge Hall" 2035-05-05T20:00:00Z
ID=$EVENT_ID

expect_cors() { # expect_cors WHAT: the CORS header on the last response
  check "$1: Access-Control-Allow-Origin" "$(header Access-Control-Allow-Origin)" "*"
}
expect_not_html() { # expect_not_html WHAT
  [[ "$(header Content-Type)" != *html* ]] && ! grep -qi '<html' "$TMP/body" 2>/dev/null &&
    ok || fail "$1: an HTML answer"
}

# --- CORS on success and on every kind of error ------------------------------------------

req GET /health "" -H "Origin: https://shop.example"
expect_status 200
expect_cors "200"
req GET "/events/$ID"
expect_cors "200 from a function"
req GET "/events/$ID/seats" "" -H "If-None-Match: $(req GET "/events/$ID/seats"; header ETag)"
expect_status 304
expect_cors "304"
req GET /no/such/path
expect_problem 404 not_found
expect_cors "404 from nginx"
req GET /events/999999999999
expect_problem 404 event_not_found
expect_cors "404 from a function"
req PUT /events
expect_problem 405 method_not_allowed
expect_cors "405"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' x >"$TMP/big"
send POST /auth/register application/json "$TMP/big"
expect_problem 413 payload_too_large
expect_cors "413"
req GET /me
expect_problem 401 unauthorized
expect_cors "401"
check "401 challenge" "$(header WWW-Authenticate)" Bearer
echo '{}' >"$TMP/empty.json"
send POST /auth/login text/plain "$TMP/empty.json"
expect_problem 415 unsupported_media_type
expect_cors "415"
req POST /auth/login '{'
expect_problem 400 invalid_json
expect_cors "400"
TOKEN=$USER_TOKEN
req DELETE "/admin/events/$ID"
expect_problem 403 forbidden
expect_cors "403"
TOKEN=""

# --- preflight: answered by nginx, 204, never reaching a function --------------------------

for path in /events "/events/$ID/seats" /admin/events "/admin/events/$ID" /auth/login /me /bookings /no/such/path; do
  req OPTIONS "$path" "" -H "Origin: https://shop.example" -H "Access-Control-Request-Method: POST" \
    -H "Access-Control-Request-Headers: authorization, content-type, idempotency-key"
  expect_status 204 "preflight $path"
  check "preflight $path: no body" "$BODY" ""
  expect_cors "preflight $path"
  methods=$(header Access-Control-Allow-Methods | tr -d ' ' | tr 'a-z' 'A-Z' | tr ',' '\n')
  for m in GET POST PATCH DELETE; do
    check "preflight $path allows $m" "$(grep -cx "$m" <<<"$methods")" 1
  done
  allowed=$(header Access-Control-Allow-Headers | tr -d ' ' | tr 'A-Z' 'a-z' | tr ',' '\n')
  for h in authorization content-type idempotency-key; do
    check "preflight $path allows header $h" "$(grep -cx "$h" <<<"$allowed")" 1
  done
  check "preflight $path: Max-Age is a positive number of seconds" \
    "$(header Access-Control-Max-Age | grep -Ec '^[1-9][0-9]*$')" 1
done
# A preflight with a token or a body is still nginx's.
TOKEN=$USER_TOKEN
req OPTIONS /admin/events '{"name":""}'
expect_status 204 "preflight with a token and a body"
TOKEN=""

# --- wrong method: 405 with Allow, before authentication -------------------------------------

# allow_has METHOD...: the Allow header of the last response names each.
allow_has() {
  local list m
  list=$(header Allow | tr -d ' ' | tr ',' '\n')
  for m in "$@"; do check "Allow names $m" "$(grep -cx "$m" <<<"$list")" 1; done
}
req DELETE /health;                 expect_problem 405 method_not_allowed; allow_has GET
req POST /events '{}';              expect_problem 405 method_not_allowed; allow_has GET
req PUT "/events/$ID" '{}';         expect_problem 405 method_not_allowed; allow_has GET
req DELETE "/events/$ID/seats";     expect_problem 405 method_not_allowed; allow_has GET
req GET /auth/login;                expect_problem 405 method_not_allowed; allow_has POST
req GET /auth/register;             expect_problem 405 method_not_allowed; allow_has POST
req GET /auth/logout;               expect_problem 405 method_not_allowed; allow_has POST
req POST /me '{}';                  expect_problem 405 method_not_allowed; allow_has GET
req GET /admin/events;              expect_problem 405 method_not_allowed; allow_has POST
req PUT "/admin/events/$ID" '{}';   expect_problem 405 method_not_allowed; allow_has PATCH DELETE
req GET "/admin/events/$ID";        expect_problem 405 method_not_allowed; allow_has PATCH DELETE
check "405 Allow does not name the refused method" "$(header Allow | grep -c GET)" 0
req PATCH /events/abc '{}';         expect_problem 405 method_not_allowed
check "405 before 404" "$(json .status)" 405
send POST /events text/plain "$TMP/empty.json"
expect_problem 405 method_not_allowed
check "405 before 415" "$(json .status)" 405
send PUT /admin/events text/plain "$TMP/big"
expect_problem 405 method_not_allowed
check "405 before 413" "$(json .status)" 405
allow_has POST

# --- unknown paths: 404 not_found problem --------------------------------------------------

for path in /nope /events/ "/events/$ID/" "/events/$ID/nope" "/events/$ID/seats/1" /admin /admin/ \
            /admin/events/ /auth /auth/nope /me/ /healthz "/events/$ID/seats%2F" /index.php /.env \
            /_problem/404 /_problem/500 "/nope?$(repeat a 100)"; do
  req GET "$path"
  expect_problem 404 not_found
  expect_not_html "GET $path"
done
req POST /nope '{}'
expect_problem 404 not_found
send POST /nope application/json "$TMP/big"
expect_problem 404 not_found
check "404 before 413" "$(json .status)" 404
req DELETE /admin/nope
expect_problem 404 not_found

# --- body size: 1 MiB is fine, one byte more is 413 -------------------------------------------

EMAIL="edge$(date +%s%N)@example.com"
HEAD_PART=$(jq -nc --arg e "$EMAIL" '{email: $e, password: "password-123", name: "Big", pad: ""}')
HEAD_PART=${HEAD_PART%'"}'}
{ printf '%s' "$HEAD_PART"; head -c $(( 1024 * 1024 - ${#HEAD_PART} - 2 )) /dev/zero | tr '\0' x; printf '"}'; } >"$TMP/exact"
check "the test body is exactly 1 MiB" "$(wc -c <"$TMP/exact")" 1048576
send POST /auth/register application/json "$TMP/exact"
expect_status 201 "a body of exactly 1 MiB is accepted"
send POST /auth/register application/json "$TMP/big"
expect_problem 413 payload_too_large
expect_not_html "413"
{ cat "$TMP/exact"; echo -n ' '; } >"$TMP/over"
send POST /auth/register application/json "$TMP/over"
expect_problem 413 payload_too_large
send POST /auth/register application/json "$TMP/big" -H "Transfer-Encoding: chunked"
expect_problem 413 payload_too_large
check "413 for a chunked body" "$(json .code)" '"payload_too_large"'
send POST /admin/events application/json "$TMP/big"
expect_problem 413 payload_too_large
check "413 before 401" "$(json .status)" 413
send PATCH "/admin/events/$ID" text/plain "$TMP/big"
expect_problem 413 payload_too_large

# --- media type: 415 before authentication; parameters and case allowed ---------------------

echo '{"email":"nobody@example.com","password":"password-123"}' >"$TMP/login.json"
for ct in "" text/plain application/x-www-form-urlencoded "application/jsonx" \
          "application/json-patch+json" "text/json" "multipart/form-data; boundary=x" "application"; do
  send POST /auth/login "$ct" "$TMP/login.json"
  expect_problem 415 unsupported_media_type
done
for ct in "application/json; charset=utf-8" "application/json;charset=UTF-8" "Application/JSON"; do
  send POST /auth/login "$ct" "$TMP/login.json"
  expect_problem 401 invalid_credentials
  check "Content-Type $ct is accepted" "$(json .code)" '"invalid_credentials"'
done
jq -nc --arg e "ct$(date +%s%N)@example.com" '{email: $e, password: "password-123", name: "CT"}' >"$TMP/reg.json"
send POST /auth/register "application/json; charset=utf-8" "$TMP/reg.json"
expect_status 201 "register with a charset parameter"
send POST /admin/events text/plain "$TMP/empty.json"
expect_problem 415 unsupported_media_type
check "415 before 401" "$(json .status)" 415
TOKEN=$USER_TOKEN
send POST /admin/events text/plain "$TMP/empty.json"
expect_problem 415 unsupported_media_type
check "415 before 403" "$(json .status)" 415
TOKEN=""
send PATCH /admin/events/abc "" "$TMP/empty.json"
expect_problem 415 unsupported_media_type
curl -s -X POST -D "$TMP/headers" -o "$TMP/body" "$BASE/auth/login" >/dev/null
STATUS=$(head -n1 "$TMP/headers" | cut -d' ' -f2); BODY=$(cat "$TMP/body")
expect_problem 415 unsupported_media_type

# --- JSON: invalid → invalid_json, not an object → validation_failed; 401 before both -----

for doc in '{' '{"email":}' "{'email':'a'}" '{"a":1} {"b":2}' '{"a":1}x' 'nul' '{"a":"\x"}' \
           '{"a":01}' '{"a":-01}' '{"a":1.}' '{"a":1.e5}' '{"a":1e}' '{"a":.5}' '{"a":+1}' \
           '{"a":1,}' '[1,]' '{"a" 1}' '{a:1}' ' ' 'undefined' '{"a":"\u00"}' '{"a":NaN}' \
           $'{"a":"x\ny"}' $'{"a":"x\ty"}' $'{"a":"\x01"}' "{\"a\":\"$(printf '\xff')\"}" \
           "{\"a\":\"$(printf '\xc3')\"}" "{\"a\":\"$(printf '\xed\xa0\x80')\"}" \
           "{\"a\":\"$(printf '\xc0\xaf')\"}" "$(printf '%.0s[' {1..2000})"; do
  req POST /auth/login "$doc"
  expect_problem 400 invalid_json
done
# Names that are not UTF-8 are not JSON, not a server error.
printf '{"email":"utf%s@example.com","password":"password-123","name":"\xff\xfe"}' "$RANDOM" >"$TMP/latin.json"
send POST /auth/register application/json "$TMP/latin.json"
expect_problem 400 invalid_json
for doc in '{"a":0}' '{"a":-0.5e-3}' '{"a":1E+2}' '{"a":"\u00e9\ud83d\ude00\/\b"}' '{"a":[{},[],"",null,true,false]}' \
           "{\"a\":\"é 😀\"}" $' \t\r\n{}\n'; do
  req POST /auth/login "$doc"
  expect_invalid email
done
printf '' >"$TMP/none"
send POST /auth/register application/json "$TMP/none"
expect_problem 400 invalid_json
check "an empty body is not JSON" "$(json .code)" '"invalid_json"'
for doc in '[]' '[{"email":"a@b.c"}]' '42' '"text"' 'null' 'true' ' {"email":1} '; do
  req POST /auth/register "$doc"
  expect_problem 400 validation_failed
done
req POST /admin/events '{'
expect_problem 401 unauthorized
check "401 before invalid_json" "$(json .status)" 401
TOKEN=$USER_TOKEN
req POST /admin/events '[]'
expect_problem 403 forbidden
TOKEN=$ADMIN_TOKEN
req POST /admin/events '[]'
expect_problem 400 validation_failed
req PATCH /admin/events/abc '{'
expect_problem 400 invalid_json
check "invalid_json before 404" "$(json .code)" '"invalid_json"'
TOKEN=""

# --- nothing nginx cannot parse answers in HTML ------------------------------------------------

# raw REQUEST: sends bytes as they are; sets STATUS and BODY from the answer.
raw() {
  local out
  out=$(printf "$1" | timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; cat <&3" 2>/dev/null)
  STATUS=$(head -n1 <<<"$out" | cut -d' ' -f2)
  sed -n '1,/^\r$/p' <<<"$out" | tail -n +2 >"$TMP/headers"
  BODY=$(sed '1,/^\r$/d' <<<"$out")
  printf '%s' "$BODY" >"$TMP/body"
}
raw 'GARBAGE\r\n\r\n'
expect_problem 400 bad_request
expect_not_html "a malformed request line"
raw 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\nConnection: close\r\n\r\n'
check "a malformed header line: 400" "$STATUS" 400
expect_not_html "a malformed header line"
raw 'GET /health HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n'
check "an unknown HTTP version: an error" "$([ "${STATUS:-0}" -ge 400 ] && echo yes)" yes
expect_not_html "an unknown HTTP version"
raw 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'
check "HTTP/1.1 without Host: 400" "$STATUS" 400
expect_not_html "HTTP/1.1 without Host"
req GET "/events?q=$(repeat a 20000)"
check "a URI too long: 414" "$STATUS" 414
check "414 is a problem document" "$(header Content-Type)" application/problem+json
expect_not_html "a URI too long"
req GET /health "" -H "X-Big: $(repeat h 20000)"
check "a header too large: 431" "$STATUS" 431
check "431 is a problem document" "$(header Content-Type)" application/problem+json
expect_not_html "a header too large"
req GET "/events/$ID" "" -H "Cookie: $(repeat c 9000)" -H "Cookie2: $(repeat c 9000)" \
  -H "X-A: $(repeat a 7000)" -H "X-B: $(repeat b 7000)" -H "X-C: $(repeat c 7000)"
check "many large headers: an error" "$([ "${STATUS:-0}" -ge 400 ] && echo yes)" yes
expect_not_html "many large headers"

raw 'POST /auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n'
check "an unknown transfer coding: 501" "$STATUS" 501
check "501 is a problem document" "$(header Content-Type)" application/problem+json
expect_not_html "an unknown transfer coding"
req GET /index.html "" -H "Range: bytes=99999999-"
check "a range beyond a static file: 416" "$STATUS" 416
check "416 is a problem document" "$(header Content-Type)" application/problem+json
expect_not_html "an unsatisfiable range"
# Query text that is not UTF-8 is the client's error, never a 500.
for path in "/events?q=%FF" "/events?venue=%C3" "/events?q=a%00b" "/events/$ID/seats?section=%FF" \
            "/events/$ID/seats?section=%ED%A0%80"; do
  req GET "$path"
  expect_problem 400 validation_failed
done

# HEAD of a GET route works and carries the same headers.
curl -s -I -D "$TMP/headers" -o /dev/null "$BASE/events/$ID" >/dev/null
check "HEAD /events/{id}" "$(head -n1 "$TMP/headers" | cut -d' ' -f2)" 200
expect_header Content-Type application/json

finish
