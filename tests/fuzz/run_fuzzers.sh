#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) and runs each for a while.
#
#   tests/fuzz/run_fuzzers.sh [SECONDS_PER_TARGET]     default 20; CI calls it with 15
#   tests/fuzz/run_fuzzers.sh 3600                     a longer run: same command, more seconds
#
# Environment:
#   LOTSE_FUZZ_BUILD    build dir, relative to the repo root or absolute (default build-fuzz)
#   LOTSE_FUZZ_TARGETS  space-separated subset of targets to run (default: all)
#   LOTSE_FUZZ_JOBS     parallel compile jobs (default 2)
#
# Each target runs on a copy of its seed corpus (tests/fuzz/corpus/<target>) in a temp dir, so
# the checked-in seeds never change. Exit status: 0 if every target ran clean, 1 if any found a
# crash, a leak, a timeout or ran out of memory (the reproducer's path is printed and kept under
# the build dir), 2 if the build failed, 77 if clang++ is not installed.
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]  (a whole number >= 1, default 20)" >&2
  exit 2
fi

if ! command -v clang++ >/dev/null 2>&1; then
  echo "SKIPPED: clang++ not installed"
  exit 77
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${LOTSE_FUZZ_BUILD:-build-fuzz}"
[[ "$build" = /* ]] || build="$root/$build"
jobs="${LOTSE_FUZZ_JOBS:-2}"
all_targets=(fuzz_envelope fuzz_intake_request fuzz_routing_request fuzz_notification_request
             fuzz_audit_request fuzz_fetch fuzz_config)
read -r -a targets <<<"${LOTSE_FUZZ_TARGETS:-${all_targets[*]}}"

# --- build -----------------------------------------------------------------------------------
# The sanitizer flags go into CMAKE_CXX_FLAGS here, not into the project's CMake: every library
# is compiled with coverage instrumentation (fuzzer-no-link), only the targets link libFuzzer.
# -O1 -g without NDEBUG: asserts stay on, stacks stay readable.
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
configure=(cmake -S "$root" -B "$build"
           -DCMAKE_CXX_COMPILER=clang++
           -DCMAKE_BUILD_TYPE=RelWithDebInfo
           "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
           "-DCMAKE_CXX_FLAGS=$sanitize -fno-omit-frame-pointer"
           -DLOTSE_FUZZ=ON)
if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build/Makefile" ]]; then
  configure+=(-G Ninja)
fi
if command -v ccache >/dev/null 2>&1; then
  configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
mkdir -p "$build"
echo "== configuring $build (clang, ASan+UBSan+libFuzzer)"
if ! "${configure[@]}" >"$build/fuzz-configure.log" 2>&1; then
  cat "$build/fuzz-configure.log" >&2
  echo "FAILED: cmake configure (log above)" >&2
  exit 2
fi
echo "== building ${targets[*]} (-j$jobs)"
if ! cmake --build "$build" --target "${targets[@]}" -j "$jobs" >"$build/fuzz-build.log" 2>&1; then
  tail -n 60 "$build/fuzz-build.log" >&2
  echo "FAILED: build (full log: $build/fuzz-build.log)" >&2
  exit 2
fi

# --- run -------------------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/lotse-fuzz-run.XXXXXX")"
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

export ASAN_OPTIONS="detect_leaks=1:symbolize=1:detect_stack_use_after_return=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

failed=()
summary=()
for target in "${targets[@]}"; do
  binary="$build/bin/$target"
  corpus="$work/$target/corpus"
  mkdir -p "$corpus" "$work/$target/tmp"
  if [[ -d "$here/corpus/$target" ]]; then
    cp -r "$here/corpus/$target/." "$corpus/"
  fi
  seeds=$(find "$corpus" -type f | wc -l)
  log="$work/$target/fuzz.log"
  echo "== $target: ${seconds}s on $seeds seeds"
  status=0
  started=$SECONDS
  # The services' data dirs go to the run's temp dir (TMPDIR), and are removed with it.
  # timeout: libFuzzer's own -timeout covers single inputs, not a hang at start-up or exit.
  (cd "$work/$target" && TMPDIR="$work/$target/tmp" timeout -k 10 $((seconds + 120)) "$binary" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -print_final_stats=1 -detect_leaks=1 -artifact_prefix="$artifacts/$target-" \
      "$corpus") >"$log" 2>&1 || status=$?
  final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
  execs="$(final_stat number_of_executed_units)"
  rate="$(final_stat average_exec_per_sec)"
  added="$(final_stat new_units_added)"
  rss="$(final_stat peak_rss_mb)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)"
  size=$(find "$corpus" -type f | wc -l)
  elapsed=$((SECONDS - started))
  line="$(printf '%-26s execs %-9s exec/s %-6s %4ss  %-22s corpus %4s -> %-5s (+%s new) rss %sMB' \
          "$target" "${execs:-?}" "${rate:-?}" "$elapsed" "${cov:-cov: ?}" "$seeds" "$size" \
          "${added:-?}" "${rss:-?}")"
  if [[ $status -ne 0 ]]; then
    reproducer="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    if [[ $status -eq 124 || $status -eq 137 ]]; then
      echo "---- $target did not finish within $((seconds + 120))s: hung (not in one input)" >&2
    fi
    kind="$(grep -m 3 -E 'LOTSE FUZZ CHECK FAILED|what\(\)|^SUMMARY: ' "$log" | paste -sd ' ' || true)"
    echo "---- $target failed (exit $status): ${kind:-see log}; last 60 lines of its log:"
    tail -n 60 "$log"
    cp "$log" "$artifacts/$target.log"
    echo "---- reproducer: ${reproducer:-none written}"
    echo "     rerun:      $binary ${reproducer:-<input>}"
    echo "     full log:   $artifacts/$target.log"
    failed+=("$target")
    summary+=("FAIL  $line")
  else
    summary+=("ok    $line")
  fi
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]} (reproducers under $artifacts)"
  exit 1
fi
echo "PASSED: ${#targets[@]} fuzz targets ran clean"
