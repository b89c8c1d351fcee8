// Walks referrals through the real intake and routing processes: submit, route (topic and
// key account manager), claim, consult two departments, forward, answer, the office seeing the
// answer, feedback closing the referral, and escalation with a fast service clock.
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"

namespace lotse::test {
namespace {

using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

bool OnWorklist(LotseSet& set, const std::string& department, const std::string& id,
                lotse::v1::WorkItemKind kind) {
  absl::StatusOr<RoutingReply> list = set.Worklist(department);
  if (!list.ok()) {
    return false;
  }
  for (const lotse::v1::WorkItem& item : list->worklist().items()) {
    if (item.referral_id() == id && item.kind() == kind) {
      return true;
    }
  }
  return false;
}

lotse::v1::ReferralState OfficeView(LotseSet& set, const std::string& office,
                                    const std::string& ref) {
  absl::StatusOr<lotse::v1::IntakeReply> reply = set.Status(office, ref);
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? reply->referral() : lotse::v1::ReferralState{};
}

TEST(WalkTest, ReferralGoesFromSubmitThroughConsultationToAnswerAndFeedback) {
  LotseSet set;
  set.StartAll();
  absl::StatusOr<lotse::v1::IntakeReply> submitted =
      set.Submit("bb-mitte", "emissionsschutz", "HRB-70001");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  ASSERT_FALSE(submitted->has_error()) << submitted->error().message();
  const std::string id = submitted->submitted().referral_id();
  const std::string case_number = submitted->submitted().case_number();
  EXPECT_TRUE(std::regex_match(case_number, std::regex(R"(\d{4}-\d{6})"))) << case_number;

  // Routed by topic to the environment office, visible on its worklist and to the office.
  ASSERT_TRUE(set.Eventually(
      [&] { return OnWorklist(set, "umwelt", id, lotse::v1::WORK_ITEM_KIND_ASSIGNED); }))
      << set.Log("routing");
  ASSERT_TRUE(set.Eventually([&] {
    return OfficeView(set, "bb-mitte", case_number).status() == lotse::v1::REFERRAL_STATUS_ROUTED;
  }));
  EXPECT_EQ(OfficeView(set, "bb-mitte", case_number).assignee(), "umwelt");

  // Claim; a second claim is refused; another department may not act.
  RoutingRequest claim;
  claim.mutable_claim()->set_ref(case_number);
  absl::StatusOr<RoutingReply> claimed = set.Act("umwelt", "j.mueller", claim);
  ASSERT_TRUE(claimed.ok());
  ASSERT_FALSE(claimed->has_error()) << claimed->error().message();
  EXPECT_EQ(claimed->referral().claimed_by(), "j.mueller");
  absl::StatusOr<RoutingReply> again = set.Act("umwelt", "k.schulz", claim);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->error().code(), lotse::v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_NE(again->error().message().find("j.mueller"), std::string::npos);
  // Another department is told what it would be told of a referral that does not exist.
  absl::StatusOr<RoutingReply> foreign = set.Act("bauordnung", "x", claim);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  EXPECT_NE(foreign->error().message().find("not yours to see"), std::string::npos)
      << foreign->error().message();

  // Consultation with two departments; each sees it and contributes.
  RoutingRequest consult;
  consult.mutable_consult()->set_ref(id);
  consult.mutable_consult()->add_departments("bauordnung");
  consult.mutable_consult()->add_departments("stadtplanung");
  consult.mutable_consult()->set_question("Gibt es bau- oder planungsrechtliche Bedenken?");
  absl::StatusOr<RoutingReply> consulted = set.Act("umwelt", "j.mueller", consult);
  ASSERT_TRUE(consulted.ok());
  ASSERT_FALSE(consulted->has_error()) << consulted->error().message();
  EXPECT_TRUE(OnWorklist(set, "bauordnung", id, lotse::v1::WORK_ITEM_KIND_CONSULTATION));
  EXPECT_TRUE(OnWorklist(set, "stadtplanung", id, lotse::v1::WORK_ITEM_KIND_CONSULTATION));
  for (const std::string department : {"bauordnung", "stadtplanung"}) {
    RoutingRequest contribute;
    contribute.mutable_contribute()->set_ref(case_number);
    contribute.mutable_contribute()->set_text("Keine Bedenken aus Sicht von " + department);
    absl::StatusOr<RoutingReply> added = set.Act(department, "sb1", contribute);
    ASSERT_TRUE(added.ok());
    ASSERT_FALSE(added->has_error()) << added->error().message();
    EXPECT_FALSE(OnWorklist(set, department, id, lotse::v1::WORK_ITEM_KIND_CONSULTATION));
  }
  absl::StatusOr<RoutingReply> twice = set.Act("bauordnung", "sb1", [&] {
    RoutingRequest r;
    r.mutable_contribute()->set_ref(id);
    r.mutable_contribute()->set_text("nochmal");
    return r;
  }());
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->error().code(), lotse::v1::ERROR_CODE_FAILED_PRECONDITION);

  // Answer; the office sees it.
  RoutingRequest answer;
  answer.mutable_answer()->set_ref(id);
  answer.mutable_answer()->set_text("Eine Genehmigung nach BImSchG ist nicht erforderlich.");
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  absl::StatusOr<RoutingReply> answered = set.Act("umwelt", "j.mueller", answer);
  ASSERT_TRUE(answered.ok());
  ASSERT_FALSE(answered->has_error()) << answered->error().message();
  EXPECT_FALSE(OnWorklist(set, "umwelt", id, lotse::v1::WORK_ITEM_KIND_ASSIGNED));
  ASSERT_TRUE(set.Eventually([&] {
    return OfficeView(set, "bb-mitte", id).status() == lotse::v1::REFERRAL_STATUS_ANSWERED;
  }));
  const lotse::v1::ReferralState seen = OfficeView(set, "bb-mitte", id);
  EXPECT_EQ(seen.answer().text(), "Eine Genehmigung nach BImSchG ist nicht erforderlich.");
  EXPECT_EQ(seen.answer().outcome(), lotse::v1::OUTCOME_RESOLVED);
  EXPECT_EQ(seen.answer().user(), "j.mueller");

  // Another office cannot see it.
  absl::StatusOr<lotse::v1::IntakeReply> other = set.Status("bb-nord", id);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);

  // Feedback closes the referral; a second feedback is refused.
  absl::StatusOr<lotse::v1::IntakeReply> feedback = set.Feedback("bb-mitte", case_number, 5, true);
  ASSERT_TRUE(feedback.ok());
  ASSERT_FALSE(feedback->has_error()) << feedback->error().message();
  ASSERT_TRUE(set.Eventually([&] {
    return OfficeView(set, "bb-mitte", id).status() == lotse::v1::REFERRAL_STATUS_CLOSED;
  })) << set.Log("routing");
  absl::StatusOr<lotse::v1::IntakeReply> second = set.Feedback("bb-mitte", case_number, 1, false);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->error().code(), lotse::v1::ERROR_CODE_FAILED_PRECONDITION);

  EXPECT_EQ(set.Terminate("routing"), 0);
  EXPECT_EQ(set.Terminate("intake"), 0);
}

TEST(WalkTest, KeyAccountCompanyGoesToItsManagerWhoForwardsToTheDepartment) {
  LotseSet set;
  set.StartAll();
  absl::StatusOr<lotse::v1::IntakeReply> submitted =
      set.Submit("bb-nord", "baugenehmigung", "HRB-20417");
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  const std::string id = submitted->submitted().referral_id();
  ASSERT_TRUE(set.Eventually(
      [&] { return OnWorklist(set, "kam-schneider", id, lotse::v1::WORK_ITEM_KIND_ASSIGNED); }));
  EXPECT_FALSE(OnWorklist(set, "bauordnung", id, lotse::v1::WORK_ITEM_KIND_ASSIGNED));

  RoutingRequest forward;
  forward.mutable_forward()->set_ref(id);
  forward.mutable_forward()->set_to("bauordnung");
  forward.mutable_forward()->set_reason("Bauantrag: fachlich zuständig ist die Bauordnung.");
  absl::StatusOr<RoutingReply> forwarded = set.Act("kam-schneider", "a.schneider", forward);
  ASSERT_TRUE(forwarded.ok());
  ASSERT_FALSE(forwarded->has_error()) << forwarded->error().message();
  EXPECT_EQ(forwarded->referral().assignee(), "bauordnung");
  EXPECT_EQ(forwarded->referral().key_account(), "kam-schneider");
  EXPECT_TRUE(OnWorklist(set, "bauordnung", id, lotse::v1::WORK_ITEM_KIND_ASSIGNED));
  EXPECT_FALSE(OnWorklist(set, "kam-schneider", id, lotse::v1::WORK_ITEM_KIND_ASSIGNED));

  // Forwarding to an unknown department or without a reason is refused and changes nothing.
  RoutingRequest bad = forward;
  bad.mutable_forward()->set_to("raumfahrtamt");
  absl::StatusOr<RoutingReply> refused = set.Act("bauordnung", "b", bad);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(refused->error().field(), "to");
  bad.mutable_forward()->set_to("stadtplanung");
  bad.mutable_forward()->clear_reason();
  refused = set.Act("bauordnung", "b", bad);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->error().field(), "reason");
  EXPECT_TRUE(OnWorklist(set, "bauordnung", id, lotse::v1::WORK_ITEM_KIND_ASSIGNED));

  // The forward limit (3 in the sample city) stops ping-pong.
  const std::vector<std::pair<std::string, std::string>> hops = {
      {"bauordnung", "stadtplanung"}, {"stadtplanung", "bauordnung"}};
  for (const auto& [from, to] : hops) {
    RoutingRequest hop;
    hop.mutable_forward()->set_ref(id);
    hop.mutable_forward()->set_to(to);
    hop.mutable_forward()->set_reason("Zuständigkeit unklar");
    absl::StatusOr<RoutingReply> r = set.Act(from, "x", hop);
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->has_error()) << r->error().message();
  }
  RoutingRequest fourth;
  fourth.mutable_forward()->set_ref(id);
  fourth.mutable_forward()->set_to("stadtplanung");
  fourth.mutable_forward()->set_reason("noch einmal");
  absl::StatusOr<RoutingReply> limited = set.Act("bauordnung", "x", fourth);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->error().code(), lotse::v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_NE(limited->error().message().find("limit"), std::string::npos);
}

// Service time starts on Monday 2 March 2026 08:00 in Berlin and runs 7200 times faster, so the
// 8 business hours of economic development pass in about 4 s: a warning at 75 % (14:00) and an
// escalation at breach (16:00).
TEST(WalkTest, OverdueReferralIsWarnedOnceAndEscalatedOnce) {
  SetOptions options;
  options.clock_speedup = 7200;
  options.clock_start = "2026-03-02T08:00:00+01:00";
  LotseSet set(options);
  set.StartAll();
  absl::StatusOr<lotse::v1::IntakeReply> submitted =
      set.Submit("bb-sued", "foerdermittel", "HRB-70002");
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  const std::string id = submitted->submitted().referral_id();
  auto view = [&] { return OfficeView(set, "bb-sued", id); };
  // The first reaction's warning (09:30) and breach (10:00) come first, then the answer's.
  ASSERT_TRUE(
      set.Eventually([&] { return set.LogHead("routing").value_or(0) >= 5; }, absl::Seconds(20)))
      << set.Log("routing");
  ASSERT_TRUE(
      set.Eventually([&] { return view().warned() && view().escalated(); }, absl::Seconds(20)))
      << set.Log("routing");
  absl::StatusOr<RoutingReply> list = set.Worklist("wirtschaftsfoerderung");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->worklist().items_size(), 1);
  EXPECT_TRUE(list->worklist().items(0).escalated());
  // Exactly one warning and one breach of each clock on routing's log: ReferralRouted, the
  // first reaction's (nobody claimed it by 10:00) and the answer's. The ladder's second level
  // comes 8 business hours after the due time, some 11 s later.
  absl::StatusOr<uint64_t> head = set.LogHead("routing");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 5u);
  absl::SleepFor(absl::Milliseconds(1500));  // more timer scans must not add events
  EXPECT_EQ(set.LogHead("routing").value_or(0), 5u);
}

// Referral ids begin with the moment of submission, so the referrals of one moment sit side by
// side in every store keyed by id; they are still unique and found by id and by case number.
TEST(WalkTest, ReferralIdsSortInTheOrderOfSubmissionAndFindTheirReferral) {
  LotseSet set;
  set.StartAll();
  std::vector<std::pair<std::string, std::string>> submitted;  // (id, case number)
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<lotse::v1::IntakeReply> reply =
        set.Submit("bb-nord", "emissionsschutz", absl::StrCat("HRB-7100", i));
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_FALSE(reply->has_error()) << reply->error().message();
    submitted.emplace_back(reply->submitted().referral_id(), reply->submitted().case_number());
    absl::SleepFor(absl::Milliseconds(3));
  }
  for (size_t i = 1; i < submitted.size(); ++i) {
    EXPECT_LT(submitted[i - 1].first, submitted[i].first) << "referral " << i;
  }
  for (const auto& [id, case_number] : submitted) {
    EXPECT_TRUE(std::regex_match(id, std::regex(R"(r[0-9a-f]{27})"))) << id;
    EXPECT_EQ(OfficeView(set, "bb-nord", id).case_number(), case_number);
    EXPECT_EQ(OfficeView(set, "bb-nord", case_number).referral_id(), id);
  }
  // An unknown id and an unknown case number are both "not found", not each other.
  for (const std::string ref : {"r000000000000000000000000000", "2026-999999"}) {
    absl::StatusOr<lotse::v1::IntakeReply> reply = set.Status("bb-nord", ref);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND) << ref;
  }
}

}  // namespace
}  // namespace lotse::test
