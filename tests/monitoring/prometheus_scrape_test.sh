#!/usr/bin/env bash
# Live test of the monitoring bundle against a running Lotse set:
#   1. starts `lotse up` on a reserved block of ports in a temp dir,
#   2. waits until /readyz of all four services answers 200 (and /healthz answers 200, both JSON),
#   3. checks every /metrics with `promtool check metrics` and that it is the expected service,
#   4. starts a real Prometheus with deploy/monitoring/alerts.yml, scraping every second, and
#      checks: all 4 targets up, `lotse_ready` is 1 for all 4 services, the `lotse` rule group
#      is loaded and evaluates without errors, and every dashboard query runs.
# Usage: prometheus_scrape_test.sh LOTSE_BINARY [MONITORING_DIR]
# Exit: 0 passed, 1 failed (with the reason), 77 promtool/prometheus missing (skipped).
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 LOTSE_BINARY [MONITORING_DIR]" >&2
  exit 2
fi
lotse="$1"
mon_dir="${2:-$(dirname "$0")/../../deploy/monitoring}"
mon_dir="$(cd "$mon_dir" && pwd)"

SERVICES=(intake routing notification audit)   # ops port = port_base + 8 + index

log() { echo "[scrape-test] $*"; }
fail() {
  echo "[scrape-test] FAILED: $*" >&2
  exit 1
}

# ---------------------------------------------------------------- prerequisites
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 && "${CI:-}" =~ ^(1|true|yes)$ ]] && command -v apt-get >/dev/null; then
    log "promtool/prometheus missing; trying: apt-get install -y prometheus"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq prometheus \
      >/dev/null 2>&1 || true
  fi
fi
for tool in promtool prometheus; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: $tool (Debian package prometheus) is not installed: install it with" \
         "'apt-get install prometheus' to run the live scrape test"
    exit 77
  fi
done
command -v python3 >/dev/null || fail "python3 is needed (HTTP requests, port checks)"
command -v flock >/dev/null || fail "flock (util-linux) is needed to reserve ports"
[[ -x "$lotse" ]] || fail "the lotse binary '$lotse' does not exist or is not executable"
lotse="$(cd "$(dirname "$lotse")" && pwd)/$(basename "$lotse")"
[[ -f "$mon_dir/alerts.yml" ]] || fail "no alerts.yml in $mon_dir"

# ---------------------------------------------------------------- clean-up
work="$(mktemp -d "${TMPDIR:-/tmp}/lotse-scrape-test.XXXXXX")"
lotse_pid=""
prom_pid=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$prom_pid" ]] && kill -0 "$prom_pid" 2>/dev/null; then
    kill -TERM "$prom_pid"
    wait "$prom_pid" 2>/dev/null
  fi
  if [[ -n "$lotse_pid" ]] && kill -0 "$lotse_pid" 2>/dev/null; then
    kill -INT "$lotse_pid"   # lotse up stops its services and the web terminal, then exits
    for _ in $(seq 1 100); do kill -0 "$lotse_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$lotse_pid" 2>/dev/null; then
      echo "[scrape-test] lotse up did not stop within 10 s after SIGINT; sending SIGTERM" >&2
      kill -TERM "$lotse_pid"
      sleep 3
      kill -0 "$lotse_pid" 2>/dev/null && kill -KILL "$lotse_pid"
    fi
    wait "$lotse_pid" 2>/dev/null
  fi
  if ((rc != 0)); then
    for f in lotse.log prometheus.log; do
      if [[ -s "$work/$f" ]]; then
        echo "----- last lines of $f" >&2
        tail -n 30 "$work/$f" >&2
      fi
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- python helpers
cat >"$work/helper.py" <<'PY'
import json, socket, sys, urllib.error, urllib.parse, urllib.request

def ports_free(base, count):
    for port in range(base, base + count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True

def get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (OSError, ValueError) as e:
        return 0, str(e)

cmd = sys.argv[1]
if cmd == "ports-free":          # ports-free BASE COUNT -> exit 0 if all are free
    sys.exit(0 if ports_free(int(sys.argv[2]), int(sys.argv[3])) else 1)
elif cmd == "free-port":         # free-port LOW HIGH: prints a free port outside [LOW, HIGH]
    low, high = int(sys.argv[2]), int(sys.argv[3])
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if not low <= port <= high:
            print(port)
            sys.exit(0)
    sys.exit(1)
elif cmd == "status":            # status URL: prints the HTTP status (0 = no connection)
    print(get(sys.argv[2])[0])
elif cmd == "get":               # get URL: body to stdout; exit 1 unless 200
    status, body = get(sys.argv[2], timeout=5.0)
    sys.stdout.write(body)
    sys.exit(0 if status == 200 else 1)
elif cmd == "json-body":         # json-body URL: 200 with a JSON body, printed compactly
    status, body = get(sys.argv[2])
    try:
        doc = json.loads(body)
    except ValueError:
        print(f"HTTP {status}, body is not JSON: {body[:200]!r}")
        sys.exit(1)
    print(f"HTTP {status} {json.dumps(doc, separators=(',', ':'))[:300]}")
    sys.exit(0 if status == 200 else 1)
elif cmd == "targets":           # targets PROM_URL N: exit 0 when N lotse targets are up
    status, body = get(sys.argv[2] + "/api/v1/targets?state=active")
    try:
        targets = json.loads(body)["data"]["activeTargets"]
    except (ValueError, KeyError, TypeError):
        print(f"no answer from Prometheus (HTTP {status})")
        sys.exit(1)
    ours = [t for t in targets if t["labels"].get("job") == "lotse"]
    shown = []
    for t in ours:
        error = t.get("lastError") or ""
        shown.append(t["scrapeUrl"] + "=" + t["health"] + (f" ({error})" if error else ""))
    print(", ".join(shown) or "no lotse targets")
    sys.exit(0 if len(ours) == int(sys.argv[3]) and all(t["health"] == "up" for t in ours)
             else 1)
elif cmd == "ready":             # ready PROM_URL SERVICE...: lotse_ready is 1 for each, only
    want = set(sys.argv[3:])
    url = sys.argv[2] + "/api/v1/query?" + urllib.parse.urlencode(
        {"query": 'lotse_ready{job="lotse"}'})
    status, body = get(url, timeout=5.0)
    try:
        rows = json.loads(body)["data"]["result"]
    except (ValueError, KeyError, TypeError):
        print(f"no answer (HTTP {status}): {body[:200]}")
        sys.exit(1)
    got = {r["metric"].get("service", "?"): r["value"][1] for r in rows}
    print(f"{len(rows)} results: " + " ".join(f"{k}={v}" for k, v in sorted(got.items())))
    sys.exit(0 if len(rows) == len(want) and set(got) == want
             and all(v == "1" for v in got.values()) else 1)
elif cmd == "rules":             # rules PROM_URL GROUP N: group loaded, N rules, all health ok
    group_name, want = sys.argv[3], int(sys.argv[4])
    status, body = get(sys.argv[2] + "/api/v1/rules")
    try:
        groups = json.loads(body)["data"]["groups"]
    except (ValueError, KeyError, TypeError):
        print(f"no answer (HTTP {status})")
        sys.exit(1)
    group = next((g for g in groups if g["name"] == group_name), None)
    if group is None:
        print(f"no rule group {group_name}; loaded: " + ", ".join(g["name"] for g in groups))
        sys.exit(1)
    rules = group["rules"]
    bad = [f"{r['name']}: health {r.get('health')} {r.get('lastError', '')}".strip()
           for r in rules if r.get("health") != "ok"]
    active = [f"{r['name']}={r.get('state')}" for r in rules if r.get("state") != "inactive"]
    if bad or len(rules) != want:
        print(f"group {group_name}: {len(rules)} of {want} rules; not evaluated ok: {bad}")
        sys.exit(1)
    print(f"group {group_name} loaded, {len(rules)} rules, all evaluated ok"
          + (f"; not inactive on this fresh set: {', '.join(active)}" if active else ""))
elif cmd == "dashboard":         # dashboard PROM_URL FILE: every panel query runs
    d = json.load(open(sys.argv[3]))
    stack, exprs = list(d["panels"]), []
    while stack:
        p = stack.pop(0)
        stack.extend(p.get("panels", []))
        exprs += [(p["title"], t["expr"]) for t in p.get("targets", []) if t.get("expr")]
    errors, empty = [], set()
    for title, expr in exprs:
        q = expr.replace("$instance", ".*").replace("$__range", "5m")
        url = sys.argv[2] + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        status, body = get(url, timeout=5.0)
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
        if status != 200 or answer.get("status") != "success":
            errors.append(f"{title}: HTTP {status} {body[:200]}")
        elif not answer["data"]["result"]:
            empty.add(title)
    print(f"{len(exprs)} queries run, {len(exprs) - len(errors)} without error"
          + (f"; empty on this fresh set: {', '.join(sorted(empty))}" if empty else ""))
    if errors:
        print("\n".join(errors))
        sys.exit(1)
else:
    sys.exit(f"unknown helper command {cmd}")
PY
helper() { python3 "$work/helper.py" "$@"; }

# ---------------------------------------------------------------- reserve ports
# A set uses the 32 ports port_base..port_base+31: commands and logs (+0..+7), HTTP ops
# (+8..+11), live taps (+12..+15), the web terminal (+16), the rest kept free. Take a block at a
# multiple of 32 in 20000..40000, below the
# kernel's ephemeral range when possible (outgoing connections must not take our ports). The
# flock on /tmp/lotse-ports-<base>.lock -- the same convention as the C++ integration tests --
# is held through an fd for the whole test.
lock_fd=""
lock_block() {
  exec {lock_fd}>"/tmp/lotse-ports-$1.lock" || return 1
  flock -n "$lock_fd" && return 0
  unlock_block
  return 1
}
unlock_block() {
  exec {lock_fd}>&-
  lock_fd=""
}
ephemeral_low="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 40001)"
highest=$((ephemeral_low - 32 < 40000 - 32 ? ephemeral_low - 32 : 40000 - 32))
((highest >= 20000)) || highest=$((40000 - 32))
candidates=$(((highest - 20000) / 32 + 1))
start=$((RANDOM % candidates))
base=""
for ((k = 0; k < candidates; k++)); do
  b=$((20000 + ((start + k) % candidates) * 32))
  if lock_block "$b"; then
    if helper ports-free "$b" 32; then
      base="$b"
      break
    fi
    unlock_block
  fi
done
[[ -n "$base" ]] || fail "no free block of 32 TCP ports in 20000..$((highest + 31))"
log "port block $base..$((base + 31)) reserved (lock /tmp/lotse-ports-$base.lock)"

ops_port() { echo $((base + 8 + $1)); }

# ---------------------------------------------------------------- start the set
log "starting: $lotse up --data-dir $work/data --port-base $base"
mkdir -p "$work/data"
"$lotse" up --data-dir "$work/data" --port-base "$base" >"$work/lotse.log" 2>&1 &
# The CLI below acts with the keys lotse up makes beside its data.
export LOTSE_KEYS="$work/data/keys"
lotse_pid=$!

deadline=$((SECONDS + 30))
while :; do
  kill -0 "$lotse_pid" 2>/dev/null || fail "lotse up exited early (see its log below)"
  not_ready=()
  for i in "${!SERVICES[@]}"; do
    status="$(helper status "http://127.0.0.1:$(ops_port "$i")/readyz")"
    [[ "$status" == 200 ]] || not_ready+=("${SERVICES[$i]}:$(ops_port "$i")=$status")
  done
  ((${#not_ready[@]} == 0)) && break
  if ((SECONDS >= deadline)); then
    fail "not all services ready within 30 s; /readyz status (0 = no answer): ${not_ready[*]}"
  fi
  sleep 0.5
done
log "all four services answer /readyz with 200"

for i in "${!SERVICES[@]}"; do
  svc="${SERVICES[$i]}"
  port="$(ops_port "$i")"
  for path in readyz healthz; do
    out="$(helper json-body "http://127.0.0.1:$port/$path")" ||
      fail "$svc /$path on port $port: expected 200 with a JSON body, got: $out"
    log "$svc :$port /$path -> $out"
  done
done

# ---------------------------------------------------------------- some traffic
# One referral through the set, and one refused submission, so that the series which appear
# only with traffic (events per type, command latency, errors per code) are checked as well.
directory="$("$lotse" offices --port-base "$base" --json)" ||
  fail "lotse offices failed against the set: $directory"
read -r office topic < <(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(d["offices"][0]["id"], d["topics"][0]["id"])' "$directory") ||
  fail "lotse offices --json: no office or topic in: ${directory:0:300}"
submitted="$("$lotse" submit --port-base "$base" --json --office "$office" \
  --company-id scrape-test --company-name "Scrape Test GmbH" --topic "$topic" \
  --subject "Monitoring test" --text "A referral sent by the monitoring scrape test.")" ||
  fail "lotse submit failed: $submitted"
"$lotse" submit --port-base "$base" --json --office "$office" --company-id scrape-test \
  --company-name "Scrape Test GmbH" --topic no-such-topic --subject x --text x \
  >/dev/null 2>&1 && fail "lotse submit with an unknown topic was accepted"
log "submitted one referral ($office, $topic): $submitted; and one with an unknown topic"
deadline=$((SECONDS + 15))
until helper get "http://127.0.0.1:$(ops_port 3)/metrics" |
  grep -q '^lotse_events_consumed_total{[^}]*stream="routing"'; do
  ((SECONDS < deadline)) || fail "audit did not count an event of the routing stream within 15 s"
  sleep 0.5
done
log "the referral went through: audit consumed routing's event"

# ---------------------------------------------------------------- /metrics
for i in "${!SERVICES[@]}"; do
  svc="${SERVICES[$i]}"
  port="$(ops_port "$i")"
  file="$work/metrics-$svc.txt"
  helper get "http://127.0.0.1:$port/metrics" >"$file" ||
    fail "$svc: GET /metrics on port $port did not answer 200: $(head -c 300 "$file")"
  if ! promtool check metrics <"$file" >"$work/promtool-$svc.txt" 2>&1; then
    echo "[scrape-test] promtool check metrics rejects the /metrics of $svc (port $port):" >&2
    sed 's/^/    /' "$work/promtool-$svc.txt" >&2
    fail "$svc: /metrics does not pass promtool check metrics"
  fi
  # The series must come from the expected service (port layout) and say it is ready.
  grep -Eq "^lotse_ready\{([^}]*,)?service=\"$svc\"(,[^}]*)?\} 1(\.0)?\$" "$file" ||
    fail "$svc: /metrics on port $port has no lotse_ready{service=\"$svc\"} 1 (wrong port layout?)"
  grep -Eq "^lotse_build_info\{([^}]*,)?service=\"$svc\"" "$file" ||
    fail "$svc: /metrics on port $port has no lotse_build_info{service=\"$svc\",...}"
  # Every series carries the service label (the alerts and the dashboard rely on it).
  unlabelled="$(grep -Ev '^(#|$)' "$file" | grep -v "service=\"$svc\"" | head -n 5 || true)"
  [[ -z "$unlabelled" ]] ||
    fail "$svc: series without service=\"$svc\" in /metrics: $(echo "$unlabelled" | tr '\n' ' ')"
  log "$svc :$port /metrics: $(grep -Ec '^[a-z_]' "$file") samples," \
      "$(grep -c '^# TYPE' "$file") metric families, promtool check metrics clean"
done

# Names the alerts and the dashboard use that no service exposes (yet): informational, since
# some series appear only after their first event (an escalation, an error, a command).
used="$(cat "$mon_dir/alerts.yml" "$mon_dir/grafana-dashboard.json" 2>/dev/null |
  grep -Eo '\b(lotse|process)_[a-z_]+' | sed -E 's/_(bucket|sum|count)$//' | sort -u)"
exposed="$(cat "$work"/metrics-*.txt | grep -E '^[a-z_]' | sed -E 's/[{ ].*//' |
  sed -E 's/_(bucket|sum|count)$//' | sort -u)"
missing="$(comm -23 <(echo "$used") <(echo "$exposed") | tr '\n' ' ')"
if [[ -n "${missing// /}" ]]; then
  log "note: used by alerts/dashboard, not exposed yet (they appear with their first event): $missing"
fi

# ---------------------------------------------------------------- Prometheus
prom_port="$(helper free-port $((base + 17)) $((base + 31)))" || fail "no free port for Prometheus"
targets=""
for i in "${!SERVICES[@]}"; do targets+="'127.0.0.1:$(ops_port "$i")', "; done
cat >"$work/prometheus.yml" <<EOF
# Written by $(basename "$0"): the set under test, scraped every second.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - '$mon_dir/alerts.yml'
scrape_configs:
  - job_name: lotse
    static_configs:
      - targets: [${targets%, }]
EOF
promtool check config "$work/prometheus.yml" >"$work/promtool-config.txt" 2>&1 ||
  fail "the generated Prometheus config is invalid: $(cat "$work/promtool-config.txt")"

log "starting Prometheus on 127.0.0.1:$prom_port"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
prom="http://127.0.0.1:$prom_port"

# All four targets healthy.
deadline=$((SECONDS + 30))
while :; do
  kill -0 "$prom_pid" 2>/dev/null || fail "Prometheus exited (see its log below)"
  kill -0 "$lotse_pid" 2>/dev/null || fail "lotse up exited during the test"
  summary="$(helper targets "$prom" 4)" && break
  if ((SECONDS >= deadline)); then
    fail "Prometheus targets not all up within 30 s: $summary"
  fi
  sleep 1
done
log "Prometheus: all 4 targets up: $summary"

# lotse_ready == 1 for each of the four services.
deadline=$((SECONDS + 15))
while :; do
  result="$(helper ready "$prom" "${SERVICES[@]}")" && break
  if ((SECONDS >= deadline)); then
    fail "query lotse_ready: expected 4 results with value 1 (${SERVICES[*]}), got: $result"
  fi
  sleep 1
done
log "query lotse_ready: $result"

# The lotse rule group is loaded with every alert of alerts.yml, and each rule has evaluated
# without an error against the real series (e.g. no many-to-many matching).
want_rules="$(grep -Ec '^\s*-\s*alert:' "$mon_dir/alerts.yml")"
deadline=$((SECONDS + 15))
while :; do
  rules="$(helper rules "$prom" lotse "$want_rules")" && break
  if ((SECONDS >= deadline)); then
    fail "rules: $rules"
  fi
  sleep 1
done
log "Prometheus /api/v1/rules: $rules"

# Every dashboard query runs without an error (empty results are fine on an idle set).
if [[ -f "$mon_dir/grafana-dashboard.json" ]]; then
  out="$(helper dashboard "$prom" "$mon_dir/grafana-dashboard.json")" ||
    fail "dashboard queries fail in Prometheus: $out"
  log "dashboard: $out"
fi

log "PASSED: ops ports $(ops_port 0)..$(ops_port 3) ready, /metrics clean, Prometheus scrapes" \
    "all four and loads the lotse alert rules"
