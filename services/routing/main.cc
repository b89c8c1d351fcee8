// lotse-routing: routes referrals and keeps the department worklists.
#include "common/service/startup.h"
#include "services/routing/routing_service.h"

int main(int argc, char** argv) {
  return lotse::service::RunService<lotse::routing::RoutingService>(argc, argv, lotse::config::Service::kRouting);
}
