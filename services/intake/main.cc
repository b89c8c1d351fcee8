// lotse-intake: accepts referrals and feedback from citizen offices.
#include "common/service/startup.h"
#include "services/intake/intake_service.h"

int main(int argc, char** argv) {
  return lotse::service::RunService<lotse::intake::IntakeService>(argc, argv, lotse::config::Service::kIntake);
}
