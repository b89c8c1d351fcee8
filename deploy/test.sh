#!/usr/bin/env bash
# One command to a green test run: installs what is missing, builds, runs every test.
# `deploy/test.sh -L unit` runs only the fast set; other arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
# Old data stays readable: today's protos against the committed baseline (proto/README.md). buf
# comes from npm (package-lock.json) and runs offline.
echo "Checking proto/ against proto/compat/baseline.binpb (buf breaking, rules FILE)"
if ! node_modules/.bin/buf breaking proto --against proto/compat/baseline.binpb; then
  echo "proto/ breaks compatibility with the baseline (above): fields are only ever added and" \
    "numbers never reused. Add a new field instead; proto/README.md says when and how the" \
    "baseline may move." >&2
  exit 1
fi
# The Debian package first (a build without the test hooks; tests/deploy installs it into a
# fresh Debian 12 root), then the test build, which recompiles two files of it.
bash deploy/package.sh
bash deploy/build.sh --test-hooks
# The browser tests fail here instead of skipping when chromium or node_modules is missing.
export LOTSE_REQUIRE_BROWSER=1
ctest --test-dir build --output-on-failure -j2 --timeout 300 "$@"
# The whole run (no ctest arguments) also fuzzes every parser that meets outside bytes for a
# short while (clang, ASan, UBSan); a longer run: tests/fuzz/run_fuzzers.sh 3600.
if [ "$#" -eq 0 ]; then
  status=0
  bash tests/fuzz/run_fuzzers.sh "${LOTSE_FUZZ_SECONDS:-15}" || status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    exit "$status"
  fi
fi
