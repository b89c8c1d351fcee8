#include "common/bus/event_log.h"

#include <algorithm>

#include "common/bus/curve.h"
#include "common/format.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::bus {

absl::StatusOr<LogServer> LogServer::Bind(Context& context, const std::string& endpoint,
                                          const SocketOptions& socket_options, LogSource source,
                                          LogServerOptions options) {
  LOTSE_ASSIGN_OR_RETURN(Socket socket,
                         Socket::Create(context, zmq::socket_type::router, socket_options));
  LOTSE_RETURN_IF_ERROR(socket.Bind(endpoint));
  // An answer must fit in one message on the consumer's side, or libzmq drops it silently.
  const int64_t room = socket_options.max_message_bytes - (64 << 10);
  if (room > 0 && options.max_bytes > room) {
    options.max_bytes = static_cast<uint32_t>(room);
  }
  return LogServer(std::move(socket), std::move(source), options);
}

void LogServer::SendReply(const std::string& identity, const lotse::v1::FetchReply& reply) {
  if (absl::Status s = socket_.Send({identity, reply.SerializeAsString()}); !s.ok()) {
    spdlog::debug("a fetch reply on stream {} could not be sent: {}", source_.stream, s.message());
  }
}

bool LogServer::Answer(const std::string& identity, const lotse::v1::FetchRequest& request,
                       bool force) {
  lotse::v1::FetchReply reply;
  reply.set_stream(source_.stream);
  reply.set_epoch(source_.epoch);
  reply.set_fetch_id(request.fetch_id());
  const uint64_t head = source_.head();
  reply.set_head_seq(head);
  const uint64_t first = source_.first ? source_.first() : 0;
  const bool this_log = request.epoch() == 0 || request.epoch() == source_.epoch;
  if (this_log && head > request.after_seq() && first > request.after_seq() + 1) {
    // Never a silent skip: the consumer halts with this message and an operator decides.
    reply.mutable_error()->set_code(lotse::v1::ERROR_CODE_FAILED_PRECONDITION);
    reply.mutable_error()->set_message(StrCat(
        "stream '", source_.stream, "' was trimmed: it keeps events from seq ", first, " on, and '",
        request.consumer(), "' asks for those after seq ", request.after_seq(), ". Events ",
        request.after_seq() + 1, "..", first - 1,
        " are gone (every registered consumer had acknowledged them). Restore the consumer's "
        "data directory from a backup taken with the producer's, or see the runbook"));
    SendReply(identity, reply);
    return true;
  }
  if (head > request.after_seq()) {
    const size_t max_events = std::clamp<uint32_t>(request.max_events(), 1, options_.max_events);
    const size_t max_bytes = std::clamp<uint32_t>(request.max_bytes(), 1, options_.max_bytes);
    std::vector<std::string> events;
    if (absl::Status s = source_.read(request.after_seq(), max_events, max_bytes, &events);
        !s.ok()) {
      spdlog::error("stream {}: reading the outbox for {} failed: {}", source_.stream,
                    request.consumer(), s.message());
      reply.mutable_error()->set_code(lotse::v1::ERROR_CODE_UNAVAILABLE);
      reply.mutable_error()->set_message(std::string(s.message()));
      SendReply(identity, reply);
      return true;
    }
    for (std::string& event : events) {
      reply.add_events(std::move(event));
    }
  } else if (!force) {
    return false;
  }
  SendReply(identity, reply);
  return true;
}

absl::Status LogServer::HandleReadable() {
  while (true) {
    std::string caller;
    LOTSE_ASSIGN_OR_RETURN(std::optional<Frames> frames, socket_.Receive(&caller));
    if (!frames.has_value()) {
      return absl::OkStatus();
    }
    lotse::v1::FetchRequest request;
    const std::string& identity = frames->front();
    auto refuse = [&](lotse::v1::ErrorCode code, std::string message) {
      lotse::v1::FetchReply reply;
      reply.set_fetch_id(request.fetch_id());  // 0 if the request did not parse
      reply.set_stream(source_.stream);
      reply.set_epoch(source_.epoch);
      reply.set_head_seq(source_.head());
      reply.mutable_error()->set_code(code);
      reply.mutable_error()->set_message(std::move(message));
      SendReply(identity, reply);
    };
    if (frames->size() != 2 || !request.ParseFromString((*frames)[1])) {
      refuse(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
             "not a FetchRequest: send one frame holding a serialized lotse.v1.FetchRequest");
      continue;
    }
    if (request.stream() != source_.stream) {
      refuse(lotse::v1::ERROR_CODE_NOT_FOUND,
             StrCat("this endpoint serves stream '", source_.stream, "', not '",
                          request.stream(), "': check the consumer's endpoint configuration"));
      continue;
    }
    if (!caller.empty() && options_.still_admitted && !options_.still_admitted(caller)) {
      refuse(lotse::v1::ERROR_CODE_PERMISSION_DENIED,
             StrCat("the key of '", UserId::Parse(caller).principal,
                    "' is no longer listed: ask your administrator for a key that is"));
      continue;
    }
    // On a CURVE door the ZAP handler admitted only this stream's consumers; each may speak
    // only for itself, so no consumer can move another's acknowledged offset.
    if (!caller.empty() && UserId::Parse(caller).principal != request.consumer()) {
      refuse(lotse::v1::ERROR_CODE_PERMISSION_DENIED,
             StrCat("this connection belongs to '", UserId::Parse(caller).principal,
                    "', which cannot fetch as consumer '", request.consumer(), "'"));
      continue;
    }
    // Epoch and head checks are the consumer's to make: it halts with an alarm.
    // Only the configured consumers are remembered: any client may send any name, and the
    // map must not grow with them (a tap or a benchmark is served, not recorded).
    // Its offset says nothing about this log if the consumer read a log of another epoch: it
    // then holds the trimming back until an operator has resolved its halt.
    if (options_.known_consumers.contains(request.consumer())) {
      const bool this_log = request.epoch() == 0 || request.epoch() == source_.epoch;
      const uint64_t committed =
          request.has_committed_seq() ? request.committed_seq() : request.after_seq();
      acknowledged_[request.consumer()] = this_log ? std::min(committed, source_.head()) : 0;
    }
    std::erase_if(parked_, [&](const Parked& p) { return p.identity == identity; });
    if (request.epoch() != 0 && request.epoch() != source_.epoch) {
      Answer(identity, request, /*force=*/true);
      continue;
    }
    if (!Answer(identity, request, /*force=*/false)) {
      parked_.push_back(Parked{identity, std::move(request), absl::Now() + options_.wait_bound});
    }
  }
}

void LogServer::OnCommitted() {
  std::erase_if(parked_, [&](const Parked& p) { return Answer(p.identity, p.request, false); });
}

void LogServer::OnTimer() {
  const absl::Time now = absl::Now();
  std::erase_if(parked_, [&](const Parked& p) {
    return p.deadline <= now && Answer(p.identity, p.request, /*force=*/true);
  });
}

std::optional<absl::Time> LogServer::NextDeadline() const {
  std::optional<absl::Time> next;
  for (const Parked& p : parked_) {
    if (!next.has_value() || p.deadline < *next) {
      next = p.deadline;
    }
  }
  return next;
}

LogConsumer::LogConsumer(Context& context, ConsumerOptions options, uint64_t offset,
                         uint64_t epoch)
    : context_(context), options_(std::move(options)), offset_(offset), epoch_(epoch) {
  socket_options_.router_mandatory = false;
  socket_options_.curve = options_.curve;
  socket_options_.max_message_bytes = options_.max_message_bytes;
}

absl::Status LogConsumer::Start() {
  last_reply_at_ = absl::Now();
  LOTSE_RETURN_IF_ERROR(Reconnect());
  return SendFetch(offset_);
}

absl::Status LogConsumer::Reconnect() {
  socket_.reset();
  LOTSE_ASSIGN_OR_RETURN(Socket socket,
                         Socket::Create(context_, zmq::socket_type::dealer, socket_options_));
  LOTSE_RETURN_IF_ERROR(socket.Connect(options_.endpoint));
  socket_.emplace(std::move(socket));
  return absl::OkStatus();
}

absl::Status LogConsumer::SendFetch(uint64_t after_seq) {
  if (halted()) {
    return absl::OkStatus();
  }
  lotse::v1::FetchRequest request;
  request.set_stream(options_.stream);
  request.set_epoch(epoch_);
  request.set_after_seq(after_seq);
  request.set_committed_seq(offset_);
  request.set_max_events(options_.max_events);
  request.set_max_bytes(options_.max_bytes);
  request.set_consumer(options_.consumer);
  request.set_fetch_id(++fetch_id_);
  sent_at_ = absl::Now();
  in_flight_ = true;
  // A full pipe is retried by OnTimer like a lost reply.
  (void)socket_->Send({request.SerializeAsString()});
  return absl::OkStatus();
}

void LogConsumer::Halt(std::string reason) {
  halt_reason_ = std::move(reason);
  in_flight_ = false;
  spdlog::critical("consumer of stream '{}' halted: {}", options_.stream, halt_reason_);
}

absl::StatusOr<std::vector<Delivery>> LogConsumer::OnReadable() {
  std::vector<Delivery> out;
  // While a batch is out, the next answer (to the prefetch) waits in the socket.
  while (socket_.has_value() && !applying_) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<Frames> frames, socket_->Receive());
    if (!frames.has_value()) {
      break;
    }
    lotse::v1::FetchReply reply;
    if (frames->size() != 1 || !reply.ParseFromString(frames->front())) {
      spdlog::warn("stream '{}': a reply from {} was not a FetchReply; ignored", options_.stream,
                   options_.endpoint);
      continue;
    }
    last_reply_at_ = absl::Now();  // even a stale reply shows the producer is alive
    if (reply.fetch_id() != fetch_id_ || !in_flight_ || halted()) {
      continue;  // a reply to an earlier Fetch, already resent
    }
    in_flight_ = false;
    if (reply.has_error() && reply.error().code() != lotse::v1::ERROR_CODE_UNAVAILABLE) {
      // A refusal (wrong stream, malformed fetch) will not heal by retrying.
      Halt(StrCat("the producer at ", options_.endpoint, " refused our fetch: ",
                  reply.error().message()));
      break;
    }
    if (epoch_ != 0 && reply.epoch() != epoch_) {
      Halt(StrCat("the producer's epoch changed from ", epoch_, " to ", reply.epoch(),
                        ": its log was recreated. Events may be missing; an operator must "
                        "decide how to resume (see the runbook) before this stream continues"));
      break;
    }
    if (reply.has_error()) {  // UNAVAILABLE: the producer could not read its outbox
      spdlog::warn("stream '{}': the producer could not serve a fetch: {}; retrying",
                   options_.stream, reply.error().message());
      break;  // OnTimer resends
    }
    epoch_ = reply.epoch();
    head_ = reply.head_seq();
    if (head_ < offset_) {
      Halt(StrCat("the producer's head seq ", head_, " is below our committed offset ",
                        offset_, ": the producer lost acknowledged events. Restore its data "
                        "before this stream continues"));
      break;
    }
    uint64_t expected = offset_ + 1;
    for (const std::string& raw : reply.events()) {
      Delivery d;
      lotse::v1::Envelope envelope;
      if (envelope.ParseFromString(raw)) {
        if (envelope.seq() < expected) {
          continue;  // duplicate
        }
        if (envelope.seq() > expected) {
          spdlog::warn("stream '{}': gap after seq {} (got {}); fetching again", options_.stream,
                       expected - 1, envelope.seq());
          break;
        }
        d.envelope = std::move(envelope);
      }
      d.seq = expected++;
      d.raw = raw;
      out.push_back(std::move(d));
    }
    if (!out.empty()) {
      applying_ = true;
    }
    // Asks for what follows right away: the producer prepares the next answer while our
    // service applies and commits this batch (if that commit fails, Abandon() drops it).
    LOTSE_RETURN_IF_ERROR(SendFetch(out.empty() ? offset_ : out.back().seq));
    break;
  }
  return out;
}

absl::Status LogConsumer::Committed(uint64_t seq) {
  offset_ = std::max(offset_, seq);
  applying_ = false;
  if (in_flight_) {
    // The prefetch's answer may be waiting unread: a long commit must not count as the
    // producer's silence.
    sent_at_ = absl::Now();
    return absl::OkStatus();
  }
  return SendFetch(offset_);
}

absl::Status LogConsumer::Abandon() {
  applying_ = false;
  in_flight_ = false;  // the prefetch asked for what follows the abandoned batch: ignore it
  sent_at_ = absl::Now();  // OnTimer retries after the reply timeout
  return absl::OkStatus();
}

absl::Time LogConsumer::NextDeadline() const {
  if (halted() || applying_) {
    return absl::InfiniteFuture();
  }
  if (!in_flight_) {
    return sent_at_ + absl::Milliseconds(200);
  }
  return sent_at_ + options_.wait_bound + options_.reply_timeout;
}

absl::Status LogConsumer::OnTimer() {
  if (halted() || applying_ || absl::Now() < NextDeadline()) {
    return absl::OkStatus();
  }
  if (in_flight_) {
    spdlog::info("stream '{}': no answer from {}; reconnecting", options_.stream,
                 options_.endpoint);
    LOTSE_RETURN_IF_ERROR(Reconnect());
  }
  return SendFetch(offset_);
}

}  // namespace lotse::bus
