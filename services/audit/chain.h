#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/events.pb.h"

namespace lotse::audit {

inline constexpr size_t kHashBytes = 32;

// SHA-256 over prev_hash (32 bytes) | index (8 bytes big-endian) | stream length (4 bytes
// big-endian) | stream | seq (8 bytes big-endian) | event bytes. For an entry of form 2 the
// "event bytes" are its flow_event followed by its digest (proto/lotse/v1/audit.proto).
std::string EntryHash(std::string_view prev_hash, uint64_t index, std::string_view stream,
                      uint64_t seq, std::string_view event);

// The hash-chained audit log in a store: every consumed event once, each entry holding its
// predecessor's hash, indexed by referral and case number. Holds only column-family numbers;
// writes go through the caller's batch. Thread-compatible.
class Chain {
 public:
  static constexpr store::Cf kEntries = store::kFirstStateFamily;         // index -> AuditEntry
  static constexpr store::Cf kByReferral = store::kFirstStateFamily + 1;  // id \0 index -> ""
  static constexpr store::Cf kCaseNumbers = store::kFirstStateFamily + 2; // case number -> id
  static std::vector<std::string> Families();

  // Appends `raw` (the serialized `event` as logged by `event.stream()`) after the chain head
  // read through `batch`, and moves the head. Entries of a referral are of form 3: the hash
  // covers a salted digest of the event without its personal fields and a salted digest of the
  // whole event (the referral's two salts in meta, made with its first event), so the entry
  // verifies after erasure and after deletion (proto/lotse/v1/audit.proto). Writes nothing on
  // failure.
  // A ReferralDeleted event comes with `pruned`, the indexes its Prune cleared (under its hash).
  static absl::Status Append(store::Batch& batch, const lotse::v1::Envelope& event,
                             std::string_view raw, absl::Time now,
                             const std::vector<uint64_t>& pruned = {});
  // The index the next Append through `batch` gives its entry.
  static absl::StatusOr<uint64_t> NextIndex(const store::Batch& batch);
  // Erases the personal data in every entry of `referral_id`: form 2 entries lose the event's
  // bytes (flow form and digest stay), older entries get their flow form instead and are marked
  // erased; the referral's salt is destroyed. Writes into `batch`.
  // Reads through `reads` (the entries and head as the caller's batch has them), writes into
  // `writes` (may be the same batch).
  static absl::Status Erase(const store::Batch& reads, store::Batch& writes,
                            const store::Store& store, std::string_view referral_id);
  // Deletes the referral from the chain (its retention ran out): every committed entry of
  // `referral_id` before `deletion_index` (the index of the ReferralDeleted entry) keeps only
  // its header and digests and is marked deleted by it (an entry of an older form keeps its
  // flow form: its hash covers it); the referral's salts are destroyed and its entries leave its
  // history. The deletion's own entry and the case number's index stay. Reads through `reads`,
  // writes into `writes`; returns the indexes it cleared, ascending (for the deletion's Append).
  static absl::StatusOr<std::vector<uint64_t>> Prune(const store::Batch& reads,
                                                     store::Batch& writes,
                                                     const store::Store& store,
                                                     std::string_view referral_id,
                                                     uint64_t deletion_index);
  // The indexes of `referral_id`'s entries before `before`, ascending, as `batch` sees them:
  // the committed ones, and those appended in `batch` but not committed yet.
  static absl::StatusOr<std::vector<uint64_t>> EntriesOf(const store::Batch& batch,
                                                         const store::Store& store,
                                                         std::string_view referral_id,
                                                         uint64_t before);
  // The entry's event as history shows it: the whole event, or after erasure its flow form.
  static const std::string& EventBytes(const lotse::v1::AuditEntry& entry);
  // Walks the committed chain from its first entry and names the first that does not match.
  static absl::StatusOr<lotse::v1::VerifyReply> Verify(const store::Store& store);
  // Every entry of one referral (id or case number), in the order it happened (TellInOrder);
  // NotFound if none.
  static absl::StatusOr<lotse::v1::HistoryReply> History(const store::Store& store,
                                                         std::string_view ref);
};

// Puts a referral's entries, given in chain order, into the order in which they happened. The
// chain holds them in the order audit received them, and the streams race on the way: routing's
// "routed" can arrive before the intake submission it follows. Each stream keeps its own order
// (it is the order that stream wrote them); the streams interleave by the time each step
// happened, the chain's order breaking ties, except that a reply of one service to another's
// step is never told before that step (the submission, the feedback before the closing, the
// follow-up question before the reopening): two hosts' clocks differ, a test clock stands still.
void TellInOrder(lotse::v1::HistoryReply& history);

// One page of a told history: the entries after the one with chain index `after_index` that fit
// in `room` bytes (at least one), and `next_index` when more follow. A cursor the history does not
// hold (0, or an entry since removed) starts after the entries with smaller indexes. An entry
// that audit receives while a reader pages, but that happened before the cursor, is not in the
// following pages; the next reading of the history has it in its place.
lotse::v1::HistoryReply HistoryPage(lotse::v1::HistoryReply history, uint64_t after_index,
                                    size_t room);

}  // namespace lotse::audit
