// Erasure of personal data (issue 17): `lotse erase`, retention, and what intake holds about a
// contact person (Art. 15). See common/service/erasure.h for the design.

#include "common/service/erasure.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/clock/clock.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/service/errors.h"
#include "common/service/personal_data.h"
#include "common/service/runner.h"
#include "common/status_macros.h"
#include "services/intake/intake_service.h"
#include "spdlog/spdlog.h"

namespace lotse::intake {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;
using lotse::v1::ReferralState;

constexpr size_t kMaxReasonBytes = 500;
// Referrals erased or deleted by one retention scan at most: one commit stays small.
constexpr size_t kRetentionBatch = 100;
constexpr std::string_view kRetentionReason =
    "Aufbewahrungsfrist der personenbezogenen Daten abgelaufen";
constexpr std::string_view kDeletionReason = "Aufbewahrungsfrist des Vorgangs abgelaufen";

std::string NormalizedEmail(std::string_view email) {
  return absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(email.data(), email.size())));
}

bool IsClosed(const ReferralState& state) {
  return state.status() == lotse::v1::REFERRAL_STATUS_ANSWERED ||
         state.status() == lotse::v1::REFERRAL_STATUS_CLOSED;
}

absl::Time ClosedAt(const ReferralState& state) {
  return clock::FromMicros(state.answer().answered_at_us() > 0 ? state.answer().answered_at_us()
                                                               : state.updated_at_us());
}

// `years` calendar years after `closed` (29 February runs to 1 March).
absl::Time DeleteAt(absl::Time closed, int years) {
  const absl::CivilSecond c = absl::ToCivilSecond(closed, absl::UTCTimeZone());
  return absl::FromCivil(
      absl::CivilSecond(c.year() + years, c.month(), c.day(), c.hour(), c.minute(), c.second()),
      absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::vector<ReferralState>> IntakeService::ReferralsOfContact(
    const store::Batch& batch, std::string_view email) const {
  const std::string wanted = NormalizedEmail(email);
  std::vector<ReferralState> found;
  absl::Status problem;
  LOTSE_RETURN_IF_ERROR(
      store_->Scan(kReferrals, "", "", [&](std::string_view, std::string_view value) {
        ReferralState state;
        if (!state.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          problem = absl::DataLossError("a stored referral cannot be read");
          return false;
        }
        if (NormalizedEmail(state.referral().contact().email()) == wanted) {
          found.push_back(std::move(state));
        }
        return true;
      }));
  LOTSE_RETURN_IF_ERROR(problem);
  // The batch may hold newer versions (an erasure of this commit).
  for (ReferralState& state : found) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> current,
                           referrals_.Find(batch, state.referral_id()));
    if (current.has_value()) {
      state = *std::move(current);
    }
  }
  return found;
}

absl::Status IntakeService::EraseReferrals(store::Batch& batch, std::vector<ReferralState> states,
                                           const lotse::v1::Actor& actor, std::string_view reason,
                                           bool by_retention, absl::Time now) {
  std::vector<std::string> ids;
  std::vector<std::string> names;  // what else names them in a stored reply
  std::set<std::string> erased_ids;
  std::set<std::string> shas;
  for (const ReferralState& state : states) {
    ids.push_back(state.referral_id());
    names.push_back(state.case_number());
    erased_ids.insert(state.referral_id());
    for (const lotse::v1::AttachmentRef& ref : state.attachments()) {
      shas.insert(ref.sha256());
      names.push_back(ref.sha256());
    }
  }
  // A document's bytes are stored once for every referral that carries the same file: keep
  // those another referral still carries.
  if (!shas.empty()) {
    absl::Status problem;
    LOTSE_RETURN_IF_ERROR(
        store_->Scan(kReferrals, "", "", [&](std::string_view key, std::string_view value) {
          if (erased_ids.count(std::string(key)) > 0) {
            return true;
          }
          ReferralState other;
          if (!other.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            problem = absl::DataLossError("a stored referral cannot be read");
            return false;
          }
          // An erased referral keeps its documents' digests, not their bytes.
          absl::StatusOr<bool> other_erased = service::IsErased(batch, other.referral_id());
          if (!other_erased.ok()) {
            problem = other_erased.status();
            return false;
          }
          if (*other_erased) {
            return true;
          }
          for (const lotse::v1::AttachmentRef& ref : other.attachments()) {
            shas.erase(ref.sha256());
          }
          return true;
        }));
    LOTSE_RETURN_IF_ERROR(problem);
  }
  // Everything that can fail is prepared first: the erasure lands whole or not at all.
  store::Batch staged(store_.get());
  LOTSE_RETURN_IF_ERROR(attachments_->Erase(staged, *store_, ids, shas));
  LOTSE_RETURN_IF_ERROR(
      service::EraseFromCommonFamilies(staged, *store_, ids, names, IntakeReply(), now));
  batch.Absorb(staged);
  for (ReferralState& state : states) {
    service::KeepFlowMetadataOnly(state);
    state.set_updated_at_us(clock::ToMicros(now));
    referrals_.Update(batch, state);  // the record and its office list entry

    lotse::v1::Envelope event;
    event.set_referral_id(state.referral_id());
    event.set_case_number(state.case_number());
    *event.mutable_actor() = actor;
    event.mutable_personal_data_erased()->set_reason(std::string(reason));
    event.mutable_personal_data_erased()->set_by_retention(by_retention);
    service::Emit(batch, *store_, "intake", now, event);
    const log::ScopedContext log_context(
        {state.referral_id(), state.case_number(), "personal_data_erased"});
    spdlog::info("the personal data of referral {} ({}) was erased {}", state.case_number(),
                 state.referral_id(),
                 by_retention ? "because its retention ran out" : "on the admin's request");
  }
  return absl::OkStatus();
}

IntakeService::Reply IntakeService::Erase(const IntakeRequest& request,
                                          service::CommandContext& context) {
  const lotse::v1::EraseRequest& erase = request.erase();
  LOTSE_RETURN_IF_ERROR(
      service::CheckText("idempotency_key", erase.idempotency_key(), 128, /*required=*/true));
  LOTSE_RETURN_IF_ERROR(service::CheckText("reason", erase.reason(), kMaxReasonBytes, true));
  if (erase.ref().empty() == erase.contact_email().empty()) {
    return service::FieldError(absl::StatusCode::kInvalidArgument, "ref",
                               "name either one referral (its case number or id) or a contact "
                               "person's e-mail, not both and not neither");
  }
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", erase.ref(), 64, false));
  LOTSE_RETURN_IF_ERROR(service::CheckText("contact_email", erase.contact_email(), 320, false));
  store::Batch& batch = context.batch;
  const std::string key = StrCat("erase/", request.actor().id(), "/", erase.idempotency_key());
  const std::string fingerprint = service::Fingerprint(erase);
  LOTSE_ASSIGN_OR_RETURN(std::optional<IntakeReply> stored,
                         service::FindStoredReplyAs<IntakeReply>(batch, key, fingerprint));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  std::vector<ReferralState> states;
  if (!erase.ref().empty()) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> state, referrals_.Find(batch, erase.ref()));
    if (!state.has_value()) {
      return service::FieldError(absl::StatusCode::kNotFound, "ref",
                                 StrCat("there is no referral '", erase.ref(),
                                        "': check the case number (e.g. 2026-000123)"));
    }
    LOTSE_ASSIGN_OR_RETURN(const bool erased, service::IsErased(batch, state->referral_id()));
    if (erased) {
      return service::FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                                 StrCat("the personal data of referral ", state->case_number(),
                                        " was erased already: nothing to do"));
    }
    states.push_back(*std::move(state));
  } else {
    LOTSE_ASSIGN_OR_RETURN(std::vector<ReferralState> all,
                           ReferralsOfContact(batch, erase.contact_email()));
    for (ReferralState& state : all) {
      LOTSE_ASSIGN_OR_RETURN(const bool erased, service::IsErased(batch, state.referral_id()));
      if (!erased) {
        states.push_back(std::move(state));
      }
    }
    if (states.empty()) {
      return service::FieldError(
          absl::StatusCode::kNotFound, "contact_email",
          all.empty() ? "no referral has a contact person with this e-mail address"
                      : "the personal data of every referral with this contact person was "
                        "erased already: nothing to do");
    }
  }
  IntakeReply reply;
  for (const ReferralState& state : states) {
    lotse::v1::ErasedReferral* erased = reply.mutable_erased()->add_erased();
    erased->set_referral_id(state.referral_id());
    erased->set_case_number(state.case_number());
  }
  LOTSE_RETURN_IF_ERROR(EraseReferrals(batch, std::move(states), request.actor(), erase.reason(),
                                       /*by_retention=*/false, context.now));
  service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), context.now);
  return reply;
}

IntakeService::Reply IntakeService::PersonalData(const IntakeRequest& request,
                                                 service::CommandContext& context) {
  const lotse::v1::PersonalDataRequest& asked = request.personal_data();
  LOTSE_RETURN_IF_ERROR(
      service::CheckText("contact_email", asked.contact_email(), 320, /*required=*/true));
  LOTSE_ASSIGN_OR_RETURN(std::vector<ReferralState> states,
                         ReferralsOfContact(context.batch, asked.contact_email()));
  IntakeReply reply;
  reply.mutable_personal_data();  // also for an address no referral names: an empty list
  for (ReferralState& state : states) {
    *reply.mutable_personal_data()->add_referrals() = std::move(state);
  }
  return reply;
}

absl::Status IntakeService::DeleteReferrals(store::Batch& batch,
                                            const std::vector<ReferralState>& states,
                                            absl::Time now) {
  std::vector<std::string> ids;
  for (const ReferralState& state : states) {
    ids.push_back(state.referral_id());
  }
  // Families whose keys intake cannot compute from the record: one pass each for all of them.
  store::Batch staged(store_.get());
  for (const store::Cf cf : {kFeedbackCodes, kOpenCases, kUploads}) {
    LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, cf, ids, nullptr));
  }
  batch.Absorb(staged);
  lotse::v1::Actor actor;
  actor.set_kind(lotse::v1::ACTOR_KIND_SERVICE);
  actor.set_id("intake");
  for (const ReferralState& state : states) {
    referrals_.Delete(batch, state);  // the record, its case number and its list entry
    lotse::v1::Envelope event;
    event.set_referral_id(state.referral_id());
    event.set_case_number(state.case_number());
    *event.mutable_actor() = actor;
    event.mutable_referral_deleted()->set_reason(std::string(kDeletionReason));
    event.mutable_referral_deleted()->set_closed_at_us(clock::ToMicros(ClosedAt(state)));
    service::Emit(batch, *store_, "intake", now, event);
    const log::ScopedContext log_context(
        {state.referral_id(), state.case_number(), "referral_deleted"});
    spdlog::info("referral {} ({}) was deleted: its retention of {} years ran out",
                 state.case_number(), state.referral_id(), config_.retention.referral_years);
  }
  service::OweCompaction(batch);
  return absl::OkStatus();
}

void IntakeService::EraseExpired(store::Batch& batch, absl::Time now) {
  if (now < next_retention_scan_) {
    return;
  }
  next_retention_scan_ = now + absl::Minutes(config_.retention.scan_minutes);
  // Closed referrals whose personal data is due (not erased yet), and erased ones whose whole
  // retention ran out. The personal data's retention is the shorter one (config.h), so a
  // referral is erased by one scan and deleted by a later one.
  std::vector<ReferralState> to_erase;
  std::vector<ReferralState> to_delete;
  absl::Status problem;
  absl::Status scanned =
      store_->Scan(kReferrals, "", "", [&](std::string_view, std::string_view value) {
        ReferralState state;
        if (!state.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return true;  // a damaged record is not erased blindly; verify and status name it
        }
        if (!IsClosed(state)) {
          return true;
        }
        const int days = config_.retention.PersonalDataDays(config_, state.referral().topic());
        if (ClosedAt(state) + absl::Hours(24) * days > now) {
          return true;
        }
        absl::StatusOr<bool> erased = service::IsErased(batch, state.referral_id());
        if (!erased.ok()) {
          problem = erased.status();
          return false;
        }
        if (!*erased) {
          to_erase.push_back(std::move(state));
        } else if (DeleteAt(ClosedAt(state), config_.retention.referral_years) <= now) {
          to_delete.push_back(std::move(state));
        }
        return to_erase.size() + to_delete.size() < kRetentionBatch;
      });
  if (!scanned.ok() || !problem.ok()) {
    spdlog::error("the retention scan failed and is tried again at the next one: {}",
                  !scanned.ok() ? scanned.message() : problem.message());
    return;
  }
  if (to_erase.size() + to_delete.size() == kRetentionBatch) {
    next_retention_scan_ = now;  // more are due: go on at the next tick
  }
  if (!to_erase.empty()) {
    lotse::v1::Actor actor;
    actor.set_kind(lotse::v1::ACTOR_KIND_SERVICE);
    actor.set_id("intake");
    const size_t count = to_erase.size();
    if (absl::Status s = EraseReferrals(batch, std::move(to_erase), actor, kRetentionReason,
                                        /*by_retention=*/true, now);
        !s.ok()) {
      spdlog::error(
          "the retention scan could not erase {} referrals and tries again at the next "
          "one: {}",
          count, s.message());
      return;
    }
  }
  if (!to_delete.empty()) {
    if (absl::Status s = DeleteReferrals(batch, to_delete, now); !s.ok()) {
      spdlog::error(
          "the retention scan could not delete {} referrals and tries again at the next "
          "one: {}",
          to_delete.size(), s.message());
    }
  }
}

}  // namespace lotse::intake
