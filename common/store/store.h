#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace lotse::store {

// A column family, by index. The first five exist in every store; a service's own state
// families follow in the order it passes them to Open().
using Cf = int;
inline constexpr Cf kOutbox = 0;       // seq (8 bytes big-endian) -> serialized event
inline constexpr Cf kOffsets = 1;      // producer stream -> Offset (16 bytes)
inline constexpr Cf kIdempotency = 2;  // command key -> stored reply
inline constexpr Cf kMeta = 3;         // schema version, epoch, counters
inline constexpr Cf kDeadLetter = 4;   // stream + seq -> event that could not be applied
inline constexpr Cf kFirstStateFamily = 5;

// In meta: present while a commit erased personal data whose old bytes may still lie in the
// store's files (memtables, WAL, tables, blob files, MANIFEST). Store::CompactAway removes it.
inline constexpr std::string_view kCompactionOwedKey = "erasure_compaction_owed";

// Where a consumer stands in one producer's log.
struct Offset {
  uint64_t seq = 0;
  uint64_t epoch = 0;
};

struct Options {
  std::string path;
  std::vector<std::string> state_families;  // e.g. {"state_referrals", "state_worklist"}
  uint32_t schema_version = 1;
  uint64_t min_free_bytes = 0;  // Commit() refuses work below this much free disk
  // State families whose keys are deleted soon after they are written (worklist items, SLA
  // timers). They get a small memtable, so a scan walks few deleted keys before they are
  // flushed and compacted away.
  std::vector<std::string> churning_families;
  // Also open every further family the database has, after `state_families` (for tools that
  // read another service's store, such as lotse-load's checker: RocksDB refuses to open a
  // database without all of its families, and a service may have added one).
  bool open_other_families = false;
  // State families whose name ends in "_blobs" (e.g. intake's "state_blobs") hold large values
  // (attachments): RocksDB keeps values of 4 KiB and more in blob files beside the tables, so
  // compaction does not rewrite them again and again (IsBlobFamily).
};

// Whether the state family `name` keeps its values in RocksDB blob files (its name ends in
// "_blobs"): a naming convention, so every caller of OpenStore can ask for one without a new
// parameter.
bool IsBlobFamily(std::string_view name);

// Big-endian fixed-width encoding, so byte order is numeric order.
std::string EncodeU64(uint64_t v);
uint64_t DecodeU64(std::string_view bytes);  // bytes.size() >= 8

class Batch;

// One service's RocksDB: column families per key space, the outbox of produced events and the
// consumer offsets. Every change goes through one synced WriteBatch (Commit). Owned by the
// service; used from the service's one thread (not thread-safe: last_seq_ is unsynchronised).
class Store {
 public:
  // Opens or creates the database at options.path, creating missing column families. A new
  // database gets a random epoch; an existing one must have the same schema version.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const Options& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  uint64_t epoch() const { return epoch_; }
  // The seq of the last committed event in the outbox (0 if none yet).
  uint64_t last_seq() const { return last_seq_; }
  const std::string& path() const { return options_.path; }

  // Returns the committed value, or nullopt if absent.
  absl::StatusOr<std::optional<std::string>> Get(Cf cf, std::string_view key) const;
  // Calls fn(key, value) for keys >= start in order while they begin with `prefix` and fn
  // returns true.
  absl::Status Scan(Cf cf, std::string_view prefix, std::string_view start,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Calls fn(key, value) for keys in [start, end) in order while fn returns true; an empty
  // `end` means no bound.
  absl::Status ScanRange(Cf cf, std::string_view start, std::string_view end,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const;
  // Appends the serialized events with seq in (after_seq, ...] to `out`: at most max_events,
  // and at most max_bytes (but always at least one event if any).
  absl::Status ReadOutbox(uint64_t after_seq, size_t max_events, size_t max_bytes,
                          std::vector<std::string>* out) const;
  absl::StatusOr<std::optional<Offset>> GetOffset(std::string_view stream) const;

  // Writes the batch atomically with sync=true. On success the batch's events are readable
  // through ReadOutbox and last_seq() has advanced; on failure nothing of it is stored.
  // Refuses with ResourceExhausted while free disk space is below options.min_free_bytes.
  absl::Status Commit(Batch& batch);
  // Commit() for housekeeping that frees space (trim.h: expired keys and the cursor of the
  // scan that found them): written synced like any commit, but also on a nearly full disk.
  absl::Status CommitHousekeeping(Batch& batch) { return WriteSynced(batch); }

  // Free bytes on the store's file system.
  absl::StatusOr<uint64_t> FreeDiskBytes() const;
  uint64_t min_free_bytes() const { return options_.min_free_bytes; }

  // The column families' names, by Cf index. Thread-safe, like IntProperty.
  std::vector<std::string> FamilyNames() const;
  // A RocksDB integer property of one family (e.g. "rocksdb.estimate-live-data-size"), 0 if
  // RocksDB does not know it. Thread-safe (unlike the rest of Store): for metrics scrapes.
  uint64_t IntProperty(Cf cf, const std::string& property) const;

  // Writes a consistent copy of the committed store to `dir` (which must not exist; on the same
  // file system its table and blob files are hard links): a RocksDB checkpoint, with the live
  // WAL copied instead of flushed, so it takes milliseconds.
  absl::Status Checkpoint(const std::string& dir) const;

  // Whether a committed erasure still waits for CompactAway (kCompactionOwedKey in meta).
  bool owes_compaction() const { return owes_compaction_; }
  // Makes erased bytes unrecoverable from the store's directory: flushes every family (the WAL
  // that held them is deleted), rewrites every table and blob file (a forced full compaction
  // with blob garbage collection), then reopens the database, which writes a new MANIFEST
  // (the old one may name erased keys as file bounds) and deletes the old one. Then removes
  // kCompactionOwedKey (synced). Blocks the calling (service) thread while it runs.
  absl::Status CompactAway();

 private:
  friend class Batch;
  Store(Options options, std::unique_ptr<rocksdb::DB> db,
        std::vector<rocksdb::ColumnFamilyHandle*> handles);
  absl::Status LoadMeta();
  absl::Status WriteSynced(Batch& batch);
  void CloseDb();

  Options options_;
  // Swapped only by CompactAway on the service thread; IntProperty (other threads) reads them
  // under the shared lock.
  mutable std::shared_mutex reopen_mutex_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  bool owes_compaction_ = false;
  uint64_t epoch_ = 0;
  uint64_t last_seq_ = 0;
};

// The changes of one commit: state, new outbox events, consumer offsets and idempotency
// records. Reads through a Batch see its own pending writes first. Not thread-safe.
class Batch {
 public:
  explicit Batch(Store* store);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, std::string_view key) const;
  void Put(Cf cf, std::string_view key, std::string_view value);
  void Delete(Cf cf, std::string_view key);

  // The seq the next appended event gets.
  uint64_t NextSeq() const { return store_->last_seq() + events_ + 1; }
  // Appends an event whose seq is NextSeq(); the caller serialized it with that seq. `kind` is
  // the caller's label for it (the Runner passes the payload case), kept beside it unwritten.
  void AppendEvent(std::string_view serialized, int kind = 0);
  void SetOffset(std::string_view stream, Offset offset);
  // Takes over every pending put and delete of `staged` (a batch on the same store that
  // appended no events), after its own: changes prepared in `staged` that must land all
  // together or not at all.
  void Absorb(const Batch& staged);

  size_t events() const { return events_; }
  // The serialized events appended so far, in seq order.
  const std::vector<std::string>& appended() const { return appended_; }
  // Their kinds, index for index.
  const std::vector<int>& appended_kinds() const { return appended_kinds_; }
  bool empty() const { return writes_ == 0; }

 private:
  friend class Store;
  // Orders (family, key) pairs, and finds them by (family, string_view) without a copy.
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.first != b.first ? a.first < b.first
                                : std::string_view(a.second) < std::string_view(b.second);
    }
  };
  Store* store_;
  // Every pending change (nullopt: delete), written in key order at commit.
  std::map<std::pair<Cf, std::string>, std::optional<std::string>, KeyLess> overlay_;
  std::vector<std::string> appended_;
  std::vector<int> appended_kinds_;
  size_t events_ = 0;
  size_t writes_ = 0;
};

}  // namespace lotse::store
