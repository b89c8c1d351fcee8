#include "services/intake/receipt_builder.h"

#include "common/format.h"
#include "common/receipt/receipt.h"

namespace lotse::intake {
namespace {

// The name of a department or key account manager id; the id if the config has neither.
std::string AssigneeName(const config::Config& config, std::string_view id) {
  if (const config::Department* d = config.FindDepartment(id); d != nullptr) {
    return d->name;
  }
  if (const config::KeyAccount* k = config.FindKeyAccount(id); k != nullptr) {
    return k->name;
  }
  return std::string(id);
}

}  // namespace

lotse::v1::Receipt BuildReceipt(const config::Config& config,
                                const lotse::v1::ReferralState& state,
                                std::string_view feedback_code) {
  const lotse::v1::Referral& r = state.referral();
  lotse::v1::Receipt receipt;
  receipt.set_referral_id(state.referral_id());
  receipt.set_case_number(state.case_number());
  receipt.set_submitted_at_us(state.submitted_at_us());
  receipt.set_office(r.office());
  const config::Office* office = config.FindOffice(r.office());
  receipt.set_office_name(office != nullptr ? office->name : r.office());
  receipt.set_topic(r.topic());
  const config::Topic* topic = config.FindTopic(r.topic());
  receipt.set_topic_name(topic != nullptr ? topic->name : r.topic());
  if (!state.assignee().empty()) {
    receipt.set_department(state.assignee());
    receipt.set_department_name(AssigneeName(config, state.assignee()));
    *receipt.mutable_contact_person() = state.contact_person();
    receipt.set_expected_by_us(state.due_at_us());
  } else if (topic != nullptr) {
    // Not routed yet: the topic's department is who will most likely answer.
    receipt.set_department(topic->department);
    receipt.set_department_name(AssigneeName(config, topic->department));
  }
  receipt.set_company_name(r.company_name());
  for (const lotse::v1::AttachmentRef& a : state.attachments()) {
    receipt.add_attachments(a.name());
  }
  receipt.set_city(config.city.name);
  receipt.set_feedback_code(std::string(feedback_code));
  receipt.set_next_steps(NextSteps(config, state, receipt));
  return receipt;
}

std::string NextSteps(const config::Config& config, const lotse::v1::ReferralState& state,
                      const lotse::v1::Receipt& receipt) {
  const std::string office = receipt.office_name();
  switch (state.status()) {
    case lotse::v1::REFERRAL_STATUS_ANSWERED:
    case lotse::v1::REFERRAL_STATUS_CLOSED:
      return StrCat("Die Antwort des Fachamts liegt vor. Das ", office,
                    " übermittelt sie Ihnen; mit dem Rückmeldecode können Sie sie bewerten.");
    case lotse::v1::REFERRAL_STATUS_UNSPECIFIED:
    case lotse::v1::REFERRAL_STATUS_SUBMITTED: {
      std::string out = "Ihre Anfrage wird gerade an das zuständige Fachamt weitergeleitet";
      if (!receipt.department_name().empty()) {
        out += StrCat(" (voraussichtlich: ", receipt.department_name(), ")");
      }
      return StrCat(out, ". Sobald es sie übernommen hat, stehen Ansprechperson und Antworttermin "
                         "fest; das ", office, " nennt sie Ihnen gern.");
    }
    default:
      break;
  }
  std::string out = StrCat("Ihre Anfrage liegt bei: ", receipt.department_name(), ".");
  const lotse::v1::StaffContact& contact = state.contact_person();
  if (!contact.name().empty()) {
    out += StrCat(" Ansprechperson: ", contact.name());
    if (!contact.phone().empty()) {
      out += StrCat(", Tel. ", contact.phone());
    }
    out += ".";
  }
  if (state.waiting_since_us() != 0) {
    out += StrCat(" Das Fachamt hat eine Rückfrage an Sie gestellt; das ", office,
                  " teilt sie Ihnen mit. Bis zu Ihrer Antwort ruht die Frist.");
  } else if (state.due_at_us() != 0) {
    out += StrCat(" Sie erhalten die Antwort voraussichtlich bis ",
                  receipt::GermanDateTime(state.due_at_us(), config.city.zone), " über das ",
                  office, ".");
  }
  return out;
}

}  // namespace lotse::intake
