#pragma once

// The people who log in to the web terminal (lotse-web's state_accounts): who they are, whom
// they may act for, and their password hash. Thread-safe: the HTTP threads share one.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "common/store/store.h"
#include "lotse/v1/web.pb.h"

namespace lotse::web {

// A login: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit. InvalidArgument
// naming the field "login" otherwise.
absl::Status CheckLogin(std::string_view login);

// Each role must name something the city has: an office, a department (and, with `user`, one of
// its staff), a key account manager, ops or admin. InvalidArgument naming the role otherwise.
absl::Status CheckRoles(const config::Config& config,
                        const std::vector<lotse::v1::AccountRole>& roles);

class AccountStore {
 public:
  // `store_mu` guards every commit to `store` (shared with the session store).
  AccountStore(store::Store* store, store::Cf family, std::mutex* store_mu)
      : store_(store), family_(family), mu_(store_mu) {}

  // A new account with `password` (hashed here). AlreadyExists if the login is taken, unless
  // by an Add with the same non-empty `add_key` (an idempotency key): then that account.
  absl::StatusOr<lotse::v1::Account> Add(const config::Config& config, std::string_view login,
                                         std::string_view display_name,
                                         std::vector<lotse::v1::AccountRole> roles,
                                         std::string_view password, absl::Time now,
                                         std::string_view add_key = "");
  absl::StatusOr<std::optional<lotse::v1::Account>> Find(std::string_view login) const;
  // A new password; the account's sessions started before `now` end (Site checks
  // password_changed_at_us).
  absl::Status SetPassword(std::string_view login, std::string_view password, absl::Time now);
  absl::Status SetDisabled(std::string_view login, bool disabled);
  absl::StatusOr<std::vector<lotse::v1::Account>> List() const;

  // The account if `password` is its password and it is not disabled. Unauthenticated with
  // one and the same message whether the login is unknown, the password wrong or the account
  // disabled, so that a guesser learns nothing; the password is checked against a dummy hash
  // for an unknown login, so that the time tells nothing either.
  absl::StatusOr<lotse::v1::Account> Authenticate(std::string_view login,
                                                  std::string_view password) const;

 private:
  absl::Status Put(const lotse::v1::Account& account);

  store::Store* store_;
  store::Cf family_;
  std::mutex* mu_;  // one commit at a time; a read-modify-write is whole
};

// "office bb-mitte", "department bauordnung as bo-mueller", "key account kam-schneider", "ops",
// "admin": what the role acts for, for lists and the initial-passwords file.
std::string DescribeRole(const config::Config& config, const lotse::v1::AccountRole& role);

}  // namespace lotse::web
