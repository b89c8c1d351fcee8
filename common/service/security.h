#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/keyring.h"
#include "common/bus/curve.h"
#include "common/config/config.h"

namespace lotse::service {

// Refusals at a door are logged once a minute per key and door: a refused client retries every
// 100 ms. Thread-safe (the ZAP thread asks).
class RefusalLog {
 public:
  // True if `what` (door and key) was not logged within the last minute.
  bool ShouldLog(const std::string& what);

 private:
  std::mutex mutex_;
  std::map<std::string, absl::Time> last_;
};

// The identity of one service and who may reach it: its own keypair (<keys dir>/<service>.key),
// the key list (auth::Directory), and the process's ZAP handler that admits clients by it.
// Created in Create() before any socket; owned by the service's Runner. directory() and
// Reload() belong to the service thread; the ZAP thread reads its own copy of the list.
class Security {
 public:
  // Reads the service's secret key file and the key list; refuses to start (naming the file or
  // the entry) on a missing, unreadable or world-readable secret key, a key listed twice or a
  // principal without a key.
  static absl::StatusOr<std::unique_ptr<Security>> Load(const config::Config& config,
                                                        config::Service self);
  // Starts the ZAP handler in `context`; before any CURVE socket binds.
  absl::Status Start(bus::Context& context);
  // Rereads the key list (SIGHUP): the config file's [keys.public] and [[gateways]] as the
  // service was started with (StartUpFlags), or public.toml. A list that cannot be used is
  // refused with a log line and the old one stays in force. Offices, departments and key
  // account managers stay as at start: a new one needs a restart.
  void Reload();

  // The curve options of our server socket at `door`.
  bus::CurveOptions Door(auth::Door door) const;
  // The curve options of our consumer of `producer`'s log: our keys, its key pinned.
  bus::CurveOptions ClientOf(config::Service producer) const;
  const auth::Directory& directory() const { return *directory_; }
  const std::string& public_key() const { return identity_.keys.public_key; }

 private:
  Security(config::Config config, config::Service self, auth::Identity identity,
           std::shared_ptr<const auth::Directory> directory);
  bus::CurveOptions Own() const;  // our keys, on a socket of either side
  bus::ZapHandler::Policy PolicyFor(std::shared_ptr<const auth::Directory> directory) const;

  config::Config config_;  // its keys and gateways as of the last reload
  const config::Service self_;
  const auth::Identity identity_;
  std::shared_ptr<const auth::Directory> directory_;
  std::unique_ptr<bus::ZapHandler> zap_;
};

}  // namespace lotse::service
