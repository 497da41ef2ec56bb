#!/usr/bin/env python3
"""Times rapidfuzz on the name pairs of Tests/Fixtures/similarity.tsv, the same pairs the Swift
SimilarityBenchmarks score, so docs/benchmarks.md can put the two side by side.

rapidfuzz is timed at its fastest: `process.cpdist` scores the pairs element-wise inside its C++
core (one worker, so one core), with no Python call per pair. The figure is the median of the runs.

Run:  $(Scripts/reference-env.sh) Scripts/bench-rapidfuzz.py
"""
import statistics
import time
from pathlib import Path

import rapidfuzz
from rapidfuzz import process
from rapidfuzz.distance import OSA, Jaro, JaroWinkler, Levenshtein

ROOT = Path(__file__).resolve().parent.parent
lines = (ROOT / "Tests" / "Fixtures" / "similarity.tsv").read_text().splitlines()[1:]
pairs = [line.split("\t")[:2] for line in lines]
left = [a for a, _ in pairs]
right = [b for _, b in pairs]


def time_scorer(scorer, runs=200):
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        process.cpdist(left, right, scorer=scorer, workers=1)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples)


print(f"rapidfuzz {rapidfuzz.__version__}, {len(pairs)} pairs, median of 200 runs, one worker")
print(f"{'function':<14}{'us per run':>12}{'ns per pair':>14}")
for name, scorer in [("Jaro", Jaro.similarity), ("JaroWinkler", JaroWinkler.similarity),
                     ("Levenshtein", Levenshtein.distance), ("OSA", OSA.distance)]:
    median = time_scorer(scorer)
    print(f"{name:<14}{median / 1000:>12.0f}{median / len(pairs):>14.1f}")
