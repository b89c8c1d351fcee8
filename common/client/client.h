#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/keyring.h"
#include "common/bus/socket.h"
#include "common/config/config.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"
#include "lotse/v1/web.pb.h"

namespace lotse::client {

// `chars` random lowercase hex digits from std::random_device, e.g. for idempotency keys and
// request ids.
std::string RandomHex(size_t chars);

// A new random password for a web account: 20 characters from an alphabet without look-alikes
// (no 0/O, 1/l/I), 100 bits from libsodium, grouped by dashes every 5 for reading aloud
// ("k7qmx-3rtw9-...").
std::string RandomPassword();

struct ClientOptions {
  absl::Duration timeout = absl::Seconds(3);  // per try
  int retries = 3;                            // tries after the first
  int max_message_bytes = 1 << 20;
};

// Where the CLI takes its keys from: one identity file for everything (a terminal's own key,
// --identity or $LOTSE_IDENTITY), else the local keyring (--keys, $LOTSE_KEYS, else the
// config's keys dir, ./var/keys next to `lotse up`), from which it picks the key of the
// principal a command acts as.
struct IdentityOptions {
  std::string identity_file;
  std::string keys_dir;
};

// The keys the CLI proves itself with and the services' public keys it pins.
// Immutable after Load.
class Credentials {
 public:
  static absl::StatusOr<Credentials> Load(const config::Config& config, IdentityOptions options);
  // Curve options to talk to `service` as `principal` ("bb-mitte", "ops", "admin").
  absl::StatusOr<bus::CurveOptions> For(std::string_view principal, config::Service service) const;
  // The same for the server whose principal id is `server` ("web").
  absl::StatusOr<bus::CurveOptions> For(std::string_view principal, std::string_view server) const;

 private:
  IdentityOptions options_;
  std::shared_ptr<const auth::Directory> directory_;
};

// The principal whose key a request acting as `actor` needs.
std::string PrincipalFor(const lotse::v1::Actor& actor);

// Talks to the command endpoints of the services and lotse-web's accounts door, one request at a
// time, with Lazy Pirate retries (bus::CommandClient): every retry sends the same request bytes, so
// a changing command that carries an idempotency key never acts twice. Owns the process's one
// bus::Context; one per process, used from one thread.
class Client {
 public:
  // `credentials` not OK: every call fails with its status (no keyring to talk with).
  Client(config::Network network, ClientOptions options, absl::StatusOr<Credentials> credentials);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() = default;

  // Sends `request` with a fresh random request_id and returns the reply, which may carry a
  // structured error from the service. Returns UnavailableError when no reply came (the message
  // names the endpoint and says what to do), DataLossError when the reply is not a reply of that
  // service or answers another request.
  absl::StatusOr<lotse::v1::IntakeReply> Call(lotse::v1::IntakeRequest request);
  absl::StatusOr<lotse::v1::RoutingReply> Call(lotse::v1::RoutingRequest request);
  absl::StatusOr<lotse::v1::AuditReply> Call(lotse::v1::AuditRequest request);
  // An inbox read that may wait on the service for `request.inbox().wait_ms()` before it
  // answers: each try waits that much longer than the usual timeout.
  absl::StatusOr<lotse::v1::NotificationReply> Call(lotse::v1::NotificationRequest request);
  // lotse-web's accounts (`lotse users`, as admin).
  absl::StatusOr<lotse::v1::AccountReply> Call(lotse::v1::AccountRequest request);

 private:
  // A command endpoint and the principal id of the server behind it ("intake", "web").
  struct Peer {
    std::string endpoint;
    std::string server;
  };
  static Peer PeerOf(const config::Network& network, config::Service service);

  absl::StatusOr<std::string> Send(const Peer& peer, const lotse::v1::Actor& actor,
                                   const std::string& bytes, absl::Duration extra_wait);
  // Gives `request` a fresh request id, sends it to `peer` and parses the reply.
  template <typename Reply, typename Request>
  absl::StatusOr<Reply> Exchange(const Peer& peer, Request& request,
                                 absl::Duration extra_wait = absl::ZeroDuration());

  bus::Context context_;  // before every socket
  config::Network network_;
  ClientOptions options_;
  absl::StatusOr<Credentials> credentials_;
};

}  // namespace lotse::client
