#pragma once

#include <sys/types.h>

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"

namespace lotse::cli {

// A service that `lotse up` runs: its name and the binary beside `lotse`.
struct ServiceBinary {
  std::string_view name;  // "intake", ..., "web"
  std::string_view binary;
};

// The set `lotse up` starts, in start order: the four services, then the web terminal.
inline constexpr std::array kServiceSet = {
    ServiceBinary{"intake", "lotse-intake"},
    ServiceBinary{"routing", "lotse-routing"},
    ServiceBinary{"notification", "lotse-notification"},
    ServiceBinary{"audit", "lotse-audit"},
    ServiceBinary{"web", "lotse-web"},
};

// The restart delay of one service: `initial` after the first exit, doubling up to `max` while
// the service keeps dying, and back to `initial` once it had stayed up for `reset_after`.
// Thread-compatible.
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max, absl::Duration reset_after)
      : initial_(initial), max_(max), reset_after_(reset_after), next_(initial) {}
  // The delay before the restart of a service that exited after `uptime`.
  absl::Duration OnExit(absl::Duration uptime);

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration reset_after_;
  absl::Duration next_;
};

// "exit code 1", "signal 9 (Killed)": how a child ended, from a waitpid() status.
std::string DescribeExit(int wait_status);
// "0.5 s", "10 s".
std::string Seconds(absl::Duration d);

// The directory of the running executable (readlink /proc/self/exe).
absl::StatusOr<std::string> OwnDirectory();

struct SupervisorOptions {
  std::string bin_dir;            // where the service binaries are
  std::vector<std::string> args;  // passed to every service (--data-dir, --port-base, ...)
  absl::Duration first_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration reset_after = absl::Seconds(30);
  absl::Duration stop_grace = absl::Seconds(5);  // SIGTERM, then SIGKILL after this
};

// `lotse up`: starts every service of `services` as a child process, restarts a child that
// exits for any reason but our stop (with Backoff), and on SIGINT/SIGTERM stops them all:
// SIGTERM, up to stop_grace, then SIGKILL. Children inherit stdout/stderr and die with SIGTERM
// if the supervisor dies (PR_SET_PDEATHSIG). Blocks SIGINT, SIGTERM and SIGCHLD for the process
// and reads them from a signalfd. One per process; not thread-safe; call from main's thread
// before any other thread exists.
class Supervisor {
 public:
  Supervisor(std::span<const ServiceBinary> services, SupervisorOptions options);
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();

  // Checks that every binary exists and is executable. Returns NotFoundError naming the first
  // one that is not.
  absl::Status Check() const;
  // Runs until stopped by a signal. Returns OK once every child is gone, or an error if the
  // signals cannot be set up.
  absl::Status Run();

 private:
  struct Child {
    std::string name;
    std::string path;
    pid_t pid = -1;  // -1 while not running
    absl::Time started;
    absl::Time restart_at;  // when pid == -1 and not stopping
    Backoff backoff;
  };

  void Start(Child& child);
  // Reaps every exited child; schedules restarts unless stopping.
  void Reap(bool stopping);
  // Reads the signalfd; returns true if SIGINT or SIGTERM came.
  bool ReadSignals();
  bool AnyRunning() const;
  void StopAll();

  SupervisorOptions options_;
  std::vector<Child> children_;
  int signal_fd_ = -1;
  int stop_signals_ = 0;
};

}  // namespace lotse::cli
