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
  // read through `batch`, and moves the head. Entries are of form 2: the hash covers the event
  // without its personal fields and a salted digest of the whole event (the referral's salt in
  // meta, made with its first event), so the entry verifies after erasure. Writes nothing on
  // failure.
  static absl::Status Append(store::Batch& batch, const lotse::v1::Envelope& event,
                             std::string_view raw, absl::Time now);
  // Erases the personal data in every entry of `referral_id`: form 2 entries lose the event's
  // bytes (flow form and digest stay), older entries get their flow form instead and are marked
  // erased; the referral's salt is destroyed. Writes into `batch`.
  static absl::Status Erase(store::Batch& batch, const store::Store& store,
                            std::string_view referral_id);
  // The entry's event as history shows it: the whole event, or after erasure its flow form.
  static const std::string& EventBytes(const lotse::v1::AuditEntry& entry);
  // Walks the committed chain from its first entry and names the first that does not match.
  static absl::StatusOr<lotse::v1::VerifyReply> Verify(const store::Store& store);
  // Every entry of one referral (id or case number), in chain order; NotFound if none.
  static absl::StatusOr<lotse::v1::HistoryReply> History(const store::Store& store,
                                                         std::string_view ref);
};

}  // namespace lotse::audit
