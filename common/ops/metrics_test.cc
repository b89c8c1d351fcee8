#include "common/ops/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace lotse::ops {
namespace {

TEST(Metrics, RendersFamiliesOnceWithHelpTypeAndLabels) {
  Registry registry;
  registry.SetConstantLabel("service", "routing");
  registry.GetCounter("lotse_events_total", "Events.", {{"type", "routed"}}).Add(3);
  registry.GetCounter("lotse_events_total", "Events.", {{"type", "a\"b\\c\nd"}}).Add();
  registry.GetGauge("lotse_lag", "Lag.").Set(2.5);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("# HELP lotse_events_total Events.\n# TYPE lotse_events_total counter\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lotse_events_total{service=\"routing\",type=\"routed\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(type="a\"b\\c\nd"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("lotse_lag{service=\"routing\"} 2.5\n"), std::string::npos) << text;
  // One HELP line per family, however many series it has.
  EXPECT_EQ(text.find("# HELP lotse_events_total", text.find("# HELP lotse_events_total") + 1),
            std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulativeAndCountMatches) {
  Registry registry;
  Histogram& h = registry.GetHistogram("lotse_commit_seconds", "Commit time.", {}, {0.001, 0.01});
  h.Observe(0.0005);
  h.Observe(0.001);  // upper bounds are inclusive
  h.Observe(0.005);
  h.Observe(3);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("lotse_commit_seconds_bucket{le=\"0.001\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lotse_commit_seconds_bucket{le=\"0.01\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lotse_commit_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lotse_commit_seconds_count 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lotse_commit_seconds_sum 3.0065\n"), std::string::npos) << text;
}

TEST(Metrics, CollectorsAreReadAtRenderTimeAndCanBeRemoved) {
  Registry registry;
  double value = 1;
  const int id = registry.AddCollector([&value](Sample& sample) {
    sample.Gauge("lotse_consumer_lag_events", "Lag.", {{"stream", "intake"}}, value);
  });
  value = 7;
  EXPECT_NE(registry.Render().find("lotse_consumer_lag_events{stream=\"intake\"} 7\n"),
            std::string::npos);
  registry.RemoveCollector(id);
  EXPECT_EQ(registry.Render().find("lotse_consumer_lag_events"), std::string::npos);
}

TEST(Metrics, CountersAreExactUnderConcurrentIncrements) {
  Registry registry;
  Counter& counter = registry.GetCounter("lotse_n_total", "N.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry] {
      for (int i = 0; i < 10000; ++i) {
        registry.GetCounter("lotse_n_total", "N.").Add();
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(counter.value(), 40000U);
}

}  // namespace
}  // namespace lotse::ops
