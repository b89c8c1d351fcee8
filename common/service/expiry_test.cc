#include "common/service/expiry.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/service/runner.h"
#include "common/store/trim.h"
#include "gtest/gtest.h"
#include "lotse/v1/common.pb.h"

namespace lotse::service {
namespace {

// A request fingerprint as Fingerprint() makes them: 32 bytes.
const std::string kFingerprint(32, 'f');

class ExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/expiry_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    store::Options options;
    options.path = dir_;
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    options_.trim_outbox = true;
    options_.log_min_age = absl::Hours(1);
    options_.idempotency = absl::Hours(24);
    options_.dead_letter = absl::Hours(24 * 7);
    options_.scan_interval = absl::Minutes(1);
    options_.step_keys = 3;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Emit(int n) {
    store::Batch batch(store_.get());
    for (int i = 0; i < n; ++i) {
      lotse::v1::Envelope event;
      event.set_referral_id("r");
      service::Emit(batch, *store_, "intake", clock_.Now(), event);
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  // Runs steps until the pass is over; returns what they deleted.
  ExpiryCounts Pass(Expiry& expiry, uint64_t acknowledged) {
    ExpiryCounts total;
    for (int i = 0; i < 1000; ++i) {
      const ExpiryCounts c = expiry.Step(acknowledged);
      total.outbox += c.outbox;
      total.idempotency += c.idempotency;
      total.dead_letter += c.dead_letter;
      if (expiry.NextStep() - absl::Now() > absl::Milliseconds(100)) {
        break;  // idle until the next scan
      }
    }
    clock_.Advance(options_.scan_interval);  // the next pass may start
    return total;
  }
  size_t Count(store::Cf cf) {
    size_t n = 0;
    EXPECT_TRUE(store_
                    ->ScanRange(cf, "", "",
                                [&](std::string_view, std::string_view) {
                                  ++n;
                                  return true;
                                })
                    .ok());
    return n;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  clock::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  ExpiryOptions options_;
};

TEST_F(ExpiryTest, TrimsOnlyWhatEveryConsumerAcknowledgedAndIsOldEnough) {
  Emit(10);  // seq 1..10 at t0
  clock_.Advance(absl::Minutes(30));
  Expiry expiry(*store_, clock_, options_);
  ASSERT_TRUE(expiry.Start().ok());
  EXPECT_EQ(Pass(expiry, 8).outbox, 0u);  // acknowledged, but younger than an hour
  clock_.Advance(absl::Minutes(31));
  Emit(5);                                // seq 11..15, young
  EXPECT_EQ(Pass(expiry, 0).outbox, 0u);  // a consumer has acknowledged nothing
  EXPECT_EQ(Pass(expiry, 8).outbox, 8u);  // old and acknowledged by all: 1..8
  EXPECT_EQ(expiry.first_seq(), 9u);
  EXPECT_EQ(Pass(expiry, 13).outbox, 2u);  // 11..13 are acknowledged but young
  EXPECT_EQ(expiry.first_seq(), 11u);
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(Pass(expiry, 15).outbox, 4u);  // all but the newest, which keeps the head
  EXPECT_EQ(*store::FirstOutboxSeq(*store_), 15u);
}

TEST_F(ExpiryTest, ExpiresIdempotencyRecordsAndDeadLettersAfterTheirWindows) {
  {
    store::Batch batch(store_.get());
    for (int i = 0; i < 5; ++i) {
      StoreReply(batch, "old-" + std::to_string(i), kFingerprint, "reply", clock_.Now());
    }
    lotse::v1::DeadLetter dead;
    dead.set_reason("test");
    dead.set_at_us(clock::ToMicros(clock_.Now()));
    batch.Put(store::kDeadLetter, "routing/1", dead.SerializeAsString());
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  clock_.Advance(absl::Hours(23));
  {
    store::Batch batch(store_.get());
    for (int i = 0; i < 4; ++i) {
      StoreReply(batch, "new-" + std::to_string(i), kFingerprint, "reply", clock_.Now());
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  Expiry expiry(*store_, clock_, options_);
  ASSERT_TRUE(expiry.Start().ok());
  EXPECT_EQ(Pass(expiry, 0).idempotency, 0u);
  clock_.Advance(absl::Hours(1));
  ExpiryCounts counts = Pass(expiry, 0);
  EXPECT_EQ(counts.idempotency, 5u);
  EXPECT_EQ(counts.dead_letter, 0u);
  EXPECT_EQ(Count(store::kIdempotency), 4u);
  // A retry within the window still finds its reply.
  store::Batch batch(store_.get());
  absl::StatusOr<std::optional<std::string>> stored = FindStoredReply(batch, "new-0", kFingerprint);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->value_or(""), "reply");
  clock_.Advance(absl::Hours(24 * 6));
  counts = Pass(expiry, 0);
  EXPECT_EQ(counts.dead_letter, 1u);
  EXPECT_EQ(counts.idempotency, 4u);
  EXPECT_EQ(Count(store::kDeadLetter), 0u);
}

TEST(OccurredAtTest, ReadsTheTimeWithoutParsingTheWholeEvent) {
  lotse::v1::Envelope event;
  event.set_stream("intake");
  event.set_referral_id(std::string(5000, 'x'));
  event.set_occurred_at_us(1'234'567);
  EXPECT_EQ(OccurredAt(event.SerializeAsString()), absl::FromUnixMicros(1'234'567));
  EXPECT_EQ(OccurredAt("\xff\xff"), std::nullopt);
}

}  // namespace
}  // namespace lotse::service
