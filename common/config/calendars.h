#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/calendar/calendar.h"
#include "common/config/config.h"

namespace lotse::config {

// The business calendars of the configured city: one per department (its office hours, the
// state's public holidays, the city's closing days), all in the city's time zone.
struct Calendars {
  absl::TimeZone zone;  // config.city.zone
  std::map<std::string, calendar::BusinessCalendar, std::less<>> by_department;
};

// Builds them from a validated config; InvalidArgument names what cannot be read.
absl::StatusOr<Calendars> BuildCalendars(const Config& config);

}  // namespace lotse::config
