#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "zmq.hpp"

namespace lotse::bus {

// The one ZeroMQ context of a process. Declare it before every Socket so sockets are destroyed
// first. Thread-safe (as zmq::context_t).
class Context {
 public:
  Context() : ctx_(1) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  zmq::context_t& raw() { return ctx_; }

 private:
  zmq::context_t ctx_;
};

struct SocketOptions {
  int linger_ms = 1000;                  // libzmq's default of -1 hangs shutdown on a dead peer
  int64_t max_message_bytes = 1 << 20;   // larger messages are dropped by libzmq
  int send_hwm = 10000;
  int receive_hwm = 10000;
  int heartbeat_ivl_ms = 2000;           // ZMTP PING; a silent peer is dropped after the timeout
  int heartbeat_timeout_ms = 6000;
  bool router_mandatory = true;          // report unroutable replies instead of dropping them
};

// A multipart message.
using Frames = std::vector<std::string>;

// A ZeroMQ socket with our options always set. Owned by one thread; not thread-safe.
// Every method converts zmq::error_t into a Status: ETERM becomes CancelledError.
class Socket {
 public:
  static absl::StatusOr<Socket> Create(Context& context, zmq::socket_type type,
                                       const SocketOptions& options);
  Socket(Socket&&) = default;
  Socket& operator=(Socket&&) = default;

  absl::Status Bind(const std::string& endpoint);
  absl::Status Connect(const std::string& endpoint);
  // Sends without blocking. Returns UnavailableError if the message cannot be queued now (HWM,
  // or an unroutable identity on a ROUTER).
  absl::Status Send(const Frames& frames);
  // Receives one whole multipart message without blocking; nullopt if none is waiting.
  absl::StatusOr<std::optional<Frames>> Receive();
  // Waits up to `timeout` for a message to arrive.
  absl::StatusOr<bool> WaitReadable(absl::Duration timeout);

  zmq::socket_t& raw() { return socket_; }

 private:
  explicit Socket(zmq::socket_t socket) : socket_(std::move(socket)) {}
  zmq::socket_t socket_;
};

// Converts a cppzmq exception into a Status naming `what`.
absl::Status FromZmq(const zmq::error_t& e, std::string_view what);

}  // namespace lotse::bus
