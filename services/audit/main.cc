// lotse-audit: keeps the hash-chained history of every event and the joint evaluation.
#include "common/service/startup.h"
#include "services/audit/audit_service.h"

int main(int argc, char** argv) {
  return lotse::service::RunService<lotse::audit::AuditService>(argc, argv, lotse::config::Service::kAudit);
}
