#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/auth/keyring.h"
#include "common/bus/socket.h"
#include "common/config/config.h"

namespace lotse::test {

// The keyring of a test's service set, made as `lotse up` makes it: every principal of the
// config gets a keypair in `dir` (the services find it at <data dir>/keys). Hands out the curve
// options a test client needs to act as any principal. Immutable after Make.
class TestKeys {
 public:
  // `config_toml` "" = the embedded sample city.
  static absl::StatusOr<TestKeys> Make(const std::string& dir, const std::string& config_toml = "");
  // Curve options to reach `service` as `principal` ("bb-mitte", "ops", "admin", "audit").
  bus::CurveOptions Client(std::string_view principal, config::Service service) const;
  // The same for a client whose server is identified by name ("intake", ...).
  bus::CurveOptions Client(std::string_view principal, std::string_view service) const;
  // A keypair that no config lists.
  static bus::CurveOptions Stranger(std::string_view server_key);
  std::string PublicKey(std::string_view principal) const;
  bool Has(std::string_view principal) const { return identities_.contains(principal); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, auth::Identity, std::less<>> identities_;
};

}  // namespace lotse::test
