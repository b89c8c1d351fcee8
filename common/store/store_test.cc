#include "common/store/store.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/time/clock.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "rocksdb/perf_context.h"
#include "rocksdb/perf_level.h"

namespace lotse::store {
namespace {

constexpr Cf kState = kFirstStateFamily;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/store_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> Open(uint64_t min_free_bytes = 0, uint32_t schema = 1) {
    Options options;
    options.path = dir_;
    options.state_families = {"state_test"};
    options.min_free_bytes = min_free_bytes;
    options.schema_version = schema;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string dir_;
};

TEST_F(StoreTest, KeepsItsEpochAcrossReopen) {
  uint64_t epoch = 0;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    epoch = store->epoch();
    EXPECT_NE(epoch, 0u);
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->epoch(), epoch);
}

TEST_F(StoreTest, RefusesAnotherSchemaVersion) {
  { ASSERT_NE(Open(), nullptr); }
  Options options;
  options.path = dir_;
  options.state_families = {"state_test"};
  options.schema_version = 2;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, CommitWritesStateEventsAndOffsetTogether) {
  {
    auto store = Open();
    Batch batch(store.get());
    batch.Put(kState, "referral/1", "routed");
    EXPECT_EQ(batch.NextSeq(), 1u);
    batch.AppendEvent("event-1");
    EXPECT_EQ(batch.NextSeq(), 2u);
    batch.AppendEvent("event-2");
    batch.SetOffset("intake", Offset{41, 7});
    ASSERT_TRUE(store->Commit(batch).ok());
    EXPECT_EQ(store->last_seq(), 2u);
  }
  auto store = Open();
  EXPECT_EQ(store->last_seq(), 2u);
  EXPECT_EQ(*store->Get(kState, "referral/1").value(), "routed");
  std::vector<std::string> events;
  ASSERT_TRUE(store->ReadOutbox(0, 10, 1 << 20, &events).ok());
  EXPECT_EQ(events, (std::vector<std::string>{"event-1", "event-2"}));
  std::optional<Offset> offset = store->GetOffset("intake").value();
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(offset->seq, 41u);
  EXPECT_EQ(offset->epoch, 7u);
}

TEST_F(StoreTest, UncommittedBatchLeavesNothing) {
  auto store = Open();
  {
    Batch batch(store.get());
    batch.Put(kState, "k", "v");
    batch.AppendEvent("e");
  }
  EXPECT_FALSE(store->Get(kState, "k").value().has_value());
  EXPECT_EQ(store->last_seq(), 0u);
}

TEST_F(StoreTest, RefusesWorkWhenTheDiskIsNearlyFullAndStoresNothing) {
  auto store = Open(/*min_free_bytes=*/uint64_t{1} << 62);
  ASSERT_NE(store, nullptr);
  Batch batch(store.get());
  batch.Put(kState, "k", "v");
  batch.AppendEvent("e");
  absl::Status s = store->Commit(batch);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("nearly full"), absl::string_view::npos);
  EXPECT_FALSE(store->Get(kState, "k").value().has_value());
  EXPECT_EQ(store->last_seq(), 0u);
}

TEST_F(StoreTest, BatchReadsItsOwnWritesFirst) {
  auto store = Open();
  {
    Batch batch(store.get());
    batch.Put(kState, "a", "1");
    batch.Put(kState, "b", "2");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  Batch batch(store.get());
  batch.Put(kState, "a", "changed");
  batch.Delete(kState, "b");
  EXPECT_EQ(*batch.Get(kState, "a").value(), "changed");
  EXPECT_FALSE(batch.Get(kState, "b").value().has_value());
  EXPECT_EQ(*store->Get(kState, "b").value(), "2");  // committed state is untouched
}

std::vector<std::string> ScanKeys(const Store& store, std::string_view prefix,
                                  std::string_view start = "") {
  std::vector<std::string> keys;
  EXPECT_TRUE(store
                  .Scan(kState, prefix, start,
                        [&](std::string_view key, std::string_view) {
                          keys.emplace_back(key);
                          return true;
                        })
                  .ok());
  return keys;
}

std::vector<std::string> RangeKeys(const Store& store, std::string_view start,
                                   std::string_view end) {
  std::vector<std::string> keys;
  EXPECT_TRUE(store
                  .ScanRange(kState, start, end,
                             [&](std::string_view key, std::string_view) {
                               keys.emplace_back(key);
                               return true;
                             })
                  .ok());
  return keys;
}

TEST_F(StoreTest, ScanStaysWithinItsPrefix) {
  auto store = Open();
  Batch batch(store.get());
  for (const std::string& key : std::vector<std::string>{"a", "a\x01", "a\xff", "a\xff\xff", "ab", "b", std::string(1, '\xff'),
                          std::string(2, '\xff')}) {
    batch.Put(kState, key, "v");
  }
  ASSERT_TRUE(store->Commit(batch).ok());
  // Bytewise order: "ab" sorts before "a\xff".
  EXPECT_EQ(ScanKeys(*store, "a"),
            (std::vector<std::string>{"a", "a\x01", "ab", "a\xff", "a\xff\xff"}));
  EXPECT_EQ(ScanKeys(*store, "a\xff"), (std::vector<std::string>{"a\xff", "a\xff\xff"}));
  EXPECT_EQ(ScanKeys(*store, "a", "ab"), (std::vector<std::string>{"ab", "a\xff", "a\xff\xff"}));
  EXPECT_EQ(ScanKeys(*store, "ab", "a"), (std::vector<std::string>{"ab"}));  // start before prefix
  EXPECT_EQ(ScanKeys(*store, std::string(1, '\xff')),
            (std::vector<std::string>{std::string(1, '\xff'), std::string(2, '\xff')}));
  EXPECT_EQ(ScanKeys(*store, "").size(), 8u);
  EXPECT_EQ(RangeKeys(*store, "a\x01", "a\xff\xff"),
            (std::vector<std::string>{"a\x01", "ab", "a\xff"}));
}

// Deleted keys right after a prefix (answered referrals' worklist items, their future timers)
// must not be walked by every scan of that prefix.
TEST_F(StoreTest, ScanDoesNotWalkDeletedKeysPastItsEnd) {
  auto store = Open();
  {
    Batch batch(store.get());
    batch.Put(kState, "a1", "v");
    for (int i = 0; i < 20000; ++i) {
      batch.Put(kState, StrCat("b", store::EncodeU64(i)), "v");
    }
    batch.Put(kState, "c1", "v");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  {
    Batch batch(store.get());
    for (int i = 0; i < 20000; ++i) {
      batch.Delete(kState, StrCat("b", store::EncodeU64(i)));
    }
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  EXPECT_EQ(ScanKeys(*store, "a"), (std::vector<std::string>{"a1"}));
  const uint64_t prefix_skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::get_perf_context()->Reset();
  const std::vector<std::string> ranged = RangeKeys(*store, "", "b");
  const uint64_t range_skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_EQ(ranged, (std::vector<std::string>{"a1"}));
  EXPECT_LT(prefix_skipped, 100u);
  EXPECT_LT(range_skipped, 100u);
  EXPECT_EQ(ScanKeys(*store, "").size(), 2u);  // and the deletions are real
}

TEST_F(StoreTest, ReadOutboxHonoursItsBounds) {
  auto store = Open();
  Batch batch(store.get());
  for (int i = 1; i <= 5; ++i) {
    batch.AppendEvent(std::string(100, static_cast<char>('0' + i)));
  }
  ASSERT_TRUE(store->Commit(batch).ok());
  std::vector<std::string> events;
  ASSERT_TRUE(store->ReadOutbox(2, 2, 1 << 20, &events).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0][0], '3');
  events.clear();
  ASSERT_TRUE(store->ReadOutbox(0, 10, 250, &events).ok());
  EXPECT_EQ(events.size(), 2u);  // 100 + 100 fits 250, a third would not
  events.clear();
  ASSERT_TRUE(store->ReadOutbox(0, 10, 1, &events).ok());
  EXPECT_EQ(events.size(), 1u);  // always at least one
}

// A child commits numbered batches as fast as it can and is killed with SIGKILL at a random
// moment. Every batch must be all there or not at all: state i, event i and offset i agree.
TEST_F(StoreTest, KillDuringCommitsLeavesWholeBatchesOnly) {
  for (int round = 0; round < 3; ++round) {
    int committed_pipe[2];
    ASSERT_EQ(pipe(committed_pipe), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(committed_pipe[0]);
      Options options;
      options.path = dir_;
      options.state_families = {"state_test"};
      auto store = Store::Open(options);
      if (!store.ok()) {
        _exit(3);
      }
      for (uint64_t i = (*store)->last_seq() + 1;; ++i) {
        Batch batch(store->get());
        batch.Put(kState, EncodeU64(i), std::to_string(i));
        batch.AppendEvent(std::to_string(i));
        batch.SetOffset("producer", Offset{i, 1});
        if (!(*store)->Commit(batch).ok()) {
          _exit(4);
        }
        if (committed_pipe[1] >= 0) {  // the first commit is in: the parent may aim now
          (void)!write(committed_pipe[1], "c", 1);
          close(committed_pipe[1]);
          committed_pipe[1] = -1;
        }
      }
    }
    close(committed_pipe[1]);
    // Wait for the child's first commit (a slow, shared disk may take a while to open the
    // store), then kill it at a moment of its commit loop.
    pollfd ready{committed_pipe[0], POLLIN, 0};
    ASSERT_EQ(poll(&ready, 1, 30000), 1) << "the child made no commit within 30 s";
    close(committed_pipe[0]);
    absl::SleepFor(absl::Milliseconds(100 + 97 * round));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);

    auto store = Open();
    ASSERT_NE(store, nullptr);
    const uint64_t last = store->last_seq();
    ASSERT_GT(last, 0u);
    std::optional<Offset> offset = store->GetOffset("producer").value();
    ASSERT_TRUE(offset.has_value());
    EXPECT_EQ(offset->seq, last);
    EXPECT_TRUE(store->Get(kState, EncodeU64(last)).value().has_value());
    EXPECT_FALSE(store->Get(kState, EncodeU64(last + 1)).value().has_value());
    std::vector<std::string> events;
    ASSERT_TRUE(store->ReadOutbox(last - 1, 10, 1 << 20, &events).ok());
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0], std::to_string(last));
  }
}

TEST(BlobFamilyTest, OnlyFamiliesNamedBlobsKeepBlobFiles) {
  EXPECT_TRUE(IsBlobFamily("state_blobs"));
  EXPECT_TRUE(IsBlobFamily("state_attachment_blobs"));
  EXPECT_FALSE(IsBlobFamily("state_referrals"));
  EXPECT_FALSE(IsBlobFamily("state_blobs_index"));
  EXPECT_FALSE(IsBlobFamily("_blob"));
}

TEST_F(StoreTest, BlobFamilyKeepsLargeValuesAcrossReopen) {
  const std::string big(3 << 20, 'x');
  {
    Options options;
    options.path = dir_;
    options.state_families = {"state_test", "state_blobs"};
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    Batch batch(store->get());
    batch.Put(kState + 1, "k", big);
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }
  Options options;
  options.path = dir_;
  options.state_families = {"state_test", "state_blobs"};
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::optional<std::string>> value = (*store)->Get(kState + 1, "k");
  ASSERT_TRUE(value.ok()) << value.status();
  ASSERT_TRUE(value->has_value());
  EXPECT_EQ(**value, big);
}

// Whether any file under `dir` holds `needle`.
bool DirectoryHolds(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (content.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_F(StoreTest, CompactAwayLeavesNoByteOfWhatWasOverwrittenOrDeleted) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  {
    Batch batch(store.get());
    batch.Put(kState, "a", "secret-overwritten");
    batch.Put(kState, "b", "secret-deleted");
    batch.Put(kState, "c", "kept");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  {
    Batch batch(store.get());
    batch.Put(kState, "a", "cleared");
    batch.Delete(kState, "b");
    batch.Put(kMeta, kCompactionOwedKey, "");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  ASSERT_TRUE(DirectoryHolds(dir_, "secret-overwritten"));  // the WAL still has it
  EXPECT_TRUE(store->owes_compaction());
  ASSERT_TRUE(store->CompactAway().ok());
  EXPECT_FALSE(store->owes_compaction());
  EXPECT_FALSE(DirectoryHolds(dir_, "secret-overwritten"));
  EXPECT_FALSE(DirectoryHolds(dir_, "secret-deleted"));
  EXPECT_EQ(store->Get(kState, "a")->value_or(""), "cleared");
  EXPECT_EQ(store->Get(kState, "c")->value_or(""), "kept");
  // The store works on after reopening its database, and nothing is owed after a restart.
  Batch batch(store.get());
  batch.Put(kState, "d", "later");
  ASSERT_TRUE(store->Commit(batch).ok());
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->owes_compaction());
  EXPECT_EQ(store->Get(kState, "d")->value_or(""), "later");
}

TEST_F(StoreTest, ACheckpointIsAStoreOfItsOwnWithTheCommittedState) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Batch batch(store.get());
  batch.Put(kState, "k", "v");
  batch.AppendEvent("e1");
  batch.SetOffset("routing", Offset{7, 9});
  ASSERT_TRUE(store->Commit(batch).ok());
  const std::string copy = dir_ + "-copy";
  std::filesystem::remove_all(copy);
  ASSERT_TRUE(store->Checkpoint(copy).ok());
  EXPECT_FALSE(store->Checkpoint(copy).ok());  // never into an existing directory
  Options options;
  options.path = copy;
  options.state_families = {"state_test"};
  auto restored = Store::Open(options);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ((*restored)->epoch(), store->epoch());
  EXPECT_EQ((*restored)->last_seq(), 1u);
  EXPECT_EQ((*restored)->Get(kState, "k")->value_or(""), "v");
  EXPECT_EQ((*restored)->GetOffset("routing")->value_or(Offset{}).seq, 7u);
  restored->reset();
  std::filesystem::remove_all(copy);
}

}  // namespace
}  // namespace lotse::store
