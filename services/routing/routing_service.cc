#include "services/routing/routing_service.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

#include "common/format.h"
#include "common/log/log.h"
#include "common/service/errors.h"
#include "common/service/personal_data.h"
#include "common/service/startup.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::routing {
namespace {

using lotse::v1::Envelope;
using lotse::v1::ReferralState;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;
using service::FieldError;
using service::InvalidField;

constexpr char kAssigned = 'A';
constexpr char kConsultation = 'C';
constexpr char kWarn = 'W';
constexpr char kBreach = 'B';
constexpr size_t kMaxTimersPerTick = 1000;

bool IsOpen(const ReferralState& s) {
  return s.status() == lotse::v1::REFERRAL_STATUS_ROUTED ||
         s.status() == lotse::v1::REFERRAL_STATUS_CLAIMED;
}

std::string WorklistPrefix(std::string_view assignee) { return StrCat(assignee, std::string(1, '\0')); }

std::string WorklistKey(std::string_view assignee, int64_t due_us, lotse::v1::Priority priority,
                        std::string_view id, char kind) {
  // Due time ascending, then priority descending, then id; the kind keeps a department's own
  // item and a consultation of the same referral apart.
  return StrCat(WorklistPrefix(assignee), store::EncodeU64(static_cast<uint64_t>(due_us)),
                std::string(1, static_cast<char>(255 - static_cast<int>(priority))), id,
                std::string(1, kind));
}

std::string TimerKey(int64_t at_us, char level, std::string_view id) {
  return StrCat(store::EncodeU64(static_cast<uint64_t>(at_us)), std::string(1, level), id);
}

lotse::v1::WorkItem MakeItem(const ReferralState& s, lotse::v1::WorkItemKind kind,
                             int64_t due_us) {
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
  return item;
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
    return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                      StrCat("referral ", s.case_number(), " is ",
                             lotse::v1::ReferralStatus_Name(s.status()),
                             " and can no longer be worked on"));
  }
  return absl::OkStatus();
}

}  // namespace

RoutingService::RoutingService(const config::Config& config, Rules rules,
                               std::unique_ptr<clock::Clock> clock)
    : ServiceBase(std::move(clock)), config_(config), rules_(std::move(rules)) {
  Serve(MakeCommands());
}

std::vector<RoutingService::Command> RoutingService::MakeCommands() {
  using service::kAdmin;
  using service::kDepartments;
  using service::kOffices;
  using service::kOps;
  auto act = [this](const RoutingRequest& r, service::CommandContext& c) { return Act(r, c); };
  return {
      {RoutingRequest::kWorklist, kDepartments | kOps | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Worklist(r, c); }},
      {RoutingRequest::kGet, kOffices | kDepartments | kOps | kAdmin,
       [this](const RoutingRequest& r, service::CommandContext& c) { return Get(r, c); }},
      {RoutingRequest::kDirectory, kOffices | kDepartments | kOps | kAdmin,
       [this](const RoutingRequest&, service::CommandContext&) { return Directory(); }},
      {RoutingRequest::kClaim, kDepartments, act},
      {RoutingRequest::kUnclaim, kDepartments, act},
      {RoutingRequest::kForward, kDepartments, act},
      {RoutingRequest::kConsult, kDepartments, act},
      {RoutingRequest::kContribute, kDepartments, act},
      {RoutingRequest::kAnswer, kDepartments, act},
  };
}

absl::StatusOr<std::unique_ptr<RoutingService>> RoutingService::Create(
    const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock) {
  LOTSE_ASSIGN_OR_RETURN(Rules rules, Rules::Create(config));
  std::unique_ptr<RoutingService> service(
      new RoutingService(config, std::move(rules), std::move(clock)));
  LOTSE_RETURN_IF_ERROR(service->OpenStore(
      config, config::Service::kRouting,
      {"state_referrals", "state_case_numbers", "state_worklist", "state_timers"},
      {"state_worklist", "state_timers"}));
  LOTSE_ASSIGN_OR_RETURN(service::RunnerOptions options,
                         service::MakeRunnerOptions(config, config::Service::kRouting));
  LOTSE_RETURN_IF_ERROR(
      service->StartRunner(config, config::Service::kRouting, context, std::move(options)));
  return service;
}

IndexEntries RoutingService::IndexFor(const ReferralState& s) {
  IndexEntries entries;
  if (!IsOpen(s)) {
    return entries;
  }
  const lotse::v1::Priority priority = s.referral().priority();
  entries[{kWorklist, WorklistKey(s.assignee(), s.due_at_us(), priority, s.referral_id(),
                                  kAssigned)}] =
      MakeItem(s, lotse::v1::WORK_ITEM_KIND_ASSIGNED, s.due_at_us()).SerializeAsString();
  for (const lotse::v1::Consultation& c : s.consultations()) {
    if (c.contributed_at_us() == 0) {
      entries[{kWorklist, WorklistKey(c.department(), c.due_at_us(), priority, s.referral_id(),
                                      kConsultation)}] =
          MakeItem(s, lotse::v1::WORK_ITEM_KIND_CONSULTATION, c.due_at_us()).SerializeAsString();
    }
  }
  if (!s.warned()) {
    entries[{kTimers, TimerKey(s.warn_at_us(), kWarn, s.referral_id())}] = "";
  }
  if (!s.escalated()) {
    entries[{kTimers, TimerKey(s.due_at_us(), kBreach, s.referral_id())}] = "";
  }
  return entries;
}

void RoutingService::Save(store::Batch& batch, const ReferralState* before,
                          const ReferralState& after, Envelope& event, absl::Time now) {
  const IndexEntries old_entries = before != nullptr ? IndexFor(*before) : IndexEntries{};
  const IndexEntries new_entries = IndexFor(after);
  for (const auto& [key, value] : old_entries) {
    if (new_entries.find(key) == new_entries.end()) {
      batch.Delete(key.first, key.second);
    }
  }
  for (const auto& [key, value] : new_entries) {
    auto old = old_entries.find(key);
    if (old == old_entries.end() || old->second != value) {
      batch.Put(key.first, key.second, value);
    }
  }
  if (before == nullptr) {
    referrals_.Insert(batch, after);
  } else {
    referrals_.Update(batch, after);
  }
  event.set_referral_id(after.referral_id());
  event.set_case_number(after.case_number());
  service::Emit(batch, *store_, "routing", now, event);
}

RoutingService::Reply RoutingService::Act(const RoutingRequest& request,
                                          service::CommandContext& context) {
  store::Batch& batch = context.batch;
  const absl::Time now = context.now;
  const lotse::v1::Actor& actor = request.actor();
  const std::string& user = actor.user();
  Reply reply;
  switch (request.command_case()) {
    case RoutingRequest::kClaim:
      reply = Change(request, request.claim().ref(), batch, now,
                     [&](ReferralState& s, Envelope& e) -> absl::Status {
                       LOTSE_RETURN_IF_ERROR(service::CheckId("user", user));
                       if (s.status() == lotse::v1::REFERRAL_STATUS_CLAIMED) {
                         return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                                           StrCat("referral ", s.case_number(),
                                                  " is already claimed by ", s.claimed_by(),
                                                  ": ask them, or unclaim it first"));
                       }
                       s.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
                       s.set_claimed_by(user);
                       e.mutable_claimed()->set_assignee(s.assignee());
                       e.mutable_claimed()->set_user(user);
                       return absl::OkStatus();
                     });
      break;
    case RoutingRequest::kUnclaim:
      reply = Change(request, request.unclaim().ref(), batch, now,
                     [&](ReferralState& s, Envelope& e) -> absl::Status {
                       if (s.status() != lotse::v1::REFERRAL_STATUS_CLAIMED) {
                         return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                                           StrCat("referral ", s.case_number(),
                                                  " is not claimed"));
                       }
                       e.mutable_unclaimed()->set_assignee(s.assignee());
                       e.mutable_unclaimed()->set_user(s.claimed_by());
                       s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
                       s.clear_claimed_by();
                       return absl::OkStatus();
                     });
      break;
    case RoutingRequest::kForward: {
      const lotse::v1::ForwardRequest& f = request.forward();
      reply = Change(request, f.ref(), batch, now,
                     [&](ReferralState& s, Envelope& e) -> absl::Status {
                       if (!rules_.IsAssignee(f.to())) {
                         return FieldError(absl::StatusCode::kNotFound, "to",
                                           StrCat("department '", f.to(), "' is unknown: see "
                                                  "'lotse departments'"));
                       }
                       if (f.to() == s.assignee()) {
                         return InvalidField("to", "a referral cannot be forwarded to the "
                                                   "department that has it");
                       }
                       LOTSE_RETURN_IF_ERROR(service::CheckText("reason", f.reason(), 2000, true));
                       if (s.forward_count() >= config_.routing.forward_limit) {
                         return FieldError(
                             absl::StatusCode::kFailedPrecondition, "to",
                             StrCat("referral ", s.case_number(), " was already forwarded ",
                                    s.forward_count(), " times (the limit): answer it, or ask "
                                    "the responsible department by consultation"));
                       }
                       const Deadlines deadlines = rules_.Schedule(f.to(), now);
                       lotse::v1::Forwarded* fw = e.mutable_forwarded();
                       fw->set_from(s.assignee());
                       fw->set_to(f.to());
                       fw->set_reason(f.reason());
                       s.set_assignee(f.to());
                       s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
                       s.clear_claimed_by();
                       s.set_forward_count(s.forward_count() + 1);
                       s.set_due_at_us(clock::ToMicros(deadlines.due));
                       s.set_warn_at_us(clock::ToMicros(deadlines.warn));
                       s.set_warned(false);
                       s.set_escalated(false);
                       fw->set_due_at_us(s.due_at_us());
                       fw->set_warn_at_us(s.warn_at_us());
                       fw->set_forward_count(s.forward_count());
                       return absl::OkStatus();
                     });
      break;
    }
    case RoutingRequest::kConsult: {
      const lotse::v1::ConsultRequest& c = request.consult();
      reply = Change(request, c.ref(), batch, now,
                     [&](ReferralState& s, Envelope& e) -> absl::Status {
                       if (c.departments().empty() || c.departments_size() > 10) {
                         return InvalidField("departments", "name 1 to 10 departments to consult");
                       }
                       LOTSE_RETURN_IF_ERROR(
                           service::CheckText("question", c.question(), 4000, true));
                       std::set<std::string> asked;
                       for (const std::string& d : c.departments()) {
                         if (!rules_.IsAssignee(d)) {
                           return FieldError(absl::StatusCode::kNotFound, "departments",
                                             StrCat("department '", d, "' is unknown: see "
                                                    "'lotse departments'"));
                         }
                         if (d == s.assignee() || !asked.insert(d).second) {
                           return InvalidField("departments",
                                               StrCat("department '", d, "' is named twice or "
                                                      "has the referral itself"));
                         }
                         for (const lotse::v1::Consultation& open : s.consultations()) {
                           if (open.department() == d && open.contributed_at_us() == 0) {
                             return FieldError(absl::StatusCode::kAlreadyExists, "departments",
                                               StrCat("department '", d, "' is already "
                                                      "consulted on this referral"));
                           }
                         }
                       }
                       lotse::v1::ConsultationOpened* opened = e.mutable_consultation_opened();
                       opened->set_assignee(s.assignee());
                       opened->set_question(c.question());
                       for (const std::string& d : c.departments()) {
                         lotse::v1::Consultation* added = s.add_consultations();
                         added->set_department(d);
                         added->set_question(c.question());
                         added->set_asked_by(s.assignee());
                         added->set_opened_at_us(clock::ToMicros(now));
                         added->set_due_at_us(s.due_at_us());
                         opened->add_departments(d);
                       }
                       return absl::OkStatus();
                     });
      break;
    }
    case RoutingRequest::kContribute: {
      const lotse::v1::ContributeRequest& c = request.contribute();
      reply = Change(request, c.ref(), batch, now,
                     [&](ReferralState& s, Envelope& e) -> absl::Status {
                       LOTSE_RETURN_IF_ERROR(service::CheckText("text", c.text(),
                                                                config_.limits.max_text_bytes,
                                                                true));
                       for (lotse::v1::Consultation& open : *s.mutable_consultations()) {
                         if (open.department() == actor.id() && open.contributed_at_us() == 0) {
                           open.set_contribution(c.text());
                           open.set_contributed_at_us(clock::ToMicros(now));
                           e.mutable_contribution_added()->set_department(actor.id());
                           e.mutable_contribution_added()->set_text(c.text());
                           return absl::OkStatus();
                         }
                       }
                       return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                                         StrCat(actor.id(), " has no open consultation on "
                                                "referral ", s.case_number()));
                     });
      break;
    }
    case RoutingRequest::kAnswer: {
      const lotse::v1::AnswerRequest& a = request.answer();
      reply = Change(request, a.ref(), batch, now,
                     [&](ReferralState& s, Envelope& e) -> absl::Status {
                       LOTSE_RETURN_IF_ERROR(service::CheckId("user", user));
                       LOTSE_RETURN_IF_ERROR(service::CheckText("text", a.text(),
                                                                config_.limits.max_text_bytes,
                                                                true));
                       if (!lotse::v1::Outcome_IsValid(a.outcome()) ||
                           a.outcome() == lotse::v1::OUTCOME_UNSPECIFIED) {
                         return InvalidField("outcome",
                                             "outcome must be resolved, partly or "
                                             "not-responsible");
                       }
                       lotse::v1::Answer* answer = s.mutable_answer();
                       answer->set_department(s.assignee());
                       answer->set_user(user);
                       answer->set_text(a.text());
                       answer->set_outcome(a.outcome());
                       answer->set_answered_at_us(clock::ToMicros(now));
                       s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
                       *e.mutable_answered()->mutable_answer() = *answer;
                       e.mutable_answered()->set_office(s.referral().office());
                       return absl::OkStatus();
                     });
      break;
    }
    default:
      reply = absl::InvalidArgumentError("the request names no command");
  }
  return reply;
}

RoutingService::Reply RoutingService::Change(
    const RoutingRequest& request, std::string_view ref, store::Batch& batch, absl::Time now,
    const std::function<absl::Status(ReferralState&, Envelope&)>& change) {
  LOTSE_RETURN_IF_ERROR(service::CheckId("idempotency_key", request.idempotency_key()));
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", ref, 64, true));
  const std::string key = StrCat("cmd/", request.actor().id(), "/", request.idempotency_key());
  RoutingRequest without_id = request;
  without_id.clear_request_id();
  const std::string fingerprint = service::Fingerprint(without_id);
  LOTSE_ASSIGN_OR_RETURN(std::optional<RoutingReply> stored,
                         service::FindStoredReplyAs<RoutingReply>(batch, key, fingerprint));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  RoutingReply reply;
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found, referrals_.Find(batch, ref));
  // Only the assignee works on a referral, and only a consulted department contributes: for
  // everyone else it does not exist (the same answer as for an unknown one).
  const bool contribute = request.command_case() == RoutingRequest::kContribute;
  if (!found.has_value() || !(contribute ? IsConsulted(*found, request.actor().id())
                                         : found->assignee() == request.actor().id())) {
    return service::NotYours(request.actor(), ref);
  }
  const ReferralState before = *found;
  ReferralState after = before;
  if (!contribute) {
    LOTSE_RETURN_IF_ERROR(RequireOpen(before));
  } else if (!IsOpen(before)) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                      StrCat("referral ", before.case_number(), " is already answered"));
  }
  Envelope event;
  *event.mutable_actor() = request.actor();
  LOTSE_RETURN_IF_ERROR(change(after, event));
  after.set_updated_at_us(clock::ToMicros(now));
  Save(batch, &before, after, event, now);
  *reply.mutable_referral() = after;
  service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), now);
  const log::ScopedContext log_context({after.referral_id(), after.case_number(), ""});
  spdlog::info("referral {}: {} by {} ({})", after.case_number(),
               RoutingRequest::descriptor()->FindFieldByNumber(request.command_case())->name(),
               request.actor().id(), request.actor().user());
  return reply;
}

RoutingService::Reply RoutingService::Worklist(const RoutingRequest& request,
                                               service::CommandContext& /*context*/) {
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
  const std::string prefix = WorklistPrefix(assignee);
  // The page starts after the item `after` names: the hex of its key within the worklist.
  std::string first = prefix;
  if (!w.after().empty()) {
    const bool hex = w.after().size() % 2 == 0 &&
                     std::all_of(w.after().begin(), w.after().end(), absl::ascii_isxdigit);
    if (!hex) {
      return service::InvalidField("after", "after is not a worklist reply's 'next': pass it "
                                            "unchanged, or leave it empty for the first page");
    }
    first = StrCat(prefix, absl::HexStringToBytes(w.after()), std::string(1, '\0'));
  }
  RoutingReply reply;
  lotse::v1::WorklistReply* list = reply.mutable_worklist();
  list->set_assignee(assignee);
  // A reply always fits in one message, however long the worklist: the rest is the next page.
  const size_t room = static_cast<size_t>(config_.limits.max_message_bytes) / 2;
  size_t bytes = 0;
  uint32_t total = 0;
  std::string last;  // the key of the last item on this page
  bool full = false;
  absl::Status parse_error;
  LOTSE_RETURN_IF_ERROR(store_->Scan(
      kWorklist, prefix, "", [&](std::string_view key, std::string_view value) {
        ++total;  // the whole worklist is counted, every page shows the same total
        if (key < first || full) {
          return true;
        }
        const bool count_left = w.limit() == 0 || static_cast<uint32_t>(list->items_size()) < w.limit();
        if (!count_left || (list->items_size() > 0 && bytes + value.size() > room)) {
          full = true;
          list->set_next(absl::BytesToHexString(last.substr(prefix.size())));
          return true;
        }
        bytes += value.size();
        last = std::string(key);
        lotse::v1::WorkItem* item = list->add_items();
        if (!item->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError("a worklist entry is damaged");
          return false;
        }
        if (actor.kind() == lotse::v1::ACTOR_KIND_OPS) {
          item->clear_subject();  // flow metadata only
        }
        return true;
      }));
  LOTSE_RETURN_IF_ERROR(parse_error);
  list->set_total(total);
  return reply;
}

RoutingService::Reply RoutingService::Get(const RoutingRequest& request,
                                          service::CommandContext& context) {
  store::Batch& batch = context.batch;
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", request.get().ref(), 64, true));
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, request.get().ref()));
  const lotse::v1::Actor& actor = request.actor();
  bool allowed = false;
  if (found.has_value()) {
    switch (actor.kind()) {
      case lotse::v1::ACTOR_KIND_OFFICE:
        allowed = found->referral().office() == actor.id();
        break;
      case lotse::v1::ACTOR_KIND_DEPARTMENT:
        allowed = found->assignee() == actor.id() || found->key_account() == actor.id() ||
                  IsConsulted(*found, actor.id());
        break;
      case lotse::v1::ACTOR_KIND_OPS:
        allowed = true;
        service::KeepFlowMetadataOnly(*found);
        break;
      case lotse::v1::ACTOR_KIND_ADMIN:
        allowed = true;
        break;
      default:
        break;
    }
  }
  if (!allowed) {
    return service::NotYours(actor, request.get().ref());
  }
  RoutingReply reply;
  *reply.mutable_referral() = *std::move(found);
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
  switch (event.payload_case()) {
    case Envelope::kReferralSubmitted:
      return Route(event, batch, now);
    case Envelope::kFeedbackSubmitted:
      return Close(event, batch, now);
    default:
      return absl::OkStatus();
  }
}

absl::Status RoutingService::Route(const Envelope& event, store::Batch& batch, absl::Time now) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> existing,
                         referrals_.Find(batch, event.referral_id()));
  if (existing.has_value()) {
    return absl::OkStatus();  // already routed
  }
  const lotse::v1::Referral& r = event.referral_submitted().referral();
  LOTSE_ASSIGN_OR_RETURN(Decision decision, rules_.Route(r.office(), r.topic(), r.company_id()));
  const Deadlines deadlines = rules_.Schedule(decision.assignee, now);
  ReferralState s;
  s.set_referral_id(event.referral_id());
  s.set_case_number(event.case_number());
  *s.mutable_referral() = r;
  s.set_submitted_at_us(event.referral_submitted().submitted_at_us());
  s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  s.set_assignee(decision.assignee);
  s.set_responsible_department(decision.responsible_department);
  s.set_key_account(decision.key_account);
  s.set_due_at_us(clock::ToMicros(deadlines.due));
  s.set_warn_at_us(clock::ToMicros(deadlines.warn));
  s.set_routed_at_us(clock::ToMicros(now));
  s.set_updated_at_us(clock::ToMicros(now));
  s.set_route_reason(decision.reason);

  Envelope routed;
  routed.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_SERVICE);
  routed.mutable_actor()->set_id("routing");
  lotse::v1::ReferralRouted* out = routed.mutable_referral_routed();
  out->set_assignee(s.assignee());
  out->set_responsible_department(s.responsible_department());
  out->set_key_account(s.key_account());
  out->set_due_at_us(s.due_at_us());
  out->set_warn_at_us(s.warn_at_us());
  out->set_reason(decision.reason);
  out->set_office(r.office());
  out->set_topic(r.topic());
  out->set_priority(r.priority());
  out->set_subject(r.subject());
  out->set_company_name(r.company_name());
  Save(batch, nullptr, s, routed, now);
  spdlog::info("referral {} routed to {}: {}", s.case_number(), s.assignee(), decision.reason);
  return absl::OkStatus();
}

absl::Status RoutingService::Close(const Envelope& event, store::Batch& batch, absl::Time now) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, event.referral_id()));
  if (!found.has_value()) {
    return absl::NotFoundError(
        StrCat("feedback for referral ", event.referral_id(), " which routing does not know"));
  }
  if (found->status() == lotse::v1::REFERRAL_STATUS_CLOSED) {
    return absl::OkStatus();
  }
  if (found->status() != lotse::v1::REFERRAL_STATUS_ANSWERED) {
    return absl::FailedPreconditionError(
        StrCat("feedback for referral ", found->case_number(), " which is not answered"));
  }
  const ReferralState before = *found;
  ReferralState& s = *found;
  const lotse::v1::FeedbackSubmitted& f = event.feedback_submitted();
  lotse::v1::Feedback* feedback = s.mutable_feedback();
  feedback->set_rating(f.rating());
  feedback->set_resolved(f.resolved());
  feedback->set_comment(f.comment());
  feedback->set_submitted_at_us(event.occurred_at_us());
  s.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
  s.set_updated_at_us(clock::ToMicros(now));
  Envelope closed;
  *closed.mutable_actor() = event.actor();
  *closed.mutable_closed()->mutable_feedback() = *feedback;
  closed.mutable_closed()->set_office(f.office());
  Save(batch, &before, s, closed, now);
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
  for (const std::string& key : due) {
    const char level = key[8];
    const std::string id = key.substr(9);
    absl::StatusOr<std::optional<ReferralState>> found = referrals_.Find(batch, id);
    if (!found.ok() || !found->has_value()) {
      batch.Delete(kTimers, key);  // a timer without its referral is stale
      continue;
    }
    const ReferralState before = **found;
    ReferralState after = before;
    if (!IndexFor(before).contains({kTimers, key})) {
      batch.Delete(kTimers, key);
      continue;
    }
    Envelope event;
    event.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_SERVICE);
    event.mutable_actor()->set_id("routing");
    lotse::v1::Escalated* esc = event.mutable_escalated();
    esc->set_assignee(after.assignee());
    esc->set_due_at_us(after.due_at_us());
    esc->set_key_account(after.key_account());
    const log::ScopedContext log_context({after.referral_id(), after.case_number(), "escalated"});
    if (level == kWarn) {
      after.set_warned(true);
      esc->set_level(lotse::v1::ESCALATION_LEVEL_WARNING);
      spdlog::warn("referral {} at {} is close to its due time; answer it soon",
                   after.case_number(), after.assignee());
    } else {
      after.set_warned(true);
      after.set_escalated(true);
      esc->set_level(lotse::v1::ESCALATION_LEVEL_BREACH);
      spdlog::warn("referral {} at {} is overdue: escalated", after.case_number(),
                   after.assignee());
    }
    after.set_updated_at_us(clock::ToMicros(now));
    Save(batch, &before, after, event, now);
  }
}

}  // namespace lotse::routing
