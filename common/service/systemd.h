#pragma once

// What a service tells systemd (a unit of Type=notify, deploy/systemd/): that it is ready, what
// it is doing, and that it is stopping, through $NOTIFY_SOCKET (sd_notify(3), libsystemd).
// Started any other way (no NOTIFY_SOCKET), every call does nothing. Thread-safe.

#include <string_view>

namespace lotse::service {

// READY=1 with a one-line STATUS= (what `systemctl status` shows): the service serves now.
void NotifyReady(std::string_view status);
// STOPPING=1: a stop was asked for (SIGTERM); systemd waits for the exit.
void NotifyStopping();

}  // namespace lotse::service
