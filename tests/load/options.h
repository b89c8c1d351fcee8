#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace lotse::load {

// The fault kinds lotse-load can inject (see README.md for what each does).
inline constexpr const char* kFaultKinds[] = {"kill9", "kill9-all", "sigstop", "slow-consumer",
                                              "sigterm"};

// Everything lotse-load was asked to do, from its command line.
struct LoadOptions {
  int seconds = 60;              // duration of the load phase
  double rate = 200;             // referrals submitted per second (open loop)
  std::set<std::string> faults;  // subset of kFaultKinds
  int kill_interval_ms = 5000;   // mean time between two kill -9 (other faults: multiples)
  uint64_t seed = 0;             // 0: a random seed (reported)
  bool json = false;             // the JSON report on stdout
  bool keep_dir = false;         // keep data and logs after the run
  std::string bin_dir;           // where lotse-intake etc. are; "" = beside lotse-load
  std::vector<std::pair<std::string, std::string>> env;  // extra environment of the services
  bool expect_violations = false;  // negative control: succeed only if the checker fails
  int min_kills_per_service = 0;   // fail if kill9 hit a service fewer times than this
  double resend_share = 0.05;      // acknowledged commands deliberately sent again
  int staff = 0;                   // worker threads per department; 0 = from the rate
  int quiesce_timeout_s = 180;     // how long the set may take to settle after the load
  std::string command_line;        // the exact command line, for the report
};

// Parses argv. Prints help and exits for --help; returns InvalidArgument naming the problem.
absl::StatusOr<LoadOptions> ParseOptions(int argc, char** argv);

}  // namespace lotse::load
