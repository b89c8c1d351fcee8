#!/usr/bin/env bash
# Checks deploy/systemd/ as systemd would load it: every unit passes `systemd-analyze verify`
# (with ExecStart pointed at this build's binaries, which must exist), every service unit has
# the directives the operators rely on, and `systemd-analyze security` rates each at most 2.0.
# Usage: systemd_units_test.sh DEPLOY_SYSTEMD_DIR BIN_DIR
set -uo pipefail
units_dir=$1
bin_dir=$(cd "$2" && pwd)
if ! command -v systemd-analyze >/dev/null; then
  echo "skipped: systemd-analyze is not installed (Debian package systemd)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in "$units_dir"/*.service "$units_dir"/*.target; do
  sed "s|/usr/bin/lotse-|$bin_dir/lotse-|" "$f" > "$work/$(basename "$f")"
done
failed=0
cd "$work"

echo "== systemd-analyze verify"
out=$(systemd-analyze verify ./*.service ./*.target 2>&1)
rc=$?
echo "${out:-(no complaints)}"
if [ $rc -ne 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify complains"
  failed=1
fi

echo "== directives"
required=(
  "Type=notify" "User=lotse" "Group=lotse" "StateDirectory=lotse/" "Restart=on-failure"
  "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes"
  "PrivateDevices=yes" "CapabilityBoundingSet=" "RestrictAddressFamilies="
  "SystemCallFilter=@system-service" "MemoryMax=" "--log-format journal"
  "RestartPreventExitStatus=2 3 4" "PartOf=lotse.target" "WantedBy=lotse.target"
)
for unit in lotse-*.service; do
  for directive in "${required[@]}"; do
    if ! grep -q -- "^[^#]*${directive}" "$unit"; then
      echo "FAIL: $unit lacks ${directive}"
      failed=1
    fi
  done
  if grep -q "^CapabilityBoundingSet=." "$unit"; then
    echo "FAIL: $unit keeps capabilities (CapabilityBoundingSet must be empty)"
    failed=1
  fi
done
# A unit joins lotse.target when enabled (WantedBy=), so that a host of several runs only the
# units enabled there: the target itself names none.
if grep -q "^Wants=\|^Requires=" lotse.target; then
  echo "FAIL: lotse.target pulls in units itself; on several hosts it would start them all"
  failed=1
fi
[ $failed -eq 0 ] && echo "every service unit has the required directives"

echo "== systemd-analyze security (exposure, at most 2.0)"
for unit in lotse-*.service; do
  line=$(systemd-analyze security --offline=true "./$unit" 2>&1 | grep "Overall exposure level")
  score=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
  printf '%-28s %s\n' "$unit" "${score:-?}"
  if [ -z "$score" ] || ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    echo "FAIL: $unit is rated ${score:-unknown} (${line:-no rating})"
    failed=1
  fi
done
exit $failed
