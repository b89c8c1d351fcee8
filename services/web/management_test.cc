// The management pages without HTTP: the evaluation's period and filters, its weeks, its page
// and CSV; the operators' view from the ops ports (with a fake port); the company file; the
// accessibility statement and its reports.
#include <sys/stat.h>

#include <map>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/config/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/web/api_support.h"
#include "services/web/management_accessibility.h"
#include "services/web/management_company.h"
#include "services/web/management_csv.h"
#include "services/web/management_evaluation.h"
#include "services/web/management_operations.h"
#include "tests/support/temp_dir.h"

namespace lotse::web {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

const config::Config& City() {
  static const config::Config* city =
      new config::Config(*config::ParseConfig(config::DefaultConfigText(), "embedded"));
  return *city;
}

const absl::CivilDay kToday(2026, 12, 6);  // a Sunday

// ---------------------------------------------------------------------------------------------
// The evaluation

TEST(EvaluationQueryTest, WithoutDatesTheLast90DaysUpToToday) {
  const EvaluationQuery q = ReadEvaluationQuery("", "", "", "", kToday, City(), true);
  EXPECT_EQ(q.to, kToday);
  EXPECT_EQ(q.from, absl::CivilDay(2026, 9, 8));
  EXPECT_EQ(q.to - q.from + 1, kDefaultEvaluationDays);
  EXPECT_TRUE(q.form.ok());
  EXPECT_EQ(q.form.Value("von"), "2026-09-08");  // the form shows what is evaluated
  EXPECT_EQ(EvaluationQueryString(q), "von=2026-09-08&bis=2026-12-06");
}

TEST(EvaluationQueryTest, ReadsThePeriodAndTheAdminsFilters) {
  EvaluationQuery q =
      ReadEvaluationQuery("2026-03-01", "2026-03-31", "bauordnung", "", kToday, City(), true);
  EXPECT_EQ(q.from, absl::CivilDay(2026, 3, 1));
  EXPECT_EQ(q.to, absl::CivilDay(2026, 3, 31));
  EXPECT_EQ(q.department, "bauordnung");
  EXPECT_TRUE(q.form.ok());
  EXPECT_EQ(EvaluationQueryString(q), "von=2026-03-01&bis=2026-03-31&fachamt=bauordnung");
  EXPECT_EQ(EvaluationCsvName(q), "lotse-auswertung-bauordnung-2026-03-01-bis-2026-03-31.csv");
  q = ReadEvaluationQuery("2026-03-01", "", "", "bb-nord", kToday, City(), true);
  EXPECT_EQ(q.office, "bb-nord");
  EXPECT_EQ(q.to, kToday);
  // A KAM is a unit of the evaluation, too.
  EXPECT_EQ(ReadEvaluationQuery("", "", "kam-schneider", "", kToday, City(), true).department,
            "kam-schneider");
}

TEST(EvaluationQueryTest, AnOfficeOrDepartmentCannotFilterForOthers) {
  const EvaluationQuery q =
      ReadEvaluationQuery("", "", "bauordnung", "bb-nord", kToday, City(), false);
  EXPECT_TRUE(q.department.empty());
  EXPECT_TRUE(q.office.empty());
  EXPECT_TRUE(q.form.ok());
}

TEST(EvaluationQueryTest, BadInputIsNamedAtItsFieldAndTheDefaultsStandIn) {
  EvaluationQuery q = ReadEvaluationQuery("01.03.2026", "2026-02-30", "", "", kToday, City(), true);
  EXPECT_THAT(q.form.errors, SizeIs(2));
  EXPECT_EQ(q.form.Value("von"), "01.03.2026");  // kept as typed, to correct it
  EXPECT_EQ(q.to, kToday);
  q = ReadEvaluationQuery("2026-05-01", "2026-04-01", "", "", kToday, City(), true);
  EXPECT_THAT(q.form.Error("bis"), HasSubstr("endet vor seinem Beginn"));
  EXPECT_EQ(q.from, absl::CivilDay(2026, 9, 8));
  q = ReadEvaluationQuery("2020-01-01", "2026-01-01", "", "", kToday, City(), true);
  EXPECT_THAT(q.form.Error("von"), HasSubstr("länger als drei Jahre"));
  q = ReadEvaluationQuery("", "", "gibt-es-nicht", "bb-<script>", kToday, City(), true);
  EXPECT_THAT(q.form.errors, SizeIs(2));
  EXPECT_TRUE(q.department.empty());
  EXPECT_TRUE(q.office.empty());
  q = ReadEvaluationQuery("", "", "bauordnung", "bb-nord", kToday, City(), true);
  EXPECT_EQ(q.department, "bauordnung");
  EXPECT_TRUE(q.office.empty());
  EXPECT_THAT(q.form.Error("buergerbuero"), HasSubstr("entweder"));
}

TEST(WeeksTest, IsoWeeksMondayToSundayCutToThePeriod) {
  EXPECT_EQ(IsoWeek(absl::CivilDay(2026, 1, 1)), 1);    // a Thursday
  EXPECT_EQ(IsoWeek(absl::CivilDay(2027, 1, 1)), 53);   // a Friday: the last week of 2026
  EXPECT_EQ(IsoWeek(absl::CivilDay(2026, 12, 6)), 49);  // a Sunday
  EXPECT_EQ(IsoWeek(absl::CivilDay(2026, 12, 7)), 50);
  bool capped = true;
  const std::vector<Week> weeks =
      WeeksOf(absl::CivilDay(2026, 12, 2), absl::CivilDay(2026, 12, 15), 26, &capped);
  EXPECT_FALSE(capped);
  ASSERT_THAT(weeks, SizeIs(3));
  EXPECT_EQ(weeks[0].from, absl::CivilDay(2026, 12, 2));
  EXPECT_EQ(weeks[0].to, absl::CivilDay(2026, 12, 6));
  EXPECT_EQ(weeks[0].label, "KW 49");
  EXPECT_EQ(weeks[1].from, absl::CivilDay(2026, 12, 7));
  EXPECT_EQ(weeks[2].to, absl::CivilDay(2026, 12, 15));
  EXPECT_EQ(weeks[2].label, "KW 51");
}

TEST(WeeksTest, ALongPeriodKeepsItsLastWeeks) {
  bool capped = false;
  const std::vector<Week> weeks =
      WeeksOf(absl::CivilDay(2025, 1, 1), absl::CivilDay(2026, 12, 6), kMaxWeeks, &capped);
  EXPECT_TRUE(capped);
  ASSERT_THAT(weeks, SizeIs(kMaxWeeks));
  EXPECT_EQ(weeks.back().to, absl::CivilDay(2026, 12, 6));
  EXPECT_THAT(WeeksOf(kToday, kToday - 1, kMaxWeeks, &capped), SizeIs(0));
}

lotse::v1::EvaluationReply SampleReply() {
  lotse::v1::EvaluationReply reply;
  reply.set_from("2026-09-08");
  reply.set_to("2026-12-07");
  reply.set_time_zone("Europe/Berlin");
  lotse::v1::EvaluationGroup* d = reply.add_departments();
  d->set_id("bauordnung");
  d->set_name("Bauordnungsamt <script>alert(1)</script>");
  lotse::v1::EvaluationFigures* f = d->mutable_figures();
  f->set_received(6);
  f->set_answered(4);
  f->set_open(2);
  f->set_time_to_answer_median_us(int64_t{9} * 3600 * 1000000);
  f->set_time_to_answer_p90_us(int64_t{27} * 3600 * 1000000);
  f->set_answered_within_sla(3);
  f->set_sla_share(0.75);
  f->set_feedback(2);
  f->set_average_rating(4.5);
  lotse::v1::EvaluationGroup* k = reply.add_departments();
  k->set_id("kam-schneider");
  k->set_name("Anna Schneider");
  k->set_home_department("wirtschaftsfoerderung");
  lotse::v1::EvaluationGroup* o = reply.add_offices();
  o->set_id("bb-mitte");
  o->set_name("=HYPERLINK(\"http://evil\")");
  *o->mutable_figures() = *f;
  *reply.mutable_total() = *f;
  return reply;
}

TEST(EvaluationPageTest, ShowsTheFiguresChartsAndTablesEscaped) {
  EvaluationView view;
  view.query = ReadEvaluationQuery("", "", "", "", kToday, City(), true);
  view.reply = SampleReply();
  view.may_filter = true;
  view.scope = "Alle Einheiten";
  bool capped = false;
  for (const Week& w : WeeksOf(view.query.from, view.query.to, kMaxWeeks, &capped)) {
    view.weeks.push_back({w, view.reply.total(), true});
  }
  const std::string html = EvaluationMain(view, City());
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("Bauordnungsamt &lt;script&gt;"));
  EXPECT_THAT(html, HasSubstr(R"(<select id="f-fachamt" name="fachamt")"));
  EXPECT_THAT(html, HasSubstr(R"(value="2026-09-08" type="date")"));
  EXPECT_THAT(html, HasSubstr(R"(href="/auswertung.csv?von=2026-09-08&amp;bis=2026-12-06")"));
  EXPECT_THAT(html, HasSubstr("<strong>75 %</strong> in Frist beantwortet"));
  EXPECT_THAT(html, HasSubstr("9,0 h / 27,0 h"));  // median / 90 % of the answer
  EXPECT_THAT(html, HasSubstr(R"(<svg class="chart")"));
  EXPECT_THAT(html, HasSubstr("Antworten in Frist je Woche"));
  EXPECT_THAT(html, HasSubstr("KW 49"));
  EXPECT_THAT(html, HasSubstr(R"(Anna Schneider <span class="note">Key Account</span>)"));
  EXPECT_THAT(html, HasSubstr(R"(<caption id="tabelle-buergerbueros">)"));
  // An office's or department's page has no unit filters.
  view.may_filter = false;
  EXPECT_THAT(EvaluationMain(view, City()), Not(HasSubstr("<select")));
}

TEST(EvaluationPageTest, AnEmptyPeriodShowsZerosAndNoCharts) {
  EvaluationView view;
  view.query = ReadEvaluationQuery("", "", "", "", kToday, City(), false);
  view.scope = "Bürgerbüro Mitte";
  const std::string html = EvaluationMain(view, City());
  EXPECT_THAT(html, HasSubstr("<strong>0</strong> eingegangen"));
  EXPECT_THAT(html, Not(HasSubstr("<svg")));
  EXPECT_THAT(html, HasSubstr("noch keine Werte"));
}

TEST(EvaluationCsvTest, EveryFigureOfEveryUnitWithGermanNumbersAndNoFormulas) {
  const EvaluationQuery q = ReadEvaluationQuery("", "", "", "", kToday, City(), true);
  const std::vector<std::vector<std::string>> rows = EvaluationCsvRows(SampleReply(), q);
  ASSERT_THAT(rows, SizeIs(5));  // header, 2 departments, 1 office, total
  EXPECT_EQ(rows[0][0], "Von");
  EXPECT_EQ(rows[0][5], "Eingegangen");
  for (const auto& row : rows) {
    EXPECT_EQ(row.size(), rows[0].size());
  }
  EXPECT_EQ(rows[1][2], "Fachamt");
  EXPECT_EQ(rows[2][2], "Key Account");
  EXPECT_EQ(rows[3][2], "Bürgerbüro");
  EXPECT_EQ(rows[4][2], "Gesamt");
  EXPECT_EQ(rows[1][5], "6");
  EXPECT_EQ(rows[1][11], "9,0");   // answer median (h)
  EXPECT_EQ(rows[1][14], "75,0");  // share within SLA (%)
  EXPECT_EQ(rows[2][11], "");      // nothing answered: no time
  const std::string csv = Csv(rows);
  EXPECT_THAT(csv, HasSubstr(";\"'=HYPERLINK(\"\"http://evil\"\")\";"));
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFVon;Bis einschließlich;Art;", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// Operations

TEST(MetricsTest, ReadsSeriesWithLabelsAndSkipsTheRest) {
  const std::vector<MetricSample> samples = ParseMetrics(
      "# HELP lotse_ready 1 if ready\n"
      "# TYPE lotse_ready gauge\n"
      "lotse_ready{service=\"routing\"} 1\n"
      "lotse_events_produced_total{service=\"routing\",type=\"answered\"} 4 1700000000\n"
      "odd{a=\"x\\\"y,z\"} 2.5e1\n"
      "broken{a=\"x} 1\n"
      "novalue\n"
      "plain 7\n");
  ASSERT_THAT(samples, SizeIs(4));
  EXPECT_EQ(samples[0].name, "lotse_ready");
  EXPECT_EQ(samples[0].Label("service"), "routing");
  EXPECT_EQ(samples[1].Label("type"), "answered");
  EXPECT_EQ(samples[1].value, 4);
  EXPECT_EQ(samples[2].Label("a"), "x\"y,z");
  EXPECT_EQ(samples[2].value, 25);
  EXPECT_EQ(samples[3].name, "plain");
  EXPECT_EQ(samples[3].Label("service"), "");
}

// A set of ops ports in memory: each service's /status and /metrics, changed by the test.
struct FakePorts {
  std::map<std::string, std::string> metrics;  // by service
  std::map<std::string, bool> up;
  int calls = 0;

  OpsFetch Fetch() {
    return [this](config::Service service, std::string_view path) {
      ++calls;
      const std::string name(config::ServiceName(service));
      OpsAnswer a;
      if (!up[name]) {
        a.error = "keine Antwort (Connection)";
        return a;
      }
      a.status = 200;
      a.body =
          path == "/status"
              ? R"({"service":")" + name +
                    R"(","ready":true,"uptime_s":75,"consumers":[{"stream":"intake","lag":"3",)"
                    R"("rate_per_s":1.5,"connected":true}],"unknown_field":1})"
              : metrics[name];
      return a;
    };
  }
};

TEST(OpsWatchTest, ShowsEachServiceAndTheEventsBetweenLooks) {
  FakePorts ports;
  for (const char* s : {"intake", "routing", "notification", "audit"}) {
    ports.up[s] = true;
  }
  ports.metrics["routing"] =
      "lotse_events_produced_total{service=\"routing\",type=\"referral_routed\"} 5\n"
      "lotse_escalations_total{service=\"routing\",department=\"bauordnung\",level=\"breach\"} 0\n"
      "lotse_command_duration_seconds_count{service=\"routing\",command=\"worklist\"} 10\n";
  OpsWatch watch(ports.Fetch(), absl::Seconds(2));
  const absl::Time t0 = absl::FromUnixSeconds(1'780'000'000);
  OpsSnapshot first = watch.Look(t0);
  ASSERT_THAT(first.services, SizeIs(4));
  EXPECT_TRUE(first.services[1].up);
  EXPECT_EQ(first.services[1].status.consumers(0).lag(), 3u);
  EXPECT_THAT(first.recent, SizeIs(0));  // the first look is where watching starts
  EXPECT_FALSE(first.services[1].commands_per_minute.has_value());
  EXPECT_EQ(OpsSummary(first), "Alle 4 Dienste laufen und sind bereit.");

  // Within the interval: the same look, no new requests.
  const int calls = ports.calls;
  EXPECT_EQ(watch.Look(t0 + absl::Seconds(1)).at, t0);
  EXPECT_EQ(ports.calls, calls);

  ports.metrics["routing"] =
      "lotse_events_produced_total{service=\"routing\",type=\"referral_routed\"} 7\n"
      "lotse_events_produced_total{service=\"routing\",type=\"answered\"} 1\n"
      "lotse_escalations_total{service=\"routing\",department=\"bauordnung\",level=\"breach\"} 1\n"
      "lotse_command_duration_seconds_count{service=\"routing\",command=\"worklist\"} 40\n";
  ports.up["audit"] = false;
  const OpsSnapshot second = watch.Look(t0 + absl::Seconds(60));
  EXPECT_FALSE(second.services[3].up);
  EXPECT_THAT(second.services[3].problem, HasSubstr("keine Antwort"));
  EXPECT_EQ(OpsSummary(second), "1 von 4 Diensten ist nicht erreichbar.");
  ASSERT_TRUE(second.services[1].commands_per_minute.has_value());
  EXPECT_DOUBLE_EQ(*second.services[1].commands_per_minute, 30);
  EXPECT_DOUBLE_EQ(*second.services[1].events_per_minute, 3);
  std::map<std::string, uint64_t> counts;
  for (const OpsEvent& e : second.recent) {
    counts[e.kind + "|" + e.detail] = e.count;
    EXPECT_EQ(e.from, t0);
  }
  EXPECT_EQ(counts["Anfrage zugewiesen|"], 2u);
  EXPECT_EQ(counts["Beantwortet|"], 1u);
  EXPECT_EQ(counts["Frist überschritten|bauordnung"], 1u);

  // Routing started again: its counters begin at 0, and what it counted since is new.
  ports.metrics["routing"] =
      "lotse_events_produced_total{service=\"routing\",type=\"referral_routed\"} 1\n";
  const OpsSnapshot third = watch.Look(t0 + absl::Seconds(120));
  EXPECT_EQ(third.recent.front().kind, "Anfrage zugewiesen");
  EXPECT_EQ(third.recent.front().count, 1u);
  EXPECT_EQ(third.watching_since, t0);

  const UnitNamer name_of = [](std::string_view id) {
    return id == "bauordnung" ? std::string("Bauordnungsamt") : std::string(id);
  };
  const std::string html = OpsLiveHtml(second, absl::UTCTimeZone(), name_of);
  EXPECT_THAT(html, HasSubstr("nicht erreichbar"));
  EXPECT_THAT(html, HasSubstr("Bauordnungsamt"));
  EXPECT_THAT(html, HasSubstr("Ereignisse von intake, noch nicht verarbeitet"));
  const std::string json = OpsJson(second, absl::UTCTimeZone(), name_of);
  EXPECT_EQ(json.rfind(R"({"stand":")", 0), 0u);
  EXPECT_THAT(json, Not(HasSubstr("<")));  // HTML inside JSON is \u003c-escaped
  EXPECT_THAT(OpsMain(second, absl::UTCTimeZone(), name_of),
              HasSubstr(R"(<script src="/static/management.js" defer></script>)"));
}

TEST(OpsWatchTest, AnotherProgramOnTheOpsPortIsNotAService) {
  OpsWatch watch([](config::Service, std::string_view) {
    return OpsAnswer{200, "<html>hello</html>", ""};
  });
  const OpsSnapshot s = watch.Look(absl::FromUnixSeconds(1'780'000'000));
  EXPECT_FALSE(s.services[0].up);
  EXPECT_THAT(s.services[0].problem, HasSubstr("kein Lotse-Status"));
  EXPECT_EQ(OpsSummary(s), "4 von 4 Diensten sind nicht erreichbar.");
}

TEST(JsonStringTest, EscapesQuotesControlsAndMarkup) {
  EXPECT_EQ(api::JsonString("a\"b\\c\n\x01<&>"), R"("a\"b\\c\n\u0001\u003c\u0026\u003e")");
  EXPECT_EQ(api::JsonString("Bürgerbüro"), "\"Bürgerbüro\"");
}

// ---------------------------------------------------------------------------------------------
// The company file

TEST(CompanyFileTest, ShowsTheFileWithNamesAndEscapesTheCompanysName) {
  lotse::v1::CompanyReply reply;
  reply.set_company_id("HRB-20417");
  reply.set_company_name("Hafen <script>alert(1)</script> & Söhne");
  reply.set_key_account("kam-schneider");
  reply.set_total(1);
  lotse::v1::CompanyFileEntry* e = reply.add_entries();
  e->set_case_number("2026-000007");
  e->set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
  e->set_waiting(true);
  e->set_assignee("kam-schneider");
  e->set_topic("gewerbeanmeldung");
  e->set_office("bb-nord");
  e->set_submitted_at_us(1'780'000'000'000'000);
  e->set_rating(4);
  const std::string html = CompanyFileMain(reply, City(), absl::UTCTimeZone(), "");
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("Hafen &lt;script&gt;alert(1)&lt;/script&gt; &amp; Söhne"));
  EXPECT_THAT(html, HasSubstr("Anna Schneider"));
  EXPECT_THAT(html, HasSubstr("wartet auf das Unternehmen"));
  EXPECT_THAT(html, HasSubstr("Bürgerbüro Nord"));
  EXPECT_THAT(html, HasSubstr("Gewerbeanmeldung"));
  EXPECT_THAT(html, Not(HasSubstr("Ältere Anfragen")));
  reply.clear_entries();
  EXPECT_THAT(CompanyFileMain(reply, City(), absl::UTCTimeZone(), ""),
              HasSubstr("keine Anfragen, die Sie sehen dürfen"));
}

TEST(CompanyFileTest, PathsEncodeTheIdAndTheKamSeesItsCompanies) {
  EXPECT_EQ(CompanyPath("HRB-20417"), "/unternehmen/HRB-20417");
  EXPECT_EQ(CompanyPath("a b/\"<c>"), "/unternehmen/a%20b%2F%22%3Cc%3E");
  const std::string search =
      CompanySearch("x\"><script>", City(), City().FindKeyAccount("kam-schneider"), false);
  EXPECT_THAT(search, Not(HasSubstr("<script>")));
  EXPECT_THAT(search, HasSubstr(R"(href="/unternehmen/HRB-20417")"));
  EXPECT_THAT(search, Not(HasSubstr("HRB-18842")));  // kam-yilmaz's company
  EXPECT_THAT(CompanySearch("", City(), nullptr, true), HasSubstr("HRB-18842"));
}

// ---------------------------------------------------------------------------------------------
// The accessibility statement and its reports

TEST(AccessibilityStatementTest, NamesConformanceLimitsDateContactAndTheSchlichtungsstelle) {
  config::Config city = City();
  city.web.accessibility_contact = "barrierefrei@musterstadt.example";
  const std::string html = AccessibilityStatementMain(city, {}, false, 0);
  EXPECT_THAT(html, HasSubstr("teilweise vereinbar"));
  EXPECT_THAT(html, HasSubstr("WCAG) 2.1"));
  EXPECT_THAT(html, HasSubstr("axe-core"));
  EXPECT_THAT(html, HasSubstr("Nicht barrierefreie Inhalte"));
  EXPECT_THAT(html, HasSubstr(std::string(kStatementDate)));
  EXPECT_THAT(html, HasSubstr("Schlichtungsstelle nach § 16 BGG"));
  EXPECT_THAT(html, HasSubstr("www.schlichtungsstelle-bgg.de"));
  EXPECT_THAT(html, Not(HasSubstr("<a href=\"http")));  // named, not linked or loaded
  EXPECT_THAT(html, HasSubstr("mailto:barrierefrei@musterstadt.example"));
  EXPECT_THAT(html, HasSubstr(R"(<form method="post" action="/barrierefreiheit")"));
  EXPECT_THAT(html, HasSubstr("30 Minuten ohne Aktivität"));
  EXPECT_THAT(html, Not(HasSubstr("/barrierefreiheit/meldungen")));
  EXPECT_THAT(AccessibilityStatementMain(city, {}, true, 2),
              HasSubstr(R"(<a href="/barrierefreiheit/meldungen">2 Meldungen liegen vor</a>)"));
}

TEST(AccessibilityStatementTest, TheFormKeepsWhatWasTypedEscapedAndNamesTheProblem) {
  ReportForm form;
  form.form.values["name"] = "\"><script>alert(1)</script>";
  form.form.errors = CheckBarrierReport(ReportOf(form.form));
  ASSERT_FALSE(form.form.ok());
  const std::string html = AccessibilityStatementMain(City(), form, false, 0);
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("&quot;&gt;&lt;script&gt;"));
  EXPECT_THAT(html, HasSubstr(R"(aria-invalid="true" aria-describedby="f-text-fehler")"));
  EXPECT_THAT(html, HasSubstr("Bitte beschreiben Sie, was nicht funktioniert."));
  form = {};
  form.sent = true;
  EXPECT_THAT(AccessibilityStatementMain(City(), form, false, 0),
              HasSubstr("Ihre Meldung ist angekommen"));
}

TEST(BarrierReportTest, ChecksTheFields) {
  BarrierReport r;
  r.text = "Der Kontrast der Tabellen ist zu gering.";
  EXPECT_THAT(CheckBarrierReport(r), SizeIs(0));
  r.page = std::string(kMaxReportField + 1, 'x');
  r.contact = "a\x01";
  auto errors = CheckBarrierReport(r);
  EXPECT_THAT(errors["seite"], HasSubstr("zu lang"));
  EXPECT_THAT(errors["kontakt"], HasSubstr("Zeichen"));
  r = {};
  r.text = std::string(kMaxReportText + 1, 'x');
  EXPECT_THAT(CheckBarrierReport(r)["text"], HasSubstr("zu lang"));
  r.text = "\xC3";  // cut UTF-8
  EXPECT_THAT(CheckBarrierReport(r)["text"], HasSubstr("Zeichen"));
  r.text = "  \n ";
  EXPECT_THAT(CheckBarrierReport(r)["text"], HasSubstr("beschreiben"));
}

TEST(BarrierReportTest, StoredPrivatelyListedNewestFirstAndDeleted) {
  test::TempDir dir;
  BarrierReports reports(dir.Join("barrier-reports"));
  EXPECT_EQ(reports.Count(), 0u);
  const absl::Time t0 = absl::FromUnixSeconds(1'780'000'000);
  BarrierReport first;
  first.text = "Zeile 1\r\nZeile 2\n\nAbsatz";
  first.page = "Auswertung\nmit Umbruch";
  first.name = "Erika Muster";
  ASSERT_TRUE(reports.Add(first, t0).ok());
  BarrierReport second;
  second.text = "Der Fokus ist nicht sichtbar.";
  ASSERT_TRUE(reports.Add(second, t0 + absl::Seconds(5)).ok());
  EXPECT_NE(first.id, second.id);
  struct stat st {};
  ASSERT_EQ(::stat(dir.Join("barrier-reports/" + first.id + ".txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.Join("barrier-reports").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  absl::StatusOr<std::vector<BarrierReport>> all = reports.List();
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_EQ((*all)[0].id, second.id);
  EXPECT_EQ((*all)[1].text, "Zeile 1\nZeile 2\n\nAbsatz");
  EXPECT_EQ((*all)[1].page, "Auswertung mit Umbruch");
  EXPECT_EQ((*all)[1].name, "Erika Muster");
  EXPECT_EQ((*all)[1].received_at, t0);

  EXPECT_TRUE(reports.Remove(first.id).ok());
  EXPECT_TRUE(absl::IsNotFound(reports.Remove(first.id)));
  EXPECT_TRUE(absl::IsNotFound(reports.Remove("../../etc/passwd")));
  EXPECT_EQ(reports.Count(), 1u);
  const std::string list = BarrierReportsMain(*reports.List(), "tok\"en", absl::UTCTimeZone());
  EXPECT_THAT(list, HasSubstr("Der Fokus ist nicht sichtbar."));
  EXPECT_THAT(list, HasSubstr(R"(name="csrf" value="tok&quot;en")"));
  EXPECT_THAT(BarrierReportsMain({}, "t", absl::UTCTimeZone()), HasSubstr("keine Meldungen"));
}

TEST(BarrierReportTest, AMailCarriesTheReportInBase64WithoutHeaderInjection) {
  config::Config city = City();
  city.web.accessibility_contact = "barrierefrei@musterstadt.example";
  BarrierReport r;
  r.id = "20261206T113512Z-3fa9c2d1";
  r.received_at = absl::FromUnixSeconds(1'780'000'000);
  r.text = "Überschrift fehlt.\r\nBcc: evil@example.org";
  r.contact = "erika@example.org\r\nBcc: evil@example.org";
  const std::string mail = BarrierReportMail(city, r, r.received_at);
  EXPECT_THAT(mail, HasSubstr("To: <barrierefrei@musterstadt.example>\r\n"));
  EXPECT_THAT(mail, HasSubstr("Subject: Lotse: Meldung einer Barriere\r\n"));
  EXPECT_THAT(mail, Not(HasSubstr("Bcc:")));  // the person's text is in the encoded body only
  const std::string encoded = mail.substr(mail.find("\r\n\r\n") + 4);
  std::string body;
  ASSERT_TRUE(absl::Base64Unescape(absl::StrReplaceAll(encoded, {{"\r\n", ""}}), &body));
  EXPECT_THAT(body, HasSubstr("Überschrift fehlt."));
  EXPECT_THAT(body, HasSubstr("Kontakt: erika@example.org  Bcc: evil@example.org\r\n"));
}

TEST(ReportThrottleTest, FiveAnHourFromOneAddress) {
  ReportThrottle throttle;
  const absl::Time t0 = absl::FromUnixSeconds(1'780'000'000);
  for (size_t i = 0; i < kReportsPerHour; ++i) {
    EXPECT_TRUE(throttle.Allow("10.0.0.1", t0 + absl::Minutes(i)));
  }
  EXPECT_FALSE(throttle.Allow("10.0.0.1", t0 + absl::Minutes(10)));
  EXPECT_TRUE(throttle.Allow("10.0.0.2", t0 + absl::Minutes(10)));
  EXPECT_TRUE(throttle.Allow("10.0.0.1", t0 + absl::Minutes(61)));
}

}  // namespace
}  // namespace lotse::web
