#include "common/service/unsafe.h"

#include <cstdlib>
#include <string>

namespace lotse::service {

UnsafeFault ActiveUnsafeFault() {
  static const UnsafeFault fault = [] {
    const char* value = std::getenv("LOTSE_UNSAFE_FAULT");
    const std::string name = value != nullptr ? value : "";
    if (name == "ack-before-commit") {
      return UnsafeFault::kAckBeforeCommit;
    }
    if (name == "no-dedup") {
      return UnsafeFault::kNoDedup;
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
    case UnsafeFault::kNone:
      break;
  }
  return "none";
}

}  // namespace lotse::service
