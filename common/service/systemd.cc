#include "common/service/systemd.h"

#include <systemd/sd-daemon.h>

#include <string>

#include "common/format.h"

namespace lotse::service {

void NotifyReady(std::string_view status) {
  std::string line(status.substr(0, status.find('\n')));
  sd_notify(0, StrCat("READY=1\nSTATUS=", line).c_str());
}

void NotifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

}  // namespace lotse::service
