#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lotse::test {

// Extra environment variables for a child, as (name, value) pairs. They are added to the current
// environment; a name that is already set is overridden.
using EnvVars = std::vector<std::pair<std::string, std::string>>;

// How a command run by RunCommand() ended, and everything it wrote.
struct CommandResult {
  int exit_code = -1;      // exit status, 128 + signal if a signal killed it, -1 on timeout
  std::string out;         // all of stdout
  std::string err;         // all of stderr
  bool timed_out = false;  // true if it was killed because `timeout` passed
};

// Runs `binary` with `args` (no shell) and waits for it. `binary` is a path, or a bare name that
// is looked up in $PATH. The child gets the current environment plus `env`, stdin from /dev/null,
// an empty signal mask and default signal dispositions, and dies with SIGKILL if the calling
// thread exits. stdout and stderr are read concurrently until both are closed, so any amount of
// output is captured without deadlock. If the command is still running after `timeout`, it is
// killed with SIGKILL and the result has `timed_out` = true and `exit_code` = -1.
// If `binary` cannot be executed, `exit_code` is 127 and `err` says why (as a shell would).
// A background descendant that keeps stdout or stderr open makes RunCommand wait until `timeout`;
// only `binary` itself is killed, and `timed_out` stays false if it had already exited.
// Thread-safe.
CommandResult RunCommand(const std::string& binary, const std::vector<std::string>& args,
                         const EnvVars& env = {}, absl::Duration timeout = absl::Seconds(30));

// A started child process, e.g. a service binary under an integration test. The Process owns the
// child: the destructor SIGKILLs it if it still runs and reaps it, so a failing test leaves no
// process behind. The child also gets PR_SET_PDEATHSIG = SIGKILL, so it dies if the thread that
// started it exits (for instance when the test binary crashes).
//
// Not thread-safe: use one Process from one thread. The child is reaped only through this object;
// do not call wait()/waitpid(-1) elsewhere in the test.
class Process {
 public:
  // Starts `binary` (a path, or a bare name looked up in $PATH) with `args`. The child gets the
  // current environment plus `env`, stdin from /dev/null, an empty signal mask and default signal
  // dispositions. Its stdout and stderr are appended to `log_path`, which is created if missing.
  // Returns NotFoundError if `binary` does not exist, another error if it cannot be executed or
  // `log_path` cannot be opened.
  static absl::StatusOr<std::unique_ptr<Process>> Start(const std::string& binary,
                                                        const std::vector<std::string>& args,
                                                        const EnvVars& env,
                                                        const std::string& log_path);

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // SIGKILLs the child if it has not been reaped yet, and reaps it.
  ~Process();

  pid_t pid() const { return pid_; }
  const std::string& binary() const { return binary_; }
  const std::string& log_path() const { return log_path_; }

  // Returns true if the child has not exited. Reaps it (WNOHANG) if it has, and remembers its
  // exit code. A stopped child counts as running.
  bool Running();

  // Sends SIGTERM (followed by SIGCONT, so a stopped child sees it) and waits up to `timeout` for
  // the child to exit. Returns its exit code, or 128 + signal if a signal killed it. If the child
  // had already exited, returns that code without sending anything. On timeout, SIGKILLs and
  // reaps the child and returns DeadlineExceededError naming the binary and pid.
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(5));

  // Waits up to `timeout` for the child to exit by itself, without signalling it. Returns the
  // exit code as Terminate() does, or DeadlineExceededError (the child keeps running).
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // SIGKILL and reap: the "kill -9" of crash tests. No-op if the child was already reaped.
  void Kill();
  // SIGSTOP: the child freezes (a hung peer). No-op if the child was already reaped.
  void Stop();
  // SIGCONT: resumes a stopped child. No-op if the child was already reaped.
  void Continue();

  // The exit code (128 + signal if a signal killed it) once the child has been reaped by
  // Running(), Terminate(), Wait() or Kill(); nullopt before.
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  Process(pid_t pid, std::string binary, std::string log_path);

  // Reaps the child if it has exited; blocks until then if `block`. Returns true once reaped.
  bool Reap(bool block);
  // Polls Reap() until it succeeds or `timeout` passes. Returns true if reaped.
  bool ReapWithin(absl::Duration timeout);
  void Signal(int sig);

  pid_t pid_;
  std::string binary_;
  std::string log_path_;
  bool reaped_ = false;
  std::optional<int> exit_code_;
};

}  // namespace lotse::test
