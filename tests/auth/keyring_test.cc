// The keyring (common/auth/keyring.h) and the CurveZMQ pieces under it (common/bus/curve.h):
// who holds which key, which files are trusted, who passes which door, and a real ZAP handler
// deciding real handshakes over ipc://.
#include "common/auth/keyring.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/bus/command.h"
#include "common/bus/curve.h"
#include "common/bus/socket.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/service/security.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::auth {
namespace {

using config::Service;

config::Config SampleCity(const std::string& data_dir) {
  absl::StatusOr<config::Config> config =
      config::ParseConfig(config::DefaultConfigText(), "the sample city");
  EXPECT_TRUE(config.ok()) << config.status();
  config::Config out = config.ok() ? *std::move(config) : config::Config{};
  out.data_dir = data_dir;
  return out;
}

// A fresh public key for every principal of `config`.
std::map<std::string, std::string> FreshKeys(const config::Config& config) {
  std::map<std::string, std::string> keys;
  for (const config::PrincipalEntry& p : config::Principals(config)) {
    absl::StatusOr<bus::CurveKeys> pair = bus::NewCurveKeys();
    EXPECT_TRUE(pair.ok()) << pair.status();
    keys[p.id] = pair.ok() ? pair->public_key : "";
  }
  return keys;
}

// True if `status`'s message contains `part`.
bool Has(const absl::Status& status, std::string_view part) {
  return std::string(status.message()).find(part) != std::string::npos;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Removes the line of `principal` from the public list in `dir`.
void DropFromPublicList(const std::string& dir, const std::string& principal) {
  const std::string path = PublicListFile(dir);
  std::string text = test::ReadFile(path);
  const size_t at = text.find(lotse::StrCat("\"", principal, "\" = "));
  ASSERT_NE(at, std::string::npos) << text;
  text.erase(at, text.find('\n', at) - at + 1);
  ASSERT_TRUE(test::WriteFile(path, text).ok());
}

TEST(KeyringDirectoryTest, OneKeyForTwoPrincipalsIsRefusedNamingBoth) {
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.path());
  std::map<std::string, std::string> keys = FreshKeys(config);
  keys["bb-nord"] = keys["bb-mitte"];
  for (const bool strict : {true, false}) {
    std::vector<std::string> warnings;
    absl::StatusOr<std::shared_ptr<const Directory>> directory =
        Directory::Build(config, keys, strict, "the test list", &warnings);
    ASSERT_FALSE(directory.ok()) << "strict " << strict;
    EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(Has(directory.status(), "'bb-mitte'")) << directory.status();
    EXPECT_TRUE(Has(directory.status(), "'bb-nord'")) << directory.status();
    EXPECT_TRUE(Has(directory.status(), "the test list")) << directory.status();
  }
}

TEST(KeyringDirectoryTest, AConfigListingOneKeyTwiceIsRefusedNamingBoth) {
  absl::StatusOr<bus::CurveKeys> pair = bus::NewCurveKeys();
  ASSERT_TRUE(pair.ok());
  const std::string text =
      lotse::StrCat(config::DefaultConfigText(), "\n[keys.public]\n\"bb-mitte\" = \"",
                    pair->public_key, "\"\n\"umwelt\" = \"", pair->public_key, "\"\n");
  absl::StatusOr<config::Config> config = config::ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok()) << "a config giving two principals one key was accepted";
  EXPECT_TRUE(Has(config.status(), "bb-mitte")) << config.status();
  EXPECT_TRUE(Has(config.status(), "umwelt")) << config.status();
}

TEST(KeyringDirectoryTest, StrictLoadRefusesAPrincipalWithoutAKeyNamingIt) {
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.path());
  const std::string keys_dir = config.keys.Dir(config.data_dir);
  ASSERT_TRUE(GenerateKeyring(config, keys_dir).ok());
  ASSERT_TRUE(Directory::Load(config, /*strict=*/true, nullptr).ok());
  DropFromPublicList(keys_dir, "kam-yilmaz");

  absl::StatusOr<std::shared_ptr<const Directory>> strict =
      Directory::Load(config, /*strict=*/true, nullptr);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(strict.status(), "'kam-yilmaz'")) << strict.status();
  EXPECT_TRUE(Has(strict.status(), "lotse keys generate")) << strict.status();
  EXPECT_TRUE(Has(strict.status(), PublicListFile(keys_dir))) << strict.status();

  // On a reload the principal is refused from then on, and the warning says so.
  std::vector<std::string> warnings;
  absl::StatusOr<std::shared_ptr<const Directory>> reload =
      Directory::Load(config, /*strict=*/false, &warnings);
  ASSERT_TRUE(reload.ok()) << reload.status();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("'kam-yilmaz'"), std::string::npos) << warnings[0];
  const Principal* yilmaz = (*reload)->ById("kam-yilmaz");
  ASSERT_NE(yilmaz, nullptr);
  EXPECT_EQ(yilmaz->public_key, "");
  for (Door door : {Door::kCommand, Door::kLog, Door::kTap}) {
    EXPECT_FALSE(MayPass(*yilmaz, door, Service::kRouting)) << DoorName(door);
  }
}

TEST(KeyringDirectoryTest, ARevokedKeyPassesNoDoorAndItsOpenConnectionsAreNoLongerRecognised) {
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.path());
  std::map<std::string, std::string> keys = FreshKeys(config);
  const std::string old_key = keys["audit"];
  const std::string user_id = bus::UserId{"audit", old_key}.Format();
  absl::StatusOr<std::shared_ptr<const Directory>> before =
      Directory::Build(config, keys, true, "test", nullptr);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_NE((*before)->ByUserId(user_id), nullptr);
  EXPECT_TRUE(MayPass(*(*before)->ByKey(old_key), Door::kLog, Service::kIntake));

  keys["audit"] = std::string(config::kRevokedKey);
  absl::StatusOr<std::shared_ptr<const Directory>> after =
      Directory::Build(config, keys, true, "test", nullptr);
  ASSERT_TRUE(after.ok()) << "\"revoked\" counts as listed at a strict load: " << after.status();
  EXPECT_EQ((*after)->ByKey(old_key), nullptr);
  EXPECT_EQ((*after)->ByUserId(user_id), nullptr);
  const Principal* audit = (*after)->ById("audit");
  ASSERT_NE(audit, nullptr);
  for (Door door : {Door::kCommand, Door::kLog, Door::kTap}) {
    EXPECT_FALSE(MayPass(*audit, door, Service::kIntake)) << DoorName(door);
  }
  // A key replaced by a new one: the old connection's User-Id is no longer recognised either.
  absl::StatusOr<bus::CurveKeys> fresh = bus::NewCurveKeys();
  ASSERT_TRUE(fresh.ok());
  keys["audit"] = fresh->public_key;
  absl::StatusOr<std::shared_ptr<const Directory>> replaced =
      Directory::Build(config, keys, true, "test", nullptr);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ((*replaced)->ByUserId(user_id), nullptr);
  EXPECT_NE((*replaced)->ByUserId(bus::UserId{"audit", fresh->public_key}.Format()), nullptr);
  // A User-Id that names one principal with another's key is nobody.
  EXPECT_EQ((*replaced)->ByUserId(bus::UserId{"admin", fresh->public_key}.Format()), nullptr);
}

TEST(KeyringDirectoryTest, KeysOfPrincipalsTheConfigDoesNotKnowOrThatAreNoKeysAreRefused) {
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.path());
  std::map<std::string, std::string> keys = FreshKeys(config);
  keys["bb-mond"] = keys["bb-mitte"].substr(0, 39) + "x";
  absl::StatusOr<std::shared_ptr<const Directory>> d =
      Directory::Build(config, keys, false, "test", nullptr);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(Has(d.status(), "'bb-mond' is no principal")) << d.status();
  keys.erase("bb-mond");
  keys["umwelt"] = "not a key";
  d = Directory::Build(config, keys, false, "test", nullptr);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(Has(d.status(), "'umwelt'")) << d.status();
}

TEST(KeyringDoorTest, EachDoorAdmitsOnlyWhomItServes) {
  auto principal = [](const std::string& id, config::PrincipalKind kind) {
    return Principal{id, kind, "0123456789012345678901234567890123456789", {}};
  };
  using K = config::PrincipalKind;
  const Principal office = principal("bb-mitte", K::kOffice);
  const Principal department = principal("umwelt", K::kDepartment);
  const Principal kam = principal("kam-schneider", K::kKeyAccount);
  const Principal ops = principal("ops", K::kOps);
  const Principal admin = principal("admin", K::kAdmin);
  const Principal gateway = principal("web", K::kGateway);
  const Principal intake = principal("intake", K::kService);
  const Principal routing = principal("routing", K::kService);
  const Principal notification = principal("notification", K::kService);
  const Principal audit = principal("audit", K::kService);
  for (const Principal* p :
       {&office, &department, &kam, &ops, &admin, &gateway, &intake, &routing, &audit}) {
    EXPECT_TRUE(MayPass(*p, Door::kCommand, Service::kIntake)) << p->id;
  }
  // Intake's log: routing, notification, audit and admin.
  for (const Principal* p : {&routing, &notification, &audit, &admin}) {
    EXPECT_TRUE(MayPass(*p, Door::kLog, Service::kIntake)) << p->id;
  }
  for (const Principal* p : {&office, &department, &kam, &ops, &gateway, &intake}) {
    EXPECT_FALSE(MayPass(*p, Door::kLog, Service::kIntake)) << p->id;
  }
  // Notification's log: only audit (and admin).
  EXPECT_TRUE(MayPass(audit, Door::kLog, Service::kNotification));
  EXPECT_FALSE(MayPass(routing, Door::kLog, Service::kNotification));
  EXPECT_FALSE(MayPass(intake, Door::kLog, Service::kNotification));
  // The tap: ops and admin.
  for (const Principal* p : {&ops, &admin}) {
    EXPECT_TRUE(MayPass(*p, Door::kTap, Service::kRouting)) << p->id;
  }
  for (const Principal* p : {&office, &department, &kam, &gateway, &routing, &audit}) {
    EXPECT_FALSE(MayPass(*p, Door::kTap, Service::kRouting)) << p->id;
  }
  EXPECT_EQ(ConsumersOf(Service::kIntake),
            (std::vector<Service>{Service::kRouting, Service::kNotification, Service::kAudit}));
  EXPECT_TRUE(ConsumersOf(Service::kAudit).empty());
}

TEST(KeyringReadIdentityTest, RefusesASecretKeyFileOthersCanRead) {
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.path());
  const std::string keys_dir = dir.Join("keys");
  ASSERT_TRUE(GenerateKeyring(config, keys_dir).ok());
  const std::string path = SecretKeyFile(keys_dir, "bb-mitte");
  ASSERT_TRUE(ReadIdentity(path, "bb-mitte").ok());
  // A file of the caller's own (not root's): only its owner may read it.
  if (geteuid() == 0) {
    ASSERT_EQ(chown(path.c_str(), 65534, 65534), 0);
  }
  for (const mode_t mode : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    absl::StatusOr<Identity> identity = ReadIdentity(path, "bb-mitte");
    ASSERT_FALSE(identity.ok()) << "mode " << std::oct << mode << " was accepted";
    EXPECT_EQ(identity.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_TRUE(Has(identity.status(), path)) << identity.status();
    EXPECT_TRUE(Has(identity.status(), "chmod 600")) << identity.status();
  }
  // A later GenerateKeyring does not silently keep using it either.
  EXPECT_FALSE(GenerateKeyring(config, keys_dir).ok());
}

// The package's layout: root owns the keys, the services' group may read them (root:lotse 0640).
// Group write, any world bit, and group read on a file that is not root's stay refused.
TEST(KeyringReadIdentityTest, LetsTheGroupReadAKeyOfRootsAndNothingMore) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to give the key file to root and to another user";
  }
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.path());
  const std::string keys_dir = dir.Join("keys");
  ASSERT_TRUE(GenerateKeyring(config, keys_dir).ok());
  const std::string path = SecretKeyFile(keys_dir, "intake");
  ASSERT_EQ(chown(path.c_str(), 0, 65534), 0);
  for (const mode_t mode : {0640, 0440, 0600, 0400}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    EXPECT_TRUE(ReadIdentity(path, "intake").ok()) << "mode " << std::oct << mode;
  }
  for (const mode_t mode : {0660, 0644, 0650, 0641}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    absl::StatusOr<Identity> identity = ReadIdentity(path, "intake");
    ASSERT_FALSE(identity.ok()) << "mode " << std::oct << mode << " was accepted";
    EXPECT_TRUE(Has(identity.status(), "chmod 640")) << identity.status();
  }
  ASSERT_EQ(chown(path.c_str(), 65534, 0), 0);
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  EXPECT_EQ(ReadIdentity(path, "intake").status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(KeyringReadIdentityTest, RefusesASecretKeyFileWhoseHalvesDoNotBelongTogether) {
  const test::TempDir dir;
  absl::StatusOr<bus::CurveKeys> one = bus::NewCurveKeys();
  absl::StatusOr<bus::CurveKeys> two = bus::NewCurveKeys();
  ASSERT_TRUE(one.ok() && two.ok());
  const std::string path = dir.Join("bb-mitte.key");
  ASSERT_TRUE(
      test::WriteFile(path, lotse::StrCat("principal = \"bb-mitte\"\npublic = \"", one->public_key,
                                          "\"\nsecret = \"", two->secret_key, "\"\n"))
          .ok());
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  absl::StatusOr<Identity> identity = ReadIdentity(path, "bb-mitte");
  ASSERT_FALSE(identity.ok()) << "a secret key file with a foreign public key was accepted";
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(identity.status(), path)) << identity.status();
  EXPECT_TRUE(Has(identity.status(), "do not belong together")) << identity.status();

  // The matching halves are accepted; the same file for another principal is not.
  ASSERT_TRUE(
      test::WriteFile(path, lotse::StrCat("principal = \"bb-mitte\"\npublic = \"", two->public_key,
                                          "\"\nsecret = \"", two->secret_key, "\"\n"))
          .ok());
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  ASSERT_TRUE(ReadIdentity(path, "bb-mitte").ok());
  identity = ReadIdentity(path, "bb-nord");
  ASSERT_FALSE(identity.ok());
  EXPECT_TRUE(Has(identity.status(), "'bb-mitte'")) << identity.status();
  EXPECT_TRUE(Has(identity.status(), "'bb-nord'")) << identity.status();
}

TEST(KeyringGenerateTest, MakesOwnerOnlyFilesAndKeepsExistingKeys) {
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.Join("var"));  // neither var nor var/keys exist
  const std::string keys_dir = config.keys.Dir(config.data_dir);
  absl::StatusOr<GeneratedKeyring> first = GenerateKeyring(config, keys_dir);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::vector<config::PrincipalEntry> principals = config::Principals(config);
  EXPECT_EQ(first->created.size(), principals.size());
  EXPECT_TRUE(first->kept.empty());
  EXPECT_EQ(ModeOf(keys_dir), 0700u);
  absl::StatusOr<std::map<std::string, std::string>> listed = ReadPublicList(first->public_list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), principals.size());
  std::map<std::string, std::string> secrets;
  for (const config::PrincipalEntry& p : principals) {
    const std::string path = SecretKeyFile(keys_dir, p.id);
    EXPECT_EQ(ModeOf(path), 0600u) << path;
    absl::StatusOr<Identity> identity = ReadIdentity(path, p.id);
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(listed->at(p.id), identity->keys.public_key) << p.id;
    secrets[p.id] = identity->keys.secret_key;
  }
  ASSERT_TRUE(Directory::Load(config, /*strict=*/true, nullptr).ok());

  // A second run keeps every key (and a directory opened up meanwhile is closed to others again;
  // its group keeps what it had, as the package's root:lotse 0750).
  ASSERT_EQ(chmod(keys_dir.c_str(), 0755), 0);
  absl::StatusOr<GeneratedKeyring> second = GenerateKeyring(config, keys_dir);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->created.empty());
  EXPECT_EQ(second->kept.size(), principals.size());
  EXPECT_EQ(ModeOf(keys_dir), 0750u);
  absl::StatusOr<std::map<std::string, std::string>> relisted = ReadPublicList(second->public_list);
  ASSERT_TRUE(relisted.ok());
  EXPECT_EQ(*relisted, *listed);
  for (const config::PrincipalEntry& p : principals) {
    absl::StatusOr<Identity> identity = ReadIdentity(SecretKeyFile(keys_dir, p.id), p.id);
    ASSERT_TRUE(identity.ok());
    EXPECT_EQ(identity->keys.secret_key, secrets[p.id]) << p.id;
  }
  // A principal whose file is missing gets a new key; the others stay.
  ASSERT_TRUE(std::filesystem::remove(SecretKeyFile(keys_dir, "bb-nord")));
  absl::StatusOr<GeneratedKeyring> third = GenerateKeyring(config, keys_dir);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->created, std::vector<std::string>{"bb-nord"});
  absl::StatusOr<std::map<std::string, std::string>> after = ReadPublicList(third->public_list);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->at("bb-nord"), listed->at("bb-nord"));
  EXPECT_EQ(after->at("bb-mitte"), listed->at("bb-mitte"));
}

TEST(KeyringGenerateTest, ARevokedPrincipalStaysRevokedWhenTheKeyringIsMadeAgain) {
  const test::TempDir dir;
  const config::Config config = SampleCity(dir.Join("var"));
  const std::string keys_dir = config.keys.Dir(config.data_dir);
  ASSERT_TRUE(GenerateKeyring(config, keys_dir).ok());
  // The administrator revokes a stolen terminal's key in the list; its secret file stays.
  absl::StatusOr<std::map<std::string, std::string>> listed =
      ReadPublicList(PublicListFile(keys_dir));
  ASSERT_TRUE(listed.ok());
  std::string text = "[keys.public]\n";
  for (const auto& [id, key] : *listed) {
    text += StrCat("\"", id, "\" = \"", id == "bb-mitte" ? "revoked" : key, "\"\n");
  }
  ASSERT_TRUE(test::WriteFile(PublicListFile(keys_dir), text).ok());
  // lotse up makes the keyring again on every start, and lotse keys generate for new terminals.
  absl::StatusOr<GeneratedKeyring> again = GenerateKeyring(config, keys_dir);
  ASSERT_TRUE(again.ok()) << again.status();
  absl::StatusOr<std::map<std::string, std::string>> after = ReadPublicList(again->public_list);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->at("bb-mitte"), "revoked") << "a new keyring brought a revoked key back";
  EXPECT_EQ(after->at("bb-nord"), listed->at("bb-nord"));
}

// SIGHUP (Security::Reload) rereads the config the service started with: a key revoked in the
// config's own [keys.public] is refused from then on, not only one revoked in public.toml.
TEST(KeyringReloadTest, ARevocationInTheConfigFileTakesEffectOnReload) {
  const test::TempDir dir;
  config::Config sample = SampleCity(dir.Join("var"));
  const std::string keys_dir = dir.Join("keys");
  ASSERT_TRUE(GenerateKeyring(sample, keys_dir).ok());
  absl::StatusOr<std::map<std::string, std::string>> keys =
      ReadPublicList(PublicListFile(keys_dir));
  ASSERT_TRUE(keys.ok());
  auto config_text = [&](std::string_view revoked) {
    std::string text = StrCat(config::DefaultConfigText(), "\n[keys]\ndir = \"", keys_dir,
                              "\"\n\n[keys.public]\n");
    for (const auto& [id, key] : *keys) {
      text += StrCat("\"", id, "\" = \"", id == revoked ? "revoked" : key, "\"\n");
    }
    return text;
  };
  const std::string file = dir.Join("city.toml");
  ASSERT_TRUE(test::WriteFile(file, config_text("")).ok());
  setenv("LOTSE_CONFIG", file.c_str(), 1);  // what the service was started with
  absl::StatusOr<config::Config> config = config::Load({});
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<service::Security>> security =
      service::Security::Load(*config, Service::kIntake);
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_EQ((*security)->directory().ById("bb-mitte")->public_key, keys->at("bb-mitte"));

  ASSERT_TRUE(test::WriteFile(file, config_text("bb-mitte")).ok());
  (*security)->Reload();
  EXPECT_TRUE((*security)->directory().ById("bb-mitte")->public_key.empty())
      << "the revocation in the config file was not read";
  EXPECT_EQ((*security)->directory().ById("bb-nord")->public_key, keys->at("bb-nord"));

  // A config that no longer parses leaves the list in force.
  ASSERT_TRUE(test::WriteFile(file, "this is [not toml").ok());
  (*security)->Reload();
  EXPECT_TRUE((*security)->directory().ById("bb-mitte")->public_key.empty());
  EXPECT_EQ((*security)->directory().ById("bb-nord")->public_key, keys->at("bb-nord"));
  unsetenv("LOTSE_CONFIG");
}

TEST(KeyringCurveKeysTest, KeysAreZ85AndThePublicHalfFollowsFromTheSecret) {
  absl::StatusOr<bus::CurveKeys> keys = bus::NewCurveKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE(bus::IsZ85Key(keys->public_key));
  EXPECT_TRUE(bus::IsZ85Key(keys->secret_key));
  EXPECT_NE(keys->public_key, keys->secret_key);
  absl::StatusOr<std::string> derived = bus::PublicKeyOf(keys->secret_key);
  ASSERT_TRUE(derived.ok());
  EXPECT_EQ(*derived, keys->public_key);
  EXPECT_FALSE(bus::IsZ85Key(keys->public_key.substr(1)));
  EXPECT_FALSE(bus::IsZ85Key(keys->public_key + "0"));
  EXPECT_FALSE(bus::IsZ85Key(std::string(39, '0') + "~"));  // '~' is no Z85 character
  EXPECT_FALSE(bus::IsZ85Key(std::string(39, '0') + " "));
  EXPECT_FALSE(bus::IsZ85Key(""));
  EXPECT_FALSE(bus::PublicKeyOf("short").ok());
  const bus::UserId id = bus::UserId::Parse(bus::UserId{"bb-mitte", keys->public_key}.Format());
  EXPECT_EQ(id.principal, "bb-mitte");
  EXPECT_EQ(id.key, keys->public_key);
  EXPECT_EQ(bus::UserId::Parse("ops").principal, "ops");
  EXPECT_EQ(bus::UserId::Parse("ops").key, "");
}

// ----------------------------------------------------------------------------------------------
// Real handshakes: a CURVE server behind a ZapHandler, over ipc://
// ----------------------------------------------------------------------------------------------

bus::CurveOptions ClientOf(const bus::CurveKeys& me, const std::string& server_key) {
  bus::CurveOptions curve;
  curve.public_key = me.public_key;
  curve.secret_key = me.secret_key;
  curve.server_key = server_key;
  return curve;
}

class KeyringZapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<bus::CurveKeys> server = bus::NewCurveKeys();
    absl::StatusOr<bus::CurveKeys> alice = bus::NewCurveKeys();
    absl::StatusOr<bus::CurveKeys> mallory = bus::NewCurveKeys();
    ASSERT_TRUE(server.ok() && alice.ok() && mallory.ok());
    server_ = *server;
    alice_ = *alice;
    mallory_ = *mallory;
    endpoint_ = lotse::StrCat("ipc://", dir_.Join("command.ipc"));
  }

  // Binds a ROUTER with `server_`'s keys on `context` under ZAP domain "command".
  bus::Socket Bind(bus::Context& context) {
    bus::SocketOptions options;
    options.linger_ms = 0;
    options.curve.public_key = server_.public_key;
    options.curve.secret_key = server_.secret_key;
    options.curve.zap_domain = "command";
    absl::StatusOr<bus::Socket> socket =
        bus::Socket::Create(context, zmq::socket_type::router, options);
    EXPECT_TRUE(socket.ok()) << socket.status();
    EXPECT_TRUE(socket->Bind(endpoint_).ok());
    return *std::move(socket);
  }

  // Admits alice at the command door only, tagging her connection.
  bus::ZapHandler::Policy AliceOnly() {
    return [alice = alice_.public_key](std::string_view domain, std::string_view key,
                                       std::string_view) -> std::optional<std::string> {
      if (domain == "command" && key == alice) {
        return bus::UserId{"alice", std::string(key)}.Format();
      }
      return std::nullopt;
    };
  }

  // A DEALER as `curve` sends "hello"; returns what the server received and its User-Id, or
  // nullopt, and how the client's handshake ended.
  struct Attempt {
    std::optional<std::string> user_id;
    bus::HandshakeWatch::Outcome handshake = bus::HandshakeWatch::Outcome::kPending;
  };
  Attempt Try(bus::Context& context, bus::Socket& server, const bus::CurveOptions& curve) {
    bus::SocketOptions options;
    options.linger_ms = 0;
    options.curve = curve;
    absl::StatusOr<bus::Socket> client =
        bus::Socket::Create(context, zmq::socket_type::dealer, options);
    EXPECT_TRUE(client.ok());
    absl::StatusOr<bus::HandshakeWatch> watch = bus::HandshakeWatch::Attach(context, *client);
    EXPECT_TRUE(watch.ok());
    EXPECT_TRUE(client->Connect(endpoint_).ok());
    EXPECT_TRUE(client->Send({"hello"}).ok());
    Attempt attempt;
    test::WaitUntil(
        [&] {
          attempt.handshake = watch->Poll();
          return attempt.handshake != bus::HandshakeWatch::Outcome::kPending;
        },
        absl::Seconds(2));
    // A refused client gets nothing through; still look for a while whether it does.
    const bool admitted = attempt.handshake == bus::HandshakeWatch::Outcome::kSucceeded;
    absl::StatusOr<bool> readable =
        server.WaitReadable(admitted ? absl::Seconds(2) : absl::Milliseconds(300));
    if (readable.ok() && *readable) {
      std::string user_id;
      absl::StatusOr<std::optional<bus::Frames>> frames = server.Receive(&user_id);
      if (frames.ok() && frames->has_value() && (*frames)->back() == "hello") {
        attempt.user_id = user_id;
      }
    }
    return attempt;
  }

  test::TempDir dir_;
  bus::CurveKeys server_;
  bus::CurveKeys alice_;
  bus::CurveKeys mallory_;
  std::string endpoint_;
};

TEST_F(KeyringZapTest, AdmitsTheListedKeyTaggedAndRefusesEveryoneElse) {
  bus::Context context;
  absl::StatusOr<std::unique_ptr<bus::ZapHandler>> zap =
      bus::ZapHandler::Start(context, AliceOnly());
  ASSERT_TRUE(zap.ok()) << zap.status();
  bus::Socket server = Bind(context);

  Attempt alice = Try(context, server, ClientOf(alice_, server_.public_key));
  ASSERT_TRUE(alice.user_id.has_value());
  EXPECT_EQ(*alice.user_id, (bus::UserId{"alice", alice_.public_key}.Format()));
  EXPECT_EQ(alice.handshake, bus::HandshakeWatch::Outcome::kSucceeded);

  Attempt mallory = Try(context, server, ClientOf(mallory_, server_.public_key));
  EXPECT_FALSE(mallory.user_id.has_value()) << "an unlisted key got a message through";
  EXPECT_EQ(mallory.handshake, bus::HandshakeWatch::Outcome::kRefused);

  Attempt plaintext = Try(context, server, bus::CurveOptions{});
  EXPECT_FALSE(plaintext.user_id.has_value()) << "a plaintext client got a message through";

  // Alice's key with a wrong idea of the server's key: no handshake at all.
  Attempt misled = Try(context, server, ClientOf(alice_, mallory_.public_key));
  EXPECT_FALSE(misled.user_id.has_value());
  EXPECT_NE(misled.handshake, bus::HandshakeWatch::Outcome::kSucceeded);

  EXPECT_GE((*zap)->admitted(), 1u);
  EXPECT_GE((*zap)->refused(), 1u);

  // A new policy applies to the next handshake.
  (*zap)->SetPolicy([](std::string_view, std::string_view, std::string_view) {
    return std::optional<std::string>();
  });
  alice = Try(context, server, ClientOf(alice_, server_.public_key));
  EXPECT_FALSE(alice.user_id.has_value()) << "a withdrawn key was still admitted";
  EXPECT_EQ(alice.handshake, bus::HandshakeWatch::Outcome::kRefused);
}

TEST_F(KeyringZapTest, ACurveServerWithoutAZapHandlerAdmitsNobody) {
  bus::Context context;  // no ZapHandler in this context
  bus::Socket server = Bind(context);
  Attempt alice = Try(context, server, ClientOf(alice_, server_.public_key));
  EXPECT_FALSE(alice.user_id.has_value())
      << "without a ZAP handler a CURVE server admitted a client (ZMQ_ZAP_ENFORCE_DOMAIN off?)";
  EXPECT_NE(alice.handshake, bus::HandshakeWatch::Outcome::kSucceeded);
}

TEST_F(KeyringZapTest, ACommandClientIsToldAtOnceThatItsKeyIsRefused) {
  bus::Context context;
  absl::StatusOr<std::unique_ptr<bus::ZapHandler>> zap =
      bus::ZapHandler::Start(context, AliceOnly());
  ASSERT_TRUE(zap.ok());
  bus::Socket server = Bind(context);
  bus::SocketOptions options;
  options.linger_ms = 0;
  options.curve = ClientOf(mallory_, server_.public_key);
  bus::CommandClient client(context, endpoint_, options, absl::Seconds(5), 2, "the test service");
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> reply = client.Call("hello");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4)) << "the refusal waited for the timeout";
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kPermissionDenied) << reply.status();
  EXPECT_TRUE(Has(reply.status(), "the test service")) << reply.status();
  EXPECT_TRUE(Has(reply.status(), mallory_.public_key)) << reply.status();
}

// A watch that ends while its socket stays open must leave ZeroMQ's I/O thread running when that
// socket shakes hands again. Before the watch ended its monitor, the next handshake event went to
// the watch's closed end and stopped the I/O thread for good, and every socket of the context
// with it (libzmq #3575): a harness under kill -9 and SIGSTOP was seen with no client getting
// through and thousands of closed sockets never freed.
TEST_F(KeyringZapTest, AnEndedWatchLeavesTheIoThreadRunningWhenItsSocketShakesHandsAgain) {
  // Left to leak if the I/O thread is stuck: ending the context would wait for it forever.
  auto* context = new bus::Context;
  absl::StatusOr<std::unique_ptr<bus::ZapHandler>> zap =
      bus::ZapHandler::Start(*context, AliceOnly());
  ASSERT_TRUE(zap.ok()) << zap.status();
  bool runs = false;
  {
    bus::Socket first = Bind(*context);
    const std::string first_endpoint = endpoint_;
    endpoint_ = lotse::StrCat("ipc://", dir_.Join("second.ipc"));
    bus::Socket second = Bind(*context);

    bus::SocketOptions options;
    options.linger_ms = 0;
    options.curve = ClientOf(alice_, server_.public_key);
    absl::StatusOr<bus::Socket> watched =
        bus::Socket::Create(*context, zmq::socket_type::dealer, options);
    ASSERT_TRUE(watched.ok()) << watched.status();
    {
      absl::StatusOr<bus::HandshakeWatch> watch = bus::HandshakeWatch::Attach(*context, *watched);
      ASSERT_TRUE(watch.ok()) << watch.status();
      ASSERT_TRUE(watched->Connect(first_endpoint).ok());
      ASSERT_TRUE(
          test::WaitUntil([&] { return watch->Poll() == bus::HandshakeWatch::Outcome::kSucceeded; },
                          absl::Seconds(5)));
    }
    // The watch has ended, its socket stays open and shakes hands again: an event.
    ASSERT_TRUE(watched->Connect(endpoint_).ok());
    absl::SleepFor(absl::Milliseconds(300));

    // Another client of the same context still gets through.
    absl::StatusOr<bus::Socket> other =
        bus::Socket::Create(*context, zmq::socket_type::dealer, options);
    ASSERT_TRUE(other.ok()) << other.status();
    ASSERT_TRUE(other->Connect(endpoint_).ok());
    ASSERT_TRUE(other->Send({"hello"}).ok());
    absl::StatusOr<bool> arrived = second.WaitReadable(absl::Seconds(5));
    runs = arrived.ok() && *arrived;
    EXPECT_TRUE(runs) << "the I/O thread stopped: the ended watch's socket sent it an event";
  }
  if (!runs) {
    (void)zap->release();  // its thread waits on the stuck context too
    return;
  }
  zap->reset();
  delete context;
}

}  // namespace
}  // namespace lotse::auth
