#pragma once

#include "absl/status/status.h"
#include "common/config/config.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/intake.pb.h"

namespace lotse::intake {

// Checks a submission completely before it touches state: the office is known and is the
// actor, the topic is known, every text is present where required, within its limit and valid
// UTF-8, enum values are known. Returns the first problem with the field it concerns.
absl::Status ValidateSubmit(const config::Config& config, const lotse::v1::Actor& actor,
                            const lotse::v1::SubmitReferralRequest& request);

// Checks feedback fields (rating 1..5, resolved given, comment length). Whether the referral
// may get feedback is decided against its state.
absl::Status ValidateFeedback(const config::Config& config,
                              const lotse::v1::SubmitFeedbackRequest& request);

// The acting office: kind OFFICE and a configured office id.
absl::Status CheckOfficeActor(const config::Config& config, const lotse::v1::Actor& actor);

}  // namespace lotse::intake
