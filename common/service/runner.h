#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/bus/command.h"
#include "common/bus/event_log.h"
#include "common/clock/clock.h"
#include "common/service/expiry.h"
#include "common/service/security.h"
#include "common/service/stop_signal.h"
#include "common/service/telemetry.h"
#include "common/store/store.h"
#include "lotse/v1/events.pb.h"

namespace lotse::service {

// The part of a service the Runner calls. Every method writes its changes into the given
// batch; the Runner commits the batch (synced) before any reply or event leaves the process.
// Contract for every method: if it fails, it has written nothing to the batch.
class Handler {
 public:
  virtual ~Handler() = default;
  // Handles one request read off the command socket (its body and the caller its connection
  // proved, to be looked up in `directory`) and returns the reply, or nullopt if the request is
  // parked: the handler answers it later through Runner::Reply (from AfterCommit or Tick).
  // Errors are replies too (a structured error), never exceptions. Services derive from
  // CommandHandler (commands.h), which implements this and the two below.
  virtual std::optional<std::string> HandleCommand(const bus::Request& request,
                                                   const auth::Directory& directory,
                                                   store::Batch& batch, absl::Time now) = 0;
  // Called after every commit and every tick: a handler with parked requests answers what it
  // can now.
  virtual void AfterCommit() {}
  // Whether `request` may be handled while the runner is held for a backup (its backup command);
  // every other request waits until the hold ends.
  virtual bool ServedWhileHeld(const bus::Request& /*request*/) const { return false; }
  // The request message type (whose command is a oneof), to name commands in the metrics.
  virtual const google::protobuf::Descriptor* RequestDescriptor() const { return nullptr; }
  // The reply for a request that could not be handled at all (wrong shape, commit failed).
  virtual std::string ErrorReply(std::string_view body, const absl::Status& status) = 0;
  // Applies one consumed event (`raw`: its bytes as the producer logged them). A non-OK status
  // sends it to the dead letters with an alarm.
  virtual absl::Status ApplyEvent(const lotse::v1::Envelope& /*event*/, std::string_view /*raw*/,
                                  store::Batch& /*batch*/, absl::Time /*now*/) {
    return absl::OkStatus();
  }
  // Periodic work such as SLA timers; called every tick_interval().
  virtual void Tick(store::Batch& /*batch*/, absl::Time /*now*/) {}
  virtual absl::Duration tick_interval() const { return absl::InfiniteDuration(); }
};

struct RunnerOptions {
  std::string service;           // also the stream name of what it produces
  std::string command_endpoint;
  std::string log_endpoint;      // empty: the service produces no events
  std::vector<bus::ConsumerOptions> consumers;
  bus::SocketOptions socket_options;      // the command endpoint
  bus::SocketOptions log_socket_options;  // the log endpoint
  bus::LogServerOptions log_options;
  // Retention of the outbox, idempotency records and dead letters (expiry.h); trim_outbox is
  // set by Start() when the service has a log endpoint.
  ExpiryOptions expiry;
  size_t max_batch = 512;        // commands or events per commit
  TelemetryOptions telemetry;    // ops HTTP port and live tap; telemetry.service is filled in
  // Our keys and the key list; the Runner starts its ZAP handler before binding and rereads
  // the list on SIGHUP. nullptr: no CURVE (tests of the runner only).
  std::shared_ptr<Security> security;
};

// The one loop of a service: polls the stop signal, the command endpoint, the log endpoint and
// its consumers; handles everything that waits (up to max_batch) into one synced commit, then
// replies, then wakes parked fetches. Owns the sockets; borrows the store, clock and handler.
// Not thread-safe: Run() on one thread.
class Runner {
 public:
  Runner(bus::Context& context, store::Store& store, const clock::Clock& clock, Handler& handler,
         RunnerOptions options);
  // Binds the endpoints and starts the consumers from their committed offsets.
  absl::Status Start();
  // Runs until `stop` fires; returns OK after a clean stop.
  absl::Status Run(StopSignal& stop);
  // Sends the reply to a request a handler parked (CommandContext::parked).
  void Reply(const bus::Frames& route, const std::string& body) { commands_->Reply(route, body); }
  // Who holds which key now (changes on SIGHUP).
  const auth::Directory& directory() const { return options_.security->directory(); }
  // Backup: takes no work (commands other than ServedWhileHeld wait, no events, no timers)
  // until Release() or `until` (real time), whichever is first.
  void Hold(absl::Time until) { held_until_ = until; }
  void Release() { held_until_ = absl::InfinitePast(); }
  bool held() const { return absl::Now() < held_until_; }
  const std::string& service() const { return options_.service; }
  // The consumers, for status and tests.
  const std::vector<std::unique_ptr<bus::LogConsumer>>& consumers() const { return consumers_; }

 private:
  // One events' source and what it delivered in this step.
  struct Consumed {
    bus::LogConsumer* consumer;
    std::vector<bus::Delivery> deliveries;
  };
  // Commits `batch` (synced) and records the commit in the metrics and the tap: `items` (the
  // commands and events it holds), the events it consumed, then the events it produced.
  absl::Status Commit(store::Batch& batch, size_t items, const std::vector<Consumed>& consumed);
  // Hands the loop's state to the telemetry (throttled), for scrapes on other threads.
  void PublishView(bool force);
  // Handles the waiting commands (up to max_batch) and the readable consumers' events into one
  // batch, commits it once (synced), then replies and acknowledges.
  absl::Status Serve(bool commands_readable,
                     const std::vector<bus::LogConsumer*>& consumers_readable);
  // Applies events to the batch; events that cannot be applied go to the dead letters.
  // Returns how many did.
  size_t Apply(const bus::LogConsumer& consumer, const std::vector<bus::Delivery>& deliveries,
               store::Batch& batch, absl::Time now);
  void Tick();
  // One bounded step of the retention housekeeping (Expiry), on the service thread.
  void Expire();
  void AfterCommit(const store::Batch& batch);
  // Rewrites the store's files after an erasure (store::Store::CompactAway); logs a failure,
  // which the next commit retries.
  void CompactErased();

  bus::Context& context_;
  store::Store& store_;
  const clock::Clock& clock_;
  Handler& handler_;
  RunnerOptions options_;
  std::optional<bus::CommandServer> commands_;
  std::optional<bus::LogServer> log_;
  std::vector<std::unique_ptr<bus::LogConsumer>> consumers_;
  absl::Time next_tick_ = absl::InfiniteFuture();
  std::unique_ptr<Telemetry> telemetry_;
  std::unique_ptr<Expiry> expiry_;
  absl::Time last_commit_at_ = absl::InfinitePast();
  absl::Time next_publish_ = absl::InfinitePast();
  struct RateSample {
    uint64_t offset = 0;
    absl::Time at;
    double rate = 0;
  };
  std::vector<RateSample> rates_;  // per consumer
  absl::Time held_until_ = absl::InfinitePast();
  // Requests that arrived while held, answered in order once the hold ends.
  std::vector<bus::Request> deferred_;
};

// Stamps `event` (stream, seq, epoch, event id, time) and appends it to the batch's outbox.
void Emit(store::Batch& batch, const store::Store& store, std::string_view stream,
          absl::Time now, lotse::v1::Envelope& event);

// Idempotency: the stored reply for `key`, nullopt if the key is new, or AlreadyExistsError if
// it was used for a different request (other fingerprint).
absl::StatusOr<std::optional<std::string>> FindStoredReply(const store::Batch& batch,
                                                           std::string_view key,
                                                           std::string_view fingerprint);
// The same, parsed as the service's reply message.
template <typename Reply>
absl::StatusOr<std::optional<Reply>> FindStoredReplyAs(const store::Batch& batch,
                                                       std::string_view key,
                                                       std::string_view fingerprint) {
  absl::StatusOr<std::optional<std::string>> stored = FindStoredReply(batch, key, fingerprint);
  if (!stored.ok()) {
    return stored.status();
  }
  if (!stored->has_value()) {
    return std::nullopt;
  }
  Reply reply;
  if (!reply.ParseFromString(**stored)) {
    return absl::DataLossError("a stored reply is damaged");
  }
  return reply;
}
// SHA-256 of the deterministic serialization of `message`, to tell a retry from a different
// request.
std::string Fingerprint(const google::protobuf::Message& message);
void StoreReply(store::Batch& batch, std::string_view key, std::string_view fingerprint,
                std::string_view reply, absl::Time now);

}  // namespace lotse::service
