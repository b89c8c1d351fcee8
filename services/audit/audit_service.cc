#include "services/audit/audit_service.h"

#include "common/format.h"
#include "common/service/erasure.h"
#include "common/service/errors.h"
#include "common/service/personal_data.h"
#include "common/service/startup.h"
#include "common/status_macros.h"
#include "services/audit/chain.h"
#include "services/audit/evaluation.h"
#include "spdlog/spdlog.h"

namespace lotse::audit {
namespace {

using lotse::v1::AuditReply;
using lotse::v1::AuditRequest;
using lotse::v1::Envelope;

// Whether department or key account manager `unit` may read the referral whose history this
// is: the same rule as routing's (the unit it is with now, the company's key account manager,
// or a department consulted on it), replayed from the chain's events. A department that
// forwarded it away, or that was only named as responsible for the topic, may not.
bool Concerns(const lotse::v1::HistoryReply& history, std::string_view unit) {
  std::string assignee;
  for (const lotse::v1::HistoryEntry& h : history.entries()) {
    const Envelope& e = h.event();
    switch (e.payload_case()) {
      case Envelope::kReferralRouted:
        if (e.referral_routed().key_account() == unit) {
          return true;
        }
        assignee = e.referral_routed().assignee();
        break;
      case Envelope::kForwarded:
        assignee = e.forwarded().to();
        break;
      case Envelope::kReopened:  // opened again, normally with the same department
        if (!e.reopened().assignee().empty()) {
          assignee = e.reopened().assignee();
        }
        break;
      case Envelope::kConsultationOpened:
        for (const std::string& d : e.consultation_opened().departments()) {
          if (d == unit) {
            return true;
          }
        }
        break;
      default:
        break;
    }
  }
  return !assignee.empty() && assignee == unit;
}

}  // namespace

bool MayRead(const lotse::v1::Actor& actor, const lotse::v1::HistoryReply& history) {
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_OPS:
    case lotse::v1::ACTOR_KIND_ADMIN:
      return true;
    case lotse::v1::ACTOR_KIND_OFFICE:
      for (const lotse::v1::HistoryEntry& h : history.entries()) {
        if (h.event().has_referral_submitted()) {
          return h.event().referral_submitted().referral().office() == actor.id();
        }
      }
      return false;
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      return Concerns(history, actor.id());
    default:
      return false;
  }
}

absl::StatusOr<std::unique_ptr<AuditService>> AuditService::Create(
    const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock) {
  LOTSE_ASSIGN_OR_RETURN(Evaluator evaluator, Evaluator::Create(config));
  std::unique_ptr<AuditService> service(new AuditService(std::move(clock), std::move(evaluator)));
  LOTSE_RETURN_IF_ERROR(service->OpenStore(config, config::Service::kAudit, StateFamilies()));
  // A store from before the evaluation existed gets its facts from the chain once.
  LOTSE_RETURN_IF_ERROR(BackfillFacts(*service->store_));
  LOTSE_RETURN_IF_ERROR(CountOtherIdsOnce(*service->store_));
  service->reply_room_ = static_cast<size_t>(config.limits.max_message_bytes) / 2;
  LOTSE_ASSIGN_OR_RETURN(service::RunnerOptions options,
                         service::MakeRunnerOptions(config, config::Service::kAudit));
  options.log_endpoint.clear();  // audit produces no events
  LOTSE_RETURN_IF_ERROR(
      service->StartRunner(config, config::Service::kAudit, context, std::move(options)));
  return service;
}

std::vector<AuditService::Command> AuditService::MakeCommands() {
  return {
      {AuditRequest::kHistory, kOffices | kDepartments | kOps | kAdmin,
       [this](const AuditRequest& r, service::CommandContext&) { return History(r); }},
      {AuditRequest::kVerify, kOps | kAdmin,
       [this](const AuditRequest&, service::CommandContext&) { return Verify(); }},
      // Ops sees the flow, not how well each unit answers: the evaluation of every unit is
      // admin's; an office or department reads its own.
      {AuditRequest::kEvaluation, kOffices | kDepartments | kAdmin,
       [this](const AuditRequest& r, service::CommandContext&) { return Evaluation(r); }},
  };
}

absl::StatusOr<AuditReply> AuditService::Verify() {
  LOTSE_ASSIGN_OR_RETURN(lotse::v1::VerifyReply verify, Chain::Verify(*store_));
  if (!verify.ok()) {
    spdlog::critical("the audit chain does not verify: {}", verify.problem());
  }
  AuditReply reply;
  *reply.mutable_verify() = std::move(verify);
  return reply;
}

absl::StatusOr<AuditReply> AuditService::History(const AuditRequest& request) {
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", request.history().ref(), 64, true));
  absl::StatusOr<lotse::v1::HistoryReply> history =
      Chain::History(*store_, request.history().ref());
  if (!history.ok() || !MayRead(request.actor(), *history)) {
    if (history.ok() || absl::IsNotFound(history.status())) {
      return service::NotYours(request.actor(), request.history().ref());
    }
    return history.status();
  }
  if (request.actor().kind() == lotse::v1::ACTOR_KIND_OPS) {
    for (lotse::v1::HistoryEntry& h : *history->mutable_entries()) {
      service::KeepFlowMetadataOnly(*h.mutable_event());
    }
  }
  lotse::v1::HistoryReply page =
      HistoryPage(std::move(*history), request.history().after_index(), reply_room_);
  AuditReply reply;
  *reply.mutable_history() = std::move(page);
  return reply;
}

absl::StatusOr<AuditReply> AuditService::Evaluation(const AuditRequest& request) {
  LOTSE_ASSIGN_OR_RETURN(lotse::v1::EvaluationRequest asked,
                         evaluator_.Authorize(request.actor(), request.evaluation()));
  // The maintained facts of the period's referrals only (a month reads that month's).
  LOTSE_ASSIGN_OR_RETURN(const auto period, evaluator_.PeriodMicros(asked));
  const int64_t from_us = period.first;
  const int64_t to_us = period.second;
  LOTSE_ASSIGN_OR_RETURN(lotse::v1::EvaluationReply evaluation,
                         asked.rebuild()
                             ? evaluator_.RebuildFromChain(*store_, asked)
                             : evaluator_.Evaluate(StoredFacts(*store_, from_us, to_us), asked));
  AuditReply reply;
  *reply.mutable_evaluation() = std::move(evaluation);
  return reply;
}

absl::Status AuditService::ApplyEvent(const Envelope& event, std::string_view raw,
                                      store::Batch& batch, absl::Time now) {
  if (event.has_personal_data_erased()) {
    // The referral's entries keep their place and flow form; the erasure is chained after them.
    // Prepared first: all or nothing.
    store::Batch staged(store_.get());
    LOTSE_RETURN_IF_ERROR(Chain::Erase(batch, staged, *store_, event.referral_id()));
    LOTSE_RETURN_IF_ERROR(service::EraseFromCommonFamilies(
        staged, *store_, {event.referral_id()}, {event.case_number()}, AuditReply(), now));
    batch.Absorb(staged);
  }
  if (event.has_referral_deleted()) {
    return RecordDeletion(batch, *store_, event, raw, now);
  }
  return RecordEvent(batch, event, raw, now);  // chain entry and evaluation facts together
}

}  // namespace lotse::audit
