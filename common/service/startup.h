#pragma once

#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/runner.h"
#include "common/service/stop_signal.h"
#include "common/store/store.h"

namespace lotse::service {

// Parses a service's command line (--config, --data-dir, --port-base, --host, --log-level,
// --log-format, --clock-speedup, --clock-start), loads and validates the config, and
// initialises logging. Prints help and exits for --help. Errors say what to fix.
absl::StatusOr<config::Config> StartUp(int argc, char** argv, config::Service service);
// The same for a process that is not one of the four services (lotse-web): `process` names it
// in help and logs, `nice_of` gives its CPU priority from the config.
absl::StatusOr<config::Config> StartUp(int argc, char** argv, std::string_view process,
                                       const std::function<int(const config::Config&)>& nice_of);
// The flags StartUp() read: config::Load(StartUpFlags()) reads the config again as at start
// (SIGHUP). Empty if StartUp() did not run.
const config::Overrides& StartUpFlags();

// Runner options for `service`: its endpoints and their doors (its keys and the key list,
// Security::Load), socket limits, and one consumer per log it reads (auth::ProducersFor).
absl::StatusOr<RunnerOptions> MakeRunnerOptions(const config::Config& config,
                                                config::Service service);

// Opens `service`'s store under data_dir/<service> (created if missing, mode 0700) with its
// state families; `churning` names those whose keys are written and deleted all the time
// (store::Options::churning_families).
absl::StatusOr<std::unique_ptr<store::Store>> OpenServiceStore(
    const config::Config& config, config::Service service, std::vector<std::string> families,
    std::vector<std::string> churning);

// Logs that `service` is ready, naming its endpoints and its store.
void LogReady(const config::Config& config, config::Service service,
              const RunnerOptions& options, const store::Store& store);

// A service's exit codes, distinct so that systemd shows why it stopped; a unit does not restart
// it for those restarting cannot mend (RestartPreventExitStatus=2 3 4, deploy/systemd).
inline constexpr int kExitFailure = 1;  // anything else: a restart may help
inline constexpr int kExitConfig = 2;   // the config cannot be read or used
inline constexpr int kExitKeys = 3;     // its key or the key list is missing or unusable
inline constexpr int kExitDataDir = 4;  // its data directory cannot be used
// A host the config names does not resolve, or an address it binds is not this host's. Restarted:
// a name server or a network that comes up late mends it.
inline constexpr int kExitNetwork = 5;

// What must hold before a service touches anything (RunService calls it before Create): its
// keys can be read and match the key list (else kExitKeys), its data directory, where it
// exists, is its user's to write (else kExitDataDir), and every host of [network] resolves and
// what it binds is an address of this host (else kExitNetwork). The error names the problem and
// the fix. Changes nothing.
absl::Status Preflight(const config::Config& config, config::Service service);
// The same for lotse-web: its own key, data_dir/web, the network.
absl::Status PreflightWeb(const config::Config& config);

// `status` marked with the exit code a service that fails with it ends with.
absl::Status WithExitCode(absl::Status status, int code);

// Maps a failed Run() or Create() to an exit code (the one WithExitCode marked, else
// kExitFailure) after logging it at critical.
int ExitCode(const absl::Status& status, std::string_view service);

// The whole main() of a service: blocks the stop signals before any thread exists, loads the
// config, checks keys and data directory (Preflight), creates `ServiceT`
// (ServiceT::Create(config, context, clock)) and runs it until SIGTERM/SIGINT. Returns the
// process exit code: 0 after a clean stop, else one of kExit*.
template <typename ServiceT>
int RunService(int argc, char** argv, config::Service which) {
  StopSignal stop;
  const std::string name(config::ServiceName(which));
  try {
    absl::StatusOr<config::Config> config = StartUp(argc, argv, which);
    if (!config.ok()) {
      std::fprintf(stderr, "lotse-%s cannot start:\n%s\n", name.c_str(),
                   std::string(config.status().message()).c_str());
      return kExitConfig;
    }
    if (absl::Status ready = Preflight(*config, which); !ready.ok()) {
      return ExitCode(ready, name);
    }
    bus::Context context;
    auto service = ServiceT::Create(*config, context,
                                    clock::MakeClock(config->clock.speedup, config->clock.start));
    if (!service.ok()) {
      return ExitCode(service.status(), name);
    }
    return ExitCode((*service)->Run(stop), name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse-%s failed: %s\n", name.c_str(), e.what());
    return 1;
  }
}

}  // namespace lotse::service
