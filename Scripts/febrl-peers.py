#!/usr/bin/env python3
"""Splink and recordlinkage on a FEBRL set exported by compare-febrl.py, each set up as a competent user
of the tool would, writing clusters in the layout of mpi's clusters.csv so `mpi evaluate` scores all
three the same way.

Usage:  $(Scripts/splink-env.sh) Scripts/febrl-peers.py DIR SET
Writes DIR/splink/clusters-P.csv (P = 0.9, 0.99, 0.999) and DIR/recordlinkage/clusters-ecm.csv.

Splink 5 (DuckDB): names with term frequencies, date of birth, street number, address, suburb,
postcode, state and soc_sec_id; λ from soc_sec_id + date of birth; u from random pairs; m by EM on
names and on date of birth; prediction blocking on soc_sec_id, names, date of birth and postcode.
recordlinkage: the same blocking as an index, the same fields compared (Jaro-Winkler ≥ 0.85 for
strings, exact otherwise), and its unsupervised ECM classifier; matches joined as connected components.
"""
import csv
import sys
from pathlib import Path

import pandas as pd

COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
           "date_of_birth", "soc_sec_id"]


def load(directory, number):
    files = [("A", "febrl4-a.csv"), ("B", "febrl4-b.csv")] if number == 4 else [("FEBRL", "febrl.csv")]
    frames = []
    for source, name in files:
        frame = pd.read_csv(directory / name, dtype=str, keep_default_na=False)
        frame.insert(0, "source", source)
        frames.append(frame)
    return frames


def iso_date(text):
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return pd.Timestamp(f"{text[:4]}-{text[4:6]}-{text[6:]}").strftime("%Y-%m-%d")
    except ValueError:
        return None


def write_clusters(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "record_id", "person_id"])
        writer.writerows(rows)


def splink(directory, frames, number):
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    tables = []
    for frame in frames:
        table = frame.copy()
        table["unique_id"] = table["source"] + ":" + table["rec_id"]
        table["dob"] = table["date_of_birth"].map(iso_date)
        table = table.replace({"": None})
        tables.append(table)
    settings = SettingsCreator(
        link_type="link_only" if number == 4 else "dedupe_only",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.8]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("soc_sec_id"), block_on("given_name", "surname"), block_on("dob"), block_on("postcode", "surname"),
            block_on("postcode", "given_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    registered = [db_api.register(table, table_name=f"febrl_{index}") for index, table in enumerate(tables)]
    linker = Linker(registered if number == 4 else registered[0], settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match([block_on("soc_sec_id", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    for threshold in [0.9, 0.99, 0.999]:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=threshold)
        rows = [(*r["unique_id"].split(":", 1), r["cluster_id"]) for r in clusters.as_record_list()]
        write_clusters(directory / "splink" / f"clusters-{threshold}.csv", rows)


def recordlinkage_ecm(directory, frames, number):
    import recordlinkage
    indexed = []
    for frame in frames:
        table = frame.set_index(frame["source"] + ":" + frame["rec_id"])
        indexed.append(table)
    indexer = recordlinkage.Index()
    for fields in (["soc_sec_id"], ["given_name", "surname"], ["date_of_birth"], ["postcode", "surname"], ["postcode", "given_name"]):
        indexer.block(fields)
    pairs = indexer.index(*indexed) if number == 4 else indexer.index(indexed[0])
    compare = recordlinkage.Compare()
    for field in ["given_name", "surname", "address_1", "suburb"]:
        compare.string(field, field, method="jarowinkler", threshold=0.85, label=field)
    for field in ["date_of_birth", "street_number", "postcode", "state", "soc_sec_id"]:
        compare.exact(field, field, label=field)
    features = compare.compute(pairs, *indexed) if number == 4 else compare.compute(pairs, indexed[0])
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    parent = {}

    def root(x):
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x
    for a, b in matches:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    rows = []
    for table in indexed:
        for key in table.index:
            rows.append((*key.split(":", 1), root(key)))
    write_clusters(directory / "recordlinkage" / "clusters-ecm.csv", rows)


def main():
    directory, number = Path(sys.argv[1]), int(sys.argv[2])
    frames = load(directory, number)
    splink(directory, frames, number)
    recordlinkage_ecm(directory, frames, number)


if __name__ == "__main__":
    main()
