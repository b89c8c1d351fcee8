#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/routing.pb.h"

// Named contact persons and their stand-ins (Vertretung): which staff member of a department
// gets a referral, who stands in for an absent one, and which absences may be recorded. Pure
// functions: the wiring (routing_service.cc) reads open-item counts and absences from the
// store and passes them in.
namespace lotse::routing {

// Open referrals per staff id; a staff id not in the map has none.
using OpenCounts = std::map<std::string, uint32_t, std::less<>>;
// Recorded absences (not cancelled ones), any order.
using Absences = std::vector<lotse::v1::AbsenceSet>;

// The day `t` falls on in `zone`, "YYYY-MM-DD": absences are whole days in the city's zone.
std::string DayOf(absl::Time t, absl::TimeZone zone);
// True for a real calendar day written "YYYY-MM-DD".
bool IsDay(std::string_view day);

// The absence of `user` in force on `day` (from_date <= day <= to_date), nullptr if none.
const lotse::v1::AbsenceSet* AbsenceOn(const Absences& absences, std::string_view user,
                                       std::string_view day);

// `text` in lower case: ASCII and the Latin-1 capitals of UTF-8 (Ä, Ö, Ü, ...); "LAGERHALLE
// Ärger" -> "lagerhalle ärger". Keywords are configured in lower case.
std::string LowerUtf8(std::string_view text);

// The staff member as the office and notification see the person.
lotse::v1::StaffContact ToContact(const config::Department& department,
                                  const config::StaffMember& member);

// Whom a referral goes to within its department.
struct ContactChoice {
  lotse::v1::StaffContact contact;
  std::string stand_in_for;  // the absent specialist `contact` stands in for, "" if none
};

// The specialist for a referral on `topic` in `department`: among the staff whose topics hold
// `topic`, those with the most keywords occurring in `subject` or `question` (if any has one),
// then the fewest open items, then the first in the config. If that person is absent on
// `today`, the substitute (followed while the substitute is absent too), with stand_in_for set.
// nullopt if no staff member answers the topic: the department's worklist as a whole. An empty
// `topic` (a consultation, whose topic is the asking department's) lets every staff member in.
std::optional<ContactChoice> ChooseContact(const config::Department& department,
                                           std::string_view topic, std::string_view subject,
                                           std::string_view question, const OpenCounts& open,
                                           const Absences& absences, std::string_view today);

// Who substitutes for `user` on `today`, following substitutes who are absent too; "" if
// `user` is not absent.
std::string SubstituteOn(const Absences& absences, std::string_view user, std::string_view today);

// Checks an `absence` request by `actor` against the config and `existing` (the user's recorded
// absences) on `today`, and returns the AbsenceSet to record: for `cancel`, the recorded
// absence that covers from_date, with cancelled set. Structured errors naming the field:
// unknown user (NotFound), not the actor's own staff (PermissionDenied), a bad, past or
// reversed date, a substitute unknown, the same person or of another department, an overlap
// with a recorded absence (AlreadyExists, naming it), a cancel of an absence that does not
// exist (NotFound).
absl::StatusOr<lotse::v1::AbsenceSet> CheckAbsence(const config::Config& config,
                                                   const lotse::v1::Actor& actor,
                                                   const lotse::v1::AbsenceRequest& request,
                                                   const Absences& existing,
                                                   std::string_view today);

// Escalations reach the stand-ins: appends to `escalated.notify_staff` the substitute of every
// listed person who is absent on `today` (once each).
void AddStandIns(lotse::v1::Escalated& escalated, const Absences& absences,
                 std::string_view today);

// The company file's index: every referral of a company under the company's prefix (its id
// normalized as the config compares it), newest first. "" for a referral without a company id.
std::string CompanyPrefix(std::string_view company_id);
std::string CompanyKey(const lotse::v1::ReferralState& state);

}  // namespace lotse::routing
