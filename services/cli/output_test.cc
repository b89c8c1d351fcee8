#include "services/cli/output.h"

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

TEST(ParseWordsTest, AcceptsTheDocumentedWordsInAnyCase) {
  EXPECT_EQ(ParsePriority("URGENT"), lotse::v1::PRIORITY_URGENT);
  EXPECT_EQ(ParsePriority("low"), lotse::v1::PRIORITY_LOW);
  EXPECT_FALSE(ParsePriority("asap").has_value());
  EXPECT_EQ(ParseOutcome("not-responsible"), lotse::v1::OUTCOME_NOT_RESPONSIBLE);
  EXPECT_EQ(ParseOutcome("partly"), lotse::v1::OUTCOME_PARTLY);
  EXPECT_FALSE(ParseOutcome("done").has_value());
  EXPECT_EQ(ParseYesNo("yes"), true);
  EXPECT_EQ(ParseYesNo("Nein"), false);
  EXPECT_FALSE(ParseYesNo("maybe").has_value());
}

TEST(LocalTimeTest, ShowsBerlinTimeAcrossDaylightSaving) {
  EXPECT_EQ(LocalTime(Micros("2026-03-04T13:00:00Z"), Berlin()), "2026-03-04 14:00");
  EXPECT_EQ(LocalTime(Micros("2026-07-01T06:30:00Z"), Berlin()), "2026-07-01 08:30");
  EXPECT_EQ(LocalTime(0, Berlin()), "-");
}

TEST(ClipTest, CountsCodePointsAndNeverSplitsThem) {
  EXPECT_EQ(DisplayWidth("Straßen – Süd"), 13u);
  EXPECT_EQ(Clip("Bürgerbüro Mitte", 40), "Bürgerbüro Mitte");
  EXPECT_EQ(Clip("Bürgerbüro Mitte", 6), "Bürge…");
  EXPECT_EQ(DisplayWidth(Clip("ääääääää", 5)), 5u);
  EXPECT_EQ(Clip("two\nlines", 20), "two lines");
}

TEST(TableTest, AlignsColumnsByDisplayWidth) {
  Table table({{"id", 10}, {"name", 20}});
  table.AddRow({"bb-sued", "Bürgerbüro Süd"});
  table.AddRow({"bb-mitte", "Mitte"});
  EXPECT_EQ(table.Render(),
            "id        name\n"
            "--------  --------------\n"
            "bb-sued   Bürgerbüro Süd\n"
            "bb-mitte  Mitte\n");
}

TEST(ToJsonTest, KeepsFieldNamesAndPrintsDefaults) {
  lotse::v1::SubmitReferralReply reply;
  reply.set_referral_id("r1");
  reply.set_case_number("2026-000001");
  auto json = ToJson(reply);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"referral_id":"r1","case_number":"2026-000001","submitted_at_us":"0"})");
}

TEST(ErrorJsonTest, WrapsTheErrorWithEnumNames) {
  lotse::v1::Error error;
  error.set_code(lotse::v1::ERROR_CODE_NOT_FOUND);
  error.set_message("topic 'x' is unknown");
  error.set_field("topic");
  EXPECT_EQ(ErrorJson(error),
            R"({"error":{"code":"ERROR_CODE_NOT_FOUND","message":"topic 'x' is unknown",)"
            R"("field":"topic"}})");
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

}  // namespace
}  // namespace lotse::cli
