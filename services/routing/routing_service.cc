#include "services/routing/routing_service.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/ops/metrics.h"
#include "common/service/erasure.h"
#include "common/service/errors.h"
#include "common/service/personal_data.h"
#include "common/service/startup.h"
#include "common/service/telemetry.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::routing {
namespace {

using lotse::v1::Envelope;
using lotse::v1::ReferralState;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;
using service::FieldError;

constexpr char kAssigned = 'A';
constexpr char kConsultation = 'C';
constexpr char kWarn = 'W';
constexpr char kBreach = 'B';
// Case work's timers (see TimerFor): the answer's second level, the first reaction's warning
// and breach, and a consultation's warning and breach (their keys also name the department).
constexpr char kSecondBreach = 'X';
constexpr char kFirstReactionWarn = 'R';
constexpr char kFirstReactionBreach = 'S';
constexpr char kConsultationWarn = 'V';
constexpr char kConsultationBreach = 'K';
constexpr size_t kMaxTimersPerTick = 1000;

std::string WorklistPrefix(std::string_view assignee) {
  return StrCat(assignee, std::string(1, '\0'));
}

std::string WorklistKey(std::string_view assignee, int64_t due_us, lotse::v1::Priority priority,
                        std::string_view id, char kind) {
  // Due time ascending, then priority descending, then id; the kind keeps a department's own
  // item and a consultation of the same referral apart.
  return StrCat(WorklistPrefix(assignee), store::EncodeU64(static_cast<uint64_t>(due_us)),
                std::string(1, static_cast<char>(255 - static_cast<int>(priority))), id,
                std::string(1, kind));
}

// One person's items of a worklist: beside every item with a contact person, an entry under
// "\x01" assignee "\x01" person "\0" and the rest of the item's key, so that reading a staff
// member's items reads theirs only, in the worklist's order. Ids are printable: the "\x01"
// keeps these apart from the worklists themselves, and each person is a counted owner.
std::string PersonWorklistPrefix(std::string_view assignee, std::string_view person) {
  return StrCat("\x01", assignee, "\x01", person, std::string(1, '\0'));
}

// The person's entry beside the worklist item under `item_key` (a WorklistKey).
std::string PersonEntryKey(std::string_view item_key, std::string_view person) {
  const size_t nul = item_key.find('\0');
  return StrCat(PersonWorklistPrefix(item_key.substr(0, nul), person), item_key.substr(nul + 1));
}

// Puts a worklist item under `key` (a WorklistKey) and, if it names a contact person, the
// person's entry beside it.
void PutWorkItem(IndexEntries& entries, const std::string& key, const lotse::v1::WorkItem& item) {
  if (const std::string& person = item.contact_person().id(); !person.empty()) {
    entries[{RoutingService::kWorklist, PersonEntryKey(key, person)}] = "";
  }
  entries[{RoutingService::kWorklist, key}] = item.SerializeAsString();
}

// In meta: present once every stored item's person entry was written (BuildPersonEntriesOnce).
constexpr std::string_view kPersonEntriesBuiltKey = "person_worklist_entries_built";

std::string TimerKey(int64_t at_us, char level, std::string_view id) {
  return StrCat(store::EncodeU64(static_cast<uint64_t>(at_us)), std::string(1, level), id);
}

// A consultation's timer: the referral id, then the consulted department after a NUL.
std::string ConsultationTimerKey(int64_t at_us, char level, std::string_view id,
                                 std::string_view department) {
  return StrCat(TimerKey(at_us, level, id), std::string(1, '\0'), department);
}

// What a timer key (TimerKey, ConsultationTimerKey) is about: the referral id and the clock.
// nullopt for a key of no known kind.
std::optional<std::pair<std::string, Timer>> TimerFor(std::string_view key) {
  if (key.size() < 9) {
    return std::nullopt;
  }
  std::string_view rest = key.substr(9);
  Timer timer;
  switch (key[8]) {
    case kWarn:
      timer.level = lotse::v1::ESCALATION_LEVEL_WARNING;
      break;
    case kBreach:
      timer.level = lotse::v1::ESCALATION_LEVEL_BREACH;
      break;
    case kSecondBreach:
      timer.level = lotse::v1::ESCALATION_LEVEL_SECOND_BREACH;
      break;
    case kFirstReactionWarn:
    case kFirstReactionBreach:
      timer.deadline = lotse::v1::DEADLINE_FIRST_REACTION;
      timer.level = key[8] == kFirstReactionWarn ? lotse::v1::ESCALATION_LEVEL_WARNING
                                                 : lotse::v1::ESCALATION_LEVEL_BREACH;
      break;
    case kConsultationWarn:
    case kConsultationBreach: {
      const size_t nul = rest.find('\0');
      if (nul == std::string_view::npos) {
        return std::nullopt;
      }
      timer.deadline = lotse::v1::DEADLINE_CONSULTATION;
      timer.level = key[8] == kConsultationWarn ? lotse::v1::ESCALATION_LEVEL_WARNING
                                                : lotse::v1::ESCALATION_LEVEL_BREACH;
      timer.department = std::string(rest.substr(nul + 1));
      rest = rest.substr(0, nul);
      break;
    }
    default:
      return std::nullopt;
  }
  return std::make_pair(std::string(rest), std::move(timer));
}

lotse::v1::WorkItem MakeItem(const ReferralState& s, lotse::v1::WorkItemKind kind, int64_t due_us) {
  lotse::v1::WorkItem item;
  item.set_referral_id(s.referral_id());
  item.set_case_number(s.case_number());
  item.set_kind(kind);
  item.set_due_at_us(due_us);
  item.set_priority(s.referral().priority());
  item.set_topic(s.referral().topic());
  item.set_subject(s.referral().subject());
  item.set_company_name(s.referral().company_name());
  item.set_office(s.referral().office());
  item.set_claimed_by(s.claimed_by());
  item.set_status(s.status());
  item.set_warned(s.warned());
  item.set_escalated(s.escalated());
  if (kind == lotse::v1::WORK_ITEM_KIND_ASSIGNED) {
    *item.mutable_contact_person() = s.contact_person();  // whose item it is
    item.set_stand_in_for(s.stand_in_for());
  }
  item.set_waiting(s.waiting_since_us() != 0);
  if (s.first_reacted_at_us() == 0) {
    item.set_first_reaction_due_at_us(s.first_reaction_due_at_us());
  }
  return item;
}

// The consulted department's item: the consultation's due time and contact person.
lotse::v1::WorkItem MakeConsultationItem(const ReferralState& s, const lotse::v1::Consultation& c) {
  lotse::v1::WorkItem item = MakeItem(s, lotse::v1::WORK_ITEM_KIND_CONSULTATION, c.due_at_us());
  *item.mutable_contact_person() = c.contact_person();
  item.set_stand_in_for(c.stand_in_for());
  return item;
}

ops::Labels EscalationLabels(std::string_view assignee, lotse::v1::EscalationLevel level) {
  std::string name = "unknown";
  if (level == lotse::v1::ESCALATION_LEVEL_WARNING) {
    name = "warning";
  } else if (level == lotse::v1::ESCALATION_LEVEL_BREACH) {
    name = "breach";
  } else if (level == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH) {
    name = "second_breach";
  }
  return {{"department", std::string(assignee)}, {"level", name}};
}

// lotse_escalations_total{department, level}: the Escalated events routing logged, per
// department or key account manager and level; every configured one starts at 0.
service::EventCounter EscalationMetric(const config::Config& config) {
  service::EventCounter metric;
  metric.name = "lotse_escalations_total";
  metric.help = "SLA escalations per department or key account manager and level.";
  metric.payload_case = Envelope::kEscalated;
  metric.labels = [](const Envelope& event) {
    return EscalationLabels(event.escalated().assignee(), event.escalated().level());
  };
  std::vector<std::string> assignees;
  for (const config::Department& d : config.departments) {
    assignees.push_back(d.id);
  }
  for (const config::KeyAccount& k : config.key_accounts) {
    assignees.push_back(k.id);
  }
  for (const std::string& assignee : assignees) {
    for (auto level : {lotse::v1::ESCALATION_LEVEL_WARNING, lotse::v1::ESCALATION_LEVEL_BREACH}) {
      metric.initial.push_back(EscalationLabels(assignee, level));
    }
  }
  return metric;
}

}  // namespace

RoutingService::RoutingService(const config::Config& config, Rules rules,
                               std::unique_ptr<clock::Clock> clock)
    : ServiceBase(std::move(clock)), config_(config), rules_(std::move(rules)) {
  Serve(MakeCommands());
}

std::vector<RoutingService::Command> RoutingService::MakeCommands() {
  return {
      {RoutingRequest::kWorklist, kDepartments | kOps | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Worklist(r, c); }},
      {RoutingRequest::kGet, kOffices | kDepartments | kOps | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Get(r, c); }},
      {RoutingRequest::kDirectory, kOffices | kDepartments | kOps | kAdmin,
       [this](const RoutingRequest&, service::CommandContext&) { return Directory(); }},
      {RoutingRequest::kClaim, kDepartments, Changing(&RoutingRequest::claim, &Claim)},
      {RoutingRequest::kUnclaim, kDepartments, Changing(&RoutingRequest::unclaim, &Unclaim)},
      {RoutingRequest::kForward, kDepartments, Changing(&RoutingRequest::forward, &Forward)},
      {RoutingRequest::kConsult, kDepartments, Changing(&RoutingRequest::consult, &Consult)},
      {RoutingRequest::kContribute, kDepartments,
       Changing(&RoutingRequest::contribute, &Contribute)},
      {RoutingRequest::kAnswer, kDepartments, Changing(&RoutingRequest::answer, &Answer)},
      {RoutingRequest::kSimilar, kDepartments | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Similar(r, c); }},
      {RoutingRequest::kContacts, kOffices | kDepartments | kOps | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Contacts(r, c); }},
      {RoutingRequest::kAbsence, kDepartments | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Absence(r, c); }},
      {RoutingRequest::kCompany, kOffices | kDepartments | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Company(r, c); }},
      {RoutingRequest::kAskCompany, kDepartments,
       Changing(&RoutingRequest::ask_company, &AskCompany)},
      {RoutingRequest::kCompanyReplied, kOffices | kDepartments,
       Changing(&RoutingRequest::company_replied, &CompanyReplied)},
  };
}

std::vector<std::string> RoutingService::StateFamilies() {
  return {"state_referrals",        "state_case_numbers", "state_worklist", "state_timers",
          "state_similar_postings", "state_similar_docs", "state_contacts", "state_absences",
          "state_companies",        "state_counts"};
}

absl::StatusOr<std::unique_ptr<RoutingService>> RoutingService::Create(
    const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock) {
  LOTSE_ASSIGN_OR_RETURN(Rules rules, Rules::Create(config));
  std::unique_ptr<RoutingService> service(
      new RoutingService(config, std::move(rules), std::move(clock)));
  LOTSE_RETURN_IF_ERROR(service->OpenStore(config, config::Service::kRouting, StateFamilies(),
                                           {"state_worklist", "state_timers", "state_contacts"}));
  // A store from before the counts: counted once, before the first command is taken.
  LOTSE_ASSIGN_OR_RETURN(const uint64_t counted, service->counts_.BuildOnce(*service->store_));
  if (counted > 0) {
    spdlog::info("routing: the worklists' and contact persons' {} entries counted once", counted);
  }
  LOTSE_ASSIGN_OR_RETURN(const uint64_t persons, service->BuildPersonEntriesOnce());
  if (persons > 0) {
    spdlog::info("routing: {} worklist items filed under their contact persons once", persons);
  }
  LOTSE_ASSIGN_OR_RETURN(service::RunnerOptions options,
                         service::MakeRunnerOptions(config, config::Service::kRouting));
  options.telemetry.event_counters.push_back(EscalationMetric(config));
  LOTSE_RETURN_IF_ERROR(
      service->StartRunner(config, config::Service::kRouting, context, std::move(options)));
  return service;
}

absl::StatusOr<uint64_t> RoutingService::BuildPersonEntriesOnce() {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> built,
                         store_->Get(store::kMeta, kPersonEntriesBuiltKey));
  if (built.has_value()) {
    return 0;
  }
  IndexEntries persons;
  absl::Status parse_error;
  LOTSE_RETURN_IF_ERROR(
      store_->Scan(kWorklist, "", "", [&](std::string_view key, std::string_view value) {
        if (key.starts_with('\x01') || key.find('\0') == std::string_view::npos) {
          return true;  // a person's entry (none yet) or no item
        }
        lotse::v1::WorkItem item;
        if (!item.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError("a worklist entry is damaged");
          return false;
        }
        if (const std::string& person = item.contact_person().id(); !person.empty()) {
          persons[{kWorklist, PersonEntryKey(key, person)}] = "";
        }
        return true;
      }));
  LOTSE_RETURN_IF_ERROR(parse_error);
  store::Batch batch(store_.get());
  LOTSE_RETURN_IF_ERROR(counts_.Write(batch, {}, persons));
  batch.Put(store::kMeta, kPersonEntriesBuiltKey, "1");
  LOTSE_RETURN_IF_ERROR(store_->Commit(batch));
  return persons.size();
}

IndexEntries RoutingService::IndexFor(const ReferralState& s) {
  IndexEntries entries;
  if (const std::string company = CompanyKey(s); !company.empty()) {
    entries[{kCompanies, company}] = "";  // the company file keeps closed referrals too
  }
  if (!IsOpen(s)) {
    return entries;
  }
  if (!s.contact_person().id().empty()) {
    entries[{kContacts, StrCat(s.contact_person().id(), std::string(1, '\0'), s.referral_id())}] =
        "";
  }
  for (const lotse::v1::Consultation& c : s.consultations()) {
    // An open consultation is its contact person's item too ("c": apart from an own item).
    if (c.contributed_at_us() == 0 && !c.contact_person().id().empty()) {
      entries[{kContacts, StrCat(c.contact_person().id(), std::string(1, '\0'), s.referral_id(),
                                 std::string(1, '\0'), "c")}] = "";
    }
  }
  const lotse::v1::Priority priority = s.referral().priority();
  PutWorkItem(entries,
              WorklistKey(s.assignee(), s.due_at_us(), priority, s.referral_id(), kAssigned),
              MakeItem(s, lotse::v1::WORK_ITEM_KIND_ASSIGNED, s.due_at_us()));
  for (const lotse::v1::Consultation& c : s.consultations()) {
    if (c.contributed_at_us() == 0) {
      PutWorkItem(
          entries,
          WorklistKey(c.department(), c.due_at_us(), priority, s.referral_id(), kConsultation),
          MakeConsultationItem(s, c));
    }
  }
  // While the referral waits on the company its answer clock stands still (the reply moves the
  // times on), and asking was a reaction: no timers of the referral's own.
  const bool waiting = s.waiting_since_us() != 0;
  if (!s.warned() && !waiting) {
    entries[{kTimers, TimerKey(s.warn_at_us(), kWarn, s.referral_id())}] = "";
  }
  if (!s.escalated() && !waiting) {
    entries[{kTimers, TimerKey(s.due_at_us(), kBreach, s.referral_id())}] = "";
  }
  if (s.second_breach_at_us() != 0 && !s.second_escalated() && !waiting) {
    entries[{kTimers, TimerKey(s.second_breach_at_us(), kSecondBreach, s.referral_id())}] = "";
  }
  if (s.first_reaction_due_at_us() != 0 && s.first_reacted_at_us() == 0 && !waiting) {
    if (!s.first_reaction_warned()) {
      entries[{kTimers,
               TimerKey(s.first_reaction_warn_at_us(), kFirstReactionWarn, s.referral_id())}] = "";
    }
    if (!s.first_reaction_escalated()) {
      entries[{kTimers,
               TimerKey(s.first_reaction_due_at_us(), kFirstReactionBreach, s.referral_id())}] = "";
    }
  }
  // A consultation with its own deadline (warn_at_us set since case work) runs its own clock.
  for (const lotse::v1::Consultation& c : s.consultations()) {
    if (c.contributed_at_us() != 0 || c.warn_at_us() == 0) {
      continue;
    }
    if (!c.warned()) {
      entries[{kTimers, ConsultationTimerKey(c.warn_at_us(), kConsultationWarn, s.referral_id(),
                                             c.department())}] = "";
    }
    if (!c.escalated()) {
      entries[{kTimers, ConsultationTimerKey(c.due_at_us(), kConsultationBreach, s.referral_id(),
                                             c.department())}] = "";
    }
  }
  return entries;
}

absl::Status RoutingService::Save(store::Batch& batch, const ReferralState* before,
                                  Outcome& outcome, absl::Time now) {
  if (outcome.events.empty()) {
    return absl::OkStatus();
  }
  AssignContact(batch, outcome, now);
  // A referral whose personal data was erased keeps none of what a later command brought.
  if (absl::StatusOr<bool> erased = service::IsErased(batch, outcome.state.referral_id());
      erased.ok() && *erased) {
    service::KeepFlowMetadataOnly(outcome.state);
  }
  const ReferralState& after = outcome.state;
  LOTSE_RETURN_IF_ERROR(counts_.Write(batch, before != nullptr ? IndexFor(*before) : IndexEntries{},
                                      IndexFor(after)));
  // An answer given becomes an earlier answer for its department, in this same batch. A
  // referral reopened later keeps its entry: the answer was given.
  const bool answered = after.status() == lotse::v1::REFERRAL_STATUS_ANSWERED;
  if (answered && (before == nullptr || before->status() != after.status())) {
    similar_.Add(batch, after);
  }
  if (before == nullptr) {
    referrals_.Insert(batch, after);
  } else {
    referrals_.Update(batch, after);
  }
  for (Envelope& event : outcome.events) {
    service::Emit(batch, *store_, "routing", now, event);
  }
  return absl::OkStatus();
}

absl::StatusOr<RoutingService::Retry> RoutingService::FindRetry(const store::Batch& batch,
                                                                const RoutingRequest& request) {
  Retry retry;
  retry.key = StrCat("cmd/", request.actor().id(), "/", request.idempotency_key());
  RoutingRequest without_id = request;
  without_id.clear_request_id();
  retry.fingerprint = service::Fingerprint(without_id);
  LOTSE_ASSIGN_OR_RETURN(
      retry.stored, service::FindStoredReplyAs<RoutingReply>(batch, retry.key, retry.fingerprint));
  return retry;
}

template <typename Part>
RoutingService::Commands::Handler RoutingService::Changing(const Part& (RoutingRequest::*part)()
                                                               const,
                                                           CommandTransition<Part> transition) {
  return [this, part, transition](const RoutingRequest& request, service::CommandContext& context) {
    return Change(request, (request.*part)(), context, transition);
  };
}

template <typename Part>
RoutingService::Reply RoutingService::Change(const RoutingRequest& request, const Part& command,
                                             service::CommandContext& context,
                                             CommandTransition<Part> transition) {
  store::Batch& batch = context.batch;
  LOTSE_RETURN_IF_ERROR(service::CheckId("idempotency_key", request.idempotency_key()));
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", command.ref(), 64, true));
  LOTSE_ASSIGN_OR_RETURN(Retry retry, FindRetry(batch, request));
  if (retry.stored.has_value()) {
    return *std::move(retry.stored);
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found, referrals_.Find(batch, command.ref()));
  if (!found.has_value()) {
    return service::NotYours(request.actor(), command.ref());
  }
  LOTSE_ASSIGN_OR_RETURN(const lotse::v1::Actor actor,
                         ActingFor(batch, request.actor(), found->assignee(), context.now));
  LOTSE_ASSIGN_OR_RETURN(Outcome outcome,
                         transition(OnReferral{*found, actor, policy_, context.now}, command));
  LOTSE_RETURN_IF_ERROR(Save(batch, &*found, outcome, context.now));
  RoutingReply reply;
  *reply.mutable_referral() = outcome.state;
  service::StoreReply(batch, retry.key, retry.fingerprint, reply.SerializeAsString(), context.now);
  const log::ScopedContext log_context(
      {outcome.state.referral_id(), outcome.state.case_number(), ""});
  spdlog::info("referral {}: {} by {} ({})", outcome.state.case_number(),
               RoutingRequest::descriptor()->FindFieldByNumber(request.command_case())->name(),
               request.actor().id(), request.actor().user());
  return reply;
}

RoutingService::Reply RoutingService::Worklist(const RoutingRequest& request,
                                               service::CommandContext& context) {
  const lotse::v1::WorklistRequest& w = request.worklist();
  const lotse::v1::Actor& actor = request.actor();
  const std::string& assignee = w.assignee().empty() ? actor.id() : w.assignee();
  if (!rules_.IsAssignee(assignee)) {
    return FieldError(absl::StatusCode::kNotFound, "department",
                      StrCat("department '", assignee, "' is unknown: see 'lotse departments'"));
  }
  const bool own = actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT && actor.id() == assignee;
  if (!own && actor.kind() != lotse::v1::ACTOR_KIND_OPS &&
      actor.kind() != lotse::v1::ACTOR_KIND_ADMIN) {
    return FieldError(absl::StatusCode::kPermissionDenied, "department",
                      StrCat("only ", assignee, " may read its worklist"));
  }
  Absences absences;
  // One person's items; a KAM is the person itself: its whole worklist is its own.
  const bool by_user = !w.user().empty() && w.user() != assignee;
  if (by_user) {
    LOTSE_RETURN_IF_ERROR(CheckWorklistUser(assignee, w.user()));
    LOTSE_ASSIGN_OR_RETURN(absences, LoadAbsences(context.batch));
  }
  const std::string today = Today(context.now);
  // The worklists this reply shows, in key order: the assignee's, and for a key account manager
  // reading its own, those of the absent KAMs it stands in for today.
  std::vector<std::string> prefixes = {WorklistPrefix(assignee)};
  if (own) {
    LOTSE_ASSIGN_OR_RETURN(std::vector<std::string> absent,
                           StandsInFor(context.batch, assignee, context.now));
    for (const std::string& a : absent) {
      prefixes.push_back(WorklistPrefix(a));
    }
    std::sort(prefixes.begin(), prefixes.end());
  }
  // The page starts after the item `after` names: the hex of its key.
  std::string first;
  if (!w.after().empty()) {
    const bool hex = w.after().size() % 2 == 0 &&
                     std::all_of(w.after().begin(), w.after().end(), absl::ascii_isxdigit);
    first = hex ? absl::HexStringToBytes(w.after()) : "";
    const bool ours = std::any_of(prefixes.begin(), prefixes.end(),
                                  [&](const std::string& p) { return absl::StartsWith(first, p); });
    if (!ours) {
      return service::InvalidField("after",
                                   "after is not this worklist reply's 'next': pass it "
                                   "unchanged, or leave it empty for the first page");
    }
    first.push_back('\0');
  }
  if (by_user) {
    return PersonalWorklist(request, assignee, first, absences, today);
  }
  RoutingReply reply;
  lotse::v1::WorklistReply* list = reply.mutable_worklist();
  list->set_assignee(assignee);
  // A reply always fits in one message, however long the worklist: the rest is the next page.
  const size_t room = static_cast<size_t>(config_.limits.max_message_bytes) / 2;
  size_t bytes = 0;
  uint64_t total = 0;
  std::string last;  // the key of the last item on this page
  bool full = false;
  absl::Status parse_error;
  for (const std::string& prefix : prefixes) {
    // A worklist's items are counted (counts.h): every page shows the same total without
    // reading the items before or after it. Committed, as the items read below are.
    LOTSE_ASSIGN_OR_RETURN(
        const uint64_t items,
        counts_.Count(*store_, kWorklist, std::string_view(prefix).substr(0, prefix.size() - 1)));
    total += items;
    // The page's items: from the cursor on (a worklist before the cursor's is passed over).
    if (full || (!first.empty() && first > prefix && !absl::StartsWith(first, prefix))) {
      continue;
    }
    const std::string_view start = first < prefix ? std::string_view(prefix) : first;
    // An item of an absent KAM's worklist says whom the reader stands in for.
    const std::string stand_in_for =
        prefix == WorklistPrefix(assignee) ? "" : prefix.substr(0, prefix.size() - 1);
    LOTSE_RETURN_IF_ERROR(
        store_->Scan(kWorklist, prefix, start, [&](std::string_view key, std::string_view value) {
          const bool count_left =
              w.limit() == 0 || static_cast<uint32_t>(list->items_size()) < w.limit();
          if (!count_left || (list->items_size() > 0 && bytes + value.size() > room)) {
            full = true;
            list->set_next(absl::BytesToHexString(last));
            return false;
          }
          bytes += value.size();
          last = std::string(key);
          lotse::v1::WorkItem* item = list->add_items();
          if (!item->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            parse_error = absl::DataLossError("a worklist entry is damaged");
            return false;
          }
          if (!stand_in_for.empty() && item->stand_in_for().empty()) {
            item->set_stand_in_for(stand_in_for);
          }
          if (actor.kind() == lotse::v1::ACTOR_KIND_OPS) {
            service::KeepFlowMetadataOnly(*item);
          }
          return true;
        }));
  }
  LOTSE_RETURN_IF_ERROR(parse_error);
  list->set_total(static_cast<uint32_t>(total));
  return reply;
}

RoutingService::Reply RoutingService::PersonalWorklist(const RoutingRequest& request,
                                                       std::string_view assignee,
                                                       std::string_view first,
                                                       const Absences& absences,
                                                       std::string_view today) {
  const lotse::v1::WorklistRequest& w = request.worklist();
  // Whose items the user sees: their own, and those of every colleague they stand in for today.
  std::set<std::string, std::less<>> persons = {w.user()};
  for (const lotse::v1::AbsenceSet& a : absences) {
    if (a.user() != w.user() && SubstituteOn(absences, a.user(), today) == w.user()) {
      persons.insert(a.user());
    }
  }
  const std::string department_prefix = WorklistPrefix(assignee);
  // The rest of the last shown item's key (after its worklist's prefix): where each person's
  // entries go on. `first` already ends with the '\0' that passes that item over.
  const std::string_view after =
      first.empty() ? std::string_view() : first.substr(department_prefix.size());
  const size_t room = static_cast<size_t>(config_.limits.max_message_bytes) / 2;
  // Each person's next items, as many as could be on the page and one more: merged in the
  // worklist's order, the page then holds the first of them all.
  std::map<std::string, std::string> next;  // rest of the department's key -> item
  uint64_t total = 0;
  absl::Status read_error;
  for (const std::string& person : persons) {
    const std::string prefix = PersonWorklistPrefix(assignee, person);
    LOTSE_ASSIGN_OR_RETURN(
        const uint64_t items,
        counts_.Count(*store_, kWorklist, std::string_view(prefix).substr(0, prefix.size() - 1)));
    total += items;
    uint32_t taken = 0;
    size_t bytes = 0;
    LOTSE_RETURN_IF_ERROR(store_->Scan(
        kWorklist, prefix, StrCat(prefix, after), [&](std::string_view key, std::string_view) {
          const std::string rest(key.substr(prefix.size()));
          absl::StatusOr<std::optional<std::string>> item =
              store_->Get(kWorklist, StrCat(department_prefix, rest));
          if (!item.ok()) {
            read_error = item.status();
            return false;
          }
          if (!item->has_value()) {
            return true;  // the item went in a commit after this read began
          }
          bytes += (*item)->size();
          ++taken;
          next.emplace(rest, std::move(**item));
          return (w.limit() == 0 || taken <= w.limit()) && bytes <= room;
        }));
  }
  LOTSE_RETURN_IF_ERROR(read_error);
  RoutingReply reply;
  lotse::v1::WorklistReply* list = reply.mutable_worklist();
  list->set_assignee(std::string(assignee));
  size_t bytes = 0;
  std::string_view last;
  for (const auto& [rest, value] : next) {
    const bool count_left = w.limit() == 0 || static_cast<uint32_t>(list->items_size()) < w.limit();
    if (!count_left || (list->items_size() > 0 && bytes + value.size() > room)) {
      list->set_next(absl::BytesToHexString(StrCat(department_prefix, last)));
      break;
    }
    bytes += value.size();
    last = rest;
    lotse::v1::WorkItem* item = list->add_items();
    if (!item->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return absl::DataLossError("a worklist entry is damaged");
    }
    if (request.actor().kind() == lotse::v1::ACTOR_KIND_OPS) {
      service::KeepFlowMetadataOnly(*item);
    }
  }
  list->set_total(static_cast<uint32_t>(total));
  return reply;
}

RoutingService::Reply RoutingService::Get(const RoutingRequest& request,
                                          service::CommandContext& context) {
  const std::string& ref = request.get().ref();
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", ref, 64, true));
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found, referrals_.Find(context.batch, ref));
  if (!found.has_value()) {
    return service::NotYours(request.actor(), ref);
  }
  LOTSE_ASSIGN_OR_RETURN(const lotse::v1::Actor actor,
                         ActingFor(context.batch, request.actor(), found->assignee(), context.now));
  RoutingReply reply;
  LOTSE_ASSIGN_OR_RETURN(*reply.mutable_referral(), View(*std::move(found), actor, ref));
  return reply;
}

RoutingService::Reply RoutingService::Directory() const {
  RoutingReply reply;
  lotse::v1::DirectoryReply* d = reply.mutable_directory();
  d->set_city(config_.city.name);
  for (const config::Department& dep : config_.departments) {
    auto* out = d->add_departments();
    out->set_id(dep.id);
    out->set_name(dep.name);
    out->set_sla_hours(dep.sla_hours);
    out->set_office_hours(dep.office_hours);
  }
  for (const config::Topic& t : config_.topics) {
    auto* out = d->add_topics();
    out->set_id(t.id);
    out->set_name(t.name);
    out->set_department(t.department);
  }
  for (const config::Office& o : config_.offices) {
    auto* out = d->add_offices();
    out->set_id(o.id);
    out->set_name(o.name);
  }
  for (const config::KeyAccount& k : config_.key_accounts) {
    auto* out = d->add_key_accounts();
    out->set_id(k.id);
    out->set_name(k.name);
    out->set_department(k.department);
    for (const std::string& c : k.companies) {
      out->add_companies(c);
    }
  }
  return reply;
}

absl::Status RoutingService::ApplyEvent(const Envelope& event, std::string_view /*raw*/,
                                        store::Batch& batch, absl::Time now) {
  if (event.payload_case() == Envelope::kPersonalDataErased) {
    return ErasePersonalData(event, batch, now);
  }
  if (event.payload_case() == Envelope::kReferralDeleted) {
    return DeleteReferral(event, batch);
  }
  if (event.payload_case() == Envelope::kCompanyFeedbackSubmitted) {
    return KeepCompanyFeedback(event, batch);
  }
  const bool submitted = event.payload_case() == Envelope::kReferralSubmitted;
  if (event.payload_case() == Envelope::kFollowUpAsked) {
    return ApplyFollowUp(event, batch, now);
  }
  if (!submitted && event.payload_case() != Envelope::kFeedbackSubmitted) {
    return absl::OkStatus();  // routing acts on submissions, feedback and follow-ups only
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, event.referral_id()));
  if (submitted) {
    if (found.has_value()) {
      return absl::OkStatus();  // already routed
    }
    LOTSE_ASSIGN_OR_RETURN(Outcome routed, Route(event, policy_, now));
    LOTSE_RETURN_IF_ERROR(Save(batch, nullptr, routed, now));
    spdlog::info("referral {} routed to {}: {}", routed.state.case_number(),
                 routed.state.assignee(), routed.state.route_reason());
    return absl::OkStatus();
  }
  if (!found.has_value()) {
    return absl::NotFoundError(
        StrCat("feedback for referral ", event.referral_id(), " which routing does not know"));
  }
  LOTSE_ASSIGN_OR_RETURN(Outcome closed, Close(*found, event, policy_, now));
  LOTSE_RETURN_IF_ERROR(Save(batch, &*found, closed, now));
  if (closed.state.reopen_count() != found->reopen_count()) {
    spdlog::info("referral {} reopened: the office says it is not resolved",
                 closed.state.case_number());
  }
  return absl::OkStatus();
}

absl::Status RoutingService::ApplyFollowUp(const Envelope& event, store::Batch& batch,
                                           absl::Time now) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, event.referral_id()));
  if (!found.has_value()) {
    return absl::NotFoundError(StrCat("follow-up question for referral ", event.referral_id(),
                                      " which routing does not know"));
  }
  LOTSE_ASSIGN_OR_RETURN(Outcome reopened, Reopen(*found, event, policy_, now));
  if (reopened.events.empty()) {
    // Still being worked on: the question reaches the department through intake's record.
    spdlog::info("referral {}: follow-up question while it is still open", found->case_number());
    return absl::OkStatus();
  }
  LOTSE_RETURN_IF_ERROR(Save(batch, &*found, reopened, now));
  spdlog::info("referral {} reopened by a follow-up question", reopened.state.case_number());
  return absl::OkStatus();
}

void RoutingService::Tick(store::Batch& batch, absl::Time now) {
  std::vector<std::string> due;
  const uint64_t now_us = static_cast<uint64_t>(clock::ToMicros(now));
  // Timers are keyed by due time: only keys up to now are read (and no tombstones of answered
  // referrals' future timers are walked).
  absl::Status scanned = store_->ScanRange(
      kTimers, "", store::EncodeU64(now_us + 1), [&](std::string_view key, std::string_view) {
        if (key.size() < 9 || due.size() >= kMaxTimersPerTick) {
          return false;
        }
        due.emplace_back(key);
        return true;
      });
  if (!scanned.ok()) {
    spdlog::error("the SLA timers could not be read: {}", scanned.message());
    return;
  }
  const absl::StatusOr<Absences> absences =
      due.empty() ? absl::StatusOr<Absences>(Absences{}) : LoadAbsences(batch);
  for (const std::string& key : due) {
    const std::optional<std::pair<std::string, Timer>> timer = TimerFor(key);
    absl::StatusOr<std::optional<ReferralState>> found =
        timer.has_value() ? referrals_.Find(batch, timer->first)
                          : absl::StatusOr<std::optional<ReferralState>>(std::nullopt);
    // A timer without its referral, or one its referral's state no longer implies, is stale.
    absl::StatusOr<Outcome> escalated = absl::NotFoundError("stale timer");
    if (found.ok() && found->has_value() && IndexFor(**found).contains({kTimers, key})) {
      escalated = Escalate(**found, timer->second, policy_, now);
    }
    if (!escalated.ok()) {
      batch.Delete(kTimers, key);
      continue;
    }
    const ReferralState& s = escalated->state;
    const log::ScopedContext log_context({s.referral_id(), s.case_number(), "escalated"});
    const lotse::v1::Escalated& e = escalated->events[0].escalated();
    const std::string clock_name = e.deadline() == lotse::v1::DEADLINE_FIRST_REACTION
                                       ? "first reaction"
                                   : e.deadline() == lotse::v1::DEADLINE_CONSULTATION
                                       ? StrCat("consultation of ", e.department())
                                       : "answer";
    if (e.level() == lotse::v1::ESCALATION_LEVEL_WARNING) {
      spdlog::warn("referral {} at {}: the {} is close to its due time; act soon", s.case_number(),
                   s.assignee(), clock_name);
    } else {
      spdlog::warn("referral {} at {}: the {} is overdue: escalated ({})", s.case_number(),
                   s.assignee(), clock_name, lotse::v1::EscalationLevel_Name(e.level()));
    }
    for (Envelope& event : escalated->events) {  // escalations reach the stand-ins too
      if (event.has_escalated() && absences.ok()) {
        AddStandIns(*event.mutable_escalated(), *absences, Today(now));
      }
    }
    if (absl::Status saved = Save(batch, &**found, *escalated, now); !saved.ok()) {
      spdlog::error("referral {}: the escalation could not be written, it is tried again: {}",
                    s.case_number(), saved.message());
    }
  }
}

}  // namespace lotse::routing
