#!/usr/bin/env bash
# The replica concurrency test (Tests/MPIServiceTests/ReplicaConcurrencyTests.swift) RUNS times in a
# row, stopping at the first failure: two `mpi serve --replica` processes from a release build,
# eight clients, 2,000 patients sent to both, one replica killed with SIGKILL and restarted; on
# SQLite and on PostgreSQL. Each run draws a new seed; a failure prints it.
#
#   Scripts/replica-concurrency.sh [RUNS]        (default 20)
#
# Needs what Scripts/test.sh installs (PostgreSQL, the Python clients); it builds the tests and
# `mpi -c release`. Each run's output is kept in .build/replica-concurrency/run-N.log.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
bash Scripts/install-postgres.sh
swift build --build-tests > /dev/null
swift build -c release --product mpi > /dev/null
# Copies, so that a build while the runs go on does not change what they run.
logs=.build/replica-concurrency
mkdir -p "$logs"
cp .build/release/mpi "$logs/mpi"
cp "$(swift build --show-bin-path)/mpiPackageTests.xctest" "$logs/tests"
export MPI_EXECUTABLE="$PWD/$logs/mpi"
tests="$logs/tests"
for run in $(seq 1 "$runs"); do
    started=$(date +%s)
    if "$tests" --testing-library swift-testing --filter ReplicaConcurrencyTests > "$logs/run-$run.log" 2>&1; then
        echo "run $run of $runs passed ($(( $(date +%s) - started )) s)"
    else
        echo "run $run of $runs FAILED: $logs/run-$run.log"
        grep -E "seed|✘" "$logs/run-$run.log" | head -20
        exit 1
    fi
done
echo "$runs runs in a row passed"
