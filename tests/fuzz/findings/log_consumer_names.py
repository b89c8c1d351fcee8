#!/usr/bin/env python3
"""Reproduces: every distinct FetchRequest.consumer a client sends to a log endpoint is kept
forever (LogServer::acknowledged_) and exported as its own /metrics series and /status entry.
See tests/fuzz/README.md, findings.

    tests/fuzz/findings/log_consumer_names.py BUILD_DIR [PORT_BASE] [COUNT] [NAME_BYTES]

Starts lotse-intake on PORT_BASE in a temp dir, speaks ZMTP 3.0 by hand (no pyzmq needed) to its
log endpoint as a DEALER, sends COUNT fetches with distinct consumer names of NAME_BYTES bytes,
then prints the service's RSS, the number of lotse_log_acknowledged_seq series and the size of
/metrics before and after. Exit 1 if the series grew with the names.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def fetch_request(stream, consumer):
    def field(number, data):
        return varint(number << 3 | 2) + varint(len(data)) + data
    return field(1, stream.encode()) + field(6, consumer.encode())


def frame(body, more=False):
    flags = 0x01 if more else 0x00
    if len(body) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def dealer(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"\xff" + b"\x00" * 7 + b"\x01\x7f" + bytes([3, 0]) + b"NULL" + b"\x00" * 16 +
              b"\x00" * 32)
    ready = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
    s.sendall(bytes([0x04, len(ready)]) + ready)
    s.settimeout(2)
    s.recv(4096)  # the service's greeting and READY: the handshake is done
    return s


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode("utf-8", "replace")
    series = sum(1 for line in text.splitlines()
                 if line.startswith("lotse_log_acknowledged_seq{"))
    return series, len(text)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


def main():
    build = sys.argv[1]
    base = int(sys.argv[2]) if len(sys.argv) > 2 else 43680
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    name_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
    data = tempfile.mkdtemp(prefix="lotse-names-")
    p = subprocess.Popen([os.path.join(build, "bin", "lotse-intake"), "--data-dir", data,
                          "--port-base", str(base)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        ops = base + 8
        before = scrape(ops), rss_mb(p.pid)
        # A fresh connection per 100 fetches: we answer no ZMTP heartbeats, and the service
        # drops a silent peer after 6 s.
        # A dropped connection only loses the rest of its batch.
        for first in range(0, count, 100):
            s = dealer(base + 1)
            try:
                for i in range(first, min(count, first + 100)):
                    name = f"{i:08d}" + "x" * max(0, name_bytes - 8)
                    s.sendall(frame(fetch_request("intake", name)))
                time.sleep(0.05)
            except OSError:
                pass
            s.close()
        time.sleep(2)  # parked fetches are answered after the wait bound; the names stay
        after = scrape(ops), rss_mb(p.pid)
        print(f"before: {before[0][0]} consumer series, /metrics {before[0][1]} bytes, "
              f"RSS {before[1]} MB")
        print(f"after {count} fetches with {name_bytes}-byte names: {after[0][0]} series, "
              f"/metrics {after[0][1]} bytes, RSS {after[1]} MB")
        return 1 if after[0][0] > before[0][0] + 10 else 0
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
