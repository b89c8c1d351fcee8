#include "tests/bench/targets.h"

#include "common/format.h"

namespace lotse::bench {
namespace {

struct RowText {
  const char* id;
  const char* what;
  const char* target;
  const char* measured_by;
};

constexpr RowText kText[Targets::kRows] = {
    {"events_ratio", "events ratio to the same-run ceiling at saturation", ">= 0.5",
     "lotse-bench saturation"},
    {"saturation_long_vs_short", "saturation over the long run against the short one", ">= 0.9",
     "lotse-bench saturation --long 120"},
    {"flat_cost", "cost of a worklist/inbox/office list page and a status, 10^3 -> 10^6 stored",
     "<= 1.2x", "lotse-bench scale --referrals 1000000"},
    {"submit_to_worklist_p99", "submit -> on the worklist, p99 at 2,000/s",
     "<= 2x ceiling pipeline", "lotse-bench latency --rate 2000"},
    {"ten_million", "10^7 stored: worklist page p99, month evaluation, RSS, start -> ready",
     "20 ms, 1 s, 256 MB, 5 s", "lotse-bench scale --referrals 10000000"},
    {"soak", "one hour at half of saturation: last 10 min against the first 10",
     "p99, RSS within 10 %", "lotse-bench soak --seconds 3600"},
};

}  // namespace

void Targets::Set(Row row, std::string figure, std::optional<bool> pass) {
  rows_[row] = {true, std::move(figure), pass};
}

std::string Targets::Table() const {
  std::string out = "targets (Fast at any size):\n";
  for (int i = 0; i < kRows; ++i) {
    const Entry& e = rows_[i];
    const std::string verdict = !e.measured           ? "-"
                                : !e.pass.has_value() ? "open"
                                : *e.pass             ? "PASS"
                                                      : "FAIL";
    StrAppend(&out,
              fmt::format("  {:<4} {:<72} target {}\n", verdict, kText[i].what, kText[i].target));
    StrAppend(&out, "       ",
              e.measured ? e.figure : StrCat("not measured in this run: ", kText[i].measured_by),
              "\n");
  }
  return out;
}

std::string Targets::Json() const {
  std::string out;
  for (int i = 0; i < kRows; ++i) {
    const Entry& e = rows_[i];
    std::string figure;
    for (char c : e.figure) {  // the figures are plain text: quotes and backslashes escaped
      if (c == '"' || c == '\\') {
        figure.push_back('\\');
      }
      figure.push_back(c == '\n' ? ' ' : c);
    }
    StrAppend(&out, i == 0 ? "" : ",", "{\"id\":\"", kText[i].id, "\",\"target\":\"",
              kText[i].target, "\",\"measured\":", e.measured ? "true" : "false", ",\"figure\":\"",
              figure, "\",\"pass\":",
              !e.measured || !e.pass.has_value() ? "null"
              : *e.pass                          ? "true"
                                                 : "false",
              "}");
  }
  return StrCat("[", out, "]");
}

}  // namespace lotse::bench
