#!/usr/bin/env python3
"""Writes the reference vectors the Swift tests compare against, computed by established
implementations, never by our own code:

  Tests/Fixtures/similarity.tsv   a, b, Jaro, Jaro-Winkler (rapidfuzz), Levenshtein, OSA distance (rapidfuzz),
                                  all over the UTF-8 bytes of a and b
  Tests/Fixtures/phonetic.tsv     name, Soundex, NYSIIS (jellyfish), Double Metaphone primary/alternate (doublemetaphone)
  Tests/Fixtures/nhs-numbers.tsv  number, valid, reason: the modulus-11 rule as the NHS data dictionary states it
  Tests/Fixtures/six-significant.tsv  a double (repr) and its C "%.6g" text (Python's % operator, which
                                  rounds the exact binary value as C's printf does): the numbers of pairs.csv

Run:  $(Scripts/reference-env.sh) Scripts/generate-reference-fixtures.py
The pairs are synthetic and deterministic (seeded): name lists below, typing errors applied at random.
"""
import random
from pathlib import Path

import jellyfish
from doublemetaphone import doublemetaphone
from nicknames import NickNamer
from rapidfuzz.distance import OSA, Jaro, JaroWinkler, Levenshtein

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures"
rng = random.Random(20261128)

# Surnames common in North West London registrations, across the origins its population has.
SURNAMES = """SMITH JONES WILLIAMS TAYLOR BROWN DAVIES EVANS WILSON THOMAS JOHNSON ROBERTS ROBINSON THOMPSON WRIGHT
WALKER WHITE EDWARDS HUGHES GREEN HALL LEWIS HARRIS CLARKE PATEL JACKSON WOOD TURNER MARTIN COOPER HILL WARD MORRIS
MOORE CLARK LEE KING BAKER HARRISON MORGAN ALLEN JAMES SCOTT PHILLIPS WATSON DAVIS PARKER PRICE BENNETT YOUNG GRIFFITHS
MITCHELL KELLY COOK CARTER RICHARDSON BAILEY COLLINS BELL SHAW MURPHY MILLER COX RICHARDS KHAN MARSHALL ANDERSON SIMPSON
ELLIS ADAMS SINGH BEGUM WILKINSON FOSTER CHAPMAN POWELL WEBB ROGERS GRAY MASON ALI HUNT HUSSAIN CAMPBELL MATTHEWS
OWEN PALMER HOLMES MILLS BARNES KNIGHT LLOYD BUTLER RUSSELL BARKER FISHER STEVENS JENKINS MURRAY DIXON HARVEY GRAHAM
PEARSON AHMED FLETCHER WALSH KAUR GIBSON HOWARD ANDREWS STEWART ELLIOTT REYNOLDS SAUNDERS PAYNE FOX FORD PEARCE DAY
BROOKS WEST LAWRENCE COLE ATKINSON BRADLEY SPENCER GILL DAWSON BALL BURTON OBRIEN WATTS ROSE BOOTH PERRY RYAN GRANT
WELLS ARMSTRONG FRANCIS REES HAYES HART HUDSON NEWMAN BARRETT WEBSTER HUNTER GREGORY CARR LOWE PAGE MARSH RILEY DUNN
WOODS PARSONS BERRY STONE REID HOLLAND HAWKINS HARDING PORTER ROBERTSON NEWTON OLIVER REED KENNEDY WILLIAMSON BIRD
GARDNER SHAH DODD MACDONALD MCDONALD OCONNOR ODONNELL MCCARTHY MACLEOD FITZGERALD DSOUZA DSILVA FERNANDES PEREIRA
RODRIGUES GONCALVES OLIVEIRA SANTOS COSTA MARTINS NOWAK KOWALSKI WISNIEWSKI WOJCIK KOWALCZYK KAMINSKI LEWANDOWSKI
ZIELINSKI SZYMANSKI WOZNIAK DABROWSKI KOZLOWSKI JANKOWSKI MAZUR KWIATKOWSKI KRAWCZYK PIOTROWSKI GRABOWSKI NOWAKOWSKI
PAWLOWSKI MICHALSKI NGUYEN TRAN PHAM HOANG VU WANG ZHANG CHEN LIU YANG HUANG ZHAO ZHOU WU XU SUN MA ZHU HU GUO
OKAFOR OKONKWO ADEYEMI OLADIPO ADEBAYO OKEKE EZE NWOSU BALOGUN OGUNDIPE MENSAH OWUSU BOATENG ASANTE MOHAMED ABDI
ABDULLAHI HASSAN OMAR WARSAME FARAH ELMI IBRAHIM YUSUF ISMAIL ABDULRAHMAN RAHMAN CHOWDHURY MIAH UDDIN ISLAM AKHTAR
BIBI MAHMOOD IQBAL RASHID QURESHI MALIK BUTT SHARMA GUPTA KUMAR MEHTA JOSHI DESAI PATIL NAIR MENON PILLAI REDDY RAO
VARGHESE THAKKAR PANCHAL SOLANKI PARMAR MISTRY CHAUHAN RATHOD JADEJA POPESCU IONESCU POPA STAN DUMITRU GHEORGHE
SCHMIDT SCHNEIDER FISCHER WEBER MEYER WAGNER BECKER SCHULZ HOFFMANN MUELLER MULLER SCHAFER KOCH RICHTER KLEIN WOLF
ROSSI RUSSO FERRARI ESPOSITO BIANCHI ROMANO COLOMBO RICCI MARINO GRECO GARCIA RODRIGUEZ GONZALEZ FERNANDEZ LOPEZ
MARTINEZ SANCHEZ PEREZ GOMEZ JIMENEZ PAPADOPOULOS GEORGIOU CONSTANTINOU CHRISTODOULOU YILMAZ KAYA DEMIR SAHIN CELIK
IVANOV PETROV SMIRNOV KUZNETSOV POPOV HORVATH NAGY TOTH SZABO KISS VARGA SMITHJONES HAMILTONSMITH VANDERBERG DELACRUZ
ALHASSAN ELSAYED BINLADEN LEBLANC DUPONT DUBOIS MOREAU LAURENT SIMON MICHEL LEFEBVRE MCLAUGHLIN MCHUGH GALLAGHER
DOHERTY QUINN MCGRATH OSULLIVAN ONEILL CAGNEY GHISLAINE JOSE SANJACINTO CAESAR CHIANTI MICHAEL FOCACCIA BACCHUS
BERTUCCI MCCLELLAN EDGE EDGAR HUGH BOUGH BROUGHTON LAUGH TOUGH TAGLIARO BIAGGI ROGIER HOCHMEIER ISLAND CARLISLE SUGAR
SCHOOL SCHENKER THOMAS THAMES ARNOW FILIPOWICZ BREAUX ZHAO WASSERMAN WHITMORE XAVIER KNIGHT WRIGHT PSMITH GNOME""".split()

nicknamer = NickNamer()
FORENAMES = sorted({n.upper() for n in nicknamer._canonical_lookup} | {n.upper() for n in nicknamer._nickname_lookup})
FORENAMES = [n for n in FORENAMES if n.isalpha()]
FORENAMES += """MOHAMMED MUHAMMAD MOHAMED MOHAMMAD AHMED AISHA FATIMA PRIYA AMIT RAVI SUNIL DEEPAK ANJALI NAVEEN OLUWASEUN
CHIDI NGOZI KWAME AMARA ABDULLAHI FARHAN ZAINAB YUSUF IBRAHIM SIOBHAN NIAMH AOIFE SEAN CIARAN PIOTR KRZYSZTOF AGNIESZKA
MALGORZATA LUKASZ ZOE ANGSTROM JOSE JOAO MARIA ANA THI MINH WEI XIAO JUN HUI MEI NOOR IMRAN SAIMA""".split()

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def typo(name: str) -> str:
    """One keying error of the kinds seen in registration data."""
    if not name:
        return name
    kind = rng.choice(["substitute", "delete", "insert", "transpose", "double", "undouble", "truncate"])
    i = rng.randrange(len(name))
    if kind == "substitute":
        return name[:i] + rng.choice(LETTERS) + name[i + 1:]
    if kind == "delete" and len(name) > 1:
        return name[:i] + name[i + 1:]
    if kind == "insert":
        return name[:i] + rng.choice(LETTERS) + name[i:]
    if kind == "transpose" and len(name) > 1:
        i = min(i, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    if kind == "undouble":
        for j in range(len(name) - 1):
            if name[j] == name[j + 1]:
                return name[:j] + name[j + 1:]
        return name
    if kind == "truncate" and len(name) > 3:
        return name[: rng.randrange(2, len(name))]
    return name


# Names as trusts send them before folding, with diacritics and other scripts: the similarity functions
# work on UTF-8 bytes, so these are scored by rapidfuzz over the same bytes.
DIACRITIC = """MÜLLER ZOË JOSÉ ŁUKASZ BJØRK ÅSA SØREN GARCÍA NÚÑEZ FRANÇOIS CHLOÉ RENÉE BEYONCÉ ÖZTÜRK ŞAHIN ÇELIK
GÖKHAN DVOŘÁK NOVÁK WOJCIECHOWSKA PAWEŁ ŻANETA STRAßE ANDRÉ CÉLINE HÉLÈNE ZSÓFIA ÁRPÁD JÚLIA ÍRIS NGUYỄN TRẦN
ДМИТРИЙ ИВАНОВ ΓΕΩΡΓΙΟΥ ΠΑΠΑΔΟΠΟΥΛΟΣ محمد""".split()


def fold_ascii(name: str) -> str:
    """A rough ASCII spelling, to pair with the original (not a reference value itself)."""
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFKD", name) if c.isascii())


def similarity_pairs():
    pairs = []
    names = SURNAMES + FORENAMES
    for _ in range(2700):                       # one or two typing errors
        a = rng.choice(names)
        b = typo(a) if rng.random() < 0.7 else typo(typo(a))
        pairs.append((a, b))
    for _ in range(1500):                       # different names
        pairs.append((rng.choice(names), rng.choice(names)))
    for canonical, nicks in list(nicknamer._canonical_lookup.items())[:600]:   # nicknames against full names
        for nick in sorted(nicks)[:2]:
            if nick.isalpha():
                pairs.append((canonical.upper(), nick.upper()))
    for name in DIACRITIC:
        pairs.append((name, fold_ascii(name) or "X"))
        pairs.append((name, typo(name)))
        pairs.append((name, rng.choice(DIACRITIC)))
    hard = [("", ""), ("A", ""), ("", "SMITH"), ("A", "A"), ("A", "B"), ("AB", "BA"), ("AA", "A"), ("AAAA", "AAA"),
            ("ANNA", "ANA"), ("LEE", "LI"), ("NG", "NGUYEN"), ("JO", "JOE"), ("MARTHA", "MARHTA"), ("DIXON", "DICKSONX"),
            ("DWAYNE", "DUANE"), ("MULLER", "MUELLER"), ("ZOE", "ZOEY"), ("LUKASZ", "LUCAS"), ("OBRIEN", "OBRYAN"),
            ("SMITHJONES", "JONES"), ("VANDERBERG", "BERG"), ("MOHAMMED", "MUHAMMAD"), ("CA", "ABC"), ("ABC", "CA"),
            ("MISSISSIPPI", "MISSISIPPI"), ("AAAAAAAAAA", "AAAAAAAAAB"), ("BBBBBB", "AAAAAA")]
    pairs += hard
    # Long strings (past one machine word) exercise the general path.
    for _ in range(60):
        a = "".join(rng.choice(names) for _ in range(rng.randrange(6, 14)))
        b = a
        for _ in range(rng.randrange(1, 6)):
            b = typo(b)
        pairs.append((a, b))
    return pairs


def write_similarity():
    pairs = similarity_pairs()
    with open(OUT / "similarity.tsv", "w") as out:
        out.write("a\tb\tjaro\tjaro_winkler\tlevenshtein\tosa\n")
        for a, b in pairs:
            # Scored over UTF-8 bytes, as the Swift functions compare them (identical for ASCII).
            x, y = list(a.encode()), list(b.encode())
            out.write(f"{a}\t{b}\t{Jaro.similarity(x, y)!r}\t{JaroWinkler.similarity(x, y)!r}\t"
                      f"{Levenshtein.distance(x, y)}\t{OSA.distance(x, y)}\n")
    return len(pairs)


def write_phonetic():
    names = sorted(set(SURNAMES + FORENAMES + [typo(n) for n in SURNAMES] + [typo(n) for n in FORENAMES]))
    names = [n for n in names if n]
    with open(OUT / "phonetic.tsv", "w") as out:
        out.write("name\tsoundex\tnysiis\tdm_primary\tdm_alternate\n")
        for name in names:
            primary, alternate = doublemetaphone(name)
            out.write(f"{name}\t{jellyfish.soundex(name)}\t{jellyfish.nysiis(name)}\t{primary}\t{alternate}\n")
    return len(names)


def nhs_check_digit(first_nine: str):
    """NHS data dictionary: weights 10..2, 11 - (sum mod 11); 11 -> 0; 10 -> no valid number."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1)))
    check = 11 - total % 11
    return 0 if check == 11 else None if check == 10 else check


def write_nhs_numbers():
    rows = [("9434765919", "valid", ""), ("9876544321", "invalid", "check_digit"),
            ("9990000018", "valid", ""), ("9000000009", "valid", "")]
    for _ in range(300):
        first = "999" + "".join(rng.choice("0123456789") for _ in range(6))
        check = nhs_check_digit(first)
        if check is None:
            rows.append((first + "0", "invalid", "check_digit"))
            continue
        rows.append((first + str(check), "valid", ""))
        wrong = (check + rng.randrange(1, 10)) % 10
        rows.append((first + str(wrong), "invalid", "check_digit"))
    with open(OUT / "nhs-numbers.tsv", "w") as out:
        out.write("number\texpected\treason\n")
        for row in rows:
            out.write("\t".join(row) + "\n")
    return len(rows)


def write_six_significant():
    """Match weights, probabilities and the awkward cases: ties at the sixth digit, carries to the
    next power of ten, the switch to exponent form at 1e-4 and 1e6, tiny and huge values."""
    values = [0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1e-4, 9.99999e-5, 0.000099999949, 0.00009999995, 123456.5, 1234565.0,
              0.1234565, 0.9999995, 0.99999949, 999999.5, 999999.4, 1e6, 1e-5, 3.2e-05, 25.3719, -12.345678,
              1e-300, 5e-324, 1.7976931348623157e308, 2.5, 0.125, 1e22, 1e23, 123456789012.0]
    for _ in range(3000):
        values.append(rng.uniform(-60.0, 60.0))                      # match weights
        weight = rng.uniform(-60.0, 60.0)
        values.append(1.0 / (1.0 + 2.0 ** -weight))                 # probabilities
        values.append(rng.uniform(0.0, 1.0) * 10.0 ** rng.randint(-320, 308))
        digits = rng.randint(100000, 999999)                         # exactly at or beside a tie
        values.append((digits + 0.5) * 10.0 ** rng.randint(-12, 6))
    with open(OUT / "six-significant.tsv", "w") as out:
        out.write("value\tprinted\n")
        for value in values:
            out.write(f"{value!r}\t{'%.6g' % value}\n")
    return len(values)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"similarity pairs: {write_similarity()}")
    print(f"phonetic names:   {write_phonetic()}")
    print(f"NHS numbers:      {write_nhs_numbers()}")
    print(f"%.6g numbers:     {write_six_significant()}")
