#!/usr/bin/env bash
# Lints lotse-web's OpenAPI document with Redocly's recommended rules (services/web/redocly.yaml):
#   api_lint.sh <repo root> <openapi.json>
# Redocly comes from the repository's package-lock.json (`npm ci` in the repo root) and runs
# without the network. Without node_modules the check is skipped (exit 77, which ctest reports
# as skipped) unless LOTSE_REQUIRE_BROWSER is set: then it fails, as everything in node_modules is
# required.
set -euo pipefail
root="$1"
document="$2"
if [ ! -x "$root/node_modules/.bin/redocly" ]; then
  if [ -n "${LOTSE_REQUIRE_BROWSER:-}" ]; then
    echo "api_lint: $root/node_modules/.bin/redocly is missing, and LOTSE_REQUIRE_BROWSER is set:" \
      "run 'npm ci' in $root" >&2
    exit 1
  fi
  echo "api_lint: SKIPPED: no $root/node_modules/.bin/redocly; 'npm ci' in $root installs it" \
    "(set LOTSE_REQUIRE_BROWSER=1 to make this a failure)"
  exit 77
fi
cd "$root"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
export npm_config_offline=true npm_config_update_notifier=false
exec npx --no-install redocly lint --config "$root/services/web/redocly.yaml" "$document"
