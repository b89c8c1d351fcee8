#include "services/notification/messages.h"

#include <algorithm>
#include <set>

#include "common/enum_word.h"
#include "common/format.h"

namespace lotse::notification {
namespace {

using lotse::v1::Envelope;

std::string Local(int64_t us, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(us), zone);
}

// " You stand in for bo-mueller, who is away." or "".
std::string StandIn(std::string_view absent) {
  return absent.empty() ? std::string() : StrCat(" You stand in for ", absent, ", who is away.");
}

// " Contact person: Jana Müller (bo-mueller)." or "".
std::string ContactLine(const lotse::v1::StaffContact& c) {
  if (c.id().empty()) {
    return "";
  }
  return StrCat(" Contact person: ", c.name().empty() ? c.id() : c.name(), " (", c.id(), ").");
}

// The escalation's title by clock and level, e.g. "Overdue: referral 2026-000123 (...) was due
// 2026-03-03 09:30".
std::string EscalationTitle(const lotse::v1::Escalated& x, std::string_view ref,
                            std::string_view subject, const absl::TimeZone& zone) {
  const std::string due = Local(x.due_at_us(), zone);
  const bool warning = x.level() == lotse::v1::ESCALATION_LEVEL_WARNING;
  if (x.level() == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH) {
    return StrCat("Still unanswered: referral ", ref, " (", subject, ") was due ", due);
  }
  switch (x.deadline()) {
    case lotse::v1::DEADLINE_FIRST_REACTION:
      return warning ? StrCat("React soon: nobody has taken up referral ", ref, " (", subject,
                              "), first reaction due ", due)
                     : StrCat("No reaction: nobody has taken up referral ", ref, " (", subject,
                              "), first reaction was due ", due);
    case lotse::v1::DEADLINE_CONSULTATION:
      return warning ? StrCat("Contribution due soon: referral ", ref, " (", subject, ") needs ",
                              x.department(), "'s contribution by ", due)
                     : StrCat("Contribution overdue: referral ", ref, " (", subject, ") needed ",
                              x.department(), "'s contribution by ", due);
    default:
      return StrCat(warning ? "Due soon: referral " : "Overdue: referral ", ref, " (", subject,
                    ") was due ", due);
  }
}

std::string EscalationBody(const lotse::v1::Escalated& x) {
  if (x.level() == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH) {
    return StrCat("It is with ", x.assignee(),
                  " and has passed its due time long ago: ask them for the answer or a date.");
  }
  if (x.deadline() == lotse::v1::DEADLINE_FIRST_REACTION) {
    return x.level() == lotse::v1::ESCALATION_LEVEL_WARNING
               ? "Claim it or forward it with a reason before then."
               : "Claim it now, or forward it with a reason.";
  }
  if (x.deadline() == lotse::v1::DEADLINE_CONSULTATION) {
    return StrCat("Send ", x.assignee(), " your contribution.");
  }
  return x.level() == lotse::v1::ESCALATION_LEVEL_BREACH
             ? "Answer it now or forward it with a reason."
             : "Answer it before then.";
}

}  // namespace

std::string OfficeInbox(std::string_view office) { return StrCat("office/", office); }
std::string DepartmentInbox(std::string_view department) {
  return StrCat("department/", department);
}
std::string StaffInbox(std::string_view staff_id) { return StrCat(kStaffPrefix, staff_id); }
std::string CompanyRecipient(std::string_view referral_id) {
  return StrCat(kCompanyPrefix, referral_id);
}

bool PlausibleMailAddress(std::string_view address) {
  if (address.empty() || address.size() > 254) {
    return false;
  }
  const size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::all_of(address.begin(), address.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7F && c != '<' && c != '>' && c != ',' && c != ';' && c != '"' &&
           c != '\\';
  });
}

std::vector<Outgoing> MessagesFor(const Envelope& e, lotse::v1::ReferralNote& note,
                                  const absl::TimeZone& zone) {
  std::vector<Outgoing> out;
  const std::string& ref = e.case_number().empty() ? e.referral_id() : e.case_number();
  if (!e.case_number().empty()) {
    note.set_case_number(e.case_number());
  }
  auto to_office = [&](lotse::v1::MessageKind kind, std::string title, std::string body = "") {
    if (!note.office().empty()) {
      out.push_back({OfficeInbox(note.office()), kind, std::move(title), std::move(body), ""});
    }
  };
  auto to_unit = [&](std::string_view unit, lotse::v1::MessageKind kind, std::string title,
                     std::string body = "") {
    if (!unit.empty()) {
      out.push_back({DepartmentInbox(unit), kind, std::move(title), std::move(body), ""});
    }
  };
  auto to_staff = [&](std::string_view staff_id, lotse::v1::MessageKind kind, std::string title,
                      std::string body = "") {
    if (!staff_id.empty()) {
      out.push_back({staff_id == kHeadInbox ? std::string(kHeadInbox) : StaffInbox(staff_id), kind,
                     std::move(title), std::move(body), ""});
    }
  };
  switch (e.payload_case()) {
    case Envelope::kReferralSubmitted: {
      const lotse::v1::Referral& r = e.referral_submitted().referral();
      note.set_office(r.office());
      note.set_subject(r.subject());
      note.set_company_name(r.company_name());
      // Kept only with the contact's consent, and only until the referral is closed.
      if (r.contact().consent_email() && PlausibleMailAddress(r.contact().email()) &&
          !note.answered()) {
        note.set_company_email(r.contact().email());
      }
      break;
    }
    case Envelope::kReferralRouted: {
      const lotse::v1::ReferralRouted& r = e.referral_routed();
      note.set_office(r.office());
      note.set_subject(r.subject());
      note.set_company_name(r.company_name());
      note.set_assignee(r.assignee());
      note.set_key_account(r.key_account());
      note.set_contact_person(r.contact_person().id());
      const std::string title =
          StrCat("New referral ", ref, ": ", r.subject(), " (", r.company_name(), ")");
      const std::string body = StrCat("From office ", r.office(), ", topic ", r.topic(), ". Due ",
                                      Local(r.due_at_us(), zone), ". Why you: ", r.reason(), ".");
      to_unit(r.assignee(), lotse::v1::MESSAGE_KIND_NEW_REFERRAL, title,
              StrCat(body, ContactLine(r.contact_person())));
      to_staff(
          r.contact_person().id(), lotse::v1::MESSAGE_KIND_NEW_REFERRAL, title,
          StrCat(body, " It is yours as the named contact person.", StandIn(r.stand_in_for())));
      to_office(lotse::v1::MESSAGE_KIND_STATUS, StrCat("Referral ", ref, " is with ", r.assignee()),
                StrCat("Due ", Local(r.due_at_us(), zone), "."));
      break;
    }
    case Envelope::kClaimed:
      to_office(lotse::v1::MESSAGE_KIND_STATUS,
                StrCat("Referral ", ref, " is being worked on at ", e.claimed().assignee()));
      break;
    case Envelope::kForwarded: {
      const lotse::v1::Forwarded& f = e.forwarded();
      note.set_assignee(f.to());
      note.set_contact_person(f.contact_person().id());
      const std::string title =
          StrCat("Referral ", ref, " forwarded to you by ", f.from(), ": ", note.subject());
      const std::string body =
          StrCat("Reason: ", f.reason(), ". Due ", Local(f.due_at_us(), zone), ".");
      to_unit(f.to(), lotse::v1::MESSAGE_KIND_FORWARDED, title,
              StrCat(body, ContactLine(f.contact_person())));
      to_staff(
          f.contact_person().id(), lotse::v1::MESSAGE_KIND_FORWARDED, title,
          StrCat(body, " It is yours as the named contact person.", StandIn(f.stand_in_for())));
      to_office(lotse::v1::MESSAGE_KIND_STATUS,
                StrCat("Referral ", ref, " was forwarded to ", f.to()),
                StrCat("Reason: ", f.reason(), "."));
      break;
    }
    case Envelope::kConsultationOpened: {
      const lotse::v1::ConsultationOpened& c = e.consultation_opened();
      const std::string title =
          StrCat(c.assignee(), " asks for your contribution to ", ref, ": ", note.subject());
      for (const std::string& d : c.departments()) {
        to_unit(d, lotse::v1::MESSAGE_KIND_CONSULTATION, title, c.question());
      }
      for (const lotse::v1::StaffContact& contact : c.contacts()) {
        to_staff(
            contact.id(), lotse::v1::MESSAGE_KIND_CONSULTATION, title,
            StrCat(c.question(), "\n\nDue ", Local(c.due_at_us(), zone),
                   ". It is yours as the named contact person in ", contact.department(), "."));
      }
      break;
    }
    case Envelope::kContributionAdded:
      to_unit(note.assignee(), lotse::v1::MESSAGE_KIND_CONTRIBUTION,
              StrCat(e.contribution_added().department(), " contributed to ", ref),
              e.contribution_added().text());
      break;
    case Envelope::kAnswered: {
      const lotse::v1::Answer& a = e.answered().answer();
      to_office(lotse::v1::MESSAGE_KIND_ANSWER,
                StrCat("Answer to referral ", ref, " from ", a.department(), " (",
                       EnumWord(lotse::v1::Outcome_Name(a.outcome()), 8, a.outcome()), ")"),
                a.text());
      note.set_answered(true);
      if (!note.company_email().empty()) {
        out.push_back({CompanyRecipient(e.referral_id()), lotse::v1::MESSAGE_KIND_ANSWER,
                       StrCat("Answer to your question: ", note.subject(), " (", ref, ")"),
                       StrCat(a.text(), "\n\nThis answer also went to citizen office ",
                              note.office(), ", where you asked."),
                       note.company_email()});
        // Kept until the referral is closed: reopened, its next answer goes out too.
      }
      break;
    }
    case Envelope::kEscalated: {
      const lotse::v1::Escalated& x = e.escalated();
      const std::string title = EscalationTitle(x, ref, note.subject(), zone);
      const std::string body = EscalationBody(x);
      // A consultation's clock is the consulted department's; every other clock the assignee's.
      const bool consultation =
          x.deadline() == lotse::v1::DEADLINE_CONSULTATION && !x.department().empty();
      to_unit(consultation ? x.department() : x.assignee(), lotse::v1::MESSAGE_KIND_ESCALATION,
              title, body);
      if (!x.key_account().empty() && x.key_account() != x.assignee()) {
        to_unit(x.key_account(), lotse::v1::MESSAGE_KIND_ESCALATION, title,
                StrCat("It is with ", x.assignee(), "."));
      }
      if (x.notify_staff().empty() && !consultation) {
        to_staff(note.contact_person(), lotse::v1::MESSAGE_KIND_ESCALATION, title, body);
      }
      for (const std::string& person : x.notify_staff()) {
        to_staff(person, lotse::v1::MESSAGE_KIND_ESCALATION, title,
                 person == kHeadInbox ? StrCat("It is with ", x.assignee(), ".") : body);
      }
      if (x.level() == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH &&
          std::find(x.notify_staff().begin(), x.notify_staff().end(), kHeadInbox) ==
              x.notify_staff().end()) {
        to_staff(kHeadInbox, lotse::v1::MESSAGE_KIND_ESCALATION, title,
                 StrCat("It is with ", x.assignee(), "."));
      }
      break;
    }
    case Envelope::kCompanyAsked: {
      const lotse::v1::CompanyAsked& q = e.company_asked();
      if (note.office().empty()) {
        note.set_office(q.office());
      }
      to_office(lotse::v1::MESSAGE_KIND_COMPANY_QUESTION,
                StrCat("Question back on referral ", ref, " for ", note.company_name(),
                       ": please ask the company"),
                StrCat(q.question(), "\n\nAsked by ",
                       q.asked_by().empty() ? q.assignee() : q.asked_by(), " (", q.assignee(),
                       "). The answer clock stands still until you enter the company's reply."));
      break;
    }
    case Envelope::kCompanyReplied: {
      const lotse::v1::CompanyReplied& c = e.company_replied();
      if (!c.assignee().empty()) {
        note.set_assignee(c.assignee());
      }
      const std::string title =
          StrCat("The company replied on referral ", ref, ": ", note.subject());
      const std::string body = StrCat(c.text(), "\n\nThe answer clock runs again: due ",
                                      Local(c.due_at_us(), zone), ".");
      to_unit(note.assignee(), lotse::v1::MESSAGE_KIND_COMPANY_REPLY, title, body);
      to_staff(note.contact_person(), lotse::v1::MESSAGE_KIND_COMPANY_REPLY, title, body);
      break;
    }
    case Envelope::kReopened: {
      const lotse::v1::Reopened& r = e.reopened();
      if (!r.assignee().empty()) {
        note.set_assignee(r.assignee());
      }
      if (note.office().empty()) {
        note.set_office(r.office());
      }
      note.set_contact_person(r.contact_person().id());
      const std::string title = StrCat("Referral ", ref, " is open again: ", note.subject());
      const std::string body = StrCat("Why: ", r.reason(), ". Due ", Local(r.due_at_us(), zone),
                                      ". The earlier answer and its history stay with it.");
      to_unit(note.assignee(), lotse::v1::MESSAGE_KIND_REOPENED, title,
              StrCat(body, ContactLine(r.contact_person())));
      to_staff(r.contact_person().id(), lotse::v1::MESSAGE_KIND_REOPENED, title, body);
      break;
    }
    case Envelope::kClosed: {
      // Needed no longer: from here the company's address lives only in its mail jobs.
      note.clear_company_email();
      const lotse::v1::Feedback& f = e.closed().feedback();
      to_unit(note.assignee(), lotse::v1::MESSAGE_KIND_FEEDBACK,
              StrCat("Feedback on ", ref, ": ", f.rating(), " of 5, ",
                     f.resolved() ? "resolved" : "not resolved"),
              f.comment());
      to_staff(note.contact_person(), lotse::v1::MESSAGE_KIND_FEEDBACK,
               StrCat("Feedback on ", ref, ": ", f.rating(), " of 5, ",
                      f.resolved() ? "resolved" : "not resolved"),
               f.comment());
      break;
    }
    default:
      break;
  }
  // One message per recipient and event: a lead may also be the contact person, say.
  std::set<std::string> seen;
  std::erase_if(out, [&](const Outgoing& o) { return !seen.insert(o.recipient).second; });
  return out;
}

}  // namespace lotse::notification
