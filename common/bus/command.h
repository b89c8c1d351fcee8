#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/curve.h"
#include "common/bus/socket.h"

namespace lotse::bus {

// One request received on a command endpoint. `route` holds the frames needed to reply (the
// peer identity and, from REQ clients, the empty delimiter).
struct Request {
  Frames route;
  std::string body;
  std::string caller;      // the connection's ZAP User-Id; "" on a socket without CURVE
  bool malformed = false;  // wrong multipart shape; answer with an error
};

// The ROUTER side of a command endpoint: request/reply with any number of clients. Owned by
// the service thread; not thread-safe.
class CommandServer {
 public:
  static absl::StatusOr<CommandServer> Bind(Context& context, const std::string& endpoint,
                                            const SocketOptions& options);
  // Next waiting request without blocking, or nullopt.
  absl::StatusOr<std::optional<Request>> Receive();
  // Sends `body` back along `route`. A client that has gone away is not an error worth more
  // than a debug line: Lazy Pirate clients retry and get the stored reply.
  void Reply(const Frames& route, const std::string& body);
  Socket& socket() { return socket_; }

 private:
  explicit CommandServer(Socket socket) : socket_(std::move(socket)) {}
  Socket socket_;
};

// A client of a command endpoint with Lazy Pirate retries: if no reply comes within `timeout`,
// the socket is closed and opened again and the same request bytes are sent again, up to
// `retries` more times. Requests carry an idempotency key, so a retry never acts twice.
// With CURVE in `options`, a server that refuses our key is told apart from one that does not
// answer: Call() returns PermissionDeniedError as soon as the refusal arrives.
// Owned by one thread.
class CommandClient {
 public:
  // `peer` names the service in messages ("intake").
  CommandClient(Context& context, std::string endpoint, SocketOptions options,
                absl::Duration timeout, int retries, std::string peer = "the service");
  // Returns the reply body, UnavailableError naming the endpoint when no reply came, or
  // PermissionDeniedError when the server refused our key.
  absl::StatusOr<std::string> Call(const std::string& request);

 private:
  absl::Status Reconnect();
  // Closes the socket, its handshake watch first.
  void Disconnect();
  // Waits for the reply up to `timeout_`: true if it is there.
  absl::StatusOr<bool> WaitForReply();

  Context& context_;
  std::string endpoint_;
  SocketOptions options_;
  absl::Duration timeout_;
  int retries_;
  std::string peer_;
  std::optional<Socket> socket_;
  std::optional<HandshakeWatch> watch_;
};

}  // namespace lotse::bus
