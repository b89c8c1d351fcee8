#pragma once

#include <map>
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

 private:
  struct Clock {
    double sla_hours;
    std::string department;
  };
  explicit Rules(const config::Config& config) : config_(config) {}

  config::Config config_;
  std::map<std::string, Clock, std::less<>> clocks_;  // assignee -> SLA and calendar
  std::map<std::string, calendar::BusinessCalendar, std::less<>> calendars_;  // department
};

}  // namespace lotse::routing
