#pragma once

// Failed logins slow the next ones down, per login and per client address: after 5 failures
// within 15 minutes, each further try must wait 2^(n-5) seconds after the last failure (at most
// 15 minutes). A successful login clears its login's count (not the address's: one address
// guessing many logins stays slowed). In memory: a restart forgets, which costs a guesser
// nothing it could not get by waiting. Thread-safe.

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace lotse::web {

class LoginThrottle {
 public:
  // How long the caller must still wait before trying `login` from `address`; zero: go on.
  absl::Duration Wait(std::string_view login, std::string_view address, absl::Time now);
  void Failed(std::string_view login, std::string_view address, absl::Time now);
  void Succeeded(std::string_view login);

 private:
  struct Failures {
    int count = 0;
    absl::Time first;  // of the current window
    absl::Time last;
  };
  absl::Duration WaitFor(const std::map<std::string, Failures, std::less<>>& by,
                         std::string_view key, absl::Time now) const;
  static void Count(std::map<std::string, Failures, std::less<>>& by, std::string_view key,
                    absl::Time now);

  std::mutex mu_;
  std::map<std::string, Failures, std::less<>> by_login_;
  std::map<std::string, Failures, std::less<>> by_address_;
};

}  // namespace lotse::web
