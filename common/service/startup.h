#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/config.h"
#include "common/service/runner.h"
#include "common/store/store.h"

namespace lotse::service {

// Parses a service's command line (--config, --data-dir, --port-base, --host, --log-level,
// --log-format, --clock-speedup, --clock-start), loads and validates the config, and
// initialises logging. Prints help and exits for --help. Errors say what to fix.
absl::StatusOr<config::Config> StartUp(int argc, char** argv, config::Service service);

// Runner options for `service`: its endpoints, socket limits, and one consumer per stream in
// `consumes`.
RunnerOptions MakeRunnerOptions(const config::Config& config, config::Service service,
                                const std::vector<config::Service>& consumes);

// Store options for `service`: data_dir/<service>, created if missing.
absl::StatusOr<store::Options> MakeStoreOptions(const config::Config& config,
                                                config::Service service,
                                                std::vector<std::string> state_families);

// Maps a failed Run() or Create() to an exit code after logging it at critical.
int ExitCode(const absl::Status& status, std::string_view service);

}  // namespace lotse::service
