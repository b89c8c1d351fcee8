#include "services/audit/audit_service.h"

#include "common/format.h"
#include "common/service/errors.h"
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

// Departments and key account managers an event names.
std::vector<std::string> NamedUnits(const Envelope& e) {
  switch (e.payload_case()) {
    case Envelope::kReferralRouted:
      return {e.referral_routed().assignee(), e.referral_routed().responsible_department(),
              e.referral_routed().key_account()};
    case Envelope::kForwarded:
      return {e.forwarded().from(), e.forwarded().to()};
    case Envelope::kConsultationOpened: {
      std::vector<std::string> out(e.consultation_opened().departments().begin(),
                                   e.consultation_opened().departments().end());
      out.push_back(e.consultation_opened().assignee());
      return out;
    }
    case Envelope::kContributionAdded:
      return {e.contribution_added().department()};
    default:
      return {};
  }
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
      for (const lotse::v1::HistoryEntry& h : history.entries()) {
        for (const std::string& unit : NamedUnits(h.event())) {
          if (!unit.empty() && unit == actor.id()) {
            return true;
          }
        }
      }
      return false;
    default:
      return false;
  }
}

absl::StatusOr<std::unique_ptr<AuditService>> AuditService::Create(
    const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock) {
  LOTSE_ASSIGN_OR_RETURN(Evaluator evaluator, Evaluator::Create(config));
  std::unique_ptr<AuditService> service(new AuditService(std::move(clock), std::move(evaluator)));
  LOTSE_ASSIGN_OR_RETURN(
      store::Options store_options,
      service::MakeStoreOptions(config, config::Service::kAudit, StateFamilies()));
  LOTSE_ASSIGN_OR_RETURN(service->store_, store::Store::Open(store_options));
  // A store from before the evaluation existed gets its facts from the chain once.
  LOTSE_RETURN_IF_ERROR(BackfillFacts(*service->store_));
  service::RunnerOptions options = service::MakeRunnerOptions(
      config, config::Service::kAudit,
      {config::Service::kIntake, config::Service::kRouting, config::Service::kNotification});
  options.log_endpoint.clear();  // audit produces no events
  service->runner_ = std::make_unique<service::Runner>(context, *service->store_,
                                                       *service->clock_, *service, options);
  LOTSE_RETURN_IF_ERROR(service->runner_->Start());
  spdlog::info("audit ready: commands on {}, store {}",
               config.network.CommandEndpoint(config::Service::kAudit), store_options.path);
  return service;
}

std::string AuditService::ErrorReply(std::string_view body, const absl::Status& status) {
  AuditRequest request;
  AuditReply reply;
  if (request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    reply.set_request_id(request.request_id());
  }
  *reply.mutable_error() = service::ToError(status);
  return reply.SerializeAsString();
}

std::string AuditService::HandleCommand(std::string_view body, store::Batch& /*batch*/,
                                        absl::Time /*now*/) {
  AuditRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    const std::string detail = service::TakeProtobufLog();
    return ErrorReply("", absl::InvalidArgumentError(
                              StrCat("the request is not a valid lotse.v1.AuditRequest",
                                     detail.empty() ? "" : ": ", detail)));
  }
  absl::StatusOr<AuditReply> reply;
  switch (request.command_case()) {
    case AuditRequest::kHistory:
      reply = History(request);
      break;
    case AuditRequest::kVerify:
      if (request.actor().kind() != lotse::v1::ACTOR_KIND_OPS &&
          request.actor().kind() != lotse::v1::ACTOR_KIND_ADMIN) {
        reply = service::FieldError(absl::StatusCode::kPermissionDenied, "actor",
                                    "only ops or admin may verify the audit chain");
        break;
      }
      if (absl::StatusOr<lotse::v1::VerifyReply> v = Chain::Verify(*store_); v.ok()) {
        reply.emplace();
        *reply->mutable_verify() = *std::move(v);
        if (!reply->verify().ok()) {
          spdlog::critical("the audit chain does not verify: {}", reply->verify().problem());
        }
      } else {
        reply = v.status();
      }
      break;
    case AuditRequest::kEvaluation:
      reply = Evaluation(request);
      break;
    default:
      reply = absl::InvalidArgumentError(
          "the request names no command: use history, verify or evaluation");
  }
  if (!reply.ok()) {
    return ErrorReply(body, reply.status());
  }
  reply->set_request_id(request.request_id());
  return reply->SerializeAsString();
}

absl::StatusOr<AuditReply> AuditService::History(const AuditRequest& request) {
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", request.history().ref(), 64, true));
  absl::StatusOr<lotse::v1::HistoryReply> history =
      Chain::History(*store_, request.history().ref());
  if (!history.ok() || !MayRead(request.actor(), *history)) {
    if (history.ok() || absl::IsNotFound(history.status())) {
      return service::FieldError(absl::StatusCode::kNotFound, "ref",
                                 StrCat(request.actor().id(), " has no referral '",
                                        request.history().ref(),
                                        "' in the audit log (or it is not yours to see)"));
    }
    return history.status();
  }
  if (request.actor().kind() == lotse::v1::ACTOR_KIND_OPS) {
    for (lotse::v1::HistoryEntry& h : *history->mutable_entries()) {
      if (h.mutable_event()->has_referral_submitted()) {
        h.mutable_event()->mutable_referral_submitted()->mutable_referral()->clear_contact();
      }
    }
  }
  AuditReply reply;
  *reply.mutable_history() = *std::move(history);
  return reply;
}

absl::StatusOr<AuditReply> AuditService::Evaluation(const AuditRequest& request) {
  LOTSE_ASSIGN_OR_RETURN(lotse::v1::EvaluationRequest asked,
                         evaluator_.Authorize(request.actor(), request.evaluation()));
  LOTSE_ASSIGN_OR_RETURN(lotse::v1::EvaluationReply evaluation,
                         asked.rebuild() ? evaluator_.RebuildFromChain(*store_, asked)
                                         : evaluator_.Evaluate(StoredFacts(*store_), asked));
  AuditReply reply;
  *reply.mutable_evaluation() = std::move(evaluation);
  return reply;
}

absl::Status AuditService::ApplyEvent(const Envelope& event, std::string_view raw,
                                      store::Batch& batch, absl::Time now) {
  return RecordEvent(batch, event, raw, now);  // chain entry and evaluation facts together
}

}  // namespace lotse::audit
