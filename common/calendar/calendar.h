#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace lotse::calendar {

// German federal states; StateCode() gives the ISO 3166-2:DE code without "DE-".
enum class State { kBW, kBY, kBE, kBB, kHB, kHH, kHE, kMV, kNI, kNW, kRP, kSL, kSN, kST, kSH, kTH };

// Parses a state code such as "NW" or "nw" (case-insensitive, no surrounding text). Returns
// InvalidArgumentError naming the valid codes if `code` is none of them.
absl::StatusOr<State> ParseState(std::string_view code);

// The two-letter code of `state`, e.g. "NW". Points to static storage.
std::string_view StateCode(State state);

// Easter Sunday of `year` by the anonymous Gregorian computus (Meeus/Jones/Butcher). Meaningful
// for Gregorian years, i.e. 1583 and later.
absl::CivilDay EasterSunday(int year);

// A statutory public holiday; `name` is the German name, e.g. "Karfreitag".
struct Holiday {
  absl::CivilDay day;
  std::string name;

  friend bool operator==(const Holiday&, const Holiday&) = default;
};

// The statutory public holidays of `state` in `year` (see README.md for the list per state),
// sorted by day. Two holidays on the same day (e.g. 1 May 2008) are both listed. Rules that
// changed since 2017 apply from their first year; earlier years use today's rules.
std::vector<Holiday> PublicHolidays(State state, int year);

// Office hours on one day: [start_minute, end_minute) in minutes after local midnight,
// 0 <= start_minute < end_minute <= 1440.
struct Interval {
  int start_minute = 0;
  int end_minute = 0;

  friend bool operator==(const Interval&, const Interval&) = default;
};

// Office hours of a week. Index 0 is Monday ... 6 is Sunday; each day's intervals are sorted
// and do not overlap. An empty day is closed.
struct WeeklyHours {
  std::array<std::vector<Interval>, 7> by_weekday;

  friend bool operator==(const WeeklyHours&, const WeeklyHours&) = default;
};

// Parses office hours such as "Mon-Thu 08:00-16:00; Fri 08:00-12:30". Segments are separated
// by ';'; each is a day ("Fri") or an ascending day range ("Mon-Thu") followed by one or more
// comma-separated intervals ("08:00-12:00,13:00-16:00"). Day names are Mon Tue Wed Thu Fri Sat
// Sun, case-insensitive; hours are H:MM or HH:MM, and "24:00" may end an interval. A day may
// appear in several segments. An empty (or all-blank) spec means closed all week.
// Returns InvalidArgumentError quoting the offending segment and showing the expected form, or
// naming the day and intervals that overlap or the interval that does not end after it starts.
absl::StatusOr<WeeklyHours> ParseWeeklyHours(std::string_view spec);

// `hours` in the syntax ParseWeeklyHours() reads, with consecutive days that have identical
// intervals joined into ranges, e.g. "Mon-Thu 08:00-16:00; Fri 08:00-12:30". "" if closed all
// week. Expects `hours` to satisfy the WeeklyHours invariants.
std::string FormatWeeklyHours(const WeeklyHours& hours);

// The total length of all intervals in `hours`.
absl::Duration WeeklyDuration(const WeeklyHours& hours);

// What a business day and a business hour mean for one department: its state's public holidays,
// its weekly office hours and its own closing days, all in the local time zone `tz`. Office
// hours are wall-clock times: an interval that spans a DST change is an hour shorter or longer in
// real time, and all durations below are real (absolute) time.
// A value type, immutable after construction, so safe for concurrent use from any number of
// threads without synchronisation. Copyable; holds about 40 KB of precomputed holidays.
class BusinessCalendar {
 public:
  // Walks stop after this many calendar days; longer spans count as unbounded (see below).
  static constexpr int kMaxSpanDays = 146097;  // 400 Gregorian years
  // AddBusinessTime() gives up after this many consecutive days without office time.
  static constexpr int kMaxGapDays = 3660;  // about 10 years

  // `hours` should satisfy the WeeklyHours invariants; the constructor clamps intervals to
  // [0, 1440], drops empty ones and merges overlapping or touching ones. `extra_closed_days` are
  // the department's own closing days ("Schließtag"); order and duplicates do not matter.
  BusinessCalendar(State state, WeeklyHours hours, std::vector<absl::CivilDay> extra_closed_days,
                   absl::TimeZone tz);

  State state() const { return state_; }
  // The office hours as normalised by the constructor.
  const WeeklyHours& hours() const { return hours_; }
  const absl::TimeZone& time_zone() const { return tz_; }

  // True if `day` has office hours and is neither a public holiday nor an extra closed day.
  bool IsBusinessDay(absl::CivilDay day) const;

  // The public holiday's name ("Karfreitag") or "Schließtag" for an extra closed day, whether or
  // not `day` has office hours; nullopt otherwise (e.g. an ordinary Saturday). A holiday wins
  // over a closing day; of two holidays on one day, the first in PublicHolidays() order wins.
  std::optional<std::string> ClosedReason(absl::CivilDay day) const;

  // Earliest time t >= start such that BusinessTimeBetween(start, t) == d. Counting starts at
  // the next opening if `start` is outside office hours, and the result may be the closing time
  // of an interval (15:00 + 1h with hours until 16:00 is 16:00 the same day). Returns `start` if
  // d <= 0 or `start` is infinite. Returns absl::InfiniteFuture() if d is infinite, if there is
  // no office time for kMaxGapDays in a row (e.g. empty hours), or if the result would lie more
  // than kMaxSpanDays after `start`. Cost is linear in the calendar days walked.
  absl::Time AddBusinessTime(absl::Time start, absl::Duration d) const;

  // Office time inside [from, to); zero if to <= from. If [from, to) spans more than
  // kMaxSpanDays (including an infinite end), returns absl::InfiniteDuration(), or zero if the
  // weekly hours are empty. Cost is linear in the calendar days spanned.
  absl::Duration BusinessTimeBetween(absl::Time from, absl::Time to) const;

 private:
  // A holiday whose name points to static storage.
  struct CachedHoliday {
    absl::CivilDay day;
    std::string_view name;
  };

  // Holidays are precomputed for these years and computed on demand outside them.
  static constexpr int kFirstCachedYear = 2000;
  static constexpr int kLastCachedYear = 2100;

  std::optional<std::string_view> HolidayName(absl::CivilDay day) const;
  bool IsExtraClosedDay(absl::CivilDay day) const;
  const std::vector<Interval>& IntervalsOn(absl::CivilDay day) const;

  State state_;
  WeeklyHours hours_;
  bool has_hours_;
  std::vector<absl::CivilDay> extra_closed_days_;  // sorted, unique
  absl::TimeZone tz_;
  std::vector<CachedHoliday> holidays_;  // kFirstCachedYear..kLastCachedYear, sorted by day
};

}  // namespace lotse::calendar
