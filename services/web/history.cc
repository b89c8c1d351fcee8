#include "services/web/history.h"

#include "common/client/requests.h"
#include "common/format.h"
#include "services/web/html.h"
#include "services/web/names.h"
#include "services/web/site.h"

namespace lotse::web {
namespace {

std::string Person(const lotse::v1::StaffContact& contact) {
  return contact.name().empty() ? "" : StrCat(" (", contact.name(), ")");
}

std::string Units(const config::Config& config,
                  const google::protobuf::RepeatedPtrField<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    out += StrCat(out.empty() ? "" : ", ", UnitName(config, id));
  }
  return out;
}

}  // namespace

std::string EventLine(const config::Config& config, const lotse::v1::Envelope& e) {
  using lotse::v1::Envelope;
  switch (e.payload_case()) {
    case Envelope::kReferralSubmitted:
      return StrCat("Aufgenommen von ",
                    UnitName(config, e.referral_submitted().referral().office()));
    case Envelope::kFeedbackSubmitted:
      return StrCat("Rückmeldung des Bürgerbüros: ", e.feedback_submitted().rating(), " von 5, ",
                    e.feedback_submitted().resolved() ? "geklärt" : "nicht geklärt");
    case Envelope::kReferralRouted:
      return StrCat("Weitergeleitet an ", UnitName(config, e.referral_routed().assignee()),
                    Person(e.referral_routed().contact_person()));
    case Envelope::kClaimed:
      return StrCat("Übernommen von ", e.claimed().user(), " (",
                    UnitName(config, e.claimed().assignee()), ")");
    case Envelope::kUnclaimed:
      return StrCat("Freigegeben (", UnitName(config, e.unclaimed().assignee()), ")");
    case Envelope::kForwarded:
      return StrCat("Abgegeben von ", UnitName(config, e.forwarded().from()), " an ",
                    UnitName(config, e.forwarded().to()), Person(e.forwarded().contact_person()),
                    ": ", e.forwarded().reason());
    case Envelope::kConsultationOpened:
      return StrCat(UnitName(config, e.consultation_opened().assignee()), " beteiligt ",
                    Units(config, e.consultation_opened().departments()));
    case Envelope::kContributionAdded:
      return StrCat("Beitrag von ", UnitName(config, e.contribution_added().department()));
    case Envelope::kAnswered:
      return StrCat("Beantwortet von ", UnitName(config, e.answered().answer().department()), ": ",
                    OutcomeWord(e.answered().answer().outcome()));
    case Envelope::kEscalated:
      return StrCat(e.escalated().level() == lotse::v1::ESCALATION_LEVEL_WARNING
                        ? "Frist läuft bald ab: Hinweis an "
                        : "Frist überschritten: eskaliert an ",
                    UnitName(config, e.escalated().assignee()));
    case Envelope::kCompanyAsked:
      return StrCat("Rückfrage an das Unternehmen durch ",
                    UnitName(config, e.company_asked().assignee()));
    case Envelope::kCompanyReplied:
      return StrCat("Das Unternehmen hat geantwortet (eingetragen von ",
                    UnitName(config, e.company_replied().replied_by()), ")");
    case Envelope::kReopened:
      return StrCat("Wieder geöffnet (", e.reopened().reopen_count(), ". Mal) bei ",
                    UnitName(config, e.reopened().assignee()));
    case Envelope::kFollowUpAsked:
      return StrCat("Nachfrage von ", UnitName(config, e.follow_up_asked().office()));
    case Envelope::kCompanyFeedbackSubmitted:
      return StrCat("Rückmeldung des Unternehmens: ", e.company_feedback_submitted().rating(),
                    " von 5");
    case Envelope::kAttachmentAdded:
      return StrCat("Anhang hinzugefügt: ", e.attachment_added().attachment().name());
    case Envelope::kClosed:
      return "Abgeschlossen";
    case Envelope::kPersonalDataErased:
      return e.personal_data_erased().by_retention()
                 ? "Personenbezogene Daten gelöscht: Aufbewahrungsfrist abgelaufen"
                 : StrCat("Personenbezogene Daten gelöscht (", e.personal_data_erased().reason(),
                          ")");
    case Envelope::kReferralDeleted:
      return "Vorgang gelöscht: Aufbewahrungsfrist abgelaufen";
    case Envelope::kDelivered:
      return "Per E-Mail zugestellt";
    case Envelope::kDeliveryFailed:
      return e.delivery_failed().final() ? "E-Mail nicht zustellbar"
                                         : "E-Mail-Zustellung verzögert";
    default:
      return "Ereignis";
  }
}

std::string ReferralHistory(Site& site, const Caller& caller, const std::string& ref) {
  client::HistoryArgs args;
  args.ref = ref;
  if (caller.IsOffice()) {
    args.office = caller.role.id();
  } else {
    args.department = caller.role.id();
  }
  absl::StatusOr<lotse::v1::AuditReply> reply = site.Call(caller, client::HistoryRequest(args));
  if (!reply.ok() || reply->has_error()) {
    return R"(<section><h2>Verlauf</h2><p>Der Verlauf ist gerade nicht abrufbar.</p></section>)";
  }
  std::string items;
  for (const lotse::v1::HistoryEntry& e : reply->history().entries()) {
    items += StrCat("<li><span class=\"when\">",
                    Escape(DateTime(e.event().occurred_at_us(), site.config().city.zone)),
                    "</span> ", Escape(EventLine(site.config(), e.event())), "</li>");
  }
  return StrCat(R"(<section><h2>Verlauf</h2><ol class="history">)", items, "</ol></section>");
}

}  // namespace lotse::web
