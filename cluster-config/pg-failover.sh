#!/usr/bin/env bash
# A pg_auto_failover formation on this machine, for trying FinCloud on a primary with a synchronous
# standby and for the failover fault run: a monitor and two PostgreSQL 15 nodes, loopback only,
# free ports, every file under the folder given. Needs the Debian packages
# postgresql-15-auto-failover and pg-auto-failover-cli.
#
#   cluster-config/pg-failover.sh start DIR [--standbys N] [--sync-standbys K]
#       starts the monitor and 1 + N nodes (N = 1 by default), waits until a primary and its
#       synchronous standby are up, prints the multi-host URL for FINCLOUD_PG_URL (also in DIR/url)
#   cluster-config/pg-failover.sh status DIR    the monitor's view of the nodes
#   cluster-config/pg-failover.sh stop DIR      stops every node, then the monitor (only these)
#   cluster-config/pg-failover.sh stop-node DIR NAME    stops one node (e.g. the standby, to measure
#       the primary committing alone); start-node DIR NAME runs it again (it rejoins by itself)
#
# pg_autoctl refuses to run as root: as root the script runs it as the postgres user.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PATH="$PG_BIN:$PATH"
READY_SECONDS=${PGHA_READY_SECONDS:-120}

usage() {
  sed -n '6,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# pg_autoctl with this formation's own XDG folders (its state is kept there, never in ~postgres).
autoctl() {
  local env=(env "PATH=$PATH" "XDG_CONFIG_HOME=$DIR/xdg/config" "XDG_DATA_HOME=$DIR/xdg/data" "PGHOST=127.0.0.1")
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "${env[@]}" pg_autoctl "$@"
  else
    "${env[@]}" pg_autoctl "$@"
  fi
}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "no free port found" >&2
  exit 1
}

# Runs "pg_autoctl create ... --run" in the background; its pid goes to DIR/pids.
run_in_background() {
  local name=$1
  shift
  autoctl "$@" >"$DIR/$name.log" 2>&1 &
  echo "$! $name" >>"$DIR/pids"
}

await() {
  local what=$1 check=$2 deadline=$((SECONDS + READY_SECONDS))
  until eval "$check" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "not within ${READY_SECONDS}s: $what (logs in $DIR/*.log)" >&2
      exit 1
    fi
    sleep 1
  done
}

node_states() {
  autoctl show state --pgdata "$DIR/monitor" --formation default 2>/dev/null
}

start() {
  local standbys=1 sync_standbys=""
  while [ $# -gt 0 ]; do
    case $1 in
      --standbys) standbys=$2; shift 2 ;;
      --sync-standbys) sync_standbys=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  if [ -e "$DIR/pids" ]; then
    echo "$DIR already holds a formation: stop it first" >&2
    exit 1
  fi
  mkdir -p "$DIR/xdg"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$DIR"
  : >"$DIR/pids"

  local monitor_port
  monitor_port=$(free_port)
  # The monitor has no --listen: created first, set to loopback, then run.
  autoctl create monitor --pgdata "$DIR/monitor" --pgport "$monitor_port" --hostname 127.0.0.1 \
    --auth trust --no-ssl >"$DIR/monitor-create.log" 2>&1
  autoctl config set --pgdata "$DIR/monitor" postgresql.listen_addresses 127.0.0.1 >/dev/null
  run_in_background monitor run --pgdata "$DIR/monitor"
  await "the monitor" "autoctl show uri --pgdata '$DIR/monitor' --formation monitor | grep postgres://"
  local monitor_uri
  monitor_uri=$(autoctl show uri --pgdata "$DIR/monitor" --formation monitor)

  # One node at a time: the first becomes the primary, each next one its standby.
  for i in $(seq 1 $((standbys + 1))); do
    run_in_background "node$i" create postgres --pgdata "$DIR/node$i" --pgport "$(free_port)" \
      --hostname 127.0.0.1 --listen 127.0.0.1 --name "node$i" --auth trust --no-ssl --monitor "$monitor_uri" \
      --dbname fincloud --run
    if [ "$i" = 1 ]; then
      await "node1 as a single primary" "node_states | grep -E 'node1 .*\\| +single +\\| +single'"
    else
      await "node$i as a secondary" "node_states | grep -E 'node$i .*\\| +secondary +\\| +secondary'"
    fi
  done
  await "the primary with its standby" "node_states | grep -E '\\| +primary +\\| +primary'"
  if [ -n "$sync_standbys" ]; then
    autoctl set formation number-sync-standbys --pgdata "$DIR/monitor" "$sync_standbys"
  fi
  # pg_autoctl leaves the user out (trust on loopback): FinCloud connects as postgres.
  autoctl show uri --pgdata "$DIR/monitor" --formation default | sed 's|^postgres://|postgres://postgres@|' \
    | tee "$DIR/url"
}

stop() {
  [ -e "$DIR/pids" ] || { echo "no formation started in $DIR" >&2; exit 1; }
  # Nodes first (a monitor stopped first would see them as failed), the monitor last.
  for data in "$DIR"/node* "$DIR/monitor"; do
    [ -d "$data" ] && autoctl stop --pgdata "$data" >/dev/null 2>&1 || true
  done
  local deadline=$((SECONDS + 60))
  while read -r pid name; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$name (pid $pid) did not stop: killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  done <"$DIR/pids"
  # A postmaster outlives a killed pg_autoctl: stop each one this formation started, by its data.
  for data in "$DIR"/node* "$DIR/monitor"; do
    if [ -f "$data/postmaster.pid" ]; then
      local postmaster
      postmaster=$(head -1 "$data/postmaster.pid")
      kill -0 "$postmaster" 2>/dev/null && kill -TERM "$postmaster" 2>/dev/null || true
    fi
  done
  rm -f "$DIR/pids"
}

# One node of a running formation, by name (node1, node2, ...).
stop_node() {
  [ -d "$DIR/$1" ] || { echo "no node $1 in $DIR" >&2; exit 1; }
  autoctl stop --pgdata "$DIR/$1"
}

start_node() {
  [ -d "$DIR/$1" ] || { echo "no node $1 in $DIR" >&2; exit 1; }
  run_in_background "$1" run --pgdata "$DIR/$1"
}

[ $# -ge 2 ] || usage
COMMAND=$1
DIR=$(realpath -m "$2")
shift 2
case $COMMAND in
  start) start "$@" ;;
  status) node_states || { echo "no monitor answers in $DIR" >&2; exit 1; } ;;
  stop) stop ;;
  stop-node) [ $# = 1 ] || usage; stop_node "$1" ;;
  start-node) [ $# = 1 ] || usage; start_node "$1" ;;
  *) usage ;;
esac
