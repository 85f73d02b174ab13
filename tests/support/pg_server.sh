#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for the tests: its own data directory,
# listening on 127.0.0.1 only, on a free port, trust authentication for user powertrain.
# Usage: pg_server.sh start DIR   prints the connection URL
#        pg_server.sh stop DIR
# As root, the server runs as the postgres user (PostgreSQL refuses to run as root).
set -euo pipefail
cmd=${1:?usage: pg_server.sh start|stop DIR}
dir=${2:?usage: pg_server.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then
  echo "pg_server.sh: no PostgreSQL server under /usr/lib/postgresql: run scripts/install-deps.sh" >&2
  exit 1
fi
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

case "$cmd" in
  start)
    mkdir -p "$dir/data"
    if [ "$(id -u)" -eq 0 ]; then
      chown -R postgres "$dir"
      chmod o+x "$(dirname "$dir")"   # the postgres user must reach DIR (a test's private temp dir)
    fi
    "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -A trust -U powertrain >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5; do
      port=$(( 20000 + (RANDOM % 20000) ))
      if "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
           -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null 2>&1; then
        echo "postgresql://powertrain@127.0.0.1:$port/postgres"
        exit 0
      fi
    done
    echo "pg_server.sh: the server did not start; its log:" >&2
    cat "$dir/server.log" >&2
    exit 1
    ;;
  stop)
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: pg_server.sh start|stop DIR" >&2
    exit 2
    ;;
esac
