#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/notification.pb.h"

namespace lotse::notification {

// A message to put into one recipient's inbox.
struct Outgoing {
  std::string recipient;  // "office/<id>" or "department/<id>"
  lotse::v1::MessageKind kind = lotse::v1::MESSAGE_KIND_UNSPECIFIED;
  std::string title;
  std::string body;
};

std::string OfficeInbox(std::string_view office);
std::string DepartmentInbox(std::string_view department);

// Who must hear of `event`, and what they read: new items and escalations to the assignee (and
// the key account manager), forwards and consultations to the receiving departments,
// contributions to the asking department, status changes and the answer to the originating
// office, feedback to the answering department. Updates `note` (what notification remembers of
// the referral) from the event. Times are shown in `zone`. Pure; thread-compatible.
std::vector<Outgoing> MessagesFor(const lotse::v1::Envelope& event, lotse::v1::ReferralNote& note,
                                  const absl::TimeZone& zone);

}  // namespace lotse::notification
