#!/usr/bin/env bash
# Static checks of the operator monitoring bundle (deploy/monitoring):
#   1. promtool check config prometheus.yml   (also loads alerts.yml through rule_files)
#   2. promtool check rules alerts.yml
#   3. every alert in alerts.yml has a unit test that fires it and one that does not
#   4. promtool test rules alerts_test.yml
#   5. grafana-dashboard.json is valid JSON, uses the ${DS_PROMETHEUS} data source variable,
#      shows the metrics operators need, and every PromQL query in it parses
# Usage: check_monitoring.sh [DIR]   (DIR defaults to deploy/monitoring of this checkout)
# Exit: 0 all passed, 1 something failed (listed at the end), 77 promtool missing (skipped).
set -euo pipefail

dir="${1:-$(cd "$(dirname "$0")/../../deploy/monitoring" && pwd)}"
dir="$(cd "$dir" && pwd)"

# promtool comes with the Debian package `prometheus`. Install it only where that is clearly
# wanted: as root on a CI machine (CI=true). Never fail because the attempt failed.
if ! command -v promtool >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 && "${CI:-}" =~ ^(1|true|yes)$ ]] && command -v apt-get >/dev/null; then
    echo "promtool is missing; trying: apt-get install -y prometheus"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq prometheus \
      >/dev/null 2>&1 || true
  fi
fi
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIPPED: promtool (Debian package prometheus) is not installed: install it with" \
       "'apt-get install prometheus' to check the monitoring configuration"
  exit 77
fi
for tool in python3; do
  command -v "$tool" >/dev/null || { echo "FAILED: $tool is needed for these checks"; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/lotse-monitoring-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

failures=()
# step NAME COMMAND...: runs the command, shows its output indented, records a failure.
step() {
  local name="$1"
  shift
  echo "--- $name"
  if "$@" >"$work/out" 2>&1; then
    sed 's/^/    /' "$work/out"
    echo "    ok"
  else
    sed 's/^/    /' "$work/out"
    echo "    FAILED: $name"
    failures+=("$name")
  fi
}

echo "Checking the monitoring bundle in $dir with $(promtool --version 2>&1 | head -n1)"

# promtool resolves rule_files relative to the config file, so check a copy of both side by side.
cp "$dir/prometheus.yml" "$dir/alerts.yml" "$work/"
step "promtool check config prometheus.yml" promtool check config "$work/prometheus.yml"
step "promtool check rules alerts.yml" promtool check rules "$dir/alerts.yml"

# Every alert needs a test case that fires it (non-empty exp_alerts) and one that must not
# (exp_alerts: []). promtool itself does not insist on either.
step "every alert has a firing and a non-firing test" python3 - "$dir/alerts.yml" \
  "$dir/alerts_test.yml" <<'PY'
import re, sys
rules = open(sys.argv[1]).read()
tests = open(sys.argv[2]).read()
alerts = re.findall(r"^\s*-\s*alert:\s*(\S+)\s*$", rules, re.M)
if not alerts:
    sys.exit("no alerts found in alerts.yml")
# Each alert_rule_test entry: "alertname: X" followed by "exp_alerts: []" or "exp_alerts:" + list.
cases = re.findall(r"^\s*alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\])?", tests, re.M)
bad = []
for alert in alerts:
    fires = sum(1 for name, empty in cases if name == alert and not empty)
    silent = sum(1 for name, empty in cases if name == alert and empty)
    print(f"{alert}: {fires} firing, {silent} non-firing case(s)")
    if fires == 0 or silent == 0:
        bad.append(alert)
unknown = sorted({name for name, _ in cases} - set(alerts))
if unknown:
    sys.exit(f"tests name alerts that alerts.yml does not define: {', '.join(unknown)}")
if bad:
    sys.exit(f"missing a firing or a non-firing test: {', '.join(bad)}")
PY

# promtool test rules resolves rule_files relative to the test file's directory.
step "promtool test rules alerts_test.yml" bash -c 'cd "$1" && promtool test rules alerts_test.yml' \
  _ "$dir"

step "grafana-dashboard.json is valid JSON" python3 -m json.tool "$dir/grafana-dashboard.json" /dev/null

# Structure of the dashboard; writes every query (with the dashboard variables filled in) as a
# recording rule so that promtool parses the PromQL.
step "grafana-dashboard.json: data source variable, panels, metrics" python3 - \
  "$dir/grafana-dashboard.json" "$work/dashboard_queries.yml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
problems = []
if not 36 <= d.get("schemaVersion", 0) <= 39:
    problems.append(f"schemaVersion {d.get('schemaVersion')} (expected about 38)")
variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
ds = variables.get("DS_PROMETHEUS")
if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
    problems.append("no templating variable DS_PROMETHEUS of type datasource (prometheus)")
panels, stack = [], list(d.get("panels", []))
while stack:
    p = stack.pop(0)
    panels.append(p)
    stack.extend(p.get("panels", []))
ids = [p.get("id") for p in panels]
if len(ids) != len(set(ids)):
    problems.append("panel ids are not unique")
exprs = []
for p in panels:
    if p.get("type") == "row":
        continue
    for t in p.get("targets", []) or [None]:
        uid = ((t or {}).get("datasource") or p.get("datasource") or {}).get("uid")
        if uid != "${DS_PROMETHEUS}":
            problems.append(f"panel '{p.get('title')}' does not use ${{DS_PROMETHEUS}}")
        if t and t.get("expr"):
            exprs.append((p.get("title"), t["expr"]))
needed = ["lotse_events_produced_total", "lotse_events_consumed_total",
          "lotse_consumer_lag_events", "lotse_command_duration_seconds_bucket",
          "lotse_commit_duration_seconds_bucket", "lotse_commit_batch_size",
          "lotse_errors_total", "lotse_dead_letters", "lotse_disk_free_bytes",
          "lotse_disk_min_free_bytes", "process_resident_memory_bytes",
          "lotse_escalations_total"]
text = "\n".join(e for _, e in exprs)
for metric in needed:
    if metric not in text:
        problems.append(f"no panel shows {metric}")
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard_queries\n    rules:\n")
    for i, (title, e) in enumerate(exprs):
        e = e.replace("$instance", ".*").replace("${instance}", ".*")
        e = e.replace("$__range", "1h").replace("$__rate_interval", "1m")
        f.write(f"      - record: dashboard:query_{i}\n        expr: {json.dumps(e)}\n")
print(f"{len(panels)} panels, {len(exprs)} queries")
if problems:
    sys.exit("\n".join(problems))
PY
if [[ -s "$work/dashboard_queries.yml" ]]; then
  step "grafana-dashboard.json: every PromQL query parses" \
    promtool check rules "$work/dashboard_queries.yml"
fi

echo
if ((${#failures[@]} > 0)); then
  echo "MONITORING CHECK FAILED (${#failures[@]}):"
  printf '  - %s\n' "${failures[@]}"
  exit 1
fi
echo "Monitoring bundle OK: config, rules, rule unit tests and dashboard all pass."
