#include "tests/integration/random_killer.h"

#include <signal.h>

#include <random>

#include "absl/time/clock.h"

namespace lotse::test {

RandomKiller::RandomKiller(absl::Duration min, absl::Duration spread) {
  thread_ = std::thread([this, min, spread] {
    std::mt19937 random(std::random_device{}());
    const auto spread_ms = static_cast<uint32_t>(absl::ToInt64Milliseconds(spread)) + 1;
    pid_t last_killed = 0;
    while (!done_) {
      absl::SleepFor(min + absl::Milliseconds(random() % spread_ms));
      const pid_t pid = target_.load();
      if (!done_ && pid > 0 && pid != last_killed && kill(pid, SIGKILL) == 0) {
        last_killed = pid;
        ++kills_;
      }
    }
  });
}

void RandomKiller::Stop() {
  done_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace lotse::test
