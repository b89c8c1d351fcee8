#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/log.pb.h"

namespace lotse::bus {

// What a LogServer serves: a producer's durable outbox.
struct LogSource {
  std::string stream;  // the producing service's name
  uint64_t epoch = 0;
  std::function<uint64_t()> head;  // seq of the last committed event
  // Appends serialized events with seq in (after_seq, ...], bounded by count and bytes.
  std::function<absl::Status(uint64_t after_seq, size_t max_events, size_t max_bytes,
                             std::vector<std::string>* out)>
      read;
  // Seq of the oldest event the log still holds (older ones were trimmed); 0 or unset: the log
  // holds every event from seq 1. A consumer asking for trimmed events gets a refusal, never a
  // silent skip.
  std::function<uint64_t()> first;
};

struct LogServerOptions {
  absl::Duration wait_bound = absl::Seconds(1);  // a parked Fetch is answered empty after this
  uint32_t max_events = 1000;                    // caps what a consumer may ask for
  uint32_t max_bytes = 512 << 10;  // capped below the socket's max message size at Bind
  // Consumers whose acknowledged offsets are recorded (acknowledged()); others are served too.
  // The outbox is trimmed only below the offset every one of them acknowledged.
  std::set<std::string, std::less<>> known_consumers;
  // On a CURVE door: whether the connection tagged `caller` (its ZAP User-Id) still holds a
  // listed key, asked on every Fetch, so that a key revoked since the handshake is refused on
  // its open connection too. Unset: every admitted connection stays admitted.
  std::function<bool(std::string_view caller)> still_admitted;
};

// The producer side of the event log (ROUTER). Answers FetchRequest with the events after the
// consumer's offset, or parks the request until events are committed or the wait bound passes.
// Uses real time, never service time. Owned by the service thread; not thread-safe.
class LogServer {
 public:
  static absl::StatusOr<LogServer> Bind(Context& context, const std::string& endpoint,
                                        const SocketOptions& socket_options, LogSource source,
                                        LogServerOptions options);
  // Reads every waiting Fetch and answers or parks it.
  absl::Status HandleReadable();
  // New events were committed: answers parked requests that can now be served.
  void OnCommitted();
  // Answers parked requests whose wait bound has passed with an empty heartbeat.
  void OnTimer();
  // When OnTimer must run next, if anything is parked.
  std::optional<absl::Time> NextDeadline() const;
  // The offset each consumer acknowledged with its last Fetch (consumer name -> seq): its
  // committed offset, at most our head; 0 for a consumer of another epoch. A consumer that has
  // not fetched since this process started is absent.
  const std::map<std::string, uint64_t>& acknowledged() const { return acknowledged_; }
  Socket& socket() { return socket_; }

 private:
  struct Parked {
    std::string identity;
    lotse::v1::FetchRequest request;
    absl::Time deadline;
  };
  LogServer(Socket socket, LogSource source, LogServerOptions options)
      : socket_(std::move(socket)), source_(std::move(source)), options_(options) {}
  // Answers `request` now if it has events or `force`; returns false if it should be parked.
  bool Answer(const std::string& identity, const lotse::v1::FetchRequest& request, bool force);
  void SendReply(const std::string& identity, const lotse::v1::FetchReply& reply);

  Socket socket_;
  LogSource source_;
  LogServerOptions options_;
  std::vector<Parked> parked_;
  std::map<std::string, uint64_t> acknowledged_;
};

// One event handed to the consuming service.
struct Delivery {
  uint64_t seq = 0;
  std::optional<lotse::v1::Envelope> envelope;  // nullopt if the bytes did not parse
  std::string raw;                              // the bytes as received
};

struct ConsumerOptions {
  std::string endpoint;  // producer's log endpoint
  std::string stream;    // producer's stream name
  std::string consumer;  // our service name
  uint32_t max_events = 1000;
  uint32_t max_bytes = 512 << 10;
  absl::Duration wait_bound = absl::Seconds(1);     // what the producer parks for
  absl::Duration reply_timeout = absl::Seconds(3);  // beyond wait_bound, then reconnect
  CurveOptions curve;  // our keys and the producer's public key, which we pin
  // The largest answer we take: the producer's limit (limits.max_message_bytes), or a full
  // answer of a producer configured above 1 MiB would be dropped by libzmq again and again.
  int64_t max_message_bytes = 1 << 20;
};

// The consumer side of one producer's log (DEALER). Resumes from the offset the service
// committed, drops duplicates (seq <= offset), refetches after a gap, and halts loudly on an
// epoch mismatch or a producer head below our offset: never resets silently.
// Protocol: Start(); when socket() is readable call OnReadable(); apply what it returns and
// commit it with the offset, then call Committed(last seq) (or Abandon() if the commit failed).
// Call OnTimer() when NextDeadline() passes. Owned by the service thread; not thread-safe.
// OnReadable() already asks for the events after the batch it hands out (a prefetch), so the
// producer's answer travels while the batch is committed; every Fetch acknowledges only the
// committed offset.
class LogConsumer {
 public:
  LogConsumer(Context& context, ConsumerOptions options, uint64_t offset, uint64_t epoch);

  absl::Status Start();
  // Returns the next contiguous events to apply (empty if none yet, e.g. a heartbeat).
  absl::StatusOr<std::vector<Delivery>> OnReadable();
  // The events up to `seq` are committed; asks for more.
  absl::Status Committed(uint64_t seq);
  // The last batch was not committed; asks for it again.
  absl::Status Abandon();
  // Resends or reconnects if the producer did not answer in time.
  absl::Status OnTimer();
  absl::Time NextDeadline() const;

  bool halted() const { return !halt_reason_.empty(); }
  const std::string& halt_reason() const { return halt_reason_; }
  uint64_t offset() const { return offset_; }
  uint64_t epoch() const { return epoch_; }
  uint64_t head() const { return head_; }
  // When the producer last answered a fetch (real time); Start() time before the first answer.
  absl::Time last_reply_at() const { return last_reply_at_; }
  const std::string& stream() const { return options_.stream; }
  const std::string& endpoint() const { return options_.endpoint; }
  // nullopt while the socket is being recreated.
  Socket* socket() { return socket_.has_value() ? &*socket_ : nullptr; }

 private:
  absl::Status SendFetch(uint64_t after_seq);
  absl::Status Reconnect();
  void Halt(std::string reason);

  Context& context_;
  ConsumerOptions options_;
  SocketOptions socket_options_;
  std::optional<Socket> socket_;
  uint64_t offset_;
  uint64_t epoch_;
  uint64_t head_ = 0;
  uint64_t fetch_id_ = 0;
  bool in_flight_ = false;   // a Fetch is waiting for its reply
  bool applying_ = false;    // a batch was handed out and is not committed yet
  absl::Time sent_at_ = absl::InfinitePast();
  absl::Time last_reply_at_ = absl::Now();
  std::string halt_reason_;
};

}  // namespace lotse::bus
