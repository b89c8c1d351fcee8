#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/calendar/calendar.h"
#include "common/config/config.h"

namespace lotse::routing {

// Who gets a referral, and why.
struct Decision {
  std::string assignee;                // department or key account manager
  std::string responsible_department;  // by office override, topic, or default
  std::string key_account;             // the company's KAM, if any
  std::string reason;                  // for people: which rule decided
};

struct Deadlines {
  absl::Time warn;
  absl::Time due;
};

// The routing rules and SLA clocks of the configured city. Rules are data: topic ->
// department, company -> key account manager (first, Duisburg model), office overrides, a
// default department. Immutable after Create(); safe for concurrent use.
class Rules {
 public:
  static absl::StatusOr<Rules> Create(const config::Config& config);

  // Decides where a new referral goes. NotFound if the topic is unknown.
  absl::StatusOr<Decision> Route(std::string_view office, std::string_view topic,
                                 std::string_view company_id) const;
  // True for a configured department or key account manager.
  bool IsAssignee(std::string_view id) const;
  bool IsDepartment(std::string_view id) const;
  // Warning and due time for work handed to `assignee` at `from`, in the business hours of
  // its department (a KAM's home department).
  Deadlines Schedule(std::string_view assignee, absl::Time from) const;

  // Case work's clocks, all in the business hours of `assignee`'s department (a KAM's home
  // department), the default department's for an unknown assignee.
  // Warning and due time of the first reaction (claim or first action) to work handed over at
  // `from`: Department::FirstReactionHours(), warned at the same share as the answer.
  Deadlines FirstReaction(std::string_view assignee, absl::Time from) const;
  // The ladder's second level: routing.second_breach_hours after `due`; nullopt when off (0).
  std::optional<absl::Time> SecondBreach(std::string_view assignee, absl::Time due) const;
  // A deadline `due` set by hand at `from`: warned at the warning share of the business time
  // until it.
  Deadlines Until(std::string_view assignee, absl::Time from, absl::Time due) const;
  // Business time within [from, to): how long a clock stood still while it was paused.
  absl::Duration BusinessTimeBetween(std::string_view assignee, absl::Time from,
                                     absl::Time to) const;
  // `at` moved on by `d` business time (a paused clock's deadline after the pause).
  absl::Time AddBusinessTime(std::string_view assignee, absl::Time at, absl::Duration d) const;
  // The staff id of the lead of `assignee`'s department (a KAM's home department); "" if none.
  std::string Lead(std::string_view assignee) const;

 private:
  struct Clock {
    double sla_hours;
    std::string department;
    double first_reaction_hours = 0;
  };
  const Clock& ClockOf(std::string_view assignee) const;
  const calendar::BusinessCalendar& CalendarOf(std::string_view assignee) const;
  explicit Rules(const config::Config& config) : config_(config) {}

  config::Config config_;
  std::map<std::string, Clock, std::less<>> clocks_;  // assignee -> SLA and calendar
  std::map<std::string, calendar::BusinessCalendar, std::less<>> calendars_;  // department
};

}  // namespace lotse::routing
