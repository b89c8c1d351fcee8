#!/usr/bin/env bash
# Installs the Debian 12 packages Lotse builds, runs and tests with, if any is missing, and the
# browser tests' npm packages (package-lock.json) when node_modules is missing or older.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config ccache tzdata
  libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler librocksdb-dev
  libspdlog-dev libfmt-dev libabsl-dev libcli11-dev libtoml11-dev
  libssl-dev libcurl4-openssl-dev libgtest-dev libgmock-dev libcpp-httplib-dev libjemalloc-dev
  libxapian-dev   # routing: German stemming for the earlier answers (lotse similar)
  libsodium-dev   # web terminal: argon2id password hashes, session and CSRF tokens
  libsystemd-dev   # readiness (sd_notify) and journal fields under systemd
  systemd   # systemd-analyze: the units' verify and security checks (tests/deploy)
  dpkg-dev lintian debootstrap   # the Debian package: cpack's dpkg-shlibdeps, its checks, a fresh root
  python3-yaml   # the Kubernetes manifests' structural check (tests/deploy)
  python3   # the SMTP listener of the e-mail integration test (Debian 12: Python 3.11, smtpd)
  clang libclang-rt-14-dev   # libFuzzer, AddressSanitizer, UBSan for tests/fuzz
  chromium   # the browser tests (tests/browser), driven by playwright-core; nothing downloads one
)

# Wanted, not required: promtool and Prometheus for the monitoring tests (tests/monitoring),
# which report "skipped" where the package cannot be installed; gnuplot for lotse-bench's chart;
# iproute2 (ip netns, tc) for the network-partition test.
optional=(prometheus gnuplot-nox iproute2)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
# Node.js and npm run the browser tests: the machine's own where it has them (playwright-core
# wants Node.js 20 or newer), else Debian's.
command -v node >/dev/null || missing+=(nodejs)
# `kubectl kustomize` renders deploy/kubernetes: the machine's own kubectl, else Debian's.
command -v kubectl >/dev/null || missing+=(kubernetes-client)
command -v npm >/dev/null || missing+=(npm)
missing_optional=()
for p in "${optional[@]}"; do
  installed "$p" || missing_optional+=("$p")
done

install_packages() {
  echo "Installing missing packages: ${missing[*]} ${missing_optional[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      if [ "${#missing[@]}" -eq 0 ]; then
        echo "Not root and no sudo: ${missing_optional[*]} not installed; the monitoring tests will be skipped."
        return 0
      fi
      echo "Run as root or install sudo: packages are missing." >&2
      exit 1
    fi
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  if [ "${#missing[@]}" -gt 0 ]; then
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ "${#missing_optional[@]}" -gt 0 ]; then
    $sudo apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" ||
      echo "Could not install ${missing_optional[*]}: the monitoring tests will be skipped."
  fi
}

if [ "${#missing[@]}" -gt 0 ] || [ "${#missing_optional[@]}" -gt 0 ]; then
  install_packages
fi

# The browser tests' npm packages, exactly as package-lock.json has them: again whenever the lock
# file is newer than the last install (npm writes node_modules/.package-lock.json).
if [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$node_major" -lt 20 ]; then
    echo "Node.js $(node --version) is older than playwright-core wants (20):" \
      "the browser tests may fail." >&2
  fi
  echo "Installing the browser tests' npm packages (npm ci)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
