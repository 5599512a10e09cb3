# shellcheck shell=bash
# One machine's part of a multi-machine layout (docs/operations.md), sourced
# by deploy/evently: `up --role gateway|functions|db`. The database role is
# a pg_auto_failover node: its monitor, or a PostgreSQL server that the
# monitor makes primary or synchronous standby and promotes when the primary
# dies. Failover is pg_auto_failover's; this file only starts it.

# pg_autoctl as the PostgreSQL account, its files under DIR (the node's
# state directory) rather than in the account's home.
as_pgaf() { # DIR COMMAND...
  local dir=$1
  shift
  as_pg env PATH="$PG_BIN:$PATH" XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/share" \
    XDG_RUNTIME_DIR="$dir/rt" "$@"
}

# pgaf_dirs DIR: a node's state directory, owned by the PostgreSQL account.
pgaf_dirs() {
  mkdir -p "$1"/{config,share,rt,logs}
  if [ "$(id -u)" -eq 0 ]; then
    # The PostgreSQL account reaches it through the application group (it
    # is a member), never through world-traversable parents.
    ensure_accounts
    local d
    d=$(dirname "$1")
    while [ "$d" != / ] && ! runuser -u postgres -- test -x "$d"; do
      chgrp "$APP_USER" "$d" && chmod g+x "$d"
      d=$(dirname "$d")
    done
    chown postgres: "$1" "$1"/{config,share,rt,logs}
  fi
}

# Settings every node of ours gets after pg_autoctl's own (later lines win):
# pg_autoctl sizes memory for a machine of its own.
pgaf_tune() { # PGDATA
  as_pg tee -a "$1/postgresql.conf" >/dev/null <<EOF
# Evently
shared_buffers = ${EVENTLY_PG_SHARED_BUFFERS:-512MB}
effective_cache_size = 4GB
max_connections = 300
max_wal_size = 4GB
wal_keep_size = '1GB'
log_min_duration_statement = 1000
jit = off
EOF
}

# pgaf_pid DIR PGDATA: the pid of the node's pg_autoctl, if it runs.
pgaf_pid() {
  local f="$1/rt/pg_autoctl$2/pg_autoctl.pid" pid
  [ -f "$f" ] || return 1
  pid=$(head -n1 "$f")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# pgaf_run DIR PGDATA: runs the node's pg_autoctl in the background, in a
# session of its own; it starts and supervises PostgreSQL.
pgaf_run() {
  local dir=$1 pgdata=$2
  pgaf_pid "$dir" "$pgdata" >/dev/null && return 0
  as_pgaf "$dir" setsid pg_autoctl run --pgdata "$pgdata" </dev/null >>"$dir/logs/pg_autoctl.log" 2>&1 &
  for _ in $(seq 100); do pgaf_pid "$dir" "$pgdata" >/dev/null && return 0; sleep 0.1; done
  die "pg_autoctl did not start (see $dir/logs/pg_autoctl.log)"
}

# pgaf_stop DIR PGDATA: stops the node (PostgreSQL too), whatever state it is in.
pgaf_stop() {
  local dir=$1 pgdata=$2
  if pgaf_pid "$dir" "$pgdata" >/dev/null; then
    as_pgaf "$dir" pg_autoctl stop --pgdata "$pgdata" >/dev/null 2>&1 || true
    for _ in $(seq 150); do pgaf_pid "$dir" "$pgdata" >/dev/null || break; sleep 0.1; done
  fi
  if [ -f "$pgdata/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

# pgaf_kill DIR PGDATA: SIGKILL to the node's every process (pg_autoctl, the
# postmaster, its backends), as when its machine dies.
pgaf_kill() {
  local pid pgid
  pid=$(pgaf_pid "$1" "$2") || return 0
  pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
  [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null
  # A postmaster outside that group (started before) dies too.
  [ -f "$2/postmaster.pid" ] && kill -KILL "$(head -n1 "$2/postmaster.pid")" 2>/dev/null
  return 0
}

# The monitor's failure detection, tuned for a failover within seconds: a
# node is unhealthy after 2 s without a report and a failed health check; the
# old primary gets 1 s to confirm its demotion. Synchronous replication keeps
# this safe: a primary cut off from its standby cannot commit alone.
pgaf_monitor_settings() {
  cat <<'EOF'
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 2000
pgautofailover.primary_demote_timeout = 1000
EOF
}

# pgaf_create_monitor DIR PGDATA HOSTNAME PORT AUTH [LISTEN]
pgaf_create_monitor() {
  local dir=$1 pgdata=$2 host=$3 port=$4 auth=$5 listen=${6:-}
  pgaf_dirs "$dir"
  [ -f "$pgdata/PG_VERSION" ] && return 0
  log "creating the failover monitor in $pgdata"
  as_pgaf "$dir" pg_autoctl create monitor --pgdata "$pgdata" --pgport "$port" --hostname "$host" \
    --auth "$auth" $PGAF_SSL >>"$dir/logs/pg_autoctl.log" 2>&1 ||
    die "pg_autoctl create monitor failed (see $dir/logs/pg_autoctl.log)"
  { pgaf_monitor_settings; [ -n "$listen" ] && echo "listen_addresses = '$listen'"; } |
    as_pg tee -a "$pgdata/postgresql.conf" >/dev/null
}

# pgaf_create_node DIR PGDATA NAME HOSTNAME PORT MONITOR_URL AUTH [LISTEN]:
# the first node becomes the primary (and creates the database), the next a
# synchronous standby cloned from it.
pgaf_create_node() {
  local dir=$1 pgdata=$2 name=$3 host=$4 port=$5 monitor=$6 auth=$7 listen=${8:-}
  pgaf_dirs "$dir"
  [ -f "$pgdata/PG_VERSION" ] && return 0
  log "creating database node $name in $pgdata"
  as_pgaf "$dir" pg_autoctl create postgres --pgdata "$pgdata" --pgport "$port" --name "$name" \
    --hostname "$host" ${listen:+--listen "$listen"} --dbname evently --monitor "$monitor" \
    --auth "$auth" $PGAF_SSL --replication-quorum true >>"$dir/logs/pg_autoctl.log" 2>&1 ||
    die "pg_autoctl create postgres failed (see $dir/logs/pg_autoctl.log)"
  # A standby is a copy of the primary's files: tuned once, on the first.
  grep -q '^# Evently$' "$pgdata/postgresql.conf" || pgaf_tune "$pgdata"
}

# pgaf_states MONITOR_URL: "name:state" of every node, as the monitor sees it.
pgaf_states() {
  psql "$1" -qAtX -c "SELECT string_agg(nodename || ':' || reportedstate, ' ' ORDER BY nodeid)
                        FROM pgautofailover.node" 2>/dev/null
}

# pgaf_wait_states MONITOR_URL SECONDS REGEX: until the states match.
pgaf_wait_states() {
  local s=""
  for _ in $(seq $(($2 * 5))); do
    s=$(pgaf_states "$1")
    [[ $s =~ $3 ]] && return 0
    sleep 0.2
  done
  die "the database nodes did not reach $3 in $2 s (now: ${s:-no answer})"
}

# --- up --role ---------------------------------------------------------------------

# gateway: nginx in front of every host of the hosts file.
# functions: this machine's pools from the hosts file (EVENTLY_HOST_ADDRESS),
#   reaching the database by DATABASE_URL (every database server, with
#   target_session_attrs=read-write); applies migrations and the admin.
# db: a pg_auto_failover node: the monitor (EVENTLY_DB_NODE=monitor) or a
#   PostgreSQL server joining EVENTLY_MONITOR_URL.
cmd_up_role() {
  local role=$1
  mkdir -p "$STATE/run" "$STATE/logs"
  case "$role" in
    gateway)
      use_hosts_file
      install_packages
      start_nginx
      wait_healthy
      log "gateway up: http://$LISTEN:$PORT"
      ;;
    functions)
      use_hosts_file
      [ -n "${DATABASE_URL:-}" ] || die "the functions role needs DATABASE_URL (every database server)"
      local addr=${EVENTLY_HOST_ADDRESS:-}
      [ -n "$addr" ] || die "set EVENTLY_HOST_ADDRESS to this machine's address in $HOSTS_FILE"
      [ -n "$(host_pools "$addr")" ] || die "$HOSTS_FILE runs nothing on $addr"
      install_packages
      build
      # Every functions host must be given the same EVENTLY_SECRET.
      prepare_state
      load_secrets
      migrate
      ensure_admin
      start_host_pools "$addr"
      log "functions up on $addr: $(host_pools "$addr" | wc -l) pools"
      ;;
    db)
      install_packages
      local host=${EVENTLY_DB_HOSTNAME:?set EVENTLY_DB_HOSTNAME (the address other machines reach)}
      local auth=${EVENTLY_DB_AUTH:-scram-sha-256} dir=$STATE/db
      PGAF_SSL=${PGAF_SSL:---ssl-self-signed}
      if [ "${EVENTLY_DB_NODE:-}" = monitor ]; then
        pgaf_create_monitor "$dir" "$dir/pgdata" "$host" "$PG_PORT" "$auth" "${EVENTLY_DB_LISTEN:-}"
      else
        local monitor=${EVENTLY_MONITOR_URL:?set EVENTLY_MONITOR_URL (pg_autoctl show uri on the monitor)}
        pgaf_create_node "$dir" "$dir/pgdata" "${EVENTLY_DB_NAME:-$(hostname -s)}" "$host" "$PG_PORT" \
          "$monitor" "$auth" "${EVENTLY_DB_LISTEN:-}"
      fi
      pgaf_run "$dir" "$dir/pgdata"
      log "database node up ($dir/pgdata); see: pg_autoctl show state"
      ;;
    *) die "usage: deploy/evently up --role gateway|functions|db" ;;
  esac
}
