#include "common/bus/socket.h"

#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::bus {

absl::Status FromZmq(const zmq::error_t& e, std::string_view what) {
  if (e.num() == ETERM) {
    return absl::CancelledError(StrCat(what, ": shutting down"));
  }
  return absl::UnavailableError(StrCat(what, ": ", e.what()));
}

absl::StatusOr<Socket> Socket::Create(Context& context, zmq::socket_type type,
                                      const SocketOptions& options) {
  try {
    zmq::socket_t socket(context.raw(), type);
    socket.set(zmq::sockopt::linger, options.linger_ms);
    socket.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
    socket.set(zmq::sockopt::sndhwm, options.send_hwm);
    socket.set(zmq::sockopt::rcvhwm, options.receive_hwm);
    socket.set(zmq::sockopt::heartbeat_ivl, options.heartbeat_ivl_ms);
    socket.set(zmq::sockopt::heartbeat_timeout, options.heartbeat_timeout_ms);
    if (type == zmq::socket_type::router && options.router_mandatory) {
      socket.set(zmq::sockopt::router_mandatory, 1);
    }
    const CurveOptions& curve = options.curve;
    if (curve.server()) {
      socket.set(zmq::sockopt::curve_server, 1);
      socket.set(zmq::sockopt::curve_secretkey, curve.secret_key);
      socket.set(zmq::sockopt::zap_domain, curve.zap_domain);
      // ZMQ_ZAP_ENFORCE_DOMAIN (93, behind the draft API in Debian's headers): without a ZAP
      // handler a client is refused, not admitted.
      constexpr int kZapEnforceDomain = 93;
      const int on = 1;
      if (zmq_setsockopt(socket.handle(), kZapEnforceDomain, &on, sizeof(on)) != 0) {
        return absl::InternalError("this libzmq cannot enforce ZAP domains (ZMQ_ZAP_ENFORCE_DOMAIN)");
      }
    } else if (curve.enabled()) {
      socket.set(zmq::sockopt::curve_serverkey, curve.server_key);
      socket.set(zmq::sockopt::curve_publickey, curve.public_key);
      socket.set(zmq::sockopt::curve_secretkey, curve.secret_key);
    }
    return Socket(std::move(socket));
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "creating a socket");
  }
}

absl::Status Socket::Bind(const std::string& endpoint) {
  try {
    socket_.bind(endpoint);
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return FromZmq(e, StrCat("cannot listen on ", endpoint,
                                   " (is another Lotse already running on this port?)"));
  }
}

absl::Status Socket::Connect(const std::string& endpoint) {
  try {
    socket_.connect(endpoint);
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return FromZmq(e, StrCat("cannot connect to ", endpoint));
  }
}

absl::Status Socket::Send(const Frames& frames) {
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      const bool last = i + 1 == frames.size();
      const zmq::send_flags flags =
          zmq::send_flags::dontwait | (last ? zmq::send_flags::none : zmq::send_flags::sndmore);
      const zmq::send_result_t sent = socket_.send(zmq::buffer(frames[i]), flags);
      if (!sent.has_value()) {
        // EAGAIN: only possible on the first frame; later frames of a message always queue.
        return absl::UnavailableError("the peer is not accepting messages right now");
      }
    }
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      return absl::UnavailableError("the peer has gone away");
    }
    return FromZmq(e, "sending");
  }
}

absl::StatusOr<std::optional<Frames>> Socket::Receive(std::string* user_id) {
  try {
    Frames frames;
    zmq::message_t message;
    if (!socket_.recv(message, zmq::recv_flags::dontwait).has_value()) {
      return std::nullopt;
    }
    frames.emplace_back(message.to_string());
    while (message.more()) {
      // The rest of a multipart message has arrived with its first frame.
      (void)socket_.recv(message, zmq::recv_flags::none);
      frames.emplace_back(message.to_string());
    }
    if (user_id != nullptr) {
      // Read from the last frame, which came off the wire (a ROUTER makes the first one up).
      // zmq_msg_gets fails (EINVAL) on a connection without ZAP: no User-Id then.
      const char* value = zmq_msg_gets(message.handle(), "User-Id");
      *user_id = value != nullptr ? value : "";
    }
    return frames;
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "receiving");
  }
}

absl::StatusOr<bool> Socket::WaitReadable(absl::Duration timeout) {
  Poller poller;
  poller.Add(*this);
  LOTSE_RETURN_IF_ERROR(poller.Wait(timeout));
  return poller.readable(0);
}

size_t Poller::Add(Socket& socket) {
  items_.push_back(zmq::pollitem_t{socket.raw().handle(), 0, ZMQ_POLLIN, 0});
  return items_.size() - 1;
}

size_t Poller::AddFd(int fd) {
  items_.push_back(zmq::pollitem_t{nullptr, fd, ZMQ_POLLIN, 0});
  return items_.size() - 1;
}

absl::Status Poller::Wait(absl::Duration timeout) {
  for (zmq::pollitem_t& item : items_) {
    item.revents = 0;
  }
  try {
    const int64_t ms = timeout <= absl::ZeroDuration() ? 0 : absl::ToInt64Milliseconds(timeout);
    zmq::poll(items_.data(), items_.size(), std::chrono::milliseconds(ms));
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) {
      return absl::OkStatus();
    }
    return FromZmq(e, "waiting for work");
  }
}

}  // namespace lotse::bus
