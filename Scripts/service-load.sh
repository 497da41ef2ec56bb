#!/usr/bin/env bash
# The lookup service under load, as docs/benchmarks.md measures it: serves a fresh copy of STORE with
# MPI (a release binary), then runs resolve, match and register load tests against it.
#
#   Scripts/service-load.sh MPI STORE CLIENTS TOKEN
#
# STORE is a linked identity store (mpi import + mpi link); CLIENTS a clients file whose client holding
# TOKEN may resolve, match and register for R1K. The copy is registered into, the original is not.
set -euo pipefail
mpi="$1"; store="$2"; clients="$3"; token="$4"
run="$(mktemp -d)/run.sqlite"
cp "$store" "$run"
for extra in "$store"-*; do [ -e "$extra" ] && cp "$extra" "$run${extra#"$store"}"; done
"$mpi" serve --db "$run" --clients "$clients" --json 127.0.0.1:7410 2> "$run.serve.log" &
server=$!
for _ in $(seq 1 120); do grep -q "ready" "$run.serve.log" && break; sleep 1; done
"$mpi" loadtest --token "$token" --db "$run" --operation resolve --seconds 10 --connections 8 --pipeline 16 2>&1 | tail -1
"$mpi" loadtest --token "$token" --db "$run" --operation match --seconds 10 --connections 2 --pipeline 4 2>&1 | tail -1
"$mpi" loadtest --token "$token" --db "$run" --operation register --seconds 10 --connections 2 --pipeline 2 --seed 7 2>&1 | tail -1
kill -INT "$server"; wait "$server" || true
rm -rf "$(dirname "$run")"
