#!/usr/bin/env bash
# Two lookup-service replicas on one store under mixed load, as docs/store.md measures them: starts
# `mpi serve --replica` twice on DB (ports 7411 and 7412), then for SECONDS sends, at both at once,
# resolve, match and register load (`mpi loadtest`, six of them side by side), and prints each load
# test's summary and each replica's peak memory.
#
#   Scripts/replica-load.sh MPI DB CLIENTS TOKEN [SECONDS]
#
# DB is a linked identity store (a postgres:// URL, or a SQLite file: replicas share it too); CLIENTS a
# clients file whose client holding TOKEN may resolve, match and register for R1K. The replicas
# register new records (LOAD-...) into DB.
set -euo pipefail
mpi="$1"; db="$2"; clients="$3"; token="$4"; seconds="${5:-20}"
logs="$(mktemp -d)"
pids=()
for port in 7411 7412; do
    "$mpi" serve --replica --db "$db" --clients "$clients" --json "127.0.0.1:$port" --log-level notice 2> "$logs/$port.log" &
    pids+=($!)
done
for port in 7411 7412; do
    for _ in $(seq 1 600); do grep -q "json listening" "$logs/$port.log" && break; sleep 1; done
done
load() {   # port, operation, connections, pipeline, seed
    "$mpi" loadtest --json "127.0.0.1:$1" --token "$token" --db "$db" --operation "$2" --seconds "$seconds" \
        --connections "$3" --pipeline "$4" --seed "$5" 2>&1 | tail -1 | sed "s/^/replica :$1  /"
}
loads=()
load 7411 resolve 4 8 1 > "$logs/a-resolve" & loads+=($!)
load 7412 resolve 4 8 2 > "$logs/b-resolve" & loads+=($!)
load 7411 match 1 4 3 > "$logs/a-match" & loads+=($!)
load 7412 match 1 4 4 > "$logs/b-match" & loads+=($!)
load 7411 register 1 2 5 > "$logs/a-register" & loads+=($!)
load 7412 register 1 2 6 > "$logs/b-register" & loads+=($!)
wait "${loads[@]}"
cat "$logs"/a-* "$logs"/b-*
for pid in "${pids[@]}"; do echo "replica pid $pid peak memory: $(awk '/VmHWM/ {print int($2 / 1024) " MB"}' "/proc/$pid/status")"; done
for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
wait "${pids[@]}" || true
rm -rf "$logs"
