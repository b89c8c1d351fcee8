#include "services/routing/transitions.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_join.h"
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

// Starts all of the assignee's clocks afresh at `now` (routed, forwarded or reopened): the
// answer's, the first reaction's and the ladder's second level; the assignee's own time starts.
void StartClocks(ReferralState& s, const Policy& policy, std::string_view assignee,
                 absl::Time now) {
  const Deadlines answer = policy.rules.Schedule(assignee, now);
  StartClock(s, answer);
  const Deadlines first = policy.rules.FirstReaction(assignee, now);
  s.set_first_reaction_due_at_us(clock::ToMicros(first.due));
  s.set_first_reaction_warn_at_us(clock::ToMicros(first.warn));
  s.set_first_reacted_at_us(0);
  s.set_first_reaction_warned(false);
  s.set_first_reaction_escalated(false);
  const std::optional<absl::Time> second = policy.rules.SecondBreach(assignee, answer.due);
  s.set_second_breach_at_us(second.has_value() ? clock::ToMicros(*second) : 0);
  s.set_second_escalated(false);
  s.set_assignee_since_us(clock::ToMicros(now));
}

// The assignee acted (claimed, forwarded, consulted, asked the company, answered): the first
// reaction, if its clock runs and nobody reacted before. Referrals routed before the first
// reaction had a clock have none to stop.
void Reacted(ReferralState& s, absl::Time now) {
  if (s.first_reaction_due_at_us() != 0 && s.first_reacted_at_us() == 0) {
    s.set_first_reacted_at_us(clock::ToMicros(now));
  }
}

// The departments whose consultation on the referral is still open, in the order asked.
std::vector<std::string> OpenConsultations(const ReferralState& s) {
  std::vector<std::string> open;
  for (const lotse::v1::Consultation& c : s.consultations()) {
    if (c.contributed_at_us() == 0 &&
        std::find(open.begin(), open.end(), c.department()) == open.end()) {
      open.push_back(c.department());
    }
  }
  return open;
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

// Opens an answered or closed referral again with the same assignee and contact person: see
// Reopen() in the header.
Outcome OpenAgain(const ReferralState& s, const Actor& actor, const Policy& policy, absl::Time now,
                  std::string_view reason) {
  Outcome out = Begin(s, actor, now);
  ReferralState& next = out.state;
  next.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  next.clear_claimed_by();
  next.clear_answer();
  next.set_waiting_since_us(0);
  next.set_reopen_count(s.reopen_count() + 1);
  StartClocks(next, policy, s.assignee(), now);
  lotse::v1::Reopened* reopened = out.events[0].mutable_reopened();
  reopened->set_assignee(next.assignee());
  if (next.has_contact_person()) {
    *reopened->mutable_contact_person() = next.contact_person();
  }
  reopened->set_reason(std::string(reason));
  reopened->set_due_at_us(next.due_at_us());
  reopened->set_warn_at_us(next.warn_at_us());
  reopened->set_reopen_count(next.reopen_count());
  reopened->set_office(s.referral().office());
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
  Reacted(out.state, on.now);
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
  StartClocks(next, on.policy, request.to(), on.now);
  if (s.waiting_since_us() != 0) {
    next.set_waiting_since_us(clock::ToMicros(on.now));  // the new clock starts paused
  }
  forwarded->set_second_breach_at_us(next.second_breach_at_us());
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
  // The consultation's own due time: the one asked for, if any, must lie ahead and not after
  // the referral's (or the consulted departments' own SLA, checked below).
  const absl::Time asked_due = clock::FromMicros(request.due_at_us());
  if (request.due_at_us() != 0 && asked_due <= on.now) {
    return InvalidField("due",
                        "the consultation's due time has passed: give a later one, or "
                        "none for the consulted department's own SLA");
  }
  if (request.due_at_us() != 0 && request.due_at_us() > s.due_at_us()) {
    return InvalidField("due", StrCat("the consultation would be due after the referral "
                                      "itself: give a time before its due time, or none"));
  }
  std::set<std::string> asked;
  std::vector<Deadlines> deadlines;  // per department asked, in order
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
    Deadlines own = on.policy.rules.Schedule(d, on.now);
    if (request.due_at_us() != 0) {
      if (asked_due > own.due) {
        return InvalidField("due", StrCat("the consultation would be due after the own SLA of "
                                          "department '",
                                          d, "': give an earlier time, or none"));
      }
      own = on.policy.rules.Until(d, on.now, asked_due);
    }
    deadlines.push_back(own);
  }
  Outcome out = Begin(s, on.actor, on.now);
  lotse::v1::ConsultationOpened* opened = out.events[0].mutable_consultation_opened();
  opened->set_assignee(s.assignee());
  opened->set_question(request.question());
  int64_t earliest_due = 0;
  for (const Deadlines& d : deadlines) {
    const int64_t due = clock::ToMicros(d.due);
    earliest_due = earliest_due == 0 ? due : std::min(earliest_due, due);
  }
  opened->set_due_at_us(earliest_due);
  Reacted(out.state, on.now);
  for (int i = 0; i < request.departments_size(); ++i) {
    const std::string& d = request.departments(i);
    lotse::v1::Consultation* added = out.state.add_consultations();
    added->set_department(d);
    added->set_question(request.question());
    added->set_asked_by(s.assignee());
    added->set_opened_at_us(clock::ToMicros(on.now));
    added->set_due_at_us(clock::ToMicros(deadlines[i].due));
    added->set_warn_at_us(clock::ToMicros(deadlines[i].warn));
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
  if (const std::vector<std::string> open = OpenConsultations(on.state);
      !open.empty() && !request.confirm_open_consultations()) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, "confirm_open_consultations",
        StrCat("the contribution of ", absl::StrJoin(open, ", "),
               " is still open: wait for it, or repeat the answer with --confirm to answer "
               "without it"));
  }
  Outcome out = Begin(on.state, on.actor, on.now);
  Reacted(out.state, on.now);
  out.state.set_waiting_since_us(0);  // answering ends a wait on the company, too
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
  StartClocks(s, policy, decision.assignee, now);
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
  routed->set_first_reaction_due_at_us(s.first_reaction_due_at_us());
  routed->set_first_reaction_warn_at_us(s.first_reaction_warn_at_us());
  routed->set_second_breach_at_us(s.second_breach_at_us());
  return out;
}

std::vector<std::string> Ladder(lotse::v1::EscalationLevel level, std::string_view contact,
                                std::string_view lead) {
  std::vector<std::string> to;
  const auto add = [&to](std::string_view id) {
    if (!id.empty() && std::find(to.begin(), to.end(), id) == to.end()) {
      to.emplace_back(id);
    }
  };
  add(contact);
  if (level == lotse::v1::ESCALATION_LEVEL_BREACH ||
      level == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH) {
    add(lead);
  }
  if (level == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH) {
    add("head");
  }
  return to;
}

absl::StatusOr<Outcome> Escalate(const ReferralState& s, lotse::v1::EscalationLevel level,
                                 const Policy& policy, absl::Time now) {
  return Escalate(s, Timer{lotse::v1::DEADLINE_ANSWER, level, ""}, policy, now);
}

absl::StatusOr<Outcome> Escalate(const ReferralState& s, const Timer& timer, const Policy& policy,
                                 absl::Time now) {
  const lotse::v1::EscalationLevel level = timer.level;
  const bool answer_clock = timer.deadline == lotse::v1::DEADLINE_ANSWER ||
                            timer.deadline == lotse::v1::DEADLINE_UNSPECIFIED;
  const bool breach = level == lotse::v1::ESCALATION_LEVEL_BREACH;
  const bool second = level == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH;
  if (level != lotse::v1::ESCALATION_LEVEL_WARNING && !breach && !(second && answer_clock)) {
    return absl::InvalidArgumentError(StrCat("escalation level ", static_cast<int>(level),
                                             " is neither warning nor breach of this clock"));
  }
  LOTSE_RETURN_IF_ERROR(RequireOpen(s));
  Outcome out = Begin(s, RoutingItself(), now);
  ReferralState& next = out.state;
  lotse::v1::Escalated* escalated = out.events[0].mutable_escalated();
  escalated->set_assignee(s.assignee());
  escalated->set_key_account(s.key_account());
  escalated->set_level(level);
  std::string contact = s.contact_person().id();
  std::string lead = policy.rules.Lead(s.assignee());
  switch (timer.deadline) {
    case lotse::v1::DEADLINE_FIRST_REACTION:
      if (s.first_reaction_due_at_us() == 0 || s.first_reacted_at_us() != 0 ||
          s.waiting_since_us() != 0) {
        return absl::FailedPreconditionError(
            StrCat("referral ", s.case_number(), " was already reacted to"));
      }
      if (breach ? s.first_reaction_escalated() : s.first_reaction_warned()) {
        return absl::FailedPreconditionError(StrCat("referral ", s.case_number(),
                                                    "'s first reaction was already ",
                                                    breach ? "escalated" : "warned"));
      }
      next.set_first_reaction_warned(true);
      if (breach) {
        next.set_first_reaction_escalated(true);
      }
      escalated->set_due_at_us(s.first_reaction_due_at_us());
      break;
    case lotse::v1::DEADLINE_CONSULTATION: {
      const int open = OpenConsultation(s, timer.department);
      if (open < 0) {
        return absl::FailedPreconditionError(
            StrCat(timer.department, " has no open consultation on referral ", s.case_number()));
      }
      const lotse::v1::Consultation& c = s.consultations(open);
      if (breach ? c.escalated() : c.warned()) {
        return absl::FailedPreconditionError(
            StrCat("the consultation of ", timer.department, " on referral ", s.case_number(),
                   " was already ", breach ? "escalated" : "warned"));
      }
      next.mutable_consultations(open)->set_warned(true);
      if (breach) {
        next.mutable_consultations(open)->set_escalated(true);
      }
      escalated->set_due_at_us(c.due_at_us());
      escalated->set_department(timer.department);
      // The consulted department owes the contribution: its lead hears, not the assignee's.
      contact.clear();
      lead = policy.rules.Lead(timer.department);
      break;
    }
    default: {
      if (s.waiting_since_us() != 0) {
        return absl::FailedPreconditionError(StrCat(
            "referral ", s.case_number(), " waits on the company: its answer clock is paused"));
      }
      if (second && s.second_breach_at_us() == 0) {
        return absl::FailedPreconditionError(
            StrCat("referral ", s.case_number(), " has no second escalation level"));
      }
      if (second ? s.second_escalated() : breach ? s.escalated() : s.warned()) {
        return absl::FailedPreconditionError(StrCat("referral ", s.case_number(), " was already ",
                                                    second   ? "escalated to the second level"
                                                    : breach ? "escalated"
                                                             : "warned"));
      }
      next.set_warned(true);
      if (breach || second) {
        next.set_escalated(true);
      }
      if (second) {
        next.set_second_escalated(true);
      }
      escalated->set_due_at_us(s.due_at_us());
      break;
    }
  }
  escalated->set_deadline(answer_clock ? lotse::v1::DEADLINE_ANSWER : timer.deadline);
  for (std::string& who : Ladder(level, contact, lead)) {
    escalated->add_notify_staff(std::move(who));
  }
  return out;
}

absl::StatusOr<Outcome> AskCompany(const OnReferral& on,
                                   const lotse::v1::AskCompanyRequest& request) {
  const ReferralState& s = on.state;
  LOTSE_RETURN_IF_ERROR(RequireOpenAndAssigned(on, request.ref()));
  LOTSE_RETURN_IF_ERROR(service::CheckId("user", on.actor.user()));
  LOTSE_RETURN_IF_ERROR(
      service::CheckText("question", request.question(), on.policy.max_text_bytes, true));
  if (s.waiting_since_us() != 0) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                      StrCat("referral ", s.case_number(),
                             " already waits on the company's reply to a question back: enter "
                             "that reply with 'lotse company-replied' first, then ask again"));
  }
  Outcome out = Begin(s, on.actor, on.now);
  ReferralState& next = out.state;
  next.set_waiting_since_us(clock::ToMicros(on.now));
  lotse::v1::CompanyQuestion* question = next.add_company_questions();
  question->set_question(request.question());
  question->set_asked_by(on.actor.user());
  question->set_asked_at_us(clock::ToMicros(on.now));
  Reacted(next, on.now);
  lotse::v1::CompanyAsked* asked = out.events[0].mutable_company_asked();
  asked->set_office(s.referral().office());
  asked->set_question(request.question());
  asked->set_asked_by(on.actor.user());
  asked->set_assignee(s.assignee());
  return out;
}

absl::StatusOr<Outcome> CompanyReplied(const OnReferral& on,
                                       const lotse::v1::CompanyRepliedRequest& request) {
  const ReferralState& s = on.state;
  const Actor& actor = on.actor;
  // The office that relays the question, or the assignee who asked it; to anyone else the
  // referral does not exist.
  const bool office =
      actor.kind() == lotse::v1::ACTOR_KIND_OFFICE && s.referral().office() == actor.id();
  const bool assignee =
      actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT && s.assignee() == actor.id();
  if (!office && !assignee) {
    return service::NotYours(actor, request.ref());
  }
  LOTSE_RETURN_IF_ERROR(RequireOpen(s));
  LOTSE_RETURN_IF_ERROR(service::CheckText("text", request.text(), on.policy.max_text_bytes, true));
  if (s.waiting_since_us() == 0 || s.company_questions().empty()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                      StrCat("referral ", s.case_number(),
                             " does not wait on the company: no question back is open. Pass "
                             "the company's information to the department, or let it ask with "
                             "'lotse ask-company' first"));
  }
  const Rules& rules = on.policy.rules;
  const absl::Duration paused =
      rules.BusinessTimeBetween(s.assignee(), clock::FromMicros(s.waiting_since_us()), on.now);
  const auto later = [&](int64_t at_us) {
    return clock::ToMicros(rules.AddBusinessTime(s.assignee(), clock::FromMicros(at_us), paused));
  };
  Outcome out = Begin(s, actor, on.now);
  ReferralState& next = out.state;
  next.set_due_at_us(later(s.due_at_us()));
  next.set_warn_at_us(later(s.warn_at_us()));
  if (s.second_breach_at_us() != 0) {
    next.set_second_breach_at_us(later(s.second_breach_at_us()));
  }
  const int64_t paused_us = absl::ToInt64Microseconds(paused);
  next.set_paused_business_us(s.paused_business_us() + paused_us);
  next.set_waiting_since_us(0);
  lotse::v1::CompanyQuestion* question =
      next.mutable_company_questions(next.company_questions_size() - 1);
  question->set_reply(request.text());
  question->set_replied_by(actor.id());
  question->set_replied_at_us(clock::ToMicros(on.now));
  question->set_paused_business_us(paused_us);
  lotse::v1::CompanyReplied* replied = out.events[0].mutable_company_replied();
  replied->set_text(request.text());
  replied->set_replied_by(actor.id());
  replied->set_paused_business_us(paused_us);
  replied->set_due_at_us(next.due_at_us());
  replied->set_warn_at_us(next.warn_at_us());
  replied->set_assignee(s.assignee());
  return out;
}

absl::StatusOr<Outcome> Close(const ReferralState& s, const Envelope& feedback,
                              const Policy& policy, absl::Time now) {
  if (s.status() == lotse::v1::REFERRAL_STATUS_CLOSED) {
    return Outcome{s, {}};  // the feedback came again
  }
  if (s.status() != lotse::v1::REFERRAL_STATUS_ANSWERED) {
    return absl::FailedPreconditionError(
        StrCat("feedback for referral ", s.case_number(), " which is not answered"));
  }
  const lotse::v1::FeedbackSubmitted& f = feedback.feedback_submitted();
  lotse::v1::Feedback kept;
  kept.set_rating(f.rating());
  kept.set_resolved(f.resolved());
  kept.set_comment(f.comment());
  kept.set_submitted_at_us(feedback.occurred_at_us());
  if (!f.resolved()) {
    // Not resolved is not closed: the same department works on it again.
    ReferralState with_feedback = s;
    *with_feedback.mutable_feedback() = kept;
    return OpenAgain(with_feedback, feedback.actor(), policy, now, "feedback: not resolved");
  }
  Outcome out = Begin(s, feedback.actor(), now);
  *out.state.mutable_feedback() = kept;
  out.state.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
  lotse::v1::Closed* closed = out.events[0].mutable_closed();
  *closed->mutable_feedback() = kept;
  closed->set_office(f.office());
  return out;
}

absl::StatusOr<Outcome> Reopen(const ReferralState& s, const Envelope& follow_up,
                               const Policy& policy, absl::Time now) {
  if (IsOpen(s)) {
    return Outcome{s, {}};  // still being worked on: nothing to reopen
  }
  if (s.status() != lotse::v1::REFERRAL_STATUS_ANSWERED &&
      s.status() != lotse::v1::REFERRAL_STATUS_CLOSED) {
    return absl::FailedPreconditionError(
        StrCat("follow-up question for referral ", s.case_number(), " which is not answered"));
  }
  return OpenAgain(s, follow_up.actor(), policy, now, "follow-up question");
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
