#!/usr/bin/env python3
"""Links a population written by `mpi generate` with Splink, as a competent Splink user would set it
up, and writes Splink's clusters in the layout of mpi's clusters.csv so `mpi evaluate` scores both the
same way.

Usage:  $(Scripts/splink-env.sh) Scripts/compare-splink.py DIR [--table CSV] [--em-as-examples] [--threshold P ...]
Writes DIR/splink/clusters-P.csv for each threshold and DIR/splink/timing.json (seconds to clean, train,
predict and cluster). With --table, the extracts are not read: CSV is already one clean table in the
layout this script writes (unique_id, source, record_id, first_name, surname, dob, sex, nhs_number,
postcode), the "simple file" of Scripts/compare-speed.sh. With --em-as-examples, the EM passes run as
Splink's own examples run them (its README and the 50k-synthetic demo: `estimate_without_term_frequencies=True`,
EM over counts of comparison patterns); without it EM applies the term frequencies pair by pair, which
docs/quality.md's Splink rows use and which costs far more time at a million records.

The setup: the four extracts (and, in the realistic profile, Hillingdon's ED feed) cleaned into one table (names upper case, dates ISO, postcodes with one
space, NHS numbers digits only, sex M/F); Splink's comparison library for names (with term
frequencies), date of birth, postcode, sex and NHS number; λ from a deterministic rule; u by random
sampling (1,000,000 pairs); m by EM on two blocking rules (forename+surname, date of birth); the same
kind of prediction blocking as mpi (NHS number, name+date, postcode+forename); DuckDB backend.
"""
import csv
import json
import sys
import time
from pathlib import Path

import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

MONTHS = {m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])}


def clean_name(text):
    return "".join(c for c in text.upper() if c.isalpha() or c in " -").strip() or None


def clean_postcode(text):
    compact = "".join(c for c in text.upper() if c.isalnum())
    return compact[:-3] + " " + compact[-3:] if len(compact) >= 5 else None


def digits(text):
    value = "".join(c for c in text if c.isdigit())
    return value if len(value) == 10 else None


def rows(directory: Path):
    with open(directory / "r1k.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            family, _, given = r["PATIENT_NAME"].partition(",")
            d, m, y = r["DOB"].split("/")
            yield ("R1K", r["MRN"], given.split()[0] if given.split() else "", family, f"{y}-{m}-{d}",
                   {"1": "M", "2": "F"}.get(r["SEX"]), r["NHS_NO"], r["POSTCODE"])
    with open(directory / "ras.tsv", newline="", encoding="cp1252") as handle:
        for r in csv.DictReader(handle, delimiter="\t"):
            d, mon, y = r["BIRTH_DATE"].split("-")
            yield ("RAS", r["HOSP_NO"], (r["FORENAMES"].split() or [""])[0], r["SURNAME"], f"{y}-{MONTHS[mon]:02d}-{d}",
                   {"Male": "M", "Female": "F"}.get(r["GENDER"]), r["NHS_NUMBER"], r["POST_CODE"])
    with open(directory / "ryj.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            parts = r["Name"].split()
            yield ("RYJ", r["PatientID"], parts[0] if parts else "", parts[-1] if len(parts) > 1 else "", r["DateOfBirth"],
                   r["Sex"], r["NHSNumber"], r["Postcode"])
    with open(directory / "rqm.csv", newline="") as handle:
        for r in csv.DictReader(handle):
            dob = r["DOB"]
            yield ("RQM", r["MRN"], r["GIVEN"], r["FAMILY"], f"{dob[:4]}-{dob[4:6]}-{dob[6:]}", r["GENDER"], r["NHS"], r["PCODE"])
    yield from emergency_feed(directory)


def emergency_feed(directory: Path):
    """The realistic profile's second RAS feed (HL7 v2 A04s): a hospital number the PAS extract already
    holds is the same registration, so only newly issued numbers are new records (as mpi reads it)."""
    feed = directory / "ras-ed.hl7"
    if not feed.exists():
        return
    with open(directory / "ras.tsv", newline="", encoding="cp1252") as handle:
        held = {r["HOSP_NO"] for r in csv.DictReader(handle, delimiter="\t")}
    unescape = lambda text: text.replace("\\S\\", "^").replace("\\T\\", "&").replace("\\F\\", "|").replace("\\R\\", "~").replace("\\E\\", "\\")
    for segment in feed.read_text(encoding="utf-8").replace("\n", "\r").split("\r"):
        if not segment.startswith("PID|"):
            continue
        pid = segment.split("|")
        identifiers = [i.split("^") for i in pid[3].split("~")]
        hospital = next((unescape(i[0]) for i in identifiers if len(i) > 3 and i[3] == "RAS"), None)
        if hospital is None or hospital in held:
            continue
        held.add(hospital)
        nhs = next((i[0] for i in identifiers if len(i) > 3 and i[3] == "NHS"), "")
        name = pid[5].split("^") + ["", ""]
        dob = pid[7]
        address = pid[11].split("^") + [""] * 5
        yield ("RAS", hospital, unescape(name[1]).split(" ")[0], unescape(name[0]), f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}",
               pid[8] if pid[8] in ("M", "F") else None, nhs, unescape(address[4]))


def main():
    directory = Path(sys.argv[1])
    thresholds = [float(x) for x in sys.argv[sys.argv.index("--threshold") + 1:]] if "--threshold" in sys.argv else [0.999]
    out = directory / "splink"
    out.mkdir(exist_ok=True)
    cleaning = time.perf_counter()
    if "--table" in sys.argv:
        table = Path(sys.argv[sys.argv.index("--table") + 1])
    else:
        table = out / "input.csv"
        with open(table, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["unique_id", "source", "record_id", "first_name", "surname", "dob", "sex", "nhs_number", "postcode"])
            for index, (source, record_id, given, family, dob, sex, nhs, postcode) in enumerate(rows(directory)):
                writer.writerow([index, source, record_id, clean_name(given) or "", clean_name(family) or "", dob, sex or "",
                                 digits(nhs) or "", clean_postcode(postcode) or ""])

    started = time.perf_counter()
    db_api = DuckDBAPI()
    df = db_api.register_from_csv(str(table))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),   # DuckDB reads the ISO column as DATE
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nhs_number"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nhs_number"),
            block_on("dob", "surname"),
            block_on("dob", "first_name"),
            block_on("first_name", "surname"),
            block_on("postcode", "first_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(df, settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match([block_on("nhs_number", "dob")], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    as_examples = "--em-as-examples" in sys.argv
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"),
                                                                       estimate_without_term_frequencies=as_examples)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"),
                                                                       estimate_without_term_frequencies=as_examples)
    trained = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    predicted = time.perf_counter()

    ids = {}
    with open(table, newline="") as handle:
        for r in csv.DictReader(handle):
            ids[r["unique_id"]] = (r["source"], r["record_id"])
    timing = {"clean_seconds": started - cleaning, "train_seconds": trained - started, "predict_seconds": predicted - trained, "cluster_seconds": {}}
    for threshold in thresholds:
        clustered_start = time.perf_counter()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=threshold)
        records = clusters.as_record_list()
        timing["cluster_seconds"][str(threshold)] = time.perf_counter() - clustered_start
        with open(out / f"clusters-{threshold}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["source", "record_id", "person_id"])
            for r in records:
                source, record_id = ids[str(r["unique_id"])]
                writer.writerow([source, record_id, r["cluster_id"]])
    timing["pairs_scored"] = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
    (out / "timing.json").write_text(json.dumps(timing, indent=2))
    print(json.dumps(timing))


if __name__ == "__main__":
    main()
