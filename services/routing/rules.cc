#include "services/routing/rules.h"

#include "common/config/calendars.h"

#include "absl/strings/numbers.h"
#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::routing {

absl::StatusOr<Rules> Rules::Create(const config::Config& config) {
  Rules rules(config);
  LOTSE_ASSIGN_OR_RETURN(config::Calendars calendars, config::BuildCalendars(config));
  rules.calendars_ = std::move(calendars.by_department);
  for (const config::Department& d : config.departments) {
    rules.clocks_.emplace(d.id, Clock{d.sla_hours, d.id, d.FirstReactionHours()});
  }
  for (const config::KeyAccount& k : config.key_accounts) {
    const config::Department* home = config.FindDepartment(k.department);  // checked above
    rules.clocks_.emplace(k.id, Clock{home->sla_hours, home->id, home->FirstReactionHours()});
  }
  return rules;
}

absl::StatusOr<Decision> Rules::Route(std::string_view office, std::string_view topic,
                                      std::string_view company_id) const {
  const config::Topic* t = config_.FindTopic(topic);
  if (t == nullptr) {
    return absl::NotFoundError(StrCat("topic '", topic, "' is not configured"));
  }
  Decision decision;
  decision.responsible_department = t->department;
  decision.reason = StrCat("topic ", topic, " belongs to ", t->department);
  for (const config::Override& o : config_.routing.overrides) {
    if (o.office == office && o.topic == topic) {
      decision.responsible_department = o.department;
      decision.reason = StrCat("office ", office, " sends topic ", topic, " to ", o.department);
      break;
    }
  }
  if (!IsDepartment(decision.responsible_department)) {
    decision.responsible_department = config_.routing.default_department;
    decision.reason = "no rule matched: default department";
  }
  decision.assignee = decision.responsible_department;
  if (const config::KeyAccount* kam = config_.KeyAccountForCompany(company_id); kam != nullptr) {
    decision.key_account = kam->id;
    decision.assignee = kam->id;
    decision.reason = StrCat("company ", company_id, " has key account manager ", kam->name,
                             " (", kam->id, "); ", decision.reason);
  }
  return decision;
}

bool Rules::IsAssignee(std::string_view id) const { return clocks_.find(id) != clocks_.end(); }

bool Rules::IsDepartment(std::string_view id) const {
  return calendars_.find(id) != calendars_.end();
}

Deadlines Rules::Schedule(std::string_view assignee, absl::Time from) const {
  auto clock = clocks_.find(assignee);
  if (clock == clocks_.end()) {
    clock = clocks_.find(config_.routing.default_department);
  }
  const calendar::BusinessCalendar& cal = calendars_.at(clock->second.department);
  const absl::Duration sla = absl::Hours(clock->second.sla_hours);
  return Deadlines{cal.AddBusinessTime(from, sla * config_.routing.warning_share),
                   cal.AddBusinessTime(from, sla)};
}

const Rules::Clock& Rules::ClockOf(std::string_view assignee) const {
  auto clock = clocks_.find(assignee);
  if (clock == clocks_.end()) {
    clock = clocks_.find(config_.routing.default_department);
  }
  return clock->second;
}

const calendar::BusinessCalendar& Rules::CalendarOf(std::string_view assignee) const {
  return calendars_.at(ClockOf(assignee).department);
}

Deadlines Rules::FirstReaction(std::string_view assignee, absl::Time from) const {
  const calendar::BusinessCalendar& cal = CalendarOf(assignee);
  const absl::Duration hours = absl::Hours(ClockOf(assignee).first_reaction_hours);
  return Deadlines{cal.AddBusinessTime(from, hours * config_.routing.warning_share),
                   cal.AddBusinessTime(from, hours)};
}

std::optional<absl::Time> Rules::SecondBreach(std::string_view assignee, absl::Time due) const {
  if (config_.routing.second_breach_hours <= 0) {
    return std::nullopt;
  }
  return CalendarOf(assignee).AddBusinessTime(due,
                                              absl::Hours(config_.routing.second_breach_hours));
}

Deadlines Rules::Until(std::string_view assignee, absl::Time from, absl::Time due) const {
  const calendar::BusinessCalendar& cal = CalendarOf(assignee);
  const absl::Duration span = cal.BusinessTimeBetween(from, due);
  return Deadlines{cal.AddBusinessTime(from, span * config_.routing.warning_share), due};
}

absl::Duration Rules::BusinessTimeBetween(std::string_view assignee, absl::Time from,
                                          absl::Time to) const {
  return CalendarOf(assignee).BusinessTimeBetween(from, to);
}

absl::Time Rules::AddBusinessTime(std::string_view assignee, absl::Time at,
                                  absl::Duration d) const {
  return CalendarOf(assignee).AddBusinessTime(at, d);
}

std::string Rules::Lead(std::string_view assignee) const {
  const config::Department* d = config_.FindDepartment(ClockOf(assignee).department);
  return d != nullptr ? d->lead : "";
}

}  // namespace lotse::routing
