#include "services/cli/ops_commands.h"

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "common/bus/socket.h"
#include "common/client/json.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "common/service/telemetry.h"
#include "google/protobuf/util/json_util.h"
#include "lotse/v1/ops.pb.h"
#include "services/cli/command_line.h"
#include "services/cli/commands.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::ServiceStatus;

constexpr config::Service kServices[] = {config::Service::kIntake, config::Service::kRouting,
                                         config::Service::kNotification, config::Service::kAudit};

// GET /status of one service's ops port.
absl::StatusOr<ServiceStatus> FetchStatus(const config::Config& config, config::Service service) {
  const int port = config.network.OpsPort(service);
  const std::string& host = config.network.OpsHostOf(service);
  httplib::Client client(host, port);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(3, 0);
  const httplib::Result result = client.Get("/status");
  if (!result) {
    return absl::UnavailableError(StrCat("no answer on http://", host, ":", port, " (",
                                         httplib::to_string(result.error()),
                                         "): is it running? Start the set with 'lotse up'"));
  }
  if (result->status != 200) {
    return absl::UnavailableError(
        StrCat("http://", host, ":", port, "/status answered HTTP ", result->status));
  }
  ServiceStatus status;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(result->body, &status, options).ok()) {
    return absl::DataLossError(StrCat("http://", host, ":", port,
                                      "/status is not a Lotse status: is this another program?"));
  }
  return status;
}

std::string Bytes(uint64_t n) {
  if (n >= (1ULL << 30)) {
    return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1ULL << 30));
  }
  if (n >= (1ULL << 20)) {
    return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1ULL << 20));
  }
  return fmt::format("{} KiB", (n + 1023) / 1024);
}

std::string Uptime(double seconds) {
  const auto s = static_cast<int64_t>(seconds);
  if (s >= 86400) {
    return fmt::format("{}d {:02}h", s / 86400, s % 86400 / 3600);
  }
  if (s >= 3600) {
    return fmt::format("{}h {:02}m", s / 3600, s % 3600 / 60);
  }
  return fmt::format("{}m {:02}s", s / 60, s % 60);
}

int PrintJson(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = client::ToJson(message);
  if (!json.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ToStd(json.status().message())).c_str());
    return kExitUnavailable;
  }
  fmt::print("{}\n", *json);
  return kExitOk;
}

std::string_view DirectionWord(const lotse::v1::TapRecord& record) {
  if (record.direction() == lotse::v1::TAP_DIRECTION_PRODUCED) {
    return "produced";
  }
  return record.service() == "audit" ? "chained" : "consumed";
}

volatile std::sig_atomic_t interrupted = 0;
extern "C" void OnInterrupt(int /*signal*/) { interrupted = 1; }

}  // namespace

int ShowSetStatus(const config::Config& config, const absl::TimeZone& zone, bool json) {
  lotse::v1::SetStatus set;
  bool any_down = false;
  bool any_not_ready = false;
  for (config::Service service : kServices) {
    lotse::v1::SetStatus::Entry* entry = set.add_services();
    entry->set_service(std::string(config::ServiceName(service)));
    absl::StatusOr<ServiceStatus> status = FetchStatus(config, service);
    if (!status.ok()) {
      any_down = true;
      entry->set_error(std::string(ToStd(status.status().message())));
      continue;
    }
    entry->set_up(true);
    any_not_ready = any_not_ready || !status->ready();
    *entry->mutable_status() = *std::move(status);
  }
  const int code = any_down ? kExitUnavailable : any_not_ready ? kExitRefused : kExitOk;
  if (json) {
    const int printed = PrintJson(set);
    return printed != kExitOk ? printed : code;
  }
  fmt::print("{:<13} {:<10} {:<8} {:<9} {:>10} {:<20} {}\n", "SERVICE", "STATE", "VERSION",
             "UPTIME", "DATA", "LAST COMMIT", "OPS");
  for (int i = 0; i < set.services_size(); ++i) {
    const lotse::v1::SetStatus::Entry& entry = set.services(i);
    if (!entry.up()) {
      const std::string ops = StrCat("http://", config.network.OpsHostOf(kServices[i]), ":",
                                     config.network.OpsPort(kServices[i]));
      fmt::print("{:<13} {:<10} {:<8} {:<9} {:>10} {:<20} {}\n", entry.service(), "DOWN", "-",
                 "-", "-", "-", ops);
      fmt::print("{:<13} why: {}\n", "", entry.error());
      continue;
    }
    const ServiceStatus& s = entry.status();
    fmt::print("{:<13} {:<10} {:<8} {:<9} {:>10} {:<20} {}\n", s.service(),
               s.ready() ? "ready" : "NOT READY", s.version(), Uptime(s.uptime_s()),
               Bytes(s.data_bytes()),
               s.last_commit_at_us() == 0
                   ? "-"
                   : absl::FormatTime("%Y-%m-%d %H:%M:%S",
                                      absl::FromUnixMicros(s.last_commit_at_us()), zone),
               s.ops_url());
    for (const std::string& reason : s.not_ready_reasons()) {
      fmt::print("{:<13} why: {}\n", "", reason);
    }
  }
  return code;
}

int ShowLag(const config::Config& config, bool json) {
  lotse::v1::LagReport report;
  for (config::Service service : kServices) {
    absl::StatusOr<ServiceStatus> status = FetchStatus(config, service);
    if (!status.ok()) {
      report.add_unreachable(StrCat(config::ServiceName(service), ": ",
                                    ToStd(status.status().message())));
      continue;
    }
    for (const lotse::v1::ConsumerStatus& consumer : status->consumers()) {
      *report.add_consumers() = consumer;
    }
  }
  const int code = report.unreachable_size() > 0 ? kExitUnavailable : kExitOk;
  if (json) {
    const int printed = PrintJson(report);
    return printed != kExitOk ? printed : code;
  }
  fmt::print("{:<13} {:<13} {:>10} {:>10} {:>8} {:>9}  {}\n", "CONSUMER", "STREAM", "HEAD",
             "OFFSET", "LAG", "RATE/s", "STATE");
  for (const lotse::v1::ConsumerStatus& c : report.consumers()) {
    const std::string state = c.halted()      ? StrCat("HALTED: ", c.halt_reason())
                              : !c.connected() ? StrCat("no answer from ", c.endpoint())
                                               : "ok";
    fmt::print("{:<13} {:<13} {:>10} {:>10} {:>8} {:>9.1f}  {}\n", c.consumer(), c.stream(),
               c.head(), c.offset(), c.lag(), c.rate_per_s(), state);
  }
  for (const std::string& down : report.unreachable()) {
    fmt::print("unreachable: {}\n", down);
  }
  return code;
}

int Tap(const config::Config& config, const absl::TimeZone& zone,
        const absl::StatusOr<client::Credentials>& credentials, const TapOptions& options) {
  if (!credentials.ok()) {
    std::fprintf(stderr, "lotse tap: %s\n",
                 std::string(ToStd(credentials.status().message())).c_str());
    return kExitUnavailable;
  }
  bus::Context context;
  // One socket per service: each pins its own service's key.
  std::vector<bus::Socket> sockets;
  for (config::Service service : kServices) {
    bus::SocketOptions socket_options;
    socket_options.linger_ms = 0;
    socket_options.receive_hwm = 100000;
    absl::StatusOr<bus::CurveOptions> curve = credentials->For("ops", service);
    if (!curve.ok()) {
      std::fprintf(stderr, "lotse tap: %s\n", std::string(ToStd(curve.status().message())).c_str());
      return kExitUsage;
    }
    socket_options.curve = *std::move(curve);
    absl::StatusOr<bus::Socket> socket =
        bus::Socket::Create(context, zmq::socket_type::sub, socket_options);
    if (!socket.ok()) {
      std::fprintf(stderr, "lotse tap: %s\n", std::string(ToStd(socket.status().message())).c_str());
      return kExitUnavailable;
    }
    socket->raw().set(zmq::sockopt::subscribe, "");
    if (absl::Status s = socket->Connect(config.network.TapEndpoint(service)); !s.ok()) {
      std::fprintf(stderr, "lotse tap: %s\n", std::string(ToStd(s.message())).c_str());
      return kExitUnavailable;
    }
    sockets.push_back(*std::move(socket));
  }
  // The services' taps are lossy XPUB sockets: connecting needs no running service, and
  // whatever is published before the subscription reaches them is not shown.
  fmt::print(stderr, "lotse tap: watching {}{}{} (Ctrl-C stops)\n",
             options.referral.empty() ? "every referral" : StrCat("referral ", options.referral),
             options.stream.empty() ? "" : StrCat(", stream ", options.stream),
             StrCat(" on ", config.network.TapEndpoint(config::Service::kIntake), " .. ",
                    config.network.TapEndpoint(config::Service::kAudit)));
  std::fflush(stderr);
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  const absl::Time deadline = options.seconds > 0
                                  ? absl::Now() + absl::Seconds(options.seconds)
                                  : absl::InfiniteFuture();
  int shown = 0;
  while (interrupted == 0 && absl::Now() < deadline &&
         (options.count == 0 || shown < options.count)) {
    bus::Poller poller;
    for (bus::Socket& socket : sockets) {
      poller.Add(socket);
    }
    if (!poller.Wait(std::min(absl::Milliseconds(200), deadline - absl::Now())).ok()) {
      break;  // interrupted
    }
    std::optional<bus::Frames> received;
    for (size_t i = 0; i < sockets.size() && !received.has_value(); ++i) {
      if (poller.readable(i)) {
        absl::StatusOr<std::optional<bus::Frames>> frames = sockets[i].Receive();
        if (frames.ok() && frames->has_value()) {
          received = **std::move(frames);
        }
      }
    }
    if (!received.has_value() || received->size() != 2) {
      continue;
    }
    lotse::v1::TapRecord record;
    lotse::v1::Envelope event;
    if (!record.ParseFromString((*received)[1]) || !event.ParseFromString(record.event())) {
      continue;
    }
    if (!options.referral.empty() && event.referral_id() != options.referral &&
        event.case_number() != options.referral) {
      continue;
    }
    if (!options.stream.empty() && record.stream() != options.stream) {
      continue;
    }
    ++shown;
    if (options.json) {
      lotse::v1::TapLine line;
      line.set_service(record.service());
      line.set_direction(record.direction());
      line.set_stream(record.stream());
      line.set_seq(record.seq());
      line.set_committed_at_us(record.committed_at_us());
      *line.mutable_event() = std::move(event);
      PrintJson(line);
    } else {
      const absl::Time at = absl::FromUnixMicros(record.committed_at_us());
      fmt::print("{} {:<13} {:<9} {:<18} {:<12} {:<20} {}\n",
                 absl::FormatTime("%H:%M:%E3S", at, zone), record.service(),
                 DirectionWord(record), StrCat(record.stream(), "/", record.seq()),
                 event.case_number().empty() ? event.referral_id() : event.case_number(),
                 service::EventType(static_cast<int>(event.payload_case())),
                 DescribeEvent(event));
    }
    std::fflush(stdout);
  }
  return kExitOk;
}

namespace {

// lotse tap, with --json from the global options.
int RunTap(Session& s, const TapOptions& flags) {
  TapOptions options = flags;
  options.json = s.json();
  return Tap(s.config(), s.zone(), s.credentials(), options);
}

}  // namespace

void AddLagCommand(CommandLine& cli) {
  cli.Add("lag", "show every consumer of every stream: head, offset, lag, rate",
          [](Session& s) { return ShowLag(s.config(), s.json()); });
}

void AddTapCommand(CommandLine& cli) {
  auto [sub, options] =
      cli.Add("tap", "watch the live event flow across all services, one line per event", RunTap);
  sub->add_option("--referral", options->referral, "follow one referral (id or case number)");
  sub->add_option("--stream", options->stream,
                  "only events of this stream (intake, routing, notification)");
  sub->add_option("--count", options->count, "stop after this many events (default: until Ctrl-C)");
  sub->add_option("--seconds", options->seconds,
                  "stop after this many seconds (default: until Ctrl-C)");
}

}  // namespace lotse::cli
