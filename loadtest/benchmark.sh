#!/usr/bin/env bash
# The FinCloud benchmark: one command, loopback only, bounded in time, writes a dated Markdown
# table to loadtest/results/.
#
#   loadtest/benchmark.sh            the full run, about 10 minutes
#   loadtest/benchmark.sh --quick    a smoke run of about 4 minutes (numbers indicative only)
#
# Both warm the node up before its peak for as long as its JIT compilers take to settle on 2 cores
# (60 s quick, 75 s full): C2 keeps compiling for about a minute of load, and the node's throughput
# rises by 40-50% meanwhile, so a shorter warm-up measures the JIT rather than the node.
#
# Options: --port N (the node's HTTP port; default: the first free one from 18090), --connections N
# (wrk's connections for the peak, default 64), --no-profile (no flight recording of the node after
# the peaks), --keep (keep the temporary folder), --out FILE, --config FILE (a JSON
# configuration of the node over its defaults, e.g. {"ledger":{"instances":2}}; the report shows it),
# --pg-url URL (run against that PostgreSQL server instead of the node's embedded one, see below).
# Environment: NODE_JAVA_OPTS (JVM options of the node, default none); NODE_CPUS (a CPU list for
# taskset, e.g. 0 or 0-1: the node's JVM runs on those CPUs only and sizes itself to them, its event
# loops and instances included; its PostgreSQL, pgbench and the load generators stay unpinned).
#
# --pg-url postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE: a PostgreSQL server of this machine
# (127.0.0.1 or localhost only) instead of the embedded one. The node runs on DATABASE (in demo
# mode, for the load's demo clients), which must be fresh and empty: the caller makes a new one for
# each run, so that runs are comparable (loadtest/system-postgres.sh does, for Debian's cluster);
# the script refuses one with tables and drops no database but its own pgbench_tpcb. USER must be a
# superuser, or own DATABASE and may create databases and roles (pgbench's database, and the
# migrations' fincloud_runtime). The report's default name ends in -system-postgres.
#
# What it does, all against 127.0.0.1:
#   0. builds the node and the open-model generator if their jars are missing or older than their
#      sources, and starts a node with its own data folder (embedded PostgreSQL, unless --pg-url) in
#      a temporary folder and its own port; the node is stopped when the script ends, however it
#      ends; a full run also measures the disk's sync rate with pg_test_fsync, for context;
#   1. pgbench TPC-B (scale 16, -M prepared -c 16 -j 2) in a database of its own on the SAME
#      PostgreSQL server: the baseline of one money movement per database transaction;
#   2. FinCloud's peak transfers per second through the whole HTTP API, closed loop (wrk and
#      loadtest/wrk/transfers.lua), after the warm-up, with uniform random accounts and with 90% of
#      the transfers debiting one hot account; the node's RSS is sampled during the peak;
#   3. latency at 25, 50 and 75% of each peak with an open-model generator (loadtest/opengen:
#      constant arrival rate, latency measured from the intended send time), and of one transfer
#      at a time on an otherwise idle node, beside the node's own Server-Timing;
#   4. the bank invariants afterwards: trial balance through the API, and no account below its
#      overdraft limit in SQL.
# Along the way it accounts for the CPU of each phase (node, PostgreSQL, everything else on the
# machine; the node's JIT compiler threads apart) and, after the peaks, records the node with Java
# Flight Recorder under uniform load, so that a missed target comes with where the time went.
# Needs: java 17, maven (only to build), curl, pgbench and psql, wrk; as root it installs the
# missing Debian packages with apt-get.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=false
PORT=""
CONNECTIONS=64
KEEP=false
PROFILE=true
OUT=""
NODE_CONFIG=""
SYSTEM_PG_URL=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=true ;;
    --port) PORT="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --keep) KEEP=true ;;
    --no-profile) PROFILE=false ;;
    --out) OUT="$2"; shift ;;
    --config) NODE_CONFIG="$2"; shift ;;
    --pg-url) SYSTEM_PG_URL="$2"; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Phase lengths in seconds. The full run fits in about ten minutes on 2 cores. The warm-up is as
# long even in a quick run as the JIT needs: on 2 cores the node's C2 compiler thread keeps about
# 45% of a core busy for the first minute of load (thousands of compilations every 10 s, a few
# hundred after 70 s), and the node's throughput climbs from about 1,000 to 1,400-1,550 transfers/s
# as it finishes; a peak measured sooner measures the compiler, not the node.
if $QUICK; then
  MODE=quick; PGBENCH_SECS=10; WARMUP_SECS=60; PEAK_SECS=10; OPEN_WARMUP=2; OPEN_SECS=6; DEADLINE=480
  ACCOUNTS=200; MEASURE_FSYNC=false
else
  MODE=full; PGBENCH_SECS=60; WARMUP_SECS=75; PEAK_SECS=40; OPEN_WARMUP=5; OPEN_SECS=30; DEADLINE=900
  ACCOUNTS=1000; MEASURE_FSYNC=true
fi
# The flight recording has a uniform run of its own after the peaks: started before a measured
# peak, the recorder (settings=profile) cost that peak half its rate (a warm node at 1,400-1,550
# transfers/s did 605/s while recorded) and set the JIT compiling again (53 % of a core).
PROFILE_SECS=20
PGBENCH_SCALE=16
PGBENCH_CLIENTS=16
PGBENCH_THREADS=2
WRK_THREADS=2
HOT_SHARE=0.9
ALONE_RATE=20
OPEN_CONNECTIONS=256
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:-}
NODE_CPUS=${NODE_CPUS:-}
if [[ -n "$SYSTEM_PG_URL" ]]; then
  # Loopback only: the host of the URL must be this machine's, and nothing in it may point libpq
  # elsewhere (a multi-host list, or parameters such as host= or hostaddr=).
  [[ "$SYSTEM_PG_URL" =~ ^postgres(ql)?://([^/?#]*@)?([^@/?#]+)/([^/?#]+)$ ]] \
    || { echo "--pg-url: expected postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE, without parameters" >&2; exit 2; }
  SYSTEM_PG_ADDRESS=${BASH_REMATCH[3]}
  SYSTEM_PG_HOST=${SYSTEM_PG_ADDRESS%:*}
  [[ "$SYSTEM_PG_ADDRESS" == *:* ]] && SYSTEM_PG_PORT=${SYSTEM_PG_ADDRESS##*:} || SYSTEM_PG_PORT=5432
  [[ "$SYSTEM_PG_HOST" == 127.0.0.1 || "$SYSTEM_PG_HOST" == localhost ]] \
    || { echo "--pg-url: the host must be 127.0.0.1 or localhost, not $SYSTEM_PG_HOST" >&2; exit 2; }
  [[ "$SYSTEM_PG_PORT" =~ ^[0-9]+$ ]] || { echo "--pg-url: bad port $SYSTEM_PG_PORT" >&2; exit 2; }
  # libpq would connect to these rather than to the URL's host
  unset PGHOSTADDR PGSERVICE PGSERVICEFILE
fi
if [[ -n "$NODE_CPUS" ]]; then
  command -v taskset >/dev/null || { echo "NODE_CPUS needs taskset" >&2; exit 2; }
  # the JVM counts the CPUs it may use when it starts: tell it, as it is pinned only once it runs
  NODE_CPU_COUNT=$(awk -v list="$NODE_CPUS" 'BEGIN { n = split(list, parts, ","); for (i = 1; i <= n; i++) {
    if (split(parts[i], r, "-") == 2) total += r[2] - r[1] + 1; else total += 1 } print total }')
  NODE_JAVA_OPTS="-XX:ActiveProcessorCount=$NODE_CPU_COUNT $NODE_JAVA_OPTS"
fi

log() { printf '%s [benchmark] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

STARTED_AT=$(date -u +%s)
WORK=$(mktemp -d -t fincloud-benchmark.XXXXXX)
NODE_PID=""
SAMPLER_PID=""
WATCHDOG_PID=""
BENCH_URL=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$WATCHDOG_PID" ]]; then
    pkill -P "$WATCHDOG_PID" sleep 2>/dev/null || true  # its sleep, found by parent pid
    kill "$WATCHDOG_PID" 2>/dev/null || true
  fi
  [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    log "stopping the node (pid $NODE_PID)"
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$NODE_PID" 2>/dev/null || true
  fi
  # A node killed hard leaves its embedded PostgreSQL running: stop that one server, by its pid.
  local pidfile="$WORK/data/postgres/postmaster.pid"
  if [[ -f "$pidfile" ]]; then
    local pgpid
    pgpid=$(head -1 "$pidfile")
    if [[ -n "$pgpid" ]] && kill -0 "$pgpid" 2>/dev/null; then
      log "stopping the node's PostgreSQL (pid $pgpid)"
      kill -INT "$pgpid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pgpid" 2>/dev/null || break; sleep 0.5; done
    fi
  fi
  # A server of the caller's outlives the run: pgbench's database, if a failure left it, goes.
  if [[ -n "$SYSTEM_PG_URL" && -n "$BENCH_URL" ]]; then
    timeout 30 "$PSQL" "$SYSTEM_PG_URL" -XAtq -c "DROP DATABASE IF EXISTS pgbench_tpcb WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if $KEEP || [[ $status -ne 0 ]]; then
    log "temporary folder kept: $WORK (node log: $WORK/node.log)"
  else
    rm -rf "$WORK"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Whatever happens, the run ends: the watchdog stops the script (and so the node) at the deadline.
( sleep "$DEADLINE"; log "deadline of ${DEADLINE}s reached, stopping"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG_PID=$!

# ---------------------------------------------------------------------------------------------
# Tools
APT_UPDATED=false
apt_install() {
  [[ $(id -u) -eq 0 ]] || die "missing $*: install it (Debian: apt-get install $*) or run as root"
  command -v apt-get >/dev/null || die "missing $* and no apt-get to install it"
  if ! $APT_UPDATED; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    APT_UPDATED=true
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

find_pg_tool() {
  local name=$1 candidate
  for candidate in /usr/lib/postgresql/*/bin/"$name" "/usr/bin/$name"; do
    [[ -x "$candidate" ]] && { echo "$candidate"; return 0; }
  done
  command -v "$name" 2>/dev/null || return 1
}

for tool in java curl; do command -v "$tool" >/dev/null || die "$tool is required"; done
command -v wrk >/dev/null || apt_install wrk
PSQL=$(find_pg_tool psql) || { apt_install postgresql-client-15; PSQL=$(find_pg_tool psql); }
if ! PGBENCH=$(find_pg_tool pgbench) || ! "$PGBENCH" --version >/dev/null 2>&1; then
  # Debian ships pgbench in the server package; keep the install from creating and starting a
  # server of its own.
  if [[ ! -f /etc/postgresql-common/createcluster.conf ]]; then
    apt_install postgresql-common
  fi
  grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf 2>/dev/null \
    || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  apt_install postgresql-15
  PGBENCH=$(find_pg_tool pgbench) || die "pgbench still missing"
fi
PG_TEST_FSYNC=$(find_pg_tool pg_test_fsync || true)

# ---------------------------------------------------------------------------------------------
# Build what is missing or stale
NODE_JAR="$ROOT/target/fincloud.jar"
OPENGEN_JAR="$ROOT/loadtest/opengen/target/opengen.jar"
stale() { # stale JAR SOURCE... : true when the jar is missing or a source file is newer
  local jar=$1; shift
  [[ ! -f "$jar" ]] || [[ -n "$(find "$@" -newer "$jar" -type f -print -quit 2>/dev/null)" ]]
}
if stale "$NODE_JAR" "$ROOT/src/main" "$ROOT/pom.xml"; then
  command -v mvn >/dev/null || die "maven is needed to build the node"
  log "building the node"
  (cd "$ROOT" && mvn -B -q clean package -DskipTests) >"$WORK/build-node.log" 2>&1 \
    || { tail -30 "$WORK/build-node.log" >&2; die "the node did not build"; }
fi
if stale "$OPENGEN_JAR" "$ROOT/loadtest/opengen/src" "$ROOT/loadtest/opengen/pom.xml"; then
  command -v mvn >/dev/null || die "maven is needed to build the generator"
  log "building the open-model generator"
  mvn -B -q -f "$ROOT/loadtest/opengen/pom.xml" clean package >"$WORK/build-opengen.log" 2>&1 \
    || { tail -30 "$WORK/build-opengen.log" >&2; die "the generator did not build"; }
fi

# ---------------------------------------------------------------------------------------------
# The node
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -z "$PORT" ]]; then
  PORT=18090
  while ! port_free "$PORT"; do PORT=$((PORT + 1)); done
fi
port_free "$PORT" || die "port $PORT is in use"
URL="http://127.0.0.1:$PORT"
# /metrics is on the node's management listener, not on the API port
MANAGEMENT_PORT=18190
while ! port_free "$MANAGEMENT_PORT" || [[ "$MANAGEMENT_PORT" == "$PORT" ]]; do MANAGEMENT_PORT=$((MANAGEMENT_PORT + 1)); done
MANAGEMENT_URL="http://127.0.0.1:$MANAGEMENT_PORT"
LOAD_AVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

NODE_DATABASE=()
if [[ -n "$SYSTEM_PG_URL" ]]; then
  # Runs of the node on a database that already holds another run's transfers are not comparable.
  TABLES=$("$PSQL" "$SYSTEM_PG_URL" -v ON_ERROR_STOP=1 -XAtq \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')") \
    || die "cannot reach the PostgreSQL server of --pg-url"
  [[ "$TABLES" == 0 ]] || die "the database of --pg-url has $TABLES tables: give the run a fresh, empty database"
  # Demo mode, which a node on a server of its own is not by default: the load uses the demo clients.
  NODE_DATABASE=(FINCLOUD_PG_URL="$SYSTEM_PG_URL" FINCLOUD_DEMO=true)
fi

log "starting a node on $URL (mode $MODE)"
# shellcheck disable=SC2086
env "${NODE_DATABASE[@]}" FINCLOUD_DATA_DIR="$WORK/data" FINCLOUD_HTTP_HOST=127.0.0.1 FINCLOUD_HTTP_PORT="$PORT" \
  FINCLOUD_MANAGEMENT_PORT="$MANAGEMENT_PORT" \
  java $NODE_JAVA_OPTS -jar "$NODE_JAR" ${NODE_CONFIG:+--config "$NODE_CONFIG"} >"$WORK/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 240); do
  kill -0 "$NODE_PID" 2>/dev/null || { tail -40 "$WORK/node.log" >&2; die "the node exited while starting"; }
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready" || true)" == 200 ]] && break
  sleep 0.5
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready" || true)" == 200 ]] || die "the node never became ready"
if [[ -n "$NODE_CPUS" ]]; then
  # every thread of the JVM, and those it starts later; not its embedded PostgreSQL, started before
  taskset -a -cp "$NODE_CPUS" "$NODE_PID" >/dev/null || die "could not pin the node to CPUs $NODE_CPUS"
  log "node pinned to CPUs $NODE_CPUS"
fi
psql_node() { "$PSQL" "$PG_URL" -v ON_ERROR_STOP=1 -XAtq "$@"; }
if [[ -n "$SYSTEM_PG_URL" ]]; then
  PG_URL=$SYSTEM_PG_URL
  PG_SERVER="system server at $SYSTEM_PG_HOST:$SYSTEM_PG_PORT"
  # The postmaster, whose children are the server's processes (CPU accounting below), is the parent
  # of its checkpointer: a process that lives as long as the server, unlike the backend of a psql
  # that is gone by the time ps looks for its parent.
  CHECKPOINTER=$(psql_node -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
  PG_PID=$(ps -o ppid= -p "$CHECKPOINTER" 2>/dev/null | tr -d ' ' || true)
  [[ -n "$PG_PID" && "$(ps -o comm= -p "$PG_PID" 2>/dev/null)" == postgres* ]] \
    || die "the processes of the PostgreSQL server of --pg-url are not in sight here (checkpointer pid ${CHECKPOINTER:-none}):" \
      "its CPU cannot be accounted for"
else
  PG_URL=$(head -1 "$WORK/data/postgres.url")
  PG_SERVER="the node's embedded server"
  PG_PID=$(head -1 "$WORK/data/postgres/postmaster.pid")
fi
log "node ready (pid $NODE_PID); PostgreSQL at ${PG_URL##*@}, $PG_SERVER (pid $PG_PID)"

# CPU accounting, in clock ticks from /proc: the node's JVM; the PostgreSQL server with its live
# backends (the postmaster's own counters include the backends that ended); the whole machine.
CLK_TCK=$(getconf CLK_TCK)
ticks_of() { # ticks_of PID [with-children]
  awk -v kids="${2:-}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (kids) t += $14 + $15; print t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_ticks() {
  local total child
  total=$(ticks_of "$PG_PID" kids)
  for child in $(pgrep -P "$PG_PID" || true); do total=$((total + $(ticks_of "$child"))); done
  echo "$total"
}
cpu_snapshot() { echo "$(ticks_of "$NODE_PID") $(pg_ticks) $(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat) $(date +%s.%N)"; }
jit_ticks() { # the node's JIT compiler threads (C1 and C2, "C2 CompilerThre" in comm): part of ticks_of NODE_PID
  local task total=0
  for task in /proc/"$NODE_PID"/task/*; do
    [[ "$(cat "$task/comm" 2>/dev/null)" == C[12]" CompilerThre"* ]] || continue
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$task/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
cpu_measure() { # cpu_measure SNAPSHOT_BEFORE SNAPSHOT_AFTER COUNT GENERATOR_CPU_SECONDS
  # -> "node-cores pg-cores generator-cores others-cores node-us pg-us generator-us" (us of CPU per operation)
  awk -v hz="$CLK_TCK" -v n="$3" -v gen="$4" -v before="$1" -v after="$2" 'BEGIN {
    split(before, b, " "); split(after, a, " "); secs = a[4] - b[4]; if (n <= 0) n = 1
    node = (a[1] - b[1]) / hz; pg = (a[2] - b[2]) / hz; all = (a[3] - b[3]) / hz
    printf "%.2f %.2f %.2f %.2f %.0f %.0f %.0f", node / secs, pg / secs, gen / secs,
      (all - node - pg - gen) / secs, node / n * 1e6, pg / n * 1e6, gen / n * 1e6 }'
}
timed() { # timed CPU_FILE COMMAND...: runs the command, writes its user+system CPU seconds (children included)
  local file=$1 TIMEFORMAT='%U %S' status=0; shift
  { time "$@"; } 2>"$file.tmp" || status=$?
  tail -1 "$file.tmp" | awk '{ print $1 + $2 }' >"$file"; rm -f "$file.tmp"
  return $status
}

# RSS of the node every second for the whole run: "epoch-seconds rss-kB".
( while kill -0 "$NODE_PID" 2>/dev/null; do
    echo "$(date +%s) $(ps -o rss= -p "$NODE_PID" 2>/dev/null | tr -d ' ')"
    sleep 1
  done ) >"$WORK/rss.log" 2>/dev/null &
SAMPLER_PID=$!
max_rss_mib() { # max_rss_mib FROM TO (epoch seconds)
  awk -v from="$1" -v to="$2" '$1 >= from && $1 <= to && $2 > max { max = $2 } END { printf "%.0f", max / 1024 }' "$WORK/rss.log"
}
metric() { curl -s "$MANAGEMENT_URL/metrics" | awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'; }
commits() { psql_node -c "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"; }
kv() { # kv KEY LINE: the value of KEY=... in a line of key=value pairs
  tr ' ' '\n' <<<"$2" | awk -F= -v key="$1" '$1 == key { sub(/^[^=]*=/, ""); print; exit }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---------------------------------------------------------------------------------------------
# 0. The disk's sync rate, for context (the ceiling of any one-commit-per-transfer system)
FSYNC_LINE="not measured ($($MEASURE_FSYNC && echo "pg_test_fsync not found" || echo "quick run"))"
if $MEASURE_FSYNC && [[ -n "$PG_TEST_FSYNC" ]]; then
  log "pg_test_fsync (1 s per test)"
  "$PG_TEST_FSYNC" -s 1 -f "$WORK/fsync.test" >"$WORK/fsync.log" 2>&1 || true
  FSYNC_LINE=$(awk '/one 8kB write/ { on = 1 } on && $1 == "fdatasync" { print $2 " ops/s, " $4 " us/op"; exit }' "$WORK/fsync.log")
  rm -f "$WORK/fsync.test"
fi

# ---------------------------------------------------------------------------------------------
# 1. pgbench TPC-B on the same server, in its own database
log "pgbench: initialising scale $PGBENCH_SCALE"
psql_node -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS pgbench_tpcb" -c "CREATE DATABASE pgbench_tpcb"
BENCH_URL="${PG_URL%/*}/pgbench_tpcb"
PG_VERSION=$(psql_node -c "SHOW server_version")
PG_SETTINGS=$(psql_node -c "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_sync_method', 'max_connections')")
timeout 300 "$PGBENCH" -i -q -s "$PGBENCH_SCALE" "$BENCH_URL" >"$WORK/pgbench-init.log" 2>&1 \
  || { tail -20 "$WORK/pgbench-init.log" >&2; die "pgbench -i failed"; }
log "pgbench: TPC-B -M prepared -c $PGBENCH_CLIENTS -j $PGBENCH_THREADS -T $PGBENCH_SECS"
CPU_BEFORE=$(cpu_snapshot)
timed "$WORK/pgbench.cpu" timeout $((PGBENCH_SECS + 120)) "$PGBENCH" -M prepared -c "$PGBENCH_CLIENTS" \
  -j "$PGBENCH_THREADS" -T "$PGBENCH_SECS" "$BENCH_URL" >"$WORK/pgbench.log" 2>&1 \
  || { tail -20 "$WORK/pgbench.log" >&2; die "pgbench failed"; }
PGBENCH_TPS=$(awk '/^tps = / { printf "%.1f", $3; exit }' "$WORK/pgbench.log")
PGBENCH_LAT=$(awk '/^latency average = / { print $4; exit }' "$WORK/pgbench.log")
PGBENCH_FAILED=$(awk '/number of failed transactions/ { print $5; exit }' "$WORK/pgbench.log")
PGBENCH_XACTS=$(awk '/number of transactions actually processed/ { split($NF, x, "/"); print x[1]; exit }' "$WORK/pgbench.log")
read -r _ P_PG_CORES P_GEN_CORES P_OTHER_CORES _ P_PG_US P_GEN_US \
  <<<"$(cpu_measure "$CPU_BEFORE" "$(cpu_snapshot)" "$PGBENCH_XACTS" "$(cat "$WORK/pgbench.cpu")")"
log "pgbench: $PGBENCH_TPS tps, average latency $PGBENCH_LAT ms"
# Out of FinCloud's way: the pgbench tables would otherwise compete for the same buffers.
psql_node -c "DROP DATABASE pgbench_tpcb"
psql_node -c "CHECKPOINT" 2>/dev/null || log "no CHECKPOINT: the role of --pg-url is neither a superuser nor in pg_checkpoint"

# ---------------------------------------------------------------------------------------------
# 2. The peak through the HTTP API, closed loop
log "setting up $ACCOUNTS funded accounts"
java -jar "$OPENGEN_JAR" setup --url "$URL" --dir "$WORK/load" --accounts "$ACCOUNTS" >"$WORK/setup.log" 2>&1 \
  || { tail -20 "$WORK/setup.log" >&2; die "setup failed"; }

WRK_SCRIPT="$ROOT/loadtest/wrk/transfers.lua"
run_wrk() { # run_wrk SECONDS HOT_SHARE LOGFILE -> prints the WRK line
  timed "$3.cpu" timeout $(($1 + 60)) wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$1s" --timeout 10s \
    -s "$WRK_SCRIPT" "$URL" -- "$WORK/load" "$2" >"$3" 2>&1 || { tail -20 "$3" >&2; die "wrk failed"; }
  grep '^WRK ' "$3" | tail -1
}

peak() { # peak LABEL HOT_SHARE: measures one closed-loop peak, sets PEAK_* variables
  local groups0 groups1 sum0 commit0 xacts0 xacts1 from to cpu0 jit0 started
  groups0=$(metric fincloud_ledger_group_size_count); sum0=$(metric fincloud_ledger_group_size_sum)
  commit0=$(metric fincloud_ledger_commit_seconds_sum); xacts0=$(commits); from=$(date +%s)
  cpu0=$(cpu_snapshot); jit0=$(jit_ticks); started=$(date +%s.%N)
  PEAK_LINE=$(run_wrk "$PEAK_SECS" "$2" "$WORK/wrk-$1.log")
  PEAK_CPU=$(cpu_measure "$cpu0" "$(cpu_snapshot)" "$(kv created "$PEAK_LINE")" "$(cat "$WORK/wrk-$1.log.cpu")")
  # Still large after the warm-up, it says that the peak measured the compiler as well as the node.
  PEAK_JIT=$(calc "%.0f" "100 * ($(jit_ticks) - $jit0) / $CLK_TCK / ($(date +%s.%N) - $started)")
  to=$(date +%s); xacts1=$(commits); groups1=$(metric fincloud_ledger_group_size_count)
  PEAK_RATE=$(kv created_per_s "$PEAK_LINE")
  PEAK_GROUP=$(calc "%.1f" "($(metric fincloud_ledger_group_size_sum) - $sum0) / ($groups1 - $groups0 + 1e-9)")
  PEAK_GROUP_MS=$(calc "%.1f" "1000 * ($(metric fincloud_ledger_commit_seconds_sum) - $commit0) / ($groups1 - $groups0 + 1e-9)")
  PEAK_GROUPS=$(calc "%.0f" "($groups1 - $groups0) / ($to - $from)")
  PEAK_XACTS=$(calc "%.0f" "($xacts1 - $xacts0) / ($to - $from)")
  PEAK_RSS=$(max_rss_mib "$from" "$to")
  log "peak $1: $PEAK_LINE"
}

log "warming up for ${WARMUP_SECS}s"
run_wrk "$WARMUP_SECS" 0 "$WORK/wrk-warmup.log" >/dev/null
log "peak, uniform accounts, ${PEAK_SECS}s, $CONNECTIONS connections"
peak uniform 0
U_CPU=$PEAK_CPU; U_JIT=$PEAK_JIT; U_LINE=$PEAK_LINE; U_RATE=$PEAK_RATE; U_GROUP=$PEAK_GROUP; U_GROUP_MS=$PEAK_GROUP_MS; U_GROUPS=$PEAK_GROUPS; U_XACTS=$PEAK_XACTS; U_RSS=$PEAK_RSS
log "peak, ${HOT_SHARE} of the transfers debiting one hot account, ${PEAK_SECS}s"
peak hot "$HOT_SHARE"
H_CPU=$PEAK_CPU; H_JIT=$PEAK_JIT; H_LINE=$PEAK_LINE; H_RATE=$PEAK_RATE; H_GROUP=$PEAK_GROUP; H_GROUP_MS=$PEAK_GROUP_MS; H_GROUPS=$PEAK_GROUPS; H_XACTS=$PEAK_XACTS; H_RSS=$PEAK_RSS
if $PROFILE; then
  log "flight recording during ${PROFILE_SECS}s of uniform load (not measured)"
  jcmd "$NODE_PID" JFR.start name=benchmark settings=profile "filename=$WORK/peak.jfr" >"$WORK/jfr.log" 2>&1 \
    || log "no flight recording: $(tail -1 "$WORK/jfr.log")"
  run_wrk "$PROFILE_SECS" 0 "$WORK/wrk-profile.log" >/dev/null
  jcmd "$NODE_PID" JFR.stop name=benchmark >>"$WORK/jfr.log" 2>&1 || true
fi

# ---------------------------------------------------------------------------------------------
# 3. Latency under an open model at fractions of each peak
# One generator JVM for all the runs, and a first run that is thrown away: a cold JVM on a busy
# machine lags by seconds and would charge its own warm-up to the node.
RUNS="generator-warmup:$(calc "%.0f" "$U_RATE / 4"):0"
# One transfer at a time: 20 a second, each answered long before the next is due, nothing else
# running: what a single client sees on an idle node, beside what the node says it spent.
RUNS+=",alone:$ALONE_RATE:0"
for percent in 25 50 75; do RUNS+=",uniform-$percent:$(calc "%.0f" "$U_RATE * $percent / 100"):0"; done
for percent in 25 50 75; do RUNS+=",hot-$percent:$(calc "%.0f" "$H_RATE * $percent / 100"):$HOT_SHARE"; done
log "open model: $RUNS (${OPEN_WARMUP}s warm-up + ${OPEN_SECS}s each)"
timeout $(( 8 * (OPEN_WARMUP + OPEN_SECS + 40) )) java -jar "$OPENGEN_JAR" run --url "$URL" --dir "$WORK/load" \
  --runs "$RUNS" --seconds "$OPEN_SECS" --warmup "$OPEN_WARMUP" --connections "$OPEN_CONNECTIONS" \
  --hgrm-dir "$WORK" >"$WORK/open.log" 2>"$WORK/open.err" || { tail -20 "$WORK/open.err" >&2; die "the open-model runs failed"; }
OPEN_ROWS=""
P99_AT_HALF=""
P99_AT_THREE_QUARTERS=""
ALONE_LINE=""
while read -r line; do
  label=$(kv label "$line")
  [[ "$label" == generator-warmup ]] && continue
  if [[ "$label" == alone ]]; then
    ALONE_LINE=$line
    log "one at a time: $line"
    continue
  fi
  log "open: $line"
  OPEN_ROWS+="| ${label%-*} | ${label##*-}% | $(kv rate "$line") | $(kv ok_per_s "$line") | $(kv errors "$line") | $(kv p50_ms "$line") | $(kv p90_ms "$line") | $(kv p99_ms "$line") | $(kv p999_ms "$line") | $(kv max_ms "$line") | $(kv max_send_lag_ms "$line") | $(kv error_kinds "$line") |"$'\n'
  [[ "$label" == uniform-50 ]] && P99_AT_HALF=$(kv p99_ms "$line")
  [[ "$label" == uniform-75 ]] && P99_AT_THREE_QUARTERS=$(kv p99_ms "$line")
done < <(grep '^RUN ' "$WORK/open.log")
[[ -n "$P99_AT_HALF" ]] || die "no result from the open-model runs"

# ---------------------------------------------------------------------------------------------
# 4. The invariants
log "checking the books"
VERIFY_LINE=$(java -jar "$OPENGEN_JAR" verify --url "$URL" --dir "$WORK/load" 2>"$WORK/verify.err" | grep '^VERIFY ' || true)
BALANCED=$(kv balanced "$VERIFY_LINE")
BELOW_LIMIT=$(psql_node -c "SELECT count(*) FROM accounts WHERE NOT allow_negative AND (posted < -overdraft_limit OR posted - pending < -overdraft_limit)")
SQL_SUM=$(psql_node -c "SELECT coalesce(string_agg(currency || ' ' || s, ', '), 'none') FROM (SELECT currency, sum(posted) AS s FROM accounts GROUP BY currency) t")
TRANSFERS=$(psql_node -c "SELECT count(*) FROM transfers")
RSS_MAX=$(max_rss_mib 0 9999999999)
LOAD_AVG_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(( $(date -u +%s) - STARTED_AT ))

PROFILE_TEXT=""
if $PROFILE && [[ -s "$WORK/peak.jfr" ]]; then
  PROFILE_TEXT=$(java -jar "$OPENGEN_JAR" jfr-top --file "$WORK/peak.jfr" --top 15 2>"$WORK/jfr-top.err" || true)
fi

# ---------------------------------------------------------------------------------------------
# The report
verdict() { awk "BEGIN { print ($1) ? \"met\" : \"**missed**\" }"; }
RATIO_PG=$(calc "%.2f" "$U_RATE / $PGBENCH_TPS")
read -r U_NODE_CORES U_PG_CORES U_GEN_CORES U_OTHER_CORES U_NODE_US U_PG_US U_GEN_US <<<"$U_CPU"
read -r H_NODE_CORES H_PG_CORES H_GEN_CORES H_OTHER_CORES H_NODE_US H_PG_US H_GEN_US <<<"$H_CPU"
# What each side would do with the whole machine if CPU is what bounds it (the usual case on a few
# cores): cores / CPU per operation, load generator included. Less sensitive to other processes
# than the measured rates, which is why it is shown beside them.
CORES=$(nproc)
PG_CEILING=$(calc "%.0f" "$CORES * 1e6 / ($P_PG_US + $P_GEN_US + 1e-9)")
U_CEILING=$(calc "%.0f" "$CORES * 1e6 / ($U_NODE_US + $U_PG_US + $U_GEN_US + 1e-9)")
H_CEILING=$(calc "%.0f" "$CORES * 1e6 / ($H_NODE_US + $H_PG_US + $H_GEN_US + 1e-9)")
RATIO_PG_CPU=$(calc "%.2f" "$U_CEILING / ($PG_CEILING + 1e-9)")
RATIO_HOT=$(calc "%.2f" "$H_RATE / $U_RATE")
U_NODE_PG_US=$(calc "%.0f" "$U_NODE_US + $U_PG_US")
ALONE_P50=$(kv p50_ms "$ALONE_LINE")
ALONE_P99=$(kv p99_ms "$ALONE_LINE")
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] && GIT_REV="$GIT_REV (with uncommitted changes)"
FINCLOUD_VERSION=$(awk -F'[<>]' '/<artifactId>fincloud<\/artifactId>/ { getline; print $3; exit }' "$ROOT/pom.xml")
VERTX_VERSION=$(awk -F'[<>]' '/vertx-stack-depchain/ { getline; print $3; exit }' "$ROOT/pom.xml")
JAVA_VERSION=$(java -version 2>&1 | head -1)
CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
MEM_GIB=$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
DATE=$(date -u +%Y-%m-%d)
if [[ -z "$OUT" ]]; then
  OUT="$ROOT/loadtest/results/$DATE-benchmark${SYSTEM_PG_URL:+-system-postgres}$($QUICK && echo -quick).md"
fi
mkdir -p "$(dirname "$OUT")"

{
  echo "# FinCloud benchmark, $DATE ($MODE run)"
  echo
  if $QUICK; then
    echo "A \`--quick\` smoke run: phases of a few seconds, numbers indicative only."
    echo
  fi
  echo "\`loadtest/benchmark.sh$($QUICK && echo ' --quick')${SYSTEM_PG_URL:+ --pg-url URL}\` on one machine, everything on 127.0.0.1: one node with"
  echo "$([[ -n "$SYSTEM_PG_URL" ]] && echo "a fresh database on the machine's own PostgreSQL ($PG_SERVER)" || echo "its embedded PostgreSQL"),"
  echo "and the load generators on the same cores; the node warmed up for ${WARMUP_SECS}s before its peaks. Took ${ELAPSED}s. Load average"
  echo "(1, 5, 15 min) at the start $LOAD_AVG_START, at the end $LOAD_AVG_END: on a machine that was not"
  echo "quiet the numbers are low and noisy."
  echo
  echo "## Throughput"
  echo
  echo "| what | result |"
  echo "|---|---|"
  echo "| pgbench TPC-B, scale $PGBENCH_SCALE, \`-M prepared -c $PGBENCH_CLIENTS -j $PGBENCH_THREADS -T $PGBENCH_SECS\` | **$PGBENCH_TPS tps**, average latency $PGBENCH_LAT ms, failed ${PGBENCH_FAILED:-0} |"
  echo "| FinCloud peak, uniform accounts (wrk, $CONNECTIONS connections, ${PEAK_SECS}s) | **$U_RATE transfers/s**, p50 $(kv p50_ms "$U_LINE") ms, p99 $(kv p99_ms "$U_LINE") ms, answers $(kv statuses "$U_LINE") |"
  echo "| FinCloud peak, $HOT_SHARE debiting one hot account | **$H_RATE transfers/s**, p50 $(kv p50_ms "$H_LINE") ms, p99 $(kv p99_ms "$H_LINE") ms, answers $(kv statuses "$H_LINE") |"
  echo "| ledger group commit at the peak (uniform / hot) | $U_GROUP / $H_GROUP transfers a group on average, $U_GROUPS / $H_GROUPS groups/s, $U_GROUP_MS / $H_GROUP_MS ms from a group's start to its commit |"
  echo "| database transactions/s in FinCloud's database at the peak, reads included (uniform / hot) | $U_XACTS / $H_XACTS |"
  echo "| node RSS (the JVM; PostgreSQL is a separate process) | max $U_RSS MiB during the uniform peak, $H_RSS MiB during the hot peak, $RSS_MAX MiB over the whole run |"
  echo "| disk sync rate (\`pg_test_fsync\`, fdatasync, one 8 kB write) | $FSYNC_LINE |"
  echo
  echo "wrk is a closed loop: its latencies are those of $CONNECTIONS callers each waiting for its answer,"
  echo "not those of an open arrival rate (below)."
  echo
  echo "## CPU"
  echo
  echo "Cores busy during each phase (from /proc: the node's JVM, the PostgreSQL server with its backends,"
  echo "the load generator, and everything else on the machine), the CPU each operation cost, and what"
  echo "that cost allows on $CORES cores if CPU is the bound (cores / CPU per operation, generator included)."
  echo
  echo "| phase | node | PostgreSQL | generator | everything else | CPU per operation: node + PostgreSQL + generator | CPU-bound ceiling /s |"
  echo "|---|---|---|---|---|---|---|"
  echo "| pgbench TPC-B | - | $P_PG_CORES | $P_GEN_CORES | $P_OTHER_CORES | - + $P_PG_US + $P_GEN_US us | $PG_CEILING |"
  echo "| FinCloud uniform peak | $U_NODE_CORES | $U_PG_CORES | $U_GEN_CORES | $U_OTHER_CORES | $U_NODE_US + $U_PG_US + $U_GEN_US us | $U_CEILING |"
  echo "| FinCloud hot peak | $H_NODE_CORES | $H_PG_CORES | $H_GEN_CORES | $H_OTHER_CORES | $H_NODE_US + $H_PG_US + $H_GEN_US us | $H_CEILING |"
  echo
  echo "JIT compiler threads during the uniform peak: $U_JIT % of a core (hot peak: $H_JIT %), within the node's"
  echo "column; much more than a few percent would say that the warm-up was too short to measure the node alone."
  echo
  echo "## Latency at a constant arrival rate"
  echo
  echo "Open model (\`loadtest/opengen\`): request i is due at start + i/rate whatever happened before,"
  echo "latency is measured from that intended time (no coordinated omission). ${OPEN_WARMUP}s of warm-up, then"
  echo "${OPEN_SECS}s measured; rates are a percentage of the peak of the same kind (uniform or hot). Times in ms."
  echo "\"generator lag\" is how late the generator itself sent at worst: when it is large, the generator"
  echo "(which shares the cores) and not only the node made the latency."
  echo
  echo "| accounts | % of peak | rate /s | answered 201 /s | errors | p50 | p90 | p99 | p99.9 | max | generator lag | errors by kind |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s' "$OPEN_ROWS"
  echo
  echo "## One transfer at a time"
  echo
  echo "$ALONE_RATE transfers a second, uniform accounts, each answered before the next is due, on the node"
  echo "otherwise idle: the latency one client sees (from the intended send time), and the node's own"
  echo "account of the same answers (\`Server-Timing: total\`). The difference is spent outside what the"
  echo "node measures (the client, loopback TCP, HTTP parsing before the route). Times in ms."
  echo
  echo "| answered 201 | errors | client p50 | client p99 | client max | node total p50 | node total p99 |"
  echo "|---|---|---|---|---|---|---|"
  echo "| $(kv ok "$ALONE_LINE") | $(kv errors "$ALONE_LINE") | $ALONE_P50 | $ALONE_P99 | $(kv max_ms "$ALONE_LINE") | $(kv server_p50_ms "$ALONE_LINE") | $(kv server_p99_ms "$ALONE_LINE") |"
  echo
  echo "## Targets"
  echo
  echo "| target | goal | this run | |"
  echo "|---|---|---|---|"
  echo "| FinCloud peak / pgbench tps | >= 3 | $RATIO_PG | $(verdict "$RATIO_PG >= 3") |"
  echo "| the same, from the CPU-bound ceilings | >= 3 | $RATIO_PG_CPU | $(verdict "$RATIO_PG_CPU >= 3") |"
  echo "| FinCloud peak / pgbench tps, this stage (the goal above is the compass) | >= 1 | $RATIO_PG | $(verdict "$RATIO_PG >= 1") |"
  echo "| CPU per transfer at the uniform peak, node + PostgreSQL | <= 420 us | $U_NODE_PG_US us | $(verdict "$U_NODE_PG_US <= 420") |"
  echo "| p99 at 50% of the uniform peak | < 10 ms | ${P99_AT_HALF} ms | $(verdict "${P99_AT_HALF:-1e9} < 10") |"
  echo "| p99 at 75% of the uniform peak | <= 25 ms | ${P99_AT_THREE_QUARTERS} ms | $(verdict "${P99_AT_THREE_QUARTERS:-1e9} <= 25") |"
  echo "| one transfer at a time, p50 as the client sees it | <= 1.5 ms | ${ALONE_P50} ms | $(verdict "${ALONE_P50:-1e9} <= 1.5") |"
  echo "| one transfer at a time, p99 as the client sees it | <= 4 ms | ${ALONE_P99} ms | $(verdict "${ALONE_P99:-1e9} <= 4") |"
  echo "| hot / uniform peak | >= 0.5 | $RATIO_HOT | $(verdict "$RATIO_HOT >= 0.5") |"
  echo "| node RSS at the peak | < 1024 MiB | $U_RSS MiB | $(verdict "$U_RSS < 1024") |"
  echo
  echo "## The books after the run"
  echo
  echo "| check | expected | found |"
  echo "|---|---|---|"
  echo "| trial balance (\`GET /v1/ledger/trial-balance\`) | sumPosted 0, entries = 2 x postedTransfers | balanced=$BALANCED:$(sed 's/^VERIFY balanced=[a-z]*//' <<<"$VERIFY_LINE") |"
  echo "| accounts (not allowNegative) below -overdraftLimit, SQL | 0 | $BELOW_LIMIT |"
  echo "| sum of posted balances per currency, SQL | 0 | $SQL_SUM |"
  echo "| transfers in the database | | $TRANSFERS |"
  echo
  if [[ -n "$PROFILE_TEXT" ]]; then
    echo "## Where the node's CPU went under uniform load"
    echo
    echo "Java Flight Recorder (settings=profile) on the node during ${PROFILE_SECS}s of uniform load after the peaks (the recorder slows"
    echo "the node down, so it has a run of its own);"
    echo "shares of the execution samples. PostgreSQL's own CPU is in the table above, not here."
    echo
    echo "$PROFILE_TEXT"
    echo
  fi
  echo "## Versions and settings"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| FinCloud | $FINCLOUD_VERSION, commit $GIT_REV, Vert.x $VERTX_VERSION |"
  echo "| node | defaults (\`fincloud-defaults.json\`)${NODE_CONFIG:+ with $(tr -d ' \n' <"$NODE_CONFIG")}, JVM options: ${NODE_JAVA_OPTS:-none}; CPUs: ${NODE_CPUS:-all, not pinned} |"
  echo "| Java | $JAVA_VERSION |"
  echo "| PostgreSQL | $PG_VERSION ($PG_SERVER): $PG_SETTINGS |"
  echo "| pgbench | $("$PGBENCH" --version) |"
  echo "| wrk | $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $WRK_THREADS threads, $CONNECTIONS connections, script \`loadtest/wrk/transfers.lua\` |"
  echo "| data | $ACCOUNTS accounts funded from one allowNegative account; amounts 1..100 cents; a fresh Idempotency-Key per transfer |"
  echo "| machine | $(nproc) cores ($CPU), $MEM_GIB GiB, Linux $(uname -r | cut -d- -f1) |"
} >"$OUT"

log "wrote ${OUT#"$ROOT"/}"
cat "$OUT"
[[ "$BALANCED" == true && "$BELOW_LIMIT" == 0 ]] || die "the books do not balance: see the report"
