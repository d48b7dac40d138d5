#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the tests and prints `export TRAFFIC_TEST_PG_URL=...`.
#   eval "$(bash scripts/pg-throwaway.sh)"      start (prints the export line on stdout, progress on stderr)
#   bash scripts/pg-throwaway.sh stop           stop it and delete its directory
# initdb and postgres refuse to run as root, so as root they run as the `postgres` user in a temp dir it owns.
# Tests run it with fsync and synchronous_commit off (speed; nothing to keep). TRAFFIC_PG_DURABLE=1 keeps
# PostgreSQL's durable defaults (fsync, synchronous_commit on), as production runs it: the benches measure that.
# TRAFFIC_PG_OPTS adds server options (e.g. "-c shared_preload_libraries=pg_stat_statements").
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
STATE=${TRAFFIC_PG_STATE:-/tmp/traffic-pg-throwaway.state}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

stop() {
  [ -f "$STATE" ] || { echo "no throwaway cluster recorded in $STATE" >&2; return 0; }
  # shellcheck disable=SC1090
  . "$STATE"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
  rm -rf "$DIR" "$STATE"
  echo "stopped and removed $DIR" >&2
}

start() {
  if [ -f "$STATE" ]; then
    # shellcheck disable=SC1090
    . "$STATE"
    if as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      echo "export TRAFFIC_TEST_PG_URL=$URL"
      echo "already running in $DIR" >&2
      return 0
    fi
    rm -rf "$DIR" "$STATE"
  fi
  DIR=$(mktemp -d /tmp/traffic-pg.XXXXXX)
  chmod 755 "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
  PORT=$(free_port)
  local durability="-c fsync=off -c synchronous_commit=off"
  if [ "${TRAFFIC_PG_DURABLE:-0}" = 1 ]; then durability=""; fi
  as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=200 $durability ${TRAFFIC_PG_OPTS:-}" start >&2
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres traffic_test
  URL="postgres://postgres@127.0.0.1:$PORT/traffic_test"
  printf 'DIR=%q\nURL=%q\n' "$DIR" "$URL" >"$STATE"
  echo "export TRAFFIC_TEST_PG_URL=$URL"
  echo "PostgreSQL 15 on 127.0.0.1:$PORT in $DIR (stop: bash scripts/pg-throwaway.sh stop)" >&2
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
