// The browser tests: a real Lotse set (intake, routing, notification, audit and lotse-web, as in
// tests/integration), a scene put into it through the services, and then a flow file of
// tests/browser run by node: playwright-core drives Debian's chromium through the pages, axe-core
// checks each one (tests/browser/README.md). One ctest per flow file (LOTSE_BROWSER_FLOW).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/client/client.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/store/store.h"
#include "gtest/gtest.h"
#include "services/web/accounts.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

namespace fs = std::filesystem;

constexpr char kChromium[] = "/usr/bin/chromium";
// The referral whose subject and company name are markup (the scene's LOTSE_SCENE_HOSTILE_*).
constexpr char kHostileSubject[] = "<script>alert(1)</script>";
constexpr char kHostileCompany[] = R"("><img src=x onerror=alert(1)>)";
// The account with two roles: office bb-mitte, and bauordnung as Deniz Kaya.
constexpr char kTwoRoleLogin[] = "d.kaya";
// The flow's whole run, as node's runner counts it, and as this test waits for it.
constexpr int kFlowSeconds = 240;
constexpr absl::Duration kNodeTimeout = absl::Seconds(kFlowSeconds + 60);

std::string BrowserDir() { return StrCat(LOTSE_SOURCE_DIR, "/tests/browser"); }

// The flows tests/browser/CMakeLists.txt lists, in order.
std::vector<std::string> ListedFlows() {
  return absl::StrSplit(LOTSE_BROWSER_FLOWS, ',', absl::SkipEmpty());
}

// The flow files on disk: tests/browser/<flow>.test.mjs, sorted.
std::vector<std::string> FlowFiles() {
  std::vector<std::string> flows;
  for (const fs::directory_entry& entry : fs::directory_iterator(BrowserDir())) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".test.mjs")) {
      flows.push_back(name.substr(0, name.size() - std::string_view(".test.mjs").size()));
    }
  }
  std::sort(flows.begin(), flows.end());
  return flows;
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path == nullptr ? "" : path, ':', absl::SkipEmpty())) {
    if (::access(StrCat(dir, "/", program).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

// What the browser tests lack on this machine, "" if nothing.
std::string MissingPrerequisites() {
  std::vector<std::string> missing;
  if (!OnPath("node")) {
    missing.emplace_back("node (Node.js) on the PATH");
  }
  for (const char* module : {"playwright-core", "@axe-core/playwright"}) {
    if (!fs::exists(StrCat(LOTSE_SOURCE_DIR, "/node_modules/", module, "/package.json"))) {
      missing.push_back(StrCat("node_modules/", module, " (npm ci at the repository's root)"));
    }
  }
  if (::access(kChromium, X_OK) != 0) {
    missing.push_back(StrCat(kChromium, " (Debian's package chromium)"));
  }
  return absl::StrJoin(missing, ", ");
}

bool BrowserRequired() {
  const char* required = std::getenv("LOTSE_REQUIRE_BROWSER");
  return required != nullptr && *required != '\0' && std::string_view(required) != "0";
}

// The processes whose command line mentions `path`: a chromium whose --user-data-dir is under it.
std::vector<pid_t> ProcessesMentioning(const std::string& path) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const pid_t pid = std::stoi(name);
    if (pid != ::getpid() &&
        ReadFile(StrCat("/proc/", name, "/cmdline")).find(path) != std::string::npos) {
      found.push_back(pid);
    }
  }
  return found;
}

// Gives the processes that mention `path` a few seconds to end by themselves (chromium's helpers
// follow the browser), then SIGKILLs the rest, which a killed or careless runner left behind.
// Returns how many it had to kill.
int KillLeftovers(const std::string& path) {
  if (WaitUntil([&] { return ProcessesMentioning(path).empty(); }, absl::Seconds(5),
                absl::Milliseconds(100))) {
    return 0;
  }
  int killed = 0;
  for (const pid_t pid : ProcessesMentioning(path)) {
    killed += ::kill(pid, SIGKILL) == 0 ? 1 : 0;
  }
  return killed;
}

// Adds an account with two roles to lotse-web's store before lotse-web first opens it, and its
// password to the initial-passwords file, as the first accounts are. (Until `lotse users add`
// exists, no account a city starts with has two roles.)
void AddTwoRoleAccount(const std::string& data_dir) {
  const absl::StatusOr<config::Config> city =
      config::ParseConfig(config::DefaultConfigText(), "embedded");
  ASSERT_TRUE(city.ok()) << city.status();
  store::Options options;
  options.path = data_dir + "/web";
  options.state_families = {"state_accounts", "state_sessions"};  // as services/web/main.cc
  std::error_code ec;
  fs::create_directories(options.path, ec);
  ASSERT_FALSE(ec) << options.path << ": " << ec.message();
  absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::mutex store_mu;
  web::AccountStore accounts(store->get(), store::kFirstStateFamily, &store_mu);
  std::vector<lotse::v1::AccountRole> roles(2);
  roles[0].set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  roles[0].set_id("bb-mitte");
  roles[1].set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  roles[1].set_id("bauordnung");
  roles[1].set_user("bo-kaya");
  const std::string password = client::RandomPassword();
  const absl::StatusOr<lotse::v1::Account> added =
      accounts.Add(*city, kTwoRoleLogin, "Deniz Kaya", roles, password, absl::Now());
  ASSERT_TRUE(added.ok()) << added.status();
  const int fd = ::open((options.path + "/initial-passwords").c_str(),
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  const std::string line = StrCat(kTwoRoleLogin, "\t", password,
                                  "\toffice bb-mitte, department bauordnung as bo-kaya\n");
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  ASSERT_TRUE(written);
}

// True once the inbox of `kind`/`id` holds a message on `case_number` (read, not acknowledged).
bool InboxHas(LotseSet& set, lotse::v1::ActorKind kind, const std::string& id,
              const std::string& case_number) {
  lotse::v1::NotificationRequest request;
  request.set_request_id(NewKey());
  request.mutable_actor()->set_kind(kind);
  request.mutable_actor()->set_id(id);
  request.mutable_inbox();
  const absl::StatusOr<lotse::v1::NotificationReply> reply = set.Notification(request);
  return reply.ok() && reply->has_inbox() &&
         std::any_of(
             reply->inbox().messages().begin(), reply->inbox().messages().end(),
             [&](const lotse::v1::InboxMessage& m) { return m.case_number() == case_number; });
}

// The scene every flow starts with: the sample city's first accounts and `kTwoRoleLogin`, and a
// referral from bb-mitte to bauordnung whose subject and company name are markup, in both
// inboxes. Returns its case number.
std::string MakeScene(LotseSet& set) {
  AddTwoRoleAccount(set.dir() + "/data");
  if (::testing::Test::HasFatalFailure()) {
    return "";
  }
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  set.Start("web");
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id("bb-mitte");
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office("bb-mitte");
  r->set_company_id("HRB-77001");
  r->set_company_name(kHostileCompany);
  r->set_topic("baugenehmigung");
  r->set_subject(kHostileSubject);
  r->set_text("Welche Unterlagen brauchen wir? </p><script>alert(2)</script>");
  const absl::StatusOr<lotse::v1::IntakeReply> submitted = set.Intake(request);
  EXPECT_TRUE(submitted.ok() && submitted->has_submitted())
      << (submitted.ok() ? submitted->DebugString() : submitted.status().ToString());
  if (!submitted.ok() || !submitted->has_submitted()) {
    return "";
  }
  std::string case_number = submitted->submitted().case_number();
  EXPECT_TRUE(set.Eventually(
      [&] {
        return InboxHas(set, lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", case_number) &&
               InboxHas(set, lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", case_number);
      },
      absl::Seconds(30)))
      << case_number << " reached no inbox:\n"
      << set.Log("notification");
  return case_number;
}

// Starts a set, makes the scene and runs tests/browser/<flow>.test.mjs against it.
void RunFlow(const std::string& flow) {
  const std::string file = StrCat(BrowserDir(), "/", flow, ".test.mjs");
  ASSERT_TRUE(fs::exists(file)) << file << " does not exist";
  LotseSet set;
  const std::string case_number = MakeScene(set);
  if (::testing::Test::HasFailure()) {
    return;
  }
  const char* screenshots_env = std::getenv("LOTSE_SCREENSHOTS");
  const std::string screenshots =
      StrCat(screenshots_env != nullptr ? screenshots_env : LOTSE_SCREENSHOT_DIR, "/", flow);
  std::error_code ec;
  fs::remove_all(screenshots, ec);  // only this run's pictures
  // chromium's profile and playwright's files go below the set's directory, which is removed.
  const std::string tmp = set.dir() + "/browser-tmp";
  fs::create_directories(tmp, ec);
  const EnvVars env = {
      {"LOTSE_WEB_URL", StrCat("http://127.0.0.1:", set.WebPort())},
      {"LOTSE_PASSWORDS", set.dir() + "/data/web/initial-passwords"},
      {"LOTSE_SCREENSHOTS", screenshots},
      {"LOTSE_CHROMIUM", kChromium},
      {"LOTSE_BROWSER_TIMEOUT_S", std::to_string(kFlowSeconds)},
      {"LOTSE_SCENE_HOSTILE_CASE", case_number},
      {"LOTSE_SCENE_HOSTILE_SUBJECT", kHostileSubject},
      {"LOTSE_SCENE_HOSTILE_COMPANY", kHostileCompany},
      {"LOTSE_SCENE_TWO_ROLE_LOGIN", kTwoRoleLogin},
      {"TMPDIR", tmp},
  };
  const absl::Time started = absl::Now();
  const CommandResult run = RunCommand("node", {file}, env, kNodeTimeout);
  const int leftovers = KillLeftovers(tmp);
  std::cout << "--- node " << flow << ".test.mjs (" << absl::ToInt64Seconds(absl::Now() - started)
            << " s)\n"
            << run.out << run.err << std::flush;
  EXPECT_EQ(run.exit_code, 0) << flow << ".test.mjs failed"
                              << (run.timed_out ? " (killed after the timeout)" : "")
                              << "; screenshots in " << screenshots << "\nlotse-web's log:\n"
                              << set.Log("web");
  EXPECT_EQ(leftovers, 0) << "chromium processes outlived the runner and were killed";
  EXPECT_NE(run.out.find("axe: "), std::string::npos) << "the runner printed no axe summary";
}

TEST(BrowserTest, RunsItsFlows) {
  if (const std::string missing = MissingPrerequisites(); !missing.empty()) {
    const std::string what =
        StrCat("the browser tests need ", missing, "; bash deploy/install-deps.sh installs them");
    if (BrowserRequired()) {
      FAIL() << what << " (LOTSE_REQUIRE_BROWSER is set, so this fails instead of skipping)";
    }
    GTEST_SKIP() << what;
  }
  const char* one = std::getenv("LOTSE_BROWSER_FLOW");
  const std::vector<std::string> flows =
      one != nullptr && *one != '\0' ? std::vector<std::string>{one} : ListedFlows();
  for (const std::string& flow : flows) {
    SCOPED_TRACE(flow + ".test.mjs");
    RunFlow(flow);
  }
}

TEST(BrowserTest, EveryFlowFileIsListed) {
  std::vector<std::string> listed = ListedFlows();
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(FlowFiles(), listed)
      << "each tests/browser/<flow>.test.mjs belongs in browser_flows of "
         "tests/browser/CMakeLists.txt, which makes its ctest";
}

}  // namespace
}  // namespace lotse::test
