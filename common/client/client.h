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

namespace lotse::client {

// `chars` random lowercase hex digits from std::random_device, e.g. for idempotency keys and
// request ids.
std::string RandomHex(size_t chars);

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

 private:
  IdentityOptions options_;
  std::shared_ptr<const auth::Directory> directory_;
};

// The principal whose key a request acting as `actor` needs.
std::string PrincipalFor(const lotse::v1::Actor& actor);

// Talks to the command endpoints of intake and routing, one request at a time, with Lazy Pirate
// retries (bus::CommandClient): every retry sends the same request bytes, so a changing command
// that carries an idempotency key never acts twice. Owns the process's one bus::Context; one
// per process, used from one thread.
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

 private:
  absl::StatusOr<std::string> Send(config::Service service, const lotse::v1::Actor& actor,
                                   const std::string& bytes,
                                   absl::Duration extra_wait = absl::ZeroDuration());
  // Gives `request` a fresh request id, sends it to `service` and parses the reply.
  template <typename Reply, typename Request>
  absl::StatusOr<Reply> Exchange(config::Service service, Request& request,
                                 absl::Duration extra_wait = absl::ZeroDuration());

  bus::Context context_;  // before every socket
  config::Network network_;
  ClientOptions options_;
  absl::StatusOr<Credentials> credentials_;
};

}  // namespace lotse::client
