// Under systemd (deploy/systemd/, Type=notify) every service and the web terminal tell the
// service manager on $NOTIFY_SOCKET that they are ready once they serve (READY=1) and that they
// are stopping when SIGTERM comes (STOPPING=1), and then stop cleanly within two seconds. The
// test plays systemd's part with its own datagram socket.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

// A bound AF_UNIX datagram socket, as systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : fd_(socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
  }
  ~NotifySocket() { close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // The next datagram, or nullopt if none comes within `timeout`.
  std::optional<std::string> Receive(absl::Duration timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1) {
      return std::nullopt;
    }
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    return n < 0 ? std::nullopt : std::make_optional(std::string(buffer, n));
  }

 private:
  int fd_;
};

TEST(SystemdTest, EveryServiceSaysReadyWhenItServesAndStopsWithinTwoSecondsOfSigterm) {
  TempDir dir;
  const std::string path = dir.Join("notify");
  NotifySocket notify(path);
  SetOptions options;
  options.env = {{"NOTIFY_SOCKET", path}};
  LotseSet set(options);
  for (const std::string service : {"intake", "routing", "notification", "audit", "web"}) {
    set.Start(service);  // returns once the service answers
    const std::optional<std::string> ready = notify.Receive(absl::Seconds(5));
    ASSERT_TRUE(ready.has_value()) << service << " never said it was ready:\n" << set.Log(service);
    EXPECT_NE(ready->find("READY=1"), std::string::npos) << *ready;
    EXPECT_NE(ready->find("STATUS=serving"), std::string::npos) << *ready;
  }
  EXPECT_FALSE(notify.Receive(absl::Milliseconds(200)).has_value()) << "said more than once";

  for (const std::string service : {"web", "audit", "notification", "routing", "intake"}) {
    const absl::Time start = absl::Now();
    EXPECT_EQ(set.Terminate(service), 0) << set.Log(service);
    const absl::Duration took = absl::Now() - start;
    std::cout << "lotse-" << service << " stopped " << absl::ToInt64Milliseconds(took)
              << " ms after SIGTERM\n";
    EXPECT_LT(took, absl::Seconds(2)) << service;
    const std::optional<std::string> stopping = notify.Receive(absl::Seconds(1));
    ASSERT_TRUE(stopping.has_value()) << service << " did not say it was stopping";
    EXPECT_NE(stopping->find("STOPPING=1"), std::string::npos) << *stopping;
  }
}

// What systemd shows when a service cannot start: the journal's one line names the problem and
// the fix, the exit code says which (2 config, 3 keys, 4 data directory; the units do not
// restart for them), and nothing was written.
TEST(SystemdTest, AServiceThatCannotStartSaysWhyAndExitsWithItsOwnCodeChangingNothing) {
  TempDir dir;
  const std::string data = dir.Join("data");
  auto run = [&](const std::vector<std::string>& args, const EnvVars& env = {}) {
    return RunCommand(LOTSE_INTAKE_BIN, args, env, absl::Seconds(20));
  };
  auto critical = [](const CommandResult& r) {  // what it says about why, on one line
    std::string why = r.err.substr(std::min(r.err.find("cannot"), r.err.size()), 400);
    std::replace(why.begin(), why.end(), '\n', ' ');
    return why;
  };

  const CommandResult no_config =
      run({"--config", dir.Join("lotse.toml"), "--data-dir", data, "--log-format", "json"});
  EXPECT_EQ(no_config.exit_code, 2) << no_config.err;
  EXPECT_NE(no_config.err.find(dir.Join("lotse.toml")), std::string::npos) << no_config.err;
  std::cout << "no config (exit " << no_config.exit_code << "): " << critical(no_config) << "\n";

  const CommandResult no_keys = run({"--data-dir", data, "--port-base", "39100"});
  EXPECT_EQ(no_keys.exit_code, 3) << no_keys.err;
  EXPECT_NE(no_keys.err.find("lotse keys generate"), std::string::npos) << no_keys.err;
  EXPECT_FALSE(std::filesystem::exists(data + "/intake")) << "a store was made without keys";
  std::cout << "no keys (exit " << no_keys.exit_code << "): " << critical(no_keys) << "\n";

  // A host the config names that does not resolve, an address to listen on that is not this
  // host's: exit 5 (restarted: a late name server or network mends it), no store made. lotse-web
  // checks the same.
  const CommandResult made_keys =
      RunCommand(LOTSE_CLI_BIN, {"keys", "generate", "--out", data + "/keys"});
  ASSERT_EQ(made_keys.exit_code, 0) << made_keys.err;
  for (const auto& [hosts, named] :
       {std::pair<std::string, std::string>{"routing = \"lotse-routing.invalid\"",
                                            "[network.hosts] routing = \"lotse-routing.invalid\""},
        std::pair<std::string, std::string>{"intake = \"192.0.2.7\"\nweb = \"192.0.2.7\"",
                                            "not an address of this host"}}) {
    const std::string config = dir.Join("hosts.toml");
    ASSERT_TRUE(
        WriteFile(config, StrCat(config::DefaultConfigText(), "\n[network.hosts]\n", hosts, "\n"))
            .ok());
    const std::string web =
        (std::filesystem::path(LOTSE_INTAKE_BIN).parent_path() / "lotse-web").string();
    for (const std::string& binary : {std::string(LOTSE_INTAKE_BIN), web}) {
      const CommandResult unreachable =
          RunCommand(binary, {"--config", config, "--data-dir", data, "--port-base", "39100"}, {},
                     absl::Seconds(20));
      EXPECT_EQ(unreachable.exit_code, 5) << binary << ": " << unreachable.err;
      EXPECT_NE(unreachable.err.find(named), std::string::npos) << unreachable.err;
      std::cout << "network (" << std::filesystem::path(binary).filename().string() << ", exit "
                << unreachable.exit_code << "): " << critical(unreachable) << "\n";
    }
    EXPECT_FALSE(std::filesystem::exists(data + "/intake")) << "a store was made";
    EXPECT_FALSE(std::filesystem::exists(data + "/web")) << "a store was made";
  }

  // A data directory that belongs to another user: the service runs as nobody, its keys are
  // nobody's, the directory root's.
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    GTEST_SKIP() << "the other user's data directory needs root and setpriv (util-linux)";
  }
  const CommandResult keys =
      RunCommand(LOTSE_CLI_BIN, {"keys", "generate", "--out", data + "/keys"});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  ASSERT_EQ(std::system(("chown -R nobody " + data + "/keys && chmod 755 " + dir.path() + " " +
                         data + " && mkdir -m 700 " + data + "/intake")
                            .c_str()),
            0);
  const CommandResult foreign =
      RunCommand("/usr/bin/setpriv",
                 {"--reuid=nobody", "--regid=nogroup", "--clear-groups", LOTSE_INTAKE_BIN,
                  "--data-dir", data, "--port-base", "39100"},
                 {}, absl::Seconds(20));
  EXPECT_EQ(foreign.exit_code, 4) << foreign.err;
  EXPECT_NE(foreign.err.find("chown"), std::string::npos) << foreign.err;
  EXPECT_TRUE(std::filesystem::is_empty(data + "/intake"));
  std::cout << "another user's data directory (exit " << foreign.exit_code
            << "): " << critical(foreign) << "\n";
}

// journald's part: with --log-format journal each line reaches the journal's socket with the
// referral's id and case number as fields. Where journald does not run, the test binds its
// socket itself (as root) and reads what the services send.
TEST(SystemdTest, JournalLinesCarryTheReferralAndItsCaseNumberAsFields) {
  const std::string socket_path = "/run/systemd/journal/socket";
  if (access(socket_path.c_str(), F_OK) == 0) {
    GTEST_SKIP() << "journald runs here: check with 'journalctl LOTSE_CASE_NUMBER=...'";
  }
  if (geteuid() != 0) {
    GTEST_SKIP() << "binding journald's socket needs root";
  }
  std::filesystem::create_directories("/run/systemd/journal");
  std::vector<std::string> entries;
  {
    NotifySocket journal(socket_path);
    std::atomic<bool> done = false;
    std::mutex mutex;
    // Read all the time: a full socket would hold the services' logging up.
    std::thread reader([&] {
      while (!done) {
        if (std::optional<std::string> entry = journal.Receive(absl::Milliseconds(50))) {
          const std::lock_guard<std::mutex> lock(mutex);
          entries.push_back(*std::move(entry));
        }
      }
    });
    {
      SetOptions options;
      options.env = {{"LOTSE_LOG_FORMAT", "journal"}};
      LotseSet set(options);
      set.StartAll();
      auto submitted = set.Submit("bb-mitte", "emissionsschutz", "HRB 4711");
      ASSERT_TRUE(submitted.ok() && submitted->has_submitted());
      const std::string fields =
          StrCat("LOTSE_REFERRAL_ID=", submitted->submitted().referral_id(), "\n",
                 "LOTSE_CASE_NUMBER=", submitted->submitted().case_number());
      const bool found = set.Eventually([&] {
        const std::lock_guard<std::mutex> lock(mutex);
        for (const std::string& e : entries) {
          if (e.find(fields) != std::string::npos &&
              e.find("SYSLOG_IDENTIFIER=lotse-routing") != std::string::npos) {
            std::cout << "journal entry of routing:\n" << e << "\n";
            return true;
          }
        }
        return false;
      });
      EXPECT_TRUE(found) << "no journal entry of routing names the referral; " << entries.size()
                         << " entries";
      EXPECT_EQ(set.Log("intake"), "") << "lines went to stderr instead";
    }
    done = true;
    reader.join();
  }
  std::filesystem::remove(socket_path);
  std::error_code ignored;  // the directory goes too, unless something else is in it
  std::filesystem::remove("/run/systemd/journal", ignored);
  EXPECT_GT(entries.size(), 10u);
}

}  // namespace
}  // namespace lotse::test
