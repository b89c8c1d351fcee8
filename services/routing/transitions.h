#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/routing.pb.h"
#include "services/routing/rules.h"

// Routing's decisions: how a referral's state changes when it is submitted, worked on by the
// departments, overdue, or given feedback, and who may see it. Every function here is pure:
// plain values in (the referral's state, the request or event, who acts, the time, the rules),
// values out; no store, no clock, no logging. The wiring (routing_service.cc) loads the state,
// calls one of these, and writes the new state, its index entries and the events in one batch.
namespace lotse::routing {

// What a transition decided: the referral's new state and the events it produces. The events
// carry the actor, referral id and case number; the wiring stamps stream, seq, epoch, event id
// and time (service::Emit). No events: nothing changes (the state is the one given).
struct Outcome {
  lotse::v1::ReferralState state;
  std::vector<lotse::v1::Envelope> events;
};

// True while the referral is being worked on (routed or claimed): it is on worklists, its SLA
// timers run, and the departments' commands apply.
bool IsOpen(const lotse::v1::ReferralState& state);

// What the transitions decide by besides the referral: the routing rules and SLA clocks, and
// limits of the config. Borrows the rules; immutable, safe for concurrent use.
struct Policy {
  const Rules& rules;
  int forward_limit = 0;      // forwards per referral (routing.forward_limit)
  size_t max_text_bytes = 0;  // contribution and answer texts (limits.max_text_bytes)
};

// A department's command on one referral, besides the command's own request: the referral as
// stored, who acts (the request's effective actor: a department or key account manager, `user`
// the staff member), the rules and limits, and the time. Borrows everything; lives for one call.
//
// Each command below returns the outcome or a structured error (service::FieldError) naming the
// field at fault and what to do. Only the assignee works on a referral and only a consulted
// department contributes: to anyone else the answer is service::NotYours, the same as for a
// referral that does not exist. A referral that is no longer open (answered, closed) is refused
// with FailedPrecondition.
struct OnReferral {
  const lotse::v1::ReferralState& state;
  const lotse::v1::Actor& actor;
  const Policy& policy;
  absl::Time now;
};
template <typename Request>
using CommandTransition = absl::StatusOr<Outcome> (*)(const OnReferral& on, const Request& request);

// The staff member `actor.user` takes the referral: CLAIMED, Claimed. Refuses a referral
// someone already claimed.
absl::StatusOr<Outcome> Claim(const OnReferral& on, const lotse::v1::ClaimRequest& request);
// Gives a claimed referral back to the department: ROUTED, Unclaimed (naming who had it).
absl::StatusOr<Outcome> Unclaim(const OnReferral& on, const lotse::v1::UnclaimRequest& request);
// Hands the referral to another department or KAM with a reason: ROUTED there, unclaimed, with
// new due and warning times from its SLA and fresh timers; Forwarded. At most
// `policy.forward_limit` forwards per referral.
absl::StatusOr<Outcome> Forward(const OnReferral& on, const lotse::v1::ForwardRequest& request);
// Asks 1-10 other departments for contributions, due when the referral is:
// ConsultationOpened. A department with an open consultation cannot be asked again.
absl::StatusOr<Outcome> Consult(const OnReferral& on, const lotse::v1::ConsultRequest& request);
// The consulted department `actor.id` answers its open consultation: ContributionAdded.
absl::StatusOr<Outcome> Contribute(const OnReferral& on,
                                   const lotse::v1::ContributeRequest& request);
// The assignee answers with a text and an outcome: ANSWERED, Answered (for the office).
absl::StatusOr<Outcome> Answer(const OnReferral& on, const lotse::v1::AnswerRequest& request);

// The assignee (`actor.user` the staff member) asks the company a question back (Rückfrage):
// the referral waits (waiting_since_us), its answer clock pauses, and asking counts as the
// first reaction; CompanyAsked, for the office to relay. Refused while it already waits.
absl::StatusOr<Outcome> AskCompany(const OnReferral& on,
                                   const lotse::v1::AskCompanyRequest& request);
// The company's reply, entered by the referral's office or the assignee: the clock runs again,
// and the due, warning and second-level times move on by the business time it stood still (in
// the assignee's calendar); CompanyReplied. FailedPrecondition if the referral is not waiting.
absl::StatusOr<Outcome> CompanyReplied(const OnReferral& on,
                                       const lotse::v1::CompanyRepliedRequest& request);

// A submitted referral (`submitted`: intake's ReferralSubmitted envelope) goes where the rules
// say, due by the assignee's SLA: ROUTED, ReferralRouted. NotFound if the rules know no
// department for its topic.
absl::StatusOr<Outcome> Route(const lotse::v1::Envelope& submitted, const Policy& policy,
                              absl::Time now);
// Which of a referral's clocks ran out, and how far: the answer's (WARNING, BREACH,
// SECOND_BREACH), the first reaction's (WARNING, BREACH) or the consultation of `department`
// (WARNING, BREACH).
struct Timer {
  lotse::v1::Deadline deadline = lotse::v1::DEADLINE_ANSWER;
  lotse::v1::EscalationLevel level = lotse::v1::ESCALATION_LEVEL_UNSPECIFIED;
  std::string department;  // DEADLINE_CONSULTATION only
};

// Who must hear of an escalation at `level` (Escalated.notify_staff), by the ladder: a warning
// reaches the contact person only (none: the department's worklist as a whole); a breach the
// contact person and the department's lead; the second level also "head", the head of the
// economic development office. `contact` and `lead` are staff ids, "" for none; no one twice.
std::vector<std::string> Ladder(lotse::v1::EscalationLevel level, std::string_view contact,
                                std::string_view lead);

// One of the referral's timers fired: marks that clock warned (WARNING) or warned and escalated
// (BREACH; SECOND_BREACH also second_escalated); Escalated with the clock, the due time it is
// about and whom to notify (Ladder). FailedPrecondition if the referral is no longer open, waits
// on the company (answer clock), reacted already (first reaction), has no such open consultation,
// or the clock was already escalated at that level (the timer is stale); InvalidArgument for a
// level the clock does not have.
absl::StatusOr<Outcome> Escalate(const lotse::v1::ReferralState& state, const Timer& timer,
                                 const Policy& policy, absl::Time now);
// The answer clock's WARNING or BREACH (as before case work).
absl::StatusOr<Outcome> Escalate(const lotse::v1::ReferralState& state,
                                 lotse::v1::EscalationLevel level, const Policy& policy,
                                 absl::Time now);
// The office's feedback (`feedback`: intake's FeedbackSubmitted envelope) on an answered
// referral: "resolved" closes it (CLOSED with the feedback, Closed); "not resolved" reopens it
// (see Reopen) with the feedback kept. Feedback for a closed referral changes nothing (no
// events); FailedPrecondition for one that is not answered yet.
absl::StatusOr<Outcome> Close(const lotse::v1::ReferralState& state,
                              const lotse::v1::Envelope& feedback, const Policy& policy,
                              absl::Time now);
// The office's follow-up question (`follow_up`: intake's FollowUpAsked envelope) reopens an
// answered or closed referral. A referral still open changes nothing (no events: it is being
// worked on and the office's question reaches the department through intake).
//
// Reopening: ROUTED again with the same assignee and contact person (unclaimed: whoever takes it
// claims it anew), reopen_count + 1, fresh answer, first-reaction and second-level clocks from
// now, the answer cleared from the state (the Answered event keeps it); submitted_at_us is kept
// so the company's whole wait still counts from the first submission. Reopened with `reason`.
absl::StatusOr<Outcome> Reopen(const lotse::v1::ReferralState& state,
                               const lotse::v1::Envelope& follow_up, const Policy& policy,
                               absl::Time now);

// What `actor` may see of a referral it asked for as `ref`: an office its own, a department or
// KAM what is assigned, key-accounted or consulted to it, admin everything, ops the flow
// metadata only. service::NotYours for anyone else.
absl::StatusOr<lotse::v1::ReferralState> View(lotse::v1::ReferralState state,
                                              const lotse::v1::Actor& actor, std::string_view ref);

}  // namespace lotse::routing
