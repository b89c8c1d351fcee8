#include "services/audit/evaluation.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/service/errors.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace lotse::audit {
namespace {

using google::protobuf::util::MessageDifferencer;
using lotse::v1::Envelope;
using lotse::v1::EvaluationFigures;
using lotse::v1::EvaluationGroup;
using lotse::v1::EvaluationReply;
using lotse::v1::EvaluationRequest;
using lotse::v1::ReferralFacts;

int64_t Hours(double h) { return absl::ToInt64Microseconds(absl::Hours(h)); }

config::Config MakeConfig() {
  config::Config c;
  c.city.state = "NW";
  c.city.timezone = "Europe/Berlin";
  c.city.closing_days.clear();
  auto department = [&](std::string id, std::string name, std::string hours) {
    config::Department d;
    d.id = std::move(id);
    d.name = std::move(name);
    d.sla_hours = 8;
    d.office_hours = std::move(hours);
    c.departments.push_back(d);
  };
  department("bauordnung", "Bauordnungsamt", "Mon-Fri 08:00-16:00");
  department("gewerbe", "Gewerbeamt", "Mon-Fri 10:00-18:00");  // later hours: the KAM's calendar
  department("umwelt", "Umweltamt", "Mon-Fri 08:00-16:00");
  config::KeyAccount kam;
  kam.id = "kam-schneider";
  kam.name = "Anna Schneider";
  kam.department = "gewerbe";
  kam.companies = {"c-1"};
  c.key_accounts.push_back(kam);
  for (const auto& [id, name] : std::vector<std::pair<std::string, std::string>>{
           {"bb-mitte", "Bürgerbüro Mitte"}, {"bb-sued", "Bürgerbüro Süd"}}) {
    config::Office o;
    o.id = id;
    o.name = name;
    c.offices.push_back(o);
  }
  c.routing.default_department = "gewerbe";
  return c;
}

// A real store in a temp dir, events recorded the way the audit service records them
// (RecordEvent: chain entry and facts in one commit), and the evaluator of MakeConfig().
class EvaluationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/evaluation_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::Options options;
    options.path = dir_;
    options.state_families = StateFamilies();
    auto store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &tz_));
    auto evaluator = Evaluator::Create(MakeConfig());
    ASSERT_TRUE(evaluator.ok()) << evaluator.status();
    evaluator_.emplace(*std::move(evaluator));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Local time in Europe/Berlin, in microseconds.
  int64_t At(int month, int day, int hour, int minute = 0) const {
    return absl::ToUnixMicros(
        absl::FromCivil(absl::CivilMinute(2026, month, day, hour, minute), tz_));
  }
  // 2 March 2026 is a Monday.
  int64_t Mon(int hour, int minute = 0) const { return At(3, 2, hour, minute); }

  Envelope Event(const std::string& id, int64_t at) {
    Envelope e;
    e.set_referral_id(id);
    e.set_case_number("2026-" + id);
    e.set_occurred_at_us(at);
    e.set_stream("routing");
    return e;
  }
  Envelope Submitted(const std::string& id, const std::string& office, int64_t at) {
    Envelope e = Event(id, at);
    e.set_stream("intake");
    e.mutable_referral_submitted()->mutable_referral()->set_office(office);
    e.mutable_referral_submitted()->mutable_referral()->set_topic("topic-" + id);
    e.mutable_referral_submitted()->set_submitted_at_us(at);
    return e;
  }
  Envelope Routed(const std::string& id, const std::string& office, const std::string& assignee,
                  int64_t due, int64_t at, const std::string& kam = "") {
    Envelope e = Event(id, at);
    lotse::v1::ReferralRouted* r = e.mutable_referral_routed();
    r->set_assignee(assignee);
    r->set_responsible_department(kam.empty() ? assignee : "gewerbe");
    r->set_key_account(kam);
    r->set_due_at_us(due);
    r->set_office(office);
    r->set_topic("topic-" + id);
    return e;
  }
  Envelope Claimed(const std::string& id, const std::string& assignee, int64_t at) {
    Envelope e = Event(id, at);
    e.mutable_claimed()->set_assignee(assignee);
    e.mutable_claimed()->set_user("u1");
    return e;
  }
  Envelope Forwarded(const std::string& id, const std::string& from, const std::string& to,
                     int64_t due, int64_t at) {
    Envelope e = Event(id, at);
    e.mutable_forwarded()->set_from(from);
    e.mutable_forwarded()->set_to(to);
    e.mutable_forwarded()->set_due_at_us(due);
    return e;
  }
  Envelope Consulted(const std::string& id, const std::string& assignee,
                     const std::string& department, int64_t at) {
    Envelope e = Event(id, at);
    e.mutable_consultation_opened()->set_assignee(assignee);
    e.mutable_consultation_opened()->add_departments(department);
    return e;
  }
  Envelope Contributed(const std::string& id, const std::string& department, int64_t at) {
    Envelope e = Event(id, at);
    e.mutable_contribution_added()->set_department(department);
    return e;
  }
  Envelope Answered(const std::string& id, const std::string& department, int64_t at) {
    Envelope e = Event(id, at);
    e.mutable_answered()->mutable_answer()->set_department(department);
    e.mutable_answered()->mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
    e.mutable_answered()->mutable_answer()->set_answered_at_us(at);
    return e;
  }
  Envelope Escalated(const std::string& id, lotse::v1::EscalationLevel level, int64_t at) {
    Envelope e = Event(id, at);
    e.mutable_escalated()->set_assignee("bauordnung");
    e.mutable_escalated()->set_level(level);
    return e;
  }
  Envelope Feedback(const std::string& id, int rating, bool resolved, int64_t at) {
    Envelope e = Event(id, at);
    e.set_stream("intake");
    e.mutable_feedback_submitted()->set_rating(rating);
    e.mutable_feedback_submitted()->set_resolved(resolved);
    return e;
  }
  Envelope Closed(const std::string& id, int rating, bool resolved, int64_t at) {
    Envelope e = Event(id, at);
    e.mutable_closed()->mutable_feedback()->set_rating(rating);
    e.mutable_closed()->mutable_feedback()->set_resolved(resolved);
    e.mutable_closed()->mutable_feedback()->set_submitted_at_us(at);
    return e;
  }

  // Records `events` in one commit, as the audit service does with a fetched batch. With
  // `facts` false, only the chain is written (a store from before the evaluation existed).
  void Record(std::vector<Envelope> events, bool facts = true) {
    store::Batch batch(store_.get());
    for (Envelope& e : events) {
      e.set_seq(++seq_[e.stream()]);
      e.set_event_id(e.stream() + "-1-" + std::to_string(e.seq()));
      const std::string raw = e.SerializeAsString();
      const absl::Status s = facts ? RecordEvent(batch, e, raw, absl::Now())
                                   : Chain::Append(batch, e, raw, absl::Now());
      ASSERT_TRUE(s.ok()) << s;
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }

  // The timeline (all in Europe/Berlin; bauordnung and umwelt open 08-16, gewerbe 10-18):
  //  r3 bb-mitte  Fri 27 Feb 15:00 -> bauordnung, claimed Mon 08:30, answered Mon 09:00 (due
  //               Mon 10:00): 1.5 h to first action, 2 h to answer, within SLA.
  //  r1 bb-mitte  Mon 08:00 -> bauordnung, claimed 08:30, answered 11:00 (due 12:00); rated 5,
  //               resolved: 0.5 h, 3 h, within.
  //  r2 bb-sued   Mon 09:00 -> umwelt, forwarded to bauordnung 10:00 (due 11:00), warning 10:30,
  //               breach 11:00, consults gewerbe 11:00, answered 14:00; rated 4, not resolved:
  //               1 h, 5 h, late.
  //  r4 bb-mitte  Mon 13:00 -> gewerbe, forwarded to bauordnung 14:00; open: 1 h.
  //  r5 bb-sued   Mon 08:00 -> kam-schneider (home gewerbe, 10-18), claimed 10:15, answered
  //               12:00 (due 14:00); rated 3, resolved: 0.25 h, 2 h, within. Routing's events
  //               reach audit before intake's, and Closed before FeedbackSubmitted.
  //  r7 bb-mitte  Mon 15:00, not routed yet.
  //  r6 bb-mitte  Mon 9 Mar 00:00 -> bauordnung, answered 09:00: outside [23 Feb, 9 Mar).
  void RecordTimeline(bool facts = true) {
    Record({Submitted("r3", "bb-mitte", At(2, 27, 15)),
            Routed("r3", "bb-mitte", "bauordnung", Mon(10), At(2, 27, 15))},
           facts);
    Record({Submitted("r1", "bb-mitte", Mon(8)),
            Routed("r1", "bb-mitte", "bauordnung", Mon(12), Mon(8)),
            Routed("r5", "bb-sued", "kam-schneider", Mon(14), Mon(8), "kam-schneider")},
           facts);
    Record({Claimed("r1", "bauordnung", Mon(8, 30)), Claimed("r3", "bauordnung", Mon(8, 30))},
           facts);
    Record({Submitted("r5", "bb-sued", Mon(8))}, facts);
    Record({Answered("r3", "bauordnung", Mon(9)), Submitted("r2", "bb-sued", Mon(9)),
            Routed("r2", "bb-sued", "umwelt", Mon(16), Mon(9))},
           facts);
    Record({Forwarded("r2", "umwelt", "bauordnung", Mon(11), Mon(10)),
            Claimed("r5", "kam-schneider", Mon(10, 15)),
            Escalated("r2", lotse::v1::ESCALATION_LEVEL_WARNING, Mon(10, 30))},
           facts);
    Record({Answered("r1", "bauordnung", Mon(11)),
            Escalated("r2", lotse::v1::ESCALATION_LEVEL_BREACH, Mon(11)),
            Consulted("r2", "bauordnung", "gewerbe", Mon(11))},
           facts);
    Record({Contributed("r2", "gewerbe", Mon(12)), Answered("r5", "kam-schneider", Mon(12))},
           facts);
    Record({Submitted("r4", "bb-mitte", Mon(13)), Feedback("r1", 5, true, Mon(13)),
            Closed("r1", 5, true, Mon(13)), Routed("r4", "bb-mitte", "gewerbe", Mon(17), Mon(13))},
           facts);
    Record({Answered("r2", "bauordnung", Mon(14)),
            Forwarded("r4", "gewerbe", "bauordnung", At(3, 3, 14), Mon(14))},
           facts);
    Record({Submitted("r7", "bb-mitte", Mon(15)), Feedback("r2", 4, false, Mon(15)),
            Closed("r2", 4, false, Mon(15))},
           facts);
    Record({Closed("r5", 3, true, Mon(16))}, facts);
    Record({Feedback("r5", 3, true, Mon(16))}, facts);
    Record({Submitted("r6", "bb-mitte", At(3, 9, 0)),
            Routed("r6", "bb-mitte", "bauordnung", At(3, 9, 12), At(3, 9, 0)),
            Answered("r6", "bauordnung", At(3, 9, 9))},
           facts);
  }

  static EvaluationRequest Period(std::string from, std::string to, std::string department = "",
                                  std::string office = "") {
    EvaluationRequest r;
    r.set_from(std::move(from));
    r.set_to(std::move(to));
    r.set_department(std::move(department));
    r.set_office(std::move(office));
    return r;
  }

  EvaluationReply Evaluate(const EvaluationRequest& request) {
    auto reply = evaluator_->Evaluate(StoredFacts(*store_), request);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : EvaluationReply();
  }

  static const EvaluationGroup* Find(
      const google::protobuf::RepeatedPtrField<EvaluationGroup>& groups, const std::string& id) {
    for (const EvaluationGroup& g : groups) {
      if (g.id() == id) {
        return &g;
      }
    }
    return nullptr;
  }

  std::string dir_;
  absl::TimeZone tz_;
  std::unique_ptr<store::Store> store_;
  std::optional<Evaluator> evaluator_;
  std::map<std::string, uint64_t> seq_;
};

TEST_F(EvaluationTest, DepartmentFiguresFollowTheTimeline) {
  RecordTimeline();
  const EvaluationReply reply = Evaluate(Period("2026-02-23", "2026-03-09", "bauordnung"));
  ASSERT_EQ(reply.departments_size(), 1);
  EXPECT_EQ(reply.offices_size(), 0);
  const EvaluationGroup& g = reply.departments(0);
  EXPECT_EQ(g.id(), "bauordnung");
  EXPECT_EQ(g.name(), "Bauordnungsamt");
  const EvaluationFigures& f = g.figures();
  EXPECT_EQ(f.received(), 4u);  // r1, r2 (forwarded in), r3, r4 (forwarded in, open)
  EXPECT_EQ(f.answered(), 3u);
  EXPECT_EQ(f.open(), 1u);
  EXPECT_EQ(f.acted_on(), 4u);
  EXPECT_EQ(f.time_to_first_action_median_us(), Hours(1));  // of 0.5, 1, 1, 1.5 h: 2nd
  EXPECT_EQ(f.time_to_first_action_p90_us(), Hours(1.5));
  EXPECT_EQ(f.time_to_answer_median_us(), Hours(3));  // of 2, 3, 5 h
  EXPECT_EQ(f.time_to_answer_p90_us(), Hours(5));
  EXPECT_EQ(f.answered_within_sla(), 2u);
  EXPECT_DOUBLE_EQ(f.sla_share(), 2.0 / 3.0);
  EXPECT_EQ(f.warnings(), 1u);
  EXPECT_EQ(f.escalations(), 1u);
  EXPECT_EQ(f.forwards(), 2u);
  EXPECT_DOUBLE_EQ(f.forwards_per_referral(), 0.5);
  EXPECT_EQ(f.consultations(), 1u);
  EXPECT_DOUBLE_EQ(f.consultations_per_referral(), 0.25);
  EXPECT_EQ(f.feedback(), 2u);
  EXPECT_DOUBLE_EQ(f.average_rating(), 4.5);
  EXPECT_EQ(f.resolved(), 1u);
  EXPECT_DOUBLE_EQ(f.resolved_share(), 0.5);
  EXPECT_TRUE(MessageDifferencer::Equals(reply.total(), f));
  EXPECT_EQ(reply.time_zone(), "Europe/Berlin");
  EXPECT_FALSE(reply.rebuilt());
}

TEST_F(EvaluationTest, OfficeFiguresFollowTheTimeline) {
  RecordTimeline();
  const EvaluationReply sued = Evaluate(Period("2026-02-23", "2026-03-09", "", "bb-sued"));
  ASSERT_EQ(sued.offices_size(), 1);
  EXPECT_EQ(sued.departments_size(), 0);
  EXPECT_EQ(sued.offices(0).name(), "Bürgerbüro Süd");
  const EvaluationFigures& s = sued.offices(0).figures();
  EXPECT_EQ(s.received(), 2u);  // r2, r5
  EXPECT_EQ(s.answered(), 2u);
  EXPECT_EQ(s.open(), 0u);
  // r5's 2 h come from the KAM's home calendar (gewerbe opens at 10:00), not bauordnung's (4 h).
  EXPECT_EQ(s.time_to_answer_median_us(), Hours(2));  // of 2, 5 h: the 1st
  EXPECT_EQ(s.time_to_answer_p90_us(), Hours(5));
  EXPECT_EQ(s.time_to_first_action_median_us(), Hours(0.25));
  EXPECT_EQ(s.time_to_first_action_p90_us(), Hours(1));
  EXPECT_DOUBLE_EQ(s.sla_share(), 0.5);
  EXPECT_EQ(s.warnings(), 1u);
  EXPECT_EQ(s.escalations(), 1u);
  EXPECT_DOUBLE_EQ(s.forwards_per_referral(), 0.5);
  EXPECT_DOUBLE_EQ(s.consultations_per_referral(), 0.5);
  EXPECT_EQ(s.feedback(), 2u);
  EXPECT_DOUBLE_EQ(s.average_rating(), 3.5);
  EXPECT_DOUBLE_EQ(s.resolved_share(), 0.5);

  const EvaluationReply mitte = Evaluate(Period("2026-02-23", "2026-03-09", "", "bb-mitte"));
  ASSERT_EQ(mitte.offices_size(), 1);
  const EvaluationFigures& m = mitte.offices(0).figures();
  EXPECT_EQ(m.received(), 4u);  // r1, r3, r4 and the unrouted r7; not r6 (9 March)
  EXPECT_EQ(m.answered(), 2u);
  EXPECT_EQ(m.open(), 2u);
  EXPECT_EQ(m.acted_on(), 3u);
  EXPECT_EQ(m.time_to_answer_median_us(), Hours(2));
  EXPECT_EQ(m.time_to_answer_p90_us(), Hours(3));
  EXPECT_EQ(m.time_to_first_action_median_us(), Hours(1));
  EXPECT_DOUBLE_EQ(m.sla_share(), 1.0);
  EXPECT_DOUBLE_EQ(m.forwards_per_referral(), 0.25);
  EXPECT_EQ(m.feedback(), 1u);
  EXPECT_DOUBLE_EQ(m.average_rating(), 5.0);
  EXPECT_DOUBLE_EQ(m.resolved_share(), 1.0);
}

TEST_F(EvaluationTest, WithoutAFilterEveryUnitIsListedIdleOnesWithZeros) {
  RecordTimeline();
  const EvaluationReply reply = Evaluate(Period("2026-02-23", "2026-03-09"));
  std::vector<std::string> departments;
  for (const EvaluationGroup& g : reply.departments()) {
    departments.push_back(g.id());
  }
  EXPECT_EQ(departments,
            (std::vector<std::string>{"bauordnung", "gewerbe", "umwelt", "kam-schneider"}));
  ASSERT_EQ(reply.offices_size(), 2);
  EXPECT_EQ(reply.offices(0).id(), "bb-mitte");
  EXPECT_EQ(reply.offices(0).figures().received(), 4u);
  EXPECT_EQ(reply.offices(1).figures().received(), 2u);
  // gewerbe forwarded r4 away and umwelt r2: neither counts it.
  EXPECT_TRUE(MessageDifferencer::Equals(Find(reply.departments(), "gewerbe")->figures(),
                                         EvaluationFigures()));
  EXPECT_TRUE(MessageDifferencer::Equals(Find(reply.departments(), "umwelt")->figures(),
                                         EvaluationFigures()));
  const EvaluationGroup* kam = Find(reply.departments(), "kam-schneider");
  EXPECT_EQ(kam->home_department(), "gewerbe");
  EXPECT_EQ(kam->figures().received(), 1u);
  EXPECT_EQ(kam->figures().time_to_answer_median_us(), Hours(2));
  EXPECT_DOUBLE_EQ(kam->figures().average_rating(), 3.0);
  const EvaluationFigures& t = reply.total();
  EXPECT_EQ(t.received(), 6u);
  EXPECT_EQ(t.answered(), 4u);
  EXPECT_EQ(t.time_to_answer_median_us(), Hours(2));  // of 2, 2, 3, 5 h: the 2nd
  EXPECT_EQ(t.time_to_answer_p90_us(), Hours(5));
  EXPECT_DOUBLE_EQ(t.sla_share(), 0.75);
}

TEST_F(EvaluationTest, FridayAfternoonToMondayMorningCountsTwoBusinessHours) {
  RecordTimeline();
  const EvaluationReply reply = Evaluate(Period("2026-02-27", "2026-02-28", "bauordnung"));
  const EvaluationFigures& f = reply.departments(0).figures();
  EXPECT_EQ(f.received(), 1u);                        // r3 alone
  EXPECT_EQ(f.time_to_answer_median_us(), Hours(2));  // Fri 15-16 and Mon 08-09
  EXPECT_EQ(f.time_to_first_action_median_us(), Hours(1.5));
}

TEST_F(EvaluationTest, ThePeriodIsFromInclusiveToExclusiveByLocalSubmissionDay) {
  RecordTimeline();
  EXPECT_EQ(Evaluate(Period("2026-03-02", "2026-03-09")).total().received(), 5u);  // not r3, r6
  EXPECT_EQ(Evaluate(Period("2026-03-09", "2026-03-10")).total().received(), 1u);  // r6 at 00:00
  EXPECT_EQ(Evaluate(Period("2026-02-23", "2026-03-10")).total().received(), 7u);
}

TEST_F(EvaluationTest, APeriodWithoutReferralsGivesZeros) {
  RecordTimeline();
  const EvaluationReply reply = Evaluate(Period("2026-04-01", "2026-05-01"));
  ASSERT_EQ(reply.departments_size(), 4);
  ASSERT_EQ(reply.offices_size(), 2);
  EXPECT_TRUE(MessageDifferencer::Equals(reply.total(), EvaluationFigures()));
  for (const EvaluationGroup& g : reply.departments()) {
    EXPECT_TRUE(MessageDifferencer::Equals(g.figures(), EvaluationFigures())) << g.id();
    EXPECT_FALSE(std::isnan(g.figures().sla_share()));
    EXPECT_FALSE(std::isnan(g.figures().average_rating()));
  }
  for (const EvaluationGroup& g : reply.offices()) {
    EXPECT_TRUE(MessageDifferencer::Equals(g.figures(), EvaluationFigures())) << g.id();
  }
}

TEST_F(EvaluationTest, RebuildingFromTheChainGivesIdenticalFigures) {
  RecordTimeline();
  for (const EvaluationRequest& request :
       {Period("2026-02-23", "2026-03-09"), Period("2026-02-23", "2026-03-09", "bauordnung"),
        Period("2026-03-02", "2026-03-03", "", "bb-sued"), Period("2020-01-01", "2030-01-01")}) {
    EvaluationReply incremental = Evaluate(request);
    auto rebuilt = evaluator_->RebuildFromChain(*store_, request);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_TRUE(rebuilt->rebuilt());
    rebuilt->clear_rebuilt();
    EXPECT_GT(incremental.total().received(), 0u);
    EXPECT_EQ(incremental.SerializeAsString(), rebuilt->SerializeAsString())
        << incremental.DebugString() << "\nvs\n"
        << rebuilt->DebugString();
  }
  // And the facts behind them, referral by referral.
  auto replayed = ReplayChain(*store_);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->size(), 7u);
  for (const auto& [id, facts] : *replayed) {
    auto stored = store_->Get(kFacts, id);
    ASSERT_TRUE(stored.ok() && stored->has_value()) << id;
    ReferralFacts parsed;
    ASSERT_TRUE(parsed.ParseFromString(**stored));
    EXPECT_TRUE(MessageDifferencer::Equals(parsed, facts)) << id;
  }
}

TEST_F(EvaluationTest, DeletedReferralsKeepTheirFiguresAnonymouslyMaintainedAndRebuilt) {
  RecordTimeline();
  const std::vector<EvaluationRequest> requests = {
      Period("2026-02-23", "2026-03-09"), Period("2026-02-23", "2026-03-09", "bauordnung"),
      Period("2026-03-02", "2026-03-03", "", "bb-sued")};
  std::vector<EvaluationReply> before;
  for (const EvaluationRequest& request : requests) {
    before.push_back(Evaluate(request));
  }
  // r1 and r2 (answered, rated) reach the end of their retention.
  for (const char* id : {"r1", "r2"}) {
    store::Batch batch(store_.get());
    Envelope deleted = Event(id, Mon(17));
    deleted.set_stream("intake");
    deleted.set_seq(++seq_["intake"]);
    deleted.mutable_referral_deleted()->set_reason("Aufbewahrungsfrist des Vorgangs abgelaufen");
    ASSERT_TRUE(RecordDeletion(batch, *store_, deleted, deleted.SerializeAsString(),
                               absl::FromUnixMicros(Mon(17)))
                    .ok());
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  // Their facts are no longer under their ids, and nothing kept names them.
  for (const char* id : {"r1", "r2"}) {
    auto stored = store_->Get(kFacts, id);
    ASSERT_TRUE(stored.ok());
    EXPECT_FALSE(stored->has_value()) << id;
  }
  int anonymous = 0;
  ASSERT_TRUE(StoredFacts(*store_)([&](const ReferralFacts& f) {
                if (f.referral_id().empty()) {
                  ++anonymous;
                  EXPECT_EQ(f.case_number(), "");
                }
              }).ok());
  EXPECT_EQ(anonymous, 2);
  ASSERT_TRUE(Chain::Verify(*store_)->ok());
  for (size_t i = 0; i < requests.size(); ++i) {
    EvaluationReply after = Evaluate(requests[i]);
    EXPECT_EQ(before[i].SerializeAsString(), after.SerializeAsString())
        << before[i].DebugString() << "\nvs\n"
        << after.DebugString();
    auto rebuilt = evaluator_->RebuildFromChain(*store_, requests[i]);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    rebuilt->clear_rebuilt();
    EXPECT_EQ(before[i].SerializeAsString(), rebuilt->SerializeAsString())
        << before[i].DebugString() << "\nvs\n"
        << rebuilt->DebugString();
  }
}

TEST_F(EvaluationTest, AChainFromBeforeTheEvaluationIsBackfilledOnce) {
  RecordTimeline(/*facts=*/false);
  const EvaluationRequest request = Period("2026-02-23", "2026-03-09");
  EXPECT_EQ(Evaluate(request).total().received(), 0u);  // nothing maintained yet
  ASSERT_TRUE(BackfillFacts(*store_).ok());
  EvaluationReply backfilled = Evaluate(request);
  EXPECT_EQ(backfilled.total().received(), 6u);
  auto rebuilt = evaluator_->RebuildFromChain(*store_, request);
  ASSERT_TRUE(rebuilt.ok());
  rebuilt->clear_rebuilt();
  EXPECT_EQ(backfilled.SerializeAsString(), rebuilt->SerializeAsString());
  // Once marked, a second backfill leaves the maintained facts alone.
  store::Batch batch(store_.get());
  batch.Delete(kFacts, "r1");
  ASSERT_TRUE(store_->Commit(batch).ok());
  ASSERT_TRUE(BackfillFacts(*store_).ok());
  EXPECT_EQ(Evaluate(request).total().received(), 5u);
}

// Intake's ids begin with the submission's millisecond: a period is a range of keys, and a month
// reads its own referrals (and those within a day of it), not every one stored.
TEST_F(EvaluationTest, APeriodReadsOnlyTheReferralsSubmittedInIt) {
  ASSERT_TRUE(CountOtherIdsOnce(*store_).ok());  // as the service does at start
  int n = 0;
  auto submit = [&](int64_t at, const std::string& department) {
    const std::string id = absl::StrFormat("r%011x%016x", at / 1000, ++n);
    Record({Submitted(id, "bb-mitte", at), Routed(id, "bb-mitte", department, at + 3600000000, at),
            Answered(id, department, at + 1800000000)});
  };
  for (int day : {9, 10, 11}) {
    submit(At(2, day, 9), "bauordnung");  // February
  }
  for (int day : {3, 10, 17, 24}) {
    submit(At(3, day, 9), "umwelt");  // March
  }
  for (int day : {20, 21}) {
    submit(At(4, day, 9), "bauordnung");  // April
  }
  const EvaluationRequest march = Period("2026-03-01", "2026-04-01");
  auto period = evaluator_->PeriodMicros(march);
  ASSERT_TRUE(period.ok()) << period.status();
  auto visits = [&](const FactsSource& source) {
    int count = 0;
    EXPECT_TRUE(source([&](const ReferralFacts&) { ++count; }).ok());
    return count;
  };
  const FactsSource ranged = StoredFacts(*store_, period->first, period->second);
  EXPECT_EQ(visits(ranged), 4);
  EXPECT_EQ(visits(StoredFacts(*store_)), 9);
  auto by_range = evaluator_->Evaluate(ranged, march);
  ASSERT_TRUE(by_range.ok()) << by_range.status();
  EXPECT_EQ(by_range->total().received(), 4u);
  EXPECT_EQ(by_range->SerializeAsString(), Evaluate(march).SerializeAsString());
  // Routed in March more than a day after its submission in February, intake's event not seen:
  // its facts lie outside March's keys, so it is counted, and every fact is read while it is so.
  const std::string late = absl::StrFormat("r%011x%016x", At(2, 20, 9) / 1000, ++n);
  Record({Routed(late, "bb-mitte", "umwelt", At(3, 5, 12), At(3, 5, 9))});
  EXPECT_EQ(visits(StoredFacts(*store_, period->first, period->second)), 10);
  auto routed_late =
      evaluator_->Evaluate(StoredFacts(*store_, period->first, period->second), march);
  ASSERT_TRUE(routed_late.ok());
  EXPECT_EQ(routed_late->total().received(), 5u);
  // Intake's event arrives: the clocks start at the submission, in February, and March's keys
  // hold March's referrals again.
  Record({Submitted(late, "bb-mitte", At(2, 20, 9))});
  EXPECT_EQ(visits(StoredFacts(*store_, period->first, period->second)), 4);
  // A referral under an id intake did not make (a store written by hand or by an old version)
  // cannot be placed by its key: then every fact is read, and the figures stay the same.
  Record({Submitted("x1", "bb-sued", At(3, 12, 9)),
          Routed("x1", "bb-sued", "umwelt", At(3, 12, 10), At(3, 12, 9))});
  EXPECT_EQ(visits(StoredFacts(*store_, period->first, period->second)), 11);
  auto with_other =
      evaluator_->Evaluate(StoredFacts(*store_, period->first, period->second), march);
  ASSERT_TRUE(with_other.ok());
  EXPECT_EQ(with_other->total().received(), 5u);
}

TEST(ApplyToFactsTest, IntakeAndRoutingEventsMayArriveInEitherOrder) {
  Envelope submitted;
  submitted.set_referral_id("r");
  submitted.set_occurred_at_us(100);
  submitted.mutable_referral_submitted()->mutable_referral()->set_office("bb-mitte");
  submitted.mutable_referral_submitted()->mutable_referral()->set_topic("t");
  submitted.mutable_referral_submitted()->set_submitted_at_us(100);
  Envelope routed;
  routed.set_referral_id("r");
  routed.set_occurred_at_us(200);
  routed.mutable_referral_routed()->set_assignee("bauordnung");
  routed.mutable_referral_routed()->set_office("bb-mitte");
  routed.mutable_referral_routed()->set_topic("t");
  routed.mutable_referral_routed()->set_due_at_us(500);
  Envelope answered;
  answered.set_referral_id("r");
  answered.set_occurred_at_us(600);
  answered.mutable_answered()->mutable_answer()->set_department("bauordnung");
  answered.mutable_answered()->mutable_answer()->set_answered_at_us(600);
  ReferralFacts a;
  ReferralFacts b;
  for (const Envelope* e : {&submitted, &routed, &answered}) {
    ApplyToFacts(*e, a);
  }
  for (const Envelope* e : {&routed, &answered, &submitted}) {
    ApplyToFacts(*e, b);
  }
  EXPECT_TRUE(MessageDifferencer::Equals(a, b)) << a.DebugString() << b.DebugString();
  EXPECT_EQ(a.submitted_at_us(), 100);
  EXPECT_EQ(a.first_action_at_us(), 600);
  EXPECT_FALSE(a.answered_within_sla());  // answered at 600, due 500
  EXPECT_EQ(a.answered_by(), "bauordnung");
}

TEST_F(EvaluationTest, BadRequestsAreRefusedNamingTheField) {
  struct Case {
    EvaluationRequest request;
    absl::StatusCode code;
    std::string field;
    std::string message_start;
  };
  const std::vector<Case> cases = {
      {Period("2026-3-2", "2026-04-01"), absl::StatusCode::kInvalidArgument, "from",
       "from: expected YYYY-MM-DD, got \"2026-3-2\""},
      {Period("02.03.2026", "2026-04-01"), absl::StatusCode::kInvalidArgument, "from",
       "from: expected YYYY-MM-DD"},
      {Period("2026-03-01", "2026-02-30"), absl::StatusCode::kInvalidArgument, "to",
       "to: expected YYYY-MM-DD, got \"2026-02-30\""},
      {Period("2026-03-01", ""), absl::StatusCode::kInvalidArgument, "to",
       "to: expected YYYY-MM-DD, got nothing"},
      {Period("2026-03-01", "2026-03-01"), absl::StatusCode::kInvalidArgument, "to",
       "to: must be after from"},
      {Period("2026-03-01", "2026-04-01", "bauordnung", "bb-mitte"),
       absl::StatusCode::kInvalidArgument, "office", "give either"},
      {Period("2026-03-01", "2026-04-01", "stadtkasse"), absl::StatusCode::kNotFound, "department",
       "department \"stadtkasse\" is unknown"},
      {Period("2026-03-01", "2026-04-01", "", "bb-nord"), absl::StatusCode::kNotFound, "office",
       "office \"bb-nord\" is unknown"},
  };
  for (const Case& c : cases) {
    auto reply = evaluator_->Evaluate(StoredFacts(*store_), c.request);
    ASSERT_FALSE(reply.ok()) << c.request.DebugString();
    EXPECT_EQ(reply.status().code(), c.code) << reply.status();
    const lotse::v1::Error error = service::ToError(reply.status());
    EXPECT_EQ(error.field(), c.field) << reply.status();
    EXPECT_EQ(error.message().rfind(c.message_start, 0), 0u) << error.message();
  }
}

TEST_F(EvaluationTest, OfficesAndDepartmentsSeeOnlyThemselves) {
  auto actor = [](lotse::v1::ActorKind kind, std::string id) {
    lotse::v1::Actor a;
    a.set_kind(kind);
    a.set_id(std::move(id));
    return a;
  };
  const auto office = actor(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte");
  const auto department = actor(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung");
  const EvaluationRequest all = Period("2026-03-01", "2026-04-01");

  auto own = evaluator_->Authorize(office, all);  // an omitted filter means itself
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->office(), "bb-mitte");
  EXPECT_TRUE(
      evaluator_->Authorize(office, Period("2026-03-01", "2026-04-01", "", "bb-mitte")).ok());
  auto mine = evaluator_->Authorize(department, all);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->department(), "bauordnung");

  auto denied = [&](const lotse::v1::Actor& a, const EvaluationRequest& r,
                    const std::string& field) {
    auto result = evaluator_->Authorize(a, r);
    ASSERT_FALSE(result.ok()) << a.DebugString() << r.DebugString();
    EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(service::ToError(result.status()).field(), field);
  };
  denied(office, Period("2026-03-01", "2026-04-01", "", "bb-sued"), "office");
  denied(office, Period("2026-03-01", "2026-04-01", "bauordnung"), "department");
  denied(department, Period("2026-03-01", "2026-04-01", "umwelt"), "department");
  denied(department, Period("2026-03-01", "2026-04-01", "", "bb-mitte"), "office");
  denied(actor(lotse::v1::ACTOR_KIND_OFFICE, ""), all, "actor");
  denied(actor(lotse::v1::ACTOR_KIND_SERVICE, "routing"), all, "actor");
  EvaluationRequest rebuild = all;
  rebuild.set_rebuild(true);
  denied(office, rebuild, "rebuild");

  for (auto kind : {lotse::v1::ACTOR_KIND_OPS, lotse::v1::ACTOR_KIND_ADMIN}) {
    auto any = evaluator_->Authorize(actor(kind, "ops-1"), rebuild);
    ASSERT_TRUE(any.ok());
    EXPECT_TRUE(MessageDifferencer::Equals(*any, rebuild));
  }
}

// Case work: two referrals submitted on Monday 16 March 2026 at 08:00, both to bauordnung
// (open 08-16), answer due 12:00 and 16:00, first reaction due 09:00.
//  c1: claimed 08:30 (in time); question back 09:00, the company's reply 10:00 (1 h paused, due
//      moved to 13:00); answered 12:30: within the moved due time, not within the original one;
//      4.5 h to answer, 3.5 h without the waiting. The company rates it 2, not resolved; reopened
//      Tue 08:00 (due Tue 12:00), answered again Tue 10:00: own time 2 h, the company waited
//      26 h in all.
//  c2: first-reaction breach 09:00, claimed 10:00 (late); second breach 14:00 (the head hears);
//      answered 15:00: 7 h own time and wait; the office rates it 4, resolved.
class CaseworkEvaluationTest : public EvaluationTest {
 protected:
  int64_t Mon16(int hour, int minute = 0) const { return At(3, 16, hour, minute); }
  int64_t Tue17(int hour, int minute = 0) const { return At(3, 17, hour, minute); }

  Envelope RoutedWithFirstReaction(const std::string& id, int64_t due) {
    Envelope e = Routed(id, "bb-mitte", "bauordnung", due, Mon16(8));
    e.mutable_referral_routed()->set_first_reaction_due_at_us(Mon16(9));
    return e;
  }

  void RecordCasework() {
    Envelope asked = Event("c1", Mon16(9));
    asked.mutable_company_asked()->set_office("bb-mitte");
    asked.mutable_company_asked()->set_assignee("bauordnung");
    Envelope replied = Event("c1", Mon16(10));
    replied.mutable_company_replied()->set_paused_business_us(Hours(1));
    replied.mutable_company_replied()->set_due_at_us(Mon16(13));
    Envelope company_feedback = Event("c1", Mon16(14));
    company_feedback.set_stream("intake");
    company_feedback.mutable_company_feedback_submitted()->set_rating(2);
    company_feedback.mutable_company_feedback_submitted()->set_resolved(false);
    Envelope reopened = Event("c1", Tue17(8));
    reopened.mutable_reopened()->set_assignee("bauordnung");
    reopened.mutable_reopened()->set_due_at_us(Tue17(12));
    reopened.mutable_reopened()->set_reopen_count(1);
    Envelope first_breach = Escalated("c2", lotse::v1::ESCALATION_LEVEL_BREACH, Mon16(9));
    first_breach.mutable_escalated()->set_deadline(lotse::v1::DEADLINE_FIRST_REACTION);
    Envelope second_breach = Escalated("c2", lotse::v1::ESCALATION_LEVEL_SECOND_BREACH, Mon16(14));
    second_breach.mutable_escalated()->add_notify_staff("head");
    Record({Submitted("c1", "bb-mitte", Mon16(8)), Submitted("c2", "bb-mitte", Mon16(8)),
            RoutedWithFirstReaction("c1", Mon16(12)), RoutedWithFirstReaction("c2", Mon16(16))});
    Record({Claimed("c1", "bauordnung", Mon16(8, 30)), asked, first_breach,
            Claimed("c2", "bauordnung", Mon16(10)), replied});
    Record({Answered("c1", "bauordnung", Mon16(12, 30)), company_feedback, second_breach,
            Answered("c2", "bauordnung", Mon16(15)), Feedback("c2", 4, true, Mon16(15))});
    Record({reopened, Answered("c1", "bauordnung", Tue17(10))});
  }

  EvaluationFigures Figures() {
    const EvaluationReply reply = Evaluate(Period("2026-03-16", "2026-03-17", "bauordnung"));
    EXPECT_EQ(reply.departments_size(), 1);
    return reply.departments_size() == 1 ? reply.departments(0).figures() : EvaluationFigures();
  }
};

TEST_F(CaseworkEvaluationTest, TheFirstReactionHasItsOwnSlaShare) {
  RecordCasework();
  const EvaluationFigures f = Figures();
  EXPECT_EQ(f.first_reaction_due(), 2u);
  EXPECT_EQ(f.first_reaction_in_time(), 1u);
  EXPECT_DOUBLE_EQ(f.first_reaction_sla_share(), 0.5);
  EXPECT_EQ(f.first_reaction_breaches(), 1u);
  EXPECT_EQ(f.escalations(), 1u);  // the first-reaction breach is a breach too
  EXPECT_EQ(f.second_breaches(), 1u);
}

TEST_F(CaseworkEvaluationTest, TheAnswerSlaIsShownWithAndWithoutTheWaiting) {
  RecordCasework();
  const EvaluationFigures f = Figures();
  EXPECT_EQ(f.answered(), 2u);
  EXPECT_EQ(f.answered_within_sla(), 2u);  // c1 by the moved due time
  EXPECT_DOUBLE_EQ(f.sla_share(), 1.0);
  EXPECT_EQ(f.answered_within_sla_counting_waiting(), 1u);
  EXPECT_DOUBLE_EQ(f.sla_share_counting_waiting(), 0.5);
  EXPECT_EQ(f.waited_on_company(), 1u);
  EXPECT_EQ(f.questions_to_company(), 1u);
  EXPECT_EQ(f.waiting_business_us(), Hours(1));
  EXPECT_EQ(f.time_to_answer_median_us(), Hours(4.5));  // of 4.5, 7 h (the first answers)
  EXPECT_EQ(f.time_to_answer_net_median_us(), Hours(3.5));
  EXPECT_EQ(f.time_to_answer_net_p90_us(), Hours(7));
}

TEST_F(CaseworkEvaluationTest, CompanyRatingsStandBesideOfficeRatings) {
  RecordCasework();
  const EvaluationFigures f = Figures();
  EXPECT_EQ(f.feedback(), 1u);
  EXPECT_DOUBLE_EQ(f.average_rating(), 4.0);
  EXPECT_EQ(f.company_feedback(), 1u);
  EXPECT_DOUBLE_EQ(f.company_average_rating(), 2.0);
  EXPECT_EQ(f.company_resolved(), 0u);
  EXPECT_DOUBLE_EQ(f.company_resolved_share(), 0.0);
}

TEST_F(CaseworkEvaluationTest, ReopeningsAreCounted) {
  RecordCasework();
  const EvaluationFigures f = Figures();
  EXPECT_EQ(f.reopened(), 1u);
  EXPECT_EQ(f.reopenings(), 1u);
  EXPECT_EQ(f.open(), 0u);  // answered again
}

TEST_F(CaseworkEvaluationTest, OwnTimeRunsFromReceiptAndTheCompanysWaitFromSubmission) {
  RecordCasework();
  const EvaluationFigures f = Figures();
  EXPECT_EQ(f.own_time_median_us(), Hours(2));  // c1: reopened Tue 08:00, answered 10:00
  EXPECT_EQ(f.own_time_p90_us(), Hours(7));     // c2: routed 08:00, answered 15:00
  EXPECT_EQ(f.company_wait_median_us(), Hours(7));
  EXPECT_EQ(f.company_wait_p90_us(), Hours(26));  // calendar time: the company waits overnight
}

TEST_F(CaseworkEvaluationTest, RebuildingGivesTheSameCaseworkFigures) {
  RecordCasework();
  const EvaluationRequest request = Period("2026-03-16", "2026-03-17");
  const EvaluationReply stored = Evaluate(request);
  auto rebuilt = evaluator_->RebuildFromChain(*store_, request);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(MessageDifferencer::Equals(stored.total(), rebuilt->total()));
  EXPECT_EQ(rebuilt->total().reopenings(), 1u);
}

// AbsenceSet belongs to no referral: audit chains it (the chain verifies), but it is in no
// referral's history and makes no evaluation facts.
TEST_F(EvaluationTest, AnEventWithoutAReferralIsChainedButInNoHistory) {
  Envelope absence;
  absence.set_stream("routing");
  absence.set_occurred_at_us(Mon(9));
  absence.mutable_absence_set()->set_user("bo-mueller");
  absence.mutable_absence_set()->set_department("bauordnung");
  absence.mutable_absence_set()->set_substitute("bo-kaya");
  Record({Submitted("r1", "bb-mitte", Mon(8)), absence});
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok()) << verified->problem();
  EXPECT_EQ(verified->entries(), 2u);
  EXPECT_EQ(Chain::History(*store_, "").status().code(), absl::StatusCode::kNotFound);
  auto history = Chain::History(*store_, "r1");
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->entries_size(), 1);
  size_t facts = 0;
  ASSERT_TRUE(StoredFacts(*store_)([&](const ReferralFacts&) { ++facts; }).ok());
  EXPECT_EQ(facts, 1u);
  auto rebuilt = ReplayChain(*store_);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->size(), 1u);
}

}  // namespace
}  // namespace lotse::audit
