#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

namespace fs = std::filesystem;

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name); old != nullptr) {
      old_ = old;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_.has_value()) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// True if `pid` no longer exists or is a zombie that someone else has to reap.
bool GoneOrZombie(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (stat.empty()) {
    return true;
  }
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

std::unique_ptr<Process> StartOrDie(const std::string& binary, const std::vector<std::string>& args,
                                    const std::string& log_path) {
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(binary, args, {}, log_path);
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? std::move(*process) : nullptr;
}

// --- RunCommand -------------------------------------------------------------------------------

TEST(RunCommandTest, CapturesStdoutStderrAndExitCode) {
  CommandResult result = RunCommand("/bin/sh", {"-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_FALSE(result.timed_out);
}

TEST(RunCommandTest, CapturesMegabytesOnBothPipesWithoutDeadlock) {
  // stderr first: a reader that drained stdout to EOF before stderr would deadlock here.
  CommandResult result = RunCommand("/bin/sh",
                                    {"-c",
                                     "head -c 1500000 /dev/zero >&2; head -c 2000000 /dev/zero; "
                                     "head -c 500000 /dev/zero >&2"},
                                    {}, absl::Seconds(20));
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out.size(), 2000000u);
  EXPECT_EQ(result.err.size(), 2000000u);
}

TEST(RunCommandTest, KillsCommandAfterTimeout) {
  const absl::Time start = absl::Now();
  CommandResult result = RunCommand("/bin/sleep", {"10"}, {}, absl::Milliseconds(200));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_GE(elapsed, absl::Milliseconds(190));
  EXPECT_LT(elapsed, absl::Seconds(5));
}

TEST(RunCommandTest, PassesArgumentsVerbatimAndAddsEnvironment) {
  ScopedEnv existing("LOTSE_SUPPORT_TEST_OLD", "old");
  CommandResult result =
      RunCommand("/bin/sh",
                 {"-c", R"(printf '%s|%s|%s' "$LOTSE_NEW" "$LOTSE_SUPPORT_TEST_OLD" "$1")", "sh",
                  "a b; $HOME *"},
                 {{"LOTSE_NEW", "new value"}, {"LOTSE_SUPPORT_TEST_OLD", "overridden"}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "new value|overridden|a b; $HOME *");
}

TEST(RunCommandTest, KeepsCurrentEnvironment) {
  ScopedEnv existing("LOTSE_SUPPORT_TEST_INHERITED", "inherited");
  CommandResult result =
      RunCommand("/bin/sh", {"-c", "printf %s \"$LOTSE_SUPPORT_TEST_INHERITED\""});
  EXPECT_EQ(result.out, "inherited");
}

TEST(RunCommandTest, StdinIsDevNull) {
  // With the test's stdin inherited, cat could block until the timeout.
  CommandResult result = RunCommand("/bin/cat", {}, {}, absl::Seconds(10));
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
}

TEST(RunCommandTest, FindsBareNameInPath) {
  CommandResult result = RunCommand("sh", {"-c", "echo hi"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "hi\n");
}

TEST(RunCommandTest, ReportsBinaryThatCannotRun) {
  CommandResult missing = RunCommand("/nonexistent/lotse-binary", {});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("/nonexistent/lotse-binary"), std::string::npos) << missing.err;
  EXPECT_FALSE(missing.timed_out);

  CommandResult not_in_path = RunCommand("lotse-no-such-binary", {});
  EXPECT_EQ(not_in_path.exit_code, 127);
  EXPECT_NE(not_in_path.err.find("not found"), std::string::npos) << not_in_path.err;
}

TEST(RunCommandTest, ChildInheritsNoFileDescriptors) {
  // An fd the test opened without O_CLOEXEC must still not reach the child.
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const int high_fd = ::dup2(fd, 57);
  ASSERT_EQ(high_fd, 57);
  CommandResult result = RunCommand(
      "/bin/sh", {"-c", "if [ -e /proc/self/fd/57 ]; then echo leaked; else echo clean; fi"});
  ::close(high_fd);
  ::close(fd);
  EXPECT_EQ(result.out, "clean\n");
}

TEST(RunCommandTest, ChildStartsWithEmptySignalMaskAndNoIgnoredSignals) {
  // A blocked or ignored signal would otherwise survive fork and exec.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigset_t old_mask;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_action {};
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &old_action), 0);

  // grep is not a shell, so it reports what it inherited and resets nothing itself.
  CommandResult result = RunCommand("/bin/grep", {"-E", "^Sig(Blk|Ign):", "/proc/self/status"});

  ::sigaction(SIGINT, &old_action, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  EXPECT_EQ(result.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n") << result.err;
}

// --- Process ----------------------------------------------------------------------------------

TEST(ProcessTest, TerminateReturns128PlusSigterm) {
  TempDir dir;
  std::unique_ptr<Process> process = StartOrDie("/bin/sleep", {"30"}, dir.Join("sleep.log"));
  ASSERT_NE(process, nullptr);
  EXPECT_TRUE(process->Running());
  absl::StatusOr<int> code = process->Terminate(absl::Seconds(5));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGTERM);
  EXPECT_EQ(process->exit_code(), 128 + SIGTERM);
  EXPECT_FALSE(process->Running());
}

TEST(ProcessTest, TerminateKillsChildThatIgnoresSigterm) {
  TempDir dir;
  const std::string log = dir.Join("stubborn.log");
  std::unique_ptr<Process> process =
      StartOrDie("/bin/sh", {"-c", "trap '' TERM; echo ready; exec sleep 30"}, log);
  ASSERT_NE(process, nullptr);
  // SIGTERM before the trap is set would simply kill the shell.
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(log) == "ready\n"; }, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  absl::StatusOr<int> code = process->Terminate(absl::Milliseconds(300));
  const absl::Duration elapsed = absl::Now() - start;
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(code.status().message().find("/bin/sh"), std::string::npos) << code.status();
  EXPECT_NE(code.status().message().find(absl::StrCat(process->pid())), std::string::npos)
      << code.status();
  EXPECT_GE(elapsed, absl::Milliseconds(290));
  EXPECT_LT(elapsed, absl::Seconds(5));
  EXPECT_FALSE(process->Running());
  EXPECT_EQ(process->exit_code(), 128 + SIGKILL);
}

TEST(ProcessTest, KillStopsChildAndRunningReportsIt) {
  TempDir dir;
  std::unique_ptr<Process> process = StartOrDie("/bin/sleep", {"30"}, dir.Join("sleep.log"));
  ASSERT_NE(process, nullptr);
  EXPECT_TRUE(process->Running());
  EXPECT_EQ(process->exit_code(), std::nullopt);
  process->Kill();
  EXPECT_FALSE(process->Running());
  EXPECT_EQ(process->exit_code(), 128 + SIGKILL);
  process->Kill();  // no-op once reaped
  EXPECT_EQ(process->exit_code(), 128 + SIGKILL);
}

TEST(ProcessTest, RunningReapsChildThatExitedByItself) {
  TempDir dir;
  std::unique_ptr<Process> process = StartOrDie("/bin/sh", {"-c", "exit 4"}, dir.Join("sh.log"));
  ASSERT_NE(process, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return !process->Running(); }, absl::Seconds(5)));
  EXPECT_EQ(process->exit_code(), 4);
  absl::StatusOr<int> code = process->Terminate();  // already exited: just the code
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 4);
}

TEST(ProcessTest, DestructorKillsRunningChild) {
  TempDir dir;
  std::unique_ptr<Process> process = StartOrDie("/bin/sleep", {"30"}, dir.Join("sleep.log"));
  ASSERT_NE(process, nullptr);
  const pid_t pid = process->pid();
  ASSERT_EQ(::kill(pid, 0), 0);
  process.reset();
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // already reaped
}

TEST(ProcessTest, ChildDiesWithItsParent) {
  std::array<int, 2> pipe_fds{};
  ASSERT_EQ(::pipe2(pipe_fds.data(), O_CLOEXEC), 0);
  TempDir dir;
  const std::string log = dir.Join("orphan.log");
  const pid_t middle = ::fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    // The middle process starts a child and exits without cleaning up, as a crashing test would.
    absl::StatusOr<std::unique_ptr<Process>> child = Process::Start("/bin/sleep", {"30"}, {}, log);
    pid_t pid = child.ok() ? (*child)->pid() : -1;
    (void)!::write(pipe_fds[1], &pid, sizeof(pid));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  pid_t child = -1;
  ASSERT_EQ(::read(pipe_fds[0], &child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(middle, &status, 0), middle);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(WaitUntil([&] { return GoneOrZombie(child); }, absl::Seconds(5)))
      << "pid " << child << " outlived its parent";
}

TEST(ProcessTest, AppendsStdoutAndStderrToLogFile) {
  TempDir dir;
  const std::string log = dir.Join("logs/../out.log");
  ASSERT_TRUE(fs::create_directory(dir.Join("logs")));
  for (int i = 0; i < 2; ++i) {
    std::unique_ptr<Process> process =
        StartOrDie("/bin/sh", {"-c", "echo one; echo two >&2; cat"}, log);
    ASSERT_NE(process, nullptr);
    absl::StatusOr<int> code = process->Wait(absl::Seconds(5));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0);  // cat read EOF from /dev/null
  }
  EXPECT_EQ(ReadFile(log), "one\ntwo\none\ntwo\n");
}

TEST(ProcessTest, PassesEnvironment) {
  TempDir dir;
  const std::string log = dir.Join("env.log");
  absl::StatusOr<std::unique_ptr<Process>> process =
      Process::Start("sh", {"-c", "printf %s \"$LOTSE_VALUE\""}, {{"LOTSE_VALUE", "x y"}}, log);
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE((*process)->Wait(absl::Seconds(5)).ok());
  EXPECT_EQ(ReadFile(log), "x y");
}

TEST(ProcessTest, WaitTimesOutAndLeavesChildRunning) {
  TempDir dir;
  std::unique_ptr<Process> process = StartOrDie("/bin/sleep", {"30"}, dir.Join("sleep.log"));
  ASSERT_NE(process, nullptr);
  absl::StatusOr<int> code = process->Wait(absl::Milliseconds(100));
  EXPECT_EQ(code.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(process->Running());
}

TEST(ProcessTest, StopFreezesChildAndContinueResumesIt) {
  TempDir dir;
  const std::string log = dir.Join("ticker.log");
  std::unique_ptr<Process> process = StartOrDie(
      "/bin/sh", {"-c", "trap 'exit 7' TERM; while :; do echo tick; sleep 0.02; done"}, log);
  ASSERT_NE(process, nullptr);
  ASSERT_TRUE(WaitUntil([&] { return !ReadFile(log).empty(); }, absl::Seconds(5)));

  process->Stop();
  absl::SleepFor(absl::Milliseconds(100));  // let a running `sleep 0.02` finish
  const size_t frozen_size = ReadFile(log).size();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(ReadFile(log).size(), frozen_size);
  EXPECT_TRUE(process->Running());

  process->Continue();
  EXPECT_TRUE(WaitUntil([&] { return ReadFile(log).size() > frozen_size; }, absl::Seconds(5)));

  // Terminate() also reaches a stopped child that handles SIGTERM.
  process->Stop();
  absl::StatusOr<int> code = process->Terminate(absl::Seconds(5));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 7);
}

TEST(ProcessTest, StartReportsMissingBinaryAndUnwritableLog) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Process>> missing =
      Process::Start("/nonexistent/lotse-binary", {}, {}, dir.Join("missing.log"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();

  absl::StatusOr<std::unique_ptr<Process>> no_log =
      Process::Start("/bin/true", {}, {}, dir.Join("no/such/dir/x.log"));
  EXPECT_FALSE(no_log.ok());
  EXPECT_NE(no_log.status().message().find("no/such/dir/x.log"), std::string::npos);
}

// --- WaitUntil --------------------------------------------------------------------------------

TEST(WaitUntilTest, ReturnsTrueOncePredicateHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&] { return ++calls == 3; }, absl::Seconds(5), absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitUntilTest, ReturnsFalseAfterDeadline) {
  int calls = 0;
  const absl::Time start = absl::Now();
  EXPECT_FALSE(WaitUntil([&] { return ++calls < 0; }, absl::Milliseconds(100)));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, absl::Milliseconds(100));
  EXPECT_LT(elapsed, absl::Seconds(2));
  EXPECT_GE(calls, 2);
}

TEST(WaitUntilTest, CallsPredicateOnceWithZeroDeadline) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&] { return ++calls == 1; }, absl::ZeroDuration()));
  EXPECT_EQ(calls, 1);
}

// --- FindFreePortBase -------------------------------------------------------------------------

TEST(FindFreePortBaseTest, ReturnsPortsThatCanAllBeBound) {
  constexpr int kCount = 8;
  const int base = FindFreePortBase(kCount);
  ASSERT_GE(base, 20000);
  ASSERT_LE(base + kCount, 60000);
  std::vector<int> sockets;
  for (int port = base; port < base + kCount; ++port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockets.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0)
        << "port " << port << ": " << std::strerror(errno);
    EXPECT_EQ(::listen(fd, 1), 0);
  }
  // While they are taken, another search must not return an overlapping range.
  const int other = FindFreePortBase(kCount);
  EXPECT_TRUE(other + kCount <= base || other >= base + kCount) << base << " vs " << other;
  for (int fd : sockets) {
    ::close(fd);
  }
}

TEST(FindFreePortBaseTest, RejectsInvalidCount) {
  EXPECT_NONFATAL_FAILURE(FindFreePortBase(0), "count");
}

// --- TempDir, ReadFile, WriteFile -------------------------------------------------------------

TEST(TempDirTest, CreatesDirectoryAndRemovesItRecursively) {
  ScopedEnv no_keep("LOTSE_KEEP_TEST_DIRS", nullptr);
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(fs::is_directory(path));
    EXPECT_EQ(path.front(), '/');
    EXPECT_NE(path.back(), '/');
    ASSERT_TRUE(fs::create_directories(dir.Join("a/b/c")));
    ASSERT_TRUE(WriteFile(dir.Join("a/b/c/file"), "data").ok());
    fs::create_symlink("/etc", dir.Join("a/link"));
    TempDir other;
    EXPECT_NE(other.path(), path);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists("/etc"));  // the symlink was removed, not followed
}

TEST(TempDirTest, RemovesReadOnlySubdirectories) {
  ScopedEnv no_keep("LOTSE_KEEP_TEST_DIRS", nullptr);
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    ASSERT_TRUE(fs::create_directories(dir.Join("ro/inner")));
    ASSERT_TRUE(WriteFile(dir.Join("ro/inner/file"), "x").ok());
    ASSERT_EQ(::chmod(dir.Join("ro/inner").c_str(), 0500), 0);
    ASSERT_EQ(::chmod(dir.Join("ro").c_str(), 0000), 0);
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, KeepsDirectoryWhenAsked) {
  ScopedEnv keep("LOTSE_KEEP_TEST_DIRS", "1");
  std::string path;
  {
    TempDir dir;
    path = dir.path();
  }
  EXPECT_TRUE(fs::is_directory(path));
  fs::remove_all(path);
}

TEST(TempDirTest, CreatesDirectoryUnderTmpdir) {
  ScopedEnv no_keep("LOTSE_KEEP_TEST_DIRS", nullptr);
  TempDir outer;
  ScopedEnv tmpdir("TMPDIR", (outer.path() + "/").c_str());
  TempDir inner;
  EXPECT_EQ(fs::path(inner.path()).parent_path(), fs::path(outer.path()));
  EXPECT_TRUE(fs::is_directory(inner.path()));
}

TEST(ReadFileTest, RoundTripsBinaryContentsAndReturnsEmptyForMissingFile) {
  TempDir dir;
  const std::string contents("a\0b\nc", 5);
  ASSERT_TRUE(WriteFile(dir.Join("f"), contents).ok());
  EXPECT_EQ(ReadFile(dir.Join("f")), contents);
  ASSERT_TRUE(WriteFile(dir.Join("f"), "short").ok());
  EXPECT_EQ(ReadFile(dir.Join("f")), "short");
  EXPECT_EQ(ReadFile(dir.Join("missing")), "");
  EXPECT_FALSE(WriteFile(dir.Join("no/such/dir/f"), "x").ok());
}

}  // namespace
}  // namespace lotse::test
