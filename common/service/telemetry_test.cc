#include "common/service/telemetry.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/format.h"
#include "common/ops/metrics.h"
#include "gtest/gtest.h"

namespace lotse::service {
namespace {

class TelemetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove_all(dir_);
    store::Options options;
    options.path = dir_;
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One directory per test and process: ctest runs the tests in parallel.
  const std::string dir_ = StrCat(::testing::TempDir(), "/telemetry_test_", getpid(), "_",
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  bus::Context context_;
  std::unique_ptr<store::Store> store_;
};

// Counts Escalated events per assignee, as a service would declare it; the series of
// `initial` start at 0. (The registry is the process's: each test uses its own departments.)
EventCounter Escalations(const std::vector<std::string>& initial) {
  EventCounter counter;
  counter.name = "lotse_test_escalations_total";
  counter.help = "Escalations in this test.";
  counter.payload_case = lotse::v1::Envelope::kEscalated;
  counter.labels = [](const lotse::v1::Envelope& event) {
    return ops::Labels{{"department", event.escalated().assignee()}};
  };
  for (const std::string& department : initial) {
    counter.initial.push_back({{"department", department}});
  }
  return counter;
}

std::string Escalated(const std::string& assignee) {
  lotse::v1::Envelope event;
  event.mutable_escalated()->set_assignee(assignee);
  return event.SerializeAsString();
}

// The value of `series` in the registry's exposition, or -1 if it has none.
double Value(const std::string& series) {
  const std::string exposition = ops::DefaultRegistry().Render();
  const size_t at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) {
    return -1;
  }
  return std::stod(exposition.substr(at + series.size() + 2));
}

TEST_F(TelemetryTest, AnEventCounterStartsItsInitialSeriesAtZero) {
  TelemetryOptions options;
  options.service = "routing";
  options.event_counters = {Escalations({"umwelt", "tiefbau"})};
  Telemetry telemetry(context_, *store_, options);
  EXPECT_EQ(Value(R"(lotse_test_escalations_total{service="routing",department="umwelt"})"), 0);
  EXPECT_EQ(Value(R"(lotse_test_escalations_total{service="routing",department="tiefbau"})"), 0);
}

TEST_F(TelemetryTest, AnEventCounterCountsOnlyItsEventsByTheirLabels) {
  TelemetryOptions options;
  options.service = "routing";
  options.event_counters = {Escalations({"stadtkasse"})};
  Telemetry telemetry(context_, *store_, options);
  lotse::v1::Envelope claimed;
  claimed.mutable_claimed()->set_assignee("bauordnung");
  telemetry.Produced({Escalated("bauordnung"), claimed.SerializeAsString(), Escalated("kam-yilmaz"),
                      Escalated("bauordnung")},
                     {lotse::v1::Envelope::kEscalated, lotse::v1::Envelope::kClaimed,
                      lotse::v1::Envelope::kEscalated, lotse::v1::Envelope::kEscalated});
  EXPECT_EQ(Value(R"(lotse_test_escalations_total{service="routing",department="bauordnung"})"), 2);
  EXPECT_EQ(Value(R"(lotse_test_escalations_total{service="routing",department="kam-yilmaz"})"), 1);
  EXPECT_EQ(Value(R"(lotse_test_escalations_total{service="routing",department="stadtkasse"})"), 0);
}

TEST_F(TelemetryTest, WithoutEventCountersItsEventsAreNotCounted) {
  TelemetryOptions options;
  options.service = "intake";
  Telemetry telemetry(context_, *store_, options);
  telemetry.Produced({Escalated("umwelt")}, {lotse::v1::Envelope::kEscalated});
  EXPECT_EQ(Value(R"(lotse_test_escalations_total{service="intake",department="umwelt"})"), -1);
  EXPECT_EQ(Value(R"(lotse_events_produced_total{service="intake",type="escalated"})"), 1);
}

// Per family: the keys and bytes it keeps; what retention deleted is counted, and dead letters
// it deleted no longer count as stored.
TEST_F(TelemetryTest, ShowsEachFamilysSizeAndCountsWhatRetentionDeleted) {
  store::Batch batch(store_.get());
  batch.Put(store::kDeadLetter, "routing/1", "a");
  batch.Put(store::kDeadLetter, "routing/2", "b");
  ASSERT_TRUE(store_->Commit(batch).ok());
  TelemetryOptions options;
  options.service = "audit";
  Telemetry telemetry(context_, *store_, options);
  EXPECT_EQ(Value(R"(lotse_rocksdb_estimated_keys{service="audit",family="dead_letter"})"), 2);
  EXPECT_GE(Value(R"(lotse_rocksdb_sst_bytes{service="audit",family="outbox"})"), 0);
  EXPECT_GE(Value(R"(lotse_rocksdb_live_data_bytes{service="audit",family="idempotency"})"), 0);
  const double stored = Value(R"(lotse_dead_letters{service="audit"})");
  const uint64_t expired = ExpiredCounter("dead_letter").value();
  telemetry.Expired(ExpiryCounts{.outbox = 3, .idempotency = 0, .dead_letter = 1});
  EXPECT_EQ(ExpiredCounter("dead_letter").value(), expired + 1);
  EXPECT_EQ(Value(R"(lotse_dead_letters{service="audit"})"), std::max(stored - 1, 0.0));
}

}  // namespace
}  // namespace lotse::service
