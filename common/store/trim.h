#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/store/store.h"

namespace lotse::store {

// Housekeeping of a store: trimming the outbox from its low end and deleting expired keys of a
// family in bounded steps. Every step is one synced WriteBatch (Store::CommitHousekeeping), so a
// crash leaves each step whole or not at all. Free functions on the service's one thread (the
// Store is not thread-safe); they never touch the newest outbox event, so last_seq() survives a
// restart.

// The seq of the oldest event still in the outbox; 0 if the outbox is empty.
absl::StatusOr<uint64_t> FirstOutboxSeq(const Store& store);

struct TrimStep {
  uint64_t deleted = 0;     // events deleted by this step
  uint64_t first_kept = 0;  // the oldest event now in the outbox (0: empty)
  bool more = false;        // the step stopped at its bound; more may be trimmed now
};

// Deletes the oldest outbox events, in seq order, while seq <= `upto` and `may_trim(seq, value)`
// holds, at most `max_events` of them, in one synced batch. Stops at the first event that may
// not go (so a younger event in the middle keeps everything after it) and never deletes the
// newest event of the outbox. `from`: where the outbox begins, if known (the first_kept of the
// last step): the scan starts there instead of walking the deletions of earlier steps.
absl::StatusOr<TrimStep> TrimOutbox(
    Store& store, uint64_t from, uint64_t upto, size_t max_events,
    const std::function<bool(uint64_t seq, std::string_view value)>& may_trim);

struct ExpiryStep {
  uint64_t examined = 0;   // keys looked at
  uint64_t deleted = 0;    // of which expired and deleted
  bool pass_done = false;  // the scan reached the family's end; the cursor starts over
};

// One bounded step of a pass over family `cf`: looks at up to `max_keys` keys after the cursor
// kept in `meta` under `cursor_key`, deletes those for which `expired(key, value)` holds and
// stores the new cursor, all in one synced batch. The cursor survives restarts, so a pass over a
// large family continues where it stopped.
absl::StatusOr<ExpiryStep> ExpireStep(
    Store& store, Cf cf, std::string_view cursor_key, size_t max_keys,
    const std::function<bool(std::string_view key, std::string_view value)>& expired);

}  // namespace lotse::store
