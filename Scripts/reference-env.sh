#!/usr/bin/env bash
# Creates (once) the Python virtual environment with the established implementations our reference
# fixtures and peer timings come from, and prints its python path.
#   jellyfish        Soundex, NYSIIS (and a second Jaro-Winkler)
#   rapidfuzz        Jaro, Jaro-Winkler, Levenshtein, OSA (Damerau-Levenshtein) and the peer timings
#   doublemetaphone  Lawrence Philips' C++ Double Metaphone
#   nicknames        the forename nickname dataset behind Data/forename-variants.csv
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build-python"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet jellyfish==1.3.0 rapidfuzz==3.14.6 doublemetaphone==1.2 nicknames==1.0.1 numpy >&2
fi
echo "$venv/bin/python"
