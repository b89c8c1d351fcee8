#include "services/notification/messages.h"

#include "common/enum_word.h"
#include "common/format.h"

namespace lotse::notification {
namespace {

using lotse::v1::Envelope;

std::string Local(int64_t us, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(us), zone);
}

}  // namespace

std::string OfficeInbox(std::string_view office) { return StrCat("office/", office); }
std::string DepartmentInbox(std::string_view department) {
  return StrCat("department/", department);
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
      out.push_back({OfficeInbox(note.office()), kind, std::move(title), std::move(body)});
    }
  };
  auto to_unit = [&](std::string_view unit, lotse::v1::MessageKind kind, std::string title,
                     std::string body = "") {
    if (!unit.empty()) {
      out.push_back({DepartmentInbox(unit), kind, std::move(title), std::move(body)});
    }
  };
  switch (e.payload_case()) {
    case Envelope::kReferralSubmitted: {
      const lotse::v1::Referral& r = e.referral_submitted().referral();
      note.set_office(r.office());
      note.set_subject(r.subject());
      note.set_company_name(r.company_name());
      break;
    }
    case Envelope::kReferralRouted: {
      const lotse::v1::ReferralRouted& r = e.referral_routed();
      note.set_office(r.office());
      note.set_subject(r.subject());
      note.set_company_name(r.company_name());
      note.set_assignee(r.assignee());
      note.set_key_account(r.key_account());
      to_unit(r.assignee(), lotse::v1::MESSAGE_KIND_NEW_REFERRAL,
              StrCat("New referral ", ref, ": ", r.subject(), " (", r.company_name(), ")"),
              StrCat("From office ", r.office(), ", topic ", r.topic(), ". Due ",
                     Local(r.due_at_us(), zone), ". Why you: ", r.reason(), "."));
      to_office(lotse::v1::MESSAGE_KIND_STATUS,
                StrCat("Referral ", ref, " is with ", r.assignee()),
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
      to_unit(f.to(), lotse::v1::MESSAGE_KIND_FORWARDED,
              StrCat("Referral ", ref, " forwarded to you by ", f.from(), ": ", note.subject()),
              StrCat("Reason: ", f.reason(), ". Due ", Local(f.due_at_us(), zone), "."));
      to_office(lotse::v1::MESSAGE_KIND_STATUS,
                StrCat("Referral ", ref, " was forwarded to ", f.to()),
                StrCat("Reason: ", f.reason(), "."));
      break;
    }
    case Envelope::kConsultationOpened:
      for (const std::string& d : e.consultation_opened().departments()) {
        to_unit(d, lotse::v1::MESSAGE_KIND_CONSULTATION,
                StrCat(e.consultation_opened().assignee(), " asks for your contribution to ",
                       ref, ": ", note.subject()),
                e.consultation_opened().question());
      }
      break;
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
      break;
    }
    case Envelope::kEscalated: {
      const lotse::v1::Escalated& x = e.escalated();
      const bool breach = x.level() == lotse::v1::ESCALATION_LEVEL_BREACH;
      const std::string title =
          StrCat(breach ? "Overdue: referral " : "Due soon: referral ", ref, " (", note.subject(),
                 ") was due ", Local(x.due_at_us(), zone));
      to_unit(x.assignee(), lotse::v1::MESSAGE_KIND_ESCALATION, title,
              breach ? "Answer it now or forward it with a reason." : "Answer it before then.");
      if (!x.key_account().empty() && x.key_account() != x.assignee()) {
        to_unit(x.key_account(), lotse::v1::MESSAGE_KIND_ESCALATION, title,
                StrCat("It is with ", x.assignee(), "."));
      }
      break;
    }
    case Envelope::kClosed: {
      const lotse::v1::Feedback& f = e.closed().feedback();
      to_unit(note.assignee(), lotse::v1::MESSAGE_KIND_FEEDBACK,
              StrCat("Feedback on ", ref, ": ", f.rating(), " of 5, ",
                     f.resolved() ? "resolved" : "not resolved"),
              f.comment());
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace lotse::notification
