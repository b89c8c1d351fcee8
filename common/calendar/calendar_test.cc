#include "common/calendar/calendar.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace lotse::calendar {
namespace {

constexpr std::string_view kWeekdays = "Mon-Fri 08:00-16:00";

absl::TimeZone Berlin() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Europe/Berlin", &tz)) {
    ADD_FAILURE() << "cannot load Europe/Berlin from the zoneinfo database";
  }
  return tz;
}

// A local time in Europe/Berlin.
absl::Time At(int year, int month, int day, int hour, int minute = 0) {
  return absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), Berlin());
}

WeeklyHours Hours(std::string_view spec) {
  absl::StatusOr<WeeklyHours> hours = ParseWeeklyHours(spec);
  if (!hours.ok()) {
    ADD_FAILURE() << "cannot parse '" << spec << "': " << hours.status();
    return {};
  }
  return *std::move(hours);
}

BusinessCalendar Calendar(State state, std::string_view spec,
                          std::vector<absl::CivilDay> closed = {}) {
  return BusinessCalendar(state, Hours(spec), std::move(closed), Berlin());
}

std::vector<Holiday> Expected(const std::vector<std::pair<absl::CivilDay, std::string>>& days) {
  std::vector<Holiday> holidays;
  holidays.reserve(days.size());
  for (const auto& [day, name] : days) {
    holidays.push_back({day, name});
  }
  return holidays;
}

// Compares day by day so that a failure names the first wrong holiday.
void ExpectHolidays(const std::vector<Holiday>& actual, const std::vector<Holiday>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(actual[i].day, expected[i].day) << "holiday #" << i << " " << expected[i].name;
    EXPECT_EQ(actual[i].name, expected[i].name) << "holiday #" << i << " on " << expected[i].day;
  }
}

bool HasHoliday(State state, absl::CivilDay day, std::string_view name) {
  for (const Holiday& holiday : PublicHolidays(state, static_cast<int>(day.year()))) {
    if (holiday.day == day && holiday.name == name) {
      return true;
    }
  }
  return false;
}

// --- States -------------------------------------------------------------------------------

TEST(ParseStateTest, AcceptsCodesCaseInsensitively) {
  EXPECT_EQ(ParseState("NW").value(), State::kNW);
  EXPECT_EQ(ParseState("nw").value(), State::kNW);
  EXPECT_EQ(ParseState("sT").value(), State::kST);
  EXPECT_EQ(ParseState("SH").value(), State::kSH);
}

TEST(ParseStateTest, RoundTripsEveryStateCode) {
  const std::vector<std::string_view> codes = {"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV",
                                               "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"};
  for (std::string_view code : codes) {
    absl::StatusOr<State> state = ParseState(code);
    ASSERT_TRUE(state.ok()) << code;
    EXPECT_EQ(StateCode(*state), code);
  }
}

TEST(ParseStateTest, RejectsUnknownCodeAndNamesValidOnes) {
  for (const char* bad : {"XX", "", "NRW", "DE-NW", " NW"}) {
    absl::StatusOr<State> state = ParseState(bad);
    ASSERT_FALSE(state.ok()) << bad;
    EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(state.status().message(), absl::StrCat("'", bad, "'")))
        << state.status().message();
    EXPECT_TRUE(absl::StrContains(state.status().message(), "BW, BY, BE"))
        << state.status().message();
    EXPECT_TRUE(absl::StrContains(state.status().message(), "SH, TH")) << state.status().message();
  }
}

// --- Easter and holidays ------------------------------------------------------------------

TEST(EasterSundayTest, MatchesKnownDates) {
  EXPECT_EQ(EasterSunday(2024), absl::CivilDay(2024, 3, 31));
  EXPECT_EQ(EasterSunday(2025), absl::CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2026), absl::CivilDay(2026, 4, 5));
  EXPECT_EQ(EasterSunday(2027), absl::CivilDay(2027, 3, 28));
}

TEST(EasterSundayTest, HandlesEarliestAndLatestPossibleDates) {
  EXPECT_EQ(EasterSunday(1818), absl::CivilDay(1818, 3, 22));
  EXPECT_EQ(EasterSunday(2285), absl::CivilDay(2285, 3, 22));
  EXPECT_EQ(EasterSunday(1943), absl::CivilDay(1943, 4, 25));
  EXPECT_EQ(EasterSunday(2038), absl::CivilDay(2038, 4, 25));
  EXPECT_EQ(EasterSunday(2000), absl::CivilDay(2000, 4, 23));
}

TEST(PublicHolidaysTest, NordrheinWestfalen2026) {
  ExpectHolidays(PublicHolidays(State::kNW, 2026),
                 Expected({{absl::CivilDay(2026, 1, 1), "Neujahr"},
                           {absl::CivilDay(2026, 4, 3), "Karfreitag"},
                           {absl::CivilDay(2026, 4, 6), "Ostermontag"},
                           {absl::CivilDay(2026, 5, 1), "Tag der Arbeit"},
                           {absl::CivilDay(2026, 5, 14), "Christi Himmelfahrt"},
                           {absl::CivilDay(2026, 5, 25), "Pfingstmontag"},
                           {absl::CivilDay(2026, 6, 4), "Fronleichnam"},
                           {absl::CivilDay(2026, 10, 3), "Tag der Deutschen Einheit"},
                           {absl::CivilDay(2026, 11, 1), "Allerheiligen"},
                           {absl::CivilDay(2026, 12, 25), "1. Weihnachtstag"},
                           {absl::CivilDay(2026, 12, 26), "2. Weihnachtstag"}}));
}

TEST(PublicHolidaysTest, NordrheinWestfalen2027) {
  ExpectHolidays(PublicHolidays(State::kNW, 2027),
                 Expected({{absl::CivilDay(2027, 1, 1), "Neujahr"},
                           {absl::CivilDay(2027, 3, 26), "Karfreitag"},
                           {absl::CivilDay(2027, 3, 29), "Ostermontag"},
                           {absl::CivilDay(2027, 5, 1), "Tag der Arbeit"},
                           {absl::CivilDay(2027, 5, 6), "Christi Himmelfahrt"},
                           {absl::CivilDay(2027, 5, 17), "Pfingstmontag"},
                           {absl::CivilDay(2027, 5, 27), "Fronleichnam"},
                           {absl::CivilDay(2027, 10, 3), "Tag der Deutschen Einheit"},
                           {absl::CivilDay(2027, 11, 1), "Allerheiligen"},
                           {absl::CivilDay(2027, 12, 25), "1. Weihnachtstag"},
                           {absl::CivilDay(2027, 12, 26), "2. Weihnachtstag"}}));
}

TEST(PublicHolidaysTest, SachsenAnhalt2026) {
  ExpectHolidays(PublicHolidays(State::kST, 2026),
                 Expected({{absl::CivilDay(2026, 1, 1), "Neujahr"},
                           {absl::CivilDay(2026, 1, 6), "Heilige Drei Könige"},
                           {absl::CivilDay(2026, 4, 3), "Karfreitag"},
                           {absl::CivilDay(2026, 4, 6), "Ostermontag"},
                           {absl::CivilDay(2026, 5, 1), "Tag der Arbeit"},
                           {absl::CivilDay(2026, 5, 14), "Christi Himmelfahrt"},
                           {absl::CivilDay(2026, 5, 25), "Pfingstmontag"},
                           {absl::CivilDay(2026, 10, 3), "Tag der Deutschen Einheit"},
                           {absl::CivilDay(2026, 10, 31), "Reformationstag"},
                           {absl::CivilDay(2026, 12, 25), "1. Weihnachtstag"},
                           {absl::CivilDay(2026, 12, 26), "2. Weihnachtstag"}}));
}

TEST(PublicHolidaysTest, SachsenAnhalt2027) {
  ExpectHolidays(PublicHolidays(State::kST, 2027),
                 Expected({{absl::CivilDay(2027, 1, 1), "Neujahr"},
                           {absl::CivilDay(2027, 1, 6), "Heilige Drei Könige"},
                           {absl::CivilDay(2027, 3, 26), "Karfreitag"},
                           {absl::CivilDay(2027, 3, 29), "Ostermontag"},
                           {absl::CivilDay(2027, 5, 1), "Tag der Arbeit"},
                           {absl::CivilDay(2027, 5, 6), "Christi Himmelfahrt"},
                           {absl::CivilDay(2027, 5, 17), "Pfingstmontag"},
                           {absl::CivilDay(2027, 10, 3), "Tag der Deutschen Einheit"},
                           {absl::CivilDay(2027, 10, 31), "Reformationstag"},
                           {absl::CivilDay(2027, 12, 25), "1. Weihnachtstag"},
                           {absl::CivilDay(2027, 12, 26), "2. Weihnachtstag"}}));
}

TEST(PublicHolidaysTest, EveryStateHasTheNationwideHolidaysInOrder) {
  const std::vector<std::pair<absl::CivilDay, std::string>> nationwide = {
      {absl::CivilDay(2026, 1, 1), "Neujahr"},
      {absl::CivilDay(2026, 4, 3), "Karfreitag"},
      {absl::CivilDay(2026, 4, 6), "Ostermontag"},
      {absl::CivilDay(2026, 5, 1), "Tag der Arbeit"},
      {absl::CivilDay(2026, 5, 14), "Christi Himmelfahrt"},
      {absl::CivilDay(2026, 5, 25), "Pfingstmontag"},
      {absl::CivilDay(2026, 10, 3), "Tag der Deutschen Einheit"},
      {absl::CivilDay(2026, 12, 25), "1. Weihnachtstag"},
      {absl::CivilDay(2026, 12, 26), "2. Weihnachtstag"}};
  for (std::string_view code : {"BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP",
                                "SL", "SN", "ST", "SH", "TH"}) {
    const State state = ParseState(code).value();
    for (const auto& [day, name] : nationwide) {
      EXPECT_TRUE(HasHoliday(state, day, name)) << code << " " << name;
    }
    for (int year = 2015; year <= 2030; ++year) {
      const std::vector<Holiday> holidays = PublicHolidays(state, year);
      for (size_t i = 1; i < holidays.size(); ++i) {
        EXPECT_LE(holidays[i - 1].day, holidays[i].day) << code << " " << year;
      }
    }
  }
}

TEST(PublicHolidaysTest, StateHolidaysFollowTheirStates) {
  EXPECT_TRUE(HasHoliday(State::kBY, absl::CivilDay(2026, 1, 6), "Heilige Drei Könige"));
  EXPECT_FALSE(HasHoliday(State::kNW, absl::CivilDay(2026, 1, 6), "Heilige Drei Könige"));
  EXPECT_TRUE(HasHoliday(State::kHE, absl::CivilDay(2026, 6, 4), "Fronleichnam"));
  EXPECT_FALSE(HasHoliday(State::kST, absl::CivilDay(2026, 6, 4), "Fronleichnam"));
  EXPECT_TRUE(HasHoliday(State::kSL, absl::CivilDay(2026, 8, 15), "Mariä Himmelfahrt"));
  EXPECT_FALSE(HasHoliday(State::kBY, absl::CivilDay(2026, 8, 15), "Mariä Himmelfahrt"));
  EXPECT_TRUE(HasHoliday(State::kRP, absl::CivilDay(2026, 11, 1), "Allerheiligen"));
  EXPECT_FALSE(HasHoliday(State::kHE, absl::CivilDay(2026, 11, 1), "Allerheiligen"));
  EXPECT_TRUE(HasHoliday(State::kBB, absl::CivilDay(2026, 4, 5), "Ostersonntag"));
  EXPECT_TRUE(HasHoliday(State::kBB, absl::CivilDay(2026, 5, 24), "Pfingstsonntag"));
  EXPECT_FALSE(HasHoliday(State::kNW, absl::CivilDay(2026, 5, 24), "Pfingstsonntag"));
}

TEST(PublicHolidaysTest, NewerHolidaysStartInTheirFirstYear) {
  EXPECT_FALSE(HasHoliday(State::kBE, absl::CivilDay(2018, 3, 8), "Internationaler Frauentag"));
  EXPECT_TRUE(HasHoliday(State::kBE, absl::CivilDay(2019, 3, 8), "Internationaler Frauentag"));
  EXPECT_FALSE(HasHoliday(State::kMV, absl::CivilDay(2022, 3, 8), "Internationaler Frauentag"));
  EXPECT_TRUE(HasHoliday(State::kMV, absl::CivilDay(2023, 3, 8), "Internationaler Frauentag"));
  EXPECT_FALSE(HasHoliday(State::kTH, absl::CivilDay(2018, 9, 20), "Weltkindertag"));
  EXPECT_TRUE(HasHoliday(State::kTH, absl::CivilDay(2019, 9, 20), "Weltkindertag"));
  EXPECT_FALSE(HasHoliday(State::kNI, absl::CivilDay(2016, 10, 31), "Reformationstag"));
  EXPECT_TRUE(HasHoliday(State::kNI, absl::CivilDay(2018, 10, 31), "Reformationstag"));
  EXPECT_TRUE(HasHoliday(State::kHH, absl::CivilDay(2026, 10, 31), "Reformationstag"));
}

TEST(PublicHolidaysTest, ReformationDay2017WasNationwideOnce) {
  EXPECT_TRUE(HasHoliday(State::kNW, absl::CivilDay(2017, 10, 31), "Reformationstag"));
  EXPECT_FALSE(HasHoliday(State::kNW, absl::CivilDay(2018, 10, 31), "Reformationstag"));
  EXPECT_TRUE(HasHoliday(State::kBY, absl::CivilDay(2017, 10, 31), "Reformationstag"));
}

TEST(PublicHolidaysTest, BerlinHadLiberationDayIn2025Only) {
  EXPECT_TRUE(HasHoliday(State::kBE, absl::CivilDay(2025, 5, 8), "Tag der Befreiung"));
  EXPECT_FALSE(HasHoliday(State::kBE, absl::CivilDay(2026, 5, 8), "Tag der Befreiung"));
  EXPECT_FALSE(HasHoliday(State::kBB, absl::CivilDay(2025, 5, 8), "Tag der Befreiung"));
}

TEST(PublicHolidaysTest, SachsenRepentanceDayIsWednesdayBefore23November) {
  EXPECT_TRUE(HasHoliday(State::kSN, absl::CivilDay(2026, 11, 18), "Buß- und Bettag"));
  EXPECT_TRUE(HasHoliday(State::kSN, absl::CivilDay(2027, 11, 17), "Buß- und Bettag"));
  // 23 November 2022 was itself a Wednesday; the holiday was the Wednesday before.
  EXPECT_TRUE(HasHoliday(State::kSN, absl::CivilDay(2022, 11, 16), "Buß- und Bettag"));
  EXPECT_FALSE(HasHoliday(State::kST, absl::CivilDay(2026, 11, 18), "Buß- und Bettag"));
}

// --- Office hours -------------------------------------------------------------------------

TEST(ParseWeeklyHoursTest, ReadsDayRangesAndSingleDays) {
  const WeeklyHours hours = Hours("Mon-Thu 08:00-16:00; Fri 08:00-12:30");
  for (int day = 0; day < 4; ++day) {
    EXPECT_EQ(hours.by_weekday[day], (std::vector<Interval>{{480, 960}})) << day;
  }
  EXPECT_EQ(hours.by_weekday[4], (std::vector<Interval>{{480, 750}}));
  EXPECT_TRUE(hours.by_weekday[5].empty());
  EXPECT_TRUE(hours.by_weekday[6].empty());
  EXPECT_EQ(WeeklyDuration(hours), absl::Hours(36) + absl::Minutes(30));
}

TEST(ParseWeeklyHoursTest, ReadsSeveralIntervalsPerDayCaseInsensitively) {
  const WeeklyHours hours = Hours("mon-FRI 08:00-12:00, 13:00-16:00;SAT 9:00-12:00;");
  for (int day = 0; day < 5; ++day) {
    EXPECT_EQ(hours.by_weekday[day], (std::vector<Interval>{{480, 720}, {780, 960}})) << day;
  }
  EXPECT_EQ(hours.by_weekday[5], (std::vector<Interval>{{540, 720}}));
  EXPECT_TRUE(hours.by_weekday[6].empty());
  EXPECT_EQ(WeeklyDuration(hours), absl::Hours(38));
}

TEST(ParseWeeklyHoursTest, MergesSegmentsForTheSameDayInOrder) {
  const WeeklyHours hours = Hours("Tue 13:00-15:00; Mon-Tue 08:00-12:00");
  EXPECT_EQ(hours.by_weekday[0], (std::vector<Interval>{{480, 720}}));
  EXPECT_EQ(hours.by_weekday[1], (std::vector<Interval>{{480, 720}, {780, 900}}));
}

TEST(ParseWeeklyHoursTest, AcceptsMidnightAsEnd) {
  const WeeklyHours hours = Hours("Mon-Sun 00:00-24:00");
  EXPECT_EQ(hours.by_weekday[6], (std::vector<Interval>{{0, 1440}}));
  EXPECT_EQ(WeeklyDuration(hours), absl::Hours(168));
}

TEST(ParseWeeklyHoursTest, EmptySpecMeansClosedAllWeek) {
  for (std::string_view spec : {"", "   ", " ; "}) {
    absl::StatusOr<WeeklyHours> hours = ParseWeeklyHours(spec);
    ASSERT_TRUE(hours.ok()) << hours.status();
    EXPECT_EQ(*hours, WeeklyHours{});
    EXPECT_EQ(WeeklyDuration(*hours), absl::ZeroDuration());
  }
}

TEST(ParseWeeklyHoursTest, QuotesTheOffendingSegmentAndTheExpectedForm) {
  absl::StatusOr<WeeklyHours> hours = ParseWeeklyHours("Mon-Thu 08:00-16:00; Mon-Fry 08:00");
  ASSERT_FALSE(hours.ok());
  EXPECT_EQ(hours.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hours.status().message(),
            "office hours: cannot read 'Mon-Fry 08:00': expected e.g. "
            "'Mon-Thu 08:00-16:00; Fri 08:00-12:30'");
}

TEST(ParseWeeklyHoursTest, RejectsMalformedSegments) {
  for (const char* bad :
       {"Mon", "Mon-Fri", "Mon 08:00", "Mon 8-16", "Mon 08:00-16:00,", "Mon 08:00-16:00-17:00",
        "Mon 25:00-26:00", "Mon 08:60-09:00", "Mon 24:30-24:45", "Fri-Mon 08:00-12:00",
        "Mon-Tue-Wed 08:00-12:00", "Monday 08:00-12:00", "Mon 08:00-16:00 x", "Mon 080:00-09:00",
        "Mon +8:00-09:00", "08:00-16:00"}) {
    absl::StatusOr<WeeklyHours> hours = ParseWeeklyHours(bad);
    ASSERT_FALSE(hours.ok()) << bad;
    EXPECT_EQ(hours.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(
        absl::StrContains(hours.status().message(), absl::StrCat("cannot read '", bad, "'")))
        << hours.status().message();
  }
}

TEST(ParseWeeklyHoursTest, RejectsIntervalThatDoesNotEndAfterItStarts) {
  for (const char* bad : {"Mon 16:00-08:00", "Mon 08:00-08:00"}) {
    absl::StatusOr<WeeklyHours> hours = ParseWeeklyHours(bad);
    ASSERT_FALSE(hours.ok()) << bad;
    EXPECT_EQ(hours.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(hours.status().message(), "must end after it starts"))
        << hours.status().message();
    EXPECT_TRUE(absl::StrContains(hours.status().message(), bad)) << hours.status().message();
  }
}

TEST(ParseWeeklyHoursTest, RejectsOverlappingIntervalsNamingTheDay) {
  absl::StatusOr<WeeklyHours> hours = ParseWeeklyHours("Mon-Fri 08:00-12:00; Wed 11:00-13:00");
  ASSERT_FALSE(hours.ok());
  EXPECT_EQ(hours.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(hours.status().message(),
            "office hours: overlapping intervals on Wed: '08:00-12:00' and '11:00-13:00'");
}

TEST(FormatWeeklyHoursTest, JoinsEqualDaysAndRoundTrips) {
  for (const char* spec :
       {"Mon-Thu 08:00-16:00; Fri 08:00-12:30", "Mon-Fri 08:00-12:00,13:00-16:00; Sat 09:00-12:00",
        "Mon 07:30-09:00; Wed 07:30-09:00; Sun 00:00-24:00", ""}) {
    const WeeklyHours hours = Hours(spec);
    EXPECT_EQ(FormatWeeklyHours(hours), spec);
    EXPECT_EQ(Hours(FormatWeeklyHours(hours)), hours);
  }
}

// --- Business days ------------------------------------------------------------------------

TEST(BusinessCalendarTest, WeekendsAreNotBusinessDays) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_TRUE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 6)));   // Friday
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 7)));  // Saturday
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 8)));  // Sunday
  EXPECT_TRUE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 9)));   // Monday
  EXPECT_EQ(calendar.ClosedReason(absl::CivilDay(2026, 2, 7)), std::nullopt);
}

TEST(BusinessCalendarTest, SaturdayCountsWhenItHasOfficeHours) {
  const BusinessCalendar calendar = Calendar(State::kNW, "Mon-Fri 08:00-16:00; Sat 09:00-12:00");
  EXPECT_TRUE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 7)));
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 8)));
}

TEST(BusinessCalendarTest, HolidaysAreClosedWithTheirName) {
  const BusinessCalendar nw = Calendar(State::kNW, kWeekdays);
  EXPECT_FALSE(nw.IsBusinessDay(absl::CivilDay(2026, 4, 3)));
  EXPECT_EQ(nw.ClosedReason(absl::CivilDay(2026, 4, 3)), "Karfreitag");
  EXPECT_FALSE(nw.IsBusinessDay(absl::CivilDay(2026, 6, 4)));
  EXPECT_EQ(nw.ClosedReason(absl::CivilDay(2026, 6, 4)), "Fronleichnam");
  EXPECT_TRUE(nw.IsBusinessDay(absl::CivilDay(2026, 4, 2)));
  EXPECT_EQ(nw.ClosedReason(absl::CivilDay(2026, 4, 2)), std::nullopt);

  // Fronleichnam is no holiday in Sachsen-Anhalt; a Sunday holiday still has its name.
  const BusinessCalendar st = Calendar(State::kST, kWeekdays);
  EXPECT_TRUE(st.IsBusinessDay(absl::CivilDay(2026, 6, 4)));
  EXPECT_EQ(st.ClosedReason(absl::CivilDay(2027, 10, 31)), "Reformationstag");
}

TEST(BusinessCalendarTest, HolidaysOutsideThePrecomputedYearsAreKnown) {
  const BusinessCalendar nw = Calendar(State::kNW, kWeekdays);
  // Easter 2200 is 6 April, so Karfreitag is Friday 4 April 2200.
  EXPECT_EQ(nw.ClosedReason(absl::CivilDay(2200, 4, 4)), "Karfreitag");
  EXPECT_FALSE(nw.IsBusinessDay(absl::CivilDay(2200, 4, 4)));
  EXPECT_EQ(nw.ClosedReason(absl::CivilDay(1999, 12, 24)), std::nullopt);
  EXPECT_EQ(nw.ClosedReason(absl::CivilDay(1999, 12, 25)), "1. Weihnachtstag");
}

TEST(BusinessCalendarTest, ExtraClosedDayIsNotABusinessDay) {
  const absl::CivilDay rose_monday(2026, 2, 16);
  const BusinessCalendar calendar =
      Calendar(State::kNW, kWeekdays, {rose_monday, rose_monday, absl::CivilDay(2026, 1, 2)});
  EXPECT_FALSE(calendar.IsBusinessDay(rose_monday));
  EXPECT_EQ(calendar.ClosedReason(rose_monday), "Schließtag");
  EXPECT_TRUE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 17)));
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2026, 1, 2)));
  // Friday 13 February 15:00 + 2h skips the weekend and the closing day.
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 13, 15), absl::Hours(2)), At(2026, 2, 17, 9));
}

TEST(BusinessCalendarTest, HolidayNameWinsOverClosingDay) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays, {absl::CivilDay(2026, 4, 3)});
  EXPECT_EQ(calendar.ClosedReason(absl::CivilDay(2026, 4, 3)), "Karfreitag");
}

// --- Business time ------------------------------------------------------------------------

TEST(AddBusinessTimeTest, StaysWithinTheSameInterval) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 2, 9), absl::Minutes(90)), At(2026, 2, 2, 10, 30));
}

TEST(AddBusinessTimeTest, EndsAtClosingTimeRatherThanNextOpening) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 2, 15), absl::Hours(1)), At(2026, 2, 2, 16));
}

TEST(AddBusinessTimeTest, SkipsTheLunchBreak) {
  const BusinessCalendar calendar = Calendar(State::kNW, "Mon-Fri 08:00-12:00,13:00-16:00");
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 2, 11), absl::Hours(2)), At(2026, 2, 2, 14));
  // Starting inside the break counts from 13:00.
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 2, 12, 30), absl::Hours(1)), At(2026, 2, 2, 14));
}

TEST(AddBusinessTimeTest, SkipsTheWeekend) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 6, 15), absl::Hours(2)), At(2026, 2, 9, 9));
}

TEST(AddBusinessTimeTest, SkipsEasterInNordrheinWestfalen) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  // Thursday 15:00-16:00, then Karfreitag, the weekend and Ostermontag, then 7h on Tuesday.
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 4, 2, 15), absl::Hours(8)), At(2026, 4, 7, 15));
}

TEST(AddBusinessTimeTest, SpansSeveralWeeks) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  // 15 business days of 8h from Monday 4 May 2026 08:00; 14 May (Himmelfahrt) and 25 May
  // (Pfingstmontag) are closed, so the 15th business day ends on Tuesday 26 May.
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 5, 4, 8), absl::Hours(15 * 8)), At(2026, 5, 26, 16));
}

TEST(AddBusinessTimeTest, StartsCountingAtTheNextOpening) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 9, 6), absl::Minutes(30)), At(2026, 2, 9, 8, 30));
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 9, 17), absl::Hours(1)), At(2026, 2, 10, 9));
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 7, 10), absl::Hours(1)), At(2026, 2, 9, 9));
}

TEST(AddBusinessTimeTest, NonPositiveDurationReturnsStart) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 7, 10), absl::ZeroDuration()), At(2026, 2, 7, 10));
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 9, 10), -absl::Hours(3)), At(2026, 2, 9, 10));
}

TEST(AddBusinessTimeTest, AcrossSpringDstChangeWithDaytimeHours) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  // Friday 27 March 2026 15:00 CET + 2h ends Monday 30 March 09:00 CEST, 65 real hours later.
  const absl::Time end = calendar.AddBusinessTime(At(2026, 3, 27, 15), absl::Hours(2));
  EXPECT_EQ(end, At(2026, 3, 30, 9));
  EXPECT_EQ(end - At(2026, 3, 27, 15), absl::Hours(65));
}

TEST(AddBusinessTimeTest, AcrossSpringDstChangeWithRoundTheClockHours) {
  const BusinessCalendar calendar = Calendar(State::kNW, "Mon-Sun 00:00-24:00");
  // The night of 29 March 2026 skips 02:00-03:00: four real hours from 23:00 end at 04:00.
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 3, 28, 23), absl::Hours(4)), At(2026, 3, 29, 4));
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 3, 29, 0), At(2026, 3, 30, 0)), absl::Hours(23));
}

TEST(AddBusinessTimeTest, AcrossAutumnDstChangeWithRoundTheClockHours) {
  const BusinessCalendar calendar = Calendar(State::kNW, "Mon-Sun 00:00-24:00");
  // The night of 25 October 2026 repeats 02:00-03:00: four real hours from 23:00 end at 02:00
  // of the second pass (CET).
  const absl::Time end = calendar.AddBusinessTime(At(2026, 10, 24, 23), absl::Hours(4));
  EXPECT_EQ(end, absl::FromCivil(absl::CivilHour(2026, 10, 25, 2), Berlin()) + absl::Hours(1));
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 10, 25, 0), At(2026, 10, 26, 0)),
            absl::Hours(25));
}

TEST(AddBusinessTimeTest, EmptyHoursNeverEnd) {
  const BusinessCalendar calendar = Calendar(State::kNW, "");
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 9, 10), absl::Minutes(1)), absl::InfiniteFuture());
  EXPECT_FALSE(calendar.IsBusinessDay(absl::CivilDay(2026, 2, 9)));
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 1, 1, 0), At(2027, 1, 1, 0)),
            absl::ZeroDuration());
}

TEST(AddBusinessTimeTest, GivesUpWhenEveryOpenDayIsClosedForYears) {
  // Open only on Mondays, and every Monday from 9 February 2026 to 2039 is a closing day.
  std::vector<absl::CivilDay> closed;
  for (absl::CivilDay day(2026, 2, 9); day < absl::CivilDay(2040, 1, 1); day += 7) {
    closed.push_back(day);
  }
  const BusinessCalendar calendar = Calendar(State::kNW, "Mon 08:00-16:00", closed);
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 9, 10), absl::Minutes(1)), absl::InfiniteFuture());
  // With only 260 closed Mondays (about five years) the next open Monday is still found.
  const BusinessCalendar shorter =
      Calendar(State::kNW, "Mon 08:00-16:00",
               std::vector<absl::CivilDay>(closed.begin(), closed.begin() + 260));
  const absl::Time end = shorter.AddBusinessTime(At(2026, 2, 9, 10), absl::Minutes(1));
  EXPECT_EQ(end, At(2031, 2, 3, 8, 1));
}

TEST(AddBusinessTimeTest, InfiniteInputsDoNotLoop) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_EQ(calendar.AddBusinessTime(At(2026, 2, 9, 10), absl::InfiniteDuration()),
            absl::InfiniteFuture());
  EXPECT_EQ(calendar.AddBusinessTime(absl::InfiniteFuture(), absl::Hours(1)),
            absl::InfiniteFuture());
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 2, 9, 10), absl::InfiniteFuture()),
            absl::InfiniteDuration());
}

TEST(BusinessTimeBetweenTest, CountsOnlyOfficeTime) {
  const BusinessCalendar calendar = Calendar(State::kNW, "Mon-Fri 08:00-12:00,13:00-16:00");
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 2, 2, 11), At(2026, 2, 2, 14)), absl::Hours(2));
  // A full week: five days of 7h.
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 2, 2, 0), At(2026, 2, 9, 0)), absl::Hours(35));
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 2, 7, 0), At(2026, 2, 9, 0)),
            absl::ZeroDuration());
}

TEST(BusinessTimeBetweenTest, IsZeroForEmptyOrReversedRange) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 2, 2, 10), At(2026, 2, 2, 10)),
            absl::ZeroDuration());
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 2, 2, 12), At(2026, 2, 2, 10)),
            absl::ZeroDuration());
}

TEST(BusinessTimeBetweenTest, IsTheInverseOfAddBusinessTime) {
  const BusinessCalendar calendar =
      Calendar(State::kNW, "Mon-Thu 08:00-12:00,13:00-16:00; Fri 08:00-12:30",
               {absl::CivilDay(2026, 2, 16)});
  const std::vector<absl::Time> starts = {At(2026, 2, 2, 11),  At(2026, 2, 6, 12, 15),
                                          At(2026, 3, 27, 9),  At(2026, 4, 2, 15),
                                          At(2026, 12, 23, 7), At(2026, 10, 23, 23)};
  const std::vector<absl::Duration> durations = {absl::Minutes(1), absl::Hours(3), absl::Hours(8),
                                                 absl::Hours(40), absl::Hours(300)};
  for (absl::Time start : starts) {
    for (absl::Duration d : durations) {
      const absl::Time end = calendar.AddBusinessTime(start, d);
      ASSERT_LT(end, absl::InfiniteFuture());
      EXPECT_EQ(calendar.BusinessTimeBetween(start, end), d) << start << " + " << d;
      // No earlier end would do: one second less leaves part of `d` uncounted.
      EXPECT_LT(calendar.BusinessTimeBetween(start, end - absl::Seconds(1)), d);
    }
  }
}

TEST(BusinessTimeBetweenTest, MatchesKnownWeekAroundEaster) {
  const BusinessCalendar calendar = Calendar(State::kNW, kWeekdays);
  // Monday 30 March to Monday 13 April 2026: 10 weekdays minus Karfreitag and Ostermontag.
  EXPECT_EQ(calendar.BusinessTimeBetween(At(2026, 3, 30, 0), At(2026, 4, 13, 0)),
            absl::Hours(8 * 8));
}

}  // namespace
}  // namespace lotse::calendar
