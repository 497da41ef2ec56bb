#!/usr/bin/env bash
# A PostgreSQL server of our own for demos and benchmarks, in a folder, on a loopback port:
#   Scripts/local-postgres.sh start DIR [PORT]   initdb (first time) and start; prints the URL of database "mpi"
#   Scripts/local-postgres.sh stop DIR
# Installs Debian's packages when missing (install-postgres.sh). PostgreSQL refuses to run as root:
# as root the server runs as the `postgres` system user the package creates. Unlike the tests'
# throwaway clusters, this one keeps PostgreSQL's durable defaults (fsync on), so what it measures is
# what a deployment would see.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
action="${1:?usage: local-postgres.sh start|stop DIR [PORT]}"
dir="$(mkdir -p "${2:?usage: local-postgres.sh start|stop DIR [PORT]}" && cd "$2" && pwd)"
port="${3:-55432}"
bash "$here/install-postgres.sh"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_server() {
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
case "$action" in
start)
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_server "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
    fi
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=1GB -c max_wal_size=4GB" start >/dev/null
    as_server "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAtc "SELECT 1 FROM pg_database WHERE datname = 'mpi'" postgres | grep -q 1 \
        || as_server "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres mpi
    echo "postgres://postgres@127.0.0.1:$port/mpi?sslmode=disable"
    ;;
stop)
    as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
*)
    echo "usage: local-postgres.sh start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
