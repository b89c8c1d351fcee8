#pragma once

#include <string>
#include <vector>

namespace lotse::bench {

// One window of the soak run: whole flows at the steady rate.
struct SoakWindow {
  double offered_seconds = 0;  // how long referrals were offered in this window
  double end_seconds = 0;      // since the soak began, drains included
  uint64_t completed = 0;
  double submit_ack_p99_ms = 0;
  double answer_to_inbox_p99_ms = 0;
  double rss_mb = 0;  // the four services' RSS together, at the window's end
  bool ok = false;
};

struct SoakReport {
  std::vector<SoakWindow> windows;
  std::string json;
  std::string text;
  bool ok = false;
};

// One set, whole flows offered at `rate` referrals/s (open loop) for `seconds`, in windows of
// `window_seconds`: per window the p99 of the submit acknowledgement and of answer -> office
// inbox, and the services' RSS, so that the last full window can be compared with the first.
// `seconds` counts the time offered; each window's drain comes on top.
SoakReport SoakBench(const std::string& bin_dir, bool keep, double rate, double seconds,
                     double window_seconds);

}  // namespace lotse::bench
