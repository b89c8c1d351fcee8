#pragma once

// Intake's mirror of routing's case-work events (issue 15) into the office's view of a referral:
// the named contact person, the first-reaction clock, questions back to the company, reopening
// and the escalation ladder. IntakeService::ApplyEvent keeps the original events (routed,
// claimed, forwarded, answered, closed) and calls this for what case work added.

#include "lotse/v1/common.pb.h"
#include "lotse/v1/events.pb.h"

namespace lotse::intake {

// Applies what `event` adds to `state` for case work. Returns true if the event is one only
// case work knows (asked, replied, reopened): the caller then stores `state` although its own
// switch ignores the event. Events of other kinds may still have changed `state` (the contact
// person of a routed or forwarded referral).
bool MirrorCaseWork(const lotse::v1::Envelope& event, lotse::v1::ReferralState& state);

// An escalation on the clock it is about: the answer's warning and breach set warned and
// escalated as before; the first reaction's and the ladder's second level have their own flags;
// a consultation's deadline is the consulted department's business, not the office's.
void MirrorEscalation(const lotse::v1::Escalated& escalated, lotse::v1::ReferralState& state);

}  // namespace lotse::intake
