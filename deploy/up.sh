#!/usr/bin/env bash
# One command to a running set: installs what is missing, builds, and starts every service on
# the embedded sample city with data in ./var, and the web terminal (its URL is printed). Arguments
# go to `lotse up` (e.g. --port-base).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
bash deploy/build.sh
exec build/bin/lotse up "$@"
