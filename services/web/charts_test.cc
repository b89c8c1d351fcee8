// The SVG charts and the CSV files of the management pages: escaping, formula injection, empty
// data, German numbers.
#include "services/web/charts.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/web/management_csv.h"

namespace lotse::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Chart TwoSeries() {
  Chart chart;
  chart.id = "antwortzeiten";
  chart.title = "Antwortzeiten";
  chart.description = "Median und 90-%-Wert je Fachamt.";
  chart.unit = " h";
  chart.series = {"Median", "90 %"};
  chart.row_heading = "Fachamt";
  chart.rows = {{"Bauordnungsamt", {4.5, 12.3}}, {"Umweltamt", {std::nullopt, 3.0}}};
  return chart;
}

TEST(GermanNumberTest, UsesADecimalCommaAndGroupsThousands) {
  EXPECT_EQ(GermanNumber(0, 0), "0");
  EXPECT_EQ(GermanNumber(12.26, 1), "12,3");
  EXPECT_EQ(GermanNumber(1234567.891, 2), "1.234.567,89");
  EXPECT_EQ(GermanNumber(999.96, 1), "1.000,0");
  EXPECT_EQ(GermanNumber(-2.5, 1), "−2,5");
  EXPECT_EQ(GermanNumber(-0.01, 1), "0,0");  // no minus sign before a zero
}

TEST(NiceAxisEndTest, RoundsUpToOneTwoTwoAndAHalfOrFive) {
  EXPECT_EQ(NiceAxisEnd(0), 1);
  EXPECT_EQ(NiceAxisEnd(-3), 1);
  EXPECT_EQ(NiceAxisEnd(0.7), 1);
  EXPECT_EQ(NiceAxisEnd(1), 1);
  EXPECT_EQ(NiceAxisEnd(13), 20);
  EXPECT_EQ(NiceAxisEnd(21), 25);
  EXPECT_EQ(NiceAxisEnd(26), 50);
  EXPECT_EQ(NiceAxisEnd(100), 100);
  EXPECT_EQ(NiceAxisEnd(101), 200);
}

TEST(ChartTest, IsAnImageWithTitleAndDescriptionAndTheSameNumbersInATable) {
  const Chart chart = TwoSeries();
  const std::string svg = HorizontalBarSvg(chart);
  EXPECT_THAT(svg, HasSubstr(R"(role="img")"));
  EXPECT_THAT(svg,
              HasSubstr(R"(aria-labelledby="antwortzeiten-titel antwortzeiten-beschreibung")"));
  EXPECT_THAT(svg, HasSubstr(R"(<title id="antwortzeiten-titel">Antwortzeiten</title>)"));
  EXPECT_THAT(svg, HasSubstr(R"(<desc id="antwortzeiten-beschreibung">Median und 90-%-Wert)"));
  EXPECT_THAT(svg, HasSubstr(">4,5 h<"));
  EXPECT_THAT(svg, HasSubstr(">12,3 h<"));
  EXPECT_THAT(svg, HasSubstr(R"(class="serie-2")"));
  // No style attribute (the Content-Security-Policy forbids inline style) and no script.
  EXPECT_THAT(svg, Not(HasSubstr("style=")));
  EXPECT_THAT(svg, Not(HasSubstr("<script")));
  const std::string table = ChartTable(chart);
  EXPECT_THAT(table, HasSubstr("<caption>Antwortzeiten</caption>"));
  EXPECT_THAT(table, HasSubstr(R"(<th scope="col" class="num">90 %</th>)"));
  EXPECT_THAT(table, HasSubstr(R"(<th scope="row">Umweltamt</th><td class="num">–</td>)"));
  EXPECT_THAT(table, HasSubstr(R"(<td class="num">3,0 h</td>)"));
  const std::string figure = ChartFigure(chart, ChartKind::kBars);
  EXPECT_THAT(figure, HasSubstr("<figcaption>Antwortzeiten</figcaption>"));
  EXPECT_THAT(figure, HasSubstr("<details><summary>Zahlen zur Grafik</summary>"));
}

TEST(ChartTest, EscapesEveryLabelTitleAndSeriesName) {
  Chart chart = TwoSeries();
  chart.id = "x\"><script>";
  chart.title = "<script>alert(1)</script>";
  chart.description = "a & b";
  chart.series = {"<b>Median</b>", "90 % \"p\""};
  chart.rows = {{"<img src=x onerror=alert(1)>", {1.0, 2.0}, "<i>Notiz</i>"}};
  for (const std::string& out :
       {HorizontalBarSvg(chart), ColumnSvg(chart), ChartTable(chart),
        ChartFigure(chart, ChartKind::kBars), ChartFigure(chart, ChartKind::kColumns)}) {
    EXPECT_THAT(out, Not(HasSubstr("<script")));
    EXPECT_THAT(out, Not(HasSubstr("<img")));
    EXPECT_THAT(out, Not(HasSubstr("<b>")));
    EXPECT_THAT(out, Not(HasSubstr("<i>")));
    EXPECT_THAT(out, Not(HasSubstr("\"p\"")));
  }
  EXPECT_THAT(ChartTable(chart), HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(ChartTable(chart), HasSubstr("&lt;i&gt;Notiz&lt;/i&gt;"));
  EXPECT_THAT(HorizontalBarSvg(chart), HasSubstr("a &amp; b"));
}

TEST(ChartTest, ALongLabelIsShortenedInThePictureButWholeInTheTable) {
  Chart chart = TwoSeries();
  chart.rows = {{"Stadtkasse und Steueramt – Gewerbesteuer und Vergnügungsteuer", {1.0, 2.0}}};
  const std::string svg = HorizontalBarSvg(chart);
  EXPECT_THAT(svg, HasSubstr(">Stadtkasse und Steueramt – Gew…<"));  // 30 characters, not bytes
  EXPECT_THAT(ChartTable(chart), HasSubstr("Gewerbesteuer und Vergnügungsteuer"));
}

TEST(ChartTest, WithoutAnyValueSaysSoInsteadOfDrawingEmptyAxes) {
  Chart chart = TwoSeries();
  chart.rows.clear();
  std::string figure = ChartFigure(chart, ChartKind::kBars);
  EXPECT_THAT(figure, Not(HasSubstr("<svg")));
  EXPECT_THAT(figure, HasSubstr("noch keine Werte"));
  chart.rows = {{"KW 1", {std::nullopt, std::nullopt}}};
  figure = ChartFigure(chart, ChartKind::kColumns);
  EXPECT_THAT(figure, Not(HasSubstr("<svg")));
  // The drawing functions themselves cope with nothing, too.
  chart.rows.clear();
  EXPECT_THAT(ColumnSvg(chart), HasSubstr("</svg>"));
  EXPECT_THAT(HorizontalBarSvg(chart), HasSubstr("</svg>"));
  EXPECT_THAT(ChartTable(chart), HasSubstr("<tbody></tbody>"));
}

TEST(ChartTest, ColumnsStayWithinTheAxisAndThinOutTheirLabels) {
  Chart chart;
  chart.id = "woche";
  chart.title = "Je Woche";
  chart.unit = " %";
  chart.max = 100;
  chart.series = {"In Frist"};
  for (int i = 1; i <= 26; ++i) {
    chart.rows.push_back({"KW " + std::to_string(i), {i == 3 ? 250.0 : 50.0}});
  }
  const std::string svg = ColumnSvg(chart);
  EXPECT_THAT(svg, HasSubstr(">KW 1<"));
  EXPECT_THAT(svg, Not(HasSubstr(">KW 2<")));  // every other label at 26 weeks
  EXPECT_THAT(svg, HasSubstr(">KW 3<"));
  EXPECT_THAT(svg, HasSubstr(">100 %<"));  // the axis ends at max
  EXPECT_THAT(svg, Not(HasSubstr("height=\"-")));
}

TEST(CsvTest, CellsThatASpreadsheetWouldRunStayText) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(CsvCell("+49 30 1234"), "'+49 30 1234");
  EXPECT_EQ(CsvCell("-2+3"), "'-2+3");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("\tx"), "'\tx");
  EXPECT_EQ(CsvCell("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(CsvCell("Bürgerbüro Mitte"), "Bürgerbüro Mitte");
  EXPECT_EQ(CsvCell("12,5"), "12,5");  // a German number is not quoted: ',' is no separator
  EXPECT_EQ(CsvCell("a;b"), "\"a;b\"");
  EXPECT_EQ(CsvCell("zwei\nZeilen"), "\"zwei\nZeilen\"");
  EXPECT_EQ(CsvCell(""), "");
}

TEST(CsvTest, AFileHasTheByteOrderMarkSemicolonsAndCrlf) {
  EXPECT_EQ(Csv({}), "\xEF\xBB\xBF");
  EXPECT_EQ(Csv({{"Art", "Kennung"}, {"Fachamt", "=1+1"}, {}}),
            "\xEF\xBB\xBF"
            "Art;Kennung\r\nFachamt;'=1+1\r\n\r\n");
}

TEST(CsvTest, TheAttachmentsNameCannotBreakTheHeader) {
  EXPECT_EQ(AttachmentHeader("lotse-auswertung-2026-01-01.csv"),
            "attachment; filename=\"lotse-auswertung-2026-01-01.csv\"");
  EXPECT_EQ(AttachmentHeader("a\"b\r\nc ö.csv"), "attachment; filename=\"a_b__c___.csv\"");
}

}  // namespace
}  // namespace lotse::web
