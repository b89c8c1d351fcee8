#include "services/routing/counts.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/format.h"
#include "gtest/gtest.h"

namespace lotse::routing {
namespace {

constexpr store::Cf kItems = store::kFirstStateFamily;      // counted
constexpr store::Cf kOther = store::kFirstStateFamily + 1;  // not counted
constexpr store::Cf kCounts = store::kFirstStateFamily + 2;

std::string Item(const std::string& owner, const std::string& rest) {
  return StrCat(owner, std::string(1, '\0'), rest);
}

class IndexCountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/counts_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_.reset();
    store::Options options;
    options.path = dir_;
    options.state_families = {"state_items", "state_other", "state_counts"};
    auto store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  // Writes before -> after in one committed batch.
  void Change(const IndexEntries& before, const IndexEntries& after) {
    store::Batch batch(store_.get());
    ASSERT_TRUE(counts_.Write(batch, before, after).ok());
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  uint64_t Count(const std::string& owner) {
    store::Batch batch(store_.get());
    absl::StatusOr<uint64_t> n = counts_.Count(batch, kItems, owner);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(999);
  }
  size_t Stored(store::Cf cf) {
    size_t n = 0;
    EXPECT_TRUE(store_
                    ->Scan(cf, "", "",
                           [&](std::string_view, std::string_view) {
                             ++n;
                             return true;
                           })
                    .ok());
    return n;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  const IndexCounts counts_{kCounts, {{kItems, 'w'}}};
};

TEST_F(IndexCountsTest, CountsFollowTheEntriesWrittenAndDeleted) {
  const IndexEntries one = {{{kItems, Item("umwelt", "a")}, "x"}, {{kOther, "t1"}, ""}};
  const IndexEntries two = {{{kItems, Item("umwelt", "a")}, "changed"},
                            {{kItems, Item("umwelt", "b")}, "y"},
                            {{kItems, Item("ordnung", "a")}, "z"}};
  Change({}, one);
  EXPECT_EQ(Count("umwelt"), 1u);
  EXPECT_EQ(Count("ordnung"), 0u);
  Change(one, two);  // a changed value is no new entry; the uncounted family is not counted
  EXPECT_EQ(Count("umwelt"), 2u);
  EXPECT_EQ(Count("ordnung"), 1u);
  EXPECT_EQ(Stored(kOther), 0u);
  Change(two, {});
  EXPECT_EQ(Count("umwelt"), 0u);
  EXPECT_EQ(Stored(kItems), 0u);
  EXPECT_EQ(Stored(kCounts), 0u);  // a count of 0 is not kept
}

TEST_F(IndexCountsTest, SeveralChangesInOneBatchAddUp) {
  store::Batch batch(store_.get());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(counts_.Write(batch, {}, {{{kItems, Item("umwelt", StrCat(i))}, ""}}).ok());
  }
  ASSERT_TRUE(counts_.Write(batch, {{{kItems, Item("umwelt", "0")}, ""}}, {}).ok());
  absl::StatusOr<uint64_t> in_batch = counts_.Count(batch, kItems, "umwelt");
  ASSERT_TRUE(in_batch.ok());
  EXPECT_EQ(*in_batch, 4u);  // read through the batch before it is committed
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(Count("umwelt"), 4u);
  absl::StatusOr<std::map<std::string, std::pair<uint64_t, uint64_t>>> wrong =
      counts_.Verify(*store_);
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->empty());
}

TEST_F(IndexCountsTest, AStoreWithoutCountsIsCountedOnceAndVerifyFindsADifference) {
  {  // entries written by a routing that kept no counts
    store::Batch batch(store_.get());
    for (int i = 0; i < 3; ++i) {
      batch.Put(kItems, Item("umwelt", StrCat(i)), "");
    }
    batch.Put(kItems, Item("bau", "x"), "");
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  absl::StatusOr<std::map<std::string, std::pair<uint64_t, uint64_t>>> wrong =
      counts_.Verify(*store_);
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->size(), 2u);
  EXPECT_EQ(wrong->at("wumwelt"), std::make_pair(uint64_t{0}, uint64_t{3}));
  absl::StatusOr<uint64_t> built = counts_.BuildOnce(*store_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(*built, 4u);
  EXPECT_EQ(Count("umwelt"), 3u);
  EXPECT_EQ(Count("bau"), 1u);
  Open();  // once: a restart does not count again (nor twice)
  Change({}, {{{kItems, Item("umwelt", "new")}, ""}});
  built = counts_.BuildOnce(*store_);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(*built, 0u);
  EXPECT_EQ(Count("umwelt"), 4u);
  wrong = counts_.Verify(*store_);
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->empty());
}

}  // namespace
}  // namespace lotse::routing
