#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "lotse/v1/ops.pb.h"
#include "tests/load/json.h"
#include "tests/load/options.h"
#include "tests/load/service_set.h"

namespace lotse::load {

// Reads every service's /status every 200 ms on its own thread: the largest consumer lag seen,
// and the latest status of each service. Thread-safe.
class LagSampler {
 public:
  explicit LagSampler(const ServiceSet& set) : set_(set) {}
  ~LagSampler() { Stop(); }
  LagSampler(const LagSampler&) = delete;
  LagSampler& operator=(const LagSampler&) = delete;
  void Start();
  void Stop();
  uint64_t max_lag() const;
  // "<consumer> <- <stream>" -> largest lag seen.
  std::map<std::string, uint64_t> max_lag_by_consumer() const;
  // The highest log head seen of a producer (0 if never).
  uint64_t log_head(int service) const;
  uint64_t samples() const;

 private:
  void Run();

  const ServiceSet& set_;
  mutable std::mutex mu_;
  bool stop_ = false;
  std::map<std::string, uint64_t> max_by_consumer_;
  std::array<uint64_t, kServiceCount> heads_{};
  uint64_t samples_ = 0;
  std::thread thread_;
};

// Injects the selected faults at random moments and measures how long each service takes to
// recover: from its restart (or SIGCONT) until it answers a command again and every consumer of
// the service has caught up with its producer's head as of that moment (lag at most
// `near_zero_lag`). Restarts services that died without being told to (and counts them). Runs
// on the thread that owns the set (the driver's main thread); not thread-safe.
class FaultInjector {
 public:
  FaultInjector(ServiceSet& set, bus::Context& context, const LagSampler& sampler,
                const LoadOptions& options, uint64_t near_zero_lag);
  // One step of the main loop (call every ~50 ms): injects due faults if `inject`, resumes
  // stopped services, collects SIGTERMed ones, restarts dead ones, follows recoveries.
  void Step(bool inject);
  // Ends the faults: resumes stopped services, waits for terminating ones, then follows the
  // open recoveries for at most `timeout`.
  void Finish(absl::Duration timeout);
  // No fault is in progress and every service has recovered.
  bool quiet() const;
  // kill -9 per service (kill9 and kill9-all).
  const std::array<int, kServiceCount>& kills() const { return kills_; }
  int sigterm_violations() const { return sigterm_violations_; }
  Json ToJson() const;
  // The unexpected exits seen, for the report.
  const std::vector<std::string>& unexpected() const { return unexpected_; }

 private:
  enum class Phase { kUp, kStopped, kTerminating };
  struct ServiceState {
    Phase phase = Phase::kUp;
    std::string stopped_by;  // "sigstop" or "slow-consumer"
    absl::Time until;        // kStopped: when to SIGCONT; kTerminating: the 2 s deadline
    absl::Time since;        // kTerminating: when SIGTERM was sent
  };
  // One service coming back after a fault.
  struct Recovery {
    int group = 0;
    int service = 0;
    absl::Time from;
    std::optional<absl::Time> answered;
    std::map<std::string, uint64_t> need_head;  // stream -> head its consumer must reach
    bool done = false;
  };
  // One fault event; recovered when all of its services have.
  struct Group {
    std::string fault;
    absl::Time from;
    int open = 0;
    absl::Time last;
    bool superseded = false;
  };
  struct Stats {
    int count = 0;
    std::array<int, kServiceCount> per_service{};
    std::vector<double> recovery_ms;
    std::vector<double> answer_ms;
    int superseded = 0;
    int unrecovered = 0;
  };

  void Inject(absl::Time now);
  void Supervise(absl::Time now);
  void Follow(absl::Time now);
  // Starts following `services` after fault `fault` (they were just restarted or resumed).
  int BeginRecovery(const std::string& fault, const std::vector<int>& services);
  void Restart(int service);
  // The service was hit again: its open recovery no longer measures the first fault.
  void Supersede(int service);
  // A running, unstopped service without an open recovery, with the fewest `counts`; -1 if none.
  int PickFree(const std::vector<int>& candidates, const std::array<int, kServiceCount>* counts);
  bool Recovering(int service) const;
  absl::Duration Jitter(double mean_ms);

  ServiceSet& set_;
  bus::Context& context_;
  const LagSampler& sampler_;
  const LoadOptions& options_;
  uint64_t near_zero_lag_;
  std::mt19937_64 random_;
  std::array<ServiceState, kServiceCount> state_;
  std::vector<Recovery> recoveries_;
  std::map<int, Group> groups_;
  int next_group_ = 0;
  std::map<std::string, Stats> stats_;
  std::map<std::string, absl::Time> next_;  // fault kind -> when it is due next
  int slow_group_ = -1;                     // the open slow-consumer recovery, if any
  std::array<int, kServiceCount> kills_{};
  int sigterm_violations_ = 0;
  std::vector<std::string> sigterm_notes_;
  double sigterm_worst_ms_ = 0;
  std::vector<std::string> unexpected_;
};

}  // namespace lotse::load
