#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

using Clock = std::chrono::steady_clock;

// A deadline `d` from now on the monotonic clock; absurdly long durations are clamped.
Clock::time_point DeadlineAfter(absl::Duration d) {
  d = std::clamp(d, absl::ZeroDuration(), absl::Hours(24 * 365));
  return Clock::now() + absl::ToChronoNanoseconds(d);
}

// Exit code of a waitpid() status: the exit status, or 128 + signal number.
int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

void CloseFd(int fd) {
  if (fd >= 0) {
    // Linux always releases the fd, even on EINTR; never retry close().
    ::close(fd);
  }
}

// Blocking waitpid() that retries on EINTR. Returns the decoded exit code, or -1 on error.
int WaitPidBlocking(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return DecodeWaitStatus(status);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The path to exec: `binary` itself if it contains a slash, else its first match in $PATH.
absl::StatusOr<std::string> ResolveBinary(const std::string& binary) {
  if (binary.empty()) {
    return absl::InvalidArgumentError("empty binary name");
  }
  if (binary.find('/') != std::string::npos) {
    return binary;
  }
  const char* path_env = std::getenv("PATH");
  const std::string search_path =
      (path_env != nullptr && *path_env != '\0') ? path_env : "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(search_path, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", binary);
    if (IsExecutableFile(candidate)) {
      return candidate;
    }
  }
  return absl::NotFoundError(absl::StrCat("'", binary, "' not found in $PATH (", search_path, ")"));
}

// The current environment with `extra` added; a name that is already set is overridden.
std::vector<std::string> MergeEnvironment(const EnvVars& extra) {
  std::vector<std::string> result;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    result.emplace_back(*e);
  }
  for (const auto& [name, value] : extra) {
    std::string entry = absl::StrCat(name, "=", value);
    const std::string prefix = absl::StrCat(name, "=");
    auto it = std::find_if(result.begin(), result.end(),
                           [&prefix](const std::string& s) { return s.starts_with(prefix); });
    if (it != result.end()) {
      *it = std::move(entry);
    } else {
      result.push_back(std::move(entry));
    }
  }
  return result;
}

// NULL-terminated array of pointers into `strings`, for execve().
std::vector<char*> CStringArray(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (std::string& s : strings) {
    result.push_back(s.data());
  }
  result.push_back(nullptr);
  return result;
}

// Everything the child needs, prepared before fork() so that the child only makes
// async-signal-safe calls (the test binary may have other threads).
struct ChildSetup {
  const char* path = nullptr;
  char** argv = nullptr;
  char** envp = nullptr;
  std::array<int, 3> stdio = {-1, -1, -1};  // become the child's fds 0, 1, 2
  int exec_error_fd = -1;  // close-on-exec; receives errno if the child fails before exec
  pid_t parent = 0;
  int fd_limit = 0;  // fallback bound for marking fds close-on-exec
};

[[noreturn]] void ReportErrnoAndExit(int fd, int error) {
  const char* p = reinterpret_cast<const char*>(&error);
  size_t left = sizeof(error);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::_exit(127);
}

// Runs in the forked child. Async-signal-safe calls only, no allocation.
[[noreturn]] void RunChild(const ChildSetup& setup) {
  // Die with the thread that started us; if the parent is already gone, do not run at all.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != setup.parent) {
    ::_exit(127);
  }
  // Default dispositions (an ignored signal would stay ignored across exec), then an empty mask.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      ::sigaction(sig, &default_action, nullptr);  // fails harmlessly for reserved signals
    }
  }
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  ::sigprocmask(SIG_SETMASK, &empty_mask, nullptr);

  // Move the sources above 2 first, so that dup2() never sees source == target (which would
  // keep FD_CLOEXEC set) and no source is overwritten before it is used.
  std::array<int, 3> moved{};
  for (int i = 0; i < 3; ++i) {
    moved[i] = ::fcntl(setup.stdio[i], F_DUPFD_CLOEXEC, 3);
    if (moved[i] < 0) {
      ReportErrnoAndExit(setup.exec_error_fd, errno);
    }
  }
  for (int i = 0; i < 3; ++i) {
    while (::dup2(moved[i], i) < 0) {
      if (errno != EINTR) {
        ReportErrnoAndExit(setup.exec_error_fd, errno);
      }
    }
  }
  // Close-on-exec hygiene: no inherited fd above 2 survives exec, even one the test binary or a
  // library opened without O_CLOEXEC. close_range() needs Linux 5.11; fall back to a loop.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < setup.fd_limit; ++fd) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  ::execve(setup.path, setup.argv, setup.envp);
  ReportErrnoAndExit(setup.exec_error_fd, errno);
}

int FdLimitForFallback() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 65536;
  }
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 65536));
}

// Forks and execs `binary`; the child's stdin is /dev/null, its stdout and stderr are dups of
// `out_fd` and `err_fd`. Returns the pid once exec has succeeded, or why it failed (the child
// is reaped then). The caller still owns `out_fd` and `err_fd`.
absl::StatusOr<pid_t> Spawn(const std::string& binary, const std::vector<std::string>& args,
                            const EnvVars& env, int out_fd, int err_fd) {
  absl::StatusOr<std::string> path = ResolveBinary(binary);
  if (!path.ok()) {
    return path.status();
  }
  std::vector<std::string> argv_strings;
  argv_strings.reserve(args.size() + 1);
  argv_strings.push_back(binary);
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv = CStringArray(argv_strings);
  std::vector<std::string> env_strings = MergeEnvironment(env);
  std::vector<char*> envp = CStringArray(env_strings);

  int null_fd = -1;
  do {
    null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  } while (null_fd < 0 && errno == EINTR);
  if (null_fd < 0) {
    return absl::ErrnoToStatus(errno, "cannot open /dev/null");
  }
  std::array<int, 2> exec_pipe = {-1, -1};
  if (::pipe2(exec_pipe.data(), O_CLOEXEC) != 0) {
    const int error = errno;
    CloseFd(null_fd);
    return absl::ErrnoToStatus(error, "pipe2");
  }

  ChildSetup setup;
  setup.path = path->c_str();
  setup.argv = argv.data();
  setup.envp = envp.data();
  setup.stdio[0] = null_fd;
  setup.stdio[1] = out_fd;
  setup.stdio[2] = err_fd;
  setup.exec_error_fd = exec_pipe[1];
  setup.parent = ::getpid();
  setup.fd_limit = FdLimitForFallback();

  const pid_t pid = ::fork();
  if (pid == 0) {
    RunChild(setup);
  }
  const int fork_error = errno;
  CloseFd(null_fd);
  CloseFd(exec_pipe[1]);
  if (pid < 0) {
    CloseFd(exec_pipe[0]);
    return absl::ErrnoToStatus(fork_error, "fork");
  }

  // EOF means exec succeeded (the pipe was closed on exec); 4 bytes are the child's errno.
  int child_error = 0;
  size_t got = 0;
  while (got < sizeof(child_error)) {
    ssize_t n = ::read(exec_pipe[0], reinterpret_cast<char*>(&child_error) + got,
                       sizeof(child_error) - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  CloseFd(exec_pipe[0]);
  if (got == 0) {
    return pid;
  }
  ::kill(pid, SIGKILL);  // in case it is somehow still running
  WaitPidBlocking(pid);
  if (got == sizeof(child_error)) {
    return absl::ErrnoToStatus(child_error, absl::StrCat("cannot execute ", *path));
  }
  return absl::InternalError(absl::StrCat("lost the child while starting ", *path));
}

// Reads what is available from `fd` into `sink`, through `buffer`. Returns false at EOF or on an
// error.
bool DrainPipe(int fd, std::vector<char>& buffer, std::string& sink) {
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      sink.append(buffer.data(), static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    }
    return false;  // EOF or error
  }
}

}  // namespace

CommandResult RunCommand(const std::string& binary, const std::vector<std::string>& args,
                         const EnvVars& env, absl::Duration timeout) {
  CommandResult result;
  const Clock::time_point deadline = DeadlineAfter(timeout);

  std::array<int, 2> out_pipe = {-1, -1};
  std::array<int, 2> err_pipe = {-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    result.exit_code = 127;
    result.err = absl::StrCat("lotse::test::RunCommand: pipe2: ", std::strerror(errno), "\n");
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      CloseFd(fd);
    }
    return result;
  }
  absl::StatusOr<pid_t> pid = Spawn(binary, args, env, out_pipe[1], err_pipe[1]);
  CloseFd(out_pipe[1]);
  CloseFd(err_pipe[1]);
  if (!pid.ok()) {
    CloseFd(out_pipe[0]);
    CloseFd(err_pipe[0]);
    result.exit_code = 127;
    result.err = absl::StrCat("lotse::test::RunCommand: ", pid.status().ToString(), "\n");
    return result;
  }

  // Read both pipes as data arrives until both are closed or the deadline passes.
  std::array<pollfd, 2> fds = {{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
  std::array<std::string*, 2> sinks = {&result.out, &result.err};
  std::vector<char> buffer(65536);
  for (pollfd& p : fds) {
    ::fcntl(p.fd, F_SETFL, ::fcntl(p.fd, F_GETFL) | O_NONBLOCK);
  }
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto remaining = deadline - Clock::now();
    if (remaining <= Clock::duration::zero()) {
      break;
    }
    const auto remaining_ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
    const int poll_ms = static_cast<int>(std::min<int64_t>(remaining_ms, 60'000));
    const int ready = ::poll(fds.data(), fds.size(), poll_ms);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && fds[i].revents != 0 && !DrainPipe(fds[i].fd, buffer, *sinks[i])) {
        CloseFd(fds[i].fd);
        fds[i].fd = -1;  // poll() ignores negative fds
      }
    }
  }
  CloseFd(fds[0].fd);
  CloseFd(fds[1].fd);

  // Wait for the exit for whatever time is left (the child may have closed its output early).
  int status = 0;
  bool exited = false;
  auto reap = [&]() {
    pid_t r;
    do {
      r = ::waitpid(*pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    exited = r != 0;  // the child, or an error such as ECHILD: nothing left to wait for
    return exited;
  };
  const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
  WaitUntil(reap, absl::FromChrono(left), absl::Milliseconds(5));
  if (exited) {
    result.exit_code = DecodeWaitStatus(status);
    return result;
  }
  ::kill(*pid, SIGKILL);
  WaitPidBlocking(*pid);
  result.timed_out = true;
  result.exit_code = -1;
  return result;
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(const std::string& binary,
                                                        const std::vector<std::string>& args,
                                                        const EnvVars& env,
                                                        const std::string& log_path) {
  int log_fd = -1;
  do {
    log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  } while (log_fd < 0 && errno == EINTR);
  if (log_fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open log file ", log_path));
  }
  absl::StatusOr<pid_t> pid = Spawn(binary, args, env, log_fd, log_fd);
  CloseFd(log_fd);
  if (!pid.ok()) {
    return pid.status();
  }
  return std::unique_ptr<Process>(new Process(*pid, binary, log_path));
}

Process::Process(pid_t pid, std::string binary, std::string log_path)
    : pid_(pid), binary_(std::move(binary)), log_path_(std::move(log_path)) {}

Process::~Process() { Kill(); }

bool Process::Reap(bool block) {
  if (reaped_) {
    return true;
  }
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      exit_code_ = DecodeWaitStatus(status);
      return true;
    }
    if (r == 0) {
      return false;
    }
    if (errno != EINTR) {
      reaped_ = true;  // ECHILD: reaped elsewhere; the exit code is unknown
      return true;
    }
  }
}

bool Process::ReapWithin(absl::Duration timeout) {
  return WaitUntil([this] { return Reap(/*block=*/false); }, timeout, absl::Milliseconds(5));
}

void Process::Signal(int sig) {
  // While we have not reaped the child, its pid cannot be reused, so this cannot hit a stranger.
  if (!reaped_) {
    ::kill(pid_, sig);
  }
}

bool Process::Running() { return !Reap(/*block=*/false); }

absl::StatusOr<int> Process::Terminate(absl::Duration timeout) {
  if (!reaped_) {
    Signal(SIGTERM);
    Signal(SIGCONT);
    if (!ReapWithin(timeout)) {
      Kill();
      return absl::DeadlineExceededError(absl::StrFormat(
          "%s (pid %d) did not exit within %s after SIGTERM; killed it with SIGKILL", binary_, pid_,
          absl::FormatDuration(timeout)));
    }
  }
  if (!exit_code_.has_value()) {
    return absl::InternalError(
        absl::StrFormat("%s (pid %d) was reaped elsewhere; exit code unknown", binary_, pid_));
  }
  return *exit_code_;
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  if (!ReapWithin(timeout)) {
    return absl::DeadlineExceededError(absl::StrFormat(
        "%s (pid %d) still running after %s", binary_, pid_, absl::FormatDuration(timeout)));
  }
  if (!exit_code_.has_value()) {
    return absl::InternalError(
        absl::StrFormat("%s (pid %d) was reaped elsewhere; exit code unknown", binary_, pid_));
  }
  return *exit_code_;
}

void Process::Kill() {
  if (reaped_) {
    return;
  }
  Signal(SIGKILL);
  Reap(/*block=*/true);
}

void Process::Stop() { Signal(SIGSTOP); }

void Process::Continue() { Signal(SIGCONT); }

}  // namespace lotse::test
