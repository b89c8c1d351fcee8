#pragma once

// Logged-in people (lotse-web's state_sessions). The session id is 256 random bits, sent only
// in the person's cookie; the store keeps it under its SHA-256, so a copy of the database lets
// no one log in. Each session has its own CSRF token, which every form and every changing API
// call must carry. Sessions end by logout or after the idle timeout. Thread-safe.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store.h"
#include "lotse/v1/web.pb.h"

namespace lotse::web {

struct NewSession {
  std::string id;  // for the cookie: 43 characters of base64url
  lotse::v1::WebSession session;
};

class SessionStore {
 public:
  SessionStore(store::Store* store, store::Cf family, std::mutex* store_mu, absl::Duration idle)
      : store_(store), family_(family), mu_(store_mu), idle_(idle) {}

  // A fresh session for `login` acting in its role `role` (a new id at every login: an id
  // planted before the login is worth nothing after it).
  absl::StatusOr<NewSession> Start(std::string_view login, uint32_t role, absl::Time now);
  // The session of cookie value `id` if it exists and was used within the idle timeout; the
  // use is recorded (at most once a minute, to spare the disk). nullopt otherwise; an idle one
  // is removed.
  absl::StatusOr<std::optional<lotse::v1::WebSession>> Use(std::string_view id, absl::Time now);
  // The session acts in the account's role `role` from now on (the person chose another one).
  // NotFound for an unknown or idle id.
  absl::Status SetRole(std::string_view id, uint32_t role);
  // Ends the session (logout); nothing happens for an unknown id.
  absl::Status End(std::string_view id);
  // Removes every session idle longer than the timeout; returns how many.
  absl::StatusOr<size_t> Sweep(absl::Time now);

 private:
  absl::Status Put(const std::string& key, const lotse::v1::WebSession& session);

  store::Store* store_;
  store::Cf family_;
  std::mutex* mu_;
  absl::Duration idle_;
};

// Whether `token` is the session's CSRF token, compared in constant time.
bool CsrfMatches(const lotse::v1::WebSession& session, std::string_view token);

}  // namespace lotse::web
