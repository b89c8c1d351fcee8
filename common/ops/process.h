#pragma once

#include <cstdint>

#include "absl/time/time.h"

namespace lotse::ops {

// Figures of the running process, read from /proc/self (0 where unreadable).
struct ProcessFigures {
  uint64_t rss_bytes = 0;
  uint64_t open_fds = 0;
  double cpu_seconds = 0;  // user + system
};
ProcessFigures ReadProcessFigures();

// When this process started (the first call's time, made early in main via the registry).
absl::Time ProcessStart();

}  // namespace lotse::ops
