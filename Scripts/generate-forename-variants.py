#!/usr/bin/env python3
"""Writes Data/forename-variants.csv: one row per (group, name), upper-case ASCII.

A group is a canonical forename with its nicknames and spelling variants. A name may belong to
several groups (BILL is in WILLIAM and in ROBERT); two forenames "share a nickname group" when
their groups intersect.

Sources:
  * the `nicknames` package on PyPI (carltonnorthern/nicknames, Apache License 2.0), a hand-curated
    list of English given names and their nicknames;
  * ADDITIONS below: spelling variants common in North West London registrations that the list does
    not carry (transliterations of Arabic, South Asian and other names, and English spelling pairs).

Run:  $(Scripts/reference-env.sh) Scripts/generate-forename-variants.py
"""
from pathlib import Path

from nicknames import NickNamer

ROOT = Path(__file__).resolve().parent.parent

ADDITIONS = {
    "MUHAMMAD": "MOHAMMED MOHAMMAD MOHAMED MOHAMAD MUHAMMED MUHAMED MOHAMMOD MOHAMMEDALI MOHD MD MUHAMAD MOHAMMET MEHMET MAHOMED",
    "AHMED": "AHMAD AHMET AHMEDALI",
    "ROBERT": "ROBBIE ROBBY BERTIE",
    "STEPHEN": "STEVEN STEVE STEVIE STEPH STEFAN STEPHAN",
    "MOHAMMED": "MUHAMMAD MOHAMMAD MOHAMED MOHAMAD MUHAMMED",
    "FATIMA": "FATIMAH FATEMA FATMA",
    "AISHA": "AYESHA AISHAH AYSHA AISHAA",
    "HUSSAIN": "HUSSEIN HUSAIN HOSSAIN HOSSEIN",
    "ABDULLAH": "ABDULLA ABDALLAH",
    "YUSUF": "YOUSUF YOUSEF YUSSUF JOSEPH",
    "IBRAHIM": "EBRAHIM IBRAHEEM",
    "MARIAM": "MARYAM MIRIAM MARYAN MARY",
    "ZAINAB": "ZAINEB ZEYNAB ZAYNAB",
    "SEAN": "SHAUN SHAWN JOHN",
    "SIOBHAN": "SHIVAUN CHEVONNE",
    "CATHERINE": "KATHERINE CATHRYN KATHRYN KATHARINE CATHARINE CATHY KATE KATIE KAT",
    "ELEANOR": "ELINOR ELEANORE ELLIE NELL",
    "GEOFFREY": "JEFFREY JEFF GEOFF",
    "PHILIP": "PHILLIP PHIL PIP",
    "NICHOLAS": "NICOLAS NIKOLAS NICK NICKY",
    "ALEXANDER": "ALEKSANDER ALEKSANDR ALEX SASHA SANDY",
    "PIOTR": "PETER",
    "KRZYSZTOF": "CHRISTOPHER KRIS",
    "LUKASZ": "LUKE LUCAS",
    "JOAO": "JOHN",
    "JOSE": "JOSEPH",
    "PRIYA": "PRIYANKA",
    "JASPREET": "JASPRIT",
    "GURPREET": "GURPRIT",
}


def main():
    namer = NickNamer()
    groups = {}
    for canonical in set(namer._nickname_lookup) | set(namer._canonical_lookup):
        nicknames = namer.nicknames_of(canonical)
        if nicknames:
            groups.setdefault(canonical.upper(), set()).update(n.upper() for n in nicknames)
    for canonical, variants in ADDITIONS.items():
        groups.setdefault(canonical, set()).update(variants.split())
    rows = set()
    for canonical, members in groups.items():
        for name in members | {canonical}:
            if name.isascii() and name.isalpha() and name != "":
                rows.add((canonical, name))
    out = ROOT / "Data" / "forename-variants.csv"
    with open(out, "w") as handle:
        handle.write("group,name\n")
        for canonical, name in sorted(rows):
            handle.write(f"{canonical},{name}\n")
    print(f"{out.relative_to(ROOT)}: {len(groups)} groups, {len(rows)} rows")


if __name__ == "__main__":
    main()
