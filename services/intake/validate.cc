#include "services/intake/validate.h"

#include "common/format.h"
#include "common/service/errors.h"
#include "common/status_macros.h"

namespace lotse::intake {

using service::CheckId;
using service::CheckText;
using service::InvalidField;

absl::Status CheckOfficeActor(const config::Config& config, const lotse::v1::Actor& actor) {
  if (actor.kind() != lotse::v1::ACTOR_KIND_OFFICE) {
    return service::FieldError(absl::StatusCode::kPermissionDenied, "actor",
                               "only a citizen office may use intake: act as an office (--office)");
  }
  if (config.FindOffice(actor.id()) == nullptr) {
    return service::FieldError(absl::StatusCode::kNotFound, "office",
                               StrCat("office '", actor.id(),
                                      "' is not configured: see 'lotse offices' for the ids"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSubmit(const config::Config& config, const lotse::v1::Actor& actor,
                            const lotse::v1::SubmitReferralRequest& request) {
  LOTSE_RETURN_IF_ERROR(CheckOfficeActor(config, actor));
  LOTSE_RETURN_IF_ERROR(CheckId("idempotency_key", request.idempotency_key()));
  const lotse::v1::Referral& r = request.referral();
  if (r.office() != actor.id()) {
    return service::FieldError(absl::StatusCode::kPermissionDenied, "office",
                               StrCat("office '", actor.id(), "' cannot submit for office '",
                                      r.office(), "'"));
  }
  LOTSE_RETURN_IF_ERROR(CheckText("company_id", r.company_id(), 64, true));
  LOTSE_RETURN_IF_ERROR(CheckText("company_name", r.company_name(), 200, true));
  LOTSE_RETURN_IF_ERROR(CheckText("topic", r.topic(), 64, true));
  if (config.FindTopic(r.topic()) == nullptr) {
    return service::FieldError(absl::StatusCode::kNotFound, "topic",
                               StrCat("topic '", r.topic(),
                                      "' is unknown: see 'lotse topics' for the ids"));
  }
  LOTSE_RETURN_IF_ERROR(CheckText("subject", r.subject(), config.limits.max_subject_bytes, true));
  LOTSE_RETURN_IF_ERROR(CheckText("text", r.text(), config.limits.max_text_bytes, true));
  LOTSE_RETURN_IF_ERROR(CheckText("contact.name", r.contact().name(), 200, false));
  LOTSE_RETURN_IF_ERROR(CheckText("contact.email", r.contact().email(), 200, false));
  LOTSE_RETURN_IF_ERROR(CheckText("contact.phone", r.contact().phone(), 50, false));
  if (!r.contact().email().empty() && r.contact().email().find('@') == std::string::npos) {
    return InvalidField("contact.email", "contact.email is not an e-mail address");
  }
  if (r.contact().consent_email() && r.contact().email().empty()) {
    return InvalidField("contact.email",
                        "the contact person agreed to get the answer by e-mail, but no e-mail "
                        "address is given: add the contact's e-mail (--contact-email) or leave "
                        "out the consent");
  }
  if (!lotse::v1::Priority_IsValid(r.priority())) {
    return InvalidField("priority",
                        StrCat("priority ", r.priority(), " is unknown: use low, normal, high "
                                                          "or urgent"));
  }
  if (r.employees() > 10'000'000) {
    return InvalidField("employees", "employees is implausibly large");
  }
  return absl::OkStatus();
}

absl::Status ValidateFeedback(const config::Config& config,
                              const lotse::v1::SubmitFeedbackRequest& request) {
  LOTSE_RETURN_IF_ERROR(CheckId("idempotency_key", request.idempotency_key()));
  LOTSE_RETURN_IF_ERROR(CheckText("ref", request.ref(), 64, true));
  if (request.rating() < 1 || request.rating() > 5) {
    return InvalidField("rating", StrCat("rating must be 1 to 5, got ", request.rating()));
  }
  if (!request.has_resolved()) {
    return InvalidField("resolved", "say whether the question was resolved (yes or no)");
  }
  return CheckText("comment", request.comment(), config.limits.max_text_bytes, false);
}

}  // namespace lotse::intake
