// The operators' window on the running set: /metrics counters move as a referral flows through
// all four services, /readyz turns unready while a producer is stopped and ready again after,
// `lotse status` / `lotse lag` report it, and `lotse tap --referral` shows the referral's
// events from submit to the audit chain while it flows. Real binaries, real sockets.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lotse/v1/ops.pb.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"
#include "zmq.hpp"

namespace lotse::test {
namespace {

using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

constexpr const char* kServices[] = {"intake", "routing", "notification", "audit"};

class Scraper {
 public:
  explicit Scraper(const LotseSet& set) : set_(set) {}
  std::string Metrics(int service_index) const {
    const HttpReply reply = HttpGet(set_.OpsPort(kServices[service_index]), "/metrics");
    EXPECT_EQ(reply.status, 200) << kServices[service_index];
    return reply.body;
  }
  double Get(int service_index, const std::string& series) const {
    return MetricValue(Metrics(service_index), series);
  }

 private:
  const LotseSet& set_;
};

std::string WithLimit(const std::string& key, int value) {
  std::string text(config::DefaultConfigText());
  const size_t at = text.find(key + " = ");
  EXPECT_NE(at, std::string::npos) << key;
  const size_t end = text.find('\n', at);
  return text.replace(at, end - at, StrCat(key, " = ", value));
}

TEST(OpsTest, CountersMoveAsAReferralFlowsThroughTheSet) {
  LotseSet set;
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  const Scraper scrape(set);
  for (int i = 0; i < 4; ++i) {
    const HttpReply health = HttpGet(set.OpsPort(kServices[i]), "/healthz");
    EXPECT_EQ(health.status, 200) << kServices[i];
    EXPECT_NE(health.body.find(StrCat("\"service\":\"", kServices[i], "\"")), std::string::npos)
        << health.body;
    ASSERT_TRUE(set.Eventually([&] {
      return HttpGet(set.OpsPort(kServices[i]), "/readyz").status == 200;
    })) << kServices[i]
        << ": " << HttpGet(set.OpsPort(kServices[i]), "/readyz").body;
  }
  const std::string submitted_at_intake =
      R"(lotse_events_produced_total{service="intake",type="referral_submitted"})";
  const std::string routed_at_routing =
      R"(lotse_events_consumed_total{service="routing",stream="intake",type="referral_submitted"})";
  const std::string answered_at_audit =
      R"(lotse_events_consumed_total{service="audit",stream="routing",type="answered"})";
  const std::string submit_latency =
      R"(lotse_command_duration_seconds_count{service="intake",command="submit"})";
  // A foreign department's claim: "not found or not yours", never a hint that it exists.
  const std::string refused = R"(lotse_errors_total{service="routing",code="not_found"})";
  const double before_submitted = std::max(0.0, scrape.Get(0, submitted_at_intake));
  const double before_commits =
      scrape.Get(0, R"(lotse_commit_duration_seconds_count{service="intake"})");
  ASSERT_GE(before_commits, 0) << scrape.Metrics(0);

  absl::StatusOr<lotse::v1::IntakeReply> submitted =
      set.Submit("bb-mitte", "emissionsschutz", "HRB-70001");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  const std::string id = submitted->submitted().referral_id();
  EXPECT_EQ(scrape.Get(0, submitted_at_intake), before_submitted + 1);
  EXPECT_EQ(scrape.Get(0, submit_latency), 1);
  EXPECT_GT(scrape.Get(0, R"(lotse_commit_duration_seconds_count{service="intake"})"),
            before_commits);
  EXPECT_TRUE(set.Eventually([&] { return scrape.Get(1, routed_at_routing) == 1; }))
      << scrape.Metrics(1);

  // A refused command counts as an error of its code; the claim and answer count per command.
  RoutingRequest foreign_claim;
  foreign_claim.mutable_claim()->set_ref(id);
  absl::StatusOr<RoutingReply> refused_reply = set.Act("bauordnung", "x", foreign_claim);
  ASSERT_TRUE(refused_reply.ok());
  EXPECT_TRUE(refused_reply->has_error());
  EXPECT_EQ(scrape.Get(1, refused), 1) << scrape.Metrics(1);
  RoutingRequest claim;
  claim.mutable_claim()->set_ref(id);
  ASSERT_TRUE(set.Act("umwelt", "j.mueller", claim).ok());
  RoutingRequest answer;
  answer.mutable_answer()->set_ref(id);
  answer.mutable_answer()->set_text("Keine Genehmigung erforderlich.");
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  absl::StatusOr<RoutingReply> answered = set.Act("umwelt", "j.mueller", answer);
  ASSERT_TRUE(answered.ok() && !answered->has_error());
  EXPECT_EQ(
      scrape.Get(1, R"(lotse_command_duration_seconds_count{service="routing",command="answer"})"),
      1);
  EXPECT_TRUE(set.Eventually([&] { return scrape.Get(3, answered_at_audit) == 1; }))
      << scrape.Metrics(3);
  // Every consumer caught up: lag 0, offset = head, connected.
  EXPECT_TRUE(set.Eventually([&] {
    const std::string audit = scrape.Metrics(3);
    return MetricValue(audit, R"(lotse_consumer_lag_events{service="audit",stream="routing"})") ==
               0 &&
           MetricValue(audit, R"(lotse_consumer_offset_seq{service="audit",stream="routing"})") >=
               3;
  })) << scrape.Metrics(3);
  const std::string routing = scrape.Metrics(1);
  EXPECT_EQ(MetricValue(routing, R"(lotse_ready{service="routing"})"), 1);
  EXPECT_EQ(MetricValue(routing, R"(lotse_consumer_connected{service="routing",stream="intake"})"),
            1);
  EXPECT_GT(MetricValue(routing, R"(process_resident_memory_bytes{service="routing"})"), 1e6);
  EXPECT_GT(MetricValue(routing, R"(process_open_fds{service="routing"})"), 3);
  EXPECT_GE(
      MetricValue(routing, R"(lotse_rocksdb_estimated_keys{service="routing",family="outbox"})"),
      0);
  EXPECT_GT(MetricValue(routing, R"(lotse_disk_min_free_bytes{service="routing"})"), 0);
  // The producer sees its consumers' acknowledged offsets.
  EXPECT_TRUE(set.Eventually([&] {
    return scrape.Get(1, R"(lotse_log_acknowledged_seq{service="routing",consumer="audit"})") ==
           scrape.Get(1, R"(lotse_log_head_seq{service="routing"})");
  }));
}

TEST(OpsTest, ReadyzIsUnreadyWhileAProducerIsStoppedAndReadyAfter) {
  SetOptions options;
  options.config_toml = WithLimit("ready_max_silence_ms", 2000);
  LotseSet set(options);
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  const Scraper scrape(set);
  ASSERT_TRUE(
      set.Eventually([&] { return HttpGet(set.OpsPort(kServices[1]), "/readyz").status == 200; }));

  ASSERT_EQ(kill(set.Pid("intake"), SIGSTOP), 0);
  HttpReply unready;
  EXPECT_TRUE(set.Eventually(
      [&] {
        unready = HttpGet(set.OpsPort(kServices[1]), "/readyz");
        return unready.status == 503;
      },
      absl::Seconds(10)))
      << unready.body;
  EXPECT_NE(unready.body.find("\"ready\":false"), std::string::npos) << unready.body;
  EXPECT_NE(unready.body.find("'intake' service"), std::string::npos) << unready.body;
  EXPECT_EQ(scrape.Get(1, R"(lotse_ready{service="routing"})"), 0);
  EXPECT_EQ(scrape.Get(1, R"(lotse_consumer_connected{service="routing",stream="intake"})"), 0);
  // The operators' view says the same, and `lotse status` exits 1 (up, not ready).
  const std::vector<std::string> flags = {"--port-base", StrCat(set.port_base()), "--config",
                                          set.dir() + "/lotse.toml"};
  std::vector<std::string> args = {"status"};
  args.insert(args.end(), flags.begin(), flags.end());
  CommandResult status = RunCommand(LOTSE_CLI_BIN, args);
  EXPECT_NE(status.out.find("NOT READY"), std::string::npos) << status.out << status.err;
  EXPECT_NE(status.out.find("DOWN"), std::string::npos) << status.out;  // intake: no answer
  EXPECT_EQ(status.exit_code, 3) << status.out;  // a stopped intake does not answer either

  ASSERT_EQ(kill(set.Pid("intake"), SIGCONT), 0);
  HttpReply ready;
  EXPECT_TRUE(set.Eventually([&] {
    ready = HttpGet(set.OpsPort(kServices[1]), "/readyz");
    return ready.status == 200;
  })) << ready.body;
  EXPECT_NE(ready.body.find("\"ready\":true"), std::string::npos) << ready.body;
  EXPECT_TRUE(set.Eventually([&] {
    status = RunCommand(LOTSE_CLI_BIN, args);
    return status.exit_code == 0;
  })) << status.out
      << status.err;
  EXPECT_NE(status.out.find("routing       ready"), std::string::npos) << status.out;
  args[0] = "lag";
  const CommandResult lag = RunCommand(LOTSE_CLI_BIN, args);
  EXPECT_EQ(lag.exit_code, 0) << lag.out << lag.err;
  EXPECT_NE(lag.out.find("routing       intake"), std::string::npos) << lag.out;
}

TEST(OpsTest, ALaggingConsumerShowsInTheProducersMetricsAndInLotseLag) {
  LotseSet set;
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  const Scraper scrape(set);
  ASSERT_TRUE(set.Submit("bb-nord", "gewerbeanmeldung", "HRB-1").ok());
  ASSERT_TRUE(set.Eventually([&] {
    return scrape.Get(
               0, R"(lotse_log_acknowledged_seq{service="intake",consumer="notification"})") == 1;
  }));
  ASSERT_EQ(kill(set.Pid("notification"), SIGSTOP), 0);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(set.Submit("bb-nord", "gewerbeanmeldung", StrCat("HRB-", 10 + i)).ok());
  }
  std::string intake;
  EXPECT_TRUE(set.Eventually([&] {
    intake = scrape.Metrics(0);
    return MetricValue(intake, R"(lotse_log_head_seq{service="intake"})") == 6;
  })) << intake;
  EXPECT_EQ(MetricValue(intake,
                        R"(lotse_log_acknowledged_seq{service="intake",consumer="notification"})"),
            1)
      << intake;
  ASSERT_EQ(kill(set.Pid("notification"), SIGCONT), 0);
  EXPECT_TRUE(set.Eventually([&] {
    return scrape.Get(2, R"(lotse_consumer_offset_seq{service="notification",stream="intake"})") ==
           6;
  }));
  const CommandResult lag =
      RunCommand(LOTSE_CLI_BIN, {"lag", "--json", "--port-base", StrCat(set.port_base())});
  EXPECT_EQ(lag.exit_code, 0) << lag.out << lag.err;
  lotse::v1::LagReport report;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lag.out, &report).ok()) << lag.out;
  int rows = 0;
  for (const lotse::v1::ConsumerStatus& c : report.consumers()) {
    if (c.consumer() == "notification" && c.stream() == "intake") {
      ++rows;
      EXPECT_EQ(c.head(), 6U);
      EXPECT_EQ(c.offset(), 6U);
      EXPECT_EQ(c.lag(), 0U);
      EXPECT_TRUE(c.connected());
    }
  }
  EXPECT_EQ(rows, 1) << lag.out;
  EXPECT_EQ(report.consumers_size(), 7) << lag.out;  // intake 1, routing 1, notification 2, audit 3
}

TEST(OpsTest, TapFollowsAReferralFromSubmitToTheAuditChain) {
  SetOptions options;
  options.clock_start = "2026-03-02T09:00:00+01:00";  // the first case number is 2026-000001
  LotseSet set(options);
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  // Another referral's events must not show.
  ASSERT_TRUE(set.Submit("bb-sued", "gewerbeanmeldung", "HRB-2").ok());
  const std::string case_number = "2026-000002";
  absl::StatusOr<std::unique_ptr<Process>> tap = Process::Start(
      LOTSE_CLI_BIN,
      {"tap", "--referral", case_number, "--seconds", "20", "--port-base", StrCat(set.port_base())},
      {{"LOTSE_KEYS", set.dir() + "/data/keys"}}, set.dir() + "/tap.log");
  ASSERT_TRUE(tap.ok()) << tap.status();
  // The tap is connected once it says so; give the subscription a moment to reach the services.
  ASSERT_TRUE(set.Eventually(
      [&] { return ReadFile(set.dir() + "/tap.log").find("watching") != std::string::npos; }));
  absl::SleepFor(absl::Milliseconds(500));

  absl::StatusOr<lotse::v1::IntakeReply> submitted =
      set.Submit("bb-mitte", "emissionsschutz", "HRB-70001");
  ASSERT_TRUE(submitted.ok());
  ASSERT_EQ(submitted->submitted().case_number(), case_number);
  const std::string id = submitted->submitted().referral_id();
  RoutingRequest answer;
  answer.mutable_answer()->set_ref(id);
  answer.mutable_answer()->set_text("Keine Genehmigung erforderlich.");
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  ASSERT_TRUE(set.Eventually([&] {
    absl::StatusOr<RoutingReply> r = set.Act("umwelt", "j.mueller", answer);
    return r.ok() && !r->has_error();
  }));
  ASSERT_TRUE(set.Eventually([&] {
    absl::StatusOr<lotse::v1::IntakeReply> r = set.Feedback("bb-mitte", id, 5, true);
    return r.ok() && !r->has_error();
  }));
  const std::vector<std::string> expected = {
      "intake        produced  intake/2",  // submitted
      "routing       consumed  intake/2",  //
      "routing       produced  routing/",  // routed, answered, closed
      "referral_routed",
      "answered",
      "feedback_submitted",
      "closed",
      "notification  consumed  routing/",  // the answer to the office's inbox
      "audit         chained   intake/2",  // in the audit chain
      "audit         chained   routing/",
  };
  std::string out;
  EXPECT_TRUE(set.Eventually(
      [&] {
        out = ReadFile(set.dir() + "/tap.log");
        for (const std::string& line : expected) {
          if (out.find(line) == std::string::npos) {
            return false;
          }
        }
        return out.find("audit         chained   routing/") != std::string::npos &&
               out.find("closed", out.find("audit         chained   routing/")) !=
                   std::string::npos;
      },
      absl::Seconds(15)))
      << out;
  EXPECT_EQ(out.find("2026-000001"), std::string::npos) << "another referral leaked in:\n" << out;
  // Every line names the followed referral.
  size_t lines = 0;
  for (size_t at = out.find('\n') + 1; at < out.size(); at = out.find('\n', at) + 1) {
    const std::string line = out.substr(at, out.find('\n', at) - at);
    EXPECT_NE(line.find(case_number), std::string::npos) << line;
    ++lines;
  }
  EXPECT_GE(lines, 12U) << out;
}

// Every thread of every service (its ZeroMQ and RocksDB threads too) runs at the CPU priority
// the config gives that service, so a burst delays notification and audit, not the offices.
TEST(OpsTest, EachServiceRunsAtItsConfiguredCpuPriority) {
  // Relative to this test's own priority: without CAP_SYS_NICE a service can only go up.
  const int base = getpriority(PRIO_PROCESS, 0);
  const std::map<std::string, int> expected = {{"intake", base},
                                               {"routing", std::min(19, base + 3)},
                                               {"notification", std::min(19, base + 10)},
                                               {"audit", std::min(19, base + 12)}};
  std::string text(config::DefaultConfigText());
  for (const auto& [service, nice] : expected) {
    const std::string key = service + "_nice = ";
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    text.replace(at, text.find('\n', at) - at, StrCat(key, nice));
  }
  SetOptions options;
  options.config_toml = text;
  LotseSet set(options);
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  for (const auto& [service, nice] : expected) {
    const pid_t pid = set.Pid(service);
    int threads = 0;
    for (const auto& task : std::filesystem::directory_iterator(StrCat("/proc/", pid, "/task"))) {
      const std::string stat = ReadFile(task.path() / "stat");
      // Fields after the command name: state is field 3, nice is field 19.
      std::istringstream fields(stat.substr(stat.rfind(')') + 2));
      std::string field;
      for (int i = 3; i <= 19 && fields >> field; ++i) {
      }
      EXPECT_EQ(std::stoi(field), nice) << service << " thread " << task.path().filename();
      ++threads;
    }
    EXPECT_GE(threads, 3) << service << ": its ZeroMQ and RocksDB threads were counted";
  }
}

// The live tap costs nothing while nobody watches: no record is built until a subscriber
// comes, records flow while it is there, and stop again once it has gone.
TEST(OpsTest, TheTapBuildsRecordsOnlyWhileSomeoneWatches) {
  LotseSet set;
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  Scraper scraper(set);
  auto records = [&](int i) {
    return scraper.Get(i, StrCat("lotse_tap_records_total{service=\"", kServices[i], "\"}"));
  };
  int submitted = 0;
  // Submits one referral and waits until audit has chained its routing: all four took part.
  auto submit_and_route = [&] {
    absl::StatusOr<lotse::v1::IntakeReply> r =
        set.Submit("bb-mitte", "emissionsschutz", StrCat("HRB-", ++submitted));
    ASSERT_TRUE(r.ok() && !r->has_error());
    ASSERT_TRUE(set.Eventually([&] {
      return scraper.Get(
                 3,
                 R"(lotse_events_consumed_total{service="audit",stream="routing",type="referral_routed"})") >=
             submitted;
    }));
  };
  submit_and_route();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(records(i), 0) << kServices[i] << ": records built without a subscriber";
  }

  zmq::context_t context(1);
  auto watcher = std::make_unique<zmq::socket_t>(context, zmq::socket_type::sub);
  watcher->set(zmq::sockopt::linger, 0);
  watcher->set(zmq::sockopt::rcvtimeo, 3000);
  watcher->set(zmq::sockopt::subscribe, "");
  const bus::CurveOptions curve = set.Curve("ops", "routing");
  watcher->set(zmq::sockopt::curve_serverkey, curve.server_key);
  watcher->set(zmq::sockopt::curve_publickey, curve.public_key);
  watcher->set(zmq::sockopt::curve_secretkey, curve.secret_key);
  watcher->connect(StrCat("tcp://127.0.0.1:", set.port_base() + 3 * config::kServiceCount + 1));
  const std::string watched = R"(lotse_tap_watched{service="routing"})";
  ASSERT_TRUE(set.Eventually([&] { return scraper.Get(1, watched) == 1; }));
  submit_and_route();
  zmq::message_t frame;
  EXPECT_TRUE(watcher->recv(frame).has_value()) << "routing's tap sent nothing to its subscriber";
  double sent = 0;
  EXPECT_TRUE(set.Eventually([&] { return (sent = records(1)) > 0; }));
  EXPECT_EQ(records(0), 0) << "intake: nobody subscribed to its tap";

  watcher.reset();
  // Routing reads the unsubscription within a loop or two (at least one a second when idle).
  ASSERT_TRUE(set.Eventually([&] { return scraper.Get(1, watched) == 0; }));
  submit_and_route();
  EXPECT_EQ(records(1), sent) << "routing built records after its watcher left";
}

}  // namespace
}  // namespace lotse::test
