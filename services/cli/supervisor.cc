#include "services/cli/supervisor.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "common/format.h"

namespace lotse::cli {
namespace {

template <typename... Args>
void Say(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "lotse up: {}\n", fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stderr);
}

sigset_t HandledSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGHUP);
  return mask;
}

// Milliseconds until `deadline` for poll(): 0 if past, rounded up so we do not wake early.
int PollTimeout(absl::Time deadline, absl::Time now) {
  if (deadline <= now) {
    return 0;
  }
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(deadline - now, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

}  // namespace

absl::Duration Backoff::OnExit(absl::Duration uptime) {
  if (uptime >= reset_after_) {
    next_ = initial_;
  }
  const absl::Duration delay = next_;
  next_ = std::min(next_ * 2, max_);
  return delay;
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return StrCat("exit code ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* name = strsignal(sig);
    return name != nullptr ? StrCat("signal ", sig, ", ", name) : StrCat("signal ", sig);
  }
  return StrCat("status ", wait_status);
}

std::string Seconds(absl::Duration d) { return fmt::format("{:g} s", absl::ToDoubleSeconds(d)); }

absl::StatusOr<std::string> OwnDirectory() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return absl::UnavailableError(
        StrCat("cannot find my own executable (/proc/self/exe): ", error.message()));
  }
  return self.parent_path().string();
}

Supervisor::Supervisor(std::span<const ServiceBinary> services, SupervisorOptions options)
    : options_(std::move(options)) {
  for (const ServiceBinary& service : services) {
    children_.push_back(Child{
        .name = std::string(service.name),
        .path = StrCat(options_.bin_dir, "/", service.binary),
        .pid = -1,
        .started = absl::InfinitePast(),
        .restart_at = absl::InfinitePast(),
        .backoff = Backoff(options_.first_backoff, options_.max_backoff, options_.reset_after),
    });
  }
}

Supervisor::~Supervisor() {
  if (signal_fd_ >= 0) {
    close(signal_fd_);
  }
}

absl::Status Supervisor::Check() const {
  for (const Child& child : children_) {
    if (access(child.path.c_str(), X_OK) != 0) {
      return absl::NotFoundError(StrCat("cannot run ", child.path, " (", std::strerror(errno),
                                        "): build it (cmake --build <build dir>) so it lands "
                                        "beside lotse"));
    }
  }
  return absl::OkStatus();
}

void Supervisor::Start(Child& child) {
  // Everything the child needs is prepared before fork(): after it, only exec-safe calls.
  std::vector<std::string> args;
  args.push_back(child.path);
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  sigset_t empty;
  sigemptyset(&empty);

  const pid_t pid = fork();
  if (pid == 0) {
    // Die with the supervisor, even if it is killed with SIGKILL.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
      _exit(1);  // the supervisor is already gone
    }
    signal(SIGINT, SIG_DFL);  // a shell may have ignored them for a background job
    signal(SIGTERM, SIG_DFL);
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    execv(argv[0], argv.data());
    auto put = [](std::string_view text) { (void)!write(STDERR_FILENO, text.data(), text.size()); };
    const std::string_view reason = std::strerror(errno);
    put("lotse up: cannot execute ");
    put(argv[0]);
    put(": ");
    put(reason);
    put("\n");
    _exit(127);
  }
  const absl::Time now = absl::Now();
  if (pid < 0) {
    const absl::Duration delay = child.backoff.OnExit(absl::ZeroDuration());
    child.restart_at = now + delay;
    Say("cannot start {}: {}; trying again in {}", child.name, std::strerror(errno),
        Seconds(delay));
    return;
  }
  child.pid = pid;
  child.started = now;
  Say("started {} (pid {})", child.name, pid);
}

bool Supervisor::ReadSignals() {
  bool stop = false;
  signalfd_siginfo info{};
  while (read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    if (info.ssi_signo == SIGINT || info.ssi_signo == SIGTERM) {
      stop = true;
      ++stop_signals_;
    } else if (info.ssi_signo == SIGHUP) {
      // The services reread their key list; the set keeps running.
      Say("SIGHUP: the services read their key list again");
      for (const Child& child : children_) {
        if (child.pid > 0) {
          kill(child.pid, SIGHUP);
        }
      }
    }
  }
  return stop;
}

void Supervisor::Reap(bool stopping) {
  int status = 0;
  pid_t pid = 0;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = std::find_if(children_.begin(), children_.end(),
                           [pid](const Child& c) { return c.pid == pid; });
    if (it == children_.end()) {
      continue;
    }
    Child& child = *it;
    child.pid = -1;
    const absl::Time now = absl::Now();
    if (stopping) {
      Say("{} stopped ({})", child.name, DescribeExit(status));
      continue;
    }
    const absl::Duration delay = child.backoff.OnExit(now - child.started);
    child.restart_at = now + delay;
    Say("{} exited ({}); restarting in {}", child.name, DescribeExit(status), Seconds(delay));
  }
}

bool Supervisor::AnyRunning() const {
  return std::any_of(children_.begin(), children_.end(), [](const Child& c) { return c.pid > 0; });
}

void Supervisor::StopAll() {
  Say("stopping {} service(s)",
      std::count_if(children_.begin(), children_.end(), [](const Child& c) { return c.pid > 0; }));
  for (const Child& child : children_) {
    if (child.pid > 0) {
      kill(child.pid, SIGTERM);
      kill(child.pid, SIGCONT);  // a stopped child must see it too
    }
  }
  const absl::Time deadline = absl::Now() + options_.stop_grace;
  pollfd fds{signal_fd_, POLLIN, 0};
  Reap(true);
  while (AnyRunning() && absl::Now() < deadline) {
    if (poll(&fds, 1, PollTimeout(deadline, absl::Now())) < 0 && errno != EINTR) {
      break;
    }
    if (ReadSignals() && stop_signals_ > 1) {
      Say("asked again: killing what still runs");
      break;
    }
    Reap(true);
  }
  for (Child& child : children_) {
    if (child.pid > 0) {
      Say("{} did not stop within {}; killing it", child.name, Seconds(options_.stop_grace));
      kill(child.pid, SIGKILL);
      int status = 0;
      while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
      }
      child.pid = -1;
    }
  }
  Say("all services stopped");
}

absl::Status Supervisor::Run() {
  const sigset_t mask = HandledSignals();
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
    return absl::InternalError(StrCat("cannot block signals: ", std::strerror(errno)));
  }
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) {
    return absl::InternalError(StrCat("cannot create a signalfd: ", std::strerror(errno)));
  }
  for (Child& child : children_) {
    Start(child);
  }
  pollfd fds{signal_fd_, POLLIN, 0};
  for (;;) {
    std::optional<absl::Time> next;
    for (const Child& child : children_) {
      if (child.pid < 0 && (!next.has_value() || child.restart_at < *next)) {
        next = child.restart_at;
      }
    }
    const int timeout = next.has_value() ? PollTimeout(*next, absl::Now()) : -1;
    if (poll(&fds, 1, timeout) < 0 && errno != EINTR) {
      const std::string reason = std::strerror(errno);
      StopAll();
      return absl::InternalError(StrCat("cannot wait for signals: ", reason));
    }
    // Read every pending signal before reaping: a Ctrl-C reaches the children too, and their
    // exits must count as our stop, not as crashes.
    if (ReadSignals()) {
      StopAll();
      return absl::OkStatus();
    }
    Reap(false);
    const absl::Time now = absl::Now();
    for (Child& child : children_) {
      if (child.pid < 0 && child.restart_at <= now) {
        Start(child);
      }
    }
  }
}

}  // namespace lotse::cli
