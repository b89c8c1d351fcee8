#pragma once

#include "lotse/v1/events.pb.h"
#include "lotse/v1/common.pb.h"

namespace lotse::service {

// What ops may see is flow metadata only: ids, case numbers, topics, departments, states,
// times. These clear the personal data (DESIGN.md "Personal data": the contact person, the
// subject and texts of question, forward reason, consultation, contribution, answer and
// feedback comment, e-mail addresses) from a referral's state and from an event.
void KeepFlowMetadataOnly(lotse::v1::ReferralState& state);
void KeepFlowMetadataOnly(lotse::v1::Envelope& event);

}  // namespace lotse::service
