#!/usr/bin/env bash
# Speed side by side: generates about 1,000,000 records (565,000 persons) with `mpi generate`, then runs
# `mpi link` and the Splink job of Scripts/compare-splink.py on the same files, each under
# /usr/bin/time -v, and prints wall time, peak memory, candidate pairs and pairs per second.
#
#   swift build -c release && Scripts/compare-speed.sh [PERSONS] [DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
persons="${1:-565000}"
dir="${2:-$(mktemp -d)}"
mpi="$root/.build/release/mpi"
python="$("$root/Scripts/splink-env.sh")"

"$mpi" generate --persons "$persons" --seed 1 --out "$dir" >/dev/null
records=$(($(cat "$dir"/r1k.csv "$dir"/ryj.csv "$dir"/rqm.csv "$dir"/ras.tsv | wc -l) - 4))

/usr/bin/time -v "$mpi" link "$dir/job.json" --out "$dir/mpi" --quiet 2> "$dir/mpi-time.txt"
/usr/bin/time -v "$python" "$root/Scripts/compare-splink.py" "$dir" --threshold 0.99 > "$dir/splink-out.txt" 2> "$dir/splink-time.txt"

seconds() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
memory() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
mpi_pairs=$(python3 -c "import json; print(json.load(open('$dir/mpi/summary.json'))['candidatePairs'])")
splink_pairs=$(python3 -c "import json; print(json.load(open('$dir/splink/timing.json'))['pairs_scored'])")

echo "records: $records (persons: $persons), files in $dir"
echo "| tool | wall time (s) | peak memory (MB) | candidate pairs | pairs/s |"
echo "|---|---|---|---|---|"
for tool in mpi splink; do
    t=$(seconds "$dir/$tool-time.txt"); m=$(memory "$dir/$tool-time.txt")
    p=$([ "$tool" = mpi ] && echo "$mpi_pairs" || echo "$splink_pairs")
    echo "| $tool | $t | $m | $p | $(python3 -c "print(round($p / $t))") |"
done
echo "(Splink's pair count is the pairs its predict step kept at probability >= 0.01; mpi's is every candidate pair it scored.)"
