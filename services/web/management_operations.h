#pragma once

// The operators' page (Betrieb): what each service's ops port says (/status, /metrics), and
// what happened since someone started watching, from the growth of the services' event
// counters. Flow metadata only: kinds of events, departments, counts and times, never a
// person's data (the ops ports carry none). OpsWatch keeps the last look; the rendering
// functions are pure.

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/config/config.h"
#include "lotse/v1/ops.pb.h"

namespace lotse::web {

// One series of a Prometheus text exposition.
struct MetricSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  // The value of label `name`, "" if absent.
  std::string Label(std::string_view name) const;
};
// The samples of an exposition; comment lines and lines it cannot read are skipped.
std::vector<MetricSample> ParseMetrics(std::string_view exposition);

// What one ops port answered.
struct OpsAnswer {
  int status = 0;  // HTTP status; 0: no answer
  std::string body;
  std::string error;  // why no answer
};
// Asks a service's ops port for `path` ("/status", "/metrics").
using OpsFetch = std::function<OpsAnswer(config::Service service, std::string_view path)>;
// The real one: HTTP to the ops host and port of the config, with short timeouts.
OpsFetch HttpOpsFetch(const config::Config& config);

struct ServiceState {
  std::string service;  // "intake"
  bool up = false;      // its ops port answered with a status
  std::string problem;  // why not
  lotse::v1::ServiceStatus status;
  std::vector<MetricSample> metrics;
  // Since the look before: commands answered and events logged per minute; nullopt at the first.
  std::optional<double> commands_per_minute;
  std::optional<double> events_per_minute;
};

// Something that happened between two looks: `count` events of one kind.
struct OpsEvent {
  absl::Time from, to;
  std::string service;
  std::string kind;    // German: "Anfrage zugewiesen", "Frist überschritten"
  std::string detail;  // the department or KAM where the counter names one, else ""
  uint64_t count = 0;
};

struct OpsSnapshot {
  absl::Time at;
  absl::Time watching_since;
  std::vector<ServiceState> services;
  std::vector<OpsEvent> recent;  // newest first
};

// Looks at every service's ops port, at most once per `min_interval` (later callers get the
// same look), and remembers the events between looks (at most kMaxOpsEvents). Thread-safe: the
// HTTP server's threads share one.
class OpsWatch {
 public:
  explicit OpsWatch(OpsFetch fetch, absl::Duration min_interval = absl::Seconds(2));
  OpsWatch(const OpsWatch&) = delete;
  OpsWatch& operator=(const OpsWatch&) = delete;
  ~OpsWatch() = default;

  OpsSnapshot Look(absl::Time now);

 private:
  std::mutex mu_;
  OpsFetch fetch_;
  absl::Duration min_interval_;
  std::optional<OpsSnapshot> last_;
  std::map<std::string, double> counters_;  // "<service>\t<series>" -> value at the last look
  std::deque<OpsEvent> events_;
};
inline constexpr size_t kMaxOpsEvents = 50;

// The German name of an event type ("referral_routed" -> "Anfrage zugewiesen").
std::string EventKindName(std::string_view type);

// `name_of` gives a department's or KAM's name for its id (the id if unknown).
using UnitNamer = std::function<std::string(std::string_view id)>;

// The part of the page that refreshes: services, backlogs and queues, recent events, events
// since start.
std::string OpsLiveHtml(const OpsSnapshot& snapshot, const absl::TimeZone& zone,
                        const UnitNamer& name_of);
// One sentence on the state of the set, for the status line ("Alle 4 Dienste laufen.").
std::string OpsSummary(const OpsSnapshot& snapshot);
// The page's main content: the status line, the live switch, the live part.
std::string OpsMain(const OpsSnapshot& snapshot, const absl::TimeZone& zone,
                    const UnitNamer& name_of);
// /betrieb.json: {"stand": "12:40:05", "zusammenfassung": ..., "html": <OpsLiveHtml>}.
std::string OpsJson(const OpsSnapshot& snapshot, const absl::TimeZone& zone,
                    const UnitNamer& name_of);

}  // namespace lotse::web
