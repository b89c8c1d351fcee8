// Erasure of personal data in routing (issue 17): intake's PersonalDataErased clears routing's
// copies. See common/service/erasure.h for the design.

#include "common/service/erasure.h"

#include "common/service/personal_data.h"
#include "common/status_macros.h"
#include "services/routing/routing_service.h"

namespace lotse::routing {

absl::Status RoutingService::ErasePersonalData(const lotse::v1::Envelope& event,
                                               store::Batch& batch, absl::Time now) {
  const std::string& id = event.referral_id();
  // Everything that can fail is prepared first: the erasure lands whole or not at all.
  store::Batch staged(store_.get());
  LOTSE_RETURN_IF_ERROR(service::EraseFromCommonFamilies(
      staged, *store_, {id}, {event.case_number()}, lotse::v1::RoutingReply(), now));
  // The index of earlier answers names the referral's words in its keys, under every department
  // that answered it (a reopened referral keeps its earlier entry).
  LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, kSimilarPostings, {id}, nullptr));
  LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, kSimilarDocs, {id}, nullptr));
  LOTSE_ASSIGN_OR_RETURN(std::optional<lotse::v1::ReferralState> found, referrals_.Find(batch, id));
  batch.Absorb(staged);
  if (!found.has_value()) {
    return absl::OkStatus();  // never routed here: nothing of it to clear
  }
  lotse::v1::ReferralState after = *found;
  service::KeepFlowMetadataOnly(after);
  // Worklist items carry the subject: written again from the cleared record. Their keys stay
  // the same (none holds personal data), so the counts do not change.
  for (const auto& [key, value] : IndexFor(after)) {
    batch.Put(key.first, key.second, value);
  }
  referrals_.Update(batch, after);
  return absl::OkStatus();
}

absl::Status RoutingService::DeleteReferral(const lotse::v1::Envelope& event, store::Batch& batch) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<lotse::v1::ReferralState> found,
                         referrals_.Find(batch, event.referral_id()));
  if (!found.has_value()) {
    return absl::OkStatus();  // never routed here, or deleted already
  }
  // Its index entries follow from the record (the company file's; a closed referral has no
  // worklist items or timers). The earlier answers' index lost it with its personal data.
  LOTSE_RETURN_IF_ERROR(counts_.Write(batch, IndexFor(*found), {}));
  referrals_.Delete(batch, *found);
  service::OweCompaction(batch);
  return absl::OkStatus();
}

}  // namespace lotse::routing
