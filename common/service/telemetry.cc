#include "common/service/telemetry.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/time/clock.h"
#include "common/clock/clock.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "common/ops/process.h"
#include "common/service/errors.h"
#include "common/service/personal_data.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/wire_format_lite.h"
#include "lotse/v1/events.pb.h"
#include "spdlog/spdlog.h"

namespace lotse::service {
namespace {

using google::protobuf::internal::WireFormatLite;

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out + "\n";
}

uint64_t DirectoryBytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uint64_t size = it->file_size(size_ec);
      total += size_ec ? 0 : size;
    }
  }
  return total;
}

ops::Registry& ServiceRegistry(const std::string& service) {
  ops::Registry& registry = ops::DefaultRegistry();
  registry.SetConstantLabel("service", service);
  return registry;
}

}  // namespace

std::string CommandName(const google::protobuf::Descriptor* request, std::string_view body) {
  if (request == nullptr) {
    return "unknown";
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  while (const uint32_t tag = in.ReadTag()) {
    const google::protobuf::FieldDescriptor* field =
        request->FindFieldByNumber(static_cast<int>(WireFormatLite::GetTagFieldNumber(tag)));
    if (field != nullptr && field->containing_oneof() != nullptr) {
      return field->name();
    }
    if (!WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return "unknown";
}

std::string_view EventType(int payload_case) {
  const google::protobuf::FieldDescriptor* field =
      lotse::v1::Envelope::descriptor()->FindFieldByNumber(payload_case);
  if (field == nullptr || field->containing_oneof() == nullptr) {
    return "unknown";
  }
  return field->name();
}

Telemetry::Telemetry(bus::Context& context, const store::Store& store, TelemetryOptions options)
    : context_(context),
      store_(store),
      options_(std::move(options)),
      registry_(ServiceRegistry(options_.service)),
      commit_seconds_(registry_.GetHistogram(
          "lotse_commit_duration_seconds",
          "Time of one synced RocksDB commit (state, outbox, offsets in one WriteBatch).", {},
          ops::LatencyBuckets())),
      commit_items_(registry_.GetHistogram(
          "lotse_commit_batch_size",
          "Commands or events handled in one synced commit (group commit under load).", {},
          ops::SizeBuckets())),
      dead_letters_total_(registry_.GetCounter(
          "lotse_dead_letters_total",
          "Events moved to the dead letters since the process started (cannot be applied).")),
      dead_letters_expired_(ExpiredCounter("dead_letter")),
      timer_scans_total_(registry_.GetCounter(
          "lotse_timer_scans_total",
          "Timer scans (warnings, escalations, mail retries, expiries) since the process "
          "started; it grows steadily while the service's timers run.")),
      tap_records_total_(registry_.GetCounter(
          "lotse_tap_records_total",
          "Records sent on the live tap; they are built only while someone subscribes.")),
      tap_watched_(registry_.GetGauge("lotse_tap_watched",
                                      "1 while someone subscribes to the live tap, else 0.")) {
  (void)ops::ProcessStart();
  (void)store_.Scan(store::kDeadLetter, "", "", [this](std::string_view, std::string_view) {
    ++dead_letters_at_start_;
    return true;
  });
  registry_
      .GetGauge("lotse_build_info", "Lotse version of this process (value is always 1).",
                {{"version", std::string(Version())}})
      .Set(1);
  // Counters start at 0, so that rate() and increase() see their first increment.
  PrepareErrorMetrics();
  for (const EventCounter& counter : options_.event_counters) {
    for (const ops::Labels& labels : counter.initial) {
      registry_.GetCounter(counter.name, counter.help, labels);
    }
  }
  collector_id_ = registry_.AddCollector([this](ops::Sample& sample) { Collect(sample); });
}

Telemetry::~Telemetry() {
  Stop();
  registry_.RemoveCollector(collector_id_);
}

absl::Status Telemetry::OpenTap() {
  bus::SocketOptions socket_options;
  socket_options.linger_ms = 0;
  socket_options.send_hwm = 10000;
  socket_options.curve = options_.tap_curve;
  // An XPUB, so the service learns whether anyone listens and builds no records otherwise.
  auto socket = bus::Socket::Create(context_, zmq::socket_type::xpub, socket_options);
  if (!socket.ok()) {
    return socket.status();
  }
  if (absl::Status s = socket->Bind(options_.tap_endpoint); !s.ok()) {
    return absl::UnavailableError(StrCat("the live tap cannot listen on ", options_.tap_endpoint,
                                         ": ", s.message(),
                                         ". Is another Lotse set using these ports?"));
  }
  // Every subscription, also to a topic someone else already holds, so a new watcher always
  // re-arms the tap.
  socket->raw().set(zmq::sockopt::xpub_verbose, 1);
  tap_.emplace(std::move(*socket));
  return absl::OkStatus();
}

void Telemetry::ReopenTap() {
  if (!tap_.has_value()) {
    return;
  }
  tap_.reset();
  tap_topics_.clear();
  tap_wanted_ = false;
  tap_watched_.Set(0);
  // The old listener closes in libzmq's I/O thread: the port may stay taken for a moment.
  absl::Status opened;
  for (int attempt = 0; attempt < 40; ++attempt) {
    if ((opened = OpenTap()).ok()) {
      spdlog::info("the live tap was opened again: its watchers prove their keys anew");
      return;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  spdlog::error("{}; the live tap stays closed until the service restarts", opened.message());
}

absl::Status Telemetry::Start() {
  if (!options_.tap_endpoint.empty()) {
    LOTSE_RETURN_IF_ERROR(OpenTap());
  }
  if (options_.ops_port == 0) {
    return absl::OkStatus();
  }
  http_ = std::make_unique<httplib::Server>();
  // A few scrapes a minute: two worker threads are plenty (the default is one per core, >= 8).
  http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    lotse::v1::Liveness alive;
    alive.set_service(options_.service);
    alive.set_alive(true);
    alive.set_pid(static_cast<int32_t>(getpid()));
    res.set_content(ToJson(alive), "application/json");
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const lotse::v1::Readiness ready = Readiness();
    res.status = ready.ready() ? 200 : 503;
    res.set_content(ToJson(ready), "application/json");
  });
  http_->Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(ToJson(Status()), "application/json");
  });
  if (!http_->bind_to_port(options_.ops_host.c_str(), options_.ops_port)) {
    http_.reset();
    return absl::UnavailableError(StrCat("the ops HTTP port ", options_.ops_host, ":",
                                         options_.ops_port,
                                         " is in use. Is another Lotse set using these ports?"));
  }
  http_thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() does not stop a server whose thread has not entered its accept loop yet:
  // wait for it, so that a Stop() right after Start() (a failed start-up) cannot hang.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!http_->is_running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  spdlog::info(
      "ops: metrics and health on http://{}:{} (/metrics /healthz /readyz /status){}",
      options_.ops_host, options_.ops_port,
      options_.tap_endpoint.empty() ? "" : StrCat(", live tap on ", options_.tap_endpoint));
  return absl::OkStatus();
}

void Telemetry::Stop() {
  if (http_ != nullptr) {
    http_->stop();
    if (http_thread_.joinable()) {
      http_thread_.join();
    }
    http_.reset();
  }
}

void Telemetry::CommandDone(std::string_view command, absl::Duration latency) {
  auto it = command_seconds_.find(command);
  if (it == command_seconds_.end()) {
    it = command_seconds_
             .emplace(std::string(command),
                      &registry_.GetHistogram("lotse_command_duration_seconds",
                                              "Time from receiving a command to its reply "
                                              "(after the synced commit), per command.",
                                              {{"command", std::string(command)}},
                                              ops::LatencyBuckets()))
             .first;
  }
  it->second->Observe(absl::ToDoubleSeconds(latency));
}

void Telemetry::Committed(size_t items, absl::Duration took) {
  commit_seconds_.Observe(absl::ToDoubleSeconds(took));
  commit_items_.Observe(static_cast<double>(items));
}

void Telemetry::Consumed(const bus::LogConsumer& consumer,
                         const std::vector<bus::Delivery>& deliveries) {
  for (const bus::Delivery& d : deliveries) {
    const int type = d.envelope.has_value() ? static_cast<int>(d.envelope->payload_case()) : -1;
    ops::Counter*& counter = consumed_[{consumer.stream(), type}];
    if (counter == nullptr) {
      counter = &registry_.GetCounter(
          "lotse_events_consumed_total", "Events applied from another service's log.",
          {{"stream", consumer.stream()},
           {"type", type < 0 ? "unparsable" : std::string(EventType(type))}});
    }
    counter->Add();
    if (tap_wanted_) {
      Tap(lotse::v1::TAP_DIRECTION_CONSUMED, consumer.stream(), d.seq,
          d.envelope.has_value() ? d.envelope->referral_id() : "", d.raw);
    }
  }
}

ops::Counter& Telemetry::ProducedCounter(int payload_case) {
  ops::Counter*& counter = produced_[payload_case];
  if (counter == nullptr) {
    counter = &registry_.GetCounter("lotse_events_produced_total",
                                    "Events appended to this service's log.",
                                    {{"type", std::string(EventType(payload_case))}});
  }
  return *counter;
}

void Telemetry::Produced(const std::vector<std::string>& events,
                         const std::vector<int>& payload_cases) {
  lotse::v1::Envelope envelope;
  for (size_t i = 0; i < events.size(); ++i) {
    const int payload_case = payload_cases[i];
    ProducedCounter(payload_case).Add();
    // Parsed again only where more than its type is needed.
    const bool counted = std::any_of(
        options_.event_counters.begin(), options_.event_counters.end(),
        [payload_case](const EventCounter& c) { return c.payload_case == payload_case; });
    if (!counted && !tap_wanted_) {
      continue;
    }
    if (!envelope.ParseFromString(events[i])) {
      continue;  // we serialized it ourselves; cannot happen
    }
    for (const EventCounter& counter : options_.event_counters) {
      if (counter.payload_case == payload_case) {
        registry_.GetCounter(counter.name, counter.help, counter.labels(envelope)).Add();
      }
    }
    if (tap_wanted_) {
      Tap(lotse::v1::TAP_DIRECTION_PRODUCED, envelope.stream(), envelope.seq(),
          envelope.referral_id(), events[i]);
    }
  }
}

void Telemetry::ReadTapSubscriptions() {
  if (!tap_.has_value()) {
    return;
  }
  // The XPUB (verbose) hands over every subscription ("\x01" + topic) and, once a topic's last
  // subscriber has gone, its unsubscription ("\x00" + topic); anything else an XSUB may send
  // is skipped. A peer can also send an unsubscription for a topic it never held; then the tap
  // stays quiet until the next subscription of anyone, which re-arms it (display only).
  for (int i = 0; i < 1000; ++i) {  // bounded: a flooding peer does not stall the loop
    absl::StatusOr<std::optional<bus::Frames>> message = tap_->Receive();
    if (!message.ok() || !message->has_value()) {
      break;
    }
    if ((*message)->empty() || (*message)->front().empty()) {
      continue;
    }
    const std::string& frame = (*message)->front();
    if (frame[0] == 1) {
      tap_topics_.insert(frame.substr(1));
    } else if (frame[0] == 0) {
      tap_topics_.erase(frame.substr(1));
    }
  }
  tap_wanted_ = !tap_topics_.empty();
  tap_watched_.Set(tap_wanted_ ? 1 : 0);
}

void Telemetry::Tap(lotse::v1::TapDirection direction, std::string_view stream, uint64_t seq,
                    const std::string& referral_id, const std::string& raw) {
  lotse::v1::TapRecord record;
  record.set_service(options_.service);
  record.set_direction(direction);
  record.set_stream(std::string(stream));
  record.set_seq(seq);
  record.set_committed_at_us(clock::ToMicros(absl::Now()));
  // The tap is for operators: flow metadata only, never personal data.
  lotse::v1::Envelope event;
  if (event.ParseFromString(raw)) {
    KeepFlowMetadataOnly(event);
    record.set_event(event.SerializeAsString());
  }
  // Lossy by design: a full queue drops the record.
  (void)tap_->Send({referral_id, record.SerializeAsString()});
  tap_records_total_.Add();
}

void Telemetry::DeadLettered() { dead_letters_total_.Add(); }

void Telemetry::Expired(const ExpiryCounts& counts) {
  if (counts.outbox > 0) {
    CountExpired("outbox", counts.outbox);
  }
  if (counts.idempotency > 0) {
    CountExpired("idempotency", counts.idempotency);
  }
  if (counts.dead_letter > 0) {
    CountExpired("dead_letter", counts.dead_letter);
  }
}

void Telemetry::TimerScanned() { timer_scans_total_.Add(); }

void Telemetry::Publish(LoopView view) {
  std::lock_guard lock(mu_);
  view_ = std::move(view);
}

lotse::v1::Readiness Telemetry::Readiness() const {
  lotse::v1::Readiness out;
  out.set_service(options_.service);
  std::lock_guard lock(mu_);
  if (!view_.started) {
    out.add_reasons("starting: the store is opening and the consumers are not yet running");
  }
  const absl::Time now = absl::Now();
  for (const LoopView::Consumer& c : view_.consumers) {
    if (!c.halt_reason.empty()) {
      out.add_reasons(StrCat("the consumer of stream '", c.stream, "' is halted: ", c.halt_reason));
      continue;
    }
    if (now - c.last_reply_at > options_.ready_max_silence) {
      out.add_reasons(StrCat("the '", c.stream, "' service at ", c.endpoint,
                             " has not answered for ", absl::ToInt64Seconds(now - c.last_reply_at),
                             " s: check that it runs ('lotse status')"));
    }
    const uint64_t lag = c.head > c.offset ? c.head - c.offset : 0;
    if (lag > options_.ready_max_lag) {
      out.add_reasons(StrCat("the consumer of stream '", c.stream, "' is ", lag,
                             " events behind (bound ", options_.ready_max_lag,
                             "): it is catching up or overloaded"));
    }
  }
  if (store_.min_free_bytes() > 0) {
    const absl::StatusOr<uint64_t> free_bytes = store_.FreeDiskBytes();
    if (!free_bytes.ok() || *free_bytes < store_.min_free_bytes()) {
      out.add_reasons(StrCat("the disk of ", store_.path(),
                             " is below the free-space watermark: new work is refused until "
                             "space is freed"));
    }
  }
  out.set_ready(out.reasons_size() == 0);
  return out;
}

lotse::v1::ServiceStatus Telemetry::Status() const {
  lotse::v1::ServiceStatus out;
  const lotse::v1::Readiness ready = Readiness();
  out.set_service(options_.service);
  out.set_version(std::string(Version()));
  out.set_pid(static_cast<int32_t>(getpid()));
  out.set_started_at_us(clock::ToMicros(ops::ProcessStart()));
  out.set_uptime_s(absl::ToDoubleSeconds(absl::Now() - ops::ProcessStart()));
  out.set_data_dir(store_.path());
  out.set_data_bytes(DirectoryBytes(store_.path()));
  out.set_ready(ready.ready());
  for (const std::string& reason : ready.reasons()) {
    out.add_not_ready_reasons(reason);
  }
  out.set_ops_url(StrCat("http://", options_.ops_host, ":", options_.ops_port));
  out.set_dead_letters(dead_letters_at_start_ + dead_letters_total_.value());
  out.set_disk_free_bytes(store_.FreeDiskBytes().value_or(0));
  out.set_disk_min_free_bytes(store_.min_free_bytes());
  out.set_rss_bytes(ops::ReadProcessFigures().rss_bytes);
  std::lock_guard lock(mu_);
  out.set_last_commit_at_us(
      view_.last_commit_at == absl::InfinitePast() ? 0 : clock::ToMicros(view_.last_commit_at));
  out.set_log_head(view_.log_head);
  const absl::Time now = absl::Now();
  for (const LoopView::Consumer& c : view_.consumers) {
    lotse::v1::ConsumerStatus* s = out.add_consumers();
    s->set_consumer(options_.service);
    s->set_stream(c.stream);
    s->set_endpoint(c.endpoint);
    s->set_head(c.head);
    s->set_offset(c.offset);
    s->set_lag(c.head > c.offset ? c.head - c.offset : 0);
    s->set_rate_per_s(c.rate_per_s);
    s->set_connected(now - c.last_reply_at <= options_.ready_max_silence);
    s->set_halted(!c.halt_reason.empty());
    s->set_halt_reason(c.halt_reason);
    s->set_last_reply_at_us(clock::ToMicros(c.last_reply_at));
  }
  for (const auto& [consumer, acknowledged] : view_.acknowledged) {
    lotse::v1::LogConsumerStatus* s = out.add_log_consumers();
    s->set_consumer(consumer);
    s->set_acknowledged(acknowledged);
    s->set_lag(view_.log_head > acknowledged ? view_.log_head - acknowledged : 0);
  }
  return out;
}

void Telemetry::Collect(ops::Sample& sample) const {
  const lotse::v1::Readiness ready = Readiness();
  sample.Gauge("lotse_ready", "1 if the service is ready (see /readyz for why not).", {},
               ready.ready() ? 1 : 0);
  {
    std::lock_guard lock(mu_);
    const absl::Time now = absl::Now();
    for (const LoopView::Consumer& c : view_.consumers) {
      const ops::Labels labels = {{"stream", c.stream}};
      sample.Gauge("lotse_consumer_head_seq", "The producer's head seq at its last answer.", labels,
                   static_cast<double>(c.head));
      sample.Gauge("lotse_consumer_offset_seq",
                   "The last seq of the stream this service committed.", labels,
                   static_cast<double>(c.offset));
      sample.Gauge("lotse_consumer_lag_events",
                   "Events of the stream not yet applied (head - offset).", labels,
                   static_cast<double>(c.head > c.offset ? c.head - c.offset : 0));
      sample.Gauge("lotse_consumer_connected",
                   "1 if the producer answered within limits.ready_max_silence_ms.", labels,
                   now - c.last_reply_at <= options_.ready_max_silence ? 1 : 0);
      sample.Gauge("lotse_consumer_halted",
                   "1 if the consumer halted (epoch change, lost events): an operator must act.",
                   labels, c.halt_reason.empty() ? 0 : 1);
    }
    if (!options_.tap_endpoint.empty() || view_.log_head > 0 || !view_.acknowledged.empty()) {
      sample.Gauge("lotse_log_head_seq", "The seq of the last event in this service's log.", {},
                   static_cast<double>(view_.log_head));
    }
    for (const auto& [consumer, acknowledged] : view_.acknowledged) {
      sample.Gauge("lotse_log_acknowledged_seq",
                   "The offset each consumer of this service's log acknowledged.",
                   {{"consumer", consumer}}, static_cast<double>(acknowledged));
    }
  }
  const uint64_t dead_letters = dead_letters_at_start_ + dead_letters_total_.value();
  const uint64_t dead_letters_expired = dead_letters_expired_.value();
  sample.Gauge("lotse_dead_letters", "Events stored in the dead letters (cannot be applied).", {},
               static_cast<double>(
                   dead_letters > dead_letters_expired ? dead_letters - dead_letters_expired : 0));
  const std::vector<std::string> families = store_.FamilyNames();
  for (size_t cf = 0; cf < families.size(); ++cf) {
    const ops::Labels labels = {{"family", families[cf]}};
    sample.Gauge("lotse_rocksdb_live_data_bytes",
                 "RocksDB's estimate of live data in the SST files per family.", labels,
                 static_cast<double>(
                     store_.IntProperty(static_cast<int>(cf), "rocksdb.estimate-live-data-size")));
    sample.Gauge("lotse_rocksdb_memtable_bytes",
                 "Memory of RocksDB's memtables per family (allocated arena blocks).", labels,
                 static_cast<double>(
                     store_.IntProperty(static_cast<int>(cf), "rocksdb.cur-size-all-mem-tables")));
    sample.Gauge(
        "lotse_rocksdb_estimated_keys", "RocksDB's estimate of keys per family.", labels,
        static_cast<double>(store_.IntProperty(static_cast<int>(cf), "rocksdb.estimate-num-keys")));
    sample.Gauge("lotse_rocksdb_sst_bytes",
                 "Bytes of the family's SST files on disk (all versions RocksDB still keeps).",
                 labels,
                 static_cast<double>(
                     store_.IntProperty(static_cast<int>(cf), "rocksdb.total-sst-files-size")));
    if (store::IsBlobFamily(families[cf])) {
      sample.Gauge("lotse_rocksdb_blob_bytes",
                   "Bytes of the family's blob files on disk (large values such as attachments).",
                   labels,
                   static_cast<double>(
                       store_.IntProperty(static_cast<int>(cf), "rocksdb.total-blob-file-size")));
    }
  }
  sample.Gauge("lotse_disk_free_bytes", "Free bytes on the file system of the data directory.", {},
               static_cast<double>(store_.FreeDiskBytes().value_or(0)));
  sample.Gauge("lotse_disk_min_free_bytes",
               "Free-space watermark: below it new work is refused (limits.min_free_disk_mb).", {},
               static_cast<double>(store_.min_free_bytes()));
  const ops::ProcessFigures process = ops::ReadProcessFigures();
  sample.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
               static_cast<double>(process.rss_bytes));
  sample.Gauge("process_open_fds", "Number of open file descriptors.", {},
               static_cast<double>(process.open_fds));
  sample.Gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.", {},
               absl::ToDoubleSeconds(ops::ProcessStart() - absl::UnixEpoch()));
  sample.Counter("process_cpu_seconds_total", "User and system CPU time spent in seconds.", {},
                 process.cpu_seconds);
}

}  // namespace lotse::service
