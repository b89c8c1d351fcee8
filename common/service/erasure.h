#pragma once

// Erasure of personal data (DESIGN.md "Personal data", docs/datenschutz.md). Intake starts it
// (`lotse erase`, or a referral's retention running out) and logs PersonalDataErased; every
// service then clears its own copies of the referral's personal fields in one synced commit:
// its state (the service's own code), and what every store has in common (this file): the
// events of its outbox and its dead letters about the referral, and the stored replies that
// name it. The referral is marked erased, so what arrives about it later is kept without its
// personal fields, and the store owes a compaction (store::Store::CompactAway), which the
// Runner does after the commit.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store.h"
#include "google/protobuf/message.h"
#include "lotse/v1/events.pb.h"

namespace lotse::service {

// Whether `referral_id` was erased in this store (committed or in `batch`).
absl::StatusOr<bool> IsErased(const store::Batch& batch, std::string_view referral_id);

// If `event`'s referral was erased here: clears its personal fields and re-serializes `raw`
// from it. Returns whether it did.
absl::StatusOr<bool> StripIfErased(const store::Batch& batch, lotse::v1::Envelope& event,
                                   std::string& raw);

// Clears, for each of `referral_ids`, what the common families hold: outbox events and dead
// letters about it lose their personal fields (same key, same seq: a consumer that fetches
// them later gets them without); stored replies whose bytes name it (its id, or one of `names`:
// its case number, its documents' digests) lose theirs (parsed as `reply_prototype`, the
// service's reply type), and their request fingerprint is kept only as a hash. Marks each
// referral erased and the store as owing a compaction. One pass over those families, written
// into `batch`.
absl::Status EraseFromCommonFamilies(store::Batch& batch, const store::Store& store,
                                     const std::vector<std::string>& referral_ids,
                                     const std::vector<std::string>& names,
                                     const google::protobuf::Message& reply_prototype,
                                     absl::Time now);

// In the state family `cf`: every entry whose key or value names one of `referral_ids` (its bytes
// contain the id) has its value parsed as `prototype`, cleared of its personal fields and
// written back; with `prototype` nullptr, it is deleted instead. One pass over the
// family. For families whose keys the service cannot compute from the referral.
absl::Status EraseFromFamily(store::Batch& batch, const store::Store& store, store::Cf cf,
                             const std::vector<std::string>& referral_ids,
                             const google::protobuf::Message* prototype);

// Marks the store as owing a compaction (store::Store::CompactAway): what `batch` deletes or
// clears must leave the files too. EraseFromCommonFamilies does it itself.
void OweCompaction(store::Batch& batch);

// SHA-256 of `bytes` (32 raw bytes).
std::string Sha256(std::string_view bytes);

}  // namespace lotse::service
