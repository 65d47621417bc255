#!/usr/bin/env bash
# A throw-away PostgreSQL 15 + PostGIS 3 cluster for the tests and benchmarks.
#
#   scripts/test-postgres.sh start DIR   initdb into DIR, start the server (unix socket in DIR and
#                                        127.0.0.1 on a free port), create the roles and the test
#                                        database with PostGIS; prints the connection as
#                                        shell 'export' lines (eval them)
#   scripts/test-postgres.sh stop DIR    stop the server (DIR is left for the caller to remove)
#   scripts/test-postgres.sh run CMD…    start a cluster in a new temporary folder, run CMD with
#                                        the connection exported, stop and remove the cluster
#                                        (also when CMD fails); exits with CMD's status
#
# Roles: the superuser 'postgres' (administration: creating roles), the workspace owner
# 'planlabor' (no superuser, may create the read-only role for QGIS; owns the database 'planlabor_test', as an administration's
# GIS department would set it up). As root the server runs as the system user 'postgres'.
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
if [[ "$cmd" == run ]]; then
  shift
  tmp=$(mktemp -d)
  trap '"$0" stop "$tmp/pg" || true; rm -rf "$tmp"' EXIT
  "$0" start "$tmp/pg" >"$tmp/env.sh"
  # shellcheck disable=SC1091
  source "$tmp/env.sh"
  status=0
  "$@" || status=$?
  exit $status
fi
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "Aufruf: $0 start|stop VERZEICHNIS" >&2
  exit 2
fi
if [[ ! -x "$BIN/initdb" ]]; then
  echo "PostgreSQL 15 fehlt ($BIN/initdb); installieren: scripts/install-system-deps.sh" >&2
  exit 1
fi
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  as_pg=(runuser -u postgres --)  # the server refuses to run as root
fi
data="$dir/data"
case "$cmd" in
start)
  mkdir -p "$dir"
  if [[ ${#as_pg[@]} -gt 0 ]]; then
    chown postgres "$dir" && chmod 700 "$dir"
    # the server's user must pass through the parent (e.g. a mktemp -d folder, mode 700)
    parent=$(dirname "$(realpath "$dir")")
    [[ $(stat -c %u "$parent") -eq 0 ]] && chmod o+x "$parent"
    if ! runuser -u postgres -- test -x "$dir"; then
      echo "Der Benutzer postgres kann $dir nicht erreichen; wählen Sie ein anderes Verzeichnis." >&2
      exit 1
    fi
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${as_pg[@]}" "$BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  # small and quick: a test cluster, nothing here has to survive a crash
  "${as_pg[@]}" "$BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start -o \
    "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off \
     -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
     -c shared_buffers=256MB -c work_mem=64MB -c maintenance_work_mem=256MB" >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  psql=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE ROLE planlabor LOGIN CREATEROLE PASSWORD 'planlabor-test'" \
    -c "CREATE DATABASE planlabor_test OWNER planlabor" >/dev/null
  "${psql[@]}" -d planlabor_test -c "CREATE EXTENSION postgis" >/dev/null
  echo "export PLANLABOR_TEST_PG='postgresql://planlabor@/planlabor_test?host=$dir&port=$port'"
  echo "export PLANLABOR_TEST_PG_ADMIN='postgresql://postgres@/planlabor_test?host=$dir&port=$port'"
  echo "export PLANLABOR_TEST_PG_TCP='postgresql://planlabor@127.0.0.1:$port/planlabor_test'"
  ;;
stop)
  if [[ -f "$data/postmaster.pid" ]]; then
    "${as_pg[@]}" "$BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  ;;
*)
  echo "Aufruf: $0 start|stop VERZEICHNIS" >&2
  exit 2
  ;;
esac
