#!/usr/bin/env bash
# Creates (once) the Python virtual environment of the clients we did not write, which the tests use
# to check what the service sends, and prints its python path:
#   hl7apy          parses HL7 v2 messages and validates their structure against v2.5
#   hl7             python-hl7: its MLLP server is the notification subscriber of the tests
#   fhir.resources  the FHIR models (R4B) every FHIR response of the tests is validated by
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.build-clients"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import hl7apy, hl7.mllp, fhir.resources" 2>/dev/null; then
    if ! python3 -c "import ensurepip" 2>/dev/null; then   # Debian keeps venv's pip in python3-venv
        SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
        { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv; } >/dev/null 2>&1 || true
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet hl7apy==1.3.5 hl7==0.4.5 fhir.resources==8.3.0 >&2
fi
echo "$venv/bin/python"
