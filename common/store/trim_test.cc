#include "common/store/trim.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace lotse::store {
namespace {

class TrimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/trim_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    Options options;
    options.path = dir_;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  // Appends events 1..n whose value is their seq as text.
  void Append(int n) {
    Batch batch(store_.get());
    for (int i = 0; i < n; ++i) {
      batch.AppendEvent(std::to_string(batch.NextSeq()));
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  std::vector<uint64_t> Outbox() {
    std::vector<uint64_t> seqs;
    EXPECT_TRUE(store_
                    ->ScanRange(kOutbox, "", "",
                                [&](std::string_view key, std::string_view) {
                                  seqs.push_back(DecodeU64(key));
                                  return true;
                                })
                    .ok());
    return seqs;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

const auto kAll = [](uint64_t, std::string_view) { return true; };

TEST_F(TrimTest, TrimsUpToTheGivenSeqInBoundedSteps) {
  Append(10);
  absl::StatusOr<TrimStep> step = TrimOutbox(*store_, 0, 6, 4, kAll);
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(step->deleted, 4u);
  EXPECT_TRUE(step->more);
  EXPECT_EQ(step->first_kept, 5u);
  step = TrimOutbox(*store_, step->first_kept, 6, 4, kAll);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->deleted, 2u);
  EXPECT_FALSE(step->more);
  EXPECT_EQ(step->first_kept, 7u);
  EXPECT_EQ(Outbox(), (std::vector<uint64_t>{7, 8, 9, 10}));
  EXPECT_EQ(*FirstOutboxSeq(*store_), 7u);
}

TEST_F(TrimTest, StopsAtTheFirstEventThatMustStay) {
  Append(10);
  absl::StatusOr<TrimStep> step =
      TrimOutbox(*store_, 0, 10, 100, [](uint64_t seq, std::string_view value) {
        EXPECT_EQ(value, std::to_string(seq));
        return seq != 4 && seq != 8;  // 4 is young: 5..7 stay behind it too
      });
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->deleted, 3u);
  EXPECT_FALSE(step->more);
  EXPECT_EQ(Outbox().front(), 4u);
}

// The store finds its head from the newest event when it opens: that one is never trimmed, so
// seqs are not reused after a restart.
TEST_F(TrimTest, KeepsTheNewestEventSoTheHeadSurvivesARestart) {
  Append(5);
  ASSERT_TRUE(TrimOutbox(*store_, 0, 5, 100, kAll).ok());
  EXPECT_EQ(Outbox(), (std::vector<uint64_t>{5}));
  Reopen();
  EXPECT_EQ(store_->last_seq(), 5u);
  Append(1);
  EXPECT_EQ(Outbox(), (std::vector<uint64_t>{5, 6}));
}

TEST_F(TrimTest, ExpireStepWalksTheFamilyWithAPersistentCursor) {
  Batch batch(store_.get());
  for (int i = 0; i < 10; ++i) {
    batch.Put(kIdempotency, "key" + std::to_string(i), i % 2 == 0 ? "old" : "new");
  }
  ASSERT_TRUE(store_->Commit(batch).ok());
  const auto old = [](std::string_view, std::string_view value) { return value == "old"; };
  absl::StatusOr<ExpiryStep> step = ExpireStep(*store_, kIdempotency, "cursor/test", 4, old);
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(step->examined, 4u);
  EXPECT_EQ(step->deleted, 2u);
  EXPECT_FALSE(step->pass_done);
  Reopen();  // the cursor is stored: the pass goes on after the keys it has seen
  step = ExpireStep(*store_, kIdempotency, "cursor/test", 4, old);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->examined, 4u);
  EXPECT_FALSE(step->pass_done);
  step = ExpireStep(*store_, kIdempotency, "cursor/test", 4, old);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->examined, 2u);
  EXPECT_TRUE(step->pass_done);
  EXPECT_FALSE(store_->Get(kMeta, "cursor/test")->has_value());
  int left = 0;
  ASSERT_TRUE(store_
                  ->ScanRange(kIdempotency, "", "",
                              [&](std::string_view, std::string_view value) {
                                EXPECT_EQ(value, "new");
                                ++left;
                                return true;
                              })
                  .ok());
  EXPECT_EQ(left, 5);
}

// Housekeeping frees space, so it runs on a nearly full disk where new work is refused.
TEST_F(TrimTest, HousekeepingRunsOnANearlyFullDisk) {
  Append(3);
  store_.reset();
  Options options;
  options.path = dir_;
  options.min_free_bytes = uint64_t{1} << 62;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  ASSERT_TRUE(store.ok());
  store_ = std::move(*store);
  Batch batch(store_.get());
  batch.AppendEvent("4");
  EXPECT_FALSE(store_->Commit(batch).ok());
  absl::StatusOr<TrimStep> step = TrimOutbox(*store_, 0, 3, 100, kAll);
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(step->deleted, 2u);
}

}  // namespace
}  // namespace lotse::store
