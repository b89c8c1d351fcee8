#include "common/calendar/calendar.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace lotse::calendar {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
// Abseil 20220623 as packaged by Debian has its own absl::string_view, distinct from
// std::string_view, so the parsing below works on absl::string_view and the public API converts.
constexpr absl::string_view kHoursExample = "Mon-Thu 08:00-16:00; Fri 08:00-12:30";
constexpr std::string_view kClosingDayName = "Schließtag";

// Indexed by State: the codes are listed in the enum's order.
constexpr std::array<std::string_view, 16> kStateCodes = {
    "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"};
static_assert(static_cast<size_t>(State::kTH) + 1 == kStateCodes.size());

constexpr std::array<absl::string_view, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu",
                                                        "Fri", "Sat", "Sun"};

// A holiday whose name is a string literal.
struct NamedDay {
  absl::CivilDay day;
  std::string_view name;
};

// Index into WeeklyHours::by_weekday: 0 = Monday ... 6 = Sunday.
int WeekdayIndex(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;  // Unreachable: the switch covers every weekday.
}

// Buß- und Bettag: the last Wednesday before 23 November, i.e. between 16 and 22 November.
absl::CivilDay RepentanceDay(int year) {
  absl::CivilDay day(year, 11, 22);
  while (absl::GetWeekday(day) != absl::Weekday::wednesday) {
    --day;
  }
  return day;
}

// Appends the public holidays of `state` in `year` to `out`, sorted by day.
void AppendHolidays(State state, int year, std::vector<NamedDay>* out) {
  const auto first = out->size();
  const absl::CivilDay easter = EasterSunday(year);
  const auto in = [state](std::initializer_list<State> states) {
    return std::find(states.begin(), states.end(), state) != states.end();
  };
  const auto add = [out](absl::CivilDay day, std::string_view name) {
    out->push_back({day, name});
  };
  const auto fixed = [&add, year](int month, int day, std::string_view name) {
    add(absl::CivilDay(year, month, day), name);
  };
  using S = State;

  fixed(1, 1, "Neujahr");
  if (in({S::kBW, S::kBY, S::kST})) {
    fixed(1, 6, "Heilige Drei Könige");
  }
  if ((state == S::kBE && year >= 2019) || (state == S::kMV && year >= 2023)) {
    fixed(3, 8, "Internationaler Frauentag");
  }
  add(easter - 2, "Karfreitag");
  if (state == S::kBB) {
    add(easter, "Ostersonntag");
  }
  add(easter + 1, "Ostermontag");
  fixed(5, 1, "Tag der Arbeit");
  if (state == S::kBE && (year == 2020 || year == 2025)) {
    fixed(5, 8, "Tag der Befreiung");  // One-off holidays (75th and 80th anniversary).
  }
  add(easter + 39, "Christi Himmelfahrt");
  if (state == S::kBB) {
    add(easter + 49, "Pfingstsonntag");
  }
  add(easter + 50, "Pfingstmontag");
  if (in({S::kBW, S::kBY, S::kHE, S::kNW, S::kRP, S::kSL})) {
    add(easter + 60, "Fronleichnam");
  }
  if (state == S::kSL) {
    fixed(8, 15, "Mariä Himmelfahrt");
  }
  if (state == S::kTH && year >= 2019) {
    fixed(9, 20, "Weltkindertag");
  }
  fixed(10, 3, "Tag der Deutschen Einheit");
  // 2017 (500 years of the Reformation) was a one-off holiday in every state; HB, HH, NI and
  // SH made it permanent from 2018.
  if (in({S::kBB, S::kMV, S::kSN, S::kST, S::kTH}) ||
      (in({S::kHB, S::kHH, S::kNI, S::kSH}) && year >= 2018) || year == 2017) {
    fixed(10, 31, "Reformationstag");
  }
  if (in({S::kBW, S::kBY, S::kNW, S::kRP, S::kSL})) {
    fixed(11, 1, "Allerheiligen");
  }
  if (state == S::kSN) {
    add(RepentanceDay(year), "Buß- und Bettag");
  }
  fixed(12, 25, "1. Weihnachtstag");
  fixed(12, 26, "2. Weihnachtstag");

  std::stable_sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
                   [](const NamedDay& a, const NamedDay& b) { return a.day < b.day; });
}

absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

absl::Status HoursSyntaxError(absl::string_view segment) {
  return absl::InvalidArgumentError(absl::StrCat("office hours: cannot read '", segment,
                                                 "': expected e.g. '", kHoursExample, "'"));
}

std::string FormatMinute(int minute) {
  return absl::StrFormat("%02d:%02d", minute / 60, minute % 60);
}

std::string FormatInterval(const Interval& interval) {
  return absl::StrCat(FormatMinute(interval.start_minute), "-", FormatMinute(interval.end_minute));
}

std::optional<int> ParseDayName(absl::string_view text) {
  for (int i = 0; i < 7; ++i) {
    if (absl::EqualsIgnoreCase(text, kDayNames[i])) {
      return i;
    }
  }
  return std::nullopt;
}

// Parses "H:MM" or "HH:MM" into minutes after midnight, 00:00..24:00.
std::optional<int> ParseClock(absl::string_view text) {
  const auto colon = text.find(':');
  if (colon == absl::string_view::npos || colon < 1 || colon > 2 || text.size() != colon + 3) {
    return std::nullopt;
  }
  for (char c : text) {
    if (c != ':' && !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  int hour = 0;
  for (char c : text.substr(0, colon)) {
    hour = hour * 10 + (c - '0');
  }
  const int minute = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
  if (minute > 59 || hour > 24 || (hour == 24 && minute != 0)) {
    return std::nullopt;
  }
  return hour * 60 + minute;
}

// Parses one ';'-separated segment such as "Mon-Thu 08:00-12:00,13:00-16:00" into `hours`.
absl::Status ParseSegment(absl::string_view segment, WeeklyHours* hours) {
  const auto space = segment.find_first_of(" \t\r\n");
  if (space == absl::string_view::npos) {
    return HoursSyntaxError(segment);
  }
  const absl::string_view days = segment.substr(0, space);
  std::string times;
  for (char c : segment.substr(space)) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
      times.push_back(c);
    }
  }

  const std::vector<absl::string_view> ends = absl::StrSplit(days, '-');
  if (ends.size() > 2) {
    return HoursSyntaxError(segment);
  }
  const std::optional<int> first_day = ParseDayName(ends.front());
  const std::optional<int> last_day = ParseDayName(ends.back());
  if (!first_day.has_value() || !last_day.has_value() || *first_day > *last_day) {
    return HoursSyntaxError(segment);
  }

  std::vector<Interval> intervals;
  for (absl::string_view piece : absl::StrSplit(times, ',')) {
    const std::vector<absl::string_view> clocks = absl::StrSplit(piece, '-');
    if (clocks.size() != 2) {
      return HoursSyntaxError(segment);
    }
    const std::optional<int> start = ParseClock(clocks[0]);
    const std::optional<int> end = ParseClock(clocks[1]);
    if (!start.has_value() || !end.has_value()) {
      return HoursSyntaxError(segment);
    }
    if (*start >= *end) {
      return absl::InvalidArgumentError(absl::StrCat("office hours: interval '", piece, "' in '",
                                                     segment, "' must end after it starts"));
    }
    intervals.push_back({*start, *end});
  }

  for (int day = *first_day; day <= *last_day; ++day) {
    auto& slot = hours->by_weekday[day];
    slot.insert(slot.end(), intervals.begin(), intervals.end());
  }
  return absl::OkStatus();
}

// The instant at `minute` minutes after the start of `day` in `tz`. A local time skipped by a DST
// change maps as absl::FromCivil() does (with the offset from before the change).
absl::Time LocalTime(absl::CivilDay day, int minute, const absl::TimeZone& tz) {
  return absl::FromCivil(absl::CivilSecond(day) + int64_t{minute} * 60, tz);
}

bool ByStart(const Interval& a, const Interval& b) {
  return a.start_minute != b.start_minute ? a.start_minute < b.start_minute
                                          : a.end_minute < b.end_minute;
}

// Clamps to [0, 1440], drops empty intervals, sorts, and merges overlapping or touching ones.
WeeklyHours Normalize(WeeklyHours hours) {
  for (auto& day : hours.by_weekday) {
    std::vector<Interval> merged;
    for (Interval interval : day) {
      interval.start_minute = std::clamp(interval.start_minute, 0, kMinutesPerDay);
      interval.end_minute = std::clamp(interval.end_minute, 0, kMinutesPerDay);
      if (interval.start_minute < interval.end_minute) {
        merged.push_back(interval);
      }
    }
    std::sort(merged.begin(), merged.end(), ByStart);
    std::vector<Interval> result;
    for (const Interval& interval : merged) {
      if (!result.empty() && interval.start_minute <= result.back().end_minute) {
        result.back().end_minute = std::max(result.back().end_minute, interval.end_minute);
      } else {
        result.push_back(interval);
      }
    }
    day = std::move(result);
  }
  return hours;
}

}  // namespace

absl::StatusOr<State> ParseState(std::string_view code) {
  for (size_t i = 0; i < kStateCodes.size(); ++i) {
    if (absl::EqualsIgnoreCase(ToAbsl(code), ToAbsl(kStateCodes[i]))) {
      return static_cast<State>(i);
    }
  }
  std::vector<absl::string_view> codes;
  codes.reserve(kStateCodes.size());
  for (std::string_view known : kStateCodes) {
    codes.push_back(ToAbsl(known));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown federal state '", ToAbsl(code), "': expected one of ", absl::StrJoin(codes, ", ")));
}

std::string_view StateCode(State state) {
  const auto index = static_cast<size_t>(state);
  return index < kStateCodes.size() ? kStateCodes[index] : "??";
}

absl::CivilDay EasterSunday(int year) {
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, month, day);
}

std::vector<Holiday> PublicHolidays(State state, int year) {
  std::vector<NamedDay> named;
  AppendHolidays(state, year, &named);
  std::vector<Holiday> holidays;
  holidays.reserve(named.size());
  for (const NamedDay& entry : named) {
    holidays.push_back({entry.day, std::string(entry.name)});
  }
  return holidays;
}

absl::StatusOr<WeeklyHours> ParseWeeklyHours(std::string_view spec) {
  WeeklyHours hours;
  for (absl::string_view segment : absl::StrSplit(ToAbsl(spec), ';')) {
    segment = absl::StripAsciiWhitespace(segment);
    if (segment.empty()) {
      continue;  // Allows "" and a trailing ';'.
    }
    if (absl::Status status = ParseSegment(segment, &hours); !status.ok()) {
      return status;
    }
  }
  for (int day = 0; day < 7; ++day) {
    auto& intervals = hours.by_weekday[day];
    std::sort(intervals.begin(), intervals.end(), ByStart);
    for (size_t i = 1; i < intervals.size(); ++i) {
      if (intervals[i].start_minute < intervals[i - 1].end_minute) {
        return absl::InvalidArgumentError(absl::StrCat(
            "office hours: overlapping intervals on ", kDayNames[day], ": '",
            FormatInterval(intervals[i - 1]), "' and '", FormatInterval(intervals[i]), "'"));
      }
    }
  }
  return hours;
}

std::string FormatWeeklyHours(const WeeklyHours& hours) {
  std::vector<std::string> segments;
  int day = 0;
  while (day < 7) {
    const auto& intervals = hours.by_weekday[day];
    int last = day;
    while (last + 1 < 7 && hours.by_weekday[last + 1] == intervals) {
      ++last;
    }
    if (!intervals.empty()) {
      std::vector<std::string> formatted;
      for (const Interval& interval : intervals) {
        formatted.push_back(FormatInterval(interval));
      }
      segments.push_back(absl::StrCat(
          kDayNames[day], last > day ? absl::StrCat("-", kDayNames[last]) : std::string(), " ",
          absl::StrJoin(formatted, ",")));
    }
    day = last + 1;
  }
  return absl::StrJoin(segments, "; ");
}

absl::Duration WeeklyDuration(const WeeklyHours& hours) {
  int64_t minutes = 0;
  for (const auto& day : hours.by_weekday) {
    for (const Interval& interval : day) {
      minutes += interval.end_minute - interval.start_minute;
    }
  }
  return absl::Minutes(minutes);
}

BusinessCalendar::BusinessCalendar(State state, WeeklyHours hours,
                                   std::vector<absl::CivilDay> extra_closed_days, absl::TimeZone tz)
    : state_(state),
      hours_(Normalize(std::move(hours))),
      has_hours_(WeeklyDuration(hours_) > absl::ZeroDuration()),
      extra_closed_days_(std::move(extra_closed_days)),
      tz_(tz) {
  std::sort(extra_closed_days_.begin(), extra_closed_days_.end());
  extra_closed_days_.erase(std::unique(extra_closed_days_.begin(), extra_closed_days_.end()),
                           extra_closed_days_.end());
  std::vector<NamedDay> named;
  for (int year = kFirstCachedYear; year <= kLastCachedYear; ++year) {
    AppendHolidays(state_, year, &named);
  }
  holidays_.reserve(named.size());
  for (const NamedDay& entry : named) {
    holidays_.push_back({entry.day, entry.name});
  }
}

std::optional<std::string_view> BusinessCalendar::HolidayName(absl::CivilDay day) const {
  const absl::civil_year_t year = day.year();
  if (year >= kFirstCachedYear && year <= kLastCachedYear) {
    const auto it = std::lower_bound(
        holidays_.begin(), holidays_.end(), day,
        [](const CachedHoliday& holiday, absl::CivilDay d) { return holiday.day < d; });
    if (it != holidays_.end() && it->day == day) {
      return it->name;
    }
    return std::nullopt;
  }
  if (year < std::numeric_limits<int>::min() || year > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  std::vector<NamedDay> named;
  AppendHolidays(state_, static_cast<int>(year), &named);
  for (const NamedDay& entry : named) {
    if (entry.day == day) {
      return entry.name;
    }
  }
  return std::nullopt;
}

bool BusinessCalendar::IsExtraClosedDay(absl::CivilDay day) const {
  return std::binary_search(extra_closed_days_.begin(), extra_closed_days_.end(), day);
}

const std::vector<Interval>& BusinessCalendar::IntervalsOn(absl::CivilDay day) const {
  return hours_.by_weekday[WeekdayIndex(day)];
}

bool BusinessCalendar::IsBusinessDay(absl::CivilDay day) const {
  return !IntervalsOn(day).empty() && !IsExtraClosedDay(day) && !HolidayName(day).has_value();
}

std::optional<std::string> BusinessCalendar::ClosedReason(absl::CivilDay day) const {
  if (const std::optional<std::string_view> name = HolidayName(day); name.has_value()) {
    return std::string(*name);
  }
  if (IsExtraClosedDay(day)) {
    return std::string(kClosingDayName);
  }
  return std::nullopt;
}

// Both walks below visit each business day's intervals in order, convert their civil bounds with
// absl::FromCivil (so a day with a DST change has its true length), and keep a cursor so that no
// instant is counted twice even where a skipped or repeated local hour makes the converted
// bounds of neighbouring intervals overlap.

absl::Time BusinessCalendar::AddBusinessTime(absl::Time start, absl::Duration d) const {
  if (d <= absl::ZeroDuration() || start == absl::InfiniteFuture() ||
      start == absl::InfinitePast()) {
    return start;
  }
  if (d == absl::InfiniteDuration() || !has_hours_) {
    return absl::InfiniteFuture();
  }
  const absl::CivilDay start_day = absl::ToCivilDay(start, tz_);
  absl::CivilDay last_open_day = start_day;
  absl::Time cursor = start;
  absl::Duration remaining = d;
  // Starts a day early in case the previous day's hours reach past local midnight in `tz_`.
  for (absl::CivilDay day = start_day - 1; day - start_day <= kMaxSpanDays; ++day) {
    if (day - last_open_day > kMaxGapDays) {
      return absl::InfiniteFuture();
    }
    if (!IsBusinessDay(day)) {
      continue;
    }
    for (const Interval& interval : IntervalsOn(day)) {
      const absl::Time open = std::max(cursor, LocalTime(day, interval.start_minute, tz_));
      const absl::Time close = LocalTime(day, interval.end_minute, tz_);
      if (close <= open) {
        continue;
      }
      last_open_day = day;
      const absl::Duration available = close - open;
      if (remaining <= available) {
        return open + remaining;
      }
      remaining -= available;
      cursor = close;
    }
  }
  return absl::InfiniteFuture();
}

absl::Duration BusinessCalendar::BusinessTimeBetween(absl::Time from, absl::Time to) const {
  if (to <= from) {
    return absl::ZeroDuration();
  }
  if (!has_hours_) {
    return absl::ZeroDuration();
  }
  if (to - from > absl::Hours(24) * kMaxSpanDays) {
    return absl::InfiniteDuration();
  }
  const absl::CivilDay last_day = absl::ToCivilDay(to, tz_) + 1;
  absl::Time cursor = from;
  absl::Duration total = absl::ZeroDuration();
  for (absl::CivilDay day = absl::ToCivilDay(from, tz_) - 1; day <= last_day; ++day) {
    if (!IsBusinessDay(day)) {
      continue;
    }
    for (const Interval& interval : IntervalsOn(day)) {
      const absl::Time open = std::max(cursor, LocalTime(day, interval.start_minute, tz_));
      const absl::Time close = std::min(to, LocalTime(day, interval.end_minute, tz_));
      if (close <= open) {
        continue;
      }
      total += close - open;
      cursor = close;
    }
  }
  return total;
}

}  // namespace lotse::calendar
