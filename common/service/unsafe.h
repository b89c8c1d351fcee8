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
};

// The fault this process runs with (read once from LOTSE_UNSAFE_FAULT: "ack-before-commit",
// "no-dedup"; unset or empty: none).
UnsafeFault ActiveUnsafeFault();
std::string_view UnsafeFaultName(UnsafeFault fault);

}  // namespace lotse::service
