#include "common/service/personal_data.h"

namespace lotse::service {
namespace {

void Clear(lotse::v1::Referral& referral) {
  referral.clear_contact();
  referral.clear_subject();
  referral.clear_text();
}

}  // namespace

void KeepFlowMetadataOnly(lotse::v1::ReferralState& state) {
  Clear(*state.mutable_referral());
  for (lotse::v1::Consultation& c : *state.mutable_consultations()) {
    c.clear_question();
    c.clear_contribution();
  }
  state.mutable_answer()->clear_text();
  state.mutable_feedback()->clear_comment();
}

void KeepFlowMetadataOnly(lotse::v1::Envelope& event) {
  switch (event.payload_case()) {
    case lotse::v1::Envelope::kReferralSubmitted:
      Clear(*event.mutable_referral_submitted()->mutable_referral());
      break;
    case lotse::v1::Envelope::kFeedbackSubmitted:
      event.mutable_feedback_submitted()->clear_comment();
      break;
    case lotse::v1::Envelope::kReferralRouted:
      event.mutable_referral_routed()->clear_subject();
      break;
    case lotse::v1::Envelope::kForwarded:
      event.mutable_forwarded()->clear_reason();
      break;
    case lotse::v1::Envelope::kConsultationOpened:
      event.mutable_consultation_opened()->clear_question();
      break;
    case lotse::v1::Envelope::kContributionAdded:
      event.mutable_contribution_added()->clear_text();
      break;
    case lotse::v1::Envelope::kAnswered:
      event.mutable_answered()->mutable_answer()->clear_text();
      break;
    case lotse::v1::Envelope::kClosed:
      event.mutable_closed()->mutable_feedback()->clear_comment();
      break;
    case lotse::v1::Envelope::kDelivered:
      event.mutable_delivered()->clear_address();
      break;
    case lotse::v1::Envelope::kDeliveryFailed:
      event.mutable_delivery_failed()->clear_address();
      break;
    default:
      break;
  }
}

}  // namespace lotse::service
