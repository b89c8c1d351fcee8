#!/usr/bin/env bash
# Reproduces: a service whose start-up fails after its ops HTTP server was started can hang
# forever in Telemetry::Stop() instead of exiting 1 (see tests/fuzz/README.md, findings).
#
#   tests/fuzz/findings/telemetry_stop_race.sh BUILD_DIR [PORT_BASE]
#
# Holds the intake command port (PORT_BASE) with a listener, so that intake binds its tap and
# ops port, then fails to bind its command endpoint. Starts intake 20 times; each must exit
# within 5 s. Prints how many hung. Exit 1 if any did.
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR [PORT_BASE]}"
base="${2:-43600}"
python3 - "$build/bin/lotse-intake" "$base" <<'EOF'
import socket, subprocess, sys, tempfile
binary, base = sys.argv[1], int(sys.argv[2])
holder = socket.socket()
holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
holder.bind(("127.0.0.1", base))
holder.listen(1)
hung, codes = 0, {}
for _ in range(20):
    data = tempfile.mkdtemp(prefix="lotse-race-")
    p = subprocess.Popen([binary, "--data-dir", data, "--port-base", str(base)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rc = p.wait(timeout=5)
        codes[rc] = codes.get(rc, 0) + 1
    except subprocess.TimeoutExpired:
        hung += 1
        p.kill()
        p.wait()
print(f"{hung} of 20 start-ups hung; exit codes of the others: {codes}")
sys.exit(1 if hung else 0)
EOF
