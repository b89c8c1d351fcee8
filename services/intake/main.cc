// lotse-intake: accepts referrals and feedback from citizen offices.
#include <cstdio>
#include <exception>

#include "common/bus/socket.h"
#include "common/format.h"
#include "common/service/startup.h"
#include "common/service/stop_signal.h"
#include "services/intake/intake_service.h"

int main(int argc, char** argv) {
  lotse::service::StopSignal stop;
  try {
    auto config = lotse::service::StartUp(argc, argv, lotse::config::Service::kIntake);
    if (!config.ok()) {
      std::fprintf(stderr, "lotse-intake cannot start:\n%s\n",
                   std::string(config.status().message()).c_str());
      return 2;
    }
    lotse::bus::Context context;
    auto service = lotse::intake::IntakeService::Create(
        *config, context, lotse::clock::MakeClock(config->clock.speedup, config->clock.start));
    if (!service.ok()) {
      return lotse::service::ExitCode(service.status(), "intake");
    }
    return lotse::service::ExitCode((*service)->Run(stop), "intake");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse-intake failed: %s\n", e.what());
    return 1;
  }
}
