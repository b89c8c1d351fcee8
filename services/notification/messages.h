#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/notification.pb.h"

namespace lotse::notification {

// A message to put into one recipient's inbox.
struct Outgoing {
  // "office/<id>", "department/<id>", "staff/<staff id>", "head", or "company/<referral id>"
  // (the company's contact person: e-mail only, never an inbox anyone reads).
  std::string recipient;
  lotse::v1::MessageKind kind = lotse::v1::MESSAGE_KIND_UNSPECIFIED;
  std::string title;
  std::string body;
  std::string address;  // "company/<referral id>" only: the contact's e-mail, from the note
};

std::string OfficeInbox(std::string_view office);
std::string DepartmentInbox(std::string_view department);
std::string StaffInbox(std::string_view staff_id);
inline constexpr std::string_view kHeadInbox = "head";
inline constexpr std::string_view kStaffPrefix = "staff/";
inline constexpr std::string_view kCompanyPrefix = "company/";
std::string CompanyRecipient(std::string_view referral_id);

// An e-mail address notification is willing to hand to the SMTP server: one '@' with text on
// both sides, printable ASCII without spaces, angle brackets, commas or semicolons, at most 254
// characters. Intake checks addresses loosely; this keeps a forged one out of the SMTP dialog.
bool PlausibleMailAddress(std::string_view address);

// Who must hear of `event`, and what they read: new items and escalations to the assignee (and
// the key account manager), forwards and consultations to the receiving departments,
// contributions to the asking department, status changes and the answer to the originating
// office, feedback to the answering department. Case work: a named contact person
// (ReferralRouted/Forwarded/Reopened.contact_person) also gets new items, escalations, replies
// and reopenings in "staff/<id>"; Escalated.notify_staff names further people ("head" for the
// head of the economic development office); questions back go to the office, the company's
// reply to the assignee; with the company contact's consent (note.company_email) the answer also
// goes to "company/<referral id>". Each recipient hears of an event once. Updates `note` (what
// notification remembers of the referral) from the event. Times are shown in `zone`. Pure;
// thread-compatible.
std::vector<Outgoing> MessagesFor(const lotse::v1::Envelope& event, lotse::v1::ReferralNote& note,
                                  const absl::TimeZone& zone);

}  // namespace lotse::notification
