#include "services/web/management_evaluation.h"

#include <functional>
#include <optional>

#include "absl/strings/numbers.h"
#include "common/format.h"
#include "services/web/charts.h"
#include "services/web/html.h"

namespace lotse::web {
namespace {

using lotse::v1::EvaluationFigures;
using lotse::v1::EvaluationGroup;

std::optional<absl::CivilDay> ParseIsoDay(std::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 ||
      !absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &day)) {
    return std::nullopt;
  }
  return day;
}

std::string Percent(double share) { return StrCat(GermanNumber(share * 100, 0), " %"); }

std::string Rating(double rating) { return GermanNumber(rating, 1); }

std::string Count(uint32_t n) { return GermanNumber(n, 0); }

std::string NameOf(const EvaluationGroup& g) { return g.name().empty() ? g.id() : g.name(); }

double HoursOf(int64_t micros) { return static_cast<double>(micros) / 3.6e9; }

// One figure of a key-figure table: its name and value (already text).
struct Figure {
  std::string_view name;
  std::string value;
};

std::string FigureTable(std::string_view caption, const std::vector<Figure>& figures) {
  std::string rows;
  for (const Figure& f : figures) {
    rows += StrCat(R"(<tr><th scope="row">)", Escape(f.name), R"(</th><td class="num">)",
                   Escape(f.value), "</td></tr>");
  }
  return StrCat(R"(<table class="key-figures"><caption>)", Escape(caption), "</caption><tbody>",
                rows, "</tbody></table>");
}

std::string WithShare(uint32_t n, uint32_t of, double share) {
  return of == 0 ? "–" : StrCat(Count(n), " von ", Count(of), " (", Percent(share), ")");
}

std::string MedianAndP90(bool any, int64_t median, int64_t p90) {
  return any ? StrCat(Hours(median), " / ", Hours(p90)) : "–";
}

// The key figures of the total, in the groups a reader looks for them.
std::string KeyFigures(const EvaluationFigures& f) {
  const bool answered = f.answered() > 0;
  std::string out = R"(<div class="key-figure-groups">)";
  out += FigureTable("Eingang und Erledigung", {{"Eingegangen", Count(f.received())},
                                                {"Beantwortet", Count(f.answered())},
                                                {"Offen", Count(f.open())},
                                                {"Bearbeitung begonnen", Count(f.acted_on())},
                                                {"Wieder geöffnet", Count(f.reopened())}});
  out += FigureTable(
      "Zeiten in Geschäftsstunden (Median / 90 %)",
      {{"Bis zur ersten Bearbeitung",
        MedianAndP90(f.acted_on() > 0, f.time_to_first_action_median_us(),
                     f.time_to_first_action_p90_us())},
       {"Bis zur Antwort",
        MedianAndP90(answered, f.time_to_answer_median_us(), f.time_to_answer_p90_us())},
       {"Bis zur Antwort ohne Warten auf das Unternehmen",
        MedianAndP90(answered, f.time_to_answer_net_median_us(), f.time_to_answer_net_p90_us())},
       {"Eigene Zeit des antwortenden Amts",
        MedianAndP90(answered, f.own_time_median_us(), f.own_time_p90_us())},
       {"Wartezeit des Unternehmens (Kalenderstunden)",
        MedianAndP90(answered, f.company_wait_median_us(), f.company_wait_p90_us())}});
  out += FigureTable(
      "Fristen",
      {{"Antwort in Frist", WithShare(f.answered_within_sla(), f.answered(), f.sla_share())},
       {"Antwort in Frist, Warten auf das Unternehmen mitgezählt",
        WithShare(f.answered_within_sla_counting_waiting(), f.answered(),
                  f.sla_share_counting_waiting())},
       {"Erste Reaktion in Frist", WithShare(f.first_reaction_in_time(), f.first_reaction_due(),
                                             f.first_reaction_sla_share())},
       {"Fristwarnungen", Count(f.warnings())},
       {"Fristüberschreitungen", Count(f.escalations())},
       {"Erste Reaktion überschritten", Count(f.first_reaction_breaches())},
       {"Leitung informiert", Count(f.second_breaches())}});
  out += FigureTable(
      "Zusammenarbeit",
      {{"Weiterleitungen", StrCat(Count(f.forwards()), " (",
                                  GermanNumber(f.forwards_per_referral(), 2), " je Anfrage)")},
       {"Beteiligte Fachämter",
        StrCat(Count(f.consultations()), " (", GermanNumber(f.consultations_per_referral(), 2),
               " je Anfrage)")},
       {"Anfragen mit Rückfrage an das Unternehmen", Count(f.waited_on_company())},
       {"Rückfragen an das Unternehmen", Count(f.questions_to_company())},
       {"Wartezeit auf das Unternehmen, zusammen", Hours(f.waiting_business_us())}});
  out += FigureTable(
      "Rückmeldungen",
      {{"Rückmeldungen der Bürgerbüros", Count(f.feedback())},
       {"Ø Bewertung der Bürgerbüros (1–5)", f.feedback() > 0 ? Rating(f.average_rating()) : "–"},
       {"Als gelöst gemeldet", WithShare(f.resolved(), f.feedback(), f.resolved_share())},
       {"Rückmeldungen der Unternehmen", Count(f.company_feedback())},
       {"Ø Bewertung der Unternehmen (1–5)",
        f.company_feedback() > 0 ? Rating(f.company_average_rating()) : "–"},
       {"Von Unternehmen als gelöst gemeldet",
        WithShare(f.company_resolved(), f.company_feedback(), f.company_resolved_share())}});
  return out + "</div>";
}

// A table of the units (departments and KAMs, or offices) with the figures people compare.
std::string UnitTable(std::string_view id, std::string_view caption, std::string_view heading,
                      const google::protobuf::RepeatedPtrField<EvaluationGroup>& groups,
                      const EvaluationFigures& total, bool with_total) {
  auto cells = [](const EvaluationFigures& f) {
    const bool answered = f.answered() > 0;
    return StrCat(
        R"(<td class="num">)", Count(f.received()), R"(</td><td class="num">)", Count(f.answered()),
        R"(</td><td class="num">)", Count(f.open()), R"(</td><td class="num">)",
        answered ? Hours(f.time_to_answer_median_us()) : "–", R"(</td><td class="num">)",
        answered ? Hours(f.time_to_answer_p90_us()) : "–", R"(</td><td class="num">)",
        answered ? Percent(f.sla_share()) : "–", R"(</td><td class="num">)",
        f.first_reaction_due() > 0 ? Percent(f.first_reaction_sla_share()) : "–",
        R"(</td><td class="num">)", Count(f.escalations()), R"(</td><td class="num">)",
        f.feedback() > 0 ? Rating(f.average_rating()) : "–", " (", Count(f.feedback()), ")</td>");
  };
  std::string rows;
  for (const EvaluationGroup& g : groups) {
    std::string name = Escape(NameOf(g));
    if (!g.home_department().empty()) {
      name += R"( <span class="note">Key Account</span>)";
    }
    rows += StrCat(R"(<tr><th scope="row">)", name, "</th>", cells(g.figures()), "</tr>");
  }
  const std::string foot = with_total ? StrCat(R"(<tfoot><tr><th scope="row">Gesamt</th>)",
                                               cells(total), "</tr></tfoot>")
                                      : "";
  return StrCat(
      R"(<div class="table-scroll" role="region" tabindex="0" aria-labelledby=")", id, R"(">)",
      R"(<table class="figures"><caption id=")", id, R"(">)", Escape(caption),
      R"(</caption><thead><tr><th scope="col">)", Escape(heading),
      R"(</th><th scope="col" class="num">Ein&shy;gegangen</th>)",
      R"(<th scope="col" class="num">Beant&shy;wortet</th><th scope="col" class="num">Offen</th>)",
      R"(<th scope="col" class="num">Antwort Median</th>)",
      R"(<th scope="col" class="num">Antwort 90 %</th>)",
      R"(<th scope="col" class="num">Antwort in Frist</th>)",
      R"(<th scope="col" class="num">Erste Reaktion in Frist</th>)",
      R"(<th scope="col" class="num">Frist über&shy;schritten</th>)",
      R"(<th scope="col" class="num">Ø Bewertung (Rück&shy;meldungen)</th></tr></thead><tbody>)",
      rows, "</tbody>", foot, "</table></div>");
}

// The units a chart compares: departments and KAMs, else (an office's view) offices.
const google::protobuf::RepeatedPtrField<EvaluationGroup>& ChartUnits(
    const lotse::v1::EvaluationReply& reply) {
  return reply.departments().empty() ? reply.offices() : reply.departments();
}

Chart AnswerTimeChart(const lotse::v1::EvaluationReply& reply) {
  Chart chart;
  chart.id = "antwortzeiten";
  chart.title = "Antwortzeiten";
  chart.description =
      "Zeit von der Anfrage bis zur Antwort in Geschäftsstunden: die Hälfte der Anfragen war "
      "nach dem Median beantwortet, neun von zehn nach dem 90-%-Wert. Nur Einheiten mit "
      "beantworteten Anfragen.";
  chart.unit = " h";
  chart.series = {"Median", "90 %"};
  chart.row_heading = "Einheit";
  for (const EvaluationGroup& g : ChartUnits(reply)) {
    if (g.figures().answered() > 0) {
      chart.rows.push_back({NameOf(g),
                            {HoursOf(g.figures().time_to_answer_median_us()),
                             HoursOf(g.figures().time_to_answer_p90_us())}});
    }
  }
  if (chart.rows.size() > 1 && reply.total().answered() > 0) {
    chart.rows.push_back({"Gesamt",
                          {HoursOf(reply.total().time_to_answer_median_us()),
                           HoursOf(reply.total().time_to_answer_p90_us())}});
  }
  return chart;
}

Chart WeeklySlaChart(const std::vector<WeekFigures>& weeks, bool capped) {
  Chart chart;
  chart.id = "frist-je-woche";
  chart.title = "Antworten in Frist je Woche";
  chart.description = StrCat(
      "Anteil der in der Woche eingegangenen Anfragen, die bis zu ihrer Frist beantwortet "
      "wurden, von den bisher beantworteten; dazu der Anteil mit erster Reaktion in Frist.",
      capped ? StrCat(" Nur die letzten ", kMaxWeeks, " Wochen des Zeitraums.") : "");
  chart.unit = " %";
  chart.max = 100;
  chart.decimals = 0;
  chart.series = {"Antwort in Frist", "Erste Reaktion in Frist"};
  chart.row_heading = "Woche";
  for (const WeekFigures& w : weeks) {
    const EvaluationFigures& f = w.figures;
    ChartRow row{w.week.label, {}, StrCat(GermanDay(w.week.from), "–", GermanDay(w.week.to))};
    row.values.push_back(w.asked && f.answered() > 0 ? std::optional(f.sla_share() * 100)
                                                     : std::nullopt);
    row.values.push_back(w.asked && f.first_reaction_due() > 0
                             ? std::optional(f.first_reaction_sla_share() * 100)
                             : std::nullopt);
    chart.rows.push_back(std::move(row));
  }
  return chart;
}

Chart RatingChart(const lotse::v1::EvaluationReply& reply) {
  Chart chart;
  chart.id = "bewertungen";
  chart.title = "Bewertungen der Antworten";
  chart.description =
      "Durchschnittliche Bewertung auf der Skala 1 (schlecht) bis 5 (sehr gut), von den "
      "Bürgerbüros und von den Unternehmen selbst. Nur Einheiten mit Rückmeldungen.";
  chart.max = 5;
  chart.series = {"Bürgerbüros", "Unternehmen"};
  chart.row_heading = "Einheit";
  auto add = [&](const std::string& name, const EvaluationFigures& f) {
    if (f.feedback() == 0 && f.company_feedback() == 0) {
      return;
    }
    chart.rows.push_back(
        {name,
         {f.feedback() > 0 ? std::optional(f.average_rating()) : std::nullopt,
          f.company_feedback() > 0 ? std::optional(f.company_average_rating()) : std::nullopt},
         StrCat(Count(f.feedback()), " / ", Count(f.company_feedback()), " Rückmeldungen")});
  };
  for (const EvaluationGroup& g : ChartUnits(reply)) {
    add(NameOf(g), g.figures());
  }
  if (chart.rows.size() > 1) {
    add("Gesamt", reply.total());
  }
  return chart;
}

std::string FilterForm(const EvaluationView& view, const config::Config& config) {
  const Form& form = view.query.form;
  std::string units;
  if (view.may_filter) {
    std::vector<std::pair<std::string, std::string>> departments = {{"", "Alle"}};
    std::vector<std::pair<std::string, std::string>> offices = {{"", "Alle"}};
    for (const config::Department& d : config.departments) {
      departments.emplace_back(d.id, d.name);
    }
    for (const config::KeyAccount& k : config.key_accounts) {
      departments.emplace_back(k.id, StrCat("Key Account ", k.name));
    }
    for (const config::Office& o : config.offices) {
      offices.emplace_back(o.id, o.name);
    }
    units = StrCat(Select(form, "fachamt", "Fachamt oder Key Account", departments),
                   Select(form, "buergerbuero", "Bürgerbüro", offices));
  }
  return StrCat(
      ErrorSummary(form),
      form.ok() ? ""
                : R"(<p class="hint">Bis die Eingaben stimmen, sehen Sie die Standardauswahl.</p>)",
      R"(<form method="get" action="/auswertung" class="filters">)",
      TextField(form, "von", "Von", R"( type="date" required)"),
      TextField(form, "bis", "Bis einschließlich", R"( type="date" required)"), units,
      R"(<div class="field"><button type="submit">Anzeigen</button></div></form>)");
}

void AddFigureCells(std::vector<std::string>& row, const EvaluationFigures& f) {
  const auto hours = [](int64_t us) { return GermanNumber(HoursOf(us), 1); };
  const auto count = [](uint32_t n) { return std::to_string(n); };
  const auto share = [](bool any, double s) { return any ? GermanNumber(s * 100, 1) : ""; };
  const bool answered = f.answered() > 0;
  const bool acted = f.acted_on() > 0;
  const bool feedback = f.feedback() > 0;
  const bool company = f.company_feedback() > 0;
  std::vector<std::string> cells = {count(f.received()),
                                    count(f.answered()),
                                    count(f.open()),
                                    count(f.acted_on()),
                                    acted ? hours(f.time_to_first_action_median_us()) : "",
                                    acted ? hours(f.time_to_first_action_p90_us()) : "",
                                    answered ? hours(f.time_to_answer_median_us()) : "",
                                    answered ? hours(f.time_to_answer_p90_us()) : "",
                                    count(f.answered_within_sla()),
                                    share(answered, f.sla_share()),
                                    count(f.warnings()),
                                    count(f.escalations()),
                                    count(f.forwards()),
                                    GermanNumber(f.forwards_per_referral(), 2),
                                    count(f.consultations()),
                                    GermanNumber(f.consultations_per_referral(), 2),
                                    count(f.feedback()),
                                    feedback ? GermanNumber(f.average_rating(), 2) : "",
                                    count(f.resolved()),
                                    share(feedback, f.resolved_share()),
                                    count(f.first_reaction_due()),
                                    count(f.first_reaction_in_time()),
                                    share(f.first_reaction_due() > 0, f.first_reaction_sla_share()),
                                    count(f.first_reaction_breaches()),
                                    count(f.second_breaches()),
                                    count(f.answered_within_sla_counting_waiting()),
                                    share(answered, f.sla_share_counting_waiting()),
                                    count(f.waited_on_company()),
                                    count(f.questions_to_company()),
                                    hours(f.waiting_business_us()),
                                    answered ? hours(f.time_to_answer_net_median_us()) : "",
                                    answered ? hours(f.time_to_answer_net_p90_us()) : "",
                                    answered ? hours(f.own_time_median_us()) : "",
                                    answered ? hours(f.own_time_p90_us()) : "",
                                    answered ? hours(f.company_wait_median_us()) : "",
                                    answered ? hours(f.company_wait_p90_us()) : "",
                                    count(f.reopened()),
                                    count(f.reopenings()),
                                    count(f.company_feedback()),
                                    company ? GermanNumber(f.company_average_rating(), 2) : "",
                                    count(f.company_resolved()),
                                    share(company, f.company_resolved_share())};
  row.insert(row.end(), cells.begin(), cells.end());
}

constexpr std::string_view kCsvColumns[] = {"Eingegangen",
                                            "Beantwortet",
                                            "Offen",
                                            "Bearbeitung begonnen",
                                            "Erste Bearbeitung Median (h)",
                                            "Erste Bearbeitung 90 % (h)",
                                            "Antwort Median (h)",
                                            "Antwort 90 % (h)",
                                            "Antwort in Frist",
                                            "Antwort in Frist (%)",
                                            "Fristwarnungen",
                                            "Fristüberschreitungen",
                                            "Weiterleitungen",
                                            "Weiterleitungen je Anfrage",
                                            "Beteiligte Fachämter",
                                            "Beteiligte Fachämter je Anfrage",
                                            "Rückmeldungen der Bürgerbüros",
                                            "Ø Bewertung der Bürgerbüros",
                                            "Von Bürgerbüros als gelöst gemeldet",
                                            "Von Bürgerbüros als gelöst gemeldet (%)",
                                            "Erste Reaktion fällig",
                                            "Erste Reaktion in Frist",
                                            "Erste Reaktion in Frist (%)",
                                            "Erste Reaktion überschritten",
                                            "Leitung informiert",
                                            "Antwort in Frist mit Warten auf das Unternehmen",
                                            "Antwort in Frist mit Warten auf das Unternehmen (%)",
                                            "Anfragen mit Rückfrage an das Unternehmen",
                                            "Rückfragen an das Unternehmen",
                                            "Warten auf das Unternehmen zusammen (h)",
                                            "Antwort ohne Warten Median (h)",
                                            "Antwort ohne Warten 90 % (h)",
                                            "Eigene Zeit Median (h)",
                                            "Eigene Zeit 90 % (h)",
                                            "Wartezeit des Unternehmens Median (Kalender-h)",
                                            "Wartezeit des Unternehmens 90 % (Kalender-h)",
                                            "Wieder geöffnete Anfragen",
                                            "Wiederöffnungen",
                                            "Rückmeldungen der Unternehmen",
                                            "Ø Bewertung der Unternehmen",
                                            "Von Unternehmen als gelöst gemeldet",
                                            "Von Unternehmen als gelöst gemeldet (%)"};

}  // namespace

std::string IsoDay(absl::CivilDay day) {
  return fmt::format("{:04}-{:02}-{:02}", day.year(), day.month(), day.day());
}

std::string GermanDay(absl::CivilDay day) {
  return fmt::format("{:02}.{:02}.{:04}", day.day(), day.month(), day.year());
}

std::string Hours(int64_t micros) { return StrCat(GermanNumber(HoursOf(micros), 1), " h"); }

EvaluationQuery ReadEvaluationQuery(std::string_view from, std::string_view to,
                                    std::string_view department, std::string_view office,
                                    absl::CivilDay today, const config::Config& config,
                                    bool may_filter) {
  EvaluationQuery q;
  q.to = today;
  q.from = today - (kDefaultEvaluationDays - 1);
  const std::optional<absl::CivilDay> asked_from = ParseIsoDay(from);
  const std::optional<absl::CivilDay> asked_to = ParseIsoDay(to);
  if (!from.empty() && !asked_from.has_value()) {
    q.form.errors["von"] = "Das ist kein Datum: bitte als TT.MM.JJJJ.";
  }
  if (!to.empty() && !asked_to.has_value()) {
    q.form.errors["bis"] = "Das ist kein Datum: bitte als TT.MM.JJJJ.";
  }
  if (q.form.ok() && (asked_from.has_value() || asked_to.has_value())) {
    const absl::CivilDay f =
        asked_from.value_or(asked_to.value_or(today) - (kDefaultEvaluationDays - 1));
    const absl::CivilDay t = asked_to.value_or(std::max(f, today));
    if (f > t) {
      q.form.errors["bis"] = "Der Zeitraum endet vor seinem Beginn: „Bis“ muss nach „Von“ liegen.";
    } else if (t - f >= kMaxEvaluationDays) {
      q.form.errors["von"] = StrCat("Der Zeitraum ist länger als drei Jahre (", kMaxEvaluationDays,
                                    " Tage); bitte wählen Sie einen kürzeren.");
    } else {
      q.from = f;
      q.to = t;
    }
  }
  q.form.values["von"] = q.form.errors.contains("von") ? std::string(from) : IsoDay(q.from);
  q.form.values["bis"] = q.form.errors.contains("bis") ? std::string(to) : IsoDay(q.to);
  if (!may_filter) {
    return q;
  }
  q.form.values["fachamt"] = std::string(department);
  q.form.values["buergerbuero"] = std::string(office);
  if (!department.empty()) {
    if (config.FindDepartment(department) != nullptr ||
        config.FindKeyAccount(department) != nullptr) {
      q.department = std::string(department);
    } else {
      q.form.errors["fachamt"] = "Dieses Fachamt oder diesen Key Account gibt es nicht.";
    }
  }
  if (!office.empty()) {
    if (config.FindOffice(office) == nullptr) {
      q.form.errors["buergerbuero"] = "Dieses Bürgerbüro gibt es nicht.";
    } else if (!q.department.empty()) {
      q.form.errors["buergerbuero"] =
          "Bitte wählen Sie entweder ein Fachamt (oder einen Key Account) oder ein Bürgerbüro; "
          "gezeigt wird das Fachamt.";
    } else {
      q.office = std::string(office);
    }
  }
  return q;
}

std::string EvaluationQueryString(const EvaluationQuery& query) {
  std::string out = StrCat("von=", IsoDay(query.from), "&bis=", IsoDay(query.to));
  if (!query.department.empty()) {
    out += StrCat("&fachamt=", UrlEncode(query.department));
  }
  if (!query.office.empty()) {
    out += StrCat("&buergerbuero=", UrlEncode(query.office));
  }
  return out;
}

int IsoWeek(absl::CivilDay day) {
  // The week belongs to the year of its Thursday; its number counts the Thursdays of that year.
  const int monday_based = (static_cast<int>(absl::GetWeekday(day)) + 7) % 7;  // Monday = 0
  const absl::CivilDay thursday = day - monday_based + 3;
  return (absl::GetYearDay(thursday) - 1) / 7 + 1;
}

std::vector<Week> WeeksOf(absl::CivilDay from, absl::CivilDay to, size_t max_weeks, bool* capped) {
  std::vector<Week> weeks;
  *capped = false;
  if (to < from) {
    return weeks;
  }
  const int monday_based = (static_cast<int>(absl::GetWeekday(from)) + 7) % 7;
  for (absl::CivilDay monday = from - monday_based; monday <= to; monday += 7) {
    weeks.push_back(
        {std::max(monday, from), std::min(monday + 6, to), StrCat("KW ", IsoWeek(monday))});
  }
  if (weeks.size() > max_weeks) {
    weeks.erase(weeks.begin(), weeks.end() - static_cast<std::ptrdiff_t>(max_weeks));
    *capped = true;
  }
  return weeks;
}

std::string EvaluationMain(const EvaluationView& view, const config::Config& config) {
  const lotse::v1::EvaluationReply& reply = view.reply;
  const EvaluationFigures& total = reply.total();
  const std::string query = EvaluationQueryString(view.query);
  std::string out = FilterForm(view, config);
  out += StrCat(R"(<p class="period">)", Escape(view.scope), ": Anfragen eingegangen vom ",
                GermanDay(view.query.from), " bis ", GermanDay(view.query.to), " (",
                Escape(reply.time_zone()),
                "). Zeiten in Geschäftsstunden des zuständigen Amts, die Wartezeit des "
                "Unternehmens in Kalenderstunden.</p>",
                R"(<p class="download"><a href="/auswertung.csv?)", Escape(query),
                R"(" download>Alle Kennzahlen als CSV-Datei herunterladen</a> )",
                R"((für Tabellenkalkulationen, mit Semikolon getrennt)</p>)", view.notice);
  out += StrCat(R"(<section aria-labelledby="kennzahlen"><h2 id="kennzahlen">Kennzahlen</h2>)",
                R"(<ul class="headline-figures">)", "<li><strong>", Count(total.received()),
                "</strong> eingegangen</li><li><strong>", Count(total.answered()),
                "</strong> beantwortet</li><li><strong>", Count(total.open()),
                "</strong> offen</li><li><strong>",
                total.answered() > 0 ? Percent(total.sla_share()) : "–",
                "</strong> in Frist beantwortet</li><li><strong>",
                total.answered() > 0 ? Hours(total.time_to_answer_median_us()) : "–",
                "</strong> bis zur Antwort (Median)</li><li><strong>",
                total.feedback() > 0 ? Rating(total.average_rating()) : "–",
                "</strong> Ø Bewertung</li></ul>", KeyFigures(total), "</section>");
  out += StrCat(R"(<section aria-labelledby="grafiken"><h2 id="grafiken">Grafiken</h2>)",
                ChartFigure(AnswerTimeChart(reply), ChartKind::kBars));
  if (!view.weeks.empty()) {
    out += ChartFigure(WeeklySlaChart(view.weeks, view.weeks_capped), ChartKind::kColumns);
  }
  out += StrCat(ChartFigure(RatingChart(reply), ChartKind::kBars), "</section>");
  if (!reply.departments().empty() || !reply.offices().empty()) {
    out += R"(<section aria-labelledby="einheiten"><h2 id="einheiten">Je Einheit</h2>)";
    if (!reply.departments().empty()) {
      out += UnitTable("tabelle-fachaemter", "Fachämter und Key Accounts (das antwortende Amt)",
                       "Fachamt", reply.departments(), total, reply.departments_size() > 1);
    }
    if (!reply.offices().empty()) {
      out += UnitTable("tabelle-buergerbueros", "Bürgerbüros (wo die Anfrage einging)",
                       "Bürgerbüro", reply.offices(), total, reply.offices_size() > 1);
    }
    out += "</section>";
  }
  return out;
}

std::vector<std::vector<std::string>> EvaluationCsvRows(const lotse::v1::EvaluationReply& reply,
                                                        const EvaluationQuery& query) {
  std::vector<std::string> header = {"Von", "Bis einschließlich", "Art", "Kennung", "Name"};
  header.insert(header.end(), std::begin(kCsvColumns), std::end(kCsvColumns));
  std::vector<std::vector<std::string>> rows = {std::move(header)};
  auto add = [&](std::string kind, const std::string& id, const std::string& name,
                 const EvaluationFigures& f) {
    std::vector<std::string> row = {IsoDay(query.from), IsoDay(query.to), std::move(kind), id,
                                    name};
    AddFigureCells(row, f);
    rows.push_back(std::move(row));
  };
  for (const EvaluationGroup& g : reply.departments()) {
    add(g.home_department().empty() ? "Fachamt" : "Key Account", g.id(), g.name(), g.figures());
  }
  for (const EvaluationGroup& g : reply.offices()) {
    add("Bürgerbüro", g.id(), g.name(), g.figures());
  }
  add("Gesamt", "", "", reply.total());
  return rows;
}

std::string EvaluationCsvName(const EvaluationQuery& query) {
  std::string unit;
  if (!query.department.empty()) {
    unit = StrCat("-", query.department);
  } else if (!query.office.empty()) {
    unit = StrCat("-", query.office);
  }
  return StrCat("lotse-auswertung", unit, "-", IsoDay(query.from), "-bis-", IsoDay(query.to),
                ".csv");
}

}  // namespace lotse::web
