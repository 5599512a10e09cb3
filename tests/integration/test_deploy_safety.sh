#!/usr/bin/env bash
# deploy/evently on a brand-new state directory of its own (a second,
# throwaway stack): the admin password is generated, printed once and kept
# 0600, never the README's old default; the migrations are recorded with
# their checksums, and an applied file whose text changed stops `migrate`
# and `up` (checksums missing from older databases are filled in).
source "$(dirname "$0")/lib.sh"

T=$(dirname "$EVENTLY_TEST_STATE")/deploy-safety-$$
mkdir -p "$T"
cp -r "$ROOT/sql" "$T/sql"
# Ports nobody listens on, like stack.sh's.
P=""
for i in $(seq 0 899); do
  p=$((19080 + (RANDOM + i) % 900))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1000))") 2>/dev/null; then
    P=$p
    break
  fi
done
check "a free port" "$([ -n "$P" ] && echo yes)" yes
evently() {
  env -u EVENTLY_ADMIN_PASSWORD -u EVENTLY_SECRET EVENTLY_STATE_DIR="$T/state" EVENTLY_SQL_DIR="$T/sql" \
    EVENTLY_PORT="$P" EVENTLY_PG_PORT=$((P + 1000)) EVENTLY_WORKERS_DEFAULT=1 EVENTLY_SKIP_INSTALL=1 \
    EVENTLY_SKIP_BUILD=1 EVENTLY_ADMIN_EMAIL=admin@safety.test "$ROOT/deploy/evently" "$@"
}
trap 'evently down >/dev/null 2>&1; rm -rf "$T" "$TMP"' EXIT
T_PG="postgresql:///evently?host=$T/state/run&port=$((P + 1000))&user=$( [ "$(id -u)" -eq 0 ] && echo postgres || id -un)"
t_psql() { psql "$T_PG" -qAtX -c "$1"; }
t_login() { # PASSWORD: the status of the admin's login
  curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"admin@safety.test\",\"password\":\"$1\"}" "http://127.0.0.1:$P/auth/login"
}

# --- secrets ---------------------------------------------------------------------------

evently up 2>"$T/up-1.log" >/dev/null
check "up on a new state directory" "$?" 0
PASSWORD=$(sed -n 's/.*admin admin@safety.test: password \([^ ]*\) (shown once.*/\1/p' "$T/up-1.log")
check "up prints the generated admin password" "$([ "${#PASSWORD}" -ge 16 ] && echo yes)" yes
check "the secrets file is 0600" "$(stat -c %a "$T/state/secrets")" 600
check "the secrets file keeps that password" "$(grep -c "^EVENTLY_ADMIN_PASSWORD=$PASSWORD\$" "$T/state/secrets")" 1
check "the admin logs in with it" "$(t_login "$PASSWORD")" 200
check "never with the README's old default" "$(t_login evently-admin)" 401
check "every migration is recorded with its sha256" \
  "$(t_psql "SELECT count(*) FROM schema_migrations WHERE sha256 ~ '^[0-9a-f]{64}$'")" "$(ls "$T/sql"/[0-9]*.sql | wc -l)"

# Without EVENTLY_AUTH_RATE_LIMIT, one address may log in as often as it likes
# (only the per-email throttle counts failures).
codes=""
for _ in 1 2 3 4 5 6; do codes+="$(t_login "$PASSWORD") "; done
check "no per-client login limit by default" "$codes" "200 200 200 200 200 200 "

# The second up, with per-client limits of the account endpoints on.
EVENTLY_AUTH_RATE_LIMIT=1 EVENTLY_AUTH_BURST=2 evently up 2>"$T/up-2.log" >/dev/null
check "a second up" "$?" 0
check "the password is printed once only" "$(grep -c 'password' "$T/up-2.log")" 0
check "and stays the same" "$(t_login "$PASSWORD")" 200
codes=""
for _ in 1 2 3 4 5 6; do codes+="$(t_login "$PASSWORD") "; done
# 1 a minute with a burst of 2: of 7 logins in a row, only the first few get through.
refused=$(grep -o 429 <<<"$codes" | wc -l)
check "EVENTLY_AUTH_RATE_LIMIT limits one address ($codes)" "$([ "$refused" -ge 3 ] && echo yes)" yes
body=$(curl -s -H 'Content-Type: application/json' --data-binary '{"email":"a@b.cd","password":"x"}' \
  "http://127.0.0.1:$P/auth/login")
check "as rate_limited" "$(jq -r .code <<<"$body")" rate_limited
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/health")
check "other routes are not limited" "$status" 200

# --- an edited migration stops migrate and up ------------------------------------------

echo "-- edited after it was applied" >>"$T/sql/002_create_functions.sql"
evently migrate 2>"$T/migrate.log" >/dev/null
check "migrate refuses an edited migration" "$?" 1
check "and names it" "$(grep -c '002_create_functions' "$T/migrate.log")" 1
evently up 2>"$T/up-3.log" >/dev/null
check "up refuses an edited migration" "$?" 1
check "and names it too" "$(grep -c '002_create_functions' "$T/up-3.log")" 1
# A new file is how a fix goes forward.
cp "$ROOT/sql/002_create_functions.sql" "$T/sql/002_create_functions.sql"
echo "SELECT 1;" >"$T/sql/999_fix_forward.sql"
evently migrate 2>"$T/migrate-2.log" >/dev/null
check "the restored file and a new one migrate" "$?" 0
check "the new file is applied" "$(t_psql "SELECT count(*) FROM schema_migrations WHERE version = '999_fix_forward'")" 1

# A database from before checksums: they are filled from the files on the
# next run, and then guard them.
t_psql "UPDATE schema_migrations SET sha256 = NULL" >/dev/null
evently migrate 2>/dev/null >/dev/null
check "missing checksums are filled in" "$(t_psql "SELECT count(*) FROM schema_migrations WHERE sha256 IS NULL")" 0
check "with the files' own" "$(t_psql "SELECT sha256 FROM schema_migrations WHERE version = '001_create_schema'")" \
  "$(sha256sum "$T/sql/001_create_schema.sql" | cut -d' ' -f1)"

finish
