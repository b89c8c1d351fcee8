#pragma once

// Builds the receipt (Empfangsbestätigung, item 4 of the case work) from intake's view of a
// referral and the config; common/receipt lays it out as text or HTML.

#include <string>
#include <string_view>

#include "common/config/config.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/intake.pb.h"

namespace lotse::intake {

// The receipt of `state` with its feedback code: names from the config, the contact person and
// the answer's due time once routing decided (before that the department the topic names, no
// due time, and next steps saying that routing is under way).
lotse::v1::Receipt BuildReceipt(const config::Config& config,
                                const lotse::v1::ReferralState& state,
                                std::string_view feedback_code);

// What happens next, for the company, in the office's words (German).
std::string NextSteps(const config::Config& config, const lotse::v1::ReferralState& state,
                      const lotse::v1::Receipt& receipt);

}  // namespace lotse::intake
