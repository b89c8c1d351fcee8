// lotse backup under load and lotse restore (issue 17): everything acknowledged before the
// backup is there after a restore, and the restored set runs on with no halted consumer.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace lotse::test {
namespace {

namespace fs = std::filesystem;

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_ = std::make_unique<LotseSet>();
    set_->StartAll(/*with_audit=*/true, /*with_notification=*/true);
  }

  CommandResult Lotse(std::vector<std::string> args) {
    args.insert(args.end(), {"--port-base", std::to_string(set_->port_base()), "--timeout-ms",
                             "3000", "--keys", set_->dir() + "/data/keys"});
    return RunCommand(LOTSE_CLI_BIN, args, {}, absl::Seconds(60));
  }
  // lotse restore runs without the set: no connection options.
  static CommandResult Restore(const std::string& from, const std::string& data_dir) {
    return RunCommand(LOTSE_CLI_BIN, {"restore", "--from", from, "--data-dir", data_dir}, {},
                      absl::Seconds(60));
  }

  // Submits one referral; its case number once acknowledged, else "".
  std::string Submit() {
    auto r = set_->Submit("bb-mitte", "emissionsschutz", "HRB-" + NewKey().substr(0, 6));
    return r.ok() && r->has_submitted() ? r->submitted().case_number() : "";
  }

  std::unique_ptr<LotseSet> set_;
  TempDir backups_;
};

TEST_F(BackupTest, WhatWasAcknowledgedBeforeTheBackupComesBackAndTheSetRunsOn) {
  std::vector<std::string> before;
  for (int i = 0; i < 30; ++i) {
    const std::string ref = Submit();
    ASSERT_FALSE(ref.empty());
    before.push_back(ref);
  }
  // The backup runs while submits go on.
  const std::string backup = backups_.Join("b1");
  std::future<CommandResult> running = std::async(std::launch::async, [&] {
    return Lotse({"backup", "--to", backup});
  });
  int during = 0;
  while (running.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    during += Submit().empty() ? 0 : 1;
  }
  const CommandResult result = running.get();
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("took no work for"), std::string::npos) << result.out;
  std::cout << "backup: " << result.out << during << " submits acknowledged while it ran\n";
  // More load after the backup, then every service dies at once.
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(Submit().empty());
  }
  for (const char* service : {"intake", "routing", "notification", "audit"}) {
    set_->Kill(service);
  }

  // Refused: an incomplete backup, and a data directory that is not empty.
  const std::string data = set_->dir() + "/data";
  fs::create_directories(backups_.Join("partial"));
  fs::copy(backup + "/intake", backups_.Join("partial/intake"), fs::copy_options::recursive);
  CommandResult refused = Restore(backups_.Join("partial"), backups_.Join("empty"));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("not a complete backup"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(backups_.Join("empty/intake")));
  refused = Restore(backup, data);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("is not empty"), std::string::npos) << refused.err;

  // The lost data directories go aside; the backup comes back in their place.
  for (const char* service : {"intake", "routing", "notification", "audit"}) {
    fs::rename(data + "/" + service, backups_.Join(std::string("lost-") + service));
  }
  const CommandResult restored = Restore(backup, data);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  set_->StartAll(/*with_audit=*/true, /*with_notification=*/true);

  for (const std::string& ref : before) {
    auto status = set_->Status("bb-mitte", ref);
    ASSERT_TRUE(status.ok() && status->has_referral())
        << ref << " acknowledged before the backup is missing";
  }
  // The consumers are not halted: what is submitted now flows through to routing and audit.
  const std::string after = Submit();
  ASSERT_FALSE(after.empty());
  ASSERT_TRUE(set_->Eventually([&] {
    auto status = set_->Status("bb-mitte", after);
    return status.ok() && status->referral().status() == lotse::v1::REFERRAL_STATUS_ROUTED;
  })) << set_->Log("routing");
  lotse::v1::AuditRequest history;
  history.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  history.mutable_history()->set_ref(after);
  ASSERT_TRUE(set_->Eventually([&] {
    auto h = set_->Audit(history);
    return h.ok() && h->has_history() && h->history().entries_size() >= 2;
  })) << set_->Log("audit");
  for (const char* service : {"intake", "routing", "notification", "audit"}) {
    EXPECT_TRUE(set_->Eventually([&] {
      return HttpGet(set_->OpsPort(service), "/readyz").status == 200;
    })) << service
        << " is not ready after the restore:\n"
        << set_->Log(service);
  }
  lotse::v1::AuditRequest verify;
  verify.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  verify.mutable_verify();
  auto v = set_->Audit(verify);
  ASSERT_TRUE(v.ok() && v->has_verify());
  EXPECT_TRUE(v->verify().ok()) << v->verify().problem();
}

// The package's routine: root runs backup and restore, the services' user owns /var/backups/lotse
// and /var/lib/lotse. Backup gives each folder it makes to that user (its services write the
// checkpoints); restore refuses to copy as root into that user's folder, naming the command to
// run instead, and copies a link planted in the backup as a link, never what it names.
TEST_F(BackupTest, RunByRootBackupGivesItsFoldersToTheOwnerAndRestoreLeavesTheCopyToIt) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root, as the package's admin";
  }
  ASSERT_FALSE(Submit().empty());
  const std::string backups = backups_.Join("var-backups-lotse");
  fs::create_directories(backups);
  ASSERT_EQ(chown(backups.c_str(), 65534, 65534), 0);
  const CommandResult made = Lotse({"backup", "--to", backups + "/2026/12-07/"});
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  for (const std::string& folder : {backups + "/2026", backups + "/2026/12-07"}) {
    struct stat st {};
    ASSERT_EQ(stat(folder.c_str(), &st), 0) << folder;
    EXPECT_EQ(st.st_uid, 65534u) << folder << " was not given to the owner of " << backups;
  }
  const std::string backup = backups + "/2026/12-07";
  fs::create_symlink("/etc/hostname", backup + "/intake/planted");

  const std::string owned = backups_.Join("var-lib-lotse");
  fs::create_directories(owned);
  ASSERT_EQ(chown(owned.c_str(), 65534, 65534), 0);
  const CommandResult refused = Restore(backup, owned);
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("runuser -u nobody -- lotse restore"), std::string::npos)
      << refused.err;
  EXPECT_TRUE(fs::is_empty(owned)) << "a refused restore changed " << owned;

  const std::string mine = backups_.Join("root-data");
  const CommandResult restored = Restore(backup, mine);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_TRUE(fs::is_symlink(mine + "/intake/planted"))
      << "restore followed a link planted in the backup";
}

TEST_F(BackupTest, OnlyTheAdminBacksUp) {
  const CommandResult r = Lotse(
      {"backup", "--to", backups_.Join("x"), "--identity", set_->dir() + "/data/keys/ops.key"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_FALSE(fs::exists(backups_.Join("x/intake")));
}

}  // namespace
}  // namespace lotse::test
