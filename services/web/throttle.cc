#include "services/web/throttle.h"

#include <algorithm>

namespace lotse::web {
namespace {

constexpr int kFree = 5;  // failures before the waiting starts
constexpr absl::Duration kWindow = absl::Minutes(15);
constexpr absl::Duration kLongest = absl::Minutes(15);

}  // namespace

absl::Duration LoginThrottle::WaitFor(const std::map<std::string, Failures, std::less<>>& by,
                                      std::string_view key, absl::Time now) const {
  auto it = by.find(key);
  if (it == by.end() || it->second.count < kFree || now - it->second.first > kWindow) {
    return absl::ZeroDuration();
  }
  const int over = std::min(it->second.count - kFree, 10);
  const absl::Duration wait = std::min(absl::Seconds(int64_t{1} << over), kLongest);
  return std::max(absl::ZeroDuration(), it->second.last + wait - now);
}

void LoginThrottle::Count(std::map<std::string, Failures, std::less<>>& by, std::string_view key,
                          absl::Time now) {
  auto [it, fresh] = by.try_emplace(std::string(key));
  Failures& f = it->second;
  if (fresh || now - f.first > kWindow) {
    f = Failures{0, now, now};
  }
  ++f.count;
  f.last = now;
}

absl::Duration LoginThrottle::Wait(std::string_view login, std::string_view address,
                                   absl::Time now) {
  std::lock_guard lock(mu_);
  return std::max(WaitFor(by_login_, login, now), WaitFor(by_address_, address, now));
}

void LoginThrottle::Failed(std::string_view login, std::string_view address, absl::Time now) {
  std::lock_guard lock(mu_);
  Count(by_login_, login, now);
  Count(by_address_, address, now);
  // Forget old windows now and then, so that a stream of made-up logins cannot fill memory.
  if (by_login_.size() + by_address_.size() > 100000) {
    for (auto* by : {&by_login_, &by_address_}) {
      std::erase_if(*by, [&](const auto& e) { return now - e.second.first > kWindow; });
    }
  }
}

void LoginThrottle::Succeeded(std::string_view login) {
  std::lock_guard lock(mu_);
  if (auto it = by_login_.find(login); it != by_login_.end()) {
    by_login_.erase(it);
  }
}

}  // namespace lotse::web
