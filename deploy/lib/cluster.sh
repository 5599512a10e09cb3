# shellcheck shell=bash
# The local rehearsal of the multi-machine layout, sourced by deploy/evently:
#   cluster up            two function hosts (the addresses of deploy/hosts.conf,
#                         127.0.0.11 and 127.0.0.12, each with its own pools and
#                         state), the pg_auto_failover monitor, a primary and a
#                         synchronous standby, one nginx on EVENTLY_PORT; returns
#                         once /health answers through nginx
#   cluster status        hosts, nginx and the database nodes
#   cluster kill-host N   SIGKILL every process of function host N
#   cluster fail-primary  SIGKILL the primary's server (pg_autoctl, postmaster)
#   cluster rejoin        restart what was killed: hosts, and a dead database
#                         node, which rejoins as a standby (pg_rewind or a
#                         new clone, pg_auto_failover's choice)
#   cluster down          stop everything (data kept); works after any kill
# Loopback only: PostgreSQL on 127.0.0.1, ports EVENTLY_PG_PORT (monitor) and
# the next two (nodes 1 and 2); pools on EVENTLY_FCGI_PORT and up.

CLUSTER_DIR=${EVENTLY_CLUSTER_DIR:-$STATE/cluster}

cluster_port() { echo $((PG_PORT + $1)); }  # 0 monitor, 1 and 2 the nodes
cluster_node_dir() { echo "$CLUSTER_DIR/db$1"; }
cluster_monitor_url() { echo "postgres://autoctl_node@127.0.0.1:$(cluster_port 0)/pg_auto_failover?sslmode=disable"; }
# The monitor's own database, for reading node states.
cluster_monitor_admin() { echo "host=127.0.0.1 port=$(cluster_port 0) dbname=pg_auto_failover user=$(pg_user)"; }

# Workers reach whichever node is primary; reads that may lag prefer a standby.
cluster_db_url() {
  echo "host=127.0.0.1,127.0.0.1 port=$(cluster_port 1),$(cluster_port 2) dbname=evently user=$(pg_user) target_session_attrs=$1"
}

cluster_host_state() { echo "$CLUSTER_DIR/host$1"; }
cluster_address() { # N: host N's address, the Nth of the hosts file
  local a
  a=$(host_addresses | sed -n "${1}p")
  [ -n "$a" ] || die "no function host $1 in $HOSTS_FILE"
  [[ $a == 127.* ]] || die "the rehearsal uses loopback addresses only ($HOSTS_FILE has $a)"
  echo "$a"
}

# In a subshell: this machine's globals pointed at one part of the cluster.
cluster_as_host() { # N COMMAND...
  local n=$1
  shift
  (
    STATE=$(cluster_host_state "$n")
    DATABASE_URL=$(cluster_db_url read-write)
    export DATABASE_READ_URL
    DATABASE_READ_URL=$(cluster_db_url prefer-standby)
    "$@"
  )
}
cluster_as_gateway() { (STATE=$CLUSTER_DIR/gateway; prepare_state; "$@"); }

cluster_db_up() {
  PGAF_SSL=--no-ssl
  mkdir -p "$CLUSTER_DIR"
  pgaf_create_monitor "$CLUSTER_DIR/monitor" "$CLUSTER_DIR/monitor/pgdata" 127.0.0.1 \
    "$(cluster_port 0)" trust 127.0.0.1
  pgaf_run "$CLUSTER_DIR/monitor" "$CLUSTER_DIR/monitor/pgdata"
  for _ in $(seq 100); do
    psql "$(cluster_monitor_admin)" -qAtX -c 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.2
  done
  local i dir fresh
  for i in 1 2; do
    dir=$(cluster_node_dir "$i")
    fresh=0
    [ -f "$dir/pgdata/PG_VERSION" ] || fresh=1
    pgaf_create_node "$dir" "$dir/pgdata" "db$i" 127.0.0.1 "$(cluster_port "$i")" \
      "$(cluster_monitor_url)" trust 127.0.0.1
    pgaf_run "$dir" "$dir/pgdata"
    # A new standby clones the primary: a new primary must be up first.
    [ "$i$fresh" = 11 ] && pgaf_wait_states "$(cluster_monitor_admin)" 120 '(single|primary|wait_primary)'
  done
  cluster_wait_ready 180
}

# cluster_wait_ready SECONDS: until the monitor has a primary and a standby
# and the primary really streams to it (the monitor's states alone may be
# the ones recorded before a restart). A node that cannot be rewound is
# cloned afresh, and the clone waits for the primary's next checkpoint,
# spread over minutes unless one is asked for at once: asked for every few
# seconds meanwhile.
cluster_wait_ready() {
  local states="" streaming="" i want='^db[12]:(primary db[12]:secondary|secondary db[12]:primary)$'
  for i in $(seq "$1"); do
    states=$(pgaf_states "$(cluster_monitor_admin)")
    streaming=$(psql "$(cluster_db_url read-write) connect_timeout=2" -qAtX -c \
      "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null) || true
    [[ $states =~ $want ]] && [ "${streaming:-0}" -ge 1 ] && return 0
    [ $((i % 5)) = 0 ] && psql "$(cluster_db_url read-write) connect_timeout=2" -qAtX -c CHECKPOINT \
      >/dev/null 2>&1
    sleep 1
  done
  die "no primary streaming to a standby after $1 s (nodes: ${states:-no answer})"
}

cluster_up() {
  install_packages
  build
  # One secret for every host: a cursor or admission token made on one is
  # checked on the other.
  prepare_state
  load_secrets
  use_hosts_file
  cluster_db_up
  DATABASE_URL=$(cluster_db_url read-write) migrate
  DATABASE_URL=$(cluster_db_url read-write) ensure_admin
  local n
  for n in $(seq "$(host_addresses | wc -l)"); do
    cluster_as_host "$n" start_host_pools "$(cluster_address "$n")"
  done
  cluster_as_gateway start_nginx
  cluster_as_gateway wait_healthy
  log "cluster up: http://$LISTEN:$PORT ($(host_addresses | wc -l) function hosts; $(pgaf_states "$(cluster_monitor_admin)"))"
}

# cluster_kill_host N: SIGKILL to every process of the host (each pool and
# the offer maker run in a session of their own).
cluster_kill_host() {
  local n=${1:?usage: cluster kill-host N} dir f pid
  use_hosts_file
  cluster_address "$n" >/dev/null
  dir=$(cluster_host_state "$n")
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  log "host $n killed"
}

# cluster_primary: the number (1 or 2) of the node the monitor has as primary.
cluster_primary() {
  psql "$(cluster_monitor_admin)" -qAtX -c \
    "SELECT substr(nodename, 3) FROM pgautofailover.node
      WHERE reportedstate IN ('primary', 'wait_primary', 'single') ORDER BY nodeid LIMIT 1"
}

cluster_fail_primary() {
  local n
  n=$(cluster_primary) || true
  [ -n "$n" ] || die "no primary to fail"
  pgaf_kill "$(cluster_node_dir "$n")" "$(cluster_node_dir "$n")/pgdata"
  log "primary db$n killed"
}

# Restarts whatever is not running; a database node that was primary comes
# back as the standby of the one promoted meanwhile.
cluster_rejoin() {
  use_hosts_file
  local i dir n fn pidf missing
  for i in 1 2; do
    dir=$(cluster_node_dir "$i")
    pgaf_pid "$dir" "$dir/pgdata" >/dev/null || { log "db$i rejoins"; pgaf_run "$dir" "$dir/pgdata"; }
  done
  for n in $(seq "$(host_addresses | wc -l)"); do
    missing=0
    for fn in $(functions_list); do
      pidf=$(cluster_host_state "$n")/run/$fn.pid
      [ -f "$pidf" ] && ! pid_alive "$pidf" && missing=1
    done
    if [ "$missing" = 1 ]; then
      log "host $n restarts"
      cluster_as_host "$n" start_host_pools "$(cluster_address "$n")"
    fi
  done
  cluster_wait_ready 120
  log "rejoined: $(pgaf_states "$(cluster_monitor_admin)")"
}

cluster_down() {
  use_hosts_file
  cluster_as_gateway stop_nginx
  local n i dir
  for n in $(seq "$(host_addresses | wc -l)"); do
    cluster_as_host "$n" stop_host_background
    cluster_as_host "$n" stop_pools $(functions_list)
  done
  for i in 2 1; do
    dir=$(cluster_node_dir "$i")
    [ -d "$dir" ] && pgaf_stop "$dir" "$dir/pgdata"
  done
  [ -d "$CLUSTER_DIR/monitor" ] && pgaf_stop "$CLUSTER_DIR/monitor" "$CLUSTER_DIR/monitor/pgdata"
  log "cluster down (data kept in $CLUSTER_DIR)"
}

cluster_status() {
  use_hosts_file
  local n fn up total
  for n in $(seq "$(host_addresses | wc -l)"); do
    up=0 total=0
    for fn in $(functions_list); do
      total=$((total + 1))
      pid_alive "$(cluster_host_state "$n")/run/$fn.pid" && up=$((up + 1))
    done
    echo "host $n ($(cluster_address "$n")): $up of $total pools running"
  done
  if pid_alive "$CLUSTER_DIR/gateway/run/nginx.pid"; then echo "nginx: running on $LISTEN:$PORT"; else echo "nginx: stopped"; fi
  if pgaf_pid "$CLUSTER_DIR/monitor" "$CLUSTER_DIR/monitor/pgdata" >/dev/null; then
    as_pgaf "$CLUSTER_DIR/monitor" pg_autoctl show state --pgdata "$CLUSTER_DIR/monitor/pgdata"
  else
    echo "monitor: stopped"
  fi
}

cmd_cluster() {
  case "${1:-}" in
    up) cluster_up ;;
    status) cluster_status ;;
    kill-host) cluster_kill_host "${2:-}" ;;
    fail-primary) cluster_fail_primary ;;
    rejoin) cluster_rejoin ;;
    down) cluster_down ;;
    *) die "usage: deploy/evently cluster up|status|kill-host N|fail-primary|rejoin|down" ;;
  esac
}
