#include "common/store/store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <random>
#include <utility>

#include "absl/time/clock.h"
#include "common/format.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"
#include "spdlog/spdlog.h"

namespace lotse::store {
namespace {

constexpr std::string_view kBuiltinFamilies[] = {"outbox", "offsets", "idempotency", "meta",
                                                  "dead_letter"};
// The block cache of one store: data, index and filter blocks of all its families.
constexpr size_t kBlockCacheBytes = 64 << 20;
constexpr std::string_view kMetaSchema = "schema_version";
constexpr std::string_view kMetaEpoch = "epoch";

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) {
    return absl::OkStatus();
  }
  const std::string message = StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) {
    return absl::NotFoundError(message);
  }
  if (s.IsNoSpace()) {
    return absl::ResourceExhaustedError(message);
  }
  if (s.IsCorruption()) {
    return absl::DataLossError(message);
  }
  if (s.IsInvalidArgument()) {
    return absl::InvalidArgumentError(message);
  }
  return absl::UnavailableError(message);
}

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

uint64_t RandomEpoch() {
  std::random_device rd;
  uint64_t epoch = 0;
  while (epoch == 0) {
    epoch = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  return epoch;
}

// The smallest key greater than every key that begins with `prefix`; empty (no bound) when
// there is none (an empty prefix, or one of 0xff bytes only).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) {
    end.pop_back();
  }
  if (!end.empty()) {
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  }
  return end;
}

std::string EncodeOffset(Offset offset) {
  return EncodeU64(offset.seq) + EncodeU64(offset.epoch);
}

}  // namespace

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeU64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return v;
}

bool IsBlobFamily(std::string_view name) {
  constexpr std::string_view kSuffix = "_blobs";
  return name.size() >= kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix;
}

namespace {

// Opens the RocksDB of `options` with every family; `handles` by Cf (the default family's
// handle is closed, not returned).
absl::Status OpenDb(const Options& options, std::unique_ptr<rocksdb::DB>* db_out,
                    std::vector<rocksdb::ColumnFamilyHandle*>* handles_out) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  // All memtables of one store together stay within 64 MiB, however many families it has.
  db_options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(64 << 20);
  // The write-ahead log stays within 64 MiB too: beyond it, the families that hold the oldest
  // log file are flushed, so a family written rarely (meta) does not keep every older log file
  // on disk. RocksDB's default allows four times all write buffers (over 1 GiB here).
  db_options.max_total_wal_size = 64 << 20;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = 16 << 20;
  // Worklist items and SLA timers are deleted as fast as they are added. A file that is mostly
  // deletions is compacted soon, so scans do not walk ever more tombstones as the data grows.
  cf_options.table_properties_collector_factories.emplace_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(/*sliding_window_size=*/256,
                                                    /*deletion_trigger=*/64));
  // Most point reads miss (idempotency keys of new commands): Bloom filters in the memtable
  // and in every file answer those without searching.
  cf_options.memtable_whole_key_filtering = true;
  cf_options.memtable_prefix_bloom_size_ratio = 0.05;
  // One compression on every level (RocksDB's default, Snappy): a file moves to the next level
  // without being rewritten only when both levels compress alike. Families written in key
  // order (the audit chain, every outbox, referrals under their time-ordered ids) then go down
  // the levels by trivial moves; with level 0 uncompressed each of their bytes was written a
  // second time on its way to level 1 (1.98 against 1.02 bytes written per byte put, for a
  // million sequential 700-byte values).
  rocksdb::BlockBasedTableOptions table_options;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Memory stays bounded however large the store grows. By default every open table file keeps
  // its whole index and Bloom filter on the heap: routing's RSS grew from 157 MB at 10^6
  // referrals stored to 378 MB at 10^7 (tests/bench/README.md). Here they are blocks in one
  // cache of fixed size, in partitions, so a lookup loads only the partition it needs; the
  // top-level index and filter of each file and level 0's blocks (read by every lookup) stay
  // pinned.
  table_options.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  table_options.cache_index_and_filter_blocks = true;
  table_options.cache_index_and_filter_blocks_with_high_priority = true;
  table_options.pin_l0_filter_and_index_blocks_in_cache = true;
  table_options.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table_options.partition_filters = true;
  table_options.pin_top_level_index_and_filter = true;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (std::string_view name : kBuiltinFamilies) {
    descriptors.emplace_back(std::string(name), cf_options);
  }
  rocksdb::ColumnFamilyOptions churning_options = cf_options;
  churning_options.write_buffer_size = 1 << 20;
  // Attachments: big values go to blob files, written once and never rewritten by compaction;
  // blobs whose keys are deleted are collected when their files age.
  rocksdb::ColumnFamilyOptions blob_options = cf_options;
  blob_options.enable_blob_files = true;
  blob_options.min_blob_size = 4 << 10;
  blob_options.blob_compression_type = rocksdb::kNoCompression;  // plans and letters: PDF, JPEG
  blob_options.enable_blob_garbage_collection = true;
  for (const std::string& name : options.state_families) {
    const bool churning = std::find(options.churning_families.begin(),
                                    options.churning_families.end(),
                                    name) != options.churning_families.end();
    descriptors.emplace_back(name, IsBlobFamily(name) ? blob_options
                                   : churning         ? churning_options
                                                      : cf_options);
  }
  if (options.open_other_families) {
    std::vector<std::string> existing;
    // A database that does not exist yet has no further families: the error is ignored.
    if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
      for (const std::string& name : existing) {
        const bool known = std::any_of(descriptors.begin(), descriptors.end(),
                                       [&](const auto& d) { return d.name == name; });
        if (!known) {
          descriptors.emplace_back(name, cf_options);
        }
      }
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  LOTSE_RETURN_IF_ERROR(FromRocks(s, StrCat("cannot open the store at ", options.path)));
  // handles[0] is the default family, which we do not use; keep index == Cf.
  rocksdb::ColumnFamilyHandle* default_handle = handles.front();
  handles.erase(handles.begin());
  db->DestroyColumnFamilyHandle(default_handle);
  *db_out = std::move(db);
  *handles_out = std::move(handles);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const Options& options) {
  // RocksDB counts every comparison and block read in a thread-local context unless told
  // not to; nothing here reads those counts. The store is used from the thread that opens it.
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  LOTSE_RETURN_IF_ERROR(OpenDb(options, &db, &handles));
  std::unique_ptr<Store> store(new Store(options, std::move(db), std::move(handles)));
  LOTSE_RETURN_IF_ERROR(store->LoadMeta());
  return store;
}

Store::Store(Options options, std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : options_(std::move(options)), db_(std::move(db)), handles_(std::move(handles)) {}

Store::~Store() { CloseDb(); }

void Store::CloseDb() {
  if (db_ == nullptr) {
    return;
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  handles_.clear();
  const rocksdb::Status s = db_->Close();
  if (!s.ok()) {
    spdlog::error("closing the store at {} failed: {}", options_.path, s.ToString());
  }
  db_.reset();
}

absl::Status Store::Checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  LOTSE_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw),
                                  StrCat("cannot back up the store at ", options_.path)));
  const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(
                       dir, /*log_size_for_flush=*/std::numeric_limits<uint64_t>::max()),
                   StrCat("cannot write the backup of ", options_.path, " to ", dir));
}

absl::Status Store::CompactAway() {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  LOTSE_RETURN_IF_ERROR(
      FromRocks(db_->Flush(flush, handles_), StrCat("flushing the store at ", options_.path)));
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  compact.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
  compact.blob_garbage_collection_age_cutoff = 1.0;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    LOTSE_RETURN_IF_ERROR(FromRocks(db_->CompactRange(compact, handle, nullptr, nullptr),
                                    StrCat("compacting the store at ", options_.path)));
  }
  {
    const std::unique_lock lock(reopen_mutex_);
    CloseDb();
    absl::Status reopened = OpenDb(options_, &db_, &handles_);
    for (int attempt = 1; !reopened.ok() && attempt < 5; ++attempt) {
      absl::SleepFor(absl::Milliseconds(200) * attempt);
      reopened = OpenDb(options_, &db_, &handles_);
    }
    if (!reopened.ok()) {
      // Without its database the service cannot go on; a restart opens it as at any start.
      spdlog::critical(
          "the store at {} cannot be opened again after rewriting its files: {}. "
          "The service stops; start it again (it redoes the rewrite)",
          options_.path, reopened.message());
      std::abort();
    }
  }
  Batch batch(this);
  batch.Delete(kMeta, kCompactionOwedKey);
  LOTSE_RETURN_IF_ERROR(WriteSynced(batch));
  owes_compaction_ = false;
  return absl::OkStatus();
}

absl::Status Store::LoadMeta() {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> schema, Get(kMeta, kMetaSchema));
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> epoch, Get(kMeta, kMetaEpoch));
  if (!schema.has_value()) {
    Batch batch(this);
    epoch_ = RandomEpoch();
    batch.Put(kMeta, kMetaSchema, EncodeU64(options_.schema_version));
    batch.Put(kMeta, kMetaEpoch, EncodeU64(epoch_));
    return WriteSynced(batch);  // a nearly full disk must not keep the service from starting
  }
  if (schema->size() != 8 || DecodeU64(*schema) != options_.schema_version) {
    return absl::FailedPreconditionError(StrCat(
        "the store at ", options_.path, " has schema version ",
        schema->size() == 8 ? DecodeU64(*schema) : 0, " but this build expects ",
        options_.schema_version, ": use a matching build or migrate the data"));
  }
  if (!epoch.has_value() || epoch->size() != 8) {
    return absl::DataLossError(
        StrCat("the store at ", options_.path, " has no epoch: it is damaged"));
  }
  epoch_ = DecodeU64(*epoch);
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> owed, Get(kMeta, kCompactionOwedKey));
  owes_compaction_ = owed.has_value();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kOutbox]));
  it->SeekToLast();
  LOTSE_RETURN_IF_ERROR(FromRocks(it->status(), "reading the outbox"));
  last_seq_ = it->Valid() ? DecodeU64(it->key().ToStringView()) : 0;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Store::Get(Cf cf, std::string_view key) const {
  std::string value;
  const rocksdb::Status s = db_->Get({}, handles_[cf], ToSlice(key), &value);
  if (s.IsNotFound()) {
    return std::nullopt;
  }
  LOTSE_RETURN_IF_ERROR(FromRocks(s, "reading the store"));
  return value;
}

absl::Status Store::Scan(Cf cf, std::string_view prefix, std::string_view start,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const {
  return ScanRange(cf, std::max(start, prefix), PrefixEnd(prefix), fn);
}

absl::Status Store::ScanRange(
    Cf cf, std::string_view start, std::string_view end,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  // The bound lets RocksDB stop at `end` instead of walking deleted keys past it to find the
  // next live one.
  const rocksdb::Slice upper = ToSlice(end);
  rocksdb::ReadOptions read_options;
  if (!end.empty()) {
    read_options.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[cf]));
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) {
      break;
    }
  }
  return FromRocks(it->status(), "scanning the store");
}

absl::Status Store::ReadOutbox(uint64_t after_seq, size_t max_events, size_t max_bytes,
                               std::vector<std::string>* out) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, handles_[kOutbox]));
  size_t bytes = 0;
  size_t events = 0;
  const std::string start = EncodeU64(after_seq + 1);
  for (it->Seek(start); it->Valid() && events < max_events; it->Next()) {
    const rocksdb::Slice value = it->value();
    if (events > 0 && bytes + value.size() > max_bytes) {
      break;
    }
    out->emplace_back(value.data(), value.size());
    bytes += value.size();
    ++events;
  }
  return FromRocks(it->status(), "reading the outbox");
}

absl::StatusOr<std::optional<Offset>> Store::GetOffset(std::string_view stream) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value, Get(kOffsets, stream));
  if (!value.has_value()) {
    return std::nullopt;
  }
  if (value->size() != 16) {
    return absl::DataLossError(StrCat("the stored offset of stream '", stream,
                                            "' is damaged (", value->size(), " bytes)"));
  }
  return Offset{DecodeU64(*value), DecodeU64(std::string_view(*value).substr(8))};
}

absl::Status Store::Commit(Batch& batch) {
  if (options_.min_free_bytes > 0) {
    LOTSE_ASSIGN_OR_RETURN(uint64_t free_bytes, FreeDiskBytes());
    if (free_bytes < options_.min_free_bytes) {
      return absl::ResourceExhaustedError(StrCat(
          "the disk of ", options_.path, " is nearly full (", free_bytes / (1 << 20),
          " MiB free, ", options_.min_free_bytes / (1 << 20),
          " MiB required): new work is refused until space is freed"));
    }
  }
  return WriteSynced(batch);
}

absl::Status Store::WriteSynced(Batch& batch) {
  // The WriteBatch is built here, in key order per family (the overlay is sorted) and with each
  // key once (its last value): RocksDB inserts sorted keys into the memtable far cheaper than
  // scattered ones, and a key changed several times in one commit is written once.
  rocksdb::WriteBatch write;
  for (const auto& [key, value] : batch.overlay_) {
    if (value.has_value()) {
      write.Put(handles_[key.first], ToSlice(key.second), ToSlice(*value));
    } else {
      write.Delete(handles_[key.first], ToSlice(key.second));
    }
  }
  uint64_t seq = last_seq_;
  for (const std::string& event : batch.appended_) {
    write.Put(handles_[kOutbox], EncodeU64(++seq), ToSlice(event));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  LOTSE_RETURN_IF_ERROR(FromRocks(db_->Write(write_options, &write),
                                  StrCat("writing to the store at ", options_.path)));
  last_seq_ += batch.events_;
  if (auto it = batch.overlay_.find(std::make_pair(kMeta, kCompactionOwedKey));
      it != batch.overlay_.end() && it->second.has_value()) {
    owes_compaction_ = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Store::FreeDiskBytes() const {
  struct statvfs st {};
  if (statvfs(options_.path.c_str(), &st) != 0) {
    return absl::UnavailableError(StrCat("cannot read free space of ", options_.path));
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

std::vector<std::string> Store::FamilyNames() const {
  // The open handles, in Cf order: with open_other_families also the families found on disk.
  const std::shared_lock lock(reopen_mutex_);
  std::vector<std::string> names;
  names.reserve(handles_.size());
  for (const rocksdb::ColumnFamilyHandle* handle : handles_) {
    names.push_back(handle->GetName());
  }
  return names;
}

uint64_t Store::IntProperty(Cf cf, const std::string& property) const {
  const std::shared_lock lock(reopen_mutex_);
  uint64_t value = 0;
  if (cf < 0 || static_cast<size_t>(cf) >= handles_.size() ||
      !db_->GetIntProperty(handles_[cf], property, &value)) {
    return 0;
  }
  return value;
}

Batch::Batch(Store* store) : store_(store) {}
Batch::~Batch() = default;

absl::StatusOr<std::optional<std::string>> Batch::Get(Cf cf, std::string_view key) const {
  if (auto it = overlay_.find(std::make_pair(cf, key)); it != overlay_.end()) {
    return it->second;
  }
  return store_->Get(cf, key);
}

void Batch::Put(Cf cf, std::string_view key, std::string_view value) {
  if (auto it = overlay_.find(std::make_pair(cf, key)); it != overlay_.end()) {
    it->second = std::string(value);
  } else {
    overlay_.emplace(std::make_pair(cf, std::string(key)), std::string(value));
  }
  ++writes_;
}

void Batch::Delete(Cf cf, std::string_view key) {
  if (auto it = overlay_.find(std::make_pair(cf, key)); it != overlay_.end()) {
    it->second = std::nullopt;
  } else {
    overlay_.emplace(std::make_pair(cf, std::string(key)), std::nullopt);
  }
  ++writes_;
}

void Batch::AppendEvent(std::string_view serialized, int kind) {
  appended_.emplace_back(serialized);
  appended_kinds_.push_back(kind);
  ++events_;
  ++writes_;
}

void Batch::Absorb(const Batch& staged) {
  for (const auto& [key, value] : staged.overlay_) {
    overlay_[key] = value;
    ++writes_;
  }
}

void Batch::SetOffset(std::string_view stream, Offset offset) {
  Put(kOffsets, stream, EncodeOffset(offset));
}

}  // namespace lotse::store
