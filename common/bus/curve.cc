#include "common/bus/curve.h"

#include <array>
#include <cstring>
#include <utility>

#include "common/format.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::bus {
namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr size_t kZ85KeyLength = 40;

}  // namespace

absl::StatusOr<CurveKeys> NewCurveKeys() {
  std::array<char, kZ85KeyLength + 1> public_key{};
  std::array<char, kZ85KeyLength + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    return absl::InternalError(StrCat("cannot make a CurveZMQ keypair: ", zmq_strerror(errno),
                                      " (libzmq without libsodium?)"));
  }
  return CurveKeys{public_key.data(), secret_key.data()};
}

bool IsZ85Key(std::string_view key) {
  if (key.size() != kZ85KeyLength) {
    return false;
  }
  const std::string text(key);
  std::array<uint8_t, 32> bytes{};
  return zmq_z85_decode(bytes.data(), text.c_str()) != nullptr;
}

absl::StatusOr<std::string> PublicKeyOf(std::string_view secret_key) {
  if (!IsZ85Key(secret_key)) {
    return absl::InvalidArgumentError("a secret key is 40 characters of Z85");
  }
  const std::string secret(secret_key);
  std::array<char, kZ85KeyLength + 1> public_key{};
  if (zmq_curve_public(public_key.data(), secret.c_str()) != 0) {
    return absl::InvalidArgumentError(StrCat("not a CurveZMQ secret key: ", zmq_strerror(errno)));
  }
  return std::string(public_key.data());
}

UserId UserId::Parse(std::string_view text) {
  // A space: principal ids have none, and neither has Z85 (whose alphabet includes ':').
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) {
    return UserId{std::string(text), ""};
  }
  return UserId{std::string(text.substr(0, space)), std::string(text.substr(space + 1))};
}

absl::StatusOr<std::unique_ptr<ZapHandler>> ZapHandler::Start(Context& context, Policy policy) {
  SocketOptions options;
  options.linger_ms = 0;
  LOTSE_ASSIGN_OR_RETURN(Socket socket, Socket::Create(context, zmq::socket_type::rep, options));
  LOTSE_RETURN_IF_ERROR(socket.Bind(kZapEndpoint));
  std::unique_ptr<ZapHandler> handler(new ZapHandler(std::move(policy)));
  handler->socket_.emplace(std::move(socket));
  handler->thread_ = std::thread([h = handler.get()] { h->Serve(*h->socket_); });
  return handler;
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  socket_.reset();
}

void ZapHandler::SetPolicy(Policy policy) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_ = std::move(policy);
}

std::optional<std::string> ZapHandler::Decide(std::string_view domain,
                                              std::string_view client_key,
                                              std::string_view address) {
  std::lock_guard<std::mutex> lock(mutex_);
  return policy_(domain, client_key, address);
}

void ZapHandler::Serve(Socket& socket) {
  while (!stop_) {
    absl::StatusOr<bool> readable = socket.WaitReadable(absl::Milliseconds(200));
    if (!readable.ok()) {
      if (!absl::IsCancelled(readable.status())) {
        spdlog::error("the ZAP handler stopped: {}; no client can connect any more",
                      readable.status().message());
      }
      return;
    }
    if (!*readable) {
      continue;
    }
    absl::StatusOr<std::optional<Frames>> request = socket.Receive();
    if (!request.ok() || !request->has_value()) {
      continue;
    }
    // RFC 27: version, request id, domain, address, routing id, mechanism, credentials...
    const Frames& f = **request;
    Frames reply = {"1.0", f.size() > 1 ? f[1] : "", "400", "refused", "", ""};
    if (f.size() >= 7 && f[0] == "1.0" && f[5] == "CURVE" && f[6].size() == 32) {
      std::array<char, kZ85KeyLength + 1> z85{};
      zmq_z85_encode(z85.data(), reinterpret_cast<const uint8_t*>(f[6].data()), 32);
      if (std::optional<std::string> user = Decide(f[2], z85.data(), f[3]); user.has_value()) {
        reply[2] = "200";
        reply[3] = "OK";
        reply[4] = *std::move(user);
        ++admitted_;
      } else {
        ++refused_;
      }
    } else {
      ++refused_;
    }
    if (absl::Status s = socket.Send(reply); !s.ok()) {
      spdlog::warn("the ZAP handler could not answer a handshake: {}", s.message());
    }
  }
}

absl::StatusOr<HandshakeWatch> HandshakeWatch::Attach(Context& context, Socket& socket) {
  static std::atomic<uint64_t> next{0};
  const std::string endpoint = StrCat("inproc://lotse-handshake-", ++next);
  constexpr int kEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                          ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                          ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
  void* watched = socket.raw().handle();
  if (zmq_socket_monitor(watched, endpoint.c_str(), kEvents) != 0) {
    return absl::InternalError(StrCat("cannot watch a socket's handshakes: ", zmq_strerror(errno)));
  }
  SocketOptions options;
  options.linger_ms = 0;
  absl::StatusOr<Socket> monitor = Socket::Create(context, zmq::socket_type::pair, options);
  absl::Status connected = monitor.ok() ? monitor->Connect(endpoint) : monitor.status();
  if (!connected.ok()) {
    zmq_socket_monitor(watched, nullptr, 0);  // before `monitor` closes
    return connected;
  }
  return HandshakeWatch(watched, *std::move(monitor));
}

HandshakeWatch::HandshakeWatch(HandshakeWatch&& other) noexcept
    : watched_(std::exchange(other.watched_, nullptr)),
      monitor_(std::move(other.monitor_)),
      outcome_(other.outcome_) {}

HandshakeWatch& HandshakeWatch::operator=(HandshakeWatch&& other) noexcept {
  if (this != &other) {
    Stop();
    watched_ = std::exchange(other.watched_, nullptr);
    monitor_ = std::move(other.monitor_);
    outcome_ = other.outcome_;
  }
  return *this;
}

HandshakeWatch::~HandshakeWatch() { Stop(); }

void HandshakeWatch::Stop() {
  if (watched_ == nullptr) {
    return;
  }
  Poll();  // what is queued, so that no send of the I/O thread waits while the monitor ends
  zmq_socket_monitor(watched_, nullptr, 0);  // no event is sent after this returns
  watched_ = nullptr;
}

HandshakeWatch::Outcome HandshakeWatch::Poll() {
  while (true) {
    absl::StatusOr<std::optional<Frames>> event = monitor_.Receive();
    if (!event.ok() || !event->has_value()) {
      return outcome_;
    }
    const Frames& f = **event;
    if (f.empty() || f[0].size() < 6) {
      continue;
    }
    uint16_t id = 0;
    std::memcpy(&id, f[0].data(), sizeof(id));
    switch (id) {
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        outcome_ = Outcome::kSucceeded;
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        outcome_ = Outcome::kRefused;
        break;
      default:
        outcome_ = Outcome::kFailed;
        break;
    }
  }
}

}  // namespace lotse::bus
