#include "common/log/log.h"

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

TEST(LogTest, RefusesUnknownLevelsAndFormats) {
  EXPECT_FALSE(Init("intake", "loud", "text").ok());
  EXPECT_FALSE(Init("intake", "info", "xml").ok());
  EXPECT_TRUE(Init("intake", "warn", "text").ok());
}

}  // namespace
}  // namespace lotse::log
