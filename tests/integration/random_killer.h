#pragma once

#include <sys/types.h>

#include <atomic>
#include <thread>

#include "absl/time/time.h"

namespace lotse::test {

// Sends SIGKILL to a target process at random moments (every `min` + up to `spread`) from its
// own thread: the "kill -9 at any moment" of the crash tests. Each pid is killed at most once;
// the test names the restarted process with Target(). Stop() (or the destructor, on every way
// out of a test) ends and joins the thread. Target/kills are thread-safe.
class RandomKiller {
 public:
  RandomKiller(absl::Duration min, absl::Duration spread);
  ~RandomKiller() { Stop(); }
  RandomKiller(const RandomKiller&) = delete;
  RandomKiller& operator=(const RandomKiller&) = delete;

  void Target(pid_t pid) { target_ = pid; }
  int kills() const { return kills_; }
  void Stop();

 private:
  std::atomic<bool> done_{false};
  std::atomic<pid_t> target_{0};
  std::atomic<int> kills_{0};
  std::thread thread_;
};

}  // namespace lotse::test
