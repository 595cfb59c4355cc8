#!/usr/bin/env bash
# What one transfer through the whole HTTP API costs the database: statements (by kind, from
# pg_stat_statements), database transactions, rows written, HOT updates, WAL bytes, and the CPU of
# PostgreSQL and of the node per transfer, at two loads: closed-loop with many connections (groups
# form) and one transfer at a time (every group holds one transfer). Counts, not speed: they hardly
# depend on how busy the machine is; the CPU figures do, a little.
#
#   loadtest/database-per-transfer.sh [--seconds N] [--connections N] [--jar NODE_JAR]
#
# Starts a node of its own (embedded PostgreSQL, a temporary data folder, free ports), restarts it
# once with pg_stat_statements loaded (ALTER SYSTEM: the node's settings are left alone), funds 100
# accounts with the open-model generator's setup, and drives loadtest/wrk/transfers.lua. Prints a
# Markdown table. Needs java, curl, psql, wrk; the node's and the generator's jars (built by
# benchmark.sh, or `mvn -B -q package -DskipTests`).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_PHASE=15
CONNECTIONS=64
NODE_JAR="$ROOT/target/fincloud.jar"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_PHASE="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --jar) NODE_JAR="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
OPENGEN_JAR="$ROOT/loadtest/opengen/target/opengen.jar"
[[ -f "$NODE_JAR" && -f "$OPENGEN_JAR" ]] || { echo "build the node and loadtest/opengen first" >&2; exit 1; }

log() { printf '%s [per-transfer] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
WORK=$(mktemp -d -t fincloud-per-transfer.XXXXXX)
NODE_PID=""
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }
PORT=$(free_port 18300)
MANAGEMENT_PORT=$(free_port $((PORT + 1)))
URL="http://127.0.0.1:$PORT"

stop_node() {
  [[ -n "$NODE_PID" ]] || return 0
  kill -TERM "$NODE_PID" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$NODE_PID" 2>/dev/null || true
  NODE_PID=""
}
cleanup() {
  stop_node
  rm -rf "$WORK"
}
trap cleanup EXIT

start_node() {
  FINCLOUD_DATA_DIR="$WORK/data" FINCLOUD_HTTP_HOST=127.0.0.1 FINCLOUD_HTTP_PORT="$PORT" \
    FINCLOUD_MANAGEMENT_PORT="$MANAGEMENT_PORT" java -jar "$NODE_JAR" >>"$WORK/node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 240); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready" || true)" == 200 ]] && return 0
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.5
  done
  tail -30 "$WORK/node.log" >&2
  echo "the node did not start" >&2
  exit 1
}

start_node
PG_URL=$(head -1 "$WORK/data/postgres.url")
sql() { psql "$PG_URL" -v ON_ERROR_STOP=1 -XAtq -F' ' "$@"; }
sql -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
stop_node
start_node
PG_URL=$(head -1 "$WORK/data/postgres.url") # a new port at each start
sql -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
PG_PID=$(head -1 "$WORK/data/postgres/postmaster.pid")
log "node on $URL, PostgreSQL pid $PG_PID"
java -jar "$OPENGEN_JAR" setup --url "$URL" --dir "$WORK/load" --accounts 100 >"$WORK/setup.log" 2>&1

CLK_TCK=$(getconf CLK_TCK)
ticks_of() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
  local total child
  total=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$PG_PID/stat")
  for child in $(pgrep -P "$PG_PID" || true); do total=$((total + $(ticks_of "$child"))); done
  echo "$total"
}
# rows inserted, updated (of which HOT), deleted in the ledger's and the audit's tables; commits; WAL bytes
db_counts() {
  sql -c "SELECT (SELECT sum(n_tup_ins) FROM pg_stat_user_tables), (SELECT sum(n_tup_upd) FROM pg_stat_user_tables),
    (SELECT sum(n_tup_hot_upd) FROM pg_stat_user_tables), (SELECT sum(n_tup_del) FROM pg_stat_user_tables),
    (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
    pg_current_wal_lsn() - '0/0'::pg_lsn"
}

phase() { # phase LABEL CONNECTIONS
  local threads=$(( $2 < 2 ? 1 : 2 )) # wrk needs a connection per thread
  wrk -t"$threads" -c"$2" -d3s -s "$ROOT/loadtest/wrk/transfers.lua" "$URL" -- "$WORK/load" 0 >/dev/null 2>&1
  sql -c "SELECT pg_stat_statements_reset()" -c "SELECT pg_stat_reset()" >/dev/null
  sleep 1 # the statistics collector's counters of the reset settle
  local before node0 pg0 after node1 pg1 line created
  before=$(db_counts); node0=$(ticks_of "$NODE_PID"); pg0=$(pg_ticks)
  line=$(wrk -t"$threads" -c"$2" -d"${SECONDS_PER_PHASE}s" --latency -s "$ROOT/loadtest/wrk/transfers.lua" "$URL" \
    -- "$WORK/load" 0 2>&1 | tee "$WORK/wrk-$1.log" | grep '^WRK ' | tail -1)
  node1=$(ticks_of "$NODE_PID"); pg1=$(pg_ticks)
  sleep 2 # the sealer's last round for these transfers
  after=$(db_counts)
  created=$(tr ' ' '\n' <<<"$line" | awk -F= '$1 == "created" { print $2 }')
  echo "### $1: $2 connections, ${SECONDS_PER_PHASE} s, $created transfers created"
  echo
  echo "\`$line\`"
  echo
  grep -E '^ +(50|99)%' "$WORK/wrk-$1.log" | awk '{ printf "latency p%s %s; ", $1, $2 } END { print "" }'
  echo
  awk -v n="$created" -v hz="$CLK_TCK" -v b="$before" -v a="$after" -v n0="$node0" -v n1="$node1" \
    -v p0="$pg0" -v p1="$pg1" 'BEGIN {
      split(b, x, " "); split(a, y, " ")
      printf "| per transfer | |\n|---|---|\n"
      printf "| database transactions | %.2f |\n", (y[5] - x[5]) / n
      printf "| rows inserted | %.2f |\n| rows updated (HOT) | %.2f (%.2f) |\n| rows deleted | %.2f |\n",
        (y[1] - x[1]) / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n, (y[4] - x[4]) / n
      printf "| WAL bytes | %.0f |\n", (y[6] - x[6]) / n
      printf "| CPU of the node, us | %.0f |\n| CPU of PostgreSQL, us | %.0f |\n", (n1 - n0) / hz / n * 1e6, (p1 - p0) / hz / n * 1e6 }'
  echo
  echo "| statements per transfer | calls / transfer | rows / call |"
  echo "|---|---|---|"
  sql -c "SELECT round(sum(calls)::numeric / $created, 3), round(sum(rows)::numeric / greatest(sum(calls), 1), 1),
      regexp_replace(left(min(query), 90), '\s+', ' ', 'g') FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    GROUP BY queryid ORDER BY 1 DESC" | awk -v n="$created" '{ c = $1; r = $2; $1 = ""; $2 = ""; sub(/^ +/, "");
      if (c >= 0.005) printf "| `%s` | %s | %s |\n", $0, c, r; total += c } END { printf "| **all** | **%.2f** | |\n", total }'
  echo
}

echo "node: $(basename "$NODE_JAR") at $(cd "$ROOT" && git log -1 --format=%h 2>/dev/null || echo unknown); $(nproc) cores"
echo
phase "many connections" "$CONNECTIONS" || log "the phase with many connections failed"
phase "one at a time" 1 || log "the phase of one at a time failed"
