#!/usr/bin/env bash
# The identity store on SQLite and on PostgreSQL, in one run on one machine (docs/store.md keeps the
# output): a four-trust population of PERSONS (default 565,000: about a million records) imported,
# linked, then 10,000 new records (R1K rows under a new source code) linked incrementally; wall time
# and peak memory of each `mpi` command, and the store's size. PostgreSQL runs on loopback from
# Scripts/local-postgres.sh with its durable defaults; its own memory is not in mpi's peak.
#   Scripts/compare-backends.sh [PERSONS] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-565000}"
dir="$(mkdir -p "${2:-/tmp/compare-backends}" && cd "${2:-/tmp/compare-backends}" && pwd)"
swift build -c release --product mpi >/dev/null
mpi="$(swift build -c release --show-bin-path)/mpi"

if [ ! -f "$dir/gen/job.json" ]; then "$mpi" generate --persons "$persons" --seed 9 --out "$dir/gen" >/dev/null; fi
# 10,000 new records: the first R1K rows under source code ZZZ.
mkdir -p "$dir/inc"
head -10001 "$dir/gen/r1k.csv" > "$dir/inc/r1k.csv"
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
job = json.load(open(f"{d}/gen/job.json"))
source = next(s for s in job["sources"] if s["code"] == "R1K")
source["code"] = "ZZZ"
source["path"] = "r1k.csv"
job["sources"] = [source]
json.dump(job, open(f"{d}/inc/job.json", "w"), indent=2)
PY

url="$(bash Scripts/local-postgres.sh start "$dir/postgres")"
trap 'bash Scripts/local-postgres.sh stop "$dir/postgres" || true' EXIT
psql_admin() { (cd / && runuser -u postgres -- psql -h 127.0.0.1 -p 55432 -U postgres -qAt "$@"); }
psql_admin -c "DROP DATABASE IF EXISTS mpi WITH (FORCE)" postgres
psql_admin -c "CREATE DATABASE mpi" postgres
rm -f "$dir"/s.sqlite*

measure() {   # label, then the command; prints "label<TAB>seconds<TAB>peak MB"
    local label="$1"; shift
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" > "$dir/$label.log" 2>&1
    read -r seconds kilobytes < "$dir/time.txt"
    printf "%s\t%s\t%d\n" "$label" "$seconds" "$((kilobytes / 1024))"
}

for backend in sqlite postgres; do
    db="$dir/s.sqlite"; [ "$backend" = postgres ] && db="$url"
    measure "$backend-import" "$mpi" import "$dir/gen/job.json" --db "$db" --quiet
    measure "$backend-first-link" "$mpi" link "$dir/gen/job.json" --db "$db" --out "$dir/out-$backend" --quiet
    measure "$backend-import-10k" "$mpi" import "$dir/inc/job.json" --db "$db" --quiet
    measure "$backend-link-10k" "$mpi" link "$dir/inc/job.json" --db "$db" --out "$dir/inc-out-$backend" --quiet
    measure "$backend-link-nothing-new" "$mpi" link "$dir/inc/job.json" --db "$db" --out "$dir/none-out-$backend" --quiet
done
echo -e "size\tsqlite\t$(stat -c %s "$dir/s.sqlite")"
echo -e "size\tpostgres\t$(psql_admin -c "SELECT pg_database_size('mpi')" postgres)"
# Both stores must hold the same persons: compare the partitions of the incremental runs' clusters.
python3 - "$dir" <<'PY'
import csv, sys
d = sys.argv[1]
def partition(path):
    groups = {}
    for row in csv.DictReader(open(path)):
        groups.setdefault(row["person_id"], []).append((row["source"], row["record_id"]))
    return sorted(sorted(g) for g in groups.values())
same = partition(f"{d}/inc-out-sqlite/clusters.csv") == partition(f"{d}/inc-out-postgres/clusters.csv")
print("same persons on both backends:", "yes" if same else "NO")
PY
