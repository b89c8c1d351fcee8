#!/usr/bin/env bash
# Installs the Debian 12 packages Lotse builds and runs with, if any is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache tzdata
  libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler librocksdb-dev
  libspdlog-dev libfmt-dev libabsl-dev libcli11-dev libtoml11-dev
  libssl-dev libcurl4-openssl-dev libgtest-dev libgmock-dev libcpp-httplib-dev
  python3   # the SMTP listener of the e-mail integration test (Debian 12: Python 3.11, smtpd)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Run as root or install sudo: packages are missing." >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
