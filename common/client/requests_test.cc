#include "common/client/requests.h"

#include "gtest/gtest.h"

namespace lotse::client {
namespace {

TEST(SubmitRequestTest, ActsAsTheOfficeWithTheGivenKeyAndPriority) {
  SubmitArgs args;
  args.office = "bb-mitte";
  args.text = "Darf ich hier bauen?";
  args.priority = "Urgent";
  args.key = "k1";
  const lotse::v1::IntakeRequest request = SubmitRequest(args);
  EXPECT_EQ(request.actor().kind(), lotse::v1::ACTOR_KIND_OFFICE);
  EXPECT_EQ(request.actor().id(), "bb-mitte");
  EXPECT_EQ(request.submit().idempotency_key(), "k1");
  EXPECT_EQ(request.submit().referral().office(), "bb-mitte");
  EXPECT_EQ(request.submit().referral().text(), "Darf ich hier bauen?");
  EXPECT_EQ(request.submit().referral().priority(), lotse::v1::PRIORITY_URGENT);
}

TEST(SubmitRequestTest, MakesARandomKeyPerRequestWhenNoneIsGiven) {
  SubmitArgs args;
  const std::string first = SubmitRequest(args).submit().idempotency_key();
  EXPECT_EQ(first.size(), 32u);
  EXPECT_NE(SubmitRequest(args).submit().idempotency_key(), first);
}

TEST(ChangeRequestTest, ActsAsTheDepartmentAndItsStaffMember) {
  ChangeArgs args;
  args.ref = "2026-000007";
  args.department = "bauordnung";
  args.user = "meier";
  const lotse::v1::RoutingRequest claim = ChangeRequest(Change::kClaim, args);
  EXPECT_EQ(claim.actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  EXPECT_EQ(claim.actor().id(), "bauordnung");
  EXPECT_EQ(claim.actor().user(), "meier");
  EXPECT_EQ(claim.idempotency_key().size(), 32u);
  EXPECT_EQ(claim.claim().ref(), "2026-000007");
  args.text = "Ja, mit Auflagen.";
  args.outcome = "partly";
  const lotse::v1::RoutingRequest answer = ChangeRequest(Change::kAnswer, args);
  EXPECT_EQ(answer.answer().text(), "Ja, mit Auflagen.");
  EXPECT_EQ(answer.answer().outcome(), lotse::v1::OUTCOME_PARTLY);
  args.with = {"umwelt", "verkehr"};
  args.question = "Lärmschutz?";
  const lotse::v1::RoutingRequest consult = ChangeRequest(Change::kConsult, args);
  ASSERT_EQ(consult.consult().departments_size(), 2);
  EXPECT_EQ(consult.consult().departments(1), "verkehr");
  EXPECT_EQ(ChangeRequest(Change::kUnclaim, args).command_case(),
            lotse::v1::RoutingRequest::kUnclaim);
}

TEST(EvaluationRequestTest, AsksAsTheUnitAndAsAdminForEveryUnitOrARebuild) {
  EvaluationArgs args;
  args.from = "2026-03-01";
  args.to = "2026-04-01";
  EXPECT_EQ(EvaluationRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_ADMIN);
  args.department = "umwelt";
  EXPECT_EQ(EvaluationRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  EXPECT_EQ(EvaluationRequest(args).actor().id(), "umwelt");
  args.rebuild = true;
  const lotse::v1::AuditRequest rebuild = EvaluationRequest(args);
  EXPECT_EQ(rebuild.actor().kind(), lotse::v1::ACTOR_KIND_ADMIN);
  EXPECT_EQ(rebuild.actor().id(), "");
  EXPECT_EQ(rebuild.evaluation().department(), "umwelt");
}

TEST(HistoryRequestTest, AsksAsTheOfficeElseTheDepartmentElseOps) {
  HistoryArgs args;
  args.ref = "2026-000007";
  EXPECT_EQ(HistoryRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_OPS);
  args.department = "umwelt";
  EXPECT_EQ(HistoryRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  args.office = "bb-mitte";
  EXPECT_EQ(HistoryRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_OFFICE);
  EXPECT_EQ(HistoryRequest(args).history().ref(), "2026-000007");
}

TEST(InboxRequestTest, NamesAnotherInboxAsTheDepartmentOrAsAdmin) {
  InboxArgs args;
  args.inbox = "head";
  EXPECT_EQ(InboxRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_ADMIN);
  EXPECT_EQ(InboxRequest(args).inbox().inbox(), "head");
  args.inbox = "staff/bo-mueller";
  args.department = "bauordnung";
  EXPECT_EQ(InboxRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  EXPECT_EQ(InboxRequest(args).inbox().inbox(), "staff/bo-mueller");
}

TEST(InboxRequestTest, ParksTheRequestOnlyWhenFollowing) {
  InboxArgs args;
  args.department = "umwelt";
  EXPECT_EQ(InboxRequest(args).inbox().wait_ms(), 0u);
  EXPECT_EQ(InboxRequest(args).actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  args.follow = true;
  EXPECT_EQ(InboxRequest(args).inbox().wait_ms(), 20000u);
}

TEST(CompanyQuestionRequestTest, AsksAsTheDepartmentAndTakesTheReplyFromTheOfficeOrIt) {
  AskCompanyArgs args;
  args.ref = "2026-000007";
  args.department = "bauordnung";
  args.user = "bo-mueller";
  args.question = "Wie hoch wird die Halle?";
  const lotse::v1::RoutingRequest ask = AskCompanyRequest(args);
  EXPECT_EQ(ask.actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  EXPECT_EQ(ask.actor().user(), "bo-mueller");
  EXPECT_EQ(ask.ask_company().ref(), "2026-000007");
  EXPECT_EQ(ask.ask_company().question(), "Wie hoch wird die Halle?");
  EXPECT_EQ(ask.idempotency_key().size(), 32u);
  CompanyRepliedArgs replied;
  replied.ref = "2026-000007";
  replied.department = "bauordnung";
  replied.text = "Zwölf Meter.";
  EXPECT_EQ(CompanyRepliedRequest(replied).actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  replied.office = "bb-mitte";
  const lotse::v1::RoutingRequest by_office = CompanyRepliedRequest(replied);
  EXPECT_EQ(by_office.actor().kind(), lotse::v1::ACTOR_KIND_OFFICE);
  EXPECT_EQ(by_office.actor().id(), "bb-mitte");
  EXPECT_EQ(by_office.company_replied().text(), "Zwölf Meter.");
}

TEST(AttachmentRequestTest, CarriesTheChunkAndActsAsOfficeElseDepartmentElseAdmin) {
  AttachArgs chunk;
  chunk.ref = "r1";
  chunk.office = "bb-mitte";
  chunk.name = "plan.pdf";
  chunk.key = "k";
  chunk.size = 10;
  chunk.offset = 4;
  chunk.data = "abcdef";
  const lotse::v1::IntakeRequest attach = AttachRequest(chunk);
  EXPECT_EQ(attach.actor().kind(), lotse::v1::ACTOR_KIND_OFFICE);
  EXPECT_EQ(attach.attach().idempotency_key(), "k");
  EXPECT_EQ(attach.attach().name(), "plan.pdf");
  EXPECT_EQ(attach.attach().offset(), 4u);
  EXPECT_EQ(attach.attach().data(), "abcdef");
  AttachmentArgs list;
  list.ref = "r1";
  list.department = "umwelt";
  EXPECT_EQ(AttachmentRequest(list).actor().kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  EXPECT_EQ(AttachmentRequest(list).attachment().name(), "");
  list.department.clear();
  EXPECT_EQ(AttachmentRequest(list).actor().kind(), lotse::v1::ACTOR_KIND_ADMIN);
}

TEST(SimilarAndCompanyRequestTest, AskAsTheUnitElseAsAdmin) {
  SimilarArgs similar;
  similar.ref = "r1";
  EXPECT_EQ(SimilarRequest(similar).actor().kind(), lotse::v1::ACTOR_KIND_ADMIN);
  similar.department = "umwelt";
  similar.user = "um-wagner";
  similar.limit = 3;
  EXPECT_EQ(SimilarRequest(similar).actor().user(), "um-wagner");
  EXPECT_EQ(SimilarRequest(similar).similar().limit(), 3u);
  CompanyArgs company;
  company.company_id = "HRB-1";
  EXPECT_EQ(CompanyRequest(company).actor().kind(), lotse::v1::ACTOR_KIND_ADMIN);
  company.office = "bb-nord";
  company.after = "x";
  EXPECT_EQ(CompanyRequest(company).actor().kind(), lotse::v1::ACTOR_KIND_OFFICE);
  EXPECT_EQ(CompanyRequest(company).company().after(), "x");
}

TEST(ListReferralsRequestTest, AsksAsTheOfficeOrAsAdminWithEveryFilterAsGiven) {
  ListReferralsArgs args;
  args.office = "bb-mitte";
  args.states = {"answered", "closed"};
  args.search = "Bäckerei";
  args.from = "2026-03-01";
  args.to = "2026-04-01";
  args.limit = 20;
  args.after = "bb00";
  const lotse::v1::IntakeRequest request = ListReferralsRequest(args);
  EXPECT_EQ(request.actor().kind(), lotse::v1::ACTOR_KIND_OFFICE);
  EXPECT_EQ(request.actor().id(), "bb-mitte");
  ASSERT_EQ(request.command_case(), lotse::v1::IntakeRequest::kListReferrals);
  const lotse::v1::ListReferralsRequest& list = request.list_referrals();
  EXPECT_EQ(list.office(), "bb-mitte");
  ASSERT_EQ(list.states_size(), 2);
  EXPECT_EQ(list.states(1), "closed");
  EXPECT_EQ(list.search(), "Bäckerei");
  EXPECT_EQ(list.submitted_from(), "2026-03-01");
  EXPECT_EQ(list.submitted_to(), "2026-04-01");
  EXPECT_EQ(list.limit(), 20u);
  EXPECT_EQ(list.after(), "bb00");

  args.admin = true;
  const lotse::v1::IntakeRequest as_admin = ListReferralsRequest(args);
  EXPECT_EQ(as_admin.actor().kind(), lotse::v1::ACTOR_KIND_ADMIN);
  EXPECT_EQ(as_admin.list_referrals().office(), "bb-mitte");  // whose list admin reads

  const lotse::v1::ListReferralsRequest plain = ListReferralsRequest({}).list_referrals();
  EXPECT_EQ(plain.limit(), 0u);  // intake's default
  EXPECT_EQ(plain.states_size(), 0);
  EXPECT_TRUE(plain.after().empty());
}

}  // namespace
}  // namespace lotse::client
