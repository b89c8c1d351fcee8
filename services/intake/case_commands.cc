// Intake's commands of the case work (issue 15): the receipt, the company's own feedback with
// its code, the office's follow-up question, and what a submit adds (feedback code, duplicate
// warning). The rest of IntakeService is in intake_service.cc.

#include <string>
#include <vector>

#include "common/format.h"
#include "common/log/log.h"
#include "common/service/errors.h"
#include "common/status_macros.h"
#include "services/intake/intake_service.h"
#include "services/intake/receipt_builder.h"
#include "services/intake/validate.h"
#include "spdlog/spdlog.h"

namespace lotse::intake {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;
using lotse::v1::ReferralState;

bool Answered(const ReferralState& state) {
  return state.status() == lotse::v1::REFERRAL_STATUS_ANSWERED ||
         state.status() == lotse::v1::REFERRAL_STATUS_CLOSED;
}

// One answer for a code that does not exist, was used or has expired, so that a guesser learns
// nothing about which codes exist.
absl::Status WrongCode() {
  return service::FieldError(absl::StatusCode::kNotFound, "code",
                             "this feedback code is not valid: check it against the receipt "
                             "(16 letters and digits, e.g. K7QM-3XRT-9PAB-WD4E). A code works "
                             "once, and only for a limited time after the question was asked");
}

}  // namespace

absl::Status IntakeService::AddCaseWorkToSubmit(store::Batch& batch, const ReferralState& state,
                                                const std::string& code, absl::Time now,
                                                lotse::v1::SubmitReferralReply& submitted) {
  LOTSE_ASSIGN_OR_RETURN(std::vector<std::string> others, open_cases_.Others(batch, state));
  for (std::string& case_number : others) {
    submitted.add_possible_duplicates(std::move(case_number));
  }
  LOTSE_RETURN_IF_ERROR(open_cases_.Add(batch, state));
  const absl::Time expires = now + absl::Hours(24) * config_.limits.feedback_code_days;
  feedback_codes_.Issue(batch, state.referral_id(), code, absl::ToUnixMicros(expires));
  submitted.set_feedback_code(code);
  return absl::OkStatus();
}

IntakeService::Reply IntakeService::GetReceipt(const IntakeRequest& request,
                                               service::CommandContext& context) {
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", request.receipt().ref(), 64, true));
  LOTSE_ASSIGN_OR_RETURN(ReferralState state,
                         FindFor(context.batch, request.receipt().ref(), request.actor()));
  LOTSE_ASSIGN_OR_RETURN(std::string code,
                         feedback_codes_.CodeOf(context.batch, state.referral_id()));
  IntakeReply reply;
  *reply.mutable_receipt() = BuildReceipt(config_, state, code);
  return reply;
}

IntakeService::Reply IntakeService::CompanyFeedback(const IntakeRequest& request,
                                                    service::CommandContext& context) {
  store::Batch& batch = context.batch;
  const absl::Time now = context.now;
  const lotse::v1::CompanyFeedbackRequest& feedback = request.company_feedback();
  LOTSE_RETURN_IF_ERROR(service::CheckId("idempotency_key", feedback.idempotency_key()));
  LOTSE_RETURN_IF_ERROR(service::CheckText("code", feedback.code(), 64, true));
  if (feedback.rating() < 1 || feedback.rating() > 5) {
    return service::InvalidField("rating",
                                 StrCat("rating must be 1 to 5, got ", feedback.rating()));
  }
  LOTSE_RETURN_IF_ERROR(
      service::CheckText("comment", feedback.comment(), config_.limits.max_text_bytes, false));
  const std::string key =
      StrCat("company_feedback/", request.actor().id(), "/", feedback.idempotency_key());
  const std::string fingerprint = service::Fingerprint(feedback);
  LOTSE_ASSIGN_OR_RETURN(std::optional<IntakeReply> stored,
                         service::FindStoredReplyAs<IntakeReply>(batch, key, fingerprint));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  // Per connection key and actor: a gateway's companies are told apart by the actor it names.
  const std::string caller = StrCat(context.principal.id, "/", request.actor().id());
  if (guesses_.Blocked(caller, now)) {
    return service::FieldError(absl::StatusCode::kResourceExhausted, "code",
                               StrCat("too many wrong feedback codes from ", request.actor().id(),
                                      ": wait ", absl::ToInt64Minutes(kGuessWindow),
                                      " minutes, then check the code against the receipt"));
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<FeedbackCodeRecord> record,
                         feedback_codes_.Find(batch, feedback.code()));
  std::optional<ReferralState> state;
  if (record.has_value() && record->Usable(now)) {
    LOTSE_ASSIGN_OR_RETURN(state, referrals_.Find(batch, record->referral_id));
  }
  if (!state.has_value()) {
    guesses_.RecordWrong(caller, now);
    spdlog::warn("wrong feedback code from {}", caller);
    return WrongCode();
  }
  if (!Answered(*state)) {
    return service::FieldError(absl::StatusCode::kFailedPrecondition, "code",
                               StrCat("referral ", state->case_number(),
                                      " has not been answered yet; the code stays valid: use it "
                                      "once the answer has arrived"));
  }
  lotse::v1::Feedback* given = state->mutable_company_feedback();
  given->set_rating(feedback.rating());
  given->set_resolved(feedback.resolved());
  given->set_comment(feedback.comment());
  given->set_submitted_at_us(clock::ToMicros(now));
  state->set_updated_at_us(clock::ToMicros(now));
  referrals_.Update(batch, *state);
  feedback_codes_.MarkUsed(batch, feedback.code(), *record, now);

  lotse::v1::Envelope event;
  event.set_referral_id(state->referral_id());
  event.set_case_number(state->case_number());
  *event.mutable_actor() = request.actor();
  lotse::v1::CompanyFeedbackSubmitted* submitted = event.mutable_company_feedback_submitted();
  submitted->set_office(state->referral().office());
  submitted->set_rating(feedback.rating());
  submitted->set_resolved(feedback.resolved());
  submitted->set_comment(feedback.comment());
  service::Emit(batch, *store_, "intake", now, event);

  // The code is the company's authority, not the caller's: the reply names the case and what
  // was recorded, nothing of the referral's content.
  IntakeReply reply;
  reply.mutable_referral()->set_case_number(state->case_number());
  *reply.mutable_referral()->mutable_company_feedback() = *given;
  service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), now);
  const log::ScopedContext log_context(
      {state->referral_id(), state->case_number(), "company_feedback_submitted"});
  spdlog::info("company feedback for referral {} through {}: rating {}, resolved {}",
               state->case_number(), caller, feedback.rating(), feedback.resolved());
  return reply;
}

IntakeService::Reply IntakeService::FollowUp(const IntakeRequest& request,
                                             service::CommandContext& context) {
  store::Batch& batch = context.batch;
  const absl::Time now = context.now;
  const lotse::v1::FollowUpRequest& follow_up = request.follow_up();
  LOTSE_RETURN_IF_ERROR(CheckOfficeActor(config_, request.actor()));
  LOTSE_RETURN_IF_ERROR(service::CheckId("idempotency_key", follow_up.idempotency_key()));
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", follow_up.ref(), 64, true));
  LOTSE_RETURN_IF_ERROR(
      service::CheckText("text", follow_up.text(), config_.limits.max_text_bytes, true));
  const std::string key =
      StrCat("follow_up/", request.actor().id(), "/", follow_up.idempotency_key());
  const std::string fingerprint = service::Fingerprint(follow_up);
  LOTSE_ASSIGN_OR_RETURN(std::optional<IntakeReply> stored,
                         service::FindStoredReplyAs<IntakeReply>(batch, key, fingerprint));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  LOTSE_ASSIGN_OR_RETURN(ReferralState state, FindFor(batch, follow_up.ref(), request.actor()));
  if (!Answered(state)) {
    return service::FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                               StrCat("referral ", state.case_number(),
                                      " is still open: a follow-up question is for an answered "
                                      "referral; the department answers this one first "
                                      "('lotse status ",
                                      state.case_number(), "')"));
  }
  lotse::v1::Envelope event;
  event.set_referral_id(state.referral_id());
  event.set_case_number(state.case_number());
  *event.mutable_actor() = request.actor();
  event.mutable_follow_up_asked()->set_office(request.actor().id());
  event.mutable_follow_up_asked()->set_text(follow_up.text());
  service::Emit(batch, *store_, "intake", now, event);
  // The view stays ANSWERED or CLOSED until routing reports Reopened.
  IntakeReply reply;
  *reply.mutable_referral() = std::move(state);
  service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), now);
  const log::ScopedContext log_context(
      {reply.referral().referral_id(), reply.referral().case_number(), "follow_up_asked"});
  spdlog::info("follow-up question on referral {} from office {}", reply.referral().case_number(),
               request.actor().id());
  return reply;
}

}  // namespace lotse::intake
