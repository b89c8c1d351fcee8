#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/bus/curve.h"
#include "common/config/config.h"

namespace lotse::auth {

// One caller of Lotse and the key it proves itself with.
struct Principal {
  std::string id;
  config::PrincipalKind kind = config::PrincipalKind::kOps;
  std::string public_key;             // Z85; "" if its access was withdrawn
  std::vector<std::string> acts_for;  // gateways: on whose behalf it may act ("*": anyone)
};

// Who holds which key: every principal of the config with its public key. Immutable once built,
// so the service thread and the ZAP thread share one through shared_ptr<const Directory>; a
// reload (SIGHUP) builds a new one.
class Directory {
 public:
  // The principals of `config` with their public keys: [keys.public], or else
  // <keys dir>/public.toml. `strict` (at start): every principal must be listed ("revoked"
  // counts). Otherwise (on reload) an unlisted principal is revoked and named in `warnings`.
  static absl::StatusOr<std::shared_ptr<const Directory>> Load(const config::Config& config,
                                                               bool strict,
                                                               std::vector<std::string>* warnings);
  // Built from explicit keys (principal id -> Z85 key), for tests and for Load.
  static absl::StatusOr<std::shared_ptr<const Directory>> Build(
      const config::Config& config, const std::map<std::string, std::string>& keys, bool strict,
      std::string_view source, std::vector<std::string>* warnings);

  const Principal* ById(std::string_view id) const;    // nullptr if unknown
  const Principal* ByKey(std::string_view key) const;  // nullptr if no principal holds it
  // The principal that a message's ZAP User-Id names, if that principal still holds the key the
  // connection proved; nullptr otherwise (a key removed or replaced since).
  const Principal* ByUserId(std::string_view user_id) const;
  size_t size() const { return by_id_.size(); }

 private:
  std::map<std::string, Principal, std::less<>> by_id_;
  std::map<std::string, std::string, std::less<>> id_by_key_;
};

// The three kinds of door of a service, each its own ZAP domain.
enum class Door { kCommand, kLog, kTap };
std::string_view DoorName(Door door);  // "command", "log", "tap"
// Who may pass: the command door admits every principal that holds a key (the handlers decide
// what it may do); the log door of `service` only the services that consume its log (and admin,
// to replay it for debugging); the tap only ops and admin.
bool MayPass(const Principal& principal, Door door, config::Service service);
// The services that read `producer`'s log, and the logs `consumer` reads.
std::vector<config::Service> ConsumersOf(config::Service producer);
std::vector<config::Service> ProducersFor(config::Service consumer);

// A principal's own keypair, as kept in its secret key file.
struct Identity {
  std::string principal;
  bus::CurveKeys keys;
};

// <dir>/<principal>.key
std::string SecretKeyFile(const std::string& dir, std::string_view principal);
// <dir>/public.toml
std::string PublicListFile(const std::string& dir);
// Reads a secret key file. Refuses one that others can read (any world permission bit; a group
// permission bit, but for group read on a file of root's, as root:lotse 0640),
// one whose public and secret halves do not belong together, and one of another principal than
// `expected` (if given), naming the file and what to do.
absl::StatusOr<Identity> ReadIdentity(const std::string& path, std::string_view expected = {});
// The [keys.public] table of a public list file.
absl::StatusOr<std::map<std::string, std::string>> ReadPublicList(const std::string& path);

struct GeneratedKeyring {
  std::vector<std::string> created;  // principals that got a new keypair
  std::vector<std::string> kept;     // principals whose secret file was there already
  std::string public_list;           // the path of public.toml
};
// Gives every principal of `config` without a secret key file in `dir` a new keypair
// (<principal>.key, mode 0600; `dir` is created 0700), keeps the existing ones, and writes
// public.toml with every public key as a [keys.public] table to paste into the config.
absl::StatusOr<GeneratedKeyring> GenerateKeyring(const config::Config& config,
                                                 const std::string& dir);

}  // namespace lotse::auth
