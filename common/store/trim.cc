#include "common/store/trim.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "common/status_macros.h"

namespace lotse::store {

namespace {

// The first seq in the outbox at or after `from`; 0 if none.
absl::StatusOr<uint64_t> FirstSeqFrom(const Store& store, uint64_t from) {
  uint64_t first = 0;
  LOTSE_RETURN_IF_ERROR(store.ScanRange(kOutbox, from > 0 ? EncodeU64(from) : std::string(), "",
                                        [&](std::string_view key, std::string_view) {
                                          first = key.size() == 8 ? DecodeU64(key) : 0;
                                          return false;
                                        }));
  return first;
}

}  // namespace

absl::StatusOr<uint64_t> FirstOutboxSeq(const Store& store) { return FirstSeqFrom(store, 0); }

absl::StatusOr<TrimStep> TrimOutbox(
    Store& store, uint64_t from, uint64_t upto, size_t max_events,
    const std::function<bool(uint64_t seq, std::string_view value)>& may_trim) {
  TrimStep step;
  // The newest event stays: the store finds last_seq() from it when it is opened again.
  const uint64_t last = store.last_seq();
  upto = std::min(upto, last > 0 ? last - 1 : 0);
  std::vector<uint64_t> doomed;
  bool stopped = false;
  uint64_t first_kept = 0;
  LOTSE_RETURN_IF_ERROR(store.ScanRange(kOutbox, from > 0 ? EncodeU64(from) : std::string(),
                                        EncodeU64(upto + 1),
                                        [&](std::string_view key, std::string_view value) {
                                          const uint64_t seq = DecodeU64(key);
                                          if (doomed.size() >= max_events) {
                                            first_kept = seq;
                                            return false;
                                          }
                                          if (!may_trim(seq, value)) {
                                            first_kept = seq;
                                            stopped = true;
                                            return false;
                                          }
                                          doomed.push_back(seq);
                                          return true;
                                        }));
  if (!doomed.empty()) {
    Batch batch(&store);
    for (uint64_t seq : doomed) {
      batch.Delete(kOutbox, EncodeU64(seq));
    }
    LOTSE_RETURN_IF_ERROR(store.CommitHousekeeping(batch));
  }
  step.deleted = doomed.size();
  step.more = first_kept != 0 && !stopped;
  if (first_kept == 0) {
    LOTSE_ASSIGN_OR_RETURN(first_kept,
                           FirstSeqFrom(store, doomed.empty() ? from : doomed.back() + 1));
  }
  step.first_kept = first_kept;
  return step;
}

absl::StatusOr<ExpiryStep> ExpireStep(
    Store& store, Cf cf, std::string_view cursor_key, size_t max_keys,
    const std::function<bool(std::string_view key, std::string_view value)>& expired) {
  ExpiryStep step;
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> cursor, store.Get(kMeta, cursor_key));
  // The cursor is the last key looked at; the step starts just after it.
  const std::string start = cursor.has_value() ? *cursor + std::string(1, '\0') : std::string();
  std::vector<std::string> doomed;
  std::string last;
  bool full = false;
  LOTSE_RETURN_IF_ERROR(
      store.ScanRange(cf, start, "", [&](std::string_view key, std::string_view value) {
        if (step.examined >= max_keys) {
          full = true;
          return false;
        }
        ++step.examined;
        last = std::string(key);
        if (expired(key, value)) {
          doomed.emplace_back(key);
        }
        return true;
      }));
  step.pass_done = !full;
  Batch batch(&store);
  for (const std::string& key : doomed) {
    batch.Delete(cf, key);
  }
  if (step.pass_done) {
    if (cursor.has_value()) {
      batch.Delete(kMeta, cursor_key);
    }
  } else {
    batch.Put(kMeta, cursor_key, last);
  }
  if (!batch.empty()) {
    LOTSE_RETURN_IF_ERROR(store.CommitHousekeeping(batch));
  }
  step.deleted = doomed.size();
  return step;
}

}  // namespace lotse::store
