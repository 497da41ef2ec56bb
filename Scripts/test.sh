#!/usr/bin/env bash
# The tests, as CI runs them (.ci/run): Debian's headless Chromium for the review page's browser
# test when it is missing (see install-browser.sh), PostgreSQL for the store tests' second backend
# (install-postgres.sh), the Python clients the notification and FHIR
# tests check the service with (clients-env.sh), then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-browser.sh
bash Scripts/install-postgres.sh
bash Scripts/clients-env.sh > /dev/null
swift test "$@"
