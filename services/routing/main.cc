// lotse-routing: routes referrals and keeps the department worklists.
#include <cstdio>
#include <exception>

#include "common/bus/socket.h"
#include "common/format.h"
#include "common/service/startup.h"
#include "common/service/stop_signal.h"
#include "services/routing/routing_service.h"

int main(int argc, char** argv) {
  lotse::service::StopSignal stop;
  try {
    auto config = lotse::service::StartUp(argc, argv, lotse::config::Service::kRouting);
    if (!config.ok()) {
      std::fprintf(stderr, "lotse-routing cannot start:\n%s\n",
                   std::string(config.status().message()).c_str());
      return 2;
    }
    lotse::bus::Context context;
    auto service = lotse::routing::RoutingService::Create(
        *config, context, lotse::clock::MakeClock(config->clock.speedup, config->clock.start));
    if (!service.ok()) {
      return lotse::service::ExitCode(service.status(), "routing");
    }
    return lotse::service::ExitCode((*service)->Run(stop), "routing");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse-routing failed: %s\n", e.what());
    return 1;
  }
}
