#include "services/intake/intake_service.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/service/errors.h"
#include "common/service/startup.h"
#include "common/status_macros.h"
#include "services/intake/mirror.h"
#include "services/intake/validate.h"
#include "spdlog/spdlog.h"

namespace lotse::intake {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;
using lotse::v1::ReferralState;

// The Cf of the state family `name` (which the store was opened with).
store::Cf FamilyIndex(const store::Store& store, std::string_view name) {
  const std::vector<std::string> names = store.FamilyNames();
  return static_cast<store::Cf>(std::find(names.begin(), names.end(), name) - names.begin());
}

}  // namespace

IntakeService::IntakeService(const config::Config& config, std::unique_ptr<clock::Clock> clock,
                             absl::TimeZone tz)
    : ServiceBase(std::move(clock)), config_(config), tz_(tz) {
  Serve({
      {IntakeRequest::kSubmit, kOffices,
       [this](const IntakeRequest& r, service::CommandContext& c) { return Submit(r, c); }},
      {IntakeRequest::kGet, kOffices | kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& c) { return Get(r, c); }},
      {IntakeRequest::kFeedback, kOffices,
       [this](const IntakeRequest& r, service::CommandContext& c) { return Feedback(r, c); }},
      {IntakeRequest::kReceipt, kOffices | kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& c) { return GetReceipt(r, c); }},
      // The code is the authority, so any office's terminal (and later the web gateway) may
      // pass on a company's feedback.
      {IntakeRequest::kCompanyFeedback, kOffices | kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& c) {
         return CompanyFeedback(r, c);
       }},
      {IntakeRequest::kFollowUp, kOffices,
       [this](const IntakeRequest& r, service::CommandContext& c) { return FollowUp(r, c); }},
      // Attachments are personal data: ops never reaches them.
      {IntakeRequest::kAttach, kOffices | kDepartments | kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& c) {
         return attachments_->Attach(r.attach(), r.actor(), c.batch, *store_, c.now);
       }},
      {IntakeRequest::kAttachment, kOffices | kDepartments | kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& c) {
         return attachments_->Read(r.attachment(), r.actor(), c.batch);
       }},
      // Erasure of personal data and what Lotse holds about a person: admin only.
      {IntakeRequest::kErase, kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& c) { return Erase(r, c); }},
      {IntakeRequest::kPersonalData, kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& c) { return PersonalData(r, c); }},
      // An office's own list; admin names the office. A read of committed state only.
      {IntakeRequest::kListReferrals, kOffices | kAdmin,
       [this](const IntakeRequest& r, service::CommandContext& /*c*/) { return List(r); }},
  });
  // The whole state of the generator from the OS, not one 32-bit seed.
  std::random_device device;
  std::array<std::uint32_t, 16> words{};
  for (std::uint32_t& word : words) {
    word = device();
  }
  std::seed_seq seed(words.begin(), words.end());
  random_.seed(seed);
}

absl::StatusOr<std::unique_ptr<IntakeService>> IntakeService::Create(
    const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock) {
  std::unique_ptr<IntakeService> service(
      new IntakeService(config, std::move(clock), config.city.zone));
  LOTSE_RETURN_IF_ERROR(service->OpenStore(
      config, config::Service::kIntake,
      {"state_referrals", "state_case_numbers", "state_feedback_codes", "state_open_cases",
       "state_attachment_uploads", "state_blobs", "state_office_list"}));
  LOTSE_CHECK(FamilyIndex(*service->store_, "state_office_list") == kOfficeList);
  LOTSE_CHECK(FamilyIndex(*service->store_, "state_attachment_uploads") == kUploads);
  // A database from before the office list: its entries once, before anything is served.
  const absl::Time build_start = absl::Now();
  LOTSE_ASSIGN_OR_RETURN(const size_t built,
                         service->referrals_.office_list().BuildOnce(*service->store_, kReferrals));
  if (built > 0) {
    spdlog::info("built the office list of {} referrals in {} ms", built,
                 absl::ToInt64Milliseconds(absl::Now() - build_start));
  }
  service->attachments_.emplace(service->referrals_,
                                FamilyIndex(*service->store_, "state_attachment_uploads"),
                                FamilyIndex(*service->store_, "state_blobs"));
  LOTSE_ASSIGN_OR_RETURN(service::RunnerOptions options,
                         service::MakeRunnerOptions(config, config::Service::kIntake));
  LOTSE_RETURN_IF_ERROR(
      service->StartRunner(config, config::Service::kIntake, context, std::move(options)));
  return service;
}

absl::StatusOr<std::string> IntakeService::NextCaseNumber(store::Batch& batch, absl::Time now) {
  const int64_t year = absl::ToCivilYear(now, tz_).year();
  const std::string key = StrCat("case_counter/", year);
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value, batch.Get(store::kMeta, key));
  const uint64_t next = (value.has_value() ? store::DecodeU64(*value) : 0) + 1;
  batch.Put(store::kMeta, key, store::EncodeU64(next));
  return absl::StrFormat("%04d-%06d", year, next);
}

IntakeService::Reply IntakeService::Submit(const IntakeRequest& request,
                                           service::CommandContext& context) {
  store::Batch& batch = context.batch;
  const absl::Time now = context.now;
  const lotse::v1::SubmitReferralRequest& submit = request.submit();
  LOTSE_RETURN_IF_ERROR(ValidateSubmit(config_, request.actor(), submit));
  const std::string key = StrCat("submit/", request.actor().id(), "/", submit.idempotency_key());
  const std::string fingerprint = service::Fingerprint(submit.referral());
  LOTSE_ASSIGN_OR_RETURN(std::optional<IntakeReply> stored,
                         service::FindStoredReplyAs<IntakeReply>(batch, key, fingerprint));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  LOTSE_ASSIGN_OR_RETURN(std::string feedback_code, NewFeedbackCode());
  IntakeReply reply;
  ReferralState state;
  // Milliseconds first, then 64 random bits: ids stay unique across restarts and stores, and
  // the referrals of one moment sit side by side in every store keyed by id, so a commit writes
  // into one neighbourhood of the key space instead of all over it.
  state.set_referral_id(absl::StrFormat("r%011x%016x", absl::ToUnixMillis(now), random_()));
  LOTSE_ASSIGN_OR_RETURN(std::string case_number, NextCaseNumber(batch, now));
  state.set_case_number(case_number);
  *state.mutable_referral() = submit.referral();
  if (state.referral().priority() == lotse::v1::PRIORITY_UNSPECIFIED) {
    state.mutable_referral()->set_priority(lotse::v1::PRIORITY_NORMAL);
  }
  state.set_submitted_at_us(clock::ToMicros(now));
  state.set_updated_at_us(clock::ToMicros(now));
  state.set_status(lotse::v1::REFERRAL_STATUS_SUBMITTED);
  referrals_.Insert(batch, state);

  lotse::v1::Envelope event;
  event.set_referral_id(state.referral_id());
  event.set_case_number(state.case_number());
  *event.mutable_actor() = request.actor();
  *event.mutable_referral_submitted()->mutable_referral() = state.referral();
  event.mutable_referral_submitted()->set_submitted_at_us(state.submitted_at_us());
  service::Emit(batch, *store_, "intake", now, event);

  lotse::v1::SubmitReferralReply* submitted = reply.mutable_submitted();
  submitted->set_referral_id(state.referral_id());
  submitted->set_case_number(state.case_number());
  submitted->set_submitted_at_us(state.submitted_at_us());
  LOTSE_RETURN_IF_ERROR(AddCaseWorkToSubmit(batch, state, feedback_code, now, *submitted));
  service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), now);
  const log::ScopedContext log_context(
      {state.referral_id(), state.case_number(), "referral_submitted"});
  spdlog::info("referral {} ({}) submitted by office {} on topic {}", state.case_number(),
               state.referral_id(), state.referral().office(), state.referral().topic());
  return reply;
}

absl::StatusOr<ReferralState> IntakeService::FindFor(const store::Batch& batch,
                                                     std::string_view ref,
                                                     const lotse::v1::Actor& actor) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> state, referrals_.Find(batch, ref));
  const bool mine =
      state.has_value() &&
      (actor.kind() == lotse::v1::ACTOR_KIND_ADMIN ||
       (actor.kind() == lotse::v1::ACTOR_KIND_OFFICE && state->referral().office() == actor.id()));
  if (!mine) {
    return service::NotYours(actor, ref);
  }
  return *std::move(state);
}

IntakeService::Reply IntakeService::Get(const IntakeRequest& request,
                                        service::CommandContext& context) {
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", request.get().ref(), 64, true));
  LOTSE_ASSIGN_OR_RETURN(ReferralState state,
                         FindFor(context.batch, request.get().ref(), request.actor()));
  IntakeReply reply;
  *reply.mutable_referral() = std::move(state);
  return reply;
}

IntakeService::Reply IntakeService::List(const IntakeRequest& request) {
  IntakeReply reply;
  LOTSE_ASSIGN_OR_RETURN(
      *reply.mutable_referral_list(),
      referrals_.office_list().List(config_, *store_, request.actor(), request.list_referrals()));
  return reply;
}

IntakeService::Reply IntakeService::Feedback(const IntakeRequest& request,
                                             service::CommandContext& context) {
  store::Batch& batch = context.batch;
  const absl::Time now = context.now;
  const lotse::v1::SubmitFeedbackRequest& feedback = request.feedback();
  LOTSE_RETURN_IF_ERROR(CheckOfficeActor(config_, request.actor()));
  LOTSE_RETURN_IF_ERROR(ValidateFeedback(config_, feedback));
  const std::string key =
      StrCat("feedback/", request.actor().id(), "/", feedback.idempotency_key());
  const std::string fingerprint = service::Fingerprint(feedback);
  LOTSE_ASSIGN_OR_RETURN(std::optional<IntakeReply> stored,
                         service::FindStoredReplyAs<IntakeReply>(batch, key, fingerprint));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  IntakeReply reply;
  LOTSE_ASSIGN_OR_RETURN(ReferralState state, FindFor(batch, feedback.ref(), request.actor()));
  if (state.feedback().submitted_at_us() != 0) {
    return service::FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                               StrCat("referral ", state.case_number(),
                                      " already has feedback; it cannot be given twice"));
  }
  if (state.status() != lotse::v1::REFERRAL_STATUS_ANSWERED) {
    return service::FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                               StrCat("referral ", state.case_number(),
                                      " has not been answered yet; give feedback "
                                      "after the answer arrives ('lotse status')"));
  }
  lotse::v1::Feedback* given = state.mutable_feedback();
  given->set_rating(feedback.rating());
  given->set_resolved(feedback.resolved());
  given->set_comment(feedback.comment());
  given->set_submitted_at_us(clock::ToMicros(now));
  state.set_updated_at_us(clock::ToMicros(now));
  referrals_.Update(batch, state);

  lotse::v1::Envelope event;
  event.set_referral_id(state.referral_id());
  event.set_case_number(state.case_number());
  *event.mutable_actor() = request.actor();
  lotse::v1::FeedbackSubmitted* submitted = event.mutable_feedback_submitted();
  submitted->set_office(request.actor().id());
  submitted->set_rating(feedback.rating());
  submitted->set_resolved(feedback.resolved());
  submitted->set_comment(feedback.comment());
  service::Emit(batch, *store_, "intake", now, event);

  *reply.mutable_referral() = state;
  service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), now);
  const log::ScopedContext log_context(
      {state.referral_id(), state.case_number(), "feedback_submitted"});
  spdlog::info("feedback for referral {} from office {}: rating {}, resolved {}",
               state.case_number(), request.actor().id(), feedback.rating(), feedback.resolved());
  return reply;
}

absl::Status IntakeService::ApplyEvent(const lotse::v1::Envelope& event, std::string_view /*raw*/,
                                       store::Batch& batch, absl::Time /*now*/) {
  if (event.referral_id().empty()) {
    return absl::OkStatus();  // about a person (routing's AbsenceSet), not a referral
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, event.referral_id()));
  if (!found.has_value()) {
    return absl::NotFoundError(StrCat("routing reported on referral ", event.referral_id(),
                                      " which intake does not know"));
  }
  ReferralState& state = *found;
  const bool case_work = MirrorCaseWork(event, state);
  switch (event.payload_case()) {
    case lotse::v1::Envelope::kReferralRouted: {
      const lotse::v1::ReferralRouted& routed = event.referral_routed();
      state.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
      state.set_assignee(routed.assignee());
      state.set_responsible_department(routed.responsible_department());
      state.set_key_account(routed.key_account());
      state.set_due_at_us(routed.due_at_us());
      state.set_warn_at_us(routed.warn_at_us());
      state.set_routed_at_us(event.occurred_at_us());
      state.set_route_reason(routed.reason());
      break;
    }
    case lotse::v1::Envelope::kClaimed:
      state.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
      state.set_claimed_by(event.claimed().user());
      break;
    case lotse::v1::Envelope::kUnclaimed:
      state.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
      state.clear_claimed_by();
      break;
    case lotse::v1::Envelope::kForwarded:
      state.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
      state.set_assignee(event.forwarded().to());
      state.set_due_at_us(event.forwarded().due_at_us());
      state.set_forward_count(event.forwarded().forward_count());
      state.clear_claimed_by();
      state.set_warned(false);
      state.set_escalated(false);
      break;
    case lotse::v1::Envelope::kAnswered:
      state.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
      *state.mutable_answer() = event.answered().answer();
      break;
    case lotse::v1::Envelope::kEscalated:
      MirrorEscalation(event.escalated(), state);
      break;
    case lotse::v1::Envelope::kClosed:
      state.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
      break;
    case lotse::v1::Envelope::kConsultationOpened:
      MirrorConsultation(event, state);  // who may read the attachments
      break;
    default:
      if (!case_work) {
        return absl::OkStatus();  // consultations are the departments' business
      }
  }
  // The duplicate warning counts open referrals only.
  if (event.has_answered() || event.has_closed()) {
    LOTSE_RETURN_IF_ERROR(open_cases_.Remove(batch, state));
  } else if (event.has_reopened()) {
    LOTSE_RETURN_IF_ERROR(open_cases_.Add(batch, state));
  }
  state.set_updated_at_us(event.occurred_at_us());
  referrals_.Update(batch, state);
  return absl::OkStatus();
}

void IntakeService::Tick(store::Batch& batch, absl::Time now) {
  if (absl::StatusOr<int> dropped = attachments_->DropStale(batch, *store_, now); !dropped.ok()) {
    spdlog::warn("cannot drop stale attachment uploads: {}", dropped.status());
  }
  EraseExpired(batch, now);
}

}  // namespace lotse::intake
