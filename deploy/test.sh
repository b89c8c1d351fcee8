#!/usr/bin/env bash
# One command to a green test run: installs what is missing, builds, runs every test.
# `deploy/test.sh -L unit` runs only the fast set; other arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
bash deploy/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 300 "$@"
