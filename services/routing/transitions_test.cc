#include "services/routing/transitions.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "common/config/config.h"
#include "common/service/errors.h"
#include "common/service/personal_data.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace lotse::routing {
namespace {

using lotse::v1::Envelope;
using lotse::v1::ReferralState;
using lotse::v1::RoutingRequest;

// Every row happens on Tuesday, 3 March 2026, 09:00 in Musterstadt (the default config).
absl::Time Berlin(int y, int m, int d, int hh, int mm) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &tz));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tz);
}
absl::Time Now() { return Berlin(2026, 3, 3, 9, 0); }
int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

const Policy& TestPolicy() {
  static const config::Config* const city = [] {
    absl::StatusOr<config::Config> config =
        config::ParseConfig(config::DefaultConfigText(), "embedded");
    EXPECT_TRUE(config.ok()) << config.status();
    return new config::Config(*config);
  }();
  static const Rules* const rules = new Rules(*Rules::Create(*city));
  static const Policy* const policy = new Policy{*rules, city->routing.forward_limit,
                                                 static_cast<size_t>(city->limits.max_text_bytes)};
  return *policy;
}

template <typename Message>
Message Proto(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// The referral most rows start from: routed to the Umweltamt, high priority, with personal data.
constexpr char kOpen[] = R"pb(
  referral_id: "r1"
  case_number: "2026-000001"
  referral {
    office: "bb-nord"
    company_id: "HRB-1"
    company_name: "Gießerei Nord"
    contact { name: "Eva Berg" email: "eva@example.org" }
    topic: "emissionsschutz"
    subject: "Abluftfilter"
    text: "Brauchen wir eine neue Genehmigung?"
    priority: PRIORITY_HIGH
  }
  submitted_at_us: 10
  status: REFERRAL_STATUS_ROUTED
  assignee: "umwelt"
  responsible_department: "umwelt"
  due_at_us: 2000000
  warn_at_us: 1500000
  routed_at_us: 20
  updated_at_us: 20
  route_reason: "topic emissionsschutz belongs to umwelt"
)pb";

// Who asks, as text-format fields of a RoutingRequest or an Envelope.
const std::string kMia = R"pb(actor { kind: ACTOR_KIND_DEPARTMENT id: "umwelt" user: "mia" })pb";
const std::string kBauordnung =
    R"pb(actor { kind: ACTOR_KIND_DEPARTMENT id: "bauordnung" user: "bo" })pb";
const std::string kRouting = R"pb(actor { kind: ACTOR_KIND_SERVICE id: "routing" })pb";
const std::string kOffice = R"pb(actor { kind: ACTOR_KIND_OFFICE id: "bb-nord" })pb";
// The referral an event is about.
const std::string kAbout = R"pb(referral_id: "r1" case_number: "2026-000001")pb";

// What intake logs when the office submits `company_id`'s question on emissionsschutz.
std::string Submission(const std::string& company_id) {
  return absl::StrReplaceAll(R"pb(referral_id: "r9"
                                  case_number: "2026-000009"
                                  actor { kind: ACTOR_KIND_OFFICE id: "bb-nord" }
                                  referral_submitted {
                                    submitted_at_us: 77
                                    referral {
                                      office: "bb-nord"
                                      company_id: "$company"
                                      company_name: "Gießerei Nord"
                                      topic: "emissionsschutz"
                                      subject: "Abluftfilter"
                                      priority: PRIORITY_HIGH
                                    }
                                  })pb",
                             {{"$company", company_id}});
}

// One row: what happens to a referral, and what must come of it.
struct Row {
  std::string name{};
  // Given: text-format fields merged into kOpen (a submission starts from no state at all) ...
  std::string state{};
  // ... and one of: a command (RoutingRequest with actor), an event (Envelope: a submission or
  // feedback), or else the SLA timer of `timer` firing.
  std::string command{};
  std::string event{};
  lotse::v1::EscalationLevel timer = lotse::v1::ESCALATION_LEVEL_UNSPECIFIED;
  lotse::v1::Deadline deadline = lotse::v1::DEADLINE_ANSWER;  // which clock's timer
  std::string timer_department{};                             // DEADLINE_CONSULTATION

  // Accepted: the new state is the given one, updated now (if anything happened), with
  // `changes`; the events are `events` (text-format Envelopes; "$due" and "$warn" stand for the
  // new state's due and warning times).
  std::function<void(ReferralState&)> changes{};
  std::vector<std::string> events{};

  // Refused: the code, the field named, and a part of the message (what is wrong, what to do).
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string field{};
  std::string message{};
};

std::ostream& operator<<(std::ostream& out, const Row& row) { return out << row.name; }

bool IsSubmission(const Row& row) {
  return !row.event.empty() && Proto<Envelope>(row.event).has_referral_submitted();
}

ReferralState Given(const Row& row) {
  if (IsSubmission(row)) {
    return ReferralState();
  }
  ReferralState s = Proto<ReferralState>(kOpen);
  EXPECT_TRUE(google::protobuf::TextFormat::MergeFromString(row.state, &s)) << row.state;
  return s;
}

absl::StatusOr<Outcome> Decide(const ReferralState& s, const Row& row) {
  const Policy& policy = TestPolicy();
  if (!row.command.empty()) {
    const RoutingRequest r = Proto<RoutingRequest>(row.command);
    const OnReferral on{s, r.actor(), policy, Now()};
    switch (r.command_case()) {
      case RoutingRequest::kClaim:
        return Claim(on, r.claim());
      case RoutingRequest::kUnclaim:
        return Unclaim(on, r.unclaim());
      case RoutingRequest::kForward:
        return Forward(on, r.forward());
      case RoutingRequest::kConsult:
        return Consult(on, r.consult());
      case RoutingRequest::kContribute:
        return Contribute(on, r.contribute());
      case RoutingRequest::kAnswer:
        return Answer(on, r.answer());
      case RoutingRequest::kAskCompany:
        return AskCompany(on, r.ask_company());
      case RoutingRequest::kCompanyReplied:
        return CompanyReplied(on, r.company_replied());
      default:
        return absl::InternalError("the row's command is no changing command");
    }
  }
  if (IsSubmission(row)) {
    return Route(Proto<Envelope>(row.event), policy, Now());
  }
  if (!row.event.empty()) {
    const Envelope event = Proto<Envelope>(row.event);
    if (event.has_follow_up_asked()) {
      return Reopen(s, event, policy, Now());
    }
    return Close(s, event, policy, Now());
  }
  return Escalate(s, Timer{row.deadline, row.timer, row.timer_department}, policy, Now());
}

// ---------------------------------------------------------------------------------------------
// Accepted: every transition's success.

std::vector<Row> AcceptedRows() {
  return {
      {.name = "ClaimTakesTheReferralForTheStaffMember",
       .command = kMia + R"pb(claim { ref: "2026-000001" })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
             s.set_claimed_by("mia");
           },
       .events = {kMia + kAbout + R"pb(claimed { assignee: "umwelt" user: "mia" })pb"}},
      {.name = "UnclaimGivesTheReferralBackNamingWhoHadIt",
       .state = R"pb(status: REFERRAL_STATUS_CLAIMED claimed_by: "ole")pb",
       .command = kMia + R"pb(unclaim { ref: "2026-000001" })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
             s.clear_claimed_by();
           },
       .events = {kMia + kAbout + R"pb(unclaimed { assignee: "umwelt" user: "ole" })pb"}},
      {.name = "ForwardHandsTheReferralOnWithTheNewAssigneesTimes",
       .state = R"pb(status: REFERRAL_STATUS_CLAIMED
                     claimed_by: "ole"
                     forward_count: 1
                     warned: true
                     escalated: true)pb",
       .command = kMia + R"pb(forward {
                                ref: "2026-000001"
                                to: "wirtschaftsfoerderung"
                                reason: "Gewerbefläche"
                              })pb",
       .changes =
           [](ReferralState& s) {
             s.set_assignee("wirtschaftsfoerderung");
             s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
             s.clear_claimed_by();
             s.set_forward_count(2);
             // 8 business hours, Mon-Thu 08:00-17:00: due the same day, warned at 75 %.
             s.set_due_at_us(Micros(Berlin(2026, 3, 3, 17, 0)));
             s.set_warn_at_us(Micros(Berlin(2026, 3, 3, 15, 0)));
             s.set_warned(false);
             s.set_escalated(false);
             // First reaction: a quarter of the SLA, 2 hours; the second level 8 business
             // hours after the due time, Wednesday 16:00.
             s.set_first_reaction_due_at_us(Micros(Berlin(2026, 3, 3, 11, 0)));
             s.set_first_reaction_warn_at_us(Micros(Berlin(2026, 3, 3, 10, 30)));
             s.set_second_breach_at_us(Micros(Berlin(2026, 3, 4, 16, 0)));
             s.set_assignee_since_us(Micros(Now()));
           },
       .events = {kMia + kAbout + R"pb(forwarded {
                                         from: "umwelt"
                                         to: "wirtschaftsfoerderung"
                                         reason: "Gewerbefläche"
                                         due_at_us: $due
                                         warn_at_us: $warn
                                         forward_count: 2
                                         second_breach_at_us: $second
                                       })pb"}},
      {.name = "ConsultAsksEachDepartmentByItsOwnSla",
       // A department whose consultation is answered may be asked again.
       .state = R"pb(consultations { department: "bauordnung" contributed_at_us: 5 })pb",
       .command = kMia + R"pb(consult {
                                ref: "2026-000001"
                                departments: "bauordnung"
                                departments: "stadtplanung"
                                question: "Baurecht?"
                              })pb",
       .changes =
           [](ReferralState& s) {
             for (const char* d : {"bauordnung", "stadtplanung"}) {
               lotse::v1::Consultation* c = s.add_consultations();
               c->set_department(d);
               c->set_question("Baurecht?");
               c->set_asked_by("umwelt");
               c->set_opened_at_us(Micros(Now()));
             }
             // 40 business hours each: Bauordnung (Thu until 18:00) is due Tuesday 10:30,
             // Stadtplanung Tuesday 12:30; warned after 30 hours, Monday.
             s.mutable_consultations(1)->set_due_at_us(Micros(Berlin(2026, 3, 10, 10, 30)));
             s.mutable_consultations(1)->set_warn_at_us(Micros(Berlin(2026, 3, 9, 8, 30)));
             s.mutable_consultations(2)->set_due_at_us(Micros(Berlin(2026, 3, 10, 12, 30)));
             s.mutable_consultations(2)->set_warn_at_us(Micros(Berlin(2026, 3, 9, 10, 30)));
           },
       .events = {kMia + kAbout + R"pb(consultation_opened {
                                         assignee: "umwelt"
                                         departments: "bauordnung"
                                         departments: "stadtplanung"
                                         question: "Baurecht?"
                                         due_at_us: $c1due
                                       })pb"}},
      {.name = "ContributeAnswersTheDepartmentsOpenConsultation",
       .state = R"pb(consultations {
                       department: "bauordnung"
                       question: "q1"
                       contribution: "alt"
                       contributed_at_us: 5
                     }
                     consultations { department: "bauordnung" question: "q2" })pb",
       .command = kBauordnung + R"pb(contribute { ref: "2026-000001" text: "Zulässig" })pb",
       .changes =
           [](ReferralState& s) {
             s.mutable_consultations(1)->set_contribution("Zulässig");
             s.mutable_consultations(1)->set_contributed_at_us(Micros(Now()));
           },
       .events = {kBauordnung + kAbout +
                  R"pb(contribution_added { department: "bauordnung" text: "Zulässig" })pb"}},
      {.name = "AnswerStoresTheAnswerForTheOffice",
       .state = R"pb(status: REFERRAL_STATUS_CLAIMED claimed_by: "mia")pb",
       .command =
           kMia +
           R"pb(answer { ref: "2026-000001" text: "Keine nötig" outcome: OUTCOME_RESOLVED })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
             lotse::v1::Answer* a = s.mutable_answer();
             a->set_department("umwelt");
             a->set_user("mia");
             a->set_text("Keine nötig");
             a->set_outcome(lotse::v1::OUTCOME_RESOLVED);
             a->set_answered_at_us(Micros(Now()));
           },
       .events = {kMia + kAbout + R"pb(answered {
                                         answer {
                                           department: "umwelt"
                                           user: "mia"
                                           text: "Keine nötig"
                                           outcome: OUTCOME_RESOLVED
                                           answered_at_us: $now
                                         }
                                         office: "bb-nord"
                                       })pb"}},
      {.name = "RouteSendsTheTopicToItsDepartment",
       .event = Submission("HRB-1"),
       .changes =
           [](ReferralState& s) {
             s = Proto<ReferralState>(kOpen);
             s.set_referral_id("r9");
             s.set_case_number("2026-000009");
             s.mutable_referral()->clear_contact();
             s.mutable_referral()->clear_text();
             s.set_submitted_at_us(77);
             // 24 business hours, Mon-Thu 08:00-16:00, Fri 08:00-12:30: due Friday 09:00.
             s.set_due_at_us(Micros(Berlin(2026, 3, 6, 9, 0)));
             s.set_warn_at_us(Micros(Berlin(2026, 3, 5, 11, 0)));
             // First reaction: a quarter of 24 hours; the second level 8 business hours after
             // the due time (Friday until 12:30, then Monday).
             s.set_first_reaction_due_at_us(Micros(Berlin(2026, 3, 3, 15, 0)));
             s.set_first_reaction_warn_at_us(Micros(Berlin(2026, 3, 3, 13, 30)));
             s.set_second_breach_at_us(Micros(Berlin(2026, 3, 9, 12, 30)));
             s.set_assignee_since_us(Micros(Now()));
             s.set_routed_at_us(Micros(Now()));
             s.set_updated_at_us(Micros(Now()));
           },
       .events = {kRouting + R"pb(referral_id: "r9"
                                  case_number: "2026-000009"
                                  referral_routed {
                                    assignee: "umwelt"
                                    responsible_department: "umwelt"
                                    due_at_us: $due
                                    warn_at_us: $warn
                                    reason: "topic emissionsschutz belongs to umwelt"
                                    office: "bb-nord"
                                    topic: "emissionsschutz"
                                    priority: PRIORITY_HIGH
                                    subject: "Abluftfilter"
                                    company_name: "Gießerei Nord"
                                    first_reaction_due_at_us: $frdue
                                    first_reaction_warn_at_us: $frwarn
                                    second_breach_at_us: $second
                                  })pb"}},
      {.name = "RouteSendsAKeyAccountCompanyToItsManagerFirst",
       .event = Submission("HRB-20417"),
       .changes =
           [](ReferralState& s) {
             s = Proto<ReferralState>(kOpen);
             s.set_referral_id("r9");
             s.set_case_number("2026-000009");
             s.mutable_referral()->clear_contact();
             s.mutable_referral()->clear_text();
             s.mutable_referral()->set_company_id("HRB-20417");
             s.set_submitted_at_us(77);
             s.set_assignee("kam-schneider");
             s.set_key_account("kam-schneider");
             // The manager's home department's clock: 8 hours, Mon-Thu 08:00-17:00.
             s.set_due_at_us(Micros(Berlin(2026, 3, 3, 17, 0)));
             s.set_warn_at_us(Micros(Berlin(2026, 3, 3, 15, 0)));
             s.set_first_reaction_due_at_us(Micros(Berlin(2026, 3, 3, 11, 0)));
             s.set_first_reaction_warn_at_us(Micros(Berlin(2026, 3, 3, 10, 30)));
             s.set_second_breach_at_us(Micros(Berlin(2026, 3, 4, 16, 0)));
             s.set_assignee_since_us(Micros(Now()));
             s.set_routed_at_us(Micros(Now()));
             s.set_updated_at_us(Micros(Now()));
             s.set_route_reason(
                 "company HRB-20417 has key account manager Anna Schneider (kam-schneider); "
                 "topic emissionsschutz belongs to umwelt");
           },
       .events =
           {kRouting +
            R"pb(referral_id: "r9"
                 case_number: "2026-000009"
                 referral_routed {
                   assignee: "kam-schneider"
                   responsible_department: "umwelt"
                   key_account: "kam-schneider"
                   due_at_us: $due
                   warn_at_us: $warn
                   reason: "company HRB-20417 has key account manager Anna Schneider (kam-schneider); topic emissionsschutz belongs to umwelt"
                   office: "bb-nord"
                   topic: "emissionsschutz"
                   priority: PRIORITY_HIGH
                   subject: "Abluftfilter"
                   company_name: "Gießerei Nord"
                   first_reaction_due_at_us: $frdue
                   first_reaction_warn_at_us: $frwarn
                   second_breach_at_us: $second
                 })pb"}},
      {.name = "EscalateWarnsBeforeTheDueTime",
       .state =
           R"pb(status: REFERRAL_STATUS_CLAIMED claimed_by: "mia" key_account: "kam-schneider")pb",
       .timer = lotse::v1::ESCALATION_LEVEL_WARNING,
       .changes = [](ReferralState& s) { s.set_warned(true); },
       .events = {kRouting + kAbout + R"pb(escalated {
                                             assignee: "umwelt"
                                             level: ESCALATION_LEVEL_WARNING
                                             due_at_us: 2000000
                                             key_account: "kam-schneider"
                                             deadline: DEADLINE_ANSWER
                                           })pb"}},
      {.name = "EscalateAtTheBreachAfterTheWarning",
       .state = R"pb(warned: true)pb",
       .timer = lotse::v1::ESCALATION_LEVEL_BREACH,
       .changes = [](ReferralState& s) { s.set_escalated(true); },
       .events = {kRouting + kAbout + R"pb(escalated {
                                             assignee: "umwelt"
                                             level: ESCALATION_LEVEL_BREACH
                                             due_at_us: 2000000
                                             deadline: DEADLINE_ANSWER
                                             notify_staff: "um-wagner"
                                           })pb"}},
      {.name = "EscalateAtTheBreachAlsoCountsAsTheWarning",
       .timer = lotse::v1::ESCALATION_LEVEL_BREACH,
       .changes =
           [](ReferralState& s) {
             s.set_warned(true);
             s.set_escalated(true);
           },
       .events = {kRouting + kAbout + R"pb(escalated {
                                             assignee: "umwelt"
                                             level: ESCALATION_LEVEL_BREACH
                                             due_at_us: 2000000
                                             deadline: DEADLINE_ANSWER
                                             notify_staff: "um-wagner"
                                           })pb"}},
      {.name = "CloseKeepsTheOfficesFeedback",
       .state = R"pb(status: REFERRAL_STATUS_ANSWERED)pb",
       .event = kOffice + kAbout + R"pb(occurred_at_us: 555
                                        feedback_submitted {
                                          office: "bb-nord"
                                          rating: 4
                                          resolved: true
                                          comment: "Danke"
                                        })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
             lotse::v1::Feedback* f = s.mutable_feedback();
             f->set_rating(4);
             f->set_resolved(true);
             f->set_comment("Danke");
             f->set_submitted_at_us(555);
           },
       .events = {kOffice + kAbout +
                  R"pb(closed {
                         feedback { rating: 4 resolved: true comment: "Danke" submitted_at_us: 555 }
                         office: "bb-nord"
                       })pb"}},
      {.name = "CloseOfAClosedReferralChangesNothing",
       .state = R"pb(status: REFERRAL_STATUS_CLOSED)pb",
       .event = kOffice + kAbout + R"pb(feedback_submitted { office: "bb-nord" rating: 1 })pb"},
      // Case work: the first reaction, questions back, consultation deadlines, the ladder,
      // reopening.
      {.name = "ClaimIsTheFirstReaction",
       .state = R"pb(first_reaction_due_at_us: 3000000)pb",
       .command = kMia + R"pb(claim { ref: "2026-000001" })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
             s.set_claimed_by("mia");
             s.set_first_reacted_at_us(Micros(Now()));
           },
       .events = {kMia + kAbout + R"pb(claimed { assignee: "umwelt" user: "mia" })pb"}},
      {.name = "ClaimAfterTheFirstReactionKeepsIt",
       .state = R"pb(first_reaction_due_at_us: 3000000 first_reacted_at_us: 44)pb",
       .command = kMia + R"pb(claim { ref: "2026-000001" })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
             s.set_claimed_by("mia");
           },
       .events = {kMia + kAbout + R"pb(claimed { assignee: "umwelt" user: "mia" })pb"}},
      {.name = "AskCompanyPausesTheAnswerClockAndIsAReaction",
       .state = R"pb(first_reaction_due_at_us: 3000000)pb",
       .command = kMia + R"pb(ask_company { ref: "2026-000001" question: "Welche Anlage?" })pb",
       .changes =
           [](ReferralState& s) {
             s.set_waiting_since_us(Micros(Now()));
             s.set_first_reacted_at_us(Micros(Now()));
             lotse::v1::CompanyQuestion* q = s.add_company_questions();
             q->set_question("Welche Anlage?");
             q->set_asked_by("mia");
             q->set_asked_at_us(Micros(Now()));
           },
       .events = {kMia + kAbout + R"pb(company_asked {
                                         office: "bb-nord"
                                         question: "Welche Anlage?"
                                         asked_by: "mia"
                                         assignee: "umwelt"
                                       })pb"}},
      {.name = "CompanyRepliedMovesTheTimesByThePausedBusinessTime",
       // Asked Monday 15:00, replied Tuesday 09:00: 1 hour Monday, 1 hour Tuesday.
       .state = absl::StrCat(
           "waiting_since_us: ", Micros(Berlin(2026, 3, 2, 15, 0)), " due_at_us: ",
           Micros(Berlin(2026, 3, 5, 12, 0)), " warn_at_us: ", Micros(Berlin(2026, 3, 4, 10, 0)),
           " second_breach_at_us: ", Micros(Berlin(2026, 3, 6, 10, 0)), " paused_business_us: 5",
           " company_questions { question: 'Welche Anlage?' asked_by: 'mia' }"),
       .command = kOffice + R"pb(company_replied { ref: "2026-000001" text: "Filter B" })pb",
       .changes =
           [](ReferralState& s) {
             constexpr int64_t kTwoHours = 2LL * 3600 * 1000000;
             s.set_waiting_since_us(0);
             s.set_due_at_us(Micros(Berlin(2026, 3, 5, 14, 0)));
             s.set_warn_at_us(Micros(Berlin(2026, 3, 4, 12, 0)));
             s.set_second_breach_at_us(Micros(Berlin(2026, 3, 6, 12, 0)));
             s.set_paused_business_us(5 + kTwoHours);
             lotse::v1::CompanyQuestion* q = s.mutable_company_questions(0);
             q->set_reply("Filter B");
             q->set_replied_by("bb-nord");
             q->set_replied_at_us(Micros(Now()));
             q->set_paused_business_us(kTwoHours);
           },
       .events = {kOffice + kAbout + R"pb(company_replied {
                                            text: "Filter B"
                                            replied_by: "bb-nord"
                                            paused_business_us: 7200000000
                                            due_at_us: $due
                                            warn_at_us: $warn
                                            assignee: "umwelt"
                                          })pb"}},
      {.name = "CompanyRepliedByTheAssignee",
       .state = absl::StrCat("waiting_since_us: ", Micros(Now()),
                             " company_questions { question: 'q' }"),
       .command = kMia + R"pb(company_replied { ref: "2026-000001" text: "t" })pb",
       .changes =
           [](ReferralState& s) {
             s.set_waiting_since_us(0);
             lotse::v1::CompanyQuestion* q = s.mutable_company_questions(0);
             q->set_reply("t");
             q->set_replied_by("umwelt");
             q->set_replied_at_us(Micros(Now()));
           },
       .events = {kMia + kAbout + R"pb(company_replied {
                                         text: "t"
                                         replied_by: "umwelt"
                                         due_at_us: 2000000
                                         warn_at_us: 1500000
                                         assignee: "umwelt"
                                       })pb"}},
      {.name = "ConsultWithAnEarlierDueTime",
       .state = absl::StrCat("due_at_us: ", Micros(Berlin(2026, 3, 6, 9, 0))),
       .command = absl::StrCat(kMia, "consult { ref: '2026-000001' departments: 'bauordnung' ",
                               "question: 'q' due_at_us: ", Micros(Berlin(2026, 3, 4, 9, 0)), " }"),
       .changes =
           [](ReferralState& s) {
             lotse::v1::Consultation* c = s.add_consultations();
             c->set_department("bauordnung");
             c->set_question("q");
             c->set_asked_by("umwelt");
             c->set_opened_at_us(Micros(Now()));
             // 8 business hours until Wednesday 09:00 (Tue 09-16, Wed 08-09), warned at 6.
             c->set_due_at_us(Micros(Berlin(2026, 3, 4, 9, 0)));
             c->set_warn_at_us(Micros(Berlin(2026, 3, 3, 15, 0)));
           },
       .events = {kMia + kAbout + R"pb(consultation_opened {
                                         assignee: "umwelt"
                                         departments: "bauordnung"
                                         question: "q"
                                         due_at_us: $c0due
                                       })pb"}},
      {.name = "AnswerWithOpenConsultationsConfirmed",
       .state = R"pb(consultations { department: "bauordnung" }
                     waiting_since_us: 9)pb",
       .command = kMia + R"pb(answer {
                                ref: "2026-000001"
                                text: "Keine nötig"
                                outcome: OUTCOME_RESOLVED
                                confirm_open_consultations: true
                              })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
             s.set_waiting_since_us(0);
             lotse::v1::Answer* a = s.mutable_answer();
             a->set_department("umwelt");
             a->set_user("mia");
             a->set_text("Keine nötig");
             a->set_outcome(lotse::v1::OUTCOME_RESOLVED);
             a->set_answered_at_us(Micros(Now()));
           },
       .events = {kMia + kAbout + R"pb(answered {
                                         answer {
                                           department: "umwelt"
                                           user: "mia"
                                           text: "Keine nötig"
                                           outcome: OUTCOME_RESOLVED
                                           answered_at_us: $now
                                         }
                                         office: "bb-nord"
                                       })pb"}},
      {.name = "EscalateTheFirstReactionReachesContactAndLead",
       .state = R"pb(first_reaction_due_at_us: 1000000
                     contact_person { id: "um-kurz" department: "umwelt" })pb",
       .timer = lotse::v1::ESCALATION_LEVEL_BREACH,
       .deadline = lotse::v1::DEADLINE_FIRST_REACTION,
       .changes =
           [](ReferralState& s) {
             s.set_first_reaction_warned(true);
             s.set_first_reaction_escalated(true);
           },
       .events = {kRouting + kAbout + R"pb(escalated {
                                             assignee: "umwelt"
                                             level: ESCALATION_LEVEL_BREACH
                                             due_at_us: 1000000
                                             deadline: DEADLINE_FIRST_REACTION
                                             notify_staff: [ "um-kurz", "um-wagner" ]
                                           })pb"}},
      {.name = "EscalateTheWarningReachesTheContactOnly",
       .state = R"pb(contact_person { id: "um-kurz" department: "umwelt" })pb",
       .timer = lotse::v1::ESCALATION_LEVEL_WARNING,
       .changes = [](ReferralState& s) { s.set_warned(true); },
       .events = {kRouting + kAbout + R"pb(escalated {
                                             assignee: "umwelt"
                                             level: ESCALATION_LEVEL_WARNING
                                             due_at_us: 2000000
                                             deadline: DEADLINE_ANSWER
                                             notify_staff: "um-kurz"
                                           })pb"}},
      {.name = "EscalateTheSecondLevelReachesTheHead",
       .state = R"pb(warned: true
                     escalated: true
                     second_breach_at_us: 2500000
                     contact_person { id: "um-wagner" department: "umwelt" })pb",
       .timer = lotse::v1::ESCALATION_LEVEL_SECOND_BREACH,
       .changes = [](ReferralState& s) { s.set_second_escalated(true); },
       .events = {kRouting + kAbout + R"pb(escalated {
                                             assignee: "umwelt"
                                             level: ESCALATION_LEVEL_SECOND_BREACH
                                             due_at_us: 2000000
                                             deadline: DEADLINE_ANSWER
                                             notify_staff: [ "um-wagner", "head" ]
                                           })pb"}},
      {.name = "EscalateAConsultationReachesItsDepartmentsLead",
       .state = R"pb(consultations {
                       department: "bauordnung"
                       due_at_us: 1800000
                       warn_at_us: 1700000
                       warned: true
                     }
                     contact_person { id: "um-kurz" })pb",
       .timer = lotse::v1::ESCALATION_LEVEL_BREACH,
       .deadline = lotse::v1::DEADLINE_CONSULTATION,
       .timer_department = "bauordnung",
       .changes = [](ReferralState& s) { s.mutable_consultations(0)->set_escalated(true); },
       .events = {kRouting + kAbout + R"pb(escalated {
                                             assignee: "umwelt"
                                             level: ESCALATION_LEVEL_BREACH
                                             due_at_us: 1800000
                                             deadline: DEADLINE_CONSULTATION
                                             department: "bauordnung"
                                             notify_staff: "bo-becker"
                                           })pb"}},
      {.name = "CloseNotResolvedReopensWithTheSameAssignee",
       .state = R"pb(status: REFERRAL_STATUS_ANSWERED
                     answer { department: "umwelt" text: "alt" }
                     contact_person { id: "um-wagner" department: "umwelt" }
                     warned: true
                     escalated: true
                     first_reacted_at_us: 30
                     reopen_count: 1)pb",
       .event = kOffice + kAbout +
                R"pb(occurred_at_us: 555
                     feedback_submitted { office: "bb-nord" rating: 2 resolved: false })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
             s.clear_answer();
             s.mutable_feedback()->set_rating(2);
             s.mutable_feedback()->set_submitted_at_us(555);
             s.set_reopen_count(2);
             s.set_warned(false);
             s.set_escalated(false);
             s.set_first_reacted_at_us(0);
             // The clocks start afresh: as when routed now (see RouteSendsTheTopicToItsDepartment).
             s.set_due_at_us(Micros(Berlin(2026, 3, 6, 9, 0)));
             s.set_warn_at_us(Micros(Berlin(2026, 3, 5, 11, 0)));
             s.set_first_reaction_due_at_us(Micros(Berlin(2026, 3, 3, 15, 0)));
             s.set_first_reaction_warn_at_us(Micros(Berlin(2026, 3, 3, 13, 30)));
             s.set_second_breach_at_us(Micros(Berlin(2026, 3, 9, 12, 30)));
             s.set_assignee_since_us(Micros(Now()));
           },
       .events = {kOffice + kAbout + R"pb(reopened {
                                            assignee: "umwelt"
                                            contact_person { id: "um-wagner" department: "umwelt" }
                                            reason: "feedback: not resolved"
                                            due_at_us: $due
                                            warn_at_us: $warn
                                            reopen_count: 2
                                            office: "bb-nord"
                                          })pb"}},
      {.name = "CloseAfterTheReopenedReferralIsAnsweredAgain",
       .state = R"pb(status: REFERRAL_STATUS_ANSWERED
                     reopen_count: 1
                     feedback { rating: 2 resolved: false submitted_at_us: 100 })pb",
       .event = kOffice + kAbout +
                R"pb(occurred_at_us: 555
                     feedback_submitted { office: "bb-nord" rating: 5 resolved: true })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
             lotse::v1::Feedback* f = s.mutable_feedback();
             f->set_rating(5);
             f->set_resolved(true);
             f->set_submitted_at_us(555);
           },
       .events = {kOffice + kAbout +
                  R"pb(closed {
                         feedback { rating: 5 resolved: true submitted_at_us: 555 }
                         office: "bb-nord"
                       })pb"}},
      {.name = "FollowUpReopensAClosedReferral",
       .state = R"pb(status: REFERRAL_STATUS_CLOSED
                     feedback { rating: 5 resolved: true })pb",
       .event = kOffice + kAbout + R"pb(follow_up_asked { office: "bb-nord" text: "Und?" })pb",
       .changes =
           [](ReferralState& s) {
             s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
             s.set_reopen_count(1);
             s.set_due_at_us(Micros(Berlin(2026, 3, 6, 9, 0)));
             s.set_warn_at_us(Micros(Berlin(2026, 3, 5, 11, 0)));
             s.set_first_reaction_due_at_us(Micros(Berlin(2026, 3, 3, 15, 0)));
             s.set_first_reaction_warn_at_us(Micros(Berlin(2026, 3, 3, 13, 30)));
             s.set_second_breach_at_us(Micros(Berlin(2026, 3, 9, 12, 30)));
             s.set_assignee_since_us(Micros(Now()));
           },
       .events = {kOffice + kAbout + R"pb(reopened {
                                            assignee: "umwelt"
                                            reason: "follow-up question"
                                            due_at_us: $due
                                            warn_at_us: $warn
                                            reopen_count: 1
                                            office: "bb-nord"
                                          })pb"}},
      {.name = "FollowUpOnAnOpenReferralChangesNothing",
       .event = kOffice + kAbout + R"pb(follow_up_asked { office: "bb-nord" text: "Und?" })pb"},
  };
}

class AcceptedTest : public testing::TestWithParam<Row> {};

TEST_P(AcceptedTest, ChangesTheStateAndProducesTheEvents) {
  const Row& row = GetParam();
  const ReferralState given = Given(row);
  const absl::StatusOr<Outcome> got = Decide(given, row);
  ASSERT_TRUE(got.ok()) << got.status();
  ReferralState want = given;
  if (!row.events.empty()) {
    want.set_updated_at_us(Micros(Now()));
  }
  if (row.changes) {
    row.changes(want);
  }
  EXPECT_EQ(got->state.DebugString(), want.DebugString());
  std::vector<std::string> want_events;
  for (const std::string& text : row.events) {
    const int64_t c0due = want.consultations_size() > 0 ? want.consultations(0).due_at_us() : 0;
    const int64_t c1due = want.consultations_size() > 1 ? want.consultations(1).due_at_us() : 0;
    want_events.push_back(
        Proto<Envelope>(absl::StrReplaceAll(
                            text, {{"$due", std::to_string(want.due_at_us())},
                                   {"$warn", std::to_string(want.warn_at_us())},
                                   {"$frdue", std::to_string(want.first_reaction_due_at_us())},
                                   {"$frwarn", std::to_string(want.first_reaction_warn_at_us())},
                                   {"$second", std::to_string(want.second_breach_at_us())},
                                   {"$c0due", std::to_string(c0due)},
                                   {"$c1due", std::to_string(c1due)},
                                   {"$now", std::to_string(Micros(Now()))}}))
            .DebugString());
  }
  std::vector<std::string> got_events;
  for (const Envelope& event : got->events) {
    got_events.push_back(event.DebugString());
  }
  EXPECT_EQ(got_events, want_events);
}

INSTANTIATE_TEST_SUITE_P(Transitions, AcceptedTest, testing::ValuesIn(AcceptedRows()),
                         [](const testing::TestParamInfo<Row>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Refused: every refusal of every transition.

std::vector<Row> RefusedRows() {
  using absl::StatusCode;
  const std::string not_yours = "Check the case number";
  const std::string not_open = "is REFERRAL_STATUS_ANSWERED and can no longer be worked on";
  const std::string answered = R"pb(status: REFERRAL_STATUS_ANSWERED)pb";
  const std::string consulted = R"pb(consultations { department: "bauordnung" })pb";
  const std::string long_reason(2001, 'x');
  const size_t max_text = TestPolicy().max_text_bytes;  // limits.max_text_bytes
  const std::string long_text(max_text + 1, 'x');
  const std::string shorten_text = absl::StrCat("at most ", max_text, " are allowed: shorten it");
  return {
      // claim
      {.name = "ClaimByAnotherDepartment",
       .command = kBauordnung + R"pb(claim { ref: "2026-000001" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "ClaimOfAnAnsweredReferral",
       .state = answered,
       .command = kMia + R"pb(claim { ref: "2026-000001" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = not_open},
      {.name = "ClaimWithoutAStaffMember",
       .command = R"pb(actor { kind: ACTOR_KIND_DEPARTMENT id: "umwelt" }
                       claim { ref: "2026-000001" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "user",
       .message = "user is required"},
      {.name = "ClaimOfAClaimedReferral",
       .state = R"pb(status: REFERRAL_STATUS_CLAIMED claimed_by: "ole")pb",
       .command = kMia + R"pb(claim { ref: "2026-000001" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = "already claimed by ole: ask them, or unclaim it first"},
      // unclaim
      {.name = "UnclaimByAnotherDepartment",
       .state = R"pb(status: REFERRAL_STATUS_CLAIMED claimed_by: "ole")pb",
       .command = kBauordnung + R"pb(unclaim { ref: "2026-000001" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "UnclaimOfAClosedReferral",
       .state = R"pb(status: REFERRAL_STATUS_CLOSED)pb",
       .command = kMia + R"pb(unclaim { ref: "2026-000001" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = "is REFERRAL_STATUS_CLOSED and can no longer be worked on"},
      {.name = "UnclaimOfAnUnclaimedReferral",
       .command = kMia + R"pb(unclaim { ref: "2026-000001" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = "referral 2026-000001 is not claimed"},
      // forward
      {.name = "ForwardByAnotherDepartment",
       .command = kBauordnung + R"pb(forward { ref: "2026-000001" to: "tiefbau" reason: "r" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "ForwardOfAnAnsweredReferral",
       .state = answered,
       .command = kMia + R"pb(forward { ref: "2026-000001" to: "tiefbau" reason: "r" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = not_open},
      {.name = "ForwardToAnUnknownDepartment",
       .command = kMia + R"pb(forward { ref: "2026-000001" to: "raumfahrt" reason: "r" })pb",
       .code = StatusCode::kNotFound,
       .field = "to",
       .message = "department 'raumfahrt' is unknown: see 'lotse departments'"},
      {.name = "ForwardToTheDepartmentThatHasIt",
       .command = kMia + R"pb(forward { ref: "2026-000001" to: "umwelt" reason: "r" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "to",
       .message = "cannot be forwarded to the department that has it"},
      {.name = "ForwardWithoutAReason",
       .command = kMia + R"pb(forward { ref: "2026-000001" to: "tiefbau" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "reason",
       .message = "reason is required"},
      {.name = "ForwardWithAReasonTooLong",
       .command = absl::StrCat(kMia, "forward { ref: '2026-000001' to: 'tiefbau' reason: '",
                               long_reason, "' }"),
       .code = StatusCode::kInvalidArgument,
       .field = "reason",
       .message = "at most 2000 are allowed: shorten it"},
      {.name = "ForwardBeyondTheLimit",
       .state = R"pb(forward_count: 3)pb",
       .command = kMia + R"pb(forward { ref: "2026-000001" to: "tiefbau" reason: "r" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "to",
       .message = "forwarded 3 times (the limit): answer it, or ask the responsible department "
                  "by consultation"},
      // consult
      {.name = "ConsultByAnotherDepartment",
       .command = kBauordnung +
                  R"pb(consult { ref: "2026-000001" departments: "tiefbau" question: "q" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "ConsultOnAnAnsweredReferral",
       .state = answered,
       .command =
           kMia + R"pb(consult { ref: "2026-000001" departments: "tiefbau" question: "q" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = not_open},
      {.name = "ConsultOfNoDepartment",
       .command = kMia + R"pb(consult { ref: "2026-000001" question: "q" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "departments",
       .message = "name 1 to 10 departments to consult"},
      {.name = "ConsultOfElevenDepartments",
       .command =
           kMia + R"pb(consult {
                         ref: "2026-000001"
                         question: "q"
                         departments: [ "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k" ]
                       })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "departments",
       .message = "name 1 to 10 departments to consult"},
      {.name = "ConsultWithoutAQuestion",
       .command = kMia + R"pb(consult { ref: "2026-000001" departments: "tiefbau" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "question",
       .message = "question is required"},
      {.name = "ConsultOfAnUnknownDepartment",
       .command = kMia + R"pb(consult {
                                ref: "2026-000001"
                                question: "q"
                                departments: [ "tiefbau", "raumfahrt" ]
                              })pb",
       .code = StatusCode::kNotFound,
       .field = "departments",
       .message = "department 'raumfahrt' is unknown: see 'lotse departments'"},
      {.name = "ConsultOfTheAssigneeItself",
       .command =
           kMia + R"pb(consult { ref: "2026-000001" departments: "umwelt" question: "q" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "departments",
       .message = "department 'umwelt' is named twice or has the referral itself"},
      {.name = "ConsultNamingADepartmentTwice",
       .command = kMia + R"pb(consult {
                                ref: "2026-000001"
                                question: "q"
                                departments: [ "tiefbau", "tiefbau" ]
                              })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "departments",
       .message = "department 'tiefbau' is named twice or has the referral itself"},
      {.name = "ConsultOfADepartmentConsultedAlready",
       .state = consulted,
       .command =
           kMia + R"pb(consult { ref: "2026-000001" departments: "bauordnung" question: "q" })pb",
       .code = StatusCode::kAlreadyExists,
       .field = "departments",
       .message = "department 'bauordnung' is already consulted on this referral"},
      // contribute
      {.name = "ContributeByADepartmentNotConsulted",
       .command = kBauordnung + R"pb(contribute { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "ContributeByTheAssignee",
       .state = consulted,
       .command = kMia + R"pb(contribute { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "ContributeToAnAnsweredReferral",
       .state = consulted + answered,
       .command = kBauordnung + R"pb(contribute { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = "referral 2026-000001 is already answered"},
      {.name = "ContributeWithoutText",
       .state = consulted,
       .command = kBauordnung + R"pb(contribute { ref: "2026-000001" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "text",
       .message = "text is required"},
      {.name = "ContributeWithATextTooLong",
       .state = consulted,
       .command =
           absl::StrCat(kBauordnung, "contribute { ref: '2026-000001' text: '", long_text, "' }"),
       .code = StatusCode::kInvalidArgument,
       .field = "text",
       .message = shorten_text},
      {.name = "ContributeTwice",
       .state = R"pb(consultations { department: "bauordnung" contributed_at_us: 5 })pb",
       .command = kBauordnung + R"pb(contribute { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = "bauordnung has no open consultation on referral 2026-000001"},
      // answer
      {.name = "AnswerByAnotherDepartment",
       .command =
           kBauordnung + R"pb(answer { ref: "2026-000001" text: "t" outcome: OUTCOME_RESOLVED })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "AnswerOfAnAnsweredReferral",
       .state = answered,
       .command = kMia + R"pb(answer { ref: "2026-000001" text: "t" outcome: OUTCOME_RESOLVED })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = not_open},
      {.name = "AnswerWithoutAStaffMember",
       .command = R"pb(actor { kind: ACTOR_KIND_DEPARTMENT id: "umwelt" }
                       answer { ref: "2026-000001" text: "t" outcome: OUTCOME_RESOLVED })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "user",
       .message = "user is required"},
      {.name = "AnswerWithoutText",
       .command = kMia + R"pb(answer { ref: "2026-000001" outcome: OUTCOME_RESOLVED })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "text",
       .message = "text is required"},
      {.name = "AnswerWithATextTooLong",
       .command = absl::StrCat(kMia, "answer { ref: '2026-000001' outcome: OUTCOME_RESOLVED ",
                               "text: '", long_text, "' }"),
       .code = StatusCode::kInvalidArgument,
       .field = "text",
       .message = shorten_text},
      {.name = "AnswerWithoutAnOutcome",
       .command = kMia + R"pb(answer { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "outcome",
       .message = "outcome must be resolved, partly or not-responsible"},
      {.name = "AnswerWithAnUnknownOutcome",
       .command = kMia + R"pb(answer { ref: "2026-000001" text: "t" outcome: 99 })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "outcome",
       .message = "outcome must be resolved, partly or not-responsible"},
      // route (the rules' own refusal)
      {.name = "RouteOfAnUnknownTopic",
       .event = R"pb(referral_id: "r9"
                     case_number: "2026-000009"
                     referral_submitted { referral { office: "bb-nord" topic: "raumfahrt" } })pb",
       .code = StatusCode::kNotFound,
       .message = "topic 'raumfahrt' is not configured"},
      // escalate
      {.name = "EscalateAnAnsweredReferral",
       .state = answered,
       .timer = lotse::v1::ESCALATION_LEVEL_WARNING,
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = not_open},
      {.name = "EscalateTheWarningTwice",
       .state = R"pb(warned: true)pb",
       .timer = lotse::v1::ESCALATION_LEVEL_WARNING,
       .code = StatusCode::kFailedPrecondition,
       .message = "referral 2026-000001 was already warned"},
      {.name = "EscalateTheBreachTwice",
       .state = R"pb(warned: true escalated: true)pb",
       .timer = lotse::v1::ESCALATION_LEVEL_BREACH,
       .code = StatusCode::kFailedPrecondition,
       .message = "referral 2026-000001 was already escalated"},
      {.name = "EscalateAtNoLevel",
       .timer = lotse::v1::ESCALATION_LEVEL_UNSPECIFIED,
       .code = StatusCode::kInvalidArgument,
       .message = "is neither warning nor breach"},
      // ask the company
      {.name = "AskCompanyByAnotherDepartment",
       .command = kBauordnung + R"pb(ask_company { ref: "2026-000001" question: "q" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "AskCompanyByAConsultedDepartment",
       .state = consulted,
       .command = kBauordnung + R"pb(ask_company { ref: "2026-000001" question: "q" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "AskCompanyWhileWaiting",
       .state = R"pb(waiting_since_us: 9
                     company_questions { question: "q0" })pb",
       .command = kMia + R"pb(ask_company { ref: "2026-000001" question: "q" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = "already waits on the company's reply to a question back: enter that reply "
                  "with 'lotse company-replied' first"},
      {.name = "AskCompanyWithoutAQuestion",
       .command = kMia + R"pb(ask_company { ref: "2026-000001" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "question",
       .message = "question is required"},
      {.name = "AskCompanyAboutAnAnsweredReferral",
       .state = answered,
       .command = kMia + R"pb(ask_company { ref: "2026-000001" question: "q" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = not_open},
      // the company's reply
      {.name = "CompanyRepliedByAnotherOffice",
       .state = R"pb(waiting_since_us: 9
                     company_questions { question: "q0" })pb",
       .command = R"pb(actor { kind: ACTOR_KIND_OFFICE id: "bb-mitte" }
                       company_replied { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "CompanyRepliedByAConsultedDepartment",
       .state = R"pb(waiting_since_us: 9
                     company_questions { question: "q0" }
                     consultations { department: "bauordnung" })pb",
       .command = kBauordnung + R"pb(company_replied { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kNotFound,
       .field = "ref",
       .message = not_yours},
      {.name = "CompanyRepliedWhileNotWaiting",
       .command = kOffice + R"pb(company_replied { ref: "2026-000001" text: "t" })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "ref",
       .message = "does not wait on the company: no question back is open"},
      {.name = "CompanyRepliedWithoutText",
       .state = R"pb(waiting_since_us: 9
                     company_questions { question: "q0" })pb",
       .command = kOffice + R"pb(company_replied { ref: "2026-000001" })pb",
       .code = StatusCode::kInvalidArgument,
       .field = "text",
       .message = "text is required"},
      // consultation deadlines
      {.name = "ConsultDueInThePast",
       .command = absl::StrCat(kMia, "consult { ref: '2026-000001' departments: 'bauordnung' ",
                               "question: 'q' due_at_us: ", Micros(Now()), " }"),
       .code = StatusCode::kInvalidArgument,
       .field = "due",
       .message = "the consultation's due time has passed"},
      {.name = "ConsultDueAfterTheReferral",
       .state = absl::StrCat("due_at_us: ", Micros(Berlin(2026, 3, 4, 9, 0))),
       .command =
           absl::StrCat(kMia, "consult { ref: '2026-000001' departments: 'bauordnung' ",
                        "question: 'q' due_at_us: ", Micros(Berlin(2026, 3, 4, 10, 0)), " }"),
       .code = StatusCode::kInvalidArgument,
       .field = "due",
       .message = "would be due after the referral itself"},
      {.name = "ConsultDueAfterTheDepartmentsOwnSla",
       .state = absl::StrCat("due_at_us: ", Micros(Berlin(2026, 4, 30, 9, 0))),
       .command =
           absl::StrCat(kMia, "consult { ref: '2026-000001' departments: 'bauordnung' ",
                        "question: 'q' due_at_us: ", Micros(Berlin(2026, 4, 29, 9, 0)), " }"),
       .code = StatusCode::kInvalidArgument,
       .field = "due",
       .message = "would be due after the own SLA of department 'bauordnung'"},
      // answer with open consultations
      {.name = "AnswerWithOpenConsultationsUnconfirmed",
       .state = R"pb(consultations { department: "bauordnung" }
                     consultations { department: "tiefbau" contributed_at_us: 4 }
                     consultations { department: "stadtplanung" })pb",
       .command = kMia + R"pb(answer { ref: "2026-000001" text: "t" outcome: OUTCOME_RESOLVED })pb",
       .code = StatusCode::kFailedPrecondition,
       .field = "confirm_open_consultations",
       .message = "the contribution of bauordnung, stadtplanung is still open: wait for it, or "
                  "repeat the answer with --confirm"},
      // case work's timers
      {.name = "EscalateTheAnswerWhileWaiting",
       .state = R"pb(waiting_since_us: 9)pb",
       .timer = lotse::v1::ESCALATION_LEVEL_BREACH,
       .code = StatusCode::kFailedPrecondition,
       .message = "waits on the company: its answer clock is paused"},
      {.name = "EscalateTheFirstReactionAfterTheReaction",
       .state = R"pb(first_reaction_due_at_us: 9 first_reacted_at_us: 10)pb",
       .timer = lotse::v1::ESCALATION_LEVEL_WARNING,
       .deadline = lotse::v1::DEADLINE_FIRST_REACTION,
       .code = StatusCode::kFailedPrecondition,
       .message = "was already reacted to"},
      {.name = "EscalateTheSecondLevelTwice",
       .state = R"pb(second_breach_at_us: 9 second_escalated: true)pb",
       .timer = lotse::v1::ESCALATION_LEVEL_SECOND_BREACH,
       .code = StatusCode::kFailedPrecondition,
       .message = "was already escalated to the second level"},
      {.name = "EscalateAContributedConsultation",
       .state = R"pb(consultations { department: "bauordnung" contributed_at_us: 4 })pb",
       .timer = lotse::v1::ESCALATION_LEVEL_BREACH,
       .deadline = lotse::v1::DEADLINE_CONSULTATION,
       .timer_department = "bauordnung",
       .code = StatusCode::kFailedPrecondition,
       .message = "bauordnung has no open consultation on referral 2026-000001"},
      {.name = "EscalateAConsultationAtTheSecondLevel",
       .state = consulted,
       .timer = lotse::v1::ESCALATION_LEVEL_SECOND_BREACH,
       .deadline = lotse::v1::DEADLINE_CONSULTATION,
       .timer_department = "bauordnung",
       .code = StatusCode::kInvalidArgument,
       .message = "is neither warning nor breach"},
      // close
      {.name = "CloseOfAReferralNotAnswered",
       .state = R"pb(status: REFERRAL_STATUS_CLAIMED claimed_by: "mia")pb",
       .event = kOffice + kAbout + R"pb(feedback_submitted { office: "bb-nord" rating: 5 })pb",
       .code = StatusCode::kFailedPrecondition,
       .message = "feedback for referral 2026-000001 which is not answered"},
  };
}

class RefusedTest : public testing::TestWithParam<Row> {};

TEST_P(RefusedTest, SaysWhatIsWrongAndWhatToDo) {
  const Row& row = GetParam();
  const absl::StatusOr<Outcome> got = Decide(Given(row), row);
  ASSERT_FALSE(got.ok()) << "accepted, giving " << got->state.DebugString();
  EXPECT_EQ(got.status().code(), row.code) << got.status();
  EXPECT_EQ(service::ToError(got.status()).field(), row.field) << got.status();
  EXPECT_NE(got.status().message().find(row.message), absl::string_view::npos)
      << got.status() << "\nwants: " << row.message;
}

INSTANTIATE_TEST_SUITE_P(Transitions, RefusedTest, testing::ValuesIn(RefusedRows()),
                         [](const testing::TestParamInfo<Row>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// View: who sees what of a referral.

enum class Sees { kAll, kFlowMetadataOnly, kNothing };

struct ViewRow {
  std::string name{};
  std::string state{};  // merged into kOpen
  std::string actor{};  // text-format Actor
  Sees sees = Sees::kNothing;
};

std::ostream& operator<<(std::ostream& out, const ViewRow& row) { return out << row.name; }

class ViewTest : public testing::TestWithParam<ViewRow> {};

TEST_P(ViewTest, ShowsOnlyWhatTheActorMaySee) {
  const ViewRow& row = GetParam();
  ReferralState s = Proto<ReferralState>(kOpen);
  ASSERT_TRUE(google::protobuf::TextFormat::MergeFromString(row.state, &s));
  const absl::StatusOr<ReferralState> got =
      View(s, Proto<lotse::v1::Actor>(row.actor), "2026-000001");
  if (row.sees == Sees::kNothing) {
    ASSERT_FALSE(got.ok()) << got->DebugString();
    EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
    EXPECT_NE(got.status().message().find("has no referral '2026-000001'"), absl::string_view::npos)
        << got.status();
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status();
  if (row.sees == Sees::kFlowMetadataOnly) {
    EXPECT_EQ(got->referral().subject(), "");
    EXPECT_FALSE(got->referral().has_contact());
    service::KeepFlowMetadataOnly(s);
  }
  EXPECT_EQ(got->DebugString(), s.DebugString());
}

INSTANTIATE_TEST_SUITE_P(
    Transitions, ViewTest,
    testing::ValuesIn(std::vector<ViewRow>{
        {"TheOfficeItCameFrom", "", R"pb(kind: ACTOR_KIND_OFFICE id: "bb-nord")pb", Sees::kAll},
        {"NotAnotherOffice", "", R"pb(kind: ACTOR_KIND_OFFICE id: "bb-mitte")pb"},
        {"TheAssignee", "", R"pb(kind: ACTOR_KIND_DEPARTMENT id: "umwelt")pb", Sees::kAll},
        {"TheKeyAccountManager", R"pb(key_account: "kam-schneider")pb",
         R"pb(kind: ACTOR_KIND_DEPARTMENT id: "kam-schneider")pb", Sees::kAll},
        {"AConsultedDepartment", R"pb(consultations { department: "bauordnung" })pb",
         R"pb(kind: ACTOR_KIND_DEPARTMENT id: "bauordnung")pb", Sees::kAll},
        {"NotAnotherDepartment", "", R"pb(kind: ACTOR_KIND_DEPARTMENT id: "bauordnung")pb"},
        {"OpsWithoutPersonalData", "", R"pb(kind: ACTOR_KIND_OPS id: "ops")pb",
         Sees::kFlowMetadataOnly},
        {"Admin", "", R"pb(kind: ACTOR_KIND_ADMIN id: "admin")pb", Sees::kAll},
        {"NotAService", "", R"pb(kind: ACTOR_KIND_SERVICE id: "intake")pb"},
    }),
    [](const testing::TestParamInfo<ViewRow>& info) { return info.param.name; });

}  // namespace
}  // namespace lotse::routing
