#include "services/web/accounts.h"

#include "absl/strings/ascii.h"
#include "common/clock/clock.h"
#include "common/format.h"
#include "common/service/errors.h"
#include "common/status_macros.h"
#include "services/web/passwords.h"

namespace lotse::web {
namespace {

using lotse::v1::Account;
using lotse::v1::AccountRole;

constexpr char kWrongLogin[] =
    "login or password is wrong (or the account is disabled): check both and try again; after "
    "several tries, wait a few minutes";

bool LoginChar(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

}  // namespace

absl::Status CheckLogin(std::string_view login) {
  const bool ok = !login.empty() && login.size() <= 64 &&
                  std::all_of(login.begin(), login.end(), LoginChar) && login[0] != '.' &&
                  login[0] != '_' && login[0] != '-';
  if (!ok) {
    return service::InvalidField("login",
                                 "a login has 1 to 64 small letters, digits, '.', '_' or '-', "
                                 "and starts with a letter or digit (e.g. \"bo-mueller\")");
  }
  return absl::OkStatus();
}

absl::Status CheckRoles(const config::Config& config, const std::vector<AccountRole>& roles) {
  if (roles.empty()) {
    return service::InvalidField("roles",
                                 "an account must act for someone: an office, a department, a "
                                 "key account manager, ops or admin");
  }
  for (const AccountRole& r : roles) {
    bool known = false;
    switch (r.kind()) {
      case lotse::v1::ACTOR_KIND_OFFICE:
        known = config.FindOffice(r.id()) != nullptr && r.user().empty();
        break;
      case lotse::v1::ACTOR_KIND_DEPARTMENT:
        if (const config::Department* d = config.FindDepartment(r.id()); d != nullptr) {
          known = r.user().empty() || d->FindStaff(r.user()) != nullptr;
        } else {
          known = config.FindKeyAccount(r.id()) != nullptr && r.user().empty();
        }
        break;
      case lotse::v1::ACTOR_KIND_OPS:
        known = r.id() == "ops" && r.user().empty();
        break;
      case lotse::v1::ACTOR_KIND_ADMIN:
        known = r.id() == "admin" && r.user().empty();
        break;
      default:
        break;
    }
    if (!known) {
      return service::InvalidField(
          "roles", StrCat("the city has no ", DescribeRole(config, r),
                          ": see 'lotse offices', 'lotse departments', 'lotse contacts' and "
                          "'lotse key-accounts'"));
    }
  }
  return absl::OkStatus();
}

std::string DescribeRole(const config::Config& config, const AccountRole& role) {
  switch (role.kind()) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      return StrCat("office ", role.id());
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      if (config.FindKeyAccount(role.id()) != nullptr) {
        return StrCat("key account manager ", role.id());
      }
      return role.user().empty() ? StrCat("department ", role.id())
                                 : StrCat("department ", role.id(), " as ", role.user());
    case lotse::v1::ACTOR_KIND_OPS:
      return "ops";
    case lotse::v1::ACTOR_KIND_ADMIN:
      return "admin";
    default:
      return StrCat("role of kind ", static_cast<int>(role.kind()), " '", role.id(), "'");
  }
}

absl::StatusOr<Account> AccountStore::Add(const config::Config& config, std::string_view login,
                                          std::string_view display_name,
                                          std::vector<AccountRole> roles, std::string_view password,
                                          absl::Time now, std::string_view add_key) {
  LOTSE_RETURN_IF_ERROR(CheckLogin(login));
  LOTSE_RETURN_IF_ERROR(CheckRoles(config, roles));
  LOTSE_RETURN_IF_ERROR(service::CheckText("display_name", display_name, 200, true));
  LOTSE_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  std::lock_guard lock(*mu_);
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> existing, store_->Get(family_, login));
  if (existing.has_value()) {
    Account earlier;
    if (!add_key.empty() && earlier.ParseFromString(*existing) && earlier.add_key() == add_key) {
      return earlier;  // the same `lotse users add` again: its reply was lost
    }
    return service::FieldError(absl::StatusCode::kAlreadyExists, "login",
                               StrCat("the login '", login,
                                      "' is taken: choose another, or change that account's "
                                      "password with 'lotse users passwd'"));
  }
  Account account;
  account.set_login(std::string(login));
  account.set_display_name(std::string(display_name));
  for (AccountRole& r : roles) {
    *account.add_roles() = std::move(r);
  }
  account.set_password_hash(std::move(hash));
  account.set_created_at_us(clock::ToMicros(now));
  account.set_password_changed_at_us(clock::ToMicros(now));
  account.set_add_key(std::string(add_key));
  LOTSE_RETURN_IF_ERROR(Put(account));
  return account;
}

absl::StatusOr<std::optional<Account>> AccountStore::Find(std::string_view login) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->Get(family_, login));
  if (!bytes.has_value()) {
    return std::nullopt;
  }
  Account account;
  if (!account.ParseFromString(*bytes)) {
    return absl::DataLossError(StrCat("the account '", login, "' is damaged"));
  }
  return account;
}

absl::Status AccountStore::SetPassword(std::string_view login, std::string_view password,
                                       absl::Time now) {
  LOTSE_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  std::lock_guard lock(*mu_);
  LOTSE_ASSIGN_OR_RETURN(std::optional<Account> account, Find(login));
  if (!account.has_value()) {
    return service::FieldError(absl::StatusCode::kNotFound, "login",
                               StrCat("there is no account '", login, "': see 'lotse users list'"));
  }
  account->set_password_hash(std::move(hash));
  account->set_password_changed_at_us(clock::ToMicros(now));
  return Put(*account);
}

absl::Status AccountStore::SetDisabled(std::string_view login, bool disabled) {
  std::lock_guard lock(*mu_);
  LOTSE_ASSIGN_OR_RETURN(std::optional<Account> account, Find(login));
  if (!account.has_value()) {
    return service::FieldError(absl::StatusCode::kNotFound, "login",
                               StrCat("there is no account '", login, "': see 'lotse users list'"));
  }
  account->set_disabled(disabled);
  return Put(*account);
}

absl::StatusOr<std::vector<Account>> AccountStore::List() const {
  std::vector<Account> out;
  bool damaged = false;
  LOTSE_RETURN_IF_ERROR(
      store_->Scan(family_, "", "", [&](std::string_view, std::string_view value) {
        damaged = !out.emplace_back().ParseFromArray(value.data(), static_cast<int>(value.size()));
        return !damaged;
      }));
  if (damaged) {
    return absl::DataLossError("an account is damaged");
  }
  return out;
}

absl::StatusOr<Account> AccountStore::Authenticate(std::string_view login,
                                                   std::string_view password) const {
  // Made once: a hash to check against for an unknown login, so that it takes as long.
  static const std::string* const kDummy =
      new std::string(HashPassword("lotse-dummy-password-for-timing").value_or(""));
  std::optional<Account> account;
  if (CheckLogin(login).ok()) {
    LOTSE_ASSIGN_OR_RETURN(account, Find(login));
  }
  const bool match =
      VerifyPassword(account.has_value() ? account->password_hash() : *kDummy, password);
  if (!account.has_value() || !match || account->disabled()) {
    return absl::UnauthenticatedError(kWrongLogin);
  }
  return *std::move(account);
}

absl::Status AccountStore::Put(const Account& account) {
  store::Batch batch(store_);
  batch.Put(family_, account.login(), account.SerializeAsString());
  return store_->Commit(batch);
}

}  // namespace lotse::web
