#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/store/store.h"

namespace lotse::routing {

// Index entries (worklist items, SLA timers, contacts) that follow from a referral's state:
// (column family, key) -> value. Derived, never edited by hand: a referral's old and new
// entries are compared and only the difference is written (IndexCounts::Write).
using IndexEntries = std::map<std::pair<store::Cf, std::string>, std::string>;

// How many entries each owner has in the counted index families: the items on a worklist (its
// assignee's), the open referrals of a contact person. Kept in the family `counts` in the same
// batch as the entries they count, so a worklist's total and a contact person's load cost one
// read however long the list is (a scan over them made routing one referral cost as much as its
// department's backlog). An owner is the part of a key before its first '\0'; a count's key is
// the family's tag byte and the owner.
class IndexCounts {
 public:
  // `counted`: the families counted, each with its tag byte in `counts`.
  IndexCounts(store::Cf counts, std::map<store::Cf, char> counted)
      : counts_(counts), counted_(std::move(counted)) {}

  // Writes into `batch` what turns `before` into `after` (deletes, and puts of new or changed
  // values), and the counts that change with it. The counts are read first: if a read fails,
  // nothing is written.
  absl::Status Write(store::Batch& batch, const IndexEntries& before,
                     const IndexEntries& after) const;
  // The entries `owner` has in `cf` as `batch` leaves them (0 for none).
  absl::StatusOr<uint64_t> Count(const store::Batch& batch, store::Cf cf,
                                 std::string_view owner) const;
  // The same as committed: beside a scan of the committed entries.
  absl::StatusOr<uint64_t> Count(const store::Store& store, store::Cf cf,
                                 std::string_view owner) const;
  // A store written before the counts existed gets them once: every counted family is scanned,
  // its counts written with a mark in meta. Returns how many entries were counted (0 if the
  // mark was there).
  absl::StatusOr<uint64_t> BuildOnce(store::Store& store) const;
  // Counts every counted family's entries anew and compares them with the stored counts: the
  // owners whose count differs, with (stored, entries). For the fault harness's checker.
  absl::StatusOr<std::map<std::string, std::pair<uint64_t, uint64_t>>> Verify(
      const store::Store& store) const;

 private:
  std::string Key(store::Cf cf, std::string_view owner) const;
  // Every counted family's entries per count key, as the store holds them.
  absl::StatusOr<std::map<std::string, uint64_t, std::less<>>> Tally(
      const store::Store& store) const;

  store::Cf counts_;
  std::map<store::Cf, char> counted_;
};

}  // namespace lotse::routing
