#include "tests/bench/soak.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/format.h"
#include "tests/bench/bench_set.h"
#include "tests/bench/flow.h"

namespace lotse::bench {

SoakReport SoakBench(const std::string& bin_dir, bool keep, double rate, double seconds,
                     double window_seconds) {
  SoakReport report;
  BenchSet set(bin_dir, "", keep);
  if (absl::Status s = set.Start(); !s.ok()) {
    report.text = StrCat("soak: the set did not start: ", ToStd(s.message()), "\n");
    return report;
  }
  StrAppend(&report.text,
            fmt::format("soak: whole flows at {:.0f} referrals/s for {:.0f} s, in windows of "
                        "{:.0f} s (drains between them not counted)\n  offered      s  completed  "
                        "submit ack p99  answer->inbox p99   RSS MB "
                        "(4 services)\n",
                        rate, seconds, window_seconds));
  // The hour counts the seconds offered, not the drains between the windows: a set that falls
  // behind must not shorten its own test.
  const absl::Time start = absl::Now();
  std::string windows;
  report.ok = true;
  double offered = 0;
  for (int index = 0; offered + 1 < seconds; ++index) {
    FlowOptions flow;
    flow.rate = rate;
    flow.seconds = std::min(window_seconds, seconds - offered);
    flow.first_index = index * 10000000;  // keys and ids unique across the windows
    const FlowResult r = RunFlow(set, flow);
    offered += flow.seconds;
    SoakWindow w;
    w.offered_seconds = flow.seconds;
    w.end_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    w.completed = r.completed;
    w.submit_ack_p99_ms = r.submit_ack.Percentile(99);
    w.answer_to_inbox_p99_ms = r.answer_to_inbox.Percentile(99);
    for (int i = 0; i < 4; ++i) {
      w.rss_mb += ReadFigures(set.Pid(i)).rss_mb;
    }
    w.ok = r.problem.empty() && r.errors == 0;
    report.ok = report.ok && w.ok;
    StrAppend(&report.text,
              fmt::format("  {:>7.0f}  {:>5.0f}  {:>9}  {:>11.2f} ms  {:>14.2f} ms  {:>7.1f}{}\n",
                          offered, w.end_seconds, w.completed, w.submit_ack_p99_ms,
                          w.answer_to_inbox_p99_ms, w.rss_mb,
                          w.ok ? "" : StrCat("  PROBLEM: ", r.problem)));
    StrAppend(&windows, windows.empty() ? "" : ",",
              fmt::format("{{\"offered_seconds\":{:.1f},\"end_seconds\":{:.1f},\"completed\":{},"
                          "\"submit_ack_p99_ms\":{:.3f},"
                          "\"answer_to_inbox_p99_ms\":{:.3f},\"rss_mb\":{:.1f},\"ok\":{}}}",
                          w.offered_seconds, w.end_seconds, w.completed, w.submit_ack_p99_ms,
                          w.answer_to_inbox_p99_ms, w.rss_mb, w.ok));
    report.windows.push_back(w);
  }
  set.Stop();
  report.json = StrCat("[", windows, "]");
  return report;
}

}  // namespace lotse::bench
