#pragma once

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"

namespace lotse::service {

// Referral records (ReferralState) of one service, reachable by id and by case number. Holds
// only the column-family numbers; all reads and writes go through the caller's batch, so they
// are part of its commit. Thread-compatible.
class ReferralTable {
 public:
  ReferralTable(store::Cf by_id, store::Cf by_case) : by_id_(by_id), by_case_(by_case) {}

  // Finds a referral by id or case number ("2026-000123"). nullopt if there is none.
  absl::StatusOr<std::optional<lotse::v1::ReferralState>> Find(const store::Batch& batch,
                                                               std::string_view ref) const;
  // Stores a new record and its case-number index entry.
  void Insert(store::Batch& batch, const lotse::v1::ReferralState& state) const;
  // Stores a changed record (its case number, and so the index entry, never changes).
  void Update(store::Batch& batch, const lotse::v1::ReferralState& state) const;
  // Deletes the record and its case-number index entry (the referral's retention ran out).
  void Delete(store::Batch& batch, const lotse::v1::ReferralState& state) const;

 private:
  store::Cf by_id_;
  store::Cf by_case_;
};

}  // namespace lotse::service
