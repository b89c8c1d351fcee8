// The whole loop with all four services on a known timeline (service time set through
// LOTSE_CLOCK_FILE): referrals from submit through answer and feedback, the office's inbox
// receiving the answer pushed, and the joint evaluation checked figure by figure, the same when
// rebuilt from the audit log alone.
#include <cstdlib>

#include "absl/time/civil_time.h"
#include "common/format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

constexpr int64_t kHourUs = int64_t{3600} * 1000 * 1000;

class EvaluationFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin_));
    clock_file_ = clock_dir_.Join("now");
    At(2, 8, 0);
    setenv("LOTSE_CLOCK_FILE", clock_file_.c_str(), 1);  // inherited by the services
    set_ = std::make_unique<LotseSet>();
    set_->StartAll(/*with_audit=*/true, /*with_notification=*/true);
  }
  void TearDown() override {
    set_.reset();
    unsetenv("LOTSE_CLOCK_FILE");
  }

  // Sets service time to March `day`, 2026, hh:mm in Berlin.
  void At(int day, int hh, int mm) {
    const absl::Time t = absl::FromCivil(absl::CivilMinute(2026, 3, day, hh, mm), berlin_);
    ASSERT_TRUE(WriteFile(clock_file_, std::to_string(absl::ToUnixMicros(t))).ok());
  }

  std::string Submit(const std::string& office, const std::string& topic) {
    auto r = set_->Submit(office, topic, "HRB-" + NewKey());
    EXPECT_TRUE(r.ok() && !r->has_error());
    return r.ok() ? r->submitted().case_number() : "";
  }
  // Waits until routing has the referral, so its routing time is the current service time.
  void AwaitStatus(const std::string& office, const std::string& ref,
                   lotse::v1::ReferralStatus status) {
    ASSERT_TRUE(set_->Eventually([&] {
      auto r = set_->Status(office, ref);
      return r.ok() && r->referral().status() == status;
    })) << ref;
  }
  void Do(const std::string& department, const std::string& user,
          lotse::v1::RoutingRequest request) {
    auto r = set_->Act(department, user, std::move(request));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_FALSE(r->has_error()) << r->error().message();
  }
  lotse::v1::EvaluationReply Evaluate(bool rebuild) {
    lotse::v1::AuditRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);  // every unit: admin's
    request.mutable_evaluation()->set_from("2026-03-02");
    request.mutable_evaluation()->set_to("2026-03-09");
    request.mutable_evaluation()->set_rebuild(rebuild);
    auto r = set_->Audit(request);
    EXPECT_TRUE(r.ok() && r->has_evaluation()) << (r.ok() ? r->DebugString() : "no answer");
    return r.ok() ? r->evaluation() : lotse::v1::EvaluationReply{};
  }
  static const lotse::v1::EvaluationFigures& Group(
      const google::protobuf::RepeatedPtrField<lotse::v1::EvaluationGroup>& groups,
      const std::string& id) {
    for (const auto& g : groups) {
      if (g.id() == id) {
        return g.figures();
      }
    }
    ADD_FAILURE() << "no group " << id;
    return lotse::v1::EvaluationFigures::default_instance();
  }

  absl::TimeZone berlin_;
  TempDir clock_dir_;
  std::string clock_file_;
  std::unique_ptr<LotseSet> set_;
};

TEST_F(EvaluationFlowTest, KnownTimelineGivesKnownFigures) {
  // Monday 2 March 2026, 09:00: three referrals. Umweltamt: Mon-Thu 08:00-16:00, SLA 24 h.
  At(2, 9, 0);
  const std::string a = Submit("bb-mitte", "emissionsschutz");
  const std::string b = Submit("bb-mitte", "emissionsschutz");
  const std::string c = Submit("bb-nord", "gewerbeanmeldung");
  for (const auto& [office, ref] : {std::pair{"bb-mitte", a}, {"bb-mitte", b}, {"bb-nord", c}}) {
    AwaitStatus(office, ref, lotse::v1::REFERRAL_STATUS_ROUTED);
  }
  // A: claimed at 10:00 (first action 1 h), answered at 12:00 (3 h), feedback 5, resolved.
  At(2, 10, 0);
  lotse::v1::RoutingRequest claim;
  claim.mutable_claim()->set_ref(a);
  Do("umwelt", "k.schulz", claim);
  // B: consultation at 11:00 (first action 2 h), contribution at 11:30.
  At(2, 11, 0);
  lotse::v1::RoutingRequest consult;
  consult.mutable_consult()->set_ref(b);
  consult.mutable_consult()->add_departments("bauordnung");
  consult.mutable_consult()->set_question("Ist eine Baugenehmigung nötig?");
  Do("umwelt", "k.schulz", consult);
  At(2, 11, 30);
  lotse::v1::RoutingRequest contribute;
  contribute.mutable_contribute()->set_ref(b);
  contribute.mutable_contribute()->set_text("Nein.");
  Do("bauordnung", "t.braun", contribute);

  // The office waits on its inbox; A's answer is pushed into the waiting request.
  bus::Context context;
  bus::SocketOptions options;
  options.curve = set_->Curve("bb-mitte", "notification");
  auto socket = bus::Socket::Create(context, zmq::socket_type::dealer, options);
  ASSERT_TRUE(socket.ok());
  ASSERT_TRUE(socket->Connect(StrCat("tcp://127.0.0.1:", set_->port_base() + 4)).ok());
  uint64_t office_head = 0;
  ASSERT_TRUE(set_->Eventually([&] {  // skip the status messages the office already has
    lotse::v1::NotificationRequest peek;
    peek.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    peek.mutable_actor()->set_id("bb-mitte");
    peek.mutable_inbox();
    auto r = set_->Notification(peek);
    office_head = r.ok() ? r->inbox().head() : 0;
    return office_head >= 3;  // routed A, routed B, claimed A
  }));
  lotse::v1::NotificationRequest wait;
  wait.set_request_id("wait");
  wait.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  wait.mutable_actor()->set_id("bb-mitte");
  wait.mutable_inbox()->set_ack(office_head);
  wait.mutable_inbox()->set_wait_ms(10000);
  ASSERT_TRUE(socket->Send({wait.SerializeAsString()}).ok());

  At(2, 12, 0);
  lotse::v1::RoutingRequest answer_a;
  answer_a.mutable_answer()->set_ref(a);
  answer_a.mutable_answer()->set_text("Keine Genehmigung nötig.");
  answer_a.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  Do("umwelt", "k.schulz", answer_a);
  ASSERT_TRUE(socket->WaitReadable(absl::Seconds(5)).value()) << set_->Log("notification");
  auto frames = socket->Receive();
  ASSERT_TRUE(frames.ok() && frames->has_value());
  lotse::v1::NotificationReply pushed;
  ASSERT_TRUE(pushed.ParseFromString((**frames).back()));
  ASSERT_EQ(pushed.inbox().messages_size(), 1) << pushed.DebugString();
  EXPECT_EQ(pushed.inbox().messages(0).kind(), lotse::v1::MESSAGE_KIND_ANSWER);
  EXPECT_EQ(pushed.inbox().messages(0).case_number(), a);

  AwaitStatus("bb-mitte", a, lotse::v1::REFERRAL_STATUS_ANSWERED);
  At(2, 13, 0);
  ASSERT_FALSE(set_->Feedback("bb-mitte", a, 5, true)->has_error());
  // B: answered Tuesday 09:00 = 7 h Monday + 1 h Tuesday = 8 h; feedback 3, not resolved.
  At(3, 9, 0);
  lotse::v1::RoutingRequest answer_b;
  answer_b.mutable_answer()->set_ref(b);
  answer_b.mutable_answer()->set_text("Teilweise: Gutachten nötig.");
  answer_b.mutable_answer()->set_outcome(lotse::v1::OUTCOME_PARTLY);
  Do("umwelt", "k.schulz", answer_b);
  AwaitStatus("bb-mitte", b, lotse::v1::REFERRAL_STATUS_ANSWERED);
  At(3, 10, 0);
  lotse::v1::IntakeRequest feedback_b;
  feedback_b.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  feedback_b.mutable_actor()->set_id("bb-mitte");
  feedback_b.mutable_feedback()->set_idempotency_key(NewKey());
  feedback_b.mutable_feedback()->set_ref(b);
  feedback_b.mutable_feedback()->set_rating(3);
  feedback_b.mutable_feedback()->set_resolved(false);
  ASSERT_FALSE(set_->Intake(feedback_b)->has_error());
  AwaitStatus("bb-mitte", a, lotse::v1::REFERRAL_STATUS_CLOSED);
  // Not resolved is not closed: routing opens B again with the Umweltamt.
  ASSERT_TRUE(set_->Eventually([&] {
    lotse::v1::RoutingRequest get;
    get.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    get.mutable_actor()->set_id("bb-mitte");
    get.mutable_get()->set_ref(b);
    auto r = set_->Routing(get);
    return r.ok() && r->referral().reopen_count() == 1;
  })) << b;

  // Audit has every event once both feedbacks (intake) and B's reopening (routing) are in: the
  // two arrive from different services in either order.
  lotse::v1::EvaluationReply e;
  ASSERT_TRUE(set_->Eventually([&] {
    e = Evaluate(false);
    return e.total().feedback() == 2 && e.total().reopenings() == 1;
  })) << e.DebugString();

  const lotse::v1::EvaluationFigures& umwelt = Group(e.departments(), "umwelt");
  EXPECT_EQ(umwelt.received(), 2u);
  EXPECT_EQ(umwelt.answered(), 2u);
  EXPECT_EQ(umwelt.open(), 0u);
  EXPECT_EQ(umwelt.time_to_first_action_median_us(), 1 * kHourUs);
  EXPECT_EQ(umwelt.time_to_first_action_p90_us(), 2 * kHourUs);
  EXPECT_EQ(umwelt.time_to_answer_median_us(), 3 * kHourUs);
  EXPECT_EQ(umwelt.time_to_answer_p90_us(), 8 * kHourUs);
  EXPECT_EQ(umwelt.answered_within_sla(), 2u);
  EXPECT_DOUBLE_EQ(umwelt.sla_share(), 1.0);
  EXPECT_EQ(umwelt.consultations(), 1u);
  EXPECT_DOUBLE_EQ(umwelt.consultations_per_referral(), 0.5);
  EXPECT_EQ(umwelt.forwards(), 0u);
  EXPECT_EQ(umwelt.escalations(), 0u);
  EXPECT_EQ(umwelt.feedback(), 2u);
  EXPECT_DOUBLE_EQ(umwelt.average_rating(), 4.0);
  EXPECT_DOUBLE_EQ(umwelt.resolved_share(), 0.5);

  const lotse::v1::EvaluationFigures& mitte = Group(e.offices(), "bb-mitte");
  EXPECT_EQ(mitte.received(), 2u);
  EXPECT_EQ(mitte.answered(), 2u);
  EXPECT_DOUBLE_EQ(mitte.average_rating(), 4.0);
  const lotse::v1::EvaluationFigures& nord = Group(e.offices(), "bb-nord");
  EXPECT_EQ(nord.received(), 1u);
  EXPECT_EQ(nord.open(), 1u);
  const lotse::v1::EvaluationFigures& gewerbe = Group(e.departments(), "ordnung-gewerbe");
  EXPECT_EQ(gewerbe.received(), 1u);
  EXPECT_EQ(gewerbe.answered(), 0u);
  EXPECT_EQ(e.total().received(), 3u);

  // The audit log alone gives the same figures.
  lotse::v1::EvaluationReply rebuilt = Evaluate(true);
  EXPECT_TRUE(rebuilt.rebuilt());
  rebuilt.set_rebuilt(false);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(e, rebuilt))
      << e.DebugString() << "\nrebuilt:\n" << rebuilt.DebugString();
}

}  // namespace
}  // namespace lotse::test
