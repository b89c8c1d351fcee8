#include "services/notification/inbox_expiry.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/format.h"
#include "gtest/gtest.h"

namespace lotse::notification {
namespace {

constexpr store::Cf kInbox = store::kFirstStateFamily;
constexpr store::Cf kPositions = store::kFirstStateFamily + 1;

class InboxExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/inbox_expiry_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    store::Options options;
    options.path = dir_;
    options.state_families = {"state_inbox", "state_positions"};
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    store::Batch batch(store_.get());
    for (const std::string recipient : {"office/a", "office/b"}) {
      for (uint64_t seq = 1; seq <= 10; ++seq) {
        batch.Put(kInbox, StrCat(recipient, std::string(1, '\0'), store::EncodeU64(seq)), "m");
      }
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Read(InboxExpiry& expiry, const std::string& recipient, uint64_t from, uint64_t to) {
    store::Batch batch(store_.get());
    ASSERT_TRUE(expiry.RecordRead(batch, recipient, from, to, now_).ok());
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  uint64_t Steps(InboxExpiry& expiry) {
    uint64_t deleted = 0;
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<uint64_t> n = expiry.Step(*store_, now_);
      EXPECT_TRUE(n.ok()) << n.status();
      deleted += n.value_or(0);
    }
    now_ += absl::Minutes(1);  // the next pass may start
    return deleted;
  }
  std::vector<uint64_t> Left(const std::string& recipient) {
    std::vector<uint64_t> seqs;
    EXPECT_TRUE(store_
                    ->Scan(kInbox, StrCat(recipient, std::string(1, '\0')), "",
                           [&](std::string_view key, std::string_view) {
                             seqs.push_back(store::DecodeU64(key.substr(key.size() - 8)));
                             return true;
                           })
                    .ok());
    return seqs;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(InboxExpiryTest, DeletesReadMessagesOnlyAfterTheirWindow) {
  InboxExpiry expiry(kInbox, kPositions, absl::Hours(24 * 7), absl::Minutes(1), /*step_keys=*/3);
  Read(expiry, "office/a", 0, 4);
  now_ += absl::Hours(24 * 3);
  Read(expiry, "office/a", 4, 6);
  Read(expiry, "office/b", 0, 2);
  EXPECT_EQ(Steps(expiry), 0u);
  now_ += absl::Hours(24 * 4);  // the first read is 7 days old, the others 4
  EXPECT_EQ(Steps(expiry), 4u);
  EXPECT_EQ(Left("office/a"), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(Left("office/b").size(), 10u);
  now_ += absl::Hours(24 * 3);
  EXPECT_EQ(Steps(expiry), 4u);
  EXPECT_EQ(Left("office/a"), (std::vector<uint64_t>{7, 8, 9, 10}));  // unread: kept
  EXPECT_EQ(Left("office/b"), (std::vector<uint64_t>{3, 4, 5, 6, 7, 8, 9, 10}));
  // The index is gone too.
  size_t entries = 0;
  ASSERT_TRUE(store_
                  ->Scan(kPositions, "read/", "",
                         [&](std::string_view, std::string_view) {
                           ++entries;
                           return true;
                         })
                  .ok());
  EXPECT_EQ(entries, 0u);
}

TEST_F(InboxExpiryTest, TwoReadsInOneCommitCoverBothRanges) {
  InboxExpiry expiry(kInbox, kPositions, absl::Hours(1), absl::Minutes(1));
  store::Batch batch(store_.get());
  ASSERT_TRUE(expiry.RecordRead(batch, "office/a", 0, 3, now_).ok());
  ASSERT_TRUE(expiry.RecordRead(batch, "office/a", 3, 5, now_).ok());
  ASSERT_TRUE(store_->Commit(batch).ok());
  now_ += absl::Hours(2);
  EXPECT_EQ(Steps(expiry), 5u);
  EXPECT_EQ(Left("office/a").front(), 6u);
}

}  // namespace
}  // namespace lotse::notification
