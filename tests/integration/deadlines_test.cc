// Case work's clocks through the real intake and routing processes, on a known timeline
// (service time set through LOTSE_CLOCK_FILE): a question back to the company pauses the answer
// clock, the first reaction escalates before the answer, the ladder's second level, a
// consultation with its own earlier deadline, answering with open consultations, and feedback
// "not resolved" reopening the referral. The sample city's Umweltamt: Mon-Thu 08:00-16:00,
// Fri 08:00-12:30, answer 24 business hours, first reaction 6, lead um-wagner.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

using lotse::v1::Envelope;
using lotse::v1::ReferralState;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

constexpr int64_t kHourUs = int64_t{3600} * 1000 * 1000;

class DeadlinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin_));
    clock_file_ = clock_dir_.Join("now");
    At(2, 9, 0);
    setenv("LOTSE_CLOCK_FILE", clock_file_.c_str(), 1);  // inherited by the services
    set_ = std::make_unique<LotseSet>();
    set_->StartAll();
  }
  void TearDown() override {
    set_.reset();
    unsetenv("LOTSE_CLOCK_FILE");
  }

  // March `day`, 2026, hh:mm in Berlin.
  absl::Time March(int day, int hh, int mm) const {
    return absl::FromCivil(absl::CivilMinute(2026, 3, day, hh, mm), berlin_);
  }
  int64_t Us(int day, int hh, int mm) const { return absl::ToUnixMicros(March(day, hh, mm)); }
  // Sets service time to March `day`, 2026, hh:mm in Berlin.
  void At(int day, int hh, int mm) {
    ASSERT_TRUE(WriteFile(clock_file_, std::to_string(Us(day, hh, mm))).ok());
  }

  // Waits until routing has run two more timer scans (its /metrics): the one under way may
  // still have read the time before the last At(), the next one has not.
  void TwoTimerScans() {
    const auto scans = [&] {
      return MetricValue(HttpGet(set_->OpsPort("routing"), "/metrics").body,
                         R"(lotse_timer_scans_total{service="routing"})");
    };
    const double before = scans();
    ASSERT_GE(before, 0) << "routing's /metrics has no lotse_timer_scans_total";
    ASSERT_TRUE(set_->Eventually([&] { return scans() >= before + 2; }));
  }

  // Submits an emissionsschutz question from bb-mitte and waits until routing has it.
  std::string SubmitToUmwelt() {
    auto r = set_->Submit("bb-mitte", "emissionsschutz", "HRB-" + NewKey());
    EXPECT_TRUE(r.ok() && !r->has_error());
    const std::string id = r.ok() ? r->submitted().referral_id() : "";
    EXPECT_TRUE(set_->Eventually([&] { return Get(id).assignee() == "umwelt"; }))
        << set_->Log("routing");
    return id;
  }

  // Routing's state of `ref`, as admin.
  ReferralState Get(const std::string& ref) {
    RoutingRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    request.mutable_actor()->set_id("admin");
    request.mutable_get()->set_ref(ref);
    auto r = set_->Routing(request);
    return r.ok() && r->has_referral() ? r->referral() : ReferralState{};
  }

  // A routing command as `actor_kind` `actor_id` (user "k.schulz"): the reply.
  RoutingReply Send(lotse::v1::ActorKind actor_kind, const std::string& actor_id,
                    RoutingRequest request) {
    request.mutable_actor()->set_kind(actor_kind);
    request.mutable_actor()->set_id(actor_id);
    if (actor_kind == lotse::v1::ACTOR_KIND_DEPARTMENT) {
      request.mutable_actor()->set_user("k.schulz");
    }
    request.set_idempotency_key(NewKey());
    auto r = set_->Routing(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RoutingReply{};
  }
  RoutingReply AsUmwelt(RoutingRequest request) {
    return Send(lotse::v1::ACTOR_KIND_DEPARTMENT, "umwelt", std::move(request));
  }

  static RoutingRequest AskCompany(const std::string& ref) {
    RoutingRequest r;
    r.mutable_ask_company()->set_ref(ref);
    r.mutable_ask_company()->set_question("Welche Lackieranlage genau?");
    return r;
  }
  static RoutingRequest CompanyReplied(const std::string& ref) {
    RoutingRequest r;
    r.mutable_company_replied()->set_ref(ref);
    r.mutable_company_replied()->set_text("Die Anlage in Halle 3.");
    return r;
  }
  static RoutingRequest Answer(const std::string& ref, bool confirm = false) {
    RoutingRequest r;
    r.mutable_answer()->set_ref(ref);
    r.mutable_answer()->set_text("Keine Genehmigung nötig.");
    r.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
    r.mutable_answer()->set_confirm_open_consultations(confirm);
    return r;
  }
  static RoutingRequest Claim(const std::string& ref) {
    RoutingRequest r;
    r.mutable_claim()->set_ref(ref);
    return r;
  }

  // Routing's events about `id`, in log order.
  std::vector<Envelope> EventsOf(const std::string& id) {
    std::vector<Envelope> about;
    auto events = set_->LogEvents("routing");
    EXPECT_TRUE(events.ok()) << events.status();
    for (const Envelope& e : events.value_or(std::vector<Envelope>{})) {
      if (e.referral_id() == id) {
        about.push_back(e);
      }
    }
    return about;
  }
  std::vector<lotse::v1::Escalated> EscalationsOf(const std::string& id) {
    std::vector<lotse::v1::Escalated> escalations;
    for (const Envelope& e : EventsOf(id)) {
      if (e.has_escalated()) {
        escalations.push_back(e.escalated());
      }
    }
    return escalations;
  }

  // Refused with `code` naming `field`, and the stored referral unchanged.
  void ExpectRefused(const RoutingReply& reply, lotse::v1::ErrorCode code, const std::string& field,
                     const ReferralState& before) {
    ASSERT_TRUE(reply.has_error()) << reply.DebugString();
    EXPECT_EQ(reply.error().code(), code) << reply.error().message();
    EXPECT_EQ(reply.error().field(), field) << reply.error().message();
    EXPECT_EQ(Get(before.referral_id()).DebugString(), before.DebugString());
  }

  absl::TimeZone berlin_;
  TempDir clock_dir_;
  std::string clock_file_;
  std::unique_ptr<LotseSet> set_;
};

TEST_F(DeadlinesTest, AskingTheCompanyPausesTheAnswerClockUntilItsReply) {
  const std::string id = SubmitToUmwelt();
  // 24 business hours from Monday 09:00: Thursday 09:00.
  ASSERT_EQ(Get(id).due_at_us(), Us(5, 9, 0));

  // The company's reply cannot come before anyone asked.
  ReferralState before = Get(id);
  ExpectRefused(Send(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", CompanyReplied(id)),
                lotse::v1::ERROR_CODE_FAILED_PRECONDITION, "ref", before);

  At(2, 10, 0);
  // A department that does not have the referral may not ask; to it the referral is unknown.
  ExpectRefused(Send(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", AskCompany(id)),
                lotse::v1::ERROR_CODE_NOT_FOUND, "ref", before);
  const RoutingReply asked = AsUmwelt(AskCompany(id));
  ASSERT_FALSE(asked.has_error()) << asked.error().message();
  EXPECT_EQ(asked.referral().waiting_since_us(), Us(2, 10, 0));
  EXPECT_EQ(asked.referral().first_reacted_at_us(), Us(2, 10, 0));  // asking is a reaction

  before = Get(id);
  ASSERT_EQ(before.waiting_since_us(), Us(2, 10, 0));
  // Asking again while it waits; another office, a department that is not the assignee, ops
  // entering the reply: refused, nothing stored.
  ExpectRefused(AsUmwelt(AskCompany(id)), lotse::v1::ERROR_CODE_FAILED_PRECONDITION, "ref", before);
  ExpectRefused(Send(lotse::v1::ACTOR_KIND_OFFICE, "bb-nord", CompanyReplied(id)),
                lotse::v1::ERROR_CODE_NOT_FOUND, "ref", before);
  ExpectRefused(Send(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", CompanyReplied(id)),
                lotse::v1::ERROR_CODE_NOT_FOUND, "ref", before);
  const RoutingReply by_ops = Send(lotse::v1::ACTOR_KIND_OPS, "ops", CompanyReplied(id));
  ASSERT_TRUE(by_ops.has_error());
  EXPECT_EQ(Get(id).DebugString(), before.DebugString());

  // Friday 10:00: past the due time, but the clock stands still: no escalation at all.
  At(6, 10, 0);
  TwoTimerScans();
  EXPECT_TRUE(EscalationsOf(id).empty());
  EXPECT_FALSE(Get(id).warned());

  // The office enters the reply: paused Mon 10-16, Tue-Thu 8 h each, Fri 08-10: 32 hours.
  const RoutingReply replied = Send(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", CompanyReplied(id));
  ASSERT_FALSE(replied.has_error()) << replied.error().message();
  const ReferralState after = Get(id);
  EXPECT_EQ(after.waiting_since_us(), 0);
  EXPECT_EQ(after.paused_business_us(), 32 * kHourUs);
  ASSERT_EQ(after.company_questions_size(), 1);
  EXPECT_EQ(after.company_questions(0).reply(), "Die Anlage in Halle 3.");
  EXPECT_EQ(after.company_questions(0).replied_by(), "bb-mitte");
  // Thursday 09:00 + 32 h: Thu 7, Fri 4.5, Mon 8, Tue 8, Wed 4.5: Wednesday 11 March 12:30.
  EXPECT_EQ(after.due_at_us(), Us(11, 12, 30));
  // A second reply: not waiting any more.
  ExpectRefused(Send(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", CompanyReplied(id)),
                lotse::v1::ERROR_CODE_FAILED_PRECONDITION, "ref", after);

  // Routing's log (the history) shows both, with the moved due time.
  std::vector<std::string> kinds;
  for (const Envelope& e : EventsOf(id)) {
    if (e.has_company_asked()) {
      EXPECT_EQ(e.company_asked().office(), "bb-mitte");
      kinds.push_back("asked");
    } else if (e.has_company_replied()) {
      EXPECT_EQ(e.company_replied().due_at_us(), Us(11, 12, 30));
      EXPECT_EQ(e.company_replied().paused_business_us(), 32 * kHourUs);
      kinds.push_back("replied");
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"asked", "replied"}));
}

TEST_F(DeadlinesTest, FirstReactionEscalatesBeforeTheAnswerAndTheLadderReachesTheHead) {
  const std::string id = SubmitToUmwelt();
  const ReferralState routed = Get(id);
  EXPECT_EQ(routed.first_reaction_due_at_us(), Us(2, 15, 0));  // 6 business hours
  EXPECT_EQ(routed.assignee_since_us(), Us(2, 9, 0));
  // Nobody reacts by Monday 15:00: the first reaction's warning and breach.
  At(2, 15, 30);
  ASSERT_TRUE(set_->Eventually([&] { return Get(id).first_reaction_escalated(); }))
      << set_->Log("routing");
  EXPECT_FALSE(Get(id).escalated());
  std::vector<lotse::v1::Escalated> escalations = EscalationsOf(id);
  ASSERT_EQ(escalations.size(), 2u);
  EXPECT_EQ(escalations[0].deadline(), lotse::v1::DEADLINE_FIRST_REACTION);
  EXPECT_EQ(escalations[0].level(), lotse::v1::ESCALATION_LEVEL_WARNING);
  EXPECT_EQ(escalations[1].deadline(), lotse::v1::DEADLINE_FIRST_REACTION);
  EXPECT_EQ(escalations[1].level(), lotse::v1::ESCALATION_LEVEL_BREACH);
  EXPECT_EQ(escalations[1].due_at_us(), Us(2, 15, 0));
  // The breach reaches the department's lead.
  EXPECT_EQ(std::vector<std::string>(escalations[1].notify_staff().begin(),
                                     escalations[1].notify_staff().end()),
            std::vector<std::string>{"um-wagner"});

  // The answer: due Thursday 09:00; the second level 8 business hours later, Friday 09:00.
  EXPECT_EQ(routed.second_breach_at_us(), Us(6, 9, 0));
  At(5, 9, 30);
  ASSERT_TRUE(set_->Eventually([&] { return Get(id).escalated(); })) << set_->Log("routing");
  EXPECT_FALSE(Get(id).second_escalated());
  At(6, 9, 30);
  ASSERT_TRUE(set_->Eventually([&] { return Get(id).second_escalated(); })) << set_->Log("routing");
  escalations = EscalationsOf(id);
  ASSERT_EQ(escalations.size(), 5u);  // first reaction 2, answer warning, breach, second level
  EXPECT_EQ(escalations[2].deadline(), lotse::v1::DEADLINE_ANSWER);
  EXPECT_EQ(escalations[2].level(), lotse::v1::ESCALATION_LEVEL_WARNING);
  EXPECT_EQ(escalations[3].level(), lotse::v1::ESCALATION_LEVEL_BREACH);
  EXPECT_EQ(escalations[4].level(), lotse::v1::ESCALATION_LEVEL_SECOND_BREACH);
  EXPECT_EQ(std::vector<std::string>(escalations[4].notify_staff().begin(),
                                     escalations[4].notify_staff().end()),
            (std::vector<std::string>{"um-wagner", "head"}));
  // More scans add nothing.
  TwoTimerScans();
  EXPECT_EQ(EscalationsOf(id).size(), 5u);
}

TEST_F(DeadlinesTest, ConsultationWithAnEarlierDeadlineEscalatesAndAnswerAsksToConfirm) {
  const std::string id = SubmitToUmwelt();
  At(2, 10, 0);
  ASSERT_FALSE(AsUmwelt(Claim(id)).has_error());
  ReferralState before = Get(id);
  EXPECT_EQ(before.first_reacted_at_us(), Us(2, 10, 0));
  const auto consult = [&](int64_t due_us) {
    RoutingRequest r;
    r.mutable_consult()->set_ref(id);
    r.mutable_consult()->add_departments("bauordnung");
    r.mutable_consult()->set_question("Ist eine Baugenehmigung nötig?");
    r.mutable_consult()->set_due_at_us(due_us);
    return r;
  };
  // In the past, and after the referral's own due time (Thursday 09:00): refused, nothing kept.
  ExpectRefused(AsUmwelt(consult(Us(2, 9, 30))), lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "due",
                before);
  ExpectRefused(AsUmwelt(consult(Us(5, 10, 0))), lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "due",
                before);
  // By another department: unknown to it.
  ExpectRefused(Send(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", consult(Us(2, 14, 0))),
                lotse::v1::ERROR_CODE_NOT_FOUND, "ref", before);

  const RoutingReply consulted = AsUmwelt(consult(Us(2, 14, 0)));
  ASSERT_FALSE(consulted.has_error()) << consulted.error().message();
  ASSERT_EQ(consulted.referral().consultations_size(), 1);
  EXPECT_EQ(consulted.referral().consultations(0).due_at_us(), Us(2, 14, 0));
  EXPECT_EQ(consulted.referral().consultations(0).warn_at_us(), Us(2, 13, 0));

  // Bauordnung does not contribute by 14:00: the consultation escalates to its lead.
  At(2, 14, 30);
  ASSERT_TRUE(set_->Eventually([&] {
    const ReferralState s = Get(id);
    return s.consultations_size() == 1 && s.consultations(0).escalated();
  })) << set_->Log("routing");
  const std::vector<lotse::v1::Escalated> escalations = EscalationsOf(id);
  ASSERT_EQ(escalations.size(), 2u);
  for (const lotse::v1::Escalated& e : escalations) {
    EXPECT_EQ(e.deadline(), lotse::v1::DEADLINE_CONSULTATION);
    EXPECT_EQ(e.department(), "bauordnung");
  }
  EXPECT_EQ(escalations[1].level(), lotse::v1::ESCALATION_LEVEL_BREACH);
  EXPECT_EQ(std::vector<std::string>(escalations[1].notify_staff().begin(),
                                     escalations[1].notify_staff().end()),
            std::vector<std::string>{"bo-becker"});
  EXPECT_FALSE(Get(id).escalated());  // the referral's own clock still runs

  // Answering while the contribution is open: refused naming the department, nothing kept.
  before = Get(id);
  const RoutingReply unconfirmed = AsUmwelt(Answer(id));
  ExpectRefused(unconfirmed, lotse::v1::ERROR_CODE_FAILED_PRECONDITION,
                "confirm_open_consultations", before);
  EXPECT_NE(unconfirmed.error().message().find("bauordnung"), std::string::npos);
  EXPECT_NE(unconfirmed.error().message().find("--confirm"), std::string::npos);
  const RoutingReply confirmed = AsUmwelt(Answer(id, /*confirm=*/true));
  ASSERT_FALSE(confirmed.has_error()) << confirmed.error().message();
  EXPECT_EQ(Get(id).status(), lotse::v1::REFERRAL_STATUS_ANSWERED);
}

TEST_F(DeadlinesTest, FeedbackNotResolvedReopensWithTheSameDepartment) {
  const std::string id = SubmitToUmwelt();
  const int64_t submitted_at = Get(id).submitted_at_us();
  At(2, 10, 0);
  ASSERT_FALSE(AsUmwelt(Claim(id)).has_error());
  At(2, 11, 0);
  ASSERT_FALSE(AsUmwelt(Answer(id)).has_error());
  ASSERT_TRUE(set_->Eventually([&] {
    auto r = set_->Status("bb-mitte", id);
    return r.ok() && r->referral().status() == lotse::v1::REFERRAL_STATUS_ANSWERED;
  }));

  // Tuesday 09:00: "not resolved". Routing opens it again with the Umweltamt.
  At(3, 9, 0);
  auto feedback = set_->Feedback("bb-mitte", id, 2, /*resolved=*/false);
  ASSERT_TRUE(feedback.ok() && !feedback->has_error());
  ASSERT_TRUE(set_->Eventually([&] { return Get(id).reopen_count() == 1; }))
      << set_->Log("routing");
  const ReferralState reopened = Get(id);
  EXPECT_EQ(reopened.status(), lotse::v1::REFERRAL_STATUS_ROUTED);
  EXPECT_EQ(reopened.assignee(), "umwelt");
  EXPECT_EQ(reopened.submitted_at_us(), submitted_at);  // the company's whole wait
  EXPECT_EQ(reopened.assignee_since_us(), Us(3, 9, 0));
  EXPECT_FALSE(reopened.has_answer());
  EXPECT_EQ(reopened.claimed_by(), "");
  EXPECT_FALSE(reopened.feedback().resolved());
  // New clocks from now: 24 business hours from Tuesday 09:00 is Friday 09:00.
  EXPECT_EQ(reopened.due_at_us(), Us(6, 9, 0));
  EXPECT_EQ(reopened.first_reacted_at_us(), 0);
  bool closed = false;
  int reopened_events = 0;
  for (const Envelope& e : EventsOf(id)) {
    closed = closed || e.has_closed();
    if (e.has_reopened()) {
      ++reopened_events;
      EXPECT_EQ(e.reopened().reason(), "feedback: not resolved");
      EXPECT_EQ(e.reopened().reopen_count(), 1);
      EXPECT_EQ(e.reopened().office(), "bb-mitte");
    }
  }
  EXPECT_FALSE(closed);
  EXPECT_EQ(reopened_events, 1);
  // It is back on the department's worklist.
  auto list = set_->Worklist("umwelt");
  ASSERT_TRUE(list.ok());
  bool listed = false;
  for (const lotse::v1::WorkItem& item : list->worklist().items()) {
    listed = listed || item.referral_id() == id;
  }
  EXPECT_TRUE(list->has_worklist() && listed);

  // The department answers again; the answer is there, the count stays.
  At(3, 10, 0);
  ASSERT_FALSE(AsUmwelt(Claim(id)).has_error());
  ASSERT_FALSE(AsUmwelt(Answer(id)).has_error());
  EXPECT_EQ(Get(id).status(), lotse::v1::REFERRAL_STATUS_ANSWERED);
  EXPECT_EQ(Get(id).reopen_count(), 1);
}

}  // namespace
}  // namespace lotse::test
