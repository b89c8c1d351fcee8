#include "common/service/referral_table.h"

#include <string>

#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::service {

absl::StatusOr<std::optional<lotse::v1::ReferralState>> ReferralTable::Find(
    const store::Batch& batch, std::string_view ref) const {
  // Most lookups (every event) come by id: try that first, the case number only after.
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value, batch.Get(by_id_, ref));
  std::string id(ref);
  if (!value.has_value()) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> by_case, batch.Get(by_case_, ref));
    if (!by_case.has_value()) {
      return std::nullopt;
    }
    id = *std::move(by_case);
    LOTSE_ASSIGN_OR_RETURN(value, batch.Get(by_id_, id));
    if (!value.has_value()) {
      return std::nullopt;
    }
  }
  lotse::v1::ReferralState state;
  if (!state.ParseFromString(*value)) {
    return absl::DataLossError(StrCat("the stored record of referral ", id, " is damaged"));
  }
  return state;
}

void ReferralTable::Insert(store::Batch& batch, const lotse::v1::ReferralState& state) const {
  Update(batch, state);
  batch.Put(by_case_, state.case_number(), state.referral_id());
}

void ReferralTable::Update(store::Batch& batch, const lotse::v1::ReferralState& state) const {
  batch.Put(by_id_, state.referral_id(), state.SerializeAsString());
}

void ReferralTable::Delete(store::Batch& batch, const lotse::v1::ReferralState& state) const {
  batch.Delete(by_id_, state.referral_id());
  if (!state.case_number().empty()) {
    batch.Delete(by_case_, state.case_number());
  }
}

}  // namespace lotse::service
