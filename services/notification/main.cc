// lotse-notification: keeps the inboxes of offices, departments and key account managers.
#include "common/service/startup.h"
#include "services/notification/notification_service.h"

int main(int argc, char** argv) {
  return lotse::service::RunService<lotse::notification::NotificationService>(
      argc, argv, lotse::config::Service::kNotification);
}
