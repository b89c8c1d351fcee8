#!/usr/bin/env bash
# Builds the Debian package `lotse` into build/package/lotse_<version>_amd64.deb: the services,
# the CLI and the web terminal as a city runs them (no test hooks), stripped, with the units,
# the config and the maintainer scripts of deploy/package/ (deploy/CMakeLists.txt). Then lintian
# checks it where it is installed. A later `deploy/build.sh --test-hooks` rebuilds two files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh
rm -rf build/package
(cd build && cpack -G DEB >/dev/null)
deb=$(ls build/package/lotse_*_amd64.deb)
echo "built $deb ($(du -h "$deb" | cut -f1))"
if command -v lintian >/dev/null; then
  lintian --fail-on error "$deb" || {
    echo "lintian found errors in $deb (above)" >&2
    exit 1
  }
fi
