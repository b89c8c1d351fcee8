#include "services/cli/supervisor.h"

#include <sys/wait.h>

#include "gtest/gtest.h"

namespace lotse::cli {
namespace {

TEST(BackoffTest, DoublesUpToTheMaximumAndResetsAfterAGoodRun) {
  Backoff backoff(absl::Milliseconds(500), absl::Seconds(10), absl::Seconds(30));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Milliseconds(500));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Seconds(1));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Seconds(2));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Seconds(4));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Seconds(8));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Seconds(10));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Seconds(10));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(31)), absl::Milliseconds(500));
  EXPECT_EQ(backoff.OnExit(absl::Seconds(1)), absl::Seconds(1));
}

TEST(DescribeExitTest, NamesExitCodesAndSignals) {
  EXPECT_EQ(DescribeExit(1 << 8), "exit code 1");  // as waitpid() reports exit(1)
  EXPECT_EQ(DescribeExit(9).rfind("signal 9", 0), 0u);
  EXPECT_EQ(Seconds(absl::Milliseconds(500)), "0.5 s");
  EXPECT_EQ(Seconds(absl::Seconds(10)), "10 s");
}

TEST(ServiceSetTest, StartsIntakeBeforeRouting) {
  ASSERT_GE(std::size(kServiceSet), 2u);
  EXPECT_EQ(kServiceSet[0].binary, "lotse-intake");
  EXPECT_EQ(kServiceSet[1].binary, "lotse-routing");
}

}  // namespace
}  // namespace lotse::cli
