// The `lotse` client as terminals and worklist consumers use it: `lotse up` supervising the real
// services, every step of a referral with --json, errors with exit codes, restart after a crash,
// and Ctrl-C stopping everything.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/routing.pb.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

// Children of `parent` whose command name is `comm` (e.g. "lotse-routing").
std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& comm) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return out;
  }
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) {
      continue;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t open = line.find('(');
    const size_t close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) {
      continue;
    }
    const std::string name = line.substr(open + 1, close - open - 1);
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 2, "%c %d", &state, &ppid) == 2 && ppid == parent &&
        name == comm && state != 'Z') {
      out.push_back(pid);
    }
  }
  closedir(proc);
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_base_ = ReservePortBlock(&lock_fd_);
    ASSERT_GT(port_base_, 0);
    absl::StatusOr<std::unique_ptr<Process>> up =
        Process::Start(LOTSE_CLI_BIN,
                       {"up", "--data-dir", dir_.Join("data"), "--port-base",
                        std::to_string(port_base_)},
                       {}, dir_.Join("up.log"));
    ASSERT_TRUE(up.ok()) << up.status();
    up_ = std::move(*up);
    ASSERT_TRUE(WaitUntil([&] { return Lotse({"departments"}).exit_code == 0; },
                          absl::Seconds(20)))
        << ReadFile(dir_.Join("up.log"));
  }
  void TearDown() override {
    up_.reset();
    if (lock_fd_ >= 0) {
      close(lock_fd_);
    }
  }

  CommandResult Lotse(std::vector<std::string> args) {
    args.insert(args.end(), {"--port-base", std::to_string(port_base_), "--timeout-ms", "1500",
                             "--keys", dir_.Join("data/keys")});
    return RunCommand(LOTSE_CLI_BIN, args, {}, absl::Seconds(30));
  }

  TempDir dir_;
  int lock_fd_ = -1;
  int port_base_ = -1;
  std::unique_ptr<Process> up_;
};

TEST_F(CliTest, AReferralIsWorkedThroughTheClient) {
  CommandResult r = Lotse({"submit", "--office", "bb-mitte", "--company-id", "HRB-55555",
                           "--company-name", "Bäckerei Kurz GmbH", "--topic", "baugenehmigung",
                           "--subject", "Anbau Backstube", "--text", "Welche Unterlagen?",
                           "--priority", "high", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto submitted = FromJson<lotse::v1::SubmitReferralReply>(r.out);
  const std::string ref = submitted.case_number();
  ASSERT_FALSE(ref.empty());

  ASSERT_TRUE(WaitUntil(
      [&] {
        CommandResult w = Lotse({"worklist", "--department", "bauordnung", "--json"});
        const auto list = FromJson<lotse::v1::WorklistReply>(w.out);
        return w.exit_code == 0 && list.items_size() == 1 && list.items(0).case_number() == ref;
      },
      absl::Seconds(10)));
  r = Lotse({"worklist", "--department", "bauordnung"});  // the readable table names it too
  EXPECT_NE(r.out.find(ref), std::string::npos) << r.out;

  r = Lotse({"claim", ref, "--department", "bauordnung", "--user", "j.mueller", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(FromJson<lotse::v1::ReferralState>(r.out).claimed_by(), "j.mueller");
  r = Lotse({"answer", ref, "--department", "bauordnung", "--user", "j.mueller", "--text",
             "Bitte Bauantrag mit Lageplan einreichen.", "--outcome", "resolved", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  ASSERT_TRUE(WaitUntil(
      [&] {
        CommandResult s = Lotse({"status", ref, "--office", "bb-mitte", "--json"});
        return s.exit_code == 0 && FromJson<lotse::v1::ReferralState>(s.out).status() ==
                                       lotse::v1::REFERRAL_STATUS_ANSWERED;
      },
      absl::Seconds(10)));
  r = Lotse({"status", ref, "--office", "bb-mitte"});
  EXPECT_NE(r.out.find("Bitte Bauantrag mit Lageplan einreichen."), std::string::npos) << r.out;

  r = Lotse({"feedback", ref, "--office", "bb-mitte", "--rating", "5", "--resolved", "yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitUntil(
      [&] {
        CommandResult s = Lotse({"status", ref, "--office", "bb-mitte", "--json"});
        return FromJson<lotse::v1::ReferralState>(s.out).status() ==
               lotse::v1::REFERRAL_STATUS_CLOSED;
      },
      absl::Seconds(10)));
}

TEST_F(CliTest, ErrorsSayWhatToDoAndSetTheExitCode) {
  CommandResult r = Lotse({"submit", "--office", "bb-mitte", "--company-id", "C", "--company-name",
                           "N", "--topic", "raumfahrt", "--subject", "S", "--text", "T",
                           "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("lotse topics"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.out.find("\"error\""), std::string::npos) << r.out;

  r = Lotse({"submit", "--office", "bb-mitte", "--company-id", "C", "--company-name", "N",
             "--topic", "baugenehmigung", "--subject", "S", "--text", "T", "--priority", "asap"});
  EXPECT_EQ(r.exit_code, 2) << r.err;

  int idle_lock = -1;
  const int idle_base = ReservePortBlock(&idle_lock);  // reserved, and nothing listens there
  ASSERT_GT(idle_base, 0);
  r = RunCommand(LOTSE_CLI_BIN, {"worklist", "--department", "umwelt", "--port-base",
                                 std::to_string(idle_base), "--timeout-ms", "100"});
  close(idle_lock);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("lotse up"), std::string::npos) << r.err;
}

TEST_F(CliTest, UpRestartsADeadServiceAndStopsEverythingOnCtrlC) {
  std::vector<pid_t> routing = ChildrenNamed(up_->pid(), "lotse-routing");
  ASSERT_EQ(routing.size(), 1u);
  kill(routing[0], SIGKILL);
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::vector<pid_t> now = ChildrenNamed(up_->pid(), "lotse-routing");
        return now.size() == 1 && now[0] != routing[0] &&
               Lotse({"worklist", "--department", "umwelt"}).exit_code == 0;
      },
      absl::Seconds(15)))
      << ReadFile(dir_.Join("up.log"));

  kill(up_->pid(), SIGINT);
  absl::StatusOr<int> code = up_->Wait(absl::Seconds(8));
  ASSERT_TRUE(code.ok()) << ReadFile(dir_.Join("up.log"));
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(ChildrenNamed(up_->pid(), "lotse-intake").empty());
  EXPECT_TRUE(ChildrenNamed(up_->pid(), "lotse-routing").empty());
}

}  // namespace
}  // namespace lotse::test
