#include "common/client/client.h"

#include <sodium.h>

#include <random>
#include <utility>

#include "common/bus/command.h"
#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::client {
namespace {

// Parses a reply and checks that it answers `request_id`.
template <typename Reply>
absl::StatusOr<Reply> ParseReply(const std::string& bytes, std::string_view request_id,
                                 std::string_view endpoint) {
  Reply reply;
  if (!reply.ParseFromString(bytes)) {
    return absl::DataLossError(StrCat("the answer from ", endpoint, " is not a ",
                                      Reply::descriptor()->full_name(),
                                      ": is another program listening there? Check --port-base"));
  }
  if (reply.request_id() != request_id) {
    return absl::DataLossError(StrCat("the answer from ", endpoint, " belongs to request '",
                                      reply.request_id(), "', not to ours ('", request_id,
                                      "'): try again"));
  }
  return reply;
}

}  // namespace

std::string RandomHex(size_t chars) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::random_device device;
  std::string out;
  out.reserve(chars);
  while (out.size() < chars) {
    uint32_t bits = device();
    for (int i = 0; i < 8 && out.size() < chars; ++i, bits >>= 4) {
      out += kDigits[bits & 0xF];
    }
  }
  return out;
}

std::string RandomPassword() {
  constexpr std::string_view kAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";  // 32: 5 bits each
  if (sodium_init() < 0) {
    std::abort();  // no source of randomness: no password may be made
  }
  std::string out;
  for (int i = 0; i < 20; ++i) {
    if (i > 0 && i % 5 == 0) {
      out += '-';
    }
    out += kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))];
  }
  return out;
}

absl::StatusOr<Credentials> Credentials::Load(const config::Config& config,
                                              IdentityOptions options) {
  config::Config with_keys = config;
  if (!options.keys_dir.empty()) {
    with_keys.keys.dir = options.keys_dir;
  }
  options.keys_dir = with_keys.keys.Dir(with_keys.data_dir);
  Credentials credentials;
  std::vector<std::string> ignored;
  LOTSE_ASSIGN_OR_RETURN(credentials.directory_,
                         auth::Directory::Load(with_keys, /*strict=*/false, &ignored));
  credentials.options_ = std::move(options);
  return credentials;
}

absl::StatusOr<bus::CurveOptions> Credentials::For(std::string_view principal,
                                                   config::Service service) const {
  return For(principal, config::ServiceName(service));
}

absl::StatusOr<bus::CurveOptions> Credentials::For(std::string_view principal,
                                                   std::string_view server_id) const {
  const bool own_file = !options_.identity_file.empty();
  LOTSE_ASSIGN_OR_RETURN(
      auth::Identity identity,
      own_file ? auth::ReadIdentity(options_.identity_file)
               : auth::ReadIdentity(auth::SecretKeyFile(options_.keys_dir, principal), principal));
  const auth::Principal* server = directory_->ById(server_id);
  if (server == nullptr || server->public_key.empty()) {
    return absl::FailedPreconditionError(StrCat("the key list names no key for ", server_id));
  }
  bus::CurveOptions curve;
  curve.public_key = identity.keys.public_key;
  curve.secret_key = identity.keys.secret_key;
  curve.server_key = server->public_key;
  return curve;
}

std::string PrincipalFor(const lotse::v1::Actor& actor) {
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_OPS:
      return "ops";
    case lotse::v1::ACTOR_KIND_ADMIN:
      return "admin";
    default:
      return actor.id();
  }
}

Client::Client(config::Network network, ClientOptions options,
               absl::StatusOr<Credentials> credentials)
    : network_(std::move(network)), options_(options), credentials_(std::move(credentials)) {}

Client::Peer Client::PeerOf(const config::Network& network, config::Service service) {
  return {network.CommandEndpoint(service), std::string(config::ServiceName(service))};
}

absl::StatusOr<std::string> Client::Send(const Peer& peer, const lotse::v1::Actor& actor,
                                         const std::string& bytes, absl::Duration extra_wait) {
  bus::SocketOptions socket_options;
  socket_options.linger_ms = 0;  // a request nobody answered is not worth waiting for at exit
  socket_options.max_message_bytes = options_.max_message_bytes;
  LOTSE_RETURN_IF_ERROR(credentials_.status());
  LOTSE_ASSIGN_OR_RETURN(socket_options.curve,
                         credentials_->For(PrincipalFor(actor), std::string_view(peer.server)));
  bus::CommandClient client(context_, peer.endpoint, socket_options, options_.timeout + extra_wait,
                            options_.retries, peer.server);
  return client.Call(bytes);
}

template <typename Reply, typename Request>
absl::StatusOr<Reply> Client::Exchange(const Peer& peer, Request& request,
                                       absl::Duration extra_wait) {
  request.set_request_id(RandomHex(16));
  LOTSE_ASSIGN_OR_RETURN(std::string bytes,
                         Send(peer, request.actor(), request.SerializeAsString(), extra_wait));
  return ParseReply<Reply>(bytes, request.request_id(), peer.endpoint);
}

absl::StatusOr<lotse::v1::IntakeReply> Client::Call(lotse::v1::IntakeRequest request) {
  return Exchange<lotse::v1::IntakeReply>(PeerOf(network_, config::Service::kIntake), request);
}

absl::StatusOr<lotse::v1::RoutingReply> Client::Call(lotse::v1::RoutingRequest request) {
  return Exchange<lotse::v1::RoutingReply>(PeerOf(network_, config::Service::kRouting), request);
}

absl::StatusOr<lotse::v1::AuditReply> Client::Call(lotse::v1::AuditRequest request) {
  return Exchange<lotse::v1::AuditReply>(PeerOf(network_, config::Service::kAudit), request);
}

absl::StatusOr<lotse::v1::NotificationReply> Client::Call(lotse::v1::NotificationRequest request) {
  return Exchange<lotse::v1::NotificationReply>(PeerOf(network_, config::Service::kNotification),
                                                request,
                                                absl::Milliseconds(request.inbox().wait_ms()));
}

absl::StatusOr<lotse::v1::AccountReply> Client::Call(lotse::v1::AccountRequest request) {
  absl::StatusOr<lotse::v1::AccountReply> reply =
      Exchange<lotse::v1::AccountReply>({network_.WebCommandEndpoint(), "web"}, request);
  if (reply.status().code() == absl::StatusCode::kPermissionDenied) {
    return absl::PermissionDeniedError(
        StrCat("lotse-web's accounts door at ", network_.WebCommandEndpoint(),
               " admits the admin's key only, and refused this one: run 'lotse users' where "
               "the admin's key is (--keys DIR with admin.key in it, or --identity FILE)"));
  }
  return reply;
}

}  // namespace lotse::client
