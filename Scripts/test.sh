#!/usr/bin/env bash
# The tests, as CI runs them (.ci/run): Debian's headless Chromium for the review page's browser
# test when it is missing (see install-browser.sh), then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-browser.sh
swift test "$@"
