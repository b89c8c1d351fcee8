#include "common/service/stop_signal.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include "common/service/systemd.h"
#include "common/status_macros.h"

namespace lotse::service {

StopSignal::StopSignal() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  LOTSE_CHECK(sigprocmask(SIG_BLOCK, &mask, &old_mask_) == 0);
  fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  LOTSE_CHECK(fd_ >= 0);
}

StopSignal::~StopSignal() {
  Consume();
  close(fd_);
  sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

bool StopSignal::Consume() {
  signalfd_siginfo info{};
  while (read(fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    if (info.ssi_signo == SIGHUP) {
      reload_ = true;
    } else {
      if (!requested_) {
        NotifyStopping();
      }
      requested_ = true;
    }
  }
  return requested_;
}

bool StopSignal::TakeReload() {
  const bool reload = reload_;
  reload_ = false;
  return reload;
}

}  // namespace lotse::service
