#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/bus/event_log.h"
#include "common/bus/socket.h"
#include "common/ops/metrics.h"
#include "common/service/expiry.h"
#include "common/store/store.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/ops.pb.h"

namespace httplib {
class Server;
}

namespace lotse::service {

// A counter of the events a service produces, in series labelled from each event (e.g.
// routing's SLA escalations per department and level). Counted after the commit that logs the
// event, as lotse_events_produced_total is.
struct EventCounter {
  std::string name;
  std::string help;
  int payload_case = 0;  // the events it counts: lotse.v1.Envelope's payload case
  std::function<ops::Labels(const lotse::v1::Envelope&)> labels;
  std::vector<ops::Labels> initial;  // series that start at 0, before their first event
};

struct TelemetryOptions {
  std::string service;
  std::string ops_host;       // the ops HTTP server binds here
  int ops_port = 0;           // 0: no ops HTTP server
  std::string tap_endpoint;   // empty: no live tap
  bus::CurveOptions tap_curve;  // the tap's door (ops and admin only)
  uint64_t ready_max_lag = 10000;
  absl::Duration ready_max_silence = absl::Seconds(5);
  std::vector<EventCounter> event_counters;  // the service's own counts of what it produces
};

// What the service thread last published about its loop, for scrapes on other threads.
struct LoopView {
  bool started = false;
  uint64_t log_head = 0;
  std::map<std::string, uint64_t> acknowledged;  // consumers of our log -> acknowledged seq
  struct Consumer {
    std::string stream;
    std::string endpoint;
    uint64_t head = 0;
    uint64_t offset = 0;
    double rate_per_s = 0;
    std::string halt_reason;  // empty: not halted
    absl::Time last_reply_at;
  };
  std::vector<Consumer> consumers;
  absl::Time last_commit_at = absl::InfinitePast();
};

// A service's window for operators: metrics (Prometheus text), /healthz, /readyz and /status on
// its ops HTTP port, and the live tap (XPUB) of every committed event. The service thread calls
// the hooks (cheap: atomics; while someone subscribes to the tap, one send per event); the HTTP server runs on its own threads
// and reads only what the service thread published (Publish) plus thread-safe store figures.
class Telemetry {
 public:
  Telemetry(bus::Context& context, const store::Store& store, TelemetryOptions options);
  ~Telemetry();  // stops the HTTP server before anything it reads goes away
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // Binds the ops port and the tap; an address in use is an error that names the port.
  absl::Status Start();
  // Closes the live tap and opens it again, so that every watcher connects and proves its key
  // anew: after SIGHUP, a key removed from the list no longer watches.
  void ReopenTap();
  void Stop();

  // Hooks, on the service thread.
  void CommandDone(std::string_view command, absl::Duration latency);
  void Committed(size_t items, absl::Duration took);
  void Consumed(const bus::LogConsumer& consumer, const std::vector<bus::Delivery>& deliveries);
  void Produced(const std::vector<std::string>& events, const std::vector<int>& payload_cases);
  void DeadLettered();
  // Keys the retention housekeeping deleted (lotse_expired_total).
  void Expired(const ExpiryCounts& counts);
  void TimerScanned();
  // Reads the live tap's (un)subscriptions that arrived; the runner calls it once per loop,
  // before handling what woke it. Consumed and Produced build tap records only while someone
  // subscribes.
  void ReadTapSubscriptions();
  void Publish(LoopView view);

  // Readiness now (also what /readyz answers).
  lotse::v1::Readiness Readiness() const;
  lotse::v1::ServiceStatus Status() const;

 private:
  void Collect(ops::Sample& sample) const;
  void Tap(lotse::v1::TapDirection direction, std::string_view stream, uint64_t seq,
           const std::string& referral_id, const std::string& raw);
  ops::Counter& ProducedCounter(int payload_case);

  bus::Context& context_;
  const store::Store& store_;
  TelemetryOptions options_;
  ops::Registry& registry_;
  ops::Histogram& commit_seconds_;
  ops::Histogram& commit_items_;
  ops::Counter& dead_letters_total_;
  ops::Counter& dead_letters_expired_;
  ops::Counter& timer_scans_total_;
  ops::Counter& tap_records_total_;
  ops::Gauge& tap_watched_;
  uint64_t dead_letters_at_start_ = 0;
  std::map<std::string, ops::Histogram*, std::less<>> command_seconds_;
  std::map<int, ops::Counter*> produced_;
  std::map<std::pair<std::string, int>, ops::Counter*> consumed_;
  absl::Status OpenTap();
  std::optional<bus::Socket> tap_;
  std::set<std::string> tap_topics_;  // subscribed to now
  bool tap_wanted_ = false;           // !tap_topics_.empty()

  mutable std::mutex mu_;
  LoopView view_;

  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  int collector_id_ = 0;
};

// The name of the command in `body` (a serialized request whose command is a oneof, e.g.
// IntakeRequest): the oneof field's name ("submit"), or "unknown".
std::string CommandName(const google::protobuf::Descriptor* request, std::string_view body);
// The payload name of an event ("referral_submitted"), or "unknown".
std::string_view EventType(int payload_case);

}  // namespace lotse::service
