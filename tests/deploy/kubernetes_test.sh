#!/usr/bin/env bash
# Renders deploy/kubernetes/overlays/musterstadt with `kubectl kustomize`, on a copy that gets
# a throw-away keyring from this build's `lotse keys generate`, and checks the result: every
# port each service opens (from the rendered lotse.toml's port_base and the documented layout)
# is in its Service and allowed by a NetworkPolicy; the NetworkPolicies allow exactly the flows
# of DESIGN.md ("Services") and deny the rest; each StatefulSet has one replica, its volume at
# data_dir, probes on its ops port, the security context, resources (memory limit = MemoryMax=
# of deploy/systemd), and its own key Secret only; a PodDisruptionBudget selects each; no Secret
# holds a key that is in the git repository.
# Usage: kubernetes_test.sh LOTSE_BINARY [DEPLOY_KUBERNETES_DIR]  ($KUBECTL: default kubectl)
set -uo pipefail
lotse=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
src=$(cd "${2:-$repo/deploy/kubernetes}" && pwd)
kubectl=${KUBECTL:-kubectl}
if ! command -v "$kubectl" >/dev/null; then
  echo "skipped: $kubectl is not installed (Debian package kubernetes-client)"
  exit 77
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "skipped: python3 cannot import yaml (Debian package python3-yaml)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/kubernetes"
overlay=$work/kubernetes/overlays/musterstadt
rm -rf "$overlay/keys"

echo "== $kubectl version --client"
"$kubectl" version --client 2>&1

echo "== a throw-away keyring: lotse keys generate --config lotse.toml --out keys/"
if ! "$lotse" keys generate --config "$overlay/lotse.toml" --out "$overlay/keys" >"$work/keys.out" 2>&1; then
  cat "$work/keys.out"
  echo "FAIL: lotse keys generate refuses the overlay's lotse.toml"
  exit 1
fi
head -n 1 "$work/keys.out"

echo "== $kubectl kustomize overlays/musterstadt"
if ! "$kubectl" kustomize "$overlay" >"$work/rendered.yaml" 2>"$work/kustomize.err"; then
  cat "$work/kustomize.err"
  echo "FAIL: kubectl kustomize cannot render the overlay"
  exit 1
fi
[ -s "$work/kustomize.err" ] && sed 's/^/kustomize says: /' "$work/kustomize.err"
echo "rendered $(grep -c '^kind:' "$work/rendered.yaml") objects"

python3 - "$work/rendered.yaml" "$repo" <<'PYTHON'
import base64
import re
import subprocess
import sys
import tomllib
from collections import defaultdict

import yaml

rendered_path, repo = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(rendered_path)) if d]
problems = []
checked = defaultdict(int)


def fail(message):
    problems.append(message)


def objects(kind):
    return [d for d in docs if d.get("kind") == kind]


# ---- what the services are and open (config.h "Service", common/config/README.md ports) ----
SERVICES = ["intake", "routing", "notification", "audit"]  # port order i = 0..3
ALL = SERVICES + ["web"]
# DESIGN.md, "Services": whose event log each service consumes (common/auth ProducersFor).
CONSUMES = {
    "intake": ["routing"],
    "routing": ["intake"],
    "notification": ["intake", "routing"],
    "audit": ["intake", "routing", "notification"],
}
CONSUMERS = {p: [c for c in SERVICES if p in CONSUMES[c]] for p in SERVICES}

configmaps = [c for c in objects("ConfigMap") if "lotse.toml" in (c.get("data") or {})]
if len(configmaps) != 1:
    print(f"FAIL: expected one ConfigMap with lotse.toml, found {len(configmaps)}")
    sys.exit(1)
config_map = configmaps[0]
config = tomllib.loads(config_map["data"]["lotse.toml"])
network = config.get("network", {})
base = network.get("port_base", 7100)
web_port = config.get("web", {}).get("port", 0) or base + 16
data_dir = config.get("data_dir", "./var")
keys_dir = config.get("keys", {}).get("dir", "") or data_dir + "/keys"


def doors(service):
    """Door name -> port of every port the service opens."""
    if service == "web":
        return {"http": web_port, "accounts": base + 17}
    i = SERVICES.index(service)
    out = {"command": base + 2 * i}
    if CONSUMERS[service]:  # audit produces no events and opens no log port
        out["log"] = base + 2 * i + 1
    out["ops"] = base + 8 + i
    out["tap"] = base + 12 + i
    return out


# ---- the expected flows: (from, to, port); from/to a service or a class of callers ----
# ns:<c> = a namespace labelled lotse-access/<c>=true; dns = CoreDNS in kube-system.
expected_in = set()
expected_out = set()
for s in SERVICES:
    d = doors(s)
    for peer in ["web", "ns:terminal", "ns:ops", "ns:admin"]:  # clients, terminals, the web
        expected_in.add((peer, s, d["command"]))
    for consumer in CONSUMERS[s]:  # consumers fetch the producer's event log
        expected_in.add((consumer, s, d["log"]))
        expected_out.add((consumer, s, d["log"]))
    for peer in ["web", "ns:metrics", "ns:ops", "ns:admin"]:  # ops, Prometheus, the web
        expected_in.add((peer, s, d["ops"]))
    for peer in ["ns:ops", "ns:admin"]:  # the tap admits ops and admin only
        expected_in.add((peer, s, d["tap"]))
    expected_out.add(("web", s, d["command"]))
    expected_out.add(("web", s, d["ops"]))
expected_in.add(("ns:proxy", "web", web_port))  # offices' browsers, through the reverse proxy
expected_in.add(("ns:admin", "web", base + 17))  # lotse users: the admin's key only
for s in ALL:
    expected_out.add((s, "dns", "53/UDP"))
    expected_out.add((s, "dns", "53/TCP"))

# ---- the StatefulSets, one per service, found by their command ----
sts_of = {}
for sts in objects("StatefulSet"):
    containers = sts["spec"]["template"]["spec"].get("containers", [])
    command = (containers[0].get("command") or ["?"]) if containers else ["?"]
    service = command[0].removeprefix("lotse-")
    if service not in ALL or service in sts_of:
        fail(f"StatefulSet {sts['metadata']['name']}: command {command} is no Lotse service, "
             "or a second StatefulSet of it")
        continue
    sts_of[service] = sts
for s in ALL:
    if s not in sts_of:
        fail(f"no StatefulSet runs lotse-{s}")


def pod_labels(service):
    return sts_of[service]["spec"]["template"]["metadata"].get("labels", {})


def selects(selector, labels):
    if selector is None:
        return False
    if selector.get("matchExpressions"):
        return False  # not used here; treat as not understood
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def service_selects(svc, labels):
    """A Service's selector is a plain label map; an empty one selects no pod."""
    selector = svc["spec"].get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def container(service):
    return sts_of[service]["spec"]["template"]["spec"]["containers"][0]


def container_port(service, port):
    """A port number or a container port's name, as a number (None if unknown)."""
    if isinstance(port, int):
        return port
    for p in container(service).get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def parse_bytes(text):
    m = re.fullmatch(r"([0-9.]+)\s*([A-Za-z]*)", str(text))
    if not m:
        return None
    factor = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4,  # systemd
              "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4,
              "k": 1000}.get(m.group(2))
    return None if factor is None else int(float(m.group(1)) * factor)


# ---- the rendered config: where the pods find each other ----
namespace = config_map["metadata"].get("namespace", "default")
if network.get("listen") != "0.0.0.0":
    fail(f"lotse.toml: [network] listen must be \"0.0.0.0\" in a pod, got {network.get('listen')!r}")
hosts = network.get("hosts", {})
services_by_name = {svc["metadata"]["name"]: svc for svc in objects("Service")}
for s in ALL:
    if s not in sts_of:
        continue
    checked["config"] += 1
    host = hosts.get(s)
    owners = [n for n, svc in services_by_name.items()
              if service_selects(svc, pod_labels(s))]
    want = [f"{n}.{namespace}.svc.cluster.local" for n in owners] + \
           [f"{n}.{namespace}.svc" for n in owners]
    if host not in want:
        fail(f"lotse.toml: [network.hosts] {s} = {host!r}, expected its Service's DNS name "
             f"({' or '.join(want) or 'no Service selects it'})")

# ---- Services: every port each service opens, nothing else ----
for s in ALL:
    if s not in sts_of:
        continue
    labels = pod_labels(s)
    served = set()
    for svc in services_by_name.values():
        if not service_selects(svc, labels):
            continue
        if not svc["spec"].get("publishNotReadyAddresses"):
            fail(f"Service {svc['metadata']['name']}: publishNotReadyAddresses must be true "
                 "(/readyz waits for the producers; intake and routing consume each other)")
        for p in svc["spec"].get("ports", []):
            target = container_port(s, p.get("targetPort", p["port"]))
            if target != p["port"]:
                fail(f"Service {svc['metadata']['name']}: port {p['port']} goes to container "
                     f"port {p.get('targetPort')} ({target}), not to {p['port']}")
            served.add(p["port"])
    opened = doors(s)
    container_ports = {p["containerPort"] for p in container(s).get("ports", [])}
    for door, port in opened.items():
        checked["ports"] += 1
        if port not in served:
            fail(f"lotse-{s}: its {door} port {port} is in no Service")
        if port not in container_ports:
            fail(f"lotse-{s}: its {door} port {port} is not a container port")
    for port in sorted((served | container_ports) - set(opened.values())):
        fail(f"lotse-{s}: port {port} is in its Service or container but lotse-{s} opens no such port")

# ---- NetworkPolicies: exactly the expected flows, default deny ----
def classify(peer):
    keys = set(peer)
    ns = peer.get("namespaceSelector")
    pod = peer.get("podSelector")
    if keys == {"podSelector"} and not pod.get("matchExpressions"):
        matched = [s for s in ALL if s in sts_of and selects(pod, pod_labels(s))]
        return matched or [f"pods {pod.get('matchLabels')}"]
    if keys == {"namespaceSelector"} and not ns.get("matchExpressions"):
        ml = ns.get("matchLabels") or {}
        if len(ml) == 1:
            (k, v), = ml.items()
            if k.startswith("lotse-access/") and v == "true":
                return ["ns:" + k.removeprefix("lotse-access/")]
        return [f"namespaces {ml or 'all'}"]
    if keys == {"namespaceSelector", "podSelector"}:
        if (ns.get("matchLabels") == {"kubernetes.io/metadata.name": "kube-system"}
                and pod.get("matchLabels") == {"k8s-app": "kube-dns"}):
            return ["dns"]
    return [f"peer {peer}"]


def rule_ports(rule, owner):
    out = []
    for p in rule.get("ports") or [{"port": "*"}]:
        proto = p.get("protocol", "TCP")
        port = p.get("port", "*")
        if isinstance(port, str) and port != "*" and owner in sts_of:
            port = container_port(owner, port) or port
        end = p.get("endPort")
        ports = range(port, end + 1) if isinstance(port, int) and end else [port]
        for q in ports:
            out.append((q, proto))
    return out


def fmt_port(port, proto, dns):
    return f"{port}/{proto}" if dns else port if proto == "TCP" else f"{port}/{proto}"


policies = objects("NetworkPolicy")
allowed_in, allowed_out = set(), set()
deny_in = {s: False for s in sts_of}
deny_out = {s: False for s in sts_of}
default_deny = False
for pol in policies:
    spec = pol["spec"]
    types = spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))
    targets = [s for s in sts_of if selects(spec.get("podSelector", {}), pod_labels(s))]
    if spec.get("podSelector") == {} and not spec.get("ingress") and not spec.get("egress") \
            and set(types) == {"Ingress", "Egress"}:
        default_deny = True
    for s in targets:
        deny_in[s] |= "Ingress" in types
        deny_out[s] |= "Egress" in types
    for rule in spec.get("ingress") or []:
        peers = [c for p in (rule.get("from") or [{"any": True}]) for c in classify(p)]
        for s in targets:
            for port, proto in rule_ports(rule, s):
                for peer in peers:
                    allowed_in.add((peer, s, fmt_port(port, proto, False)))
    for rule in spec.get("egress") or []:
        peer_lists = [classify(p) for p in (rule.get("to") or [{"any": True}])]
        for s in targets:
            for peers in peer_lists:
                for peer in peers:
                    for port, proto in rule_ports(rule, peers[0] if peers[0] in sts_of else None):
                        allowed_out.add((s, peer, fmt_port(port, proto, peer == "dns")))
if not default_deny:
    fail("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)")
for s in sts_of:
    if not (deny_in[s] and deny_out[s]):
        fail(f"lotse-{s}: not covered by NetworkPolicies for both Ingress and Egress")


def door_name(service, port):
    for door, p in (doors(service).items() if service in ALL else []):
        if p == port:
            return f"{service}:{port} ({door})"
    return f"{service}:{port}"


for frm, to, port in sorted(expected_in - allowed_in, key=str):
    fail(f"NetworkPolicy: {frm} may not reach {door_name(to, port)}, but DESIGN.md says it does")
for frm, to, port in sorted(allowed_in - expected_in, key=str):
    fail(f"NetworkPolicy: {frm} may reach {door_name(to, port)}, a flow DESIGN.md does not have")
for frm, to, port in sorted(expected_out - allowed_out, key=str):
    fail(f"NetworkPolicy: {frm} may not connect to {door_name(to, port)} (egress), but needs to")
for frm, to, port in sorted(allowed_out - expected_out, key=str):
    fail(f"NetworkPolicy: {frm} may connect to {door_name(to, port)} (egress), a flow DESIGN.md "
         "does not have")
checked["flows"] = len(expected_in) + len(expected_out)
for s in ALL:
    for door, port in doors(s).items():
        if not any(to == s and p == port for _, to, p in allowed_in):
            fail(f"lotse-{s}: its {door} port {port} is allowed by no NetworkPolicy")

# ---- the StatefulSets themselves ----
secrets = {sec["metadata"]["name"]: sec for sec in objects("Secret")}
secret_users = defaultdict(list)
units = f"{repo}/deploy/systemd"
for s, sts in sts_of.items():
    name = f"StatefulSet {sts['metadata']['name']}"
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    c = container(s)
    checked["statefulsets"] += 1
    if spec.get("replicas") != 1:
        fail(f"{name}: replicas must be 1 (one RocksDB writer), got {spec.get('replicas')}")
    want_command = [f"lotse-{s}", "--config", "/etc/lotse/lotse.toml", "--log-format", "json"]
    if c.get("command") != want_command or c.get("args"):
        fail(f"{name}: command must be {want_command}, got {c.get('command')} {c.get('args') or ''}")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claims = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])]
    if data_dir not in mounts or mounts[data_dir]["name"] not in claims:
        fail(f"{name}: its volumeClaimTemplate must be mounted at data_dir {data_dir}")
    config_mount = mounts.get("/etc/lotse/lotse.toml")
    if not config_mount or (volumes.get(config_mount["name"], {}).get("configMap") or {}).get("name") \
            != config_map["metadata"]["name"] or config_mount.get("subPath") != "lotse.toml":
        fail(f"{name}: the ConfigMap's lotse.toml must be mounted at /etc/lotse/lotse.toml")
    tmp = mounts.get("/tmp")
    if not tmp or "emptyDir" not in volumes.get(tmp["name"], {}):
        fail(f"{name}: /tmp must be an emptyDir")
    # probes on the ops port (lotse-web: its HTTP port; it has no /readyz)
    probe_port = doors(s)["http" if s == "web" else "ops"]
    for kind, path in [("readinessProbe", "/healthz" if s == "web" else "/readyz"),
                       ("livenessProbe", "/healthz")]:
        probe = (c.get(kind) or {}).get("httpGet")
        if not probe or probe.get("path") != path or container_port(s, probe.get("port")) != probe_port:
            fail(f"{name}: {kind} must be httpGet {path} on port {probe_port}, got {probe}")
    if c.get("startupProbe"):
        probe = c["startupProbe"].get("httpGet") or {}
        if container_port(s, probe.get("port")) != probe_port:
            fail(f"{name}: startupProbe must use port {probe_port}")
    # security context: the container's settings win over the pod's
    psc, csc = pod.get("securityContext") or {}, c.get("securityContext") or {}
    eff = {**psc, **csc}
    for key, value in [("runAsNonRoot", True), ("runAsUser", 10001), ("runAsGroup", 10001),
                       ("readOnlyRootFilesystem", True), ("allowPrivilegeEscalation", False)]:
        if eff.get(key) != value:
            fail(f"{name}: securityContext {key} must be {value}, got {eff.get(key)}")
    if psc.get("fsGroup") != 10001:
        fail(f"{name}: pod securityContext fsGroup must be 10001 (the key files' group)")
    if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []) or \
            (csc.get("capabilities") or {}).get("add"):
        fail(f"{name}: capabilities must drop ALL and add none")
    if (eff.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        fail(f"{name}: seccompProfile must be RuntimeDefault")
    # resources; the memory limit is the unit's MemoryMax=
    res = c.get("resources") or {}
    for part in ["requests", "limits"]:
        for what in ["cpu", "memory"]:
            if what not in (res.get(part) or {}):
                fail(f"{name}: resources.{part}.{what} missing")
    try:
        unit = open(f"{units}/lotse-{s}.service").read()
        m = re.search(r"^MemoryMax=(\S+)", unit, re.M)
        memory_max = parse_bytes(m.group(1)) if m else None
    except OSError:
        memory_max = None
    limit = parse_bytes((res.get("limits") or {}).get("memory", ""))
    if memory_max is None:
        fail(f"{name}: no MemoryMax= in {units}/lotse-{s}.service to compare with")
    elif limit != memory_max:
        fail(f"{name}: memory limit {(res.get('limits') or {}).get('memory')} differs from "
             f"MemoryMax= of lotse-{s}.service ({memory_max} bytes)")
    # keys: one Secret, its own, with <service>.key and public.toml, at keys.dir, mode 0440
    refs = [v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v]
    refs += [src["secret"]["name"] for v in pod.get("volumes", []) if "projected" in v
             for src in v["projected"].get("sources", []) if "secret" in src]
    for cc in pod.get("containers", []) + pod.get("initContainers", []):
        refs += [e["valueFrom"]["secretKeyRef"]["name"] for e in cc.get("env", [])
                 if "secretKeyRef" in (e.get("valueFrom") or {})]
        refs += [e["secretRef"]["name"] for e in cc.get("envFrom", []) if "secretRef" in e]
    checked["key secrets"] += 1
    if len(refs) != 1:
        fail(f"{name}: must use exactly one Secret (its keys), uses {refs}")
        continue
    secret_users[refs[0]].append(s)
    secret = secrets.get(refs[0])
    if secret is None:
        fail(f"{name}: Secret {refs[0]} is not rendered")
        continue
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    if set(data) != {f"{s}.key", "public.toml"}:
        fail(f"{name}: Secret {refs[0]} must hold {s}.key and public.toml only, holds {sorted(data)}")
    else:
        own = tomllib.loads(data[f"{s}.key"])
        listed = tomllib.loads(data["public.toml"]).get("keys", {}).get("public", {})
        if own.get("principal") != s:
            fail(f"{name}: Secret {refs[0]}'s {s}.key is not the key of principal {s}")
        elif listed.get(s) != own.get("public"):
            fail(f"{name}: Secret {refs[0]}: public.toml does not list the public key of {s}.key")
    key_volume = [v for v in pod["volumes"] if "secret" in v][0]
    key_mount = mounts.get(keys_dir)
    if not key_mount or key_mount["name"] != key_volume["name"]:
        fail(f"{name}: the key Secret must be mounted at [keys] dir {keys_dir}")
    if key_volume["secret"].get("defaultMode") != 0o440:
        fail(f"{name}: the key Secret's defaultMode must be 0440, got "
             f"{oct(key_volume['secret'].get('defaultMode') or 0o644)}")
for secret, users in secret_users.items():
    if len(users) > 1:
        fail(f"Secret {secret} is mounted by {', '.join(users)}: each service has its own")

# ---- PodDisruptionBudgets ----
for s in sts_of:
    pdbs = [p for p in objects("PodDisruptionBudget")
            if selects(p["spec"].get("selector"), pod_labels(s))]
    checked["disruption budgets"] += 1
    if len(pdbs) != 1:
        fail(f"lotse-{s}: {len(pdbs)} PodDisruptionBudgets select it, expected one")
    elif not (pdbs[0]["spec"].get("maxUnavailable") == 1 or pdbs[0]["spec"].get("minAvailable") == 0):
        fail(f"PodDisruptionBudget {pdbs[0]['metadata']['name']}: with one replica it must be "
             "maxUnavailable 1 or minAvailable 0 (anything else blocks every drain)")

# ---- no Secret holds a key that is in the git repository ----
git = subprocess.run(["git", "-C", repo, "rev-parse", "--is-inside-work-tree"],
                     capture_output=True, text=True)
if git.returncode != 0:
    print(f"note: {repo} is no git work tree; the committed-keys check is left out")
else:
    tracked = subprocess.run(["git", "-C", repo, "ls-files", "deploy/kubernetes"],
                             capture_output=True, text=True).stdout.split()
    for path in tracked:
        if path.endswith(".key") or "/keys/" in path:
            fail(f"{path} is committed: secret keys never belong in the repository")
    for sec in secrets.values():
        for k, v in (sec.get("data") or {}).items():
            text = base64.b64decode(v).decode(errors="replace")
            for secret_key in re.findall(r'secret\s*=\s*"([^"]+)"', text):
                checked["secret keys searched in git"] += 1
                found = subprocess.run(["git", "-C", repo, "grep", "-l", "-F", "-e", secret_key],
                                       capture_output=True, text=True).stdout.split()
                if found:
                    fail(f"Secret {sec['metadata']['name']}: {k} holds a secret key that is in "
                         f"the repository ({', '.join(found)})")

print("== checked")
print(f"port_base {base}: {checked['ports']} ports of {len(sts_of)} services in their Services "
      f"and container ports; [network.hosts] names {checked['config']} Services in namespace "
      f"{namespace}")
print(f"NetworkPolicies: default deny, {len(expected_in)} ingress and {len(expected_out)} egress "
      f"flows expected, {len(allowed_in)} and {len(allowed_out)} allowed")
print(f"{checked['statefulsets']} StatefulSets: replicas 1, data_dir {data_dir} on the claim, "
      f"probes, security context, resources (memory = MemoryMax=), command")
print(f"{checked['key secrets']} key Secrets at {keys_dir} (own key and public.toml, mode 0440); "
      f"{checked['disruption budgets']} PodDisruptionBudgets; "
      f"{checked['secret keys searched in git']} secret keys searched in the repository")
if problems:
    print(f"== {len(problems)} problems")
    for p in problems:
        print("FAIL: " + p)
    sys.exit(1)
print("ok")
PYTHON
