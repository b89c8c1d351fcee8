// The times people type for case work's deadlines (consult --due), and the requests of the
// changing commands' new flags.
#include "absl/time/civil_time.h"
#include "common/client/requests.h"
#include "gtest/gtest.h"
#include "services/cli/command_line.h"

namespace lotse::cli {
namespace {

absl::TimeZone Berlin() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &tz));
  return tz;
}

TEST(ParseCityTimeTest, ReadsTheCitysWallClock) {
  const std::optional<absl::Time> t = ParseCityTime("2026-03-04 09:00", Berlin());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, absl::FromCivil(absl::CivilMinute(2026, 3, 4, 9, 0), Berlin()));
}

TEST(ParseCityTimeTest, ReadsRfc3339WithItsOwnOffset) {
  const std::optional<absl::Time> t = ParseCityTime("2026-03-04T08:00:00Z", Berlin());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t, absl::FromCivil(absl::CivilMinute(2026, 3, 4, 9, 0), Berlin()));
}

TEST(ParseCityTimeTest, RefusesAnythingElse) {
  for (const char* text : {"", "tomorrow", "2026-03-04", "04.03.2026 09:00", "2026-13-04 09:00",
                           "2026-03-04 09:00 extra"}) {
    EXPECT_FALSE(ParseCityTime(text, Berlin()).has_value()) << text;
  }
}

TEST(ChangeRequestTest, ConsultCarriesItsDueTimeAndAnswerItsConfirmation) {
  client::ChangeArgs args;
  args.ref = "2026-000001";
  args.department = "umwelt";
  args.with = {"bauordnung"};
  args.question = "q";
  args.due_at_us = 1234;
  EXPECT_EQ(client::ChangeRequest(client::Change::kConsult, args).consult().due_at_us(), 1234);
  args.text = "t";
  args.outcome = "resolved";
  EXPECT_FALSE(
      client::ChangeRequest(client::Change::kAnswer, args).answer().confirm_open_consultations());
  args.confirm = true;
  EXPECT_TRUE(
      client::ChangeRequest(client::Change::kAnswer, args).answer().confirm_open_consultations());
}

}  // namespace
}  // namespace lotse::cli
