#include "tests/support/keys.h"

#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::test {

absl::StatusOr<TestKeys> TestKeys::Make(const std::string& dir, const std::string& config_toml) {
  LOTSE_ASSIGN_OR_RETURN(
      config::Config config,
      config::ParseConfig(config_toml.empty() ? config::DefaultConfigText() : config_toml,
                          "test config"));
  LOTSE_RETURN_IF_ERROR(auth::GenerateKeyring(config, dir).status());
  TestKeys keys;
  keys.dir_ = dir;
  for (const config::PrincipalEntry& p : config::Principals(config)) {
    LOTSE_ASSIGN_OR_RETURN(auth::Identity identity,
                           auth::ReadIdentity(auth::SecretKeyFile(dir, p.id), p.id));
    keys.identities_.emplace(p.id, std::move(identity));
  }
  return keys;
}

bus::CurveOptions TestKeys::Client(std::string_view principal, std::string_view service) const {
  bus::CurveOptions curve;
  const auto me = identities_.find(principal);
  const auto server = identities_.find(service);
  if (me != identities_.end()) {
    curve.public_key = me->second.keys.public_key;
    curve.secret_key = me->second.keys.secret_key;
  }
  if (server != identities_.end()) {
    curve.server_key = server->second.keys.public_key;
  }
  return curve;
}

bus::CurveOptions TestKeys::Client(std::string_view principal, config::Service service) const {
  return Client(principal, config::ServiceName(service));
}

bus::CurveOptions TestKeys::Stranger(std::string_view server_key) {
  bus::CurveOptions curve;
  absl::StatusOr<bus::CurveKeys> keys = bus::NewCurveKeys();
  if (keys.ok()) {
    curve.public_key = keys->public_key;
    curve.secret_key = keys->secret_key;
  }
  curve.server_key = std::string(server_key);
  return curve;
}

std::string TestKeys::PublicKey(std::string_view principal) const {
  const auto it = identities_.find(principal);
  return it == identities_.end() ? "" : it->second.keys.public_key;
}

}  // namespace lotse::test
