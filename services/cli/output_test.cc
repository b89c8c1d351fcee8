#include "services/cli/output.h"

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace lotse::cli {
namespace {

absl::TimeZone Berlin() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &zone));
  return zone;
}

int64_t Micros(const char* rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return absl::ToUnixMicros(t);
}

TEST(LocalTimeTest, ShowsBerlinTimeAcrossDaylightSaving) {
  EXPECT_EQ(LocalTime(Micros("2026-03-04T13:00:00Z"), Berlin()), "2026-03-04 14:00");
  EXPECT_EQ(LocalTime(Micros("2026-07-01T06:30:00Z"), Berlin()), "2026-07-01 08:30");
  EXPECT_EQ(LocalTime(0, Berlin()), "-");
}

TEST(RenderReferralTest, ShowsAnswerAndFeedbackWhenGiven) {
  lotse::v1::ReferralState s;
  s.set_case_number("2026-000007");
  s.set_referral_id("r7");
  s.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
  s.set_assignee("bauordnung");
  s.set_due_at_us(Micros("2026-03-04T13:00:00Z"));
  s.mutable_referral()->set_company_name("Muster GmbH");
  s.mutable_answer()->set_text("Ja.\nMit Auflagen.");
  s.mutable_answer()->set_outcome(lotse::v1::OUTCOME_PARTLY);
  s.mutable_answer()->set_answered_at_us(Micros("2026-03-03T09:00:00Z"));
  s.mutable_feedback()->set_rating(4);
  s.mutable_feedback()->set_resolved(true);
  s.mutable_feedback()->set_submitted_at_us(Micros("2026-03-03T10:00:00Z"));
  const std::string text = RenderReferral(s, Berlin());
  EXPECT_NE(text.find("Referral 2026-000007"), std::string::npos) << text;
  EXPECT_NE(text.find("Due           2026-03-04 14:00\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Outcome       partly resolved"), std::string::npos) << text;
  EXPECT_NE(text.find("Answer        Ja.\n                Mit Auflagen.\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Feedback      4 of 5, resolved"), std::string::npos) << text;
}

TEST(RenderReferralListTest, ShowsEachReferralWithItsStateAndAnswer) {
  lotse::v1::ReferralList list;
  list.set_office("bb-mitte");
  auto* e = list.add_entries();
  e->set_case_number("2026-000002");
  e->set_submitted_at_us(Micros("2026-03-02T08:00:00Z"));
  e->set_state("answered");
  e->set_subject("Anbau Lagerhalle");
  e->set_company_name("Kurz Logistik GmbH");
  e->set_department("bauordnung");
  e->set_department_name("Bauordnungsamt");
  e->mutable_contact_person()->set_name("Jana Müller");
  e->set_due_at_us(Micros("2026-03-04T13:00:00Z"));
  e->set_answered_at_us(Micros("2026-03-03T09:00:00Z"));
  e->set_answer_excerpt("Ein vereinfachtes Verfahren genügt.");
  auto* open = list.add_entries();
  open->set_case_number("2026-000001");
  open->set_submitted_at_us(Micros("2026-03-01T08:00:00Z"));
  open->set_state("open");
  open->set_subject("Werbeanlage");
  std::string text = RenderReferralList(list, Berlin());
  EXPECT_NE(text.find("submitted         case number  state     subject"), std::string::npos)
      << text;
  EXPECT_NE(text.find("2026-03-02 09:00  2026-000002  answered  Anbau Lagerhalle"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Bauordnungsamt"), std::string::npos) << text;
  EXPECT_NE(text.find("Jana Müller"), std::string::npos) << text;
  EXPECT_NE(text.find("2026-03-03 10:00  Ein vereinfachtes Verfahren genügt.\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("2026-000001  open"), std::string::npos) << text;
  EXPECT_NE(text.find("2 referrals of bb-mitte, newest first.\n"), std::string::npos) << text;
  list.set_next("00ff");
  text = RenderReferralList(list, Berlin());
  EXPECT_NE(text.find("2 referrals of bb-mitte on this page"), std::string::npos) << text;
  list.clear_entries();
  EXPECT_EQ(RenderReferralList(list, Berlin()), "None on this page; more may follow.\n");
  list.clear_next();
  EXPECT_EQ(RenderReferralList(list, Berlin()), "No referrals of bb-mitte to show.\n");
}

TEST(RenderWorklistTest, ListsItemsAndTheTotal) {
  lotse::v1::WorklistReply reply;
  reply.set_assignee("umwelt");
  reply.set_total(3);
  auto* item = reply.add_items();
  item->set_case_number("2026-000002");
  item->set_kind(lotse::v1::WORK_ITEM_KIND_CONSULTATION);
  item->set_priority(lotse::v1::PRIORITY_HIGH);
  item->set_due_at_us(Micros("2026-03-04T13:00:00Z"));
  item->set_escalated(true);
  const std::string text = RenderWorklist(reply, Berlin());
  EXPECT_NE(text.find("2026-03-04 14:00 overdue  high"), std::string::npos) << text;
  EXPECT_NE(text.find("consultation"), std::string::npos) << text;
  EXPECT_NE(text.find("Showing 1 of 3 open items for umwelt"), std::string::npos) << text;
  reply.clear_items();
  reply.set_total(0);
  EXPECT_EQ(RenderWorklist(reply, Berlin()), "No open referrals for umwelt.\n");
}

TEST(RenderWorklistTest, SaysWhoseItemItIsAndForWhom) {
  lotse::v1::WorklistReply reply;
  reply.set_assignee("bauordnung");
  reply.set_total(1);
  auto* item = reply.add_items();
  item->set_case_number("2026-000007");
  item->mutable_contact_person()->set_id("bo-kaya");
  item->set_stand_in_for("bo-mueller");
  const std::string text = RenderWorklist(reply, Berlin());
  EXPECT_NE(text.find("contact"), std::string::npos) << text;
  EXPECT_NE(text.find("bo-kaya (for bo-mueller)"), std::string::npos) << text;
  EXPECT_EQ(ContactCell(lotse::v1::StaffContact(), ""), "");
}

TEST(WordsTest, NameKnownValuesAndNumberUnknownOnes) {
  EXPECT_EQ(StatusWord(lotse::v1::REFERRAL_STATUS_CLAIMED), "claimed (in progress)");
  EXPECT_EQ(PriorityWord(lotse::v1::PRIORITY_UNSPECIFIED), "normal");
  EXPECT_EQ(OutcomeWord(lotse::v1::OUTCOME_NOT_RESPONSIBLE), "not responsible");
  EXPECT_EQ(KindWord(lotse::v1::WORK_ITEM_KIND_CONSULTATION), "consultation");
  EXPECT_EQ(StatusWord(static_cast<lotse::v1::ReferralStatus>(99)), "unknown (99)");
  EXPECT_EQ(OutcomeWord(lotse::v1::OUTCOME_UNSPECIFIED), "unknown (0)");
}

// Every value of `Enum` from the `first`th on reads as a word, not as "unknown (<number>)".
template <typename Enum>
void ExpectWordsFrom(int first, std::string (*word)(Enum)) {
  const google::protobuf::EnumDescriptor* values = google::protobuf::GetEnumDescriptor<Enum>();
  for (int i = first; i < values->value_count(); ++i) {
    EXPECT_EQ(word(static_cast<Enum>(values->value(i)->number())).find("unknown"),
              std::string::npos)
        << values->value(i)->name();
  }
}

TEST(WordsTest, GiveEveryValueButTheUnspecifiedOnesAWord) {
  ExpectWordsFrom(1, StatusWord);
  ExpectWordsFrom(0, PriorityWord);  // unspecified is normal
  ExpectWordsFrom(1, OutcomeWord);
  ExpectWordsFrom(1, KindWord);
}

TEST(DescribeEventTest, NamesTheOutcomeAndTheConsultedDepartments) {
  lotse::v1::Envelope answered;
  answered.mutable_answered()->mutable_answer()->set_user("meier");
  answered.mutable_answered()->mutable_answer()->set_department("bauordnung");
  answered.mutable_answered()->mutable_answer()->set_outcome(lotse::v1::OUTCOME_PARTLY);
  EXPECT_EQ(DescribeEvent(answered), "answered by meier at bauordnung (PARTLY)");
  answered.mutable_answered()->mutable_answer()->set_outcome(static_cast<lotse::v1::Outcome>(42));
  EXPECT_EQ(DescribeEvent(answered), "answered by meier at bauordnung (42)");
  lotse::v1::Envelope consulted;
  consulted.mutable_consultation_opened()->set_assignee("bauordnung");
  consulted.mutable_consultation_opened()->add_departments("umwelt");
  consulted.mutable_consultation_opened()->add_departments("verkehr");
  EXPECT_EQ(DescribeEvent(consulted), "bauordnung consulted umwelt, verkehr");
}

TEST(RenderDirectoryTest, CountsTheRowsAndJoinsTheCompanies) {
  lotse::v1::DirectoryReply d;
  d.set_city("Musterstadt");
  auto* office = d.add_offices();
  office->set_id("bb-mitte");
  office->set_name("Bürgerbüro Mitte");
  EXPECT_EQ(RenderOffices(d),
            "id        name\n"
            "--------  ----------------\n"
            "bb-mitte  Bürgerbüro Mitte\n"
            "1 office in Musterstadt; pass the id as --office.\n");
  EXPECT_EQ(RenderKeyAccounts(d), "No key account managers are configured in Musterstadt.\n");
  auto* kam = d.add_key_accounts();
  kam->set_id("kam-1");
  kam->set_name("Schulz");
  kam->set_department("wirtschaft");
  kam->add_companies("Muster GmbH");
  kam->add_companies("Beispiel AG");
  const std::string text = RenderKeyAccounts(d);
  EXPECT_NE(text.find("kam-1  Schulz  wirtschaft  Muster GmbH, Beispiel AG\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("1 key account manager in Musterstadt; their companies' referrals go to "
                      "them first.\n"),
            std::string::npos)
      << text;
}

TEST(RenderEvaluationTest, WritesCsvWithQuotesAndAnAlignedTable) {
  lotse::v1::EvaluationReply reply;
  reply.set_from("2026-03-01");
  reply.set_to("2026-04-01");
  reply.set_time_zone("Europe/Berlin");
  auto* group = reply.add_departments();
  group->set_id("a,\"b\"");
  group->mutable_figures()->set_received(12);
  const std::string csv = RenderEvaluation(reply, "csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n') + 1),
            "kind,id,received,answered,open,1st action h (median),1st action h (p90),"
            "answer h (median),answer h (p90),within SLA,warnings,escalations,forwards/ref,"
            "consultations/ref,feedback,rating,resolved,1st reaction in time,"
            "1st reaction breaches,head heard,within SLA incl. waiting,waited on company,"
            "waiting h,answer h less waiting (median),own h (median),"
            "company wait calendar h (median),reopened,company feedback,company rating,"
            "company resolved\n");
  EXPECT_NE(csv.find("\ndepartment,\"a,\"\"b\"\"\",12,0,0,0.0,0.0,0.0,0.0,-,0,0,0.00,0.00,0,-,-,"
                     "-,0,0,-,0,0.0,0.0,0.0,0.0,0,0,-,-\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\ntotal,,0,"), std::string::npos) << csv;
  const std::string table = RenderEvaluation(reply, "table");
  EXPECT_EQ(table.find("Joint evaluation 2026-03-01 to 2026-04-01 (exclusive, Europe/Berlin); "
                       "durations in business hours\n\nkind        id     received  answered"),
            0u)
      << table;
  EXPECT_NE(table.find("\ndepartment  a,\"b\"        12         0"), std::string::npos) << table;
  EXPECT_NE(table.find("\ntotal                     0         0"), std::string::npos) << table;
  EXPECT_EQ(table.find(" \n"), std::string::npos) << table;
  EXPECT_NE(table.find("\nCase work: first reaction"), std::string::npos) << table;
}

TEST(RenderEvaluationTest, ShowsCaseworkFigures) {
  lotse::v1::EvaluationReply reply;
  auto* group = reply.add_departments();
  group->set_id("bauordnung");
  lotse::v1::EvaluationFigures* f = group->mutable_figures();
  f->set_received(4);
  f->set_answered(2);
  f->set_first_reaction_due(4);
  f->set_first_reaction_sla_share(0.75);
  f->set_sla_share_counting_waiting(0.5);
  f->set_reopened(1);
  f->set_company_feedback(2);
  f->set_company_average_rating(3.5);
  f->set_company_resolved_share(0.5);
  f->set_own_time_median_us(int64_t{2} * 3600 * 1000000);
  const std::string csv = RenderEvaluation(reply, "csv");
  EXPECT_NE(csv.find(",75%,0,0,50%,0,0.0,0.0,2.0,0.0,1,2,3.50,50%\n"), std::string::npos) << csv;
}

TEST(DescribeEventTest, NamesCaseworkEvents) {
  lotse::v1::Envelope routed;
  routed.mutable_referral_routed()->set_assignee("bauordnung");
  routed.mutable_referral_routed()->mutable_contact_person()->set_id("bo-kaya");
  routed.mutable_referral_routed()->set_stand_in_for("bo-mueller");
  routed.mutable_referral_routed()->set_reason("topic baugenehmigung");
  EXPECT_EQ(DescribeEvent(routed),
            "routed to bauordnung (contact bo-kaya, standing in for "
            "bo-mueller): topic baugenehmigung");
  lotse::v1::Envelope esc;
  esc.mutable_escalated()->set_assignee("bauordnung");
  esc.mutable_escalated()->set_level(lotse::v1::ESCALATION_LEVEL_BREACH);
  esc.mutable_escalated()->set_deadline(lotse::v1::DEADLINE_FIRST_REACTION);
  esc.mutable_escalated()->add_notify_staff("bo-becker");
  EXPECT_EQ(DescribeEvent(esc), "first reaction overdue: escalated at bauordnung; told bo-becker");
  esc.mutable_escalated()->set_level(lotse::v1::ESCALATION_LEVEL_SECOND_BREACH);
  esc.mutable_escalated()->set_deadline(lotse::v1::DEADLINE_ANSWER);
  EXPECT_NE(DescribeEvent(esc).find("answer long overdue: the head hears"), std::string::npos);
  lotse::v1::Envelope reopened;
  reopened.mutable_reopened()->set_assignee("bauordnung");
  reopened.mutable_reopened()->set_reopen_count(1);
  reopened.mutable_reopened()->set_reason("feedback: not resolved");
  EXPECT_EQ(DescribeEvent(reopened), "reopened (1. time) at bauordnung: feedback: not resolved");
  lotse::v1::Envelope absence;
  absence.mutable_absence_set()->set_user("bo-mueller");
  absence.mutable_absence_set()->set_from_date("2026-03-02");
  absence.mutable_absence_set()->set_to_date("2026-03-06");
  absence.mutable_absence_set()->set_substitute("bo-kaya");
  EXPECT_EQ(DescribeEvent(absence), "bo-mueller away 2026-03-02 to 2026-03-06, stand-in bo-kaya");
  lotse::v1::Envelope asked;
  asked.mutable_company_asked()->set_asked_by("bo-mueller");
  asked.mutable_company_asked()->set_assignee("bauordnung");
  asked.mutable_company_asked()->set_office("bb-mitte");
  asked.mutable_company_asked()->set_question("Wie hoch?");
  EXPECT_EQ(
      DescribeEvent(asked),
      "question back to the company by bo-mueller at bauordnung, through bb-mitte: Wie hoch?");
  lotse::v1::Envelope replied;
  replied.mutable_company_replied()->set_replied_by("bb-mitte");
  replied.mutable_company_replied()->set_paused_business_us(int64_t{3} * 3600 * 1000000);
  replied.mutable_company_replied()->set_text("12 m");
  EXPECT_EQ(DescribeEvent(replied),
            "the company replied (entered by bb-mitte), waited 3.0 business h: 12 m");
  lotse::v1::Envelope follow_up, company_feedback, attachment;
  follow_up.mutable_follow_up_asked()->set_office("bb-mitte");
  company_feedback.mutable_company_feedback_submitted()->set_rating(2);
  attachment.mutable_attachment_added()->mutable_attachment()->set_name("plan.pdf");
  attachment.mutable_attachment_added()->mutable_attachment()->set_sha256(std::string(64, 'a'));
  EXPECT_EQ(DescribeEvent(follow_up), "follow-up question from bb-mitte: ");
  EXPECT_EQ(DescribeEvent(company_feedback), "the company's feedback 2 of 5, not resolved");
  EXPECT_EQ(DescribeEvent(attachment),
            "attachment added by : plan.pdf (0 bytes, sha256 aaaaaaaaaaaa)");
}

}  // namespace
}  // namespace lotse::cli
