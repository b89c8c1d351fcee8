#include "services/web/charts.h"

#include <algorithm>
#include <cmath>

#include "common/format.h"
#include "services/web/html.h"

namespace lotse::web {
namespace {

constexpr int kWidth = 760;

// `text` cut to at most `max_chars` characters (UTF-8 code points), with "…" if cut.
std::string Shorten(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) {
        return StrCat(text.substr(0, i), "…");
      }
      ++chars;
    }
  }
  return std::string(text);
}

bool HasValue(const Chart& chart) {
  return std::any_of(chart.rows.begin(), chart.rows.end(), [](const ChartRow& row) {
    return std::any_of(row.values.begin(), row.values.end(),
                       [](const std::optional<double>& v) { return v.has_value(); });
  });
}

double AxisEnd(const Chart& chart) {
  if (chart.max > 0) {
    return chart.max;
  }
  double max = 0;
  for (const ChartRow& row : chart.rows) {
    for (const std::optional<double>& v : row.values) {
      max = std::max(max, v.value_or(0));
    }
  }
  return NiceAxisEnd(max);
}

std::string Value(const Chart& chart, double value) {
  return StrCat(GermanNumber(value, chart.decimals), chart.unit);
}

// The decimals a step needs to show exactly (0, 1 or 2).
int DecimalsOf(double step) {
  for (int d = 0; d < 2; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::fabs(scaled - std::round(scaled)) < 1e-9) {
      return d;
    }
  }
  return 2;
}

// Intervals of an axis up to `end`: 4 or 5, whichever gives rounder steps (5 for 0..5).
int TicksFor(double end) { return DecimalsOf(end / 5) < DecimalsOf(end / 4) ? 5 : 4; }

std::string TickLabel(const Chart& chart, double tick, double step) {
  return StrCat(GermanNumber(tick, DecimalsOf(step)), chart.unit);
}

std::string Fmt(double v) { return fmt::format("{:.1f}", v); }

// <svg> with its accessible name and description.
std::string SvgOpen(const Chart& chart, int height) {
  return StrCat(R"(<svg class="chart" viewBox="0 0 )", kWidth, " ", height,
                R"(" role="img" focusable="false" aria-labelledby=")", Escape(chart.id),
                R"(-titel )", Escape(chart.id),
                R"(-beschreibung" xmlns="http://www.w3.org/2000/svg">)", R"(<title id=")",
                Escape(chart.id), R"(-titel">)", Escape(chart.title), R"(</title><desc id=")",
                Escape(chart.id), R"(-beschreibung">)", Escape(chart.description),
                " Die Werte stehen auch in der Tabelle zur Grafik.", "</desc>");
}

// The legend (one swatch and name per series) at the top, if there is more than one series.
std::string Legend(const Chart& chart, int x, int y) {
  if (chart.series.size() < 2) {
    return "";
  }
  std::string out;
  for (size_t i = 0; i < chart.series.size(); ++i) {
    out += StrCat(R"(<rect class="serie-)", i + 1, R"(" x=")", x, R"(" y=")", y - 10,
                  R"(" width="12" height="12"/><text class="chart-label" x=")", x + 18, R"(" y=")",
                  y, R"(" font-size="13">)", Escape(chart.series[i]), "</text>");
    x += 36 + static_cast<int>(chart.series[i].size()) * 7;
  }
  return out;
}

}  // namespace

std::string GermanNumber(double value, int decimals) {
  if (!std::isfinite(value)) {
    return "–";
  }
  std::string digits = fmt::format("{:.{}f}", std::fabs(value), std::max(decimals, 0));
  const size_t point = digits.find('.');
  std::string whole = digits.substr(0, point);
  std::string fraction = point == std::string::npos ? "" : StrCat(",", digits.substr(point + 1));
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) {
      grouped += '.';
    }
    grouped += whole[i];
  }
  const bool negative = value < 0 && digits.find_first_not_of("0.,") != std::string::npos;
  return StrCat(negative ? "−" : "", grouped, fraction);
}

double NiceAxisEnd(double max) {
  if (!(max > 0) || !std::isfinite(max)) {
    return 1;
  }
  const double base = std::pow(10.0, std::floor(std::log10(max)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * base >= max * (1 - 1e-12)) {
      return m * base;
    }
  }
  return 10 * base;
}

std::string HorizontalBarSvg(const Chart& chart) {
  constexpr int kLabelRight = 230;  // row labels end here
  constexpr int kPlotLeft = 240;
  constexpr int kPlotWidth = kWidth - kPlotLeft - 80;  // room for the value after a bar
  constexpr int kBar = 14, kBarGap = 2, kGroupGap = 14;
  const size_t n = std::max<size_t>(chart.series.size(), 1);
  const int group = static_cast<int>(n) * kBar + static_cast<int>(n - 1) * kBarGap;
  const int legend = chart.series.size() > 1 ? 26 : 0;
  const int top = legend + 22;
  const int height = top + static_cast<int>(chart.rows.size()) * (group + kGroupGap) + 4;
  const double end = AxisEnd(chart);
  const int ticks = TicksFor(end);
  const double step = end / ticks;
  std::string out = SvgOpen(chart, height);
  out += Legend(chart, kPlotLeft, 14);
  const int bottom = height - 4;
  for (int t = 0; t <= ticks; ++t) {
    const double x = kPlotLeft + kPlotWidth * t / static_cast<double>(ticks);
    out += StrCat(R"(<line class="chart-grid" x1=")", Fmt(x), R"(" y1=")", top - 6, R"(" x2=")",
                  Fmt(x), R"(" y2=")", bottom, R"("/><text class="chart-tick" x=")", Fmt(x),
                  R"(" y=")", top - 10, R"(" font-size="12" text-anchor="middle">)",
                  Escape(TickLabel(chart, step * t, step)), "</text>");
  }
  int y = top;
  for (const ChartRow& row : chart.rows) {
    out +=
        StrCat(R"(<text class="chart-label" x=")", kLabelRight, R"(" y=")", y + group / 2 + 5,
               R"(" font-size="13" text-anchor="end">)", Escape(Shorten(row.label, 30)), "</text>");
    for (size_t i = 0; i < n; ++i) {
      const int bar_y = y + static_cast<int>(i) * (kBar + kBarGap);
      const std::optional<double> v = i < row.values.size() ? row.values[i] : std::nullopt;
      if (!v.has_value()) {
        out += StrCat(R"(<text class="chart-none" x=")", kPlotLeft + 4, R"(" y=")", bar_y + 11,
                      R"(" font-size="12">–</text>)");
        continue;
      }
      const double w = std::clamp(*v / end, 0.0, 1.0) * kPlotWidth;
      out += StrCat(R"(<rect class="serie-)", i + 1, R"(" x=")", kPlotLeft, R"(" y=")", bar_y,
                    R"(" width=")", Fmt(w), R"(" height=")", kBar, R"("/>)",
                    R"(<text class="chart-value" x=")", Fmt(kPlotLeft + w + 4), R"(" y=")",
                    bar_y + 11, R"(" font-size="12">)", Escape(Value(chart, *v)), "</text>");
    }
    y += group + kGroupGap;
  }
  out += StrCat(R"(<line class="chart-axis" x1=")", kPlotLeft, R"(" y1=")", top - 6, R"(" x2=")",
                kPlotLeft, R"(" y2=")", bottom, R"("/></svg>)");
  return out;
}

std::string ColumnSvg(const Chart& chart) {
  constexpr int kLeft = 56, kRight = 12, kBottom = 40, kHeight = 280;
  const int legend = chart.series.size() > 1 ? 26 : 0;
  const int top = legend + 20;
  const int plot_height = kHeight - top - kBottom;
  const int plot_width = kWidth - kLeft - kRight;
  const size_t n = std::max<size_t>(chart.series.size(), 1);
  const double slot =
      chart.rows.empty() ? plot_width : plot_width / static_cast<double>(chart.rows.size());
  const double bar = slot * 0.7 / static_cast<double>(n);
  const double end = AxisEnd(chart);
  const int ticks = TicksFor(end);
  const double step = end / ticks;
  const double base = top + plot_height;
  // Every k-th row label, so that they do not overlap (about 40 units each).
  const size_t every = static_cast<size_t>(std::max(1.0, std::ceil(40 / slot)));
  std::string out = SvgOpen(chart, kHeight);
  out += Legend(chart, kLeft, 14);
  for (int t = 0; t <= ticks; ++t) {
    const double y = base - plot_height * t / static_cast<double>(ticks);
    out += StrCat(R"(<line class="chart-grid" x1=")", kLeft, R"(" y1=")", Fmt(y), R"(" x2=")",
                  kWidth - kRight, R"(" y2=")", Fmt(y), R"("/><text class="chart-tick" x=")",
                  kLeft - 6, R"(" y=")", Fmt(y + 4), R"(" font-size="12" text-anchor="end">)",
                  Escape(TickLabel(chart, step * t, step)), "</text>");
  }
  for (size_t r = 0; r < chart.rows.size(); ++r) {
    const ChartRow& row = chart.rows[r];
    const double x0 = kLeft + slot * static_cast<double>(r) + slot * 0.15;
    for (size_t i = 0; i < n; ++i) {
      const std::optional<double> v = i < row.values.size() ? row.values[i] : std::nullopt;
      const double x = x0 + bar * static_cast<double>(i);
      if (!v.has_value()) {
        out += StrCat(R"(<text class="chart-none" x=")", Fmt(x + bar / 2), R"(" y=")",
                      Fmt(base - 4), R"(" font-size="11" text-anchor="middle">–</text>)");
        continue;
      }
      const double h = std::clamp(*v / end, 0.0, 1.0) * plot_height;
      out += StrCat(R"(<rect class="serie-)", i + 1, R"(" x=")", Fmt(x), R"(" y=")", Fmt(base - h),
                    R"(" width=")", Fmt(bar), R"(" height=")", Fmt(h), R"("/>)");
      if (bar >= 26) {
        out += StrCat(R"(<text class="chart-value" x=")", Fmt(x + bar / 2), R"(" y=")",
                      Fmt(base - h - 4), R"(" font-size="11" text-anchor="middle">)",
                      Escape(GermanNumber(*v, 0)), "</text>");
      }
    }
    if (r % every == 0) {
      out += StrCat(R"(<text class="chart-label" x=")",
                    Fmt(kLeft + slot * (static_cast<double>(r) + 0.5)), R"(" y=")", base + 18,
                    R"(" font-size="12" text-anchor="middle">)", Escape(Shorten(row.label, 10)),
                    "</text>");
    }
  }
  out += StrCat(R"(<line class="chart-axis" x1=")", kLeft, R"(" y1=")", Fmt(base), R"(" x2=")",
                kWidth - kRight, R"(" y2=")", Fmt(base), R"("/></svg>)");
  return out;
}

std::string ChartTable(const Chart& chart) {
  std::string head = StrCat(R"(<th scope="col">)", Escape(chart.row_heading), "</th>");
  for (const std::string& name : chart.series) {
    head += StrCat(R"(<th scope="col" class="num">)", Escape(name), "</th>");
  }
  std::string body;
  for (const ChartRow& row : chart.rows) {
    body += StrCat(
        R"(<tr><th scope="row">)", Escape(row.label),
        row.note.empty() ? "" : StrCat(R"( <span class="note">)", Escape(row.note), "</span>"),
        "</th>");
    for (size_t i = 0; i < chart.series.size(); ++i) {
      const std::optional<double> v = i < row.values.size() ? row.values[i] : std::nullopt;
      body +=
          StrCat(R"(<td class="num">)", v.has_value() ? Escape(Value(chart, *v)) : "–", "</td>");
    }
    body += "</tr>";
  }
  return StrCat(R"(<table class="figures"><caption>)", Escape(chart.title), "</caption><thead><tr>",
                head, "</tr></thead><tbody>", body, "</tbody></table>");
}

std::string ChartFigure(const Chart& chart, ChartKind kind) {
  const std::string caption = StrCat("<figcaption>", Escape(chart.title), "</figcaption>");
  if (!HasValue(chart)) {
    return StrCat(R"(<figure class="chart-figure">)", caption,
                  R"(<p class="empty">Für diesen Zeitraum gibt es dafür noch keine Werte.</p>)",
                  "</figure>");
  }
  return StrCat(R"(<figure class="chart-figure">)", caption,
                kind == ChartKind::kBars ? HorizontalBarSvg(chart) : ColumnSvg(chart),
                R"(<p class="chart-note">)", Escape(chart.description), "</p>",
                R"(<details><summary>Zahlen zur Grafik</summary>)", ChartTable(chart),
                "</details></figure>");
}

}  // namespace lotse::web
