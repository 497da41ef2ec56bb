#!/usr/bin/env bash
# The demo on PostgreSQL: starts a local server (Scripts/local-postgres.sh, in DIR/postgres, port
# 55433), generates the demo's four-trust population, imports it into a new database, links it there,
# measures the persons against the known truth, shows the store's status, and stops the server.
#   Scripts/demo-postgres.sh [DIR]      (default: /tmp/mpi-demo-postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(mkdir -p "${1:-/tmp/mpi-demo-postgres}" && cd "${1:-/tmp/mpi-demo-postgres}" && pwd)"
swift build -c release --product mpi >/dev/null
mpi="$(swift build -c release --show-bin-path)/mpi"
url="$(bash Scripts/local-postgres.sh start "$dir/postgres" 55433)"
trap 'bash Scripts/local-postgres.sh stop "$dir/postgres" || true' EXIT
# A new database each time, so the demo always starts from an empty store.
admin() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
admin "$bin/psql" -h 127.0.0.1 -p 55433 -U postgres -qc "DROP DATABASE IF EXISTS mpi WITH (FORCE)" -c "CREATE DATABASE mpi" postgres

"$mpi" generate --persons 20000 --seed 1 --out "$dir/population"
"$mpi" import "$dir/population/job.json" --db "$url" --quiet
"$mpi" link "$dir/population/job.json" --db "$url" --out "$dir/link"
echo
"$mpi" evaluate --truth "$dir/population/truth.csv" --clusters "$dir/link/clusters.csv"
echo
"$mpi" status --db "$url"
