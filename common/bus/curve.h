#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"

namespace lotse::bus {

// A CurveZMQ keypair, both halves in Z85 (40 characters each).
struct CurveKeys {
  std::string public_key;
  std::string secret_key;
};

// A fresh keypair from libsodium's generator (zmq_curve_keypair).
absl::StatusOr<CurveKeys> NewCurveKeys();
// True if `key` is 40 characters of Z85 that decode to 32 bytes.
bool IsZ85Key(std::string_view key);
// The public half that belongs to the Z85 secret key `secret_key`.
absl::StatusOr<std::string> PublicKeyOf(std::string_view secret_key);

// What the ZAP handler tags an admitted connection with (its ZAP User-Id), read from every
// message that arrives on it: the principal and the public key it proved, "principal key".
// With the key in it, a key that is removed or replaced while its connection stays open is
// refused from the next message on.
struct UserId {
  std::string principal;
  std::string key;
  std::string Format() const { return principal + " " + key; }
  static UserId Parse(std::string_view text);  // "" parts where absent
};

// The ZAP handler of one process (RFC 27): a REP socket on inproc://zeromq.zap.01 in the
// process's Context, answered on a thread of its own, that every CURVE server socket of the
// process asks about each connecting client. `Policy` decides: the User-Id to tag the
// connection with, or nullopt to refuse it (status 400). Every server socket sets a ZAP domain
// (its door) and ZMQ_ZAP_ENFORCE_DOMAIN, so a client is refused if no handler answers.
// Start() before any CURVE socket binds; destroy before the Context. The policy may be swapped
// from any thread (SetPolicy); the rest belongs to the thread that created it.
class ZapHandler {
 public:
  using Policy = std::function<std::optional<std::string>(std::string_view domain,
                                                          std::string_view client_key,
                                                          std::string_view address)>;
  static absl::StatusOr<std::unique_ptr<ZapHandler>> Start(Context& context, Policy policy);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Handshakes from now on are decided by `policy`.
  void SetPolicy(Policy policy);
  uint64_t admitted() const { return admitted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  explicit ZapHandler(Policy policy) : policy_(std::move(policy)) {}
  void Serve(Socket& socket);
  std::optional<std::string> Decide(std::string_view domain, std::string_view client_key,
                                    std::string_view address);

  std::mutex mutex_;
  Policy policy_;  // guarded by mutex_
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> admitted_{0};
  std::atomic<uint64_t> refused_{0};
  std::optional<Socket> socket_;  // used by thread_ only
  std::thread thread_;
};

// Watches one socket's handshakes through a socket monitor, so that a client can tell a key the
// server refused from a server that is not there. Owned by the thread that owns the socket.
//
// The watched socket must stay open until the watch is gone (destroy the watch first): the
// watch ends the monitor before it closes its own end. ZeroMQ's I/O thread sends each event with
// a blocking send, so an event for an end already closed would stop that thread for good, and
// with it every socket of the context (libzmq #3575).
class HandshakeWatch {
 public:
  enum class Outcome { kPending, kSucceeded, kRefused, kFailed };
  // Attaches to `socket` (before it connects); `Context` must outlive the watch.
  static absl::StatusOr<HandshakeWatch> Attach(Context& context, Socket& socket);
  HandshakeWatch(HandshakeWatch&& other) noexcept;
  HandshakeWatch& operator=(HandshakeWatch&& other) noexcept;
  ~HandshakeWatch();
  // Reads the events that have arrived and returns the latest handshake outcome.
  Outcome Poll();
  Socket& socket() { return monitor_; }

 private:
  HandshakeWatch(void* watched, Socket monitor) : watched_(watched), monitor_(std::move(monitor)) {}
  void Stop();

  void* watched_ = nullptr;  // the watched socket's handle; null once stopped or moved from
  Socket monitor_;
  Outcome outcome_ = Outcome::kPending;
};

}  // namespace lotse::bus
