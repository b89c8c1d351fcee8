// Old data stays readable: today's binaries, started with `lotse up` on a copy of fixture-v1 (data
// written by version 1, README.md), serve it. Every referral's status and history as its office
// and its department, the attachment's bytes, the evaluation figure by figure, the audit chain,
// consumers caught up and ready, lotse-web's old accounts, and new work on top. The expected
// values are written here from the fixture's timeline, not computed by the code under test.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/ops.pb.h"
#include "lotse/v1/routing.pb.h"
#include "services/intake/attachments.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMinuteUs = int64_t{60} * 1000 * 1000;
constexpr int64_t kHourUs = 60 * kMinuteUs;

// The fixture's referrals (README.md, "How fixture-v1 was made").
constexpr const char* kR1 = "2026-000001";  // bb-mitte -> umwelt, attachment, consulted, closed
constexpr const char* kR2 = "2026-000002";  // bb-nord -> kam-schneider, escalated, answered
constexpr const char* kR3 = "2026-000003";  // bb-sued -> ordnung-gewerbe, forwarded to bauordnung
// The attachment of 2026-000001, as make_fixture.sh wrote it.
constexpr const char* kAttachmentName = "Lageplan.pdf";
constexpr uint64_t kAttachmentSize = 7758;
constexpr const char* kAttachmentSha256 =
    "f1ac8e2010ad84b255ca4d197a8083de23c10ce2cf5a78382fe66c31ffa1e55e";

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a later version may print more
  auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

// git keeps no file modes: the services refuse key files others may read.
void RestoreModes(const fs::path& root) {
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    chmod(entry.path().c_str(), entry.is_directory() ? 0700 : 0600);
  }
  chmod(root.c_str(), 0700);
}

// The kinds of a history's events in order ("routing:claimed"), deliveries left out and counted.
struct Story {
  std::vector<std::string> steps;
  int deliveries = 0;
};
Story StoryOf(const lotse::v1::HistoryReply& history) {
  Story story;
  for (const lotse::v1::HistoryEntry& entry : history.entries()) {
    const lotse::v1::Envelope& event = entry.event();
    const google::protobuf::FieldDescriptor* payload =
        event.GetReflection()->GetOneofFieldDescriptor(
            event, lotse::v1::Envelope::descriptor()->FindOneofByName("payload"));
    const std::string kind = payload == nullptr ? "?" : payload->name();
    if (kind == "delivered") {
      ++story.deliveries;
    } else {
      story.steps.emplace_back(StrCat(event.stream(), ":", kind));
    }
  }
  return story;
}

class CompatFixtureV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    port_base_ = ReservePortBlock(&lock_fd_);
    ASSERT_GT(port_base_, 0);
    std::error_code error;
    fs::copy(StrCat(LOTSE_COMPAT_FIXTURE, "/data"), data_, fs::copy_options::recursive, error);
    ASSERT_FALSE(error) << "copying the fixture: " << error.message();
    RestoreModes(data_);
    // Service time: 15:30 on the fixture's day, half an hour after it was stopped.
    absl::TimeZone berlin;
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
    const absl::Time now = absl::FromCivil(absl::CivilMinute(2026, 3, 2, 15, 30), berlin);
    ASSERT_TRUE(WriteFile(clock_file_, std::to_string(absl::ToUnixMicros(now))).ok());

    absl::StatusOr<std::unique_ptr<Process>> up = Process::Start(
        LOTSE_CLI_BIN, {"up", "--data-dir", data_, "--port-base", std::to_string(port_base_)},
        {{"LOTSE_CLOCK_FILE", clock_file_}, {"LOTSE_SMTP_URL", ""}}, dir_.Join("up.log"));
    ASSERT_TRUE(up.ok()) << up.status();
    up_ = std::move(*up);
    // `lotse status` exits 0 once every service is up and ready.
    ASSERT_TRUE(WaitUntil([&] { return Lotse({"status"}).exit_code == 0; }, absl::Seconds(30),
                          absl::Milliseconds(200)))
        << ReadFile(dir_.Join("up.log"));
  }

  void TearDown() override {
    if (up_ != nullptr && up_->Running()) {
      kill(up_->pid(), SIGINT);  // Ctrl-C: every service stops cleanly on the old data too
      absl::StatusOr<int> code = up_->Wait(absl::Seconds(10));
      EXPECT_TRUE(code.ok() && *code == 0) << ReadFile(dir_.Join("up.log"));
    }
    up_.reset();
    if (lock_fd_ >= 0) {
      close(lock_fd_);
    }
  }

  CommandResult Lotse(std::vector<std::string> args) {
    args.insert(args.end(), {"--port-base", std::to_string(port_base_), "--timeout-ms", "3000",
                             "--keys", data_ + "/keys"});
    return RunCommand(LOTSE_CLI_BIN, args, {}, absl::Seconds(30));
  }
  // A command that must succeed, with --json; its JSON document.
  template <typename Message>
  Message Json(std::vector<std::string> args) {
    args.emplace_back("--json");
    CommandResult r = Lotse(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    return FromJson<Message>(r.out);
  }
  lotse::v1::ReferralState Status(const std::string& ref, const std::string& as_flag,
                                  const std::string& as) {
    return Json<lotse::v1::ReferralState>({"status", ref, as_flag, as});
  }
  Story History(const std::string& ref, const std::string& as_flag, const std::string& as) {
    return StoryOf(Json<lotse::v1::HistoryReply>({"history", ref, as_flag, as}));
  }
  lotse::v1::EvaluationReply Evaluation(bool rebuild) {
    std::vector<std::string> args = {"evaluation", "--from",   "2026-03-02", "--to",
                                     "2026-03-03", "--format", "json"};
    if (rebuild) {
      args.emplace_back("--rebuild");
    }
    CommandResult r = Lotse(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return FromJson<lotse::v1::EvaluationReply>(r.out);
  }
  int OpsPort(int service) const { return port_base_ + 8 + service; }

  TempDir dir_;
  std::string data_ = dir_.Join("data");
  std::string clock_file_ = dir_.Join("now");
  int lock_fd_ = -1;
  int port_base_ = -1;
  std::unique_ptr<Process> up_;
};

TEST_F(CompatFixtureV1Test, ReferralsKeepTheirStatusForOfficeAndDepartment) {
  // 2026-000001: closed after the office's feedback; the office still sees its contact person.
  lotse::v1::ReferralState r1 = Status(kR1, "--office", "bb-mitte");
  EXPECT_EQ(r1.case_number(), kR1);
  EXPECT_EQ(r1.status(), lotse::v1::REFERRAL_STATUS_CLOSED);
  EXPECT_EQ(r1.referral().company_id(), "HRB-4711");
  EXPECT_EQ(r1.referral().company_name(), "Kurz Logistik GmbH");
  EXPECT_EQ(r1.referral().subject(), "Lüftungsanlage der Lagerhalle");
  EXPECT_EQ(r1.referral().contact().name(), "Eva Kurz");
  EXPECT_EQ(r1.referral().contact().email(), "eva.kurz@example.com");
  EXPECT_EQ(r1.referral().contact().phone(), "0391 555-0101");
  EXPECT_EQ(r1.answer().text(),
            "Keine Genehmigung nötig; bitte die Lärmwerte der TA Lärm einhalten.");
  EXPECT_EQ(r1.feedback().rating(), 5);
  EXPECT_TRUE(r1.feedback().resolved());
  EXPECT_EQ(r1.feedback().comment(), "Schnell und klar.");
  lotse::v1::ReferralState r1_department = Status(kR1, "--department", "umwelt");
  EXPECT_EQ(r1_department.status(), lotse::v1::REFERRAL_STATUS_CLOSED);
  EXPECT_EQ(r1_department.assignee(), "umwelt");
  EXPECT_EQ(r1_department.claimed_by(), "um-wagner");
  ASSERT_EQ(r1_department.consultations_size(), 1);
  EXPECT_EQ(r1_department.consultations(0).department(), "bauordnung");
  EXPECT_EQ(r1_department.consultations(0).contribution(),
            "Nein, verfahrensfrei nach Landesbauordnung.");

  // 2026-000002: with the key account manager, answered, the company's own feedback.
  lotse::v1::ReferralState r2 = Status(kR2, "--office", "bb-nord");
  EXPECT_EQ(r2.status(), lotse::v1::REFERRAL_STATUS_ANSWERED);
  EXPECT_EQ(r2.assignee(), "kam-schneider");
  EXPECT_EQ(r2.key_account(), "kam-schneider");
  EXPECT_EQ(r2.answer().text(), "Das Landesprogramm für Investitionen passt; Antrag bis 30.04.");
  EXPECT_EQ(r2.company_feedback().rating(), 4);
  EXPECT_TRUE(r2.company_feedback().resolved());
  lotse::v1::ReferralState r2_kam = Status(kR2, "--department", "kam-schneider");
  EXPECT_EQ(r2_kam.status(), lotse::v1::REFERRAL_STATUS_ANSWERED);
  EXPECT_EQ(r2_kam.claimed_by(), "kam-schneider");
  EXPECT_TRUE(r2_kam.first_reaction_escalated());  // warned and breached at 11:30

  // 2026-000003: forwarded to bauordnung and claimed there; still open.
  lotse::v1::ReferralState r3 = Status(kR3, "--office", "bb-sued");
  EXPECT_EQ(r3.status(), lotse::v1::REFERRAL_STATUS_CLAIMED);
  EXPECT_EQ(r3.referral().contact().name(), "Lea Sommer");
  lotse::v1::ReferralState r3_department = Status(kR3, "--department", "bauordnung");
  EXPECT_EQ(r3_department.status(), lotse::v1::REFERRAL_STATUS_CLAIMED);
  EXPECT_EQ(r3_department.assignee(), "bauordnung");
  EXPECT_EQ(r3_department.claimed_by(), "bo-kaya");
  EXPECT_EQ(r3_department.forward_count(), 1);
  // ... and it is on bauordnung's worklist, not on ordnung-gewerbe's.
  auto worklist = Json<lotse::v1::WorklistReply>({"worklist", "--department", "bauordnung"});
  ASSERT_EQ(worklist.items_size(), 1);
  EXPECT_EQ(worklist.items(0).case_number(), kR3);
  EXPECT_EQ(
      Json<lotse::v1::WorklistReply>({"worklist", "--department", "ordnung-gewerbe"}).items_size(),
      0);

  // Another office is told the referral does not exist for it.
  EXPECT_EQ(Lotse({"status", kR1, "--office", "bb-nord"}).exit_code, 1);
}

TEST_F(CompatFixtureV1Test, HistoriesTellTheWholeStoryToOfficeAndDepartment) {
  // Told in the order it happened: the plan was attached after routing had routed the referral,
  // though audit received the attachment first.
  const std::vector<std::string> r1 = {
      "intake:referral_submitted", "routing:referral_routed",     "intake:attachment_added",
      "routing:claimed",           "routing:consultation_opened", "routing:contribution_added",
      "routing:answered",          "intake:feedback_submitted",   "routing:closed"};
  const std::vector<std::string> r2 = {"intake:referral_submitted",
                                       "routing:referral_routed",
                                       "routing:escalated",
                                       "routing:escalated",
                                       "routing:claimed",
                                       "routing:answered",
                                       "intake:company_feedback_submitted"};
  const std::vector<std::string> r3 = {"intake:referral_submitted", "routing:referral_routed",
                                       "routing:forwarded", "routing:claimed"};
  for (const auto& [as_flag, as] :
       {std::pair{"--office", "bb-mitte"}, {"--department", "umwelt"}}) {
    SCOPED_TRACE(as);
    const Story story = History(kR1, as_flag, as);
    EXPECT_EQ(story.steps, r1);
    EXPECT_EQ(story.deliveries, 12);
  }
  for (const auto& [as_flag, as] :
       {std::pair{"--office", "bb-nord"}, {"--department", "kam-schneider"}}) {
    SCOPED_TRACE(as);
    const Story story = History(kR2, as_flag, as);
    EXPECT_EQ(story.steps, r2);
    EXPECT_EQ(story.deliveries, 7);
  }
  for (const auto& [as_flag, as] :
       {std::pair{"--office", "bb-sued"}, {"--department", "bauordnung"}}) {
    SCOPED_TRACE(as);
    const Story story = History(kR3, as_flag, as);
    EXPECT_EQ(story.steps, r3);
    EXPECT_EQ(story.deliveries, 6);
  }
}

TEST_F(CompatFixtureV1Test, TheAttachmentComesBackByteForByte) {
  const std::string out = dir_.Join("Lageplan.pdf");
  CommandResult r =
      Lotse({"attachment", kR1, kAttachmentName, "--department", "umwelt", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string bytes = ReadFile(out);
  EXPECT_EQ(bytes.size(), kAttachmentSize);
  EXPECT_EQ(intake::Sha256Hex(bytes), kAttachmentSha256);
  EXPECT_EQ(bytes, ReadFile(StrCat(LOTSE_COMPAT_FIXTURE, "/Lageplan.pdf")));
}

// The figures of 2 March 2026, from the timeline (business hours: umwelt Mon-Thu 08:00-16:00,
// kam-schneider's home wirtschaftsfoerderung Mon-Thu 08:00-17:00, all of it within them).
TEST_F(CompatFixtureV1Test, TheEvaluationKeepsItsFigures) {
  for (const bool rebuild : {false, true}) {
    SCOPED_TRACE(rebuild ? "rebuilt from the audit log" : "maintained");
    const lotse::v1::EvaluationReply evaluation = Evaluation(rebuild);
    auto group = [](const auto& groups, const std::string& id) {
      for (const lotse::v1::EvaluationGroup& g : groups) {
        if (g.id() == id) {
          return g.figures();
        }
      }
      ADD_FAILURE() << "no group " << id;
      return lotse::v1::EvaluationFigures{};
    };
    // umwelt: 2026-000001 routed 09:00, claimed 10:00 (1 h), answered 12:00 (3 h), due in
    // 24 business hours; one consultation; feedback 5, resolved.
    const lotse::v1::EvaluationFigures umwelt = group(evaluation.departments(), "umwelt");
    EXPECT_EQ(umwelt.received(), 1u);
    EXPECT_EQ(umwelt.answered(), 1u);
    EXPECT_EQ(umwelt.open(), 0u);
    EXPECT_EQ(umwelt.time_to_first_action_median_us(), 1 * kHourUs);
    EXPECT_EQ(umwelt.time_to_answer_median_us(), 3 * kHourUs);
    EXPECT_EQ(umwelt.answered_within_sla(), 1u);
    EXPECT_EQ(umwelt.consultations(), 1u);
    EXPECT_EQ(umwelt.feedback(), 1u);
    EXPECT_DOUBLE_EQ(umwelt.average_rating(), 5.0);
    EXPECT_EQ(umwelt.resolved(), 1u);
    // kam-schneider: 2026-000002 routed 09:10, claimed 12:30 (3 h 20 min), answered 13:00
    // (3 h 50 min) within its 8 h; the first reaction (due after 2 h) warned and breached;
    // the company's feedback 4, resolved.
    const lotse::v1::EvaluationFigures kam = group(evaluation.departments(), "kam-schneider");
    EXPECT_EQ(kam.received(), 1u);
    EXPECT_EQ(kam.answered(), 1u);
    EXPECT_EQ(kam.time_to_first_action_median_us(), 3 * kHourUs + 20 * kMinuteUs);
    EXPECT_EQ(kam.time_to_answer_median_us(), 3 * kHourUs + 50 * kMinuteUs);
    EXPECT_EQ(kam.answered_within_sla(), 1u);
    EXPECT_EQ(kam.warnings(), 1u);
    EXPECT_EQ(kam.escalations(), 1u);
    EXPECT_EQ(kam.first_reaction_due(), 1u);
    EXPECT_EQ(kam.first_reaction_in_time(), 0u);
    EXPECT_EQ(kam.first_reaction_breaches(), 1u);
    EXPECT_EQ(kam.feedback(), 0u);
    EXPECT_EQ(kam.company_feedback(), 1u);
    EXPECT_DOUBLE_EQ(kam.company_average_rating(), 4.0);
    // bauordnung: 2026-000003 (now there) routed 09:20, forwarded 10:30 (1 h 10 min), open.
    const lotse::v1::EvaluationFigures bauordnung = group(evaluation.departments(), "bauordnung");
    EXPECT_EQ(bauordnung.received(), 1u);
    EXPECT_EQ(bauordnung.answered(), 0u);
    EXPECT_EQ(bauordnung.open(), 1u);
    EXPECT_EQ(bauordnung.time_to_first_action_median_us(), 1 * kHourUs + 10 * kMinuteUs);
    EXPECT_EQ(bauordnung.forwards(), 1u);
    // bb-nord's one referral is 2026-000002.
    const lotse::v1::EvaluationFigures bb_nord = group(evaluation.offices(), "bb-nord");
    EXPECT_EQ(bb_nord.received(), 1u);
    EXPECT_EQ(bb_nord.time_to_answer_median_us(), 3 * kHourUs + 50 * kMinuteUs);
    // All three: first actions 1 h, 1 h 10 min, 3 h 20 min; answers 3 h and 3 h 50 min.
    const lotse::v1::EvaluationFigures& total = evaluation.total();
    EXPECT_EQ(total.received(), 3u);
    EXPECT_EQ(total.answered(), 2u);
    EXPECT_EQ(total.open(), 1u);
    EXPECT_EQ(total.acted_on(), 3u);
    EXPECT_EQ(total.time_to_first_action_median_us(), 1 * kHourUs + 10 * kMinuteUs);
    EXPECT_EQ(total.time_to_first_action_p90_us(), 3 * kHourUs + 20 * kMinuteUs);
    EXPECT_EQ(total.time_to_answer_p90_us(), 3 * kHourUs + 50 * kMinuteUs);
    EXPECT_EQ(total.answered_within_sla(), 2u);
    EXPECT_EQ(total.forwards(), 1u);
    EXPECT_EQ(total.consultations(), 1u);
    EXPECT_EQ(total.feedback(), 1u);
    EXPECT_EQ(total.company_feedback(), 1u);
    EXPECT_EQ(total.warnings(), 1u);
    EXPECT_EQ(total.escalations(), 1u);
  }
}

TEST_F(CompatFixtureV1Test, TheChainVerifiesAndNoConsumerIsHalted) {
  // 45 entries: 6 intake, 14 routing and 25 notification events.
  const auto verify = Json<lotse::v1::VerifyReply>({"audit", "verify"});
  EXPECT_TRUE(verify.ok()) << verify.problem();
  EXPECT_EQ(verify.entries(), 45u);

  // Each consumer learns its producer's head from the first answer (a heartbeat at the latest).
  lotse::v1::LagReport lag;
  EXPECT_TRUE(WaitUntil(
      [&] {
        lag = Json<lotse::v1::LagReport>({"lag"});
        return std::all_of(lag.consumers().begin(), lag.consumers().end(),
                           [](const lotse::v1::ConsumerStatus& c) { return c.head() > 0; });
      },
      absl::Seconds(15), absl::Milliseconds(200)));
  EXPECT_EQ(lag.unreachable_size(), 0);
  EXPECT_EQ(lag.consumers_size(), 7);  // intake 1, routing 1, notification 2, audit 3
  for (const lotse::v1::ConsumerStatus& c : lag.consumers()) {
    SCOPED_TRACE(StrCat(c.consumer(), " of ", c.stream()));
    EXPECT_FALSE(c.halted()) << c.halt_reason();
    EXPECT_EQ(c.lag(), 0u);
    EXPECT_EQ(c.head(), c.stream() == "intake" ? 6u : c.stream() == "routing" ? 14u : 25u);
  }
  const std::vector<std::string> services = {"intake", "routing", "notification", "audit"};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(services[i]);
    const HttpReply ready = HttpGet(OpsPort(i), "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    const HttpReply metrics = HttpGet(OpsPort(i), "/metrics");
    ASSERT_EQ(metrics.status, 200);
    EXPECT_EQ(
        MetricValue(metrics.body, StrCat("lotse_dead_letters{service=\"", services[i], "\"}")), 0);
    for (const std::string stream : {"intake", "routing", "notification"}) {
      const double halted = MetricValue(
          metrics.body,
          StrCat("lotse_consumer_halted{service=\"", services[i], "\",stream=\"", stream, "\"}"));
      EXPECT_NE(halted, 1) << stream;
    }
  }
}

TEST_F(CompatFixtureV1Test, TheWebTerminalKeepsItsAccounts) {
  // The password lotse-web gave bb-mitte on the fixture's first start (data/web/initial-passwords).
  const std::string passwords = ReadFile(data_ + "/web/initial-passwords");
  const size_t line = passwords.find("bb-mitte\t");
  ASSERT_NE(line, std::string::npos);
  const size_t start = line + std::string("bb-mitte\t").size();
  const std::string password = passwords.substr(start, passwords.find('\t', start) - start);
  ASSERT_FALSE(password.empty());

  const int web_port = port_base_ + config::kWebPortOffset;
  ASSERT_TRUE(
      WaitUntil([&] { return HttpGet(web_port, "/healthz", 1).status == 200; }, absl::Seconds(10)));
  httplib::Client web("127.0.0.1", web_port);
  web.set_read_timeout(5, 0);
  httplib::Result wrong =
      web.Post("/anmelden", httplib::Params{{"login", "bb-mitte"}, {"password", password + "x"}});
  ASSERT_TRUE(wrong);
  EXPECT_NE(wrong->status, 303);
  httplib::Result login =
      web.Post("/anmelden", httplib::Params{{"login", "bb-mitte"}, {"password", password}});
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 303) << login->body;
  const std::string cookie = login->get_header_value("Set-Cookie");
  const std::string location = login->get_header_value("Location");
  httplib::Result page =
      web.Get(location, httplib::Headers{{"Cookie", cookie.substr(0, cookie.find(';'))}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << location;
}

TEST_F(CompatFixtureV1Test, NewWorkFlowsOnTop) {
  const auto submitted = Json<lotse::v1::SubmitReferralReply>(
      {"submit", "--office", "bb-mitte", "--company-id", "HRB-4711", "--company-name",
       "Kurz Logistik GmbH", "--topic", "emissionsschutz", "--subject", "Zweite Lüftungsanlage",
       "--text", "Gilt das auch für die zweite Halle?", "--contact-name", "Eva Kurz"});
  // The case-number counter continues where version 1 left it.
  EXPECT_EQ(submitted.case_number(), "2026-000004");
  const std::string& ref = submitted.case_number();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Status(ref, "--office", "bb-mitte").status() == lotse::v1::REFERRAL_STATUS_ROUTED;
      },
      absl::Seconds(10)));
  Json<lotse::v1::ReferralState>({"claim", ref, "--department", "umwelt", "--user", "um-wagner"});
  Json<lotse::v1::ReferralState>({"answer", ref, "--department", "umwelt", "--user", "um-wagner",
                                  "--text", "Ja, ebenso.", "--outcome", "resolved"});
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Status(ref, "--office", "bb-mitte").status() == lotse::v1::REFERRAL_STATUS_ANSWERED;
      },
      absl::Seconds(10)));
  Json<lotse::v1::ReferralState>(
      {"feedback", ref, "--office", "bb-mitte", "--rating", "4", "--resolved", "yes"});
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Status(ref, "--office", "bb-mitte").status() == lotse::v1::REFERRAL_STATUS_CLOSED;
      },
      absl::Seconds(10)));
  // Audit chains it after the old entries, and the chain still verifies.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const Story story = History(ref, "--office", "bb-mitte");
        return story.steps.size() == 6;  // submitted, routed, claimed, answered, feedback, closed
      },
      absl::Seconds(10)));
  EXPECT_EQ(History(ref, "--office", "bb-mitte").steps,
            (std::vector<std::string>{"intake:referral_submitted", "routing:referral_routed",
                                      "routing:claimed", "routing:answered",
                                      "intake:feedback_submitted", "routing:closed"}));
  const auto verify = Json<lotse::v1::VerifyReply>({"audit", "verify"});
  EXPECT_TRUE(verify.ok()) << verify.problem();
  EXPECT_EQ(verify.entries(), 45u + 6u);  // no mail now, so no deliveries
  // The old referrals are as they were: the evaluation counts the new one beside them.
  const lotse::v1::EvaluationReply evaluation = Evaluation(false);
  EXPECT_EQ(evaluation.total().received(), 4u);
  EXPECT_EQ(evaluation.total().answered(), 3u);
  EXPECT_EQ(Status(kR1, "--office", "bb-mitte").status(), lotse::v1::REFERRAL_STATUS_CLOSED);
}

}  // namespace
}  // namespace lotse::test
