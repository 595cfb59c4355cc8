#!/usr/bin/env bash
# What the synchronous standby costs: one node on a pg_auto_failover formation
# (cluster-config/pg-failover.sh), the same closed-loop transfer load (wrk and
# loadtest/wrk/transfers.lua) measured three times in one run on the SAME primary server:
#   1. with its synchronous standby (every commit waits for the standby's flush),
#   2. alone: the standby stopped, the primary in wait_primary (what a single server does, with the
#      same data, settings and disk),
#   3. with the standby again, once it has caught up (a second sample, to bracket the noise).
# Prints a Markdown table and the ratio alone / synchronous; writes it to --out when given.
#
#   loadtest/sync-standby-benchmark.sh [--seconds N] [--connections N] [--accounts N] [--out FILE] [--keep]
#
# Loopback only, free ports, everything in a temporary folder, everything it started stopped when it
# ends. Run it under the machine's benchmark lock when the machine is shared. Needs the Debian packages
# of cluster-config/pg-failover.sh, wrk, java 17, maven (only to build missing jars), curl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_ROUND=30
CONNECTIONS=32
ACCOUNTS=200
WARMUP_SECS=20
OUT=""
KEEP=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_ROUND="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --accounts) ACCOUNTS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --keep) KEEP=true ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '%s [sync-standby] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

WORK=$(mktemp -d -t fincloud-sync-standby.XXXXXX)
chmod 755 "$WORK"  # pg_autoctl runs as the postgres user and must reach the formation's folder inside
FORMATION="$WORK/formation"
FAILOVER="$ROOT/cluster-config/pg-failover.sh"
NODE_PID=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$NODE_PID" 2>/dev/null || true
  fi
  [[ -e "$FORMATION/pids" ]] && "$FAILOVER" stop "$FORMATION" >/dev/null 2>&1 || true
  if $KEEP || [[ $status -ne 0 ]]; then
    log "temporary folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in java curl wrk; do command -v "$tool" >/dev/null || die "$tool is required"; done
NODE_JAR="$ROOT/target/fincloud.jar"
OPENGEN_JAR="$ROOT/loadtest/opengen/target/opengen.jar"
[[ -f "$NODE_JAR" ]] || (cd "$ROOT" && mvn -B -q -ntp package -DskipTests) >"$WORK/build.log" 2>&1 || die "the node did not build"
[[ -f "$OPENGEN_JAR" ]] || mvn -B -q -ntp -f "$ROOT/loadtest/opengen/pom.xml" package >"$WORK/build-opengen.log" 2>&1 \
  || die "the generator did not build"

log "starting the formation (monitor, primary, synchronous standby)"
"$FAILOVER" start "$FORMATION" >"$WORK/formation.log" 2>&1 || { tail -20 "$WORK/formation.log" >&2; die "no formation"; }
PG_URL=$(cat "$FORMATION/url")
state() { "$FAILOVER" status "$FORMATION" 2>/dev/null; }
await_state() { # await_state DESCRIPTION REGEX SECONDS
  local deadline=$((SECONDS + $3))
  until state | grep -Eq "$2"; do
    [[ $SECONDS -lt $deadline ]] || { state >&2 || true; die "not within $3 s: $1"; }
    sleep 1
  done
}
PSQL=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)
# what the primary waits for at each commit: the standby's name, or nothing when it commits alone
sync_names() { "$PSQL" "$PG_URL" -XAtc "SHOW synchronous_standby_names" 2>/dev/null || echo "?"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=18290; while ! port_free "$PORT"; do PORT=$((PORT + 1)); done
MANAGEMENT_PORT=$((PORT + 1000)); while ! port_free "$MANAGEMENT_PORT"; do MANAGEMENT_PORT=$((MANAGEMENT_PORT + 1)); done
URL="http://127.0.0.1:$PORT"
log "starting a node on $URL with FINCLOUD_PG_URL=$PG_URL"
FINCLOUD_PG_URL="$PG_URL" FINCLOUD_DEMO=true FINCLOUD_DATA_DIR="$WORK/data" FINCLOUD_HTTP_HOST=127.0.0.1 \
  FINCLOUD_HTTP_PORT="$PORT" FINCLOUD_MANAGEMENT_PORT="$MANAGEMENT_PORT" \
  java -jar "$NODE_JAR" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 240); do
  kill -0 "$NODE_PID" 2>/dev/null || { tail -30 "$WORK/node.log" >&2; die "the node exited while starting"; }
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready" || true)" == 200 ]] && break
  sleep 0.5
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready" || true)" == 200 ]] || die "the node never became ready"

log "setting up $ACCOUNTS funded accounts"
java -jar "$OPENGEN_JAR" setup --url "$URL" --dir "$WORK/load" --accounts "$ACCOUNTS" >"$WORK/setup.log" 2>&1 \
  || { tail -20 "$WORK/setup.log" >&2; die "setup failed"; }

# CPU seconds of the node's JVM from /proc, for CPU per transfer (less noisy than rates on a shared machine).
CLK_TCK=$(getconf CLK_TCK)
node_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$NODE_PID/stat"; }
kv() { tr ' ' '\n' <<<"$2" | awk -F= -v key="$1" '$1 == key { sub(/^[^=]*=/, ""); print; exit }'; }
ROWS=""
round() { # round LABEL: one closed-loop run; sets RATE
  local ticks0 line created
  ticks0=$(node_ticks)
  line=$(timeout $((SECONDS_PER_ROUND + 60)) wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_ROUND}s" --timeout 10s \
    -s "$ROOT/loadtest/wrk/transfers.lua" "$URL" -- "$WORK/load" 0 2>&1 | tee "$WORK/wrk-$1.log" | grep '^WRK ' | tail -1)
  [[ -n "$line" ]] || { tail -20 "$WORK/wrk-$1.log" >&2; die "wrk failed"; }
  created=$(kv created "$line")
  RATE=$(kv created_per_s "$line")
  local node_us
  node_us=$(awk -v t="$(( $(node_ticks) - ticks0 ))" -v hz="$CLK_TCK" -v n="$created" 'BEGIN { printf "%.0f", t / hz / (n + 1e-9) * 1e6 }')
  log "$1: $line"
  ROWS+="| $1 | $(sync_names) | $RATE | $(kv p50_ms "$line") | $(kv p99_ms "$line") | $node_us | $(kv statuses "$line") | $(cut -d' ' -f1-3 /proc/loadavg) |"$'\n'
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "warming up for ${WARMUP_SECS}s"
timeout $((WARMUP_SECS + 60)) wrk -t2 -c"$CONNECTIONS" -d"${WARMUP_SECS}s" --timeout 10s \
  -s "$ROOT/loadtest/wrk/transfers.lua" "$URL" -- "$WORK/load" 0 >"$WORK/wrk-warmup.log" 2>&1 || die "warm-up failed"

round "synchronous standby"
SYNC1=$RATE
log "stopping the standby (node2); waiting for the primary to commit alone (wait_primary)"
"$FAILOVER" stop-node "$FORMATION" node2 >/dev/null
await_state "node1 in wait_primary" 'node1 .*\| +wait_primary +\| +wait_primary' 180
round "alone (standby stopped)"
ALONE=$RATE
log "starting the standby again; waiting until it is the synchronous standby again"
"$FAILOVER" start-node "$FORMATION" node2 >/dev/null
await_state "node2 a caught-up secondary" 'node2 .*\| +secondary +\| +secondary' 300
await_state "node1 primary again" 'node1 .*\| +primary +\| +primary' 120
round "synchronous standby, again"
SYNC2=$RATE

RATIO=$(awk -v a="$ALONE" -v s1="$SYNC1" -v s2="$SYNC2" 'BEGIN { printf "%.2f", (s1 + s2) / 2 / a }')
REPORT="| round | synchronous_standby_names | transfers/s | p50 ms | p99 ms | node CPU us/transfer | statuses | load average after |
|---|---|---|---|---|---|---|---|
$ROWS
Throughput with the synchronous standby / alone (mean of the two synchronous rounds): **$RATIO**.
$CONNECTIONS connections, ${SECONDS_PER_ROUND} s per round, $ACCOUNTS accounts, $(nproc) cores, load average at the start: $LOAD_START.
Command: \`loadtest/sync-standby-benchmark.sh --seconds $SECONDS_PER_ROUND --connections $CONNECTIONS --accounts $ACCOUNTS\`."
echo "$REPORT"
[[ -z "$OUT" ]] || echo "$REPORT" >"$OUT"
