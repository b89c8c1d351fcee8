// lotse-audit: keeps the hash-chained history of every event.
#include <cstdio>
#include <exception>

#include "common/bus/socket.h"
#include "common/format.h"
#include "common/service/startup.h"
#include "common/service/stop_signal.h"
#include "services/audit/audit_service.h"

int main(int argc, char** argv) {
  lotse::service::StopSignal stop;
  try {
    auto config = lotse::service::StartUp(argc, argv, lotse::config::Service::kAudit);
    if (!config.ok()) {
      std::fprintf(stderr, "lotse-audit cannot start:\n%s\n",
                   std::string(config.status().message()).c_str());
      return 2;
    }
    lotse::bus::Context context;
    auto service = lotse::audit::AuditService::Create(
        *config, context, lotse::clock::MakeClock(config->clock.speedup, config->clock.start));
    if (!service.ok()) {
      return lotse::service::ExitCode(service.status(), "audit");
    }
    return lotse::service::ExitCode((*service)->Run(stop), "audit");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse-audit failed: %s\n", e.what());
    return 1;
  }
}
