#pragma once

#include <string_view>

namespace lotse::service {

// Deliberately broken behaviour, for the negative controls of the durability tests only: a
// checker that cannot see these break the promises proves nothing. Chosen by the environment
// variable LOTSE_UNSAFE_FAULT; a service that runs with one logs it at critical on start.
enum class UnsafeFault {
  kNone,
  // Replies to commands before their batch is committed, and commits 100 ms later: a crash in
  // between loses acknowledged work.
  kAckBeforeCommit,
  // Ignores idempotency keys: a retried command is executed again (duplicates).
  kNoDedup,
  // Every door without CURVE, the caller taken from the request's actor as before there were
  // keys: anyone can act as anyone. Only to measure what CURVE costs (lotse-bench curve).
  kNoCurve,
};

// Whether this binary was built with -DLOTSE_TEST_HOOKS=ON (tests only). Without the hooks,
// LOTSE_UNSAFE_FAULT and LOTSE_CLOCK_FILE are ignored.
bool TestHooksCompiledIn();

// The fault this process runs with (read once from LOTSE_UNSAFE_FAULT: "ack-before-commit",
// "no-dedup", "no-curve"; unset or empty: none). Always none without the test hooks.
UnsafeFault ActiveUnsafeFault();
std::string_view UnsafeFaultName(UnsafeFault fault);

}  // namespace lotse::service
