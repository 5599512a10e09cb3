# Shared by bench/run and bench/onsale (sourced after ROOT, BUILD, STATE,
# PORT, CEILING_PORT, USERS, BASE and OUT are set): the stack, the HTTP
# ceiling (nginx in front of an empty FastCGI worker), bench users with
# known tokens ('bt' and the user id, 43 characters), and the wrk and
# pgbench runners that append to OUT/results.txt and OUT/ceilings.txt.
log() { printf 'bench: %s\n' "$*" >&2; }

cleanup() {
  [ -f "$OUT/ceiling.pid" ] && kill "$(cat "$OUT/ceiling.pid")" 2>/dev/null || true
  [ -f "$OUT/ceiling-nginx.pid" ] && kill -QUIT "$(cat "$OUT/ceiling-nginx.pid")" 2>/dev/null || true
  "$ROOT/deploy/evently" down >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$ROOT/deploy/evently" up
cmake --build "$BUILD" --target evently_ceiling >/dev/null
PG_USER=$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)
PG_URL="postgresql:///evently?host=$STATE/run&port=$((PORT + 1000))&user=$PG_USER"
sql() { psql "$PG_URL" -v ON_ERROR_STOP=1 -qAtX "$@"; }

# --- the ceiling: nginx in front of a FastCGI worker that does nothing --------
rm -f "$OUT/ceiling.sock"
setsid spawn-fcgi -n -s "$OUT/ceiling.sock" -M 0666 -b 4096 -- /usr/bin/multiwatch -f 4 -- \
  "$BUILD/bench/evently_ceiling" >/dev/null 2>&1 &
echo $! >"$OUT/ceiling.pid"
mkdir -p "$OUT/nginx"
cat >"$OUT/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo "user root;")
worker_processes auto;
pid $OUT/ceiling-nginx.pid;
error_log $OUT/ceiling-nginx.log warn;
events { worker_connections 8192; }
http {
  access_log $OUT/ceiling-access.log combined buffer=64k flush=1s;
  client_body_temp_path $OUT/nginx; fastcgi_temp_path $OUT/nginx;
  proxy_temp_path $OUT/nginx; uwsgi_temp_path $OUT/nginx; scgi_temp_path $OUT/nginx;
  server {
    listen 127.0.0.1:$CEILING_PORT;
    location / { include /etc/nginx/fastcgi_params; fastcgi_pass unix:$OUT/ceiling.sock; }
  }
}
EOF
nginx -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" -e "$OUT/ceiling-nginx.log"

# --- seed -------------------------------------------------------------------------
log "seeding $USERS users with known tokens"
sql -v n="$USERS" <<'EOF'
INSERT INTO users (email, name, password_hash)
SELECT 'bench' || g || '@bench.invalid', 'Bench ' || g, 'not-a-login'
  FROM generate_series(1, :n) g
ON CONFLICT (email) DO NOTHING;
-- Tokens are 43 URL-safe characters, like real ones; only their hash is stored.
INSERT INTO sessions (token_hash, user_id, expires_at)
SELECT sha256(convert_to('bt' || lpad(id::text, 41, '0'), 'UTF8')), id, now() + interval '1 day'
  FROM users WHERE email LIKE 'bench%@bench.invalid'
ON CONFLICT (token_hash) DO NOTHING;
EOF
sql -c "SELECT 'bt' || lpad(id::text, 41, '0') FROM users WHERE email LIKE 'bench%@bench.invalid'" \
  >"$OUT/tokens.txt"
sql -c "SELECT id FROM users WHERE email LIKE 'bench%@bench.invalid' ORDER BY id" >"$OUT/user_ids.txt"

big_event() { # name [rows] -> id of a new event of rows x 500 seats (default 40: 20,000)
  sql -c "SELECT j->>'id' FROM create_event('$1', 'Bench Arena', '', now() + interval '30 days',
          '[{\"name\":\"Floor\",\"rows\":${2:-40},\"seats_per_row\":500,\"price_cents\":5000}]', 600) j"
}
SALE_ROWS=200  # flash-sale events: 100,000 seats, more than a run can book
first_seat() { sql -c "SELECT min(id) FROM seats WHERE event_id = $1"; }

WRK_THREADS=2
run_wrk() { # label script url conns -> appends "label|req/s|p50|p99|statuses"
  local label=$1 script=$2 url=$3 conns=$4 out
  [[ $script == /* ]] || script=$ROOT/bench/lua/$script
  out=$(wrk -t"$((conns < WRK_THREADS ? conns : WRK_THREADS))" -c"$conns" -d"${DURATION}s" --latency \
        -s "$script" "$url")
  local rps p50 p99 st
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '/^LATENCY/ {sub("p50=","",$2); print $2}' <<<"$out")
  p99=$(awk '/^LATENCY/ {sub("p99=","",$3); print $3}' <<<"$out")
  st=$(awk '/^STATUSES/ {$1=""; print substr($0,2)}' <<<"$out")
  echo "$label|$rps|$p50|$p99|$st" >>"$OUT/results.txt"
  log "$label: $rps req/s, p50 ${p50} ms, p99 ${p99} ms, statuses $st"
}

run_pgbench() { # label script conns -> appends "label|tps"
  local label=$1 script=$2 conns=$3 tps
  tps=$(pgbench "$PG_URL" -n -M prepared -c "$conns" -j 2 -T "$DURATION" -f "$script" 2>"$OUT/pgbench.err" |
        awk '/^tps/ {print $3; exit}') || log "$label failed: $(tail -n 3 "$OUT/pgbench.err")"
  echo "$label|$tps" >>"$OUT/ceilings.txt"
  log "$label: $tps tps"
}


# --- helpers for bench/compare and bench/scaling ------------------------------------
# Fields of a row of OUT/results.txt, by its label.
rate_of() { awk -F'|' -v l="$1" '$1 == l {v = $2} END {print v}' "$OUT/results.txt"; }
p50_of() { awk -F'|' -v l="$1" '$1 == l {v = $3} END {print v}' "$OUT/results.txt"; }
p99_of() { awk -F'|' -v l="$1" '$1 == l {v = $4} END {print v}' "$OUT/results.txt"; }
statuses_of() { awk -F'|' -v l="$1" '$1 == l {v = $5} END {print v}' "$OUT/results.txt"; }
ratio() { # a b -> a/b to two decimals, or "—" when either is missing or b is 0
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "—"; else printf (a / b < 0.1 ? "%.3f" : "%.2f"), a / b }'
}
replace_results_section() { # heading file: put file in bench/RESULTS.md in place of the
  # section that starts with heading (up to the next "## "), or append it.
  local heading=$1 file=$2 results=$ROOT/bench/RESULTS.md
  [ -f "$results" ] || : >"$results"
  awk -v h="$heading" -v f="$file" '
    function emit() { if (!done) { while ((getline line < f) > 0) print line; close(f); done = 1 } }
    $0 == h { skip = 1; emit(); next }
    skip && /^## / { skip = 0; print "" }
    !skip { print }
    END { if (!done) { print ""; emit() } }' "$results" >"$results.new"
  mv "$results.new" "$results"
}
