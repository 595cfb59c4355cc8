#!/usr/bin/env bash
# A FinCloud cluster on this machine: one embedded PostgreSQL server (java -jar fincloud.jar
# postgres) and N nodes on loopback that share it and form a Hazelcast cluster with the loopback
# configuration bundled in the jar (cluster.xml beside this script).
#
#   cluster-config/local-cluster.sh start [N]   start PostgreSQL and N nodes (default 3), wait until ready
#   cluster-config/local-cluster.sh status      PostgreSQL and each node: pid, port, /health/ready
#   cluster-config/local-cluster.sh stop        SIGTERM every node (they drain), then PostgreSQL
#
# Every wait is bounded. Settings (environment):
#   FINCLOUD_JAR        the jar (default target/fincloud.jar; build: mvn -B -q clean package -DskipTests)
#   LOCAL_CLUSTER_DIR   pid files, logs and data folders (default ./local-cluster)
#   FIRST_HTTP_PORT     node i listens on FIRST_HTTP_PORT + i - 1 (default 8081); its management
#                       listener (/metrics, detailed health) on that port + 1000
#   PG_PORT             the PostgreSQL port (default 15432)
#   CLUSTER_NAME        the Hazelcast cluster name (default fincloud-local)
#   FINCLOUD_ROLES      roles of every node (default all); NODE<i>_ROLES for node i alone
#   JAVA_OPTS           JVM options of each node (default -Xmx384m)
#   CONFIG_FILE         a configuration file for every node (--config), e.g. cluster-config/eventbus-tls.json
#   READY_TIMEOUT       seconds to wait for PostgreSQL and for each node (default 120)
#   STOP_TIMEOUT        seconds a node may take to drain before it is killed (default 30)
# Requires curl.
set -euo pipefail

JAR=${FINCLOUD_JAR:-target/fincloud.jar}
DIR=${LOCAL_CLUSTER_DIR:-./local-cluster}
FIRST_HTTP_PORT=${FIRST_HTTP_PORT:-8081}
PG_PORT=${PG_PORT:-15432}
CLUSTER_NAME=${CLUSTER_NAME:-fincloud-local}
JAVA_OPTS=${JAVA_OPTS:--Xmx384m}
READY_TIMEOUT=${READY_TIMEOUT:-120}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ready_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health/ready" || true; }
# Each check with its data (database, cluster, breakers): on the management listener, HTTP port + 1000.
ready_details() { curl -s --max-time 2 "http://127.0.0.1:$(($1 + 1000))/health/ready" || true; }

# wait_until SECONDS COMMAND...: polls COMMAND every half second, fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.5
  done
}

node_ready() { [[ "$(ready_code "$1")" == 200 ]]; }

start_postgres() {
  if alive "$DIR/postgres.pid"; then
    echo "postgres: already running (pid $(cat "$DIR/postgres.pid"))"
    return
  fi
  mkdir -p "$DIR/postgres"
  rm -f "$DIR/postgres/postgres.url"
  FINCLOUD_PG_PORT=$PG_PORT FINCLOUD_DATA_DIR="$DIR/postgres" \
    setsid nohup java -Xmx256m -jar "$JAR" postgres >>"$DIR/postgres.log" 2>&1 </dev/null &
  echo $! >"$DIR/postgres.pid"
  if ! wait_until "$READY_TIMEOUT" test -s "$DIR/postgres/postgres.url"; then
    echo "postgres: not up within ${READY_TIMEOUT}s; see $DIR/postgres.log" >&2
    exit 1
  fi
  echo "postgres: $(cat "$DIR/postgres/postgres.url") (pid $(cat "$DIR/postgres.pid"))"
}

start_node() {
  local i=$1 port=$((FIRST_HTTP_PORT + $1 - 1)) roles_var="NODE$1_ROLES"
  local roles=${!roles_var:-${FINCLOUD_ROLES:-all}}
  if alive "$DIR/node$i.pid"; then
    echo "node$i: already running (pid $(cat "$DIR/node$i.pid"))"
    return
  fi
  if port_open "$port"; then
    echo "node$i: port $port is taken by another process" >&2
    exit 1
  fi
  mkdir -p "$DIR/node$i"
  # Outside demo mode every node needs the same caller key (demo nodes agree on one by themselves).
  if [[ "${FINCLOUD_DEMO:-true}" != true && -z "${FINCLOUD_CALLER_KEY_FILE:-}" ]]; then
    [[ -s "$DIR/caller.key" ]] || (umask 077 && head -c 32 /dev/urandom | base64 >"$DIR/caller.key")
    export FINCLOUD_CALLER_KEY_FILE="$DIR/caller.key"
  fi
  # shellcheck disable=SC2086
  # A local cluster is for trying FinCloud: demo mode (the demo clients) unless FINCLOUD_DEMO says otherwise.
  FINCLOUD_DEMO=${FINCLOUD_DEMO:-true} FINCLOUD_CLUSTER=true FINCLOUD_CLUSTER_NAME=$CLUSTER_NAME FINCLOUD_HTTP_PORT=$port \
    FINCLOUD_DATA_DIR="$DIR/node$i" FINCLOUD_PG_URL="$(cat "$DIR/postgres/postgres.url")" FINCLOUD_ROLES=$roles \
    setsid nohup java $JAVA_OPTS -jar "$JAR" ${CONFIG_FILE:+--config "$CONFIG_FILE"} >>"$DIR/node$i.log" 2>&1 </dev/null &
  echo $! >"$DIR/node$i.pid"
  echo "node$i: starting on http://127.0.0.1:$port (management :$((port + 1000))) with roles $roles (pid $!)"
}

start() {
  local n=${1:-3}
  # The bundled cluster.xml lists five Hazelcast ports (see README.md, "Joining and leaving").
  if ((n > 5)); then echo "at most 5 nodes on one machine with the bundled cluster.xml" >&2; exit 1; fi
  [[ -f "$JAR" ]] || { echo "no $JAR: build it with mvn -B -q clean package -DskipTests" >&2; exit 1; }
  mkdir -p "$DIR"
  start_postgres
  for ((i = 1; i <= n; i++)); do start_node "$i"; done
  for ((i = 1; i <= n; i++)); do
    local port=$((FIRST_HTTP_PORT + i - 1))
    if wait_until "$READY_TIMEOUT" node_ready "$port"; then
      echo "node$i: ready"
    else
      echo "node$i: not ready within ${READY_TIMEOUT}s; see $DIR/node$i.log" >&2
      exit 1
    fi
  done
}

status() {
  if alive "$DIR/postgres.pid"; then
    echo "postgres: running (pid $(cat "$DIR/postgres.pid")) $(cat "$DIR/postgres/postgres.url" 2>/dev/null)"
  else
    echo "postgres: stopped"
  fi
  local pidfile
  for pidfile in "$DIR"/node*.pid; do
    [[ -e "$pidfile" ]] || continue
    local name i port
    name=$(basename "$pidfile" .pid)
    i=${name#node}
    port=$((FIRST_HTTP_PORT + i - 1))
    if alive "$pidfile"; then
      echo "$name: running (pid $(cat "$pidfile")) http://127.0.0.1:$port ready=$(ready_code "$port")" \
        "$(ready_details "$port")"
    else
      echo "$name: stopped"
    fi
  done
}

# stop_pid PIDFILE SECONDS: SIGTERM, then SIGKILL if it is still there after SECONDS.
stop_pid() {
  local pidfile=$1 pid
  alive "$pidfile" || { rm -f "$pidfile"; return; }
  pid=$(cat "$pidfile")
  if ! wait_until "$2" bash -c "! kill -0 $pid 2>/dev/null"; then
    echo "$(basename "$pidfile" .pid): did not stop within ${2}s, killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop() {
  local pidfile
  for pidfile in "$DIR"/node*.pid; do
    [[ -e "$pidfile" ]] || continue
    alive "$pidfile" && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  for pidfile in "$DIR"/node*.pid; do
    [[ -e "$pidfile" ]] || continue
    stop_pid "$pidfile" "$STOP_TIMEOUT"
    echo "$(basename "$pidfile" .pid): stopped"
  done
  if [[ -e "$DIR/postgres.pid" ]]; then
    alive "$DIR/postgres.pid" && kill -TERM "$(cat "$DIR/postgres.pid")" 2>/dev/null || true
    stop_pid "$DIR/postgres.pid" 30
    echo "postgres: stopped"
  fi
}

case "${1:-}" in
  start) start "${2:-3}" ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: $0 start [N] | status | stop" >&2; exit 2 ;;
esac
