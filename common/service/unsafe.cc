#include "common/service/unsafe.h"

#include <cstdlib>
#include <string>

namespace lotse::service {

bool TestHooksCompiledIn() {
#ifdef LOTSE_TEST_HOOKS
  return true;
#else
  return false;
#endif
}

UnsafeFault ActiveUnsafeFault() {
  static const UnsafeFault fault = [] {
    if (!TestHooksCompiledIn()) {
      return UnsafeFault::kNone;  // a city's build: the variable means nothing
    }
    const char* value = std::getenv("LOTSE_UNSAFE_FAULT");
    const std::string name = value != nullptr ? value : "";
    if (name == "ack-before-commit") {
      return UnsafeFault::kAckBeforeCommit;
    }
    if (name == "no-dedup") {
      return UnsafeFault::kNoDedup;
    }
    if (name == "no-curve") {
      return UnsafeFault::kNoCurve;
    }
    return UnsafeFault::kNone;
  }();
  return fault;
}

std::string_view UnsafeFaultName(UnsafeFault fault) {
  switch (fault) {
    case UnsafeFault::kAckBeforeCommit:
      return "ack-before-commit";
    case UnsafeFault::kNoDedup:
      return "no-dedup";
    case UnsafeFault::kNoCurve:
      return "no-curve";
    case UnsafeFault::kNone:
      break;
  }
  return "none";
}

}  // namespace lotse::service
