#include "services/routing/transitions.h"

#include <set>
#include <string>

#include "common/clock/clock.h"
#include "common/format.h"
#include "common/service/commands.h"
#include "common/service/errors.h"
#include "common/service/personal_data.h"
#include "common/status_macros.h"

namespace lotse::routing {
namespace {

using lotse::v1::Actor;
using lotse::v1::Envelope;
using lotse::v1::ReferralState;
using service::FieldError;
using service::InvalidField;

// The index of `department`'s consultation on the referral that has no contribution yet, or -1.
int OpenConsultation(const ReferralState& s, std::string_view department) {
  for (int i = 0; i < s.consultations_size(); ++i) {
    const lotse::v1::Consultation& c = s.consultations(i);
    if (c.department() == department && c.contributed_at_us() == 0) {
      return i;
    }
  }
  return -1;
}

bool IsConsulted(const ReferralState& s, std::string_view department) {
  for (const lotse::v1::Consultation& c : s.consultations()) {
    if (c.department() == department) {
      return true;
    }
  }
  return false;
}

absl::Status RequireOpen(const ReferralState& s) {
  if (!IsOpen(s)) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, "ref",
        StrCat("referral ", s.case_number(), " is ", lotse::v1::ReferralStatus_Name(s.status()),
               " and can no longer be worked on"));
  }
  return absl::OkStatus();
}

// The assignee's commands: to anyone else the referral does not exist, and it must be open.
absl::Status RequireOpenAndAssigned(const OnReferral& on, std::string_view ref) {
  if (on.state.assignee() != on.actor.id()) {
    return service::NotYours(on.actor, ref);
  }
  return RequireOpen(on.state);
}

absl::Status UnknownDepartment(std::string_view field, std::string_view id) {
  return FieldError(absl::StatusCode::kNotFound, field,
                    StrCat("department '", id, "' is unknown: see 'lotse departments'"));
}

// Starts the referral's SLA clock afresh: due and warning times from `deadlines`, and neither
// timer fired yet.
void StartClock(ReferralState& s, const Deadlines& deadlines) {
  s.set_due_at_us(clock::ToMicros(deadlines.due));
  s.set_warn_at_us(clock::ToMicros(deadlines.warn));
  s.set_warned(false);
  s.set_escalated(false);
}

// Routing acting by itself (routing a submission, escalating).
Actor RoutingItself() {
  Actor actor;
  actor.set_kind(lotse::v1::ACTOR_KIND_SERVICE);
  actor.set_id("routing");
  return actor;
}

// The start of every change by `actor`: the state as given, updated now, and one event about
// the referral whose payload the caller fills (events[0]).
Outcome Begin(const ReferralState& s, const Actor& actor, absl::Time now) {
  Outcome out{s, {}};
  out.state.set_updated_at_us(clock::ToMicros(now));
  Envelope& event = out.events.emplace_back();
  *event.mutable_actor() = actor;
  event.set_referral_id(s.referral_id());
  event.set_case_number(s.case_number());
  return out;
}

}  // namespace

bool IsOpen(const ReferralState& state) {
  return state.status() == lotse::v1::REFERRAL_STATUS_ROUTED ||
         state.status() == lotse::v1::REFERRAL_STATUS_CLAIMED;
}

absl::StatusOr<Outcome> Claim(const OnReferral& on, const lotse::v1::ClaimRequest& request) {
  LOTSE_RETURN_IF_ERROR(RequireOpenAndAssigned(on, request.ref()));
  LOTSE_RETURN_IF_ERROR(service::CheckId("user", on.actor.user()));
  if (on.state.status() == lotse::v1::REFERRAL_STATUS_CLAIMED) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                      StrCat("referral ", on.state.case_number(), " is already claimed by ",
                             on.state.claimed_by(), ": ask them, or unclaim it first"));
  }
  Outcome out = Begin(on.state, on.actor, on.now);
  out.state.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
  out.state.set_claimed_by(on.actor.user());
  lotse::v1::Claimed* claimed = out.events[0].mutable_claimed();
  claimed->set_assignee(on.state.assignee());
  claimed->set_user(on.actor.user());
  return out;
}

absl::StatusOr<Outcome> Unclaim(const OnReferral& on, const lotse::v1::UnclaimRequest& request) {
  LOTSE_RETURN_IF_ERROR(RequireOpenAndAssigned(on, request.ref()));
  if (on.state.status() != lotse::v1::REFERRAL_STATUS_CLAIMED) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                      StrCat("referral ", on.state.case_number(), " is not claimed"));
  }
  Outcome out = Begin(on.state, on.actor, on.now);
  out.state.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  out.state.clear_claimed_by();
  lotse::v1::Unclaimed* unclaimed = out.events[0].mutable_unclaimed();
  unclaimed->set_assignee(on.state.assignee());
  unclaimed->set_user(on.state.claimed_by());
  return out;
}

absl::StatusOr<Outcome> Forward(const OnReferral& on, const lotse::v1::ForwardRequest& request) {
  const ReferralState& s = on.state;
  LOTSE_RETURN_IF_ERROR(RequireOpenAndAssigned(on, request.ref()));
  if (!on.policy.rules.IsAssignee(request.to())) {
    return UnknownDepartment("to", request.to());
  }
  if (request.to() == s.assignee()) {
    return InvalidField("to", "a referral cannot be forwarded to the department that has it");
  }
  LOTSE_RETURN_IF_ERROR(service::CheckText("reason", request.reason(), 2000, true));
  if (s.forward_count() >= on.policy.forward_limit) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, "to",
        StrCat("referral ", s.case_number(), " was already forwarded ", s.forward_count(),
               " times (the limit): answer it, or ask the responsible department "
               "by consultation"));
  }
  Outcome out = Begin(s, on.actor, on.now);
  lotse::v1::Forwarded* forwarded = out.events[0].mutable_forwarded();
  forwarded->set_from(s.assignee());
  forwarded->set_to(request.to());
  forwarded->set_reason(request.reason());
  ReferralState& next = out.state;
  next.set_assignee(request.to());
  next.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  next.clear_claimed_by();
  next.set_forward_count(s.forward_count() + 1);
  StartClock(next, on.policy.rules.Schedule(request.to(), on.now));
  forwarded->set_due_at_us(next.due_at_us());
  forwarded->set_warn_at_us(next.warn_at_us());
  forwarded->set_forward_count(next.forward_count());
  return out;
}

absl::StatusOr<Outcome> Consult(const OnReferral& on, const lotse::v1::ConsultRequest& request) {
  const ReferralState& s = on.state;
  LOTSE_RETURN_IF_ERROR(RequireOpenAndAssigned(on, request.ref()));
  if (request.departments().empty() || request.departments_size() > 10) {
    return InvalidField("departments", "name 1 to 10 departments to consult");
  }
  LOTSE_RETURN_IF_ERROR(service::CheckText("question", request.question(), 4000, true));
  std::set<std::string> asked;
  for (const std::string& d : request.departments()) {
    if (!on.policy.rules.IsAssignee(d)) {
      return UnknownDepartment("departments", d);
    }
    if (d == s.assignee() || !asked.insert(d).second) {
      return InvalidField("departments",
                          StrCat("department '", d, "' is named twice or has the referral itself"));
    }
    if (OpenConsultation(s, d) >= 0) {
      return FieldError(absl::StatusCode::kAlreadyExists, "departments",
                        StrCat("department '", d, "' is already consulted on this referral"));
    }
  }
  Outcome out = Begin(s, on.actor, on.now);
  lotse::v1::ConsultationOpened* opened = out.events[0].mutable_consultation_opened();
  opened->set_assignee(s.assignee());
  opened->set_question(request.question());
  for (const std::string& d : request.departments()) {
    lotse::v1::Consultation* added = out.state.add_consultations();
    added->set_department(d);
    added->set_question(request.question());
    added->set_asked_by(s.assignee());
    added->set_opened_at_us(clock::ToMicros(on.now));
    added->set_due_at_us(s.due_at_us());
    opened->add_departments(d);
  }
  return out;
}

absl::StatusOr<Outcome> Contribute(const OnReferral& on,
                                   const lotse::v1::ContributeRequest& request) {
  const std::string& department = on.actor.id();
  if (!IsConsulted(on.state, department)) {
    return service::NotYours(on.actor, request.ref());
  }
  if (!IsOpen(on.state)) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                      StrCat("referral ", on.state.case_number(), " is already answered"));
  }
  LOTSE_RETURN_IF_ERROR(service::CheckText("text", request.text(), on.policy.max_text_bytes, true));
  const int open = OpenConsultation(on.state, department);
  if (open < 0) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, "ref",
        StrCat(department, " has no open consultation on referral ", on.state.case_number()));
  }
  Outcome out = Begin(on.state, on.actor, on.now);
  lotse::v1::Consultation* consultation = out.state.mutable_consultations(open);
  consultation->set_contribution(request.text());
  consultation->set_contributed_at_us(clock::ToMicros(on.now));
  lotse::v1::ContributionAdded* added = out.events[0].mutable_contribution_added();
  added->set_department(department);
  added->set_text(request.text());
  return out;
}

absl::StatusOr<Outcome> Answer(const OnReferral& on, const lotse::v1::AnswerRequest& request) {
  LOTSE_RETURN_IF_ERROR(RequireOpenAndAssigned(on, request.ref()));
  LOTSE_RETURN_IF_ERROR(service::CheckId("user", on.actor.user()));
  LOTSE_RETURN_IF_ERROR(service::CheckText("text", request.text(), on.policy.max_text_bytes, true));
  if (!lotse::v1::Outcome_IsValid(request.outcome()) ||
      request.outcome() == lotse::v1::OUTCOME_UNSPECIFIED) {
    return InvalidField("outcome", "outcome must be resolved, partly or not-responsible");
  }
  Outcome out = Begin(on.state, on.actor, on.now);
  lotse::v1::Answer* answer = out.state.mutable_answer();
  answer->set_department(on.state.assignee());
  answer->set_user(on.actor.user());
  answer->set_text(request.text());
  answer->set_outcome(request.outcome());
  answer->set_answered_at_us(clock::ToMicros(on.now));
  out.state.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
  lotse::v1::Answered* answered = out.events[0].mutable_answered();
  *answered->mutable_answer() = *answer;
  answered->set_office(on.state.referral().office());
  return out;
}

absl::StatusOr<Outcome> Route(const Envelope& submitted, const Policy& policy, absl::Time now) {
  const lotse::v1::Referral& r = submitted.referral_submitted().referral();
  LOTSE_ASSIGN_OR_RETURN(Decision decision,
                         policy.rules.Route(r.office(), r.topic(), r.company_id()));
  ReferralState s;
  s.set_referral_id(submitted.referral_id());
  s.set_case_number(submitted.case_number());
  *s.mutable_referral() = r;
  s.set_submitted_at_us(submitted.referral_submitted().submitted_at_us());
  s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  s.set_assignee(decision.assignee);
  s.set_responsible_department(decision.responsible_department);
  s.set_key_account(decision.key_account);
  StartClock(s, policy.rules.Schedule(decision.assignee, now));
  s.set_routed_at_us(clock::ToMicros(now));
  s.set_route_reason(decision.reason);
  Outcome out = Begin(s, RoutingItself(), now);
  lotse::v1::ReferralRouted* routed = out.events[0].mutable_referral_routed();
  routed->set_assignee(s.assignee());
  routed->set_responsible_department(s.responsible_department());
  routed->set_key_account(s.key_account());
  routed->set_due_at_us(s.due_at_us());
  routed->set_warn_at_us(s.warn_at_us());
  routed->set_reason(decision.reason);
  routed->set_office(r.office());
  routed->set_topic(r.topic());
  routed->set_priority(r.priority());
  routed->set_subject(r.subject());
  routed->set_company_name(r.company_name());
  return out;
}

absl::StatusOr<Outcome> Escalate(const ReferralState& s, lotse::v1::EscalationLevel level,
                                 absl::Time now) {
  if (level != lotse::v1::ESCALATION_LEVEL_WARNING && level != lotse::v1::ESCALATION_LEVEL_BREACH) {
    return absl::InvalidArgumentError(
        StrCat("escalation level ", static_cast<int>(level), " is neither warning nor breach"));
  }
  LOTSE_RETURN_IF_ERROR(RequireOpen(s));
  const bool breach = level == lotse::v1::ESCALATION_LEVEL_BREACH;
  if (breach ? s.escalated() : s.warned()) {
    return absl::FailedPreconditionError(
        StrCat("referral ", s.case_number(), " was already ", breach ? "escalated" : "warned"));
  }
  Outcome out = Begin(s, RoutingItself(), now);
  out.state.set_warned(true);
  if (breach) {
    out.state.set_escalated(true);
  }
  lotse::v1::Escalated* escalated = out.events[0].mutable_escalated();
  escalated->set_assignee(s.assignee());
  escalated->set_due_at_us(s.due_at_us());
  escalated->set_key_account(s.key_account());
  escalated->set_level(level);
  return out;
}

absl::StatusOr<Outcome> Close(const ReferralState& s, const Envelope& feedback, absl::Time now) {
  if (s.status() == lotse::v1::REFERRAL_STATUS_CLOSED) {
    return Outcome{s, {}};  // the feedback came again
  }
  if (s.status() != lotse::v1::REFERRAL_STATUS_ANSWERED) {
    return absl::FailedPreconditionError(
        StrCat("feedback for referral ", s.case_number(), " which is not answered"));
  }
  const lotse::v1::FeedbackSubmitted& f = feedback.feedback_submitted();
  Outcome out = Begin(s, feedback.actor(), now);
  lotse::v1::Feedback* kept = out.state.mutable_feedback();
  kept->set_rating(f.rating());
  kept->set_resolved(f.resolved());
  kept->set_comment(f.comment());
  kept->set_submitted_at_us(feedback.occurred_at_us());
  out.state.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
  lotse::v1::Closed* closed = out.events[0].mutable_closed();
  *closed->mutable_feedback() = *kept;
  closed->set_office(f.office());
  return out;
}

absl::StatusOr<ReferralState> View(ReferralState s, const Actor& actor, std::string_view ref) {
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      if (s.referral().office() == actor.id()) {
        return s;
      }
      break;
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      if (s.assignee() == actor.id() || s.key_account() == actor.id() ||
          IsConsulted(s, actor.id())) {
        return s;
      }
      break;
    case lotse::v1::ACTOR_KIND_OPS:
      service::KeepFlowMetadataOnly(s);  // flow metadata only
      return s;
    case lotse::v1::ACTOR_KIND_ADMIN:
      return s;
    default:
      break;
  }
  return service::NotYours(actor, ref);
}

}  // namespace lotse::routing
