// The web terminal's accounts, as admin: lotse users add | passwd | disable | enable | list
// (command_line.h). They go to lotse-web's accounts door, which admits the admin's key only.
// A new password is made here from libsodium's generator and shown once, unless the admin
// types one on standard input (--password-stdin); lotse-web keeps only its argon2id hash.

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/client/client.h"
#include "common/client/json.h"
#include "common/client/requests.h"
#include "common/client/words.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"
#include "services/cli/table.h"

namespace lotse::cli {
namespace {

using lotse::v1::Account;
using lotse::v1::AccountReply;

struct AddFlags {
  std::string login, name, key;
  std::vector<std::string> acts_for;
  bool password_stdin = false;
};

struct PasswdFlags {
  std::string login;
  bool password_stdin = false;
};

struct LoginFlags {
  std::string login;
};

struct NoFlags {};

std::string RolesOf(const config::Config& config, const Account& account) {
  std::vector<std::string> words;
  for (const lotse::v1::AccountRole& role : account.roles()) {
    words.push_back(client::AccountRoleWord(role, role.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT &&
                                                      config.FindKeyAccount(role.id()) != nullptr));
  }
  return absl::StrJoin(words, ", ");
}

// The password to set: one line from standard input, or a new random one (`made` = true).
bool TakePassword(Session& s, bool from_stdin, std::string* password, bool* made, int* code) {
  *made = !from_stdin;
  if (!from_stdin) {
    *password = client::RandomPassword();
    return true;
  }
  if (isatty(STDIN_FILENO)) {
    std::cerr << "Password (at least 12 characters), then Enter: " << std::flush;
  }
  if (!std::getline(std::cin, *password) || password->empty()) {
    *code = s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                         "--password-stdin: no password on standard input; "
                                         "type one line, or leave the flag off to get a new one",
                                         "password"));
    return false;
  }
  return true;
}

// The account, and the new password where lotse made it: shown this once.
int PrintWithPassword(Session& s, const Account& account, const std::string& sentence,
                      const std::string& password, bool made) {
  if (s.json()) {
    absl::StatusOr<std::string> json = client::ToJson(account);
    if (!json.ok()) {
      return s.Print(account, "");
    }
    // The password's alphabet ([a-z2-9-]) needs no escaping.
    fmt::print("{{\"account\":{}{}}}\n", *json,
               made ? StrCat(",\"password\":\"", password, "\"") : std::string());
    return kExitOk;
  }
  std::string text = sentence;
  if (made) {
    text += StrCat("Password: ", password, "\n", "Shown only now: hand it to ",
                   account.display_name(), " in person. Lotse keeps only its hash.\n");
  }
  fmt::print("{}", text);
  return kExitOk;
}

int Add(Session& s, const AddFlags& f) {
  client::AddAccountArgs args;
  args.login = f.login;
  args.display_name = f.name;
  args.key = f.key;
  for (const std::string& word : f.acts_for) {
    std::optional<lotse::v1::AccountRole> role = client::ParseAccountRole(word);
    if (!role.has_value()) {  // the flag's validator lets none through; kept for safety
      return s.Fail(kExitUsage,
                    MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                              StrCat("--acts-for: '", word, "' is no role"), "acts_for"));
    }
    args.roles.push_back(*std::move(role));
  }
  bool made = false;
  int code = kExitOk;
  if (!TakePassword(s, f.password_stdin, &args.password, &made, &code)) {
    return code;
  }
  return s.CallThen(client::AccountAddRequest(args), AccountReply::kAccount,
                    [&](const AccountReply& r) {
                      return PrintWithPassword(
                          s, r.account(),
                          StrCat("Account ", r.account().login(), " (", r.account().display_name(),
                                 ") added; acts for ", RolesOf(s.config(), r.account()), ".\n"),
                          args.password, made);
                    });
}

int Passwd(Session& s, const PasswdFlags& f) {
  std::string password;
  bool made = false;
  int code = kExitOk;
  if (!TakePassword(s, f.password_stdin, &password, &made, &code)) {
    return code;
  }
  return s.CallThen(
      client::AccountPasswordRequest(f.login, password), AccountReply::kAccount,
      [&](const AccountReply& r) {
        return PrintWithPassword(
            s, r.account(),
            StrCat("New password for ", r.account().login(), " (", r.account().display_name(),
                   "); the account's open sessions have ended.\n"),
            password, made);
      });
}

int SetDisabled(Session& s, const std::string& login, bool disabled) {
  return s.CallThen(
      client::AccountDisabledRequest(login, disabled), AccountReply::kAccount,
      [&](const AccountReply& r) {
        return s.Print(
            r.account(),
            disabled ? StrCat("Account ", r.account().login(), " (", r.account().display_name(),
                              ") disabled: no login, and its open sessions end at their next "
                              "page. 'lotse users enable ",
                              r.account().login(), "' undoes it.\n")
                     : StrCat("Account ", r.account().login(), " (", r.account().display_name(),
                              ") enabled again.\n"));
      });
}

int Disable(Session& s, const LoginFlags& f) { return SetDisabled(s, f.login, true); }
int Enable(Session& s, const LoginFlags& f) { return SetDisabled(s, f.login, false); }

int List(Session& s, const NoFlags&) {
  return s.CallThen(
      client::AccountListRequest(), AccountReply::kAccounts, [&](const AccountReply& r) {
        Table table(
            {{"login", 24}, {"name", 28}, {"acts for", 64}, {"state", 8}, {"password set", 16}});
        for (const Account& a : r.accounts().accounts()) {
          table.AddRow({a.login(), a.display_name(), RolesOf(s.config(), a),
                        a.disabled() ? "disabled" : "active",
                        LocalTime(a.password_changed_at_us(), s.zone())});
        }
        return s.Print(r.accounts(), StrCat(table.Render(), table.rows(), " accounts\n"));
      });
}

void AddLogin(CLI::App* app, std::string& login) {
  app->add_option("LOGIN", login, "the account's login, e.g. jana.mueller")->required();
}

}  // namespace

void AddUsersCommand(CommandLine& cli) {
  CLI::App* users = cli.app()->add_subcommand(
      "users", "the web terminal's accounts, as admin (with the admin's key)");
  users->require_subcommand(1);

  auto [add, a] =
      cli.Add("add", "add a person's account; prints its new password once", &Add, users);
  AddLogin(add, a->login);
  add->add_option("--name", a->name, "the person's name as pages show it")->required();
  add->add_option("--acts-for", a->acts_for,
                  "whom the person acts for, one or more: office:ID, department:ID, "
                  "department:ID/STAFF (as a named contact person), key-account:ID, ops, admin")
      ->required()
      ->check(Words(client::ParseAccountRole,
                    "office:ID, department:ID[/STAFF], "
                    "key-account:ID, ops or admin",
                    "ROLE"));
  add->add_flag("--password-stdin", a->password_stdin,
                "read the password from standard input instead of making a new one");
  AddKey(add, a->key);

  auto [passwd, p] = cli.Add(
      "passwd", "give an account a new password (printed once); its sessions end", &Passwd, users);
  AddLogin(passwd, p->login);
  passwd->add_flag("--password-stdin", p->password_stdin,
                   "read the password from standard input instead of making a new one");

  auto [disable, d] =
      cli.Add("disable", "stop an account: no login, its sessions end", &Disable, users);
  AddLogin(disable, d->login);
  auto [enable, e] = cli.Add("enable", "let a disabled account log in again", &Enable, users);
  AddLogin(enable, e->login);
  cli.Add("list", "every account: login, name, whom it acts for, state", &List, users);
}

}  // namespace lotse::cli
