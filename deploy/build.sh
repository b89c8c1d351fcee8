#!/usr/bin/env bash
# Configures and builds Lotse into ./build (Release with debug info).
#   deploy/build.sh                      the services and the lotse CLI, as a city runs them
#   deploy/build.sh --test-hooks         everything, tests included, with the fault-injection
#                                        hooks that only tests may have (LOTSE_TEST_HOOKS)
# Switching between the two rebuilds two source files and relinks.
set -euo pipefail
cd "$(dirname "$0")/.."
hooks=OFF
targets=(--target cli intake routing notification audit web)
if [ "${1:-}" = "--test-hooks" ]; then
  hooks=ON
  targets=()
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOTSE_TEST_HOOKS="$hooks" "${launcher[@]}" >/dev/null
cmake --build build -j"$(nproc)" "${targets[@]}"
