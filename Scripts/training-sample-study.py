#!/usr/bin/env python3
"""How far the trained model moves as training's samples shrink, and what that does to the linkage.

For one generated extract folder (job.json and truth.csv from `mpi generate`), runs `mpi link` once per
training setting: u from fewer random pairs (EM kept at its largest), then EM passes over fewer pairs
(u kept at its largest), each with several training seeds. For each run it reports the training time,
how far the comparison levels' weights log2(m/u) moved from the run with the largest samples and the
first seed, and the linkage against the truth (`mpi evaluate`): F1, false-merge pairs and review items
per 1,000 records. Two measures of the move, in bits: the largest over all levels (a level true matches
almost never reach, such as an NHS number one digit apart, moves most and matters least), and the
average over levels weighted by how often true matches fall in each (the reference m).

    swift build -c release --product mpi
    Scripts/training-sample-study.py DIR [--seeds 3] [--reuse]

Only the standard library; the outputs of each run are left in DIR/study/ (--reuse reads them again
instead of linking).
"""
import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
U_SIZES = [1_000_000, 300_000, 100_000, 30_000]
EM_SIZES = [2_000_000, 500_000, 150_000, 50_000]
BASE_SEED = 20261128


def run(mpi, folder, job, name, u_size, em_size, seed, reuse):
    out = folder / "study" / name
    out.mkdir(parents=True, exist_ok=True)
    if not (reuse and (out / "model.json").exists()):
        variant = dict(job)
        variant["training"] = dict(job.get("training", {}), uSampleSize=u_size, maximumPairsPerPass=em_size, seed=seed)
        job_path = folder / f"study-{name}.json"   # beside the extracts: their paths are relative to the job
        job_path.write_text(json.dumps(variant))
        subprocess.run([mpi, "link", str(job_path), "--out", str(out), "--quiet"], check=True)
        job_path.unlink()
    evaluation = json.loads(subprocess.run([mpi, "evaluate", "--truth", str(folder / "truth.csv"),
                                            "--clusters", str(out / "clusters.csv"), "--json"],
                                           check=True, capture_output=True, text=True).stdout)
    summary = json.loads((out / "summary.json").read_text())
    model = json.loads((out / "model.json").read_text())
    train = next(stage["seconds"] for stage in summary["secondsPerStage"] if stage["stage"] == "train")
    return model, evaluation, train


def levels(model):
    """(comparison, level) -> (weight in bits, m)."""
    return {(json.dumps(comparison["kind"]), index): (math.log2(level["m"] / level["u"]), level["m"])
            for comparison in model["comparisons"] for index, level in enumerate(comparison["levels"])}


def moves(current, reference):
    """The largest move over all levels, and the average weighted by the reference m (per comparison,
    the m of its levels sum to 1, so each comparison counts once)."""
    largest = max(abs(current[key][0] - reference[key][0]) for key in reference)
    weighted = sum(reference[key][1] * abs(current[key][0] - reference[key][0]) for key in reference)
    comparisons = len({key[0] for key in reference})
    return largest, weighted / comparisons


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--mpi", default=str(ROOT / ".build" / "release" / "mpi"))
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    job = json.loads((args.folder / "job.json").read_text())

    settings = [(u, EM_SIZES[0]) for u in U_SIZES] + [(U_SIZES[0], em) for em in EM_SIZES[1:]]
    reference = None
    print("| u pairs | EM pairs per pass | seed | train (s) | weight move, largest (bits) | weight move, m-weighted (bits) "
          "| F1 | false-merge pairs | review per 1,000 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for u_size, em_size in settings:
        for offset in range(args.seeds):
            seed = BASE_SEED + offset
            model, evaluation, train = run(args.mpi, args.folder, job, f"u{u_size}-em{em_size}-s{offset}", u_size, em_size, seed,
                                           args.reuse)
            current = levels(model)
            if reference is None:
                reference = current
            largest, weighted = moves(current, reference)
            print(f"| {u_size:,} | {em_size:,} | {offset + 1} | {train:.2f} | {largest:.2f} | {weighted:.3f} | {evaluation['f1']:.4f} | "
                  f"{evaluation['falseMergePairs']:,} | {evaluation['reviewItemsPerThousandRecords']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
