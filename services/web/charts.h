#pragma once

// Charts of the management pages as inline SVG, drawn on the server: no script, no style
// attribute (the Content-Security-Policy forbids inline style; the colours are classes of
// /static/lotse.css), every label through Escape. Each chart is an image for assistive
// technology (role="img" with <title> and <desc>) and comes with a table of the same numbers,
// so that nothing is only in the picture. Pure functions of their input; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lotse::web {

// One group of bars: its label ("Bauordnungsamt", "KW 12") and one value per series; nullopt is
// "no value" (no bar, "–" in the table), which is not the same as 0.
struct ChartRow {
  std::string label;
  std::vector<std::optional<double>> values;
  std::string note = "";  // only in the table, under the label ("01.12.–07.12.2026")
};

struct Chart {
  std::string id;           // unique on the page: the ids of <title> and <desc> derive from it
  std::string title;        // "Antwortzeiten je Fachamt"
  std::string description;  // what it shows, in a sentence (for <desc> and the figure caption)
  std::string unit;         // after each value: " h", " %", "" (with its space)
  std::vector<std::string> series;  // one name per value of a row, in the legend
  std::vector<ChartRow> rows;
  double max = 0;                // the axis' end; 0 = from the data, rounded up to a round number
  int decimals = 1;              // of the values shown
  std::string row_heading = "";  // the first column's heading in the table ("Fachamt", "Woche")
};

// Horizontal bars, one group per row (units side by side): label, bars, value at each bar.
std::string HorizontalBarSvg(const Chart& chart);
// Columns, one group per row from left to right (a time series: weeks).
std::string ColumnSvg(const Chart& chart);
// The chart's numbers as a table; the caption is the title.
std::string ChartTable(const Chart& chart);

enum class ChartKind { kBars, kColumns };
// The chart as a <figure>: its caption, the SVG and, openable beneath, the table. A chart with
// no value at all says so in words instead of drawing empty axes.
std::string ChartFigure(const Chart& chart, ChartKind kind);

// A number the German way: `decimals` digits after a decimal comma, thousands with a dot
// ("1.234,5").
std::string GermanNumber(double value, int decimals);

// The end of an axis that holds `max`: 1, 2, 2.5 or 5 times a power of ten, at least `max`
// (1 for max <= 0).
double NiceAxisEnd(double max);

}  // namespace lotse::web
