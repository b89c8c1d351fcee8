#include "common/log/log.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "spdlog/spdlog.h"

namespace lotse::log {
namespace {

TEST(LogTest, JsonLinesEscapeTheMessage) {
  ASSERT_TRUE(Init("intake", "info", "json").ok());
  ::testing::internal::CaptureStderr();
  spdlog::info("referral {} says \"hallo\"\nand a backslash \\", "2026-000001");
  spdlog::default_logger()->flush();
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;  // one line
  EXPECT_NE(out.find(R"("service":"intake")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"(2026-000001 says \"hallo\"\nand a backslash \\")"), std::string::npos)
      << out;
}

TEST(LogTest, JsonLinesCarryTheReferralInScopeAndOnlyThere) {
  ASSERT_TRUE(Init("routing", "info", "json").ok());
  ::testing::internal::CaptureStderr();
  {
    const ScopedContext outer({"rf01", "2026-000007", "referral_routed"});
    spdlog::info("routed");
    {
      const ScopedContext inner({"rf02", "", ""});
      spdlog::info("inner");
    }
    spdlog::info("outer again");
  }
  spdlog::info("outside any referral");
  spdlog::default_logger()->flush();
  const std::string out = ::testing::internal::GetCapturedStderr();
  std::vector<std::string> lines;
  for (size_t at = 0; at < out.size();) {
    const size_t end = out.find('\n', at);
    lines.push_back(out.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 4U) << out;
  EXPECT_NE(lines[0].find(R"("service":"routing","pid":)"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"(,"referral":"rf01","case_number":"2026-000007","event":"referral_routed","message":"routed"})"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(R"(,"referral":"rf02","message":"inner"})"), std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find(R"("referral":"rf01")"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[3].find("\"referral\""), std::string::npos) << lines[3];
}

TEST(LogTest, TextLinesEscapeControlCharactersACallerSent) {
  ASSERT_TRUE(Init("intake", "info", "text").ok());
  ::testing::internal::CaptureStderr();
  // A forged second line and a terminal escape, as a caller could put them into a field.
  spdlog::info("refused '{}'", "x\n2026-01-01 00:00:00.000 info  intake: all good\x1b[2J\\");
  spdlog::default_logger()->flush();
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;  // one line
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find(R"(refused 'x\n2026-01-01 00:00:00.000 info  intake: all good\x1b[2J\\')"),
            std::string::npos)
      << out;
}

TEST(LogTest, JournalEntriesCarryTheReferralAsFieldsInScopeAndOnlyThere) {
  using Fields = std::vector<std::string>;
  auto has = [](const Fields& fields, const std::string& field) {
    return std::find(fields.begin(), fields.end(), field) != fields.end();
  };
  {
    const ScopedContext context({"r-7f3a", "2026-000123", "referral_routed"});
    const Fields fields = JournalFields("routing", 6, "referral 2026-000123 routed to umwelt");
    EXPECT_TRUE(has(fields, "MESSAGE=referral 2026-000123 routed to umwelt"));
    EXPECT_TRUE(has(fields, "PRIORITY=6"));
    EXPECT_TRUE(has(fields, "SYSLOG_IDENTIFIER=lotse-routing"));
    EXPECT_TRUE(has(fields, "LOTSE_SERVICE=routing"));
    EXPECT_TRUE(has(fields, "LOTSE_REFERRAL_ID=r-7f3a"));
    EXPECT_TRUE(has(fields, "LOTSE_CASE_NUMBER=2026-000123"));
    EXPECT_TRUE(has(fields, "LOTSE_EVENT=referral_routed"));
  }
  const Fields outside = JournalFields("routing", 3, "the store is damaged");
  EXPECT_EQ(outside.size(), 4u);
  EXPECT_TRUE(has(outside, "PRIORITY=3"));
  for (const std::string& field : outside) {
    EXPECT_EQ(field.rfind("LOTSE_REFERRAL_ID=", 0), std::string::npos) << field;
  }
}

TEST(LogTest, WithoutJournaldTheJournalFormatLogsTextToStderrAndSaysSo) {
  if (access("/run/systemd/journal/socket", W_OK) == 0) {
    GTEST_SKIP() << "journald runs here: the lines go to the journal";
  }
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(Init("intake", "info", "journal").ok());
  spdlog::info("referral {} received", "2026-000001");
  spdlog::default_logger()->flush();
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("journald does not run here"), std::string::npos) << out;
  EXPECT_NE(out.find("intake: referral 2026-000001 received"), std::string::npos) << out;
  ASSERT_TRUE(Init("intake", "info", "text").ok());
}

TEST(LogTest, RefusesUnknownLevelsAndFormats) {
  EXPECT_FALSE(Init("intake", "loud", "text").ok());
  EXPECT_FALSE(Init("intake", "info", "xml").ok());
  EXPECT_TRUE(Init("intake", "warn", "text").ok());
}

}  // namespace
}  // namespace lotse::log
