#pragma once

// The accounts a city's web terminal starts with: one per citizen office, per named contact
// person (acting for the department as that person), per department without staff, per key
// account manager, and one each for ops and admin. Each gets a random password, written once to
// <data-dir>/web/initial-passwords (mode 0600; a line per account: login, password and what it
// acts for, separated by tabs) for the city's IT to hand out and then delete.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "lotse/v1/web.pb.h"
#include "services/web/accounts.h"

namespace lotse::web {

struct FirstAccount {
  std::string login;
  std::string display_name;
  lotse::v1::AccountRole role;
};

std::vector<FirstAccount> FirstAccounts(const config::Config& config);

// Creates those of FirstAccounts(config) whose login does not exist yet, each with a new random
// password, and appends their lines to `passwords_file` (created with mode 0600; an existing one
// is set to 0600), each before its account is stored: where a login has two lines (a crash in
// between), the last counts. Returns how many were created: 0 on every later start.
absl::StatusOr<size_t> CreateFirstAccounts(const config::Config& config, AccountStore& accounts,
                                           const std::string& passwords_file, absl::Time now);

}  // namespace lotse::web
