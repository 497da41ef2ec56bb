#!/usr/bin/env bash
# Installs Debian's PostgreSQL server and client when they are missing. The store's and the service's
# tests run every store test against a throwaway PostgreSQL cluster as well as SQLite
# (Tests/MPIStoreTestSupport/ThrowawayPostgres.swift): without the server those tests fail, so a
# failed install is fatal here. The tests start their own cluster as the `postgres` system user the
# package creates; no server is left running by this script (Debian's package starts one, stopped here).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id postgres >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
echo "installing postgresql for the store tests" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null
# The package's own cluster is not used; it would only hold port 5432 and memory.
$SUDO service postgresql stop >/dev/null 2>&1 || true
