#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver for the review page's browser test
# (Tests/mpiTests/ReviewBrowserTests.swift) when they are missing. Without them that one test is
# skipped, so a failed install is reported, not fatal.
set -uo pipefail
if command -v chromedriver >/dev/null && command -v chromium >/dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
echo "installing chromium and chromium-driver for the browser test" >&2
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver; } >/dev/null 2>&1; then
    echo "could not install chromium; the browser test will be skipped" >&2
fi
exit 0
