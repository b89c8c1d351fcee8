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
  LOTSE_ASSIGN_OR_RETURN(std::optional<Frames> frames, socket_.Receive());
  if (!frames.has_value()) {
    return std::nullopt;
  }
  Request request;
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
                             absl::Duration timeout, int retries)
    : context_(context),
      endpoint_(std::move(endpoint)),
      options_(options),
      timeout_(timeout),
      retries_(retries) {}

absl::Status CommandClient::Reconnect() {
  socket_.reset();
  LOTSE_ASSIGN_OR_RETURN(Socket socket, Socket::Create(context_, zmq::socket_type::req, options_));
  LOTSE_RETURN_IF_ERROR(socket.Connect(endpoint_));
  socket_.emplace(std::move(socket));
  return absl::OkStatus();
}

absl::StatusOr<std::string> CommandClient::Call(const std::string& request) {
  for (int attempt = 0; attempt <= retries_; ++attempt) {
    if (!socket_.has_value()) {
      LOTSE_RETURN_IF_ERROR(Reconnect());
    }
    // A REQ socket only refuses a send when its state is wrong; start over then.
    if (absl::Status s = socket_->Send({request}); !s.ok()) {
      socket_.reset();
      continue;
    }
    LOTSE_ASSIGN_OR_RETURN(bool readable, socket_->WaitReadable(timeout_));
    if (readable) {
      LOTSE_ASSIGN_OR_RETURN(std::optional<Frames> reply, socket_->Receive());
      if (reply.has_value() && reply->size() == 1) {
        return std::move(reply->front());
      }
    }
    socket_.reset();  // Lazy Pirate: a REQ socket that got no reply cannot send again
  }
  return absl::UnavailableError(StrCat("no answer from ", endpoint_, " after ", retries_ + 1,
                                             " tries: is the service running? ('lotse up' "
                                             "starts the set)"));
}

}  // namespace lotse::bus
