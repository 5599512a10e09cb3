# shellcheck shell=bash
# Function hosts, sourced by deploy/evently. A hosts file (deploy/hosts.conf
# documents the format) says which address runs which functions with how many
# workers. The roles of `up --role` and the `cluster` rehearsal use it
# (EVENTLY_HOSTS_FILE, else deploy/hosts.conf): every pool listens on TCP
# ADDRESS:PORT instead of a unix socket, and nginx's upstream for a function
# lists every address that runs it. Plain `up` keeps everything on this
# machine, on unix sockets.

HOSTS_FILE=""
use_hosts_file() { HOSTS_FILE=${EVENTLY_HOSTS_FILE:-$ROOT/deploy/hosts.conf}; }
FCGI_PORT_BASE=${EVENTLY_FCGI_PORT:-9000}
# A host that fails is left out for this long before nginx tries it again.
HOST_FAIL_TIMEOUT=${EVENTLY_HOST_FAIL_TIMEOUT:-2s}

# hosts_lines: the hosts file without comments and blank lines.
hosts_lines() {
  [ -f "$HOSTS_FILE" ] || die "hosts file $HOSTS_FILE not found"
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$HOSTS_FILE"
}

# host_addresses: every function host, in file order (host 1, host 2, ...).
host_addresses() { hosts_lines | awk '!seen[$1]++ {print $1}'; }

# fn_port FN: the TCP port of FN's pool, the same on every host: the base
# plus FN's place in functions/functions.list.
fn_port() {
  local i
  i=$(functions_list | grep -nx -- "$1" | cut -d: -f1)
  [ -n "$i" ] || die "unknown function $1"
  echo $((FCGI_PORT_BASE + i))
}

# host_pools ADDRESS: "FN WORKERS" for each function ADDRESS runs. "*" means
# every function; NAME:N sets N workers (else deploy/workers.conf decides);
# a named entry wins over "*".
host_pools() {
  local addr=$1 line spec fn n f
  local -A pools=() named=()
  local -a specs
  while read -r line; do
    read -ra specs <<<"$line"
    [ "${specs[0]}" = "$addr" ] || continue
    for spec in "${specs[@]:1}"; do
      fn=${spec%%:*}
      n=""
      [ "$spec" != "$fn" ] && n=${spec#*:}
      [ -z "$n" ] || [[ $n =~ ^[1-9][0-9]?$ ]] || die "$HOSTS_FILE: bad worker count in $spec (1..99)"
      if [ "$fn" = "*" ]; then
        for f in $(functions_list); do
          [ -n "${named[$f]:-}" ] || pools[$f]=${n:-$(workers_of "$f")}
        done
      else
        fn_port "$fn" >/dev/null
        pools[$fn]=${n:-$(workers_of "$fn")}
        named[$fn]=1
      fi
    done
  done < <(hosts_lines)
  for f in $(functions_list); do
    [ -n "${pools[$f]:-}" ] && echo "$f ${pools[$f]}"
  done
  return 0
}

# upstream_of FN: nginx's upstream block for FN: its unix socket, or every
# host that runs it, each left out for a while after a failure.
upstream_of() {
  local fn=$1 addr servers=""
  if [ -z "$HOSTS_FILE" ]; then
    echo "    upstream fn_$fn { server unix:$STATE/run/$fn.sock; }"
    return
  fi
  for addr in $(host_addresses); do
    # (Not through grep -q: under pipefail, its early exit fails the pipe.)
    if [[ $'\n'$(host_pools "$addr") == *$'\n'"$fn "* ]]; then
      servers+="        server $addr:$(fn_port "$fn") max_fails=1 fail_timeout=$HOST_FAIL_TIMEOUT;"$'\n'
    fi
  done
  [ -n "$servers" ] || die "$HOSTS_FILE: no host runs $fn"
  # zone: every nginx worker shares the round robin and the failure counts.
  printf '    upstream fn_%s {\n        zone fn_%s 64k;\n%s    }\n' "$fn" "$fn" "$servers"
}

# hosts_http_extra: http-level lines for a multi-host nginx: which requests
# may go to a second host, and a log of which host answered each request.
hosts_http_extra() {
  [ -n "$HOSTS_FILE" ] || return 0
  cat <<EOF
    # Idempotent requests may be passed on to another host when one fails:
    # GET and HEAD, and bookings and holds that carry an Idempotency-Key
    # (a repeat answers the first attempt's outcome). Nothing else is.
    map "\$request_method \$uri \$http_idempotency_key" \$evently_retry {
        default 0;
        "~^(GET|HEAD) " 1;
        "~^POST /(bookings|holds) [^ ]" 1;
    }
    # Time at the end, method, path, status, the hosts tried, their statuses,
    # and the request's duration (last: an address list has spaces).
    log_format evently_upstream '\$msec \$request_method \$uri \$status "\$upstream_addr" "\$upstream_status" \$request_time';
    access_log $STATE/logs/nginx-upstream.log evently_upstream buffer=64k flush=1s;
EOF
}

# hosts_route LOCATION BODY: the route's location(s). With hosts, an
# idempotent request is rewritten to an internal twin of the location that
# may pass it on to the next host; the original never does.
hosts_route() {
  local loc=$1 body=$2 twin
  if [ -z "$HOSTS_FILE" ]; then
    printf '        location %s {\n%s        }\n' "$loc" "$body"
    return
  fi
  if [[ $loc == '= '* ]]; then twin="= /_retry${loc#= }"; else twin="~ ^/_retry${loc#\~ ^}"; fi
  printf '        location %s {\n' "$loc"
  printf '            if ($evently_retry) {\n                set $evently_uri $uri;\n'
  printf '                rewrite ^ /_retry$uri last;\n            }\n'
  printf '            fastcgi_next_upstream off;\n            fastcgi_connect_timeout 2s;\n'
  printf '%s        }\n' "$body"
  printf '        location %s {\n            internal;\n' "$twin"
  printf '            fastcgi_next_upstream error timeout non_idempotent;\n'
  printf '            fastcgi_connect_timeout 2s;\n'
  # The function sees the path the client asked for.
  printf '%s        }\n' "${body//\/etc\/nginx\/fastcgi_params/$STATE/nginx/fastcgi_params_retry}"
}

# The twin's FastCGI parameters: Debian's, with the client's path.
hosts_fastcgi_params() {
  [ -n "$HOSTS_FILE" ] || return 0
  sed 's/\$document_uri/$evently_uri/' /etc/nginx/fastcgi_params >"$STATE/nginx/fastcgi_params_retry"
}

# start_host_pools ADDRESS: every pool ADDRESS runs, listening there, and the
# background processes (the offer maker and the sweeper: safe to run on every
# host).
start_host_pools() {
  local addr=$1 fn n b
  prepare_state
  stop_pools $(functions_list)
  while read -r fn n; do
    POOL_ADDRESS=$addr EVENTLY_WORKERS_OVERRIDE=$n start_pool "$fn"
  done < <(host_pools "$addr")
  for b in "${BACKGROUND[@]}"; do stop_background "$b"; start_background "$b"; done
}

# stop_host_background: a host's background processes.
stop_host_background() {
  local b
  for b in "${BACKGROUND[@]}"; do stop_background "$b"; done
}
