#include "common/log/log.h"

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

TEST(LogTest, RefusesUnknownLevelsAndFormats) {
  EXPECT_FALSE(Init("intake", "loud", "text").ok());
  EXPECT_FALSE(Init("intake", "info", "xml").ok());
  EXPECT_TRUE(Init("intake", "warn", "text").ok());
}

}  // namespace
}  // namespace lotse::log
