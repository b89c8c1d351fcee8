#pragma once

#include <string>

namespace lotse::bench {

struct WebReport {
  std::string json;
  std::string text;
  bool ok = false;
};

// lotse-web in front of the four services: 10,000 open referrals on one department's worklist
// (umwelt) and `live` open live connections (/posteingang/live, the offices' inboxes); the
// latency (p50/p99) of the pages and API calls the department works with, paged; and the set's
// throughput (`rate` referrals/s offered for `seconds`, whole flows) without and with the live
// connections, alternating, so the ratio compares runs on the same machine at the same time.
WebReport WebBench(const std::string& bin_dir, bool keep, double seconds, double rate, int live);

}  // namespace lotse::bench
