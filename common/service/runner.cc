#include "common/service/runner.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/ops/metrics.h"
#include "common/service/erasure.h"
#include "common/service/personal_data.h"
#include "common/service/unsafe.h"
#include "common/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "lotse/v1/common.pb.h"
#include "spdlog/spdlog.h"

namespace lotse::service {

Runner::Runner(bus::Context& context, store::Store& store, const clock::Clock& clock,
               Handler& handler, RunnerOptions options)
    : context_(context),
      store_(store),
      clock_(clock),
      handler_(handler),
      options_(std::move(options)) {}

absl::Status Runner::Start() {
  if (store_.owes_compaction()) {  // an erasure committed before a crash or stop
    CompactErased();
  }
  if (TestHooksCompiledIn()) {
    spdlog::info(
        "test build: LOTSE_UNSAFE_FAULT and LOTSE_CLOCK_FILE are honoured (a city's "
        "build, without -DLOTSE_TEST_HOOKS=ON, ignores them)");
  }
  if (const UnsafeFault fault = ActiveUnsafeFault(); fault != UnsafeFault::kNone) {
    spdlog::critical(
        "running with the deliberate fault '{}' (LOTSE_UNSAFE_FAULT): this process "
        "breaks Lotse's promises on purpose, for a test's negative control. Never "
        "run it like this for a city",
        UnsafeFaultName(fault));
  }
  if (options_.security != nullptr) {
    // Before any CURVE socket binds: without its ZAP handler every client would be refused.
    LOTSE_RETURN_IF_ERROR(options_.security->Start(context_));
  }
  options_.telemetry.service = options_.service;
  telemetry_ = std::make_unique<Telemetry>(context_, store_, options_.telemetry);
  LOTSE_RETURN_IF_ERROR(telemetry_->Start());
  LOTSE_ASSIGN_OR_RETURN(
      bus::CommandServer commands,
      bus::CommandServer::Bind(context_, options_.command_endpoint, options_.socket_options));
  commands_.emplace(std::move(commands));
  options_.expiry.trim_outbox = !options_.log_endpoint.empty();
  expiry_ = std::make_unique<Expiry>(store_, clock_, options_.expiry);
  LOTSE_RETURN_IF_ERROR(expiry_->Start());
  if (!options_.log_endpoint.empty()) {
    bus::LogSource source;
    source.stream = options_.service;
    source.epoch = store_.epoch();
    source.head = [this] { return store_.last_seq(); };
    source.read = [this](uint64_t after, size_t max_events, size_t max_bytes,
                         std::vector<std::string>* out) {
      return store_.ReadOutbox(after, max_events, max_bytes, out);
    };
    source.first = [this] { return expiry_->first_seq(); };
    if (options_.security != nullptr) {
      options_.log_options.still_admitted = [security =
                                                 options_.security.get()](std::string_view caller) {
        return security->directory().ByUserId(caller) != nullptr;
      };
    }
    LOTSE_ASSIGN_OR_RETURN(
        bus::LogServer log,
        bus::LogServer::Bind(context_, options_.log_endpoint, options_.log_socket_options,
                             std::move(source), options_.log_options));
    log_.emplace(std::move(log));
  }
  for (const bus::ConsumerOptions& consumer_options : options_.consumers) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<store::Offset> offset,
                           store_.GetOffset(consumer_options.stream));
    const store::Offset start = offset.value_or(store::Offset{});
    spdlog::info("consuming stream '{}' from {} after seq {}", consumer_options.stream,
                 consumer_options.endpoint, start.seq);
    auto consumer =
        std::make_unique<bus::LogConsumer>(context_, consumer_options, start.seq, start.epoch);
    LOTSE_RETURN_IF_ERROR(consumer->Start());
    consumers_.push_back(std::move(consumer));
  }
  if (handler_.tick_interval() != absl::InfiniteDuration()) {
    next_tick_ = absl::Now();
  }
  rates_.assign(consumers_.size(), RateSample{});
  for (size_t i = 0; i < consumers_.size(); ++i) {
    rates_[i] = RateSample{consumers_[i]->offset(), absl::Now(), 0};
  }
  PublishView(/*force=*/true);
  return absl::OkStatus();
}

absl::Status Runner::Commit(store::Batch& batch, size_t items,
                            const std::vector<Consumed>& consumed) {
  const absl::Time start = absl::Now();
  LOTSE_RETURN_IF_ERROR(store_.Commit(batch));
  last_commit_at_ = absl::Now();
  telemetry_->Committed(items, last_commit_at_ - start);
  for (const Consumed& c : consumed) {
    telemetry_->Consumed(*c.consumer, c.deliveries);  // causes before effects, in the tap too
  }
  if (batch.events() > 0) {
    telemetry_->Produced(batch.appended(), batch.appended_kinds());
  }
  return absl::OkStatus();
}

void Runner::PublishView(bool force) {
  const absl::Time now = absl::Now();
  if (!force && now < next_publish_) {
    return;
  }
  next_publish_ = now + absl::Milliseconds(100);
  LoopView view;
  view.started = true;
  view.log_head = store_.last_seq();
  if (log_.has_value()) {
    view.acknowledged = log_->acknowledged();
  }
  view.last_commit_at = last_commit_at_;
  for (size_t i = 0; i < consumers_.size(); ++i) {
    const bus::LogConsumer& c = *consumers_[i];
    RateSample& rate = rates_[i];
    if (now - rate.at >= absl::Seconds(1)) {
      rate.rate =
          static_cast<double>(c.offset() - rate.offset) / absl::ToDoubleSeconds(now - rate.at);
      rate.offset = c.offset();
      rate.at = now;
    }
    view.consumers.push_back(LoopView::Consumer{c.stream(), c.endpoint(), c.head(), c.offset(),
                                                rate.rate, c.halt_reason(), c.last_reply_at()});
  }
  telemetry_->Publish(std::move(view));
}

void Runner::AfterCommit(const store::Batch& batch) {
  if (batch.events() > 0 && log_.has_value()) {
    log_->OnCommitted();
  }
  handler_.AfterCommit();
  if (store_.owes_compaction()) {
    CompactErased();
  }
}

void Runner::CompactErased() {
  const absl::Time start = absl::Now();
  if (absl::Status s = store_.CompactAway(); !s.ok()) {
    // The erasure itself is committed; its old bytes stay in the files until this succeeds.
    spdlog::error(
        "erased personal data is committed, but the store's files could not be "
        "rewritten yet (tried again after the next commit): {}",
        s.message());
    return;
  }
  ops::DefaultRegistry()
      .GetCounter("lotse_erasure_compactions_total",
                  "rewrites of the store's files after personal data was erased, so that no "
                  "erased byte remains on disk")
      .Add();
  spdlog::info(
      "the store's files were rewritten after an erasure in {} ms: no erased byte "
      "remains on disk",
      absl::ToInt64Milliseconds(absl::Now() - start));
}

absl::Status Runner::Serve(bool commands_readable,
                           const std::vector<bus::LogConsumer*>& consumers_readable) {
  struct Pending {
    bus::Request request;
    std::optional<std::string> reply;  // nullopt: parked by the handler
    absl::Time received;
    bool independent_of_commit = false;
  };
  std::vector<Pending> pending;
  std::vector<Consumed> consumed;
  store::Batch batch(&store_);
  const absl::Time now = clock_.Now();
  const bool held = this->held();
  // What waited for a backup's hold goes first, in the order it came.
  std::vector<bus::Request> waited;
  if (!held) {
    waited.swap(deferred_);
  }
  size_t next_waited = 0;
  while ((next_waited < waited.size() || commands_readable) &&
         pending.size() < options_.max_batch) {
    std::optional<bus::Request> request;
    if (next_waited < waited.size()) {
      request = std::move(waited[next_waited++]);
    } else {
      LOTSE_ASSIGN_OR_RETURN(request, commands_->Receive());
    }
    if (!request.has_value()) {
      break;
    }
    if (held && !request->malformed && !handler_.ServedWhileHeld(*request)) {
      deferred_.push_back(*std::move(request));
      continue;
    }
    // A request handled while the batch is still empty, that writes nothing, saw committed
    // state only: its reply stands even if the batch's commit fails (reads on a full disk).
    const bool saw_committed_state_only = batch.empty();
    std::optional<std::string> reply =
        request->malformed
            ? handler_.ErrorReply("", absl::InvalidArgumentError(
                                          "a request is one frame holding a serialized request "
                                          "message (optionally after an empty delimiter)"))
            : handler_.HandleCommand(*request, directory(), batch, now);
    pending.push_back(Pending{std::move(*request), std::move(reply), absl::Now(),
                              saw_committed_state_only && batch.empty()});
  }
  // What waited and did not fit into this batch goes first in the next one.
  for (; next_waited < waited.size(); ++next_waited) {
    deferred_.push_back(std::move(waited[next_waited]));
  }
  size_t items = pending.size();
  size_t dead_letters = 0;
  for (bus::LogConsumer* consumer : consumers_readable) {
    LOTSE_ASSIGN_OR_RETURN(std::vector<bus::Delivery> deliveries, consumer->OnReadable());
    if (deliveries.empty()) {
      continue;
    }
    dead_letters += Apply(*consumer, deliveries, batch, now);
    batch.SetOffset(consumer->stream(), store::Offset{deliveries.back().seq, consumer->epoch()});
    items += deliveries.size();
    consumed.push_back(Consumed{consumer, std::move(deliveries)});
  }
  const bool ack_first = ActiveUnsafeFault() == UnsafeFault::kAckBeforeCommit;
  const google::protobuf::Descriptor* request_type = handler_.RequestDescriptor();
  auto reply_all = [&] {
    for (const Pending& p : pending) {
      if (p.reply.has_value()) {
        // Counted before the reply leaves, so a client that scrapes after its reply sees it.
        telemetry_->CommandDone(CommandName(request_type, p.request.body),
                                absl::Now() - p.received);
        commands_->Reply(p.request.route, *p.reply);
      }
    }
  };
  if (ack_first) {
    reply_all();  // negative control only: acknowledged work is lost by a crash in the gap
    absl::SleepFor(absl::Milliseconds(100));
  }
  bool committed = true;
  if (!batch.empty()) {
    if (absl::Status s = Commit(batch, items, consumed); !s.ok()) {
      committed = false;
      if (!pending.empty()) {
        spdlog::error("{} requests were not stored and are answered with an error: {}",
                      pending.size(), s.message());
      }
      for (Pending& p : pending) {
        if (p.reply.has_value() && !p.independent_of_commit) {
          p.reply = handler_.ErrorReply(p.request.body, s);
        }
      }
      for (const Consumed& c : consumed) {
        spdlog::error("events {}..{} of stream '{}' were not stored and will be fetched again: {}",
                      c.deliveries.front().seq, c.deliveries.back().seq, c.consumer->stream(),
                      s.message());
      }
    }
  }
  if (!ack_first) {
    reply_all();
  }
  for (const Consumed& c : consumed) {
    LOTSE_RETURN_IF_ERROR(committed ? c.consumer->Committed(c.deliveries.back().seq)
                                    : c.consumer->Abandon());
  }
  if (committed) {
    for (size_t i = 0; i < dead_letters; ++i) {
      telemetry_->DeadLettered();
    }
  }
  AfterCommit(batch);
  return absl::OkStatus();
}

size_t Runner::Apply(const bus::LogConsumer& consumer, const std::vector<bus::Delivery>& deliveries,
                     store::Batch& batch, absl::Time now) {
  size_t dead_letters = 0;
  for (const bus::Delivery& d : deliveries) {
    log::ScopedContext log_context(
        d.envelope.has_value()
            ? log::Context{d.envelope->referral_id(), d.envelope->case_number(),
                           EventType(static_cast<int>(d.envelope->payload_case()))}
            : log::Context{});
    absl::Status applied = absl::DataLossError("the event bytes are not a lotse.v1.Envelope");
    // What arrives about a referral erased here is kept without its personal fields, in the
    // dead letters too.
    std::string raw = d.raw;
    if (d.envelope.has_value()) {
      lotse::v1::Envelope event = *d.envelope;
      absl::StatusOr<bool> stripped = StripIfErased(batch, event, raw);
      applied = !stripped.ok() ? stripped.status()
                : *stripped    ? handler_.ApplyEvent(event, raw, batch, now)
                               : handler_.ApplyEvent(*d.envelope, d.raw, batch, now);
    }
    if (!applied.ok()) {
      spdlog::error(
          "event {} of stream '{}' (referral {}) cannot be applied and was moved to "
          "the dead letters: {}. Inspect it with 'lotse status' and resolve by hand",
          d.seq, consumer.stream(), d.envelope.has_value() ? d.envelope->referral_id() : "unknown",
          applied.message());
      lotse::v1::DeadLetter dead;
      dead.set_event(raw);
      dead.set_reason(std::string(applied.message()));
      dead.set_at_us(clock::ToMicros(now));
      batch.Put(store::kDeadLetter, StrCat(consumer.stream(), "/", store::EncodeU64(d.seq)),
                dead.SerializeAsString());
      ++dead_letters;
    }
  }
  return dead_letters;
}

void Runner::Tick() {
  store::Batch batch(&store_);
  handler_.Tick(batch, clock_.Now());
  if (!batch.empty()) {
    if (absl::Status s = Commit(batch, 1, {}); !s.ok()) {
      spdlog::error("timer work was not stored and will be tried again: {}", s.message());
    }
  }
  AfterCommit(batch);
  telemetry_->TimerScanned();
  next_tick_ = absl::Now() + handler_.tick_interval();
}

void Runner::Expire() {
  // The outbox goes only as far as every registered consumer acknowledged; one that has not
  // fetched since we started holds it at 0.
  uint64_t acknowledged = store_.last_seq();
  if (log_.has_value()) {
    for (const std::string& consumer : options_.log_options.known_consumers) {
      const auto it = log_->acknowledged().find(consumer);
      acknowledged = std::min(acknowledged, it == log_->acknowledged().end() ? 0 : it->second);
    }
  }
  const ExpiryCounts counts = expiry_->Step(acknowledged);
  telemetry_->Expired(counts);
}

absl::Status Runner::Run(StopSignal& stop) {
  constexpr size_t kNone = SIZE_MAX;
  std::vector<size_t> consumer_items;
  while (!stop.requested()) {
    bus::Poller poller;
    const size_t signals = poller.AddFd(stop.fd());
    const size_t commands = poller.Add(commands_->socket());
    const size_t log = log_.has_value() ? poller.Add(log_->socket()) : kNone;
    // Held for a backup: no events are taken and no timers run until the hold ends.
    const bool held = this->held();
    absl::Time deadline = held ? held_until_ : std::min(next_tick_, expiry_->NextStep());
    if (!held && !deferred_.empty()) {
      deadline = absl::Now();  // what waited for a backup's hold is answered at once
    }
    if (log_.has_value()) {
      deadline = std::min(deadline, log_->NextDeadline().value_or(absl::InfiniteFuture()));
    }
    consumer_items.clear();
    for (const auto& consumer : consumers_) {
      deadline = std::min(deadline, consumer->NextDeadline());
      bus::Socket* socket = consumer->socket();
      consumer_items.push_back(socket != nullptr && !held ? poller.Add(*socket) : kNone);
    }
    LOTSE_RETURN_IF_ERROR(
        poller.Wait(std::clamp(deadline - absl::Now(), absl::ZeroDuration(), absl::Seconds(1))));
    if (poller.readable(signals)) {
      if (stop.Consume()) {
        spdlog::info("stop requested: finishing the current batch and exiting");
        break;
      }
      if (stop.TakeReload() && options_.security != nullptr) {
        options_.security->Reload();
        telemetry_->ReopenTap();
      }
    }
    // At least once a second, even when idle: watchers who left are noticed without a commit.
    telemetry_->ReadTapSubscriptions();
    // Everything that is waiting (commands and every consumer's events) goes into one batch:
    // one fsync serves them all.
    const bool commands_readable = poller.readable(commands);
    std::vector<bus::LogConsumer*> consumers_readable;
    for (size_t i = 0; i < consumers_.size(); ++i) {
      if (consumer_items[i] != kNone && poller.readable(consumer_items[i])) {
        consumers_readable.push_back(consumers_[i].get());
      }
    }
    if (commands_readable || !consumers_readable.empty() || (!deferred_.empty() && !this->held())) {
      LOTSE_RETURN_IF_ERROR(Serve(commands_readable, consumers_readable));
    }
    if (log_.has_value()) {
      if (poller.readable(log)) {
        LOTSE_RETURN_IF_ERROR(log_->HandleReadable());
      }
      log_->OnTimer();
    }
    for (const auto& consumer : consumers_) {
      LOTSE_RETURN_IF_ERROR(consumer->OnTimer());
    }
    if (absl::Now() >= next_tick_ && !this->held()) {
      Tick();
    }
    if (absl::Now() >= expiry_->NextStep() && !this->held()) {
      Expire();
    }
    PublishView(/*force=*/false);
  }
  telemetry_->Stop();
  return absl::OkStatus();
}

void Emit(store::Batch& batch, const store::Store& store, std::string_view stream, absl::Time now,
          lotse::v1::Envelope& event) {
  const uint64_t seq = batch.NextSeq();
  event.set_stream(std::string(stream));
  event.set_seq(seq);
  event.set_epoch(store.epoch());
  event.set_occurred_at_us(clock::ToMicros(now));
  event.set_event_id(absl::StrFormat("%s-%016x-%d", stream, store.epoch(), seq));
  // A referral erased here gets no personal data into the log again.
  if (absl::StatusOr<bool> erased = IsErased(batch, event.referral_id()); !erased.ok() || *erased) {
    KeepFlowMetadataOnly(event);
  }
  batch.AppendEvent(event.SerializeAsString(), static_cast<int>(event.payload_case()));
}

absl::StatusOr<std::optional<std::string>> FindStoredReply(const store::Batch& batch,
                                                           std::string_view key,
                                                           std::string_view fingerprint) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(store::kIdempotency, key));
  if (!stored.has_value() || ActiveUnsafeFault() == UnsafeFault::kNoDedup) {
    return std::nullopt;
  }
  lotse::v1::IdempotencyRecord record;
  if (!record.ParseFromString(*stored)) {
    return absl::DataLossError("a stored idempotency record is damaged");
  }
  // A record from before fingerprints were hashed holds the request itself.
  const bool same = record.request_fingerprint().size() == 32
                        ? record.request_fingerprint() == fingerprint
                        : Sha256(record.request_fingerprint()) == fingerprint;
  if (!same) {
    return absl::AlreadyExistsError(
        "this idempotency key was already used for a different request: use a new key for a "
        "new request, or repeat the original request unchanged");
  }
  return std::move(*record.mutable_reply());
}

std::string Fingerprint(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  // Only its hash is kept: the request may hold personal data, and its stored copy would
  // outlive an erasure of the referral it made.
  return Sha256(out);
}

void StoreReply(store::Batch& batch, std::string_view key, std::string_view fingerprint,
                std::string_view reply, absl::Time now) {
  lotse::v1::IdempotencyRecord record;
  record.set_request_fingerprint(std::string(fingerprint));
  record.set_reply(std::string(reply));
  record.set_stored_at_us(clock::ToMicros(now));
  batch.Put(store::kIdempotency, key, record.SerializeAsString());
}

}  // namespace lotse::service
