#include "services/web/history.h"

#include "common/client/requests.h"
#include "common/format.h"
#include "services/web/html.h"
#include "services/web/site.h"

namespace lotse::web {
namespace {

// The name of an office, department or KAM id; the id where the config has none.
std::string Unit(const config::Config& config, const std::string& id) {
  if (const config::Department* d = config.FindDepartment(id)) {
    return d->name;
  }
  if (const config::KeyAccount* k = config.FindKeyAccount(id)) {
    return StrCat("Key Account ", k->name);
  }
  if (const config::Office* o = config.FindOffice(id)) {
    return o->name;
  }
  return id;
}

std::string Person(const lotse::v1::StaffContact& contact) {
  return contact.name().empty() ? "" : StrCat(" (", contact.name(), ")");
}

std::string Units(const config::Config& config,
                  const google::protobuf::RepeatedPtrField<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    out += StrCat(out.empty() ? "" : ", ", Unit(config, id));
  }
  return out;
}

}  // namespace

std::string EventLine(const config::Config& config, const lotse::v1::Envelope& e) {
  using lotse::v1::Envelope;
  switch (e.payload_case()) {
    case Envelope::kReferralSubmitted:
      return StrCat("Aufgenommen von ", Unit(config, e.referral_submitted().referral().office()));
    case Envelope::kFeedbackSubmitted:
      return StrCat("Rückmeldung des Bürgerbüros: ", e.feedback_submitted().rating(), " von 5, ",
                    e.feedback_submitted().resolved() ? "geklärt" : "nicht geklärt");
    case Envelope::kReferralRouted:
      return StrCat("Weitergeleitet an ", Unit(config, e.referral_routed().assignee()),
                    Person(e.referral_routed().contact_person()));
    case Envelope::kClaimed:
      return StrCat("Übernommen von ", e.claimed().user(), " (",
                    Unit(config, e.claimed().assignee()), ")");
    case Envelope::kUnclaimed:
      return StrCat("Freigegeben (", Unit(config, e.unclaimed().assignee()), ")");
    case Envelope::kForwarded:
      return StrCat("Abgegeben von ", Unit(config, e.forwarded().from()), " an ",
                    Unit(config, e.forwarded().to()), Person(e.forwarded().contact_person()), ": ",
                    e.forwarded().reason());
    case Envelope::kConsultationOpened:
      return StrCat(Unit(config, e.consultation_opened().assignee()), " beteiligt ",
                    Units(config, e.consultation_opened().departments()));
    case Envelope::kContributionAdded:
      return StrCat("Beitrag von ", Unit(config, e.contribution_added().department()));
    case Envelope::kAnswered:
      return StrCat("Beantwortet von ", Unit(config, e.answered().answer().department()), ": ",
                    OutcomeWord(e.answered().answer().outcome()));
    case Envelope::kEscalated:
      return StrCat(e.escalated().level() == lotse::v1::ESCALATION_LEVEL_WARNING
                        ? "Frist läuft bald ab: Hinweis an "
                        : "Frist überschritten: eskaliert an ",
                    Unit(config, e.escalated().assignee()));
    case Envelope::kCompanyAsked:
      return StrCat("Rückfrage an das Unternehmen durch ",
                    Unit(config, e.company_asked().assignee()));
    case Envelope::kCompanyReplied:
      return StrCat("Das Unternehmen hat geantwortet (eingetragen von ",
                    Unit(config, e.company_replied().replied_by()), ")");
    case Envelope::kReopened:
      return StrCat("Wieder geöffnet (", e.reopened().reopen_count(), ". Mal) bei ",
                    Unit(config, e.reopened().assignee()));
    case Envelope::kFollowUpAsked:
      return StrCat("Nachfrage von ", Unit(config, e.follow_up_asked().office()));
    case Envelope::kCompanyFeedbackSubmitted:
      return StrCat("Rückmeldung des Unternehmens: ", e.company_feedback_submitted().rating(),
                    " von 5");
    case Envelope::kAttachmentAdded:
      return StrCat("Anhang hinzugefügt: ", e.attachment_added().attachment().name());
    case Envelope::kClosed:
      return "Abgeschlossen";
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
