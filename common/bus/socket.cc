#include "common/bus/socket.h"

#include "common/format.h"

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

absl::StatusOr<std::optional<Frames>> Socket::Receive() {
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
    return frames;
  } catch (const zmq::error_t& e) {
    return FromZmq(e, "receiving");
  }
}

absl::StatusOr<bool> Socket::WaitReadable(absl::Duration timeout) {
  try {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    const int rc = zmq::poll(&item, 1, std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
    return rc > 0 && (item.revents & ZMQ_POLLIN) != 0;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) {
      return false;
    }
    return FromZmq(e, "waiting for a reply");
  }
}

}  // namespace lotse::bus
