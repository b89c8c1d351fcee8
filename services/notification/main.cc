// lotse-notification: keeps the inboxes of offices, departments and key account managers.
#include <cstdio>
#include <exception>

#include "common/bus/socket.h"
#include "common/format.h"
#include "common/service/startup.h"
#include "common/service/stop_signal.h"
#include "services/notification/notification_service.h"

int main(int argc, char** argv) {
  lotse::service::StopSignal stop;
  try {
    auto config = lotse::service::StartUp(argc, argv, lotse::config::Service::kNotification);
    if (!config.ok()) {
      std::fprintf(stderr, "lotse-notification cannot start:\n%s\n",
                   std::string(config.status().message()).c_str());
      return 2;
    }
    lotse::bus::Context context;
    auto service = lotse::notification::NotificationService::Create(
        *config, context, lotse::clock::MakeClock(config->clock.speedup, config->clock.start));
    if (!service.ok()) {
      return lotse::service::ExitCode(service.status(), "notification");
    }
    return lotse::service::ExitCode((*service)->Run(stop), "notification");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse-notification failed: %s\n", e.what());
    return 1;
  }
}
