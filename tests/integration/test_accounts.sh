#!/usr/bin/env bash
# Accounts: register, login, logout and /me — validation bounds, e-mail
# case rules, the same answer for a wrong e-mail and a wrong password, token
# revocation and expiry, and a User that never shows a password or hash.
source "$(dirname "$0")/lib.sh"

TAG=$(new_tag)
USER_KEYS='["created_at","email","id","name","role"]'
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3,6}Z$'

register() { # register EMAIL PASSWORD NAME (JSON-escaped by jq)
  TOKEN=""
  req POST /auth/register "$(jq -nc --arg e "$1" --arg p "$2" --arg n "$3" \
    '{email: $e, password: $p, name: $n}')"
}
login() { # login EMAIL PASSWORD
  TOKEN=""
  req POST /auth/login "$(jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p}')"
}

# --- register --------------------------------------------------------------------

EMAIL="$TAG.Mixed@Example.COM"
LOWER="$TAG.mixed@example.com"
register "$EMAIL" "password-123" "Ada Lovelace"
expect_status 201 "register"
expect_header Content-Type application/json
expect_json 'keys' "$USER_KEYS" "User has exactly id, email, name, role, created_at"
expect_json .email "\"$LOWER\"" "email stored lower-cased"
expect_json .name '"Ada Lovelace"'
expect_json .role '"user"'
expect_true "id is a positive integer" '.id | type == "number" and . >= 1 and floor == .'
check "created_at has fractional seconds and ends in Z" \
  "$(jq -r .created_at <<<"$BODY" | grep -Ec "$TIME_RE")" 1
REGISTERED=$BODY
USER_ID=$(json .id)
check "no password or hash anywhere in the User" "$(grep -ci -e password -e argon -e hash <<<"$BODY")" 0

check "stored e-mail is lower-cased" "$(psql_q "SELECT email FROM users WHERE id = $USER_ID")" "$LOWER"
check "password stored as an argon2id hash" \
  "$(psql_q "SELECT password_hash LIKE '\$argon2id\$%' FROM users WHERE id = $USER_ID")" t
# created_at is the recorded time, truncated (never rounded up) to what is shown.
DB_CREATED=$(psql_q "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM users WHERE id = $USER_ID")
SHOWN=$(jq -r .created_at <<<"$REGISTERED")
SHOWN=${SHOWN%Z}
check "created_at is the recorded time, not rounded" "${DB_CREATED:0:${#SHOWN}}" "$SHOWN"

register "$LOWER" "password-123" "Someone Else"
expect_problem 409 email_taken
register "${EMAIL^^}" "password-123" "Someone Else"
expect_problem 409 email_taken
check "one account for the e-mail" "$(psql_q "SELECT count(*) FROM users WHERE email = '$LOWER'")" 1

# e-mail
for bad in "" "plainaddress" "no-domain@" "@example.com" "a@b" "two@@example.com" \
           "sp ace@example.com" "dot@.example.com" "dot@example.com." "dots@example..com"; do
  register "$bad" "password-123" "Bad Email"
  expect_invalid email
done
TOKEN=""
req POST /auth/register '{"password":"password-123","name":"No Email"}'
expect_invalid email
req POST /auth/register '{"email":42,"password":"password-123","name":"Number Email"}'
expect_invalid email

# password: 8..128 characters (characters, not bytes)
register "$TAG.p7@example.com" "$(repeat x 7)" "Short"
expect_invalid password
register "$TAG.p8@example.com" "$(repeat x 8)" "Eight"
expect_status 201 "password of 8 characters"
register "$TAG.p128@example.com" "$(repeat x 128)" "Long"
expect_status 201 "password of 128 characters"
register "$TAG.p129@example.com" "$(repeat x 129)" "Too Long"
expect_invalid password
register "$TAG.pu8@example.com" "$(repeat é 8)" "Unicode"
expect_status 201 "password of 8 two-byte characters"
register "$TAG.pu7@example.com" "$(repeat é 7)" "Unicode"
expect_invalid password
req POST /auth/register "{\"email\":\"$TAG.pnum@example.com\",\"password\":12345678,\"name\":\"N\"}"
expect_invalid password
req POST /auth/register "{\"email\":\"$TAG.pnone@example.com\",\"name\":\"N\"}"
expect_invalid password

# name: 1..100 characters
register "$TAG.n0@example.com" "password-123" ""
expect_invalid name
register "$TAG.n100@example.com" "password-123" "$(repeat n 100)"
expect_status 201 "name of 100 characters"
register "$TAG.nu100@example.com" "password-123" "$(repeat ü 100)"
expect_status 201 "name of 100 two-byte characters"
expect_json .name "\"$(repeat ü 100)\"" "a Unicode name round-trips"
register "$TAG.n101@example.com" "password-123" "$(repeat n 101)"
expect_invalid name
req POST /auth/register "{\"email\":\"$TAG.nnull@example.com\",\"password\":\"password-123\",\"name\":null}"
expect_invalid name
req POST /auth/register "{\"email\":\"$TAG.nnone@example.com\",\"password\":\"password-123\"}"
expect_invalid name

# Every offending field is listed; nothing is created.
req POST /auth/register "{\"email\":\"$TAG.multi\",\"password\":\"short\",\"name\":\"\"}"
expect_problem 400 validation_failed
expect_json '[.errors[].field] | sort' '["email","name","password"]' "errors list every offending field"
expect_true "every error has a message" '[.errors[].message | type == "string" and length > 0] | all'
check "a rejected registration creates nothing" \
  "$(psql_q "SELECT count(*) FROM users WHERE email LIKE '$TAG.%' AND email NOT IN ('$LOWER')
             AND email NOT LIKE '$TAG.p8@%' AND email NOT LIKE '$TAG.p128@%'
             AND email NOT LIKE '$TAG.pu8@%' AND email NOT LIKE '$TAG.n100@%' AND email NOT LIKE '$TAG.nu100@%'")" 0

# Unknown fields are ignored; a role in the body does not make an admin.
req POST /auth/register "{\"email\":\"$TAG.extra@example.com\",\"password\":\"password-123\",\"name\":\"Extra\",\"role\":\"admin\",\"x\":[1]}"
expect_status 201 "unknown fields ignored"
expect_json .role '"user"' "role cannot be chosen at registration"

# --- login ---------------------------------------------------------------------------

login "$LOWER" "password-123"
expect_status 200 "login"
expect_header Content-Type application/json
expect_json 'keys' '["expires_at","token","token_type","user"]'
expect_json .token_type '"Bearer"'
expect_true "token is a non-empty string" '.token | type == "string" and length >= 32'
expect_json .user "$(jq -c . <<<"$REGISTERED")" "login's user is the registered User"
check "expires_at is RFC 3339 UTC" "$(jq -r .expires_at <<<"$BODY" | grep -Ec "$TIME_RE")" 1
EXPIRES=$(date -d "$(jq -r .expires_at <<<"$BODY")" +%s)
NOW=$(date +%s)
check "token lives 24 h" "$(( EXPIRES > NOW + 86400 - 120 && EXPIRES <= NOW + 86400 + 120 ))" 1
TOKEN1=$(jq -r .token <<<"$BODY")

login "$EMAIL" "password-123"
expect_status 200 "login with the e-mail in another case"
TOKEN2=$(jq -r .token <<<"$BODY")
check "each login gets its own token" "$([ "$TOKEN1" != "$TOKEN2" ] && echo yes)" yes
login "${LOWER^^}" "password-123"
expect_status 200 "login with an upper-case e-mail"
TOKEN3=$(jq -r .token <<<"$BODY")

login "$LOWER" "password-124"
expect_problem 401 invalid_credentials
WRONG_PASSWORD=$BODY
login "$TAG.nobody@example.com" "password-123"
expect_problem 401 invalid_credentials
check "wrong e-mail and wrong password get the same body" "$BODY" "$WRONG_PASSWORD"
login "$LOWER" "PASSWORD-123"
expect_problem 401 invalid_credentials
check "passwords are case-sensitive" "$BODY" "$WRONG_PASSWORD"

TOKEN=""
req POST /auth/login "{\"email\":\"$LOWER\"}"
expect_invalid password
req POST /auth/login '{"password":"password-123"}'
expect_invalid email
req POST /auth/login '["x"]'
expect_problem 400 validation_failed

admin_login
expect_status 200 "admin login"
expect_json .user.role '"admin"'
expect_json .user.email "\"$ADMIN_EMAIL\""

# --- /me ---------------------------------------------------------------------------------

TOKEN=$TOKEN1
req GET /me
expect_status 200 "/me"
expect_header Content-Type application/json
expect_json . "$(jq -c . <<<"$REGISTERED")" "/me is the registered User"
TOKEN=""
req GET /me "" -H "Authorization: bearer $TOKEN1"
expect_status 200 "the auth scheme is case-insensitive"

expect_unauthorized() { # expect_unauthorized DESCRIPTION: 401 unauthorized with the challenge
  expect_problem 401 unauthorized
  check "$1: WWW-Authenticate" "$(header WWW-Authenticate)" Bearer
}
TOKEN=""
req GET /me
expect_unauthorized "no token"
for auth in "Bearer" "Bearer " "Bearer x" "Basic dXNlcjpwYXNz" "Token $TOKEN1" "$TOKEN1" \
            "Bearer ${TOKEN1}x" "Bearer ${TOKEN1:1}" "Bearer  $TOKEN1" "Bearer ${TOKEN1:0:42}!"; do
  req GET /me "" -H "Authorization: $auth"
  expect_unauthorized "Authorization: $auth"
done
# Well-formed but never issued.
req GET /me "" -H "Authorization: Bearer $(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
expect_unauthorized "unknown token"

# --- logout ------------------------------------------------------------------------------

TOKEN=$TOKEN1
req POST /auth/logout
expect_status 204 "logout"
check "logout has no body" "$BODY" ""
req GET /me
expect_unauthorized "a logged-out token"
req POST /auth/logout
expect_unauthorized "logging out twice"
TOKEN=$TOKEN2
req GET /me
expect_status 200 "another session of the same user still works"
TOKEN=""
req POST /auth/logout
expect_unauthorized "logout without a token"
req POST /auth/logout "" -H "Authorization: Bearer nonsense"
expect_unauthorized "logout with a malformed token"

# An expired token is refused like a revoked one.
check "one session expired by hand" "$(psql_q "UPDATE sessions SET expires_at = now() - interval '1 second'
  WHERE user_id = $USER_ID AND token_hash = sha256(convert_to('$TOKEN3', 'UTF8')) RETURNING 1")" 1
TOKEN=$TOKEN3
req GET /me
expect_unauthorized "an expired token"
TOKEN=$TOKEN2
req GET /me
expect_status 200 "expiring one token leaves the others"

finish
