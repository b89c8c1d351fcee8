// `lotse users` against a running lotse-web: the admin adds a person, who then logs in; a new
// password ends the sessions from before; a disabled account cannot log in until enabled; a
// repeated add with its key is one account. From the attacker's side: an office's key and an
// unlisted key are refused at the accounts door's handshake, the admin's key with another actor
// is refused by the table, bad input changes nothing, and no reply carries a password hash.
#include <string>
#include <vector>

#include "common/bus/command.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "lotse/v1/web.pb.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/web_client.h"
#include "tests/support/keys.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

// The value of "name":"..." in a one-line JSON document, "" if absent.
std::string JsonField(const std::string& json, const std::string& name) {
  const std::string marker = StrCat("\"", name, "\":\"");
  const size_t at = json.find(marker);
  if (at == std::string::npos) {
    return "";
  }
  const size_t start = at + marker.size();
  return json.substr(start, json.find('"', start) - start);
}

class WebAccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_.StartAll(/*with_audit=*/false, /*with_notification=*/true);
    set_.Start("web");
  }

  CommandResult Users(std::vector<std::string> args, const std::string& identity = "",
                      const std::string& stdin_text = "") {
    args.insert(args.begin(), "users");
    args.insert(args.end(), {"--port-base", std::to_string(set_.port_base()), "--timeout-ms",
                             "3000", "--keys", StrCat(set_.dir(), "/data/keys")});
    if (!identity.empty()) {
      args.insert(args.end(), {"--identity", identity});
    }
    if (stdin_text.empty()) {
      return RunCommand(LOTSE_CLI_BIN, args, {}, absl::Seconds(30));
    }
    const std::string input = StrCat(set_.dir(), "/stdin.txt");
    EXPECT_TRUE(WriteFile(input, stdin_text).ok());
    std::string line = StrCat("'", LOTSE_CLI_BIN, "'");
    for (const std::string& a : args) {
      line += StrCat(" '", a, "'");
    }
    return RunCommand("/bin/sh", {"-c", StrCat(line, " < '", input, "'")}, {}, absl::Seconds(30));
  }

  int LoginStatus(const std::string& login, const std::string& password) {
    WebClient person(set_);
    httplib::Result r = person.Login(login, password);
    return r ? r->status : 0;
  }

  // The raw reply of the accounts door to `request`, sent with `curve`.
  absl::StatusOr<lotse::v1::AccountReply> Door(const bus::CurveOptions& curve,
                                               lotse::v1::AccountRequest request) {
    bus::SocketOptions options;
    options.curve = curve;
    options.linger_ms = 0;
    bus::CommandClient client(
        context_, StrCat("tcp://127.0.0.1:", set_.port_base() + config::kWebCommandPortOffset),
        options, absl::Seconds(2), 0, "web");
    request.set_request_id("r1");
    absl::StatusOr<std::string> bytes = client.Call(request.SerializeAsString());
    if (!bytes.ok()) {
      return bytes.status();
    }
    lotse::v1::AccountReply reply;
    if (!reply.ParseFromString(*bytes)) {
      return absl::DataLossError("not an AccountReply");
    }
    return reply;
  }

  lotse::v1::AccountRequest ListRequest(lotse::v1::ActorKind kind, const std::string& id) {
    lotse::v1::AccountRequest request;
    request.mutable_actor()->set_kind(kind);
    request.mutable_actor()->set_id(id);
    request.mutable_list();
    return request;
  }

  size_t AccountCount() {
    const CommandResult list = Users({"list", "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    size_t n = 0;
    for (size_t at = list.out.find("\"login\""); at != std::string::npos;
         at = list.out.find("\"login\"", at + 1)) {
      ++n;
    }
    return n;
  }

  LotseSet set_;
  bus::Context context_;
};

TEST_F(WebAccountsTest, TheAdminAddsAPersonWhoThenLogsInAndSeesTheOfficesPages) {
  const size_t before = AccountCount();
  CommandResult added =
      Users({"add", "anna.becker", "--name", "Anna Becker", "--acts-for", "office:bb-mitte",
             "--acts-for", "department:bauordnung", "--key", "add-anna", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err << added.out;
  const std::string password = JsonField(added.out, "password");
  ASSERT_EQ(password.size(), 23u) << added.out;
  EXPECT_EQ(added.out.find("argon2"), std::string::npos) << "a reply showed a password hash";

  WebClient anna(set_);
  httplib::Result login = anna.Login("anna.becker", password);
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 303) << login->body;
  httplib::Result inbox = anna.Get("/posteingang");
  ASSERT_TRUE(inbox);
  EXPECT_EQ(inbox->status, 200);
  EXPECT_NE(inbox->body.find("Anna Becker"), std::string::npos);

  // The same add again (its reply lost): the one account, no error; another key: taken.
  CommandResult again =
      Users({"add", "anna.becker", "--name", "Anna Becker", "--acts-for", "office:bb-mitte",
             "--acts-for", "department:bauordnung", "--key", "add-anna", "--password-stdin"},
            "", "ein-anderes-passwort\n");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  CommandResult taken =
      Users({"add", "anna.becker", "--name", "Anna B.", "--acts-for", "office:bb-nord"});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("taken"), std::string::npos) << taken.err;
  EXPECT_EQ(AccountCount(), before + 1);
  EXPECT_EQ(LoginStatus("anna.becker", password), 303) << "the repeated add changed the password";

  CommandResult list = Users({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("anna.becker"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("office:bb-mitte, department:bauordnung"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("key-account:kam-"), std::string::npos) << list.out;
}

TEST_F(WebAccountsTest, ANewPasswordEndsTheOldSessionsAndADisabledAccountCannotLogIn) {
  ASSERT_EQ(Users({"add", "ben.kurz", "--name", "Ben Kurz", "--acts-for", "office:bb-nord",
                   "--password-stdin"},
                  "", "altes-passwort-123\n")
                .exit_code,
            0);
  WebClient ben(set_);
  ASSERT_EQ(ben.Login("ben.kurz", "altes-passwort-123")->status, 303);
  ASSERT_EQ(ben.Get("/posteingang")->status, 200);

  CommandResult passwd = Users({"passwd", "ben.kurz"});
  ASSERT_EQ(passwd.exit_code, 0) << passwd.err;
  const size_t at = passwd.out.find("Password: ");
  ASSERT_NE(at, std::string::npos) << passwd.out;
  const std::string fresh = passwd.out.substr(at + 10, 23);
  EXPECT_EQ(ben.Get("/posteingang")->status, 303) << "the session from before the new password";
  EXPECT_NE(LoginStatus("ben.kurz", "altes-passwort-123"), 303);
  EXPECT_EQ(LoginStatus("ben.kurz", fresh), 303);

  ASSERT_EQ(ben.Login("ben.kurz", fresh)->status, 303);
  CommandResult disabled = Users({"disable", "ben.kurz"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_NE(disabled.out.find("disabled"), std::string::npos);
  EXPECT_EQ(ben.Get("/posteingang")->status, 303) << "a disabled account's session went on";
  EXPECT_NE(LoginStatus("ben.kurz", fresh), 303);
  ASSERT_EQ(Users({"enable", "ben.kurz"}).exit_code, 0);
  EXPECT_EQ(LoginStatus("ben.kurz", fresh), 303);
}

TEST_F(WebAccountsTest, BadInputIsNamedAndChangesNothing) {
  const size_t before = AccountCount();
  CommandResult nowhere =
      Users({"add", "carla", "--name", "Carla", "--acts-for", "office:bb-gibt-es-nicht", "--json"});
  EXPECT_EQ(nowhere.exit_code, 1);
  EXPECT_EQ(JsonField(nowhere.out, "field"), "roles") << nowhere.out;
  CommandResult short_password = Users({"add", "carla", "--name", "Carla", "--acts-for",
                                        "office:bb-mitte", "--password-stdin", "--json"},
                                       "", "kurz\n");
  EXPECT_EQ(short_password.exit_code, 1);
  EXPECT_EQ(JsonField(short_password.out, "field"), "password") << short_password.out;
  CommandResult bad_login =
      Users({"add", "Carla Groß", "--name", "Carla", "--acts-for", "office:bb-mitte", "--json"});
  EXPECT_EQ(bad_login.exit_code, 1);
  EXPECT_EQ(JsonField(bad_login.out, "field"), "login") << bad_login.out;
  CommandResult no_role = Users({"add", "carla", "--name", "Carla", "--acts-for", "mayor"});
  EXPECT_EQ(no_role.exit_code, 2) << "refused before it is sent";
  CommandResult unknown = Users({"passwd", "niemand"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("lotse users list"), std::string::npos) << unknown.err;
  EXPECT_EQ(AccountCount(), before);
}

TEST_F(WebAccountsTest, OnlyTheAdminsKeyPassesTheAccountsDoor) {
  const TestKeys& keys = set_.keys();
  const std::string web_key = keys.PublicKey("web");
  // An office's own key: refused at the handshake, whatever the request claims.
  absl::StatusOr<lotse::v1::AccountReply> office =
      Door(keys.Client("bb-mitte", std::string_view("web")),
           ListRequest(lotse::v1::ACTOR_KIND_ADMIN, "admin"));
  EXPECT_EQ(office.status().code(), absl::StatusCode::kPermissionDenied) << office.status();
  // The gateway's and ops' keys, and a key nobody listed: the same.
  for (const std::string principal : {"web", "ops"}) {
    absl::StatusOr<lotse::v1::AccountReply> other =
        Door(keys.Client(principal, std::string_view("web")),
             ListRequest(lotse::v1::ACTOR_KIND_ADMIN, "admin"));
    EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied) << principal;
  }
  absl::StatusOr<lotse::v1::AccountReply> stranger =
      Door(TestKeys::Stranger(web_key), ListRequest(lotse::v1::ACTOR_KIND_ADMIN, "admin"));
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kPermissionDenied);
  // The admin's key acting as an office: refused by the table, with the field named.
  absl::StatusOr<lotse::v1::AccountReply> forged =
      Door(keys.Client("admin", std::string_view("web")),
           ListRequest(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte"));
  ASSERT_TRUE(forged.ok()) << forged.status();
  EXPECT_EQ(forged->result_case(), lotse::v1::AccountReply::kError);
  EXPECT_EQ(forged->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  // The admin's key as admin: the list, without a single password hash.
  absl::StatusOr<lotse::v1::AccountReply> listed =
      Door(keys.Client("admin", std::string_view("web")),
           ListRequest(lotse::v1::ACTOR_KIND_ADMIN, "admin"));
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->result_case(), lotse::v1::AccountReply::kAccounts);
  ASSERT_GT(listed->accounts().accounts_size(), 5);
  for (const lotse::v1::Account& a : listed->accounts().accounts()) {
    EXPECT_TRUE(a.password_hash().empty()) << a.login();
  }
  // The CLI with an office's key file says what happened and exits 1.
  const CommandResult cli = Users({"list"}, StrCat(set_.dir(), "/data/keys/bb-mitte.key"));
  EXPECT_EQ(cli.exit_code, 1) << cli.out << cli.err;
  EXPECT_NE(cli.err.find("admits the admin's key only"), std::string::npos) << cli.err;
  EXPECT_NE(set_.Log("web").find("refused a connection"), std::string::npos) << set_.Log("web");
}

}  // namespace
}  // namespace lotse::test
