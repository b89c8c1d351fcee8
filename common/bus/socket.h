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

// CurveZMQ on one socket (keys in Z85). A server (no server_key) lets the process's ZapHandler
// decide on each client under `zap_domain`, its door; a client pins the server's public key, so
// nobody else can answer in the server's place. Empty secret_key: no security (NULL mechanism),
// only for tests of the bus itself.
struct CurveOptions {
  std::string public_key;
  std::string secret_key;
  std::string server_key;  // client only
  std::string zap_domain;  // server only
  bool enabled() const { return !secret_key.empty(); }
  bool server() const { return enabled() && server_key.empty(); }
};

struct SocketOptions {
  int linger_ms = 1000;                  // libzmq's default of -1 hangs shutdown on a dead peer
  int64_t max_message_bytes = 1 << 20;   // larger messages are dropped by libzmq
  int send_hwm = 10000;
  int receive_hwm = 10000;
  int heartbeat_ivl_ms = 2000;           // ZMTP PING; a silent peer is dropped after the timeout
  int heartbeat_timeout_ms = 6000;
  bool router_mandatory = true;          // report unroutable replies instead of dropping them
  CurveOptions curve;
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
  // Receives one whole multipart message without blocking; nullopt if none is waiting. With
  // `user_id`, also the ZAP User-Id of the connection it came on ("" without one).
  absl::StatusOr<std::optional<Frames>> Receive(std::string* user_id = nullptr);
  // Waits up to `timeout` for a message to arrive.
  absl::StatusOr<bool> WaitReadable(absl::Duration timeout);

  zmq::socket_t& raw() { return socket_; }

 private:
  explicit Socket(zmq::socket_t socket) : socket_(std::move(socket)) {}
  zmq::socket_t socket_;
};

// Waits on several sockets (and file descriptors) at once: the one place outside Socket that
// polls. Items are numbered in the order they were added. Owned by one thread.
class Poller {
 public:
  size_t Add(Socket& socket);
  size_t AddFd(int fd);
  // Waits up to `timeout` (zero: just looks) for any item to become readable. An interrupted
  // wait (EINTR) counts as nothing readable; ETERM is CancelledError.
  absl::Status Wait(absl::Duration timeout);
  bool readable(size_t item) const { return (items_[item].revents & ZMQ_POLLIN) != 0; }

 private:
  std::vector<zmq::pollitem_t> items_;
};

// Converts a cppzmq exception into a Status naming `what`.
absl::Status FromZmq(const zmq::error_t& e, std::string_view what);

}  // namespace lotse::bus
