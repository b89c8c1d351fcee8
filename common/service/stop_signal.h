#pragma once

#include <signal.h>

namespace lotse::service {

// Blocks SIGTERM, SIGINT and SIGHUP for the process and exposes them as a signalfd the service loop
// polls next to its sockets. Construct it first in main(), before any thread exists. The
// destructor drains a pending signal before it restores the mask, so a late SIGTERM cannot kill
// the process during exit. Not thread-safe; one per process.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  int fd() const { return fd_; }
  // Reads pending signals; true if a stop was requested (now or before).
  bool Consume();
  bool requested() const { return requested_; }
  // True once for each SIGHUP read by Consume(): reread what can be reread (the key list).
  bool TakeReload();

 private:
  sigset_t old_mask_{};
  int fd_ = -1;
  bool requested_ = false;
  bool reload_ = false;
};

}  // namespace lotse::service
