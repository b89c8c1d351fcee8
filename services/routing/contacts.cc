#include "services/routing/contacts.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "common/config/validate.h"
#include "common/format.h"
#include "common/service/errors.h"
#include "common/status_macros.h"
#include "common/store/store.h"

namespace lotse::routing {
namespace {

using lotse::v1::AbsenceSet;
using service::FieldError;
using service::InvalidField;

// A department or key account manager and whether `id` is one of its staff (or the KAM).
struct Person {
  const config::Department* department = nullptr;  // staff: its department; KAM: home
  const config::StaffMember* staff = nullptr;
  const config::KeyAccount* key_account = nullptr;
};

Person FindPerson(const config::Config& config, std::string_view id) {
  Person p;
  auto [department, staff] = config.FindStaff(id);
  if (staff != nullptr) {
    p.department = department;
    p.staff = staff;
    return p;
  }
  p.key_account = config.FindKeyAccount(id);
  return p;
}

bool Overlaps(const AbsenceSet& a, std::string_view from, std::string_view to) {
  return a.from_date() <= to && from <= a.to_date();
}

}  // namespace

std::string DayOf(absl::Time t, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d", t, zone);
}

bool IsDay(std::string_view day) {
  if (day.size() != 10) {
    return false;
  }
  absl::CivilDay parsed;
  // ParseCivilTime normalizes ("2026-02-30" -> March 2nd): a real day formats back unchanged.
  return absl::ParseCivilTime(absl::string_view(day.data(), day.size()), &parsed) &&
         absl::FormatCivilTime(parsed) == day;
}

const AbsenceSet* AbsenceOn(const Absences& absences, std::string_view user, std::string_view day) {
  for (const AbsenceSet& a : absences) {
    if (!a.cancelled() && a.user() == user && a.from_date() <= day && day <= a.to_date()) {
      return &a;
    }
  }
  return nullptr;
}

std::string LowerUtf8(std::string_view text) {
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (c < 0x80) {
      out[i] = absl::ascii_tolower(out[i]);
    } else if (c == 0xC3 && i + 1 < out.size()) {
      // U+00C0..U+00DE are Latin-1 capitals (but U+00D7, the multiplication sign): their small
      // letters are 0x20 above, within the same lead byte.
      const unsigned char next = static_cast<unsigned char>(out[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97) {
        out[i + 1] = static_cast<char>(next + 0x20);
      }
      ++i;
    }
  }
  return out;
}

lotse::v1::StaffContact ToContact(const config::Department& department,
                                  const config::StaffMember& member) {
  lotse::v1::StaffContact c;
  c.set_id(member.id);
  c.set_name(member.name);
  c.set_phone(member.phone);
  c.set_email(member.email);
  c.set_department(department.id);
  return c;
}

std::string SubstituteOn(const Absences& absences, std::string_view user, std::string_view today) {
  std::string current(user);
  std::set<std::string> seen{current};
  // A substitute who is away too hands on to their own substitute; a circle stops where it
  // closes (everyone away: the last one reached keeps it).
  while (const AbsenceSet* away = AbsenceOn(absences, current, today)) {
    if (away->substitute().empty() || !seen.insert(away->substitute()).second) {
      break;
    }
    current = away->substitute();
  }
  return current == user ? "" : current;
}

std::optional<ContactChoice> ChooseContact(const config::Department& department,
                                           std::string_view topic, std::string_view subject,
                                           std::string_view question, const OpenCounts& open,
                                           const Absences& absences, std::string_view today) {
  const std::string text = StrCat(LowerUtf8(subject), "\n", LowerUtf8(question));
  const config::StaffMember* best = nullptr;
  int best_hits = -1;
  uint32_t best_open = 0;
  for (const config::StaffMember& m : department.staff) {
    if (!topic.empty() && std::find(m.topics.begin(), m.topics.end(), topic) == m.topics.end()) {
      continue;
    }
    int hits = 0;
    for (const std::string& k : m.keywords) {
      const std::string keyword = LowerUtf8(k);
      if (!keyword.empty() && text.find(keyword) != std::string::npos) {
        ++hits;
      }
    }
    auto it = open.find(m.id);
    const uint32_t items = it == open.end() ? 0 : it->second;
    // More keyword hits first, then fewer open items; on a tie the earlier one stays.
    if (best == nullptr || hits > best_hits || (hits == best_hits && items < best_open)) {
      best = &m;
      best_hits = hits;
      best_open = items;
    }
  }
  if (best == nullptr) {
    return std::nullopt;
  }
  ContactChoice choice;
  const std::string substitute = SubstituteOn(absences, best->id, today);
  const config::StaffMember* given = best;
  if (!substitute.empty()) {
    if (const config::StaffMember* s = department.FindStaff(substitute); s != nullptr) {
      given = s;
      choice.stand_in_for = best->id;
    }
  }
  choice.contact = ToContact(department, *given);
  return choice;
}

absl::StatusOr<AbsenceSet> CheckAbsence(const config::Config& config, const lotse::v1::Actor& actor,
                                        const lotse::v1::AbsenceRequest& request,
                                        const Absences& existing, std::string_view today) {
  const Person person = FindPerson(config, request.user());
  if (person.staff == nullptr && person.key_account == nullptr) {
    return FieldError(absl::StatusCode::kNotFound, "user",
                      StrCat("'", request.user(),
                             "' is neither a staff member nor a key account manager: see "
                             "'lotse contacts'"));
  }
  // The department (or KAM id) that answers for the person.
  const std::string owner =
      person.staff != nullptr ? person.department->id : person.key_account->id;
  const bool admin = actor.kind() == lotse::v1::ACTOR_KIND_ADMIN;
  const bool own = actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT && actor.id() == owner;
  if (!admin && !own) {
    return FieldError(
        absl::StatusCode::kPermissionDenied, "user",
        StrCat("only ", owner, " or an administrator may record absences of ", request.user()));
  }
  if (!IsDay(request.from_date())) {
    return InvalidField("from_date", "from_date is the first day away, as YYYY-MM-DD");
  }
  if (request.cancel()) {
    for (const AbsenceSet& a : existing) {
      if (!a.cancelled() && a.user() == request.user() && a.from_date() <= request.from_date() &&
          request.from_date() <= a.to_date()) {
        AbsenceSet ended = a;
        ended.set_cancelled(true);
        return ended;
      }
    }
    return FieldError(absl::StatusCode::kNotFound, "from_date",
                      StrCat("no absence of ", request.user(), " covers ", request.from_date(),
                             ": see 'lotse contacts' for the recorded ones"));
  }
  if (!IsDay(request.to_date())) {
    return InvalidField("to_date", "to_date is the last day away, as YYYY-MM-DD");
  }
  if (request.from_date() > request.to_date()) {
    return InvalidField("to_date",
                        StrCat("the absence ends (", request.to_date(), ") before it starts (",
                               request.from_date(), "): swap the dates"));
  }
  if (request.to_date() < today) {
    return InvalidField("to_date", StrCat("the absence ended before today (", today,
                                          "): only today and later days can be recorded"));
  }
  const std::string& sub = request.substitute();
  if (sub.empty()) {
    return InvalidField("substitute", "name the colleague who stands in (--substitute)");
  }
  if (sub == request.user()) {
    return InvalidField("substitute", "a person cannot stand in for themselves");
  }
  const Person stand_in = FindPerson(config, sub);
  if (stand_in.staff == nullptr && stand_in.key_account == nullptr) {
    return FieldError(absl::StatusCode::kNotFound, "substitute",
                      StrCat("'", sub, "' is neither a staff member nor a key account manager: ",
                             "see 'lotse contacts'"));
  }
  if (person.staff != nullptr &&
      (stand_in.staff == nullptr || stand_in.department->id != person.department->id)) {
    return InvalidField("substitute", StrCat(sub, " is not in ", person.department->id,
                                             ": the substitute must be a colleague of the same "
                                             "department"));
  }
  if (person.key_account != nullptr && stand_in.key_account == nullptr) {
    return InvalidField("substitute", StrCat(sub,
                                             " is not a key account manager: a key account "
                                             "manager's substitute is another one"));
  }
  for (const AbsenceSet& a : existing) {
    if (!a.cancelled() && a.user() == request.user() &&
        Overlaps(a, request.from_date(), request.to_date())) {
      return FieldError(absl::StatusCode::kAlreadyExists, "from_date",
                        StrCat(request.user(), " is already away from ", a.from_date(), " to ",
                               a.to_date(), " (substitute ", a.substitute(),
                               "): cancel that absence first, or choose other days"));
    }
  }
  AbsenceSet set;
  set.set_user(request.user());
  set.set_department(person.staff != nullptr ? person.department->id
                                             : person.key_account->department);
  set.set_from_date(request.from_date());
  set.set_to_date(request.to_date());
  set.set_substitute(sub);
  return set;
}

void AddStandIns(lotse::v1::Escalated& escalated, const Absences& absences,
                 std::string_view today) {
  const std::vector<std::string> listed(escalated.notify_staff().begin(),
                                        escalated.notify_staff().end());
  std::set<std::string> present(listed.begin(), listed.end());
  for (const std::string& person : listed) {
    const std::string substitute = SubstituteOn(absences, person, today);
    if (!substitute.empty() && present.insert(substitute).second) {
      escalated.add_notify_staff(substitute);
    }
  }
}

std::string CompanyPrefix(std::string_view company_id) {
  return StrCat(
      config::internal::NormalizeCompany(absl::string_view(company_id.data(), company_id.size())),
      std::string(1, '\0'));
}

std::string CompanyKey(const lotse::v1::ReferralState& state) {
  if (config::internal::NormalizeCompany(state.referral().company_id()).empty()) {
    return "";
  }
  // Inverted time: a plain scan runs newest first.
  return StrCat(CompanyPrefix(state.referral().company_id()),
                store::EncodeU64(~static_cast<uint64_t>(state.submitted_at_us())),
                std::string(1, '\0'), state.referral_id());
}

}  // namespace lotse::routing
