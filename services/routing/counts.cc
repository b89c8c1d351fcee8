#include "services/routing/counts.h"

#include <optional>

#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::routing {
namespace {

// In meta: present once the counts were built from the entries (BuildOnce).
constexpr std::string_view kCountsBuiltKey = "index_counts_built";

std::string_view OwnerOf(std::string_view key) { return key.substr(0, key.find('\0')); }

}  // namespace

std::string IndexCounts::Key(store::Cf cf, std::string_view owner) const {
  return StrCat(std::string(1, counted_.at(cf)), owner);
}

absl::Status IndexCounts::Write(store::Batch& batch, const IndexEntries& before,
                                const IndexEntries& after) const {
  std::map<std::string, int64_t> change;  // count key -> entries added minus removed
  for (const auto& [key, value] : before) {
    if (counted_.contains(key.first) && !after.contains(key)) {
      --change[Key(key.first, OwnerOf(key.second))];
    }
  }
  for (const auto& [key, value] : after) {
    if (counted_.contains(key.first) && !before.contains(key)) {
      ++change[Key(key.first, OwnerOf(key.second))];
    }
  }
  std::map<std::string, uint64_t> counts;
  for (const auto& [key, delta] : change) {
    if (delta == 0) {
      continue;
    }
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(counts_, key));
    const uint64_t now = stored.has_value() && stored->size() == 8 ? store::DecodeU64(*stored) : 0;
    // A count never goes below 0: a store damaged by hand must not make it wrap.
    counts[key] = delta < 0 && static_cast<uint64_t>(-delta) > now
                      ? 0
                      : static_cast<uint64_t>(static_cast<int64_t>(now) + delta);
  }
  for (const auto& [key, value] : before) {
    if (!after.contains(key)) {
      batch.Delete(key.first, key.second);
    }
  }
  for (const auto& [key, value] : after) {
    auto old = before.find(key);
    if (old == before.end() || old->second != value) {
      batch.Put(key.first, key.second, value);
    }
  }
  for (const auto& [key, count] : counts) {
    if (count == 0) {
      batch.Delete(counts_, key);
    } else {
      batch.Put(counts_, key, store::EncodeU64(count));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> IndexCounts::Count(const store::Batch& batch, store::Cf cf,
                                            std::string_view owner) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(counts_, Key(cf, owner)));
  return stored.has_value() && stored->size() == 8 ? store::DecodeU64(*stored) : 0;
}

absl::StatusOr<uint64_t> IndexCounts::Count(const store::Store& store, store::Cf cf,
                                            std::string_view owner) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, store.Get(counts_, Key(cf, owner)));
  return stored.has_value() && stored->size() == 8 ? store::DecodeU64(*stored) : 0;
}

absl::StatusOr<std::map<std::string, uint64_t, std::less<>>> IndexCounts::Tally(
    const store::Store& store) const {
  std::map<std::string, uint64_t, std::less<>> tally;
  for (const auto& family : counted_) {
    const store::Cf cf = family.first;  // a lambda may not capture a structured binding (clang 14)
    LOTSE_RETURN_IF_ERROR(store.Scan(cf, "", "", [&](std::string_view key, std::string_view) {
      ++tally[Key(cf, OwnerOf(key))];
      return true;
    }));
  }
  return tally;
}

absl::StatusOr<uint64_t> IndexCounts::BuildOnce(store::Store& store) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> built,
                         store.Get(store::kMeta, kCountsBuiltKey));
  if (built.has_value()) {
    return 0;
  }
  LOTSE_ASSIGN_OR_RETURN(const auto tally, Tally(store));
  store::Batch batch(&store);
  uint64_t entries = 0;
  for (const auto& [key, count] : tally) {
    batch.Put(counts_, key, store::EncodeU64(count));
    entries += count;
  }
  batch.Put(store::kMeta, kCountsBuiltKey, "1");
  LOTSE_RETURN_IF_ERROR(store.Commit(batch));
  return entries;
}

absl::StatusOr<std::map<std::string, std::pair<uint64_t, uint64_t>>> IndexCounts::Verify(
    const store::Store& store) const {
  LOTSE_ASSIGN_OR_RETURN(auto tally, Tally(store));
  std::map<std::string, std::pair<uint64_t, uint64_t>> wrong;
  LOTSE_RETURN_IF_ERROR(store.Scan(counts_, "", "", [&](std::string_view key, std::string_view v) {
    const uint64_t stored = v.size() == 8 ? store::DecodeU64(v) : 0;
    auto it = tally.find(key);
    const uint64_t entries = it == tally.end() ? 0 : it->second;
    if (stored != entries) {
      wrong[std::string(key)] = {stored, entries};
    }
    if (it != tally.end()) {
      tally.erase(it);
    }
    return true;
  }));
  for (const auto& [key, entries] : tally) {
    wrong[key] = {0, entries};  // entries without a count
  }
  return wrong;
}

}  // namespace lotse::routing
