#include "common/bus/command.h"

#include "common/format.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::bus {

absl::StatusOr<CommandServer> CommandServer::Bind(Context& context, const std::string& endpoint,
                                                  const SocketOptions& options) {
  LOTSE_ASSIGN_OR_RETURN(Socket socket, Socket::Create(context, zmq::socket_type::router, options));
  LOTSE_RETURN_IF_ERROR(socket.Bind(endpoint));
  return CommandServer(std::move(socket));
}

absl::StatusOr<std::optional<Request>> CommandServer::Receive() {
  Request request;
  LOTSE_ASSIGN_OR_RETURN(std::optional<Frames> frames, socket_.Receive(&request.caller));
  if (!frames.has_value()) {
    return std::nullopt;
  }
  Frames& f = *frames;
  // [identity, "", body] from REQ; [identity, body] from DEALER.
  if (f.size() == 3 && f[1].empty()) {
    request.route = {std::move(f[0]), std::string()};
    request.body = std::move(f[2]);
  } else if (f.size() == 2) {
    request.route = {std::move(f[0])};
    request.body = std::move(f[1]);
  } else {
    request.route = {std::move(f[0])};
    if (f.size() >= 2 && f[1].empty()) {
      request.route.emplace_back();
    }
    request.malformed = true;
  }
  return request;
}

void CommandServer::Reply(const Frames& route, const std::string& body) {
  Frames frames = route;
  frames.push_back(body);
  if (absl::Status s = socket_.Send(frames); !s.ok()) {
    spdlog::debug("a reply could not be sent ({}); the client will retry", s.message());
  }
}

CommandClient::CommandClient(Context& context, std::string endpoint, SocketOptions options,
                             absl::Duration timeout, int retries, std::string peer)
    : context_(context),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      timeout_(timeout),
      retries_(retries),
      peer_(std::move(peer)) {}

void CommandClient::Disconnect() {
  watch_.reset();  // first: the monitor ends while its socket is open (libzmq #3575)
  socket_.reset();
}

absl::Status CommandClient::Reconnect() {
  Disconnect();
  LOTSE_ASSIGN_OR_RETURN(Socket socket, Socket::Create(context_, zmq::socket_type::req, options_));
  if (options_.curve.enabled()) {
    LOTSE_ASSIGN_OR_RETURN(HandshakeWatch watch, HandshakeWatch::Attach(context_, socket));
    watch_.emplace(std::move(watch));
  }
  LOTSE_RETURN_IF_ERROR(socket.Connect(endpoint_));
  socket_.emplace(std::move(socket));
  return absl::OkStatus();
}

absl::StatusOr<bool> CommandClient::WaitForReply() {
  if (!watch_.has_value()) {
    return socket_->WaitReadable(timeout_);
  }
  const absl::Time deadline = absl::Now() + timeout_;
  while (true) {
    Poller poller;
    const size_t reply = poller.Add(*socket_);
    const size_t events = poller.Add(watch_->socket());
    LOTSE_RETURN_IF_ERROR(poller.Wait(deadline - absl::Now()));
    if (poller.readable(reply)) {
      return true;
    }
    if (poller.readable(events) &&
        watch_->Poll() == HandshakeWatch::Outcome::kRefused) {
      std::string_view address = endpoint_;
      if (address.starts_with("tcp://")) {
        address.remove_prefix(6);
      }
      return absl::PermissionDeniedError(
          StrCat(peer_, " at ", address, " does not admit this terminal's key ",
                 options_.curve.public_key, "; ask your administrator to list it"));
    }
    if (absl::Now() >= deadline) {
      return false;
    }
  }
}

absl::StatusOr<std::string> CommandClient::Call(const std::string& request) {
  for (int attempt = 0; attempt <= retries_; ++attempt) {
    if (!socket_.has_value()) {
      LOTSE_RETURN_IF_ERROR(Reconnect());
    }
    // A REQ socket only refuses a send when its state is wrong; start over then.
    if (absl::Status s = socket_->Send({request}); !s.ok()) {
      Disconnect();
      continue;
    }
    LOTSE_ASSIGN_OR_RETURN(bool readable, WaitForReply());
    if (readable) {
      LOTSE_ASSIGN_OR_RETURN(std::optional<Frames> reply, socket_->Receive());
      if (reply.has_value() && reply->size() == 1) {
        return std::move(reply->front());
      }
    }
    Disconnect();  // Lazy Pirate: a REQ socket that got no reply cannot send again
  }
  return absl::UnavailableError(StrCat("no answer from ", endpoint_, " after ", retries_ + 1,
                                             " tries: is the service running? ('lotse up' "
                                             "starts the set)"));
}

}  // namespace lotse::bus
