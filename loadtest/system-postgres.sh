#!/usr/bin/env bash
# Prepares this machine's system PostgreSQL 15 (Debian's cluster 15/main) for a benchmark against a
# server that is not the node's embedded one, as root:
#
#   URL=$(loadtest/system-postgres.sh) && loadtest/benchmark.sh --pg-url "$URL"
#   loadtest/system-postgres.sh --stop     stops the cluster again
#
# It starts the cluster, gives it the embedded server's settings (EmbeddedDatabase: fsync,
# synchronous_commit and full_page_writes on, shared_buffers=256MB, max_connections=200, loopback
# only) with ALTER SYSTEM, restarting it when one needs it, makes the superuser fincloud_bench
# (password fincloud_bench; a superuser may run every migration, and they need no extension) and a
# fresh, empty database fincloud_bench (dropping the one of a previous run, so that runs compare),
# and prints the database's URL on standard output.
set -euo pipefail

VERSION=15
CLUSTER=main
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 2; }
command -v pg_lsclusters >/dev/null || { echo "no pg_lsclusters: apt-get install postgresql-$VERSION" >&2; exit 1; }
# pg_lsclusters -h: version cluster port status owner data-directory log-file
read -r _ _ PORT STATUS _ < <(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c') \
  || { echo "no PostgreSQL cluster $VERSION/$CLUSTER (pg_createcluster $VERSION $CLUSTER)" >&2; exit 1; }

if [[ "${1:-}" == --stop ]]; then
  [[ "$STATUS" == down ]] || pg_ctlcluster "$VERSION" "$CLUSTER" stop
  echo "cluster $VERSION/$CLUSTER stopped" >&2
  exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--stop]" >&2; exit 2; }

[[ "$STATUS" == online ]] || pg_ctlcluster "$VERSION" "$CLUSTER" start
# As the cluster's superuser, over its Unix socket (peer authentication).
admin() { PGOPTIONS='-c client_min_messages=warning' runuser -u postgres -- psql -p "$PORT" -v ON_ERROR_STOP=1 -XAtq "$@"; }

admin -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
  -c "ALTER SYSTEM SET full_page_writes = on" -c "ALTER SYSTEM SET shared_buffers = '256MB'" \
  -c "ALTER SYSTEM SET max_connections = 200" -c "ALTER SYSTEM SET listen_addresses = '127.0.0.1'" \
  -c "SELECT pg_reload_conf()" >/dev/null
# The last three take effect only when the server starts again.
if [[ "$(admin -c "SELECT current_setting('shared_buffers') || ' ' || current_setting('max_connections') || ' '
      || current_setting('listen_addresses')")" != "256MB 200 127.0.0.1" ]]; then
  pg_ctlcluster "$VERSION" "$CLUSTER" restart
fi

admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fincloud_bench') THEN
            CREATE ROLE fincloud_bench; END IF; END \$\$" \
  -c "ALTER ROLE fincloud_bench LOGIN SUPERUSER PASSWORD 'fincloud_bench'" \
  -c "ALTER ROLE fincloud_bench RESET ALL" \
  -c "DROP DATABASE IF EXISTS fincloud_bench WITH (FORCE)" \
  -c "CREATE DATABASE fincloud_bench OWNER fincloud_bench"
echo "cluster $VERSION/$CLUSTER on 127.0.0.1:$PORT: $(admin -c "SELECT string_agg(name || '=' || current_setting(name),
  ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes',
  'shared_buffers', 'max_connections', 'listen_addresses')")" >&2
echo "postgresql://fincloud_bench:fincloud_bench@127.0.0.1:$PORT/fincloud_bench"
