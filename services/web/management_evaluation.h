#pragma once

// The joint evaluation (gemeinsame Auswertung) as the web terminal shows it: the period and
// filters a person asks for, the weeks of the period, the page's HTML (key figures, charts, a
// table per unit) and the CSV file. Plain values in, text out: the handler in
// pages_management.cc asks audit and passes the replies. Thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/config/config.h"
#include "lotse/v1/audit.pb.h"
#include "services/web/html.h"

namespace lotse::web {

// What /auswertung and /auswertung.csv were asked for.
struct EvaluationQuery {
  absl::CivilDay from;
  absl::CivilDay to;       // the last day, included (the request's `to` is the day after)
  std::string department;  // only this department or KAM (admin's filter)
  std::string office;      // only this office (admin's filter)
  // The form as typed (von, bis, fachamt, buergerbuero) and what was wrong with it, in German,
  // by field; where a field was wrong, its default stands in above.
  Form form;
};

// The query from the form's fields `von`, `bis` (YYYY-MM-DD), `fachamt` and `buergerbuero`.
// Without dates: the 90 days up to `today` (the city's date). A period longer than
// kMaxEvaluationDays or reversed, an unknown unit, or both a department and an office is
// refused with an error at its field. `may_filter` false (an office or department, which sees only
// itself): the unit fields are ignored.
EvaluationQuery ReadEvaluationQuery(std::string_view from, std::string_view to,
                                    std::string_view department, std::string_view office,
                                    absl::CivilDay today, const config::Config& config,
                                    bool may_filter);
inline constexpr int kDefaultEvaluationDays = 90;
inline constexpr int kMaxEvaluationDays = 3 * 366;

// The query string that asks for `query` again ("von=2026-01-01&bis=2026-03-31&fachamt=x").
std::string EvaluationQueryString(const EvaluationQuery& query);

// One week of the period: Monday to Sunday, cut to the period.
struct Week {
  absl::CivilDay from;
  absl::CivilDay to;  // last day, included
  std::string label;  // "KW 49"
};
// The weeks that overlap [from, to], in order; of more than `max_weeks` only the last ones,
// with `*capped` set.
std::vector<Week> WeeksOf(absl::CivilDay from, absl::CivilDay to, size_t max_weeks, bool* capped);
inline constexpr size_t kMaxWeeks = 26;
// The ISO 8601 week number (1..53) of `day`.
int IsoWeek(absl::CivilDay day);

// A week with its figures (`asked`: audit answered for it).
struct WeekFigures {
  Week week;
  lotse::v1::EvaluationFigures figures;
  bool asked = false;
};

// Everything the page shows.
struct EvaluationView {
  EvaluationQuery query;
  lotse::v1::EvaluationReply reply;
  std::vector<WeekFigures> weeks;
  bool weeks_capped = false;
  bool may_filter = false;  // admin: the form offers the department and office filters
  std::string scope;        // whose figures: "alle Einheiten", "Bürgerbüro Mitte"
  std::string notice;       // HTML shown above the figures (may be ""), already escaped
};

// The page's main content: the form, the key figures, the charts and the tables per unit.
std::string EvaluationMain(const EvaluationView& view, const config::Config& config);

// The rows of /auswertung.csv: a header, then one row per department or KAM, per office, and
// the total, with every figure of `lotse evaluation` (German numbers, no formulas).
std::vector<std::vector<std::string>> EvaluationCsvRows(const lotse::v1::EvaluationReply& reply,
                                                        const EvaluationQuery& query);
// "lotse-auswertung-2026-09-08-bis-2026-12-06.csv"
std::string EvaluationCsvName(const EvaluationQuery& query);

// "YYYY-MM-DD" and "06.12.2026".
std::string IsoDay(absl::CivilDay day);
std::string GermanDay(absl::CivilDay day);
// Business microseconds as hours, German ("12,5 h").
std::string Hours(int64_t micros);

}  // namespace lotse::web
