#include "common/config/calendars.h"

#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::config {

absl::StatusOr<Calendars> BuildCalendars(const Config& config) {
  LOTSE_ASSIGN_OR_RETURN(calendar::State state, calendar::ParseState(config.city.state));
  Calendars out;
  out.zone = config.city.zone;
  std::vector<absl::CivilDay> closed;
  for (const std::string& day : config.city.closing_days) {
    absl::CivilDay parsed;
    if (!absl::ParseCivilTime(day, &parsed)) {
      return absl::InvalidArgumentError(StrCat("closing day '", day, "' is not YYYY-MM-DD"));
    }
    closed.push_back(parsed);
  }
  for (const Department& d : config.departments) {
    LOTSE_ASSIGN_OR_RETURN(calendar::WeeklyHours hours, calendar::ParseWeeklyHours(d.office_hours));
    out.by_department.emplace(d.id, calendar::BusinessCalendar(state, hours, closed, out.zone));
  }
  for (const KeyAccount& k : config.key_accounts) {
    if (config.FindDepartment(k.department) == nullptr) {
      return absl::InvalidArgumentError(
          StrCat("key account manager ", k.id, " has unknown department ", k.department));
    }
  }
  return out;
}

}  // namespace lotse::config
