#!/usr/bin/env python3
"""Quality side by side: mpi and Splink on the same `mpi generate` populations, scored by the same
`mpi evaluate`. Prints a markdown table (the one in docs/quality.md).

Usage:  $(Scripts/splink-env.sh) Scripts/compare-quality.py [--sizes 20000 50000] [--seeds 1 2 3] [--profile realistic] [--mpi-only]
Needs a release build: swift build -c release. With --mpi-only, Splink is not run (its rows do not
change when only mpi does).
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MPI = ROOT / ".build" / "release" / "mpi"
SPLINK_THRESHOLDS = ["0.9", "0.95", "0.99", "0.999"]


def arguments(name, default):
    if f"--{name}" not in sys.argv:
        return default
    start = sys.argv.index(f"--{name}") + 1
    values = []
    for value in sys.argv[start:]:
        if value.startswith("--"):
            break
        values.append(int(value))
    return values


def evaluate(directory, clusters):
    out = subprocess.run([str(MPI), "evaluate", "--truth", str(directory / "truth.csv"), "--clusters", str(clusters), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def row(label, metrics):
    review = f"{metrics['reviewItemsPerThousandRecords']:.1f}" if "reviewItemsPerThousandRecords" in metrics else ""
    return (f"| {label} | {metrics['precision']:.4f} | {metrics['recall']:.4f} | {metrics['f1']:.4f} | "
            f"{metrics['falseMergePairs']:,} | {metrics['missedPairs']:,} | {metrics['bCubedPrecision']:.4f} | {metrics['bCubedRecall']:.4f} | "
            f"{review} |")


def main():
    sizes = arguments("sizes", [20000, 50000])
    seeds = arguments("seeds", [1, 2, 3])
    profile = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else "standard"
    print("| data set, tool | precision | recall | F1 | false-merge pairs | missed pairs | B-cubed P | B-cubed R | review items per 1,000 records |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            for seed in seeds:
                directory = Path(scratch) / f"p{size}-s{seed}"
                subprocess.run([str(MPI), "generate", "--persons", str(size), "--seed", str(seed), "--profile", profile,
                                "--out", str(directory)],
                               check=True, capture_output=True)
                subprocess.run([str(MPI), "link", str(directory / "job.json"), "--out", str(directory / "mpi"), "--quiet"], check=True)
                label = f"{profile} profile, {size:,} persons, seed {seed}"
                print(row(f"{label}: **mpi** (defaults)", evaluate(directory, directory / "mpi" / "clusters.csv")))
                if "--mpi-only" in sys.argv:
                    sys.stdout.flush()
                    continue
                subprocess.run([sys.executable, str(ROOT / "Scripts" / "compare-splink.py"), str(directory), "--threshold",
                                *SPLINK_THRESHOLDS], check=True, capture_output=True)
                splink = {t: evaluate(directory, directory / "splink" / f"clusters-{t}.csv") for t in SPLINK_THRESHOLDS}
                best = max(SPLINK_THRESHOLDS, key=lambda t: splink[t]["f1"])
                print(row(f"{label}: Splink at 0.99", splink["0.99"]))
                print(row(f"{label}: Splink at its best F1 ({best})", splink[best]))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
