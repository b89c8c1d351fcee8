#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lotse::bench {

// The costs a terminal or a worker pays per request, at one level of referrals stored.
struct ScaleLevel {
  uint64_t referrals = 0;        // stored, all open (submitted and routed, none worked)
  double worklist_first_ms = 0;  // p50 of a department's first worklist page (50 items)
  double worklist_first_p99_ms = 0;
  double worklist_next_ms = 0;     // p50 of its second page (from the first page's cursor)
  double worklist_user_ms = 0;     // p50 of one staff member's first page (the desk's view)
  double inbox_ms = 0;             // p50 of a page (50) of the department's inbox
  double status_ms = 0;            // p50 of one referral's status (intake's get)
  double office_list_ms = 0;       // p50 of a page (50) of an office's referrals
  double evaluation_month_ms = 0;  // p50 of the evaluation of this month, all units
  double evaluation_last_month_ms = 0;  // p50 of last month's (no referral of this run in it)
  uint32_t worklist_total = 0;     // the department's open items, as the page counts them
  double max_rss_mb = 0;           // the largest RSS of the four services
  double ready_seconds = 0;        // top level only: restart until every service was ready
  bool requests_ok = false;        // every request of the level answered
  bool ok = false;                 // and the level was reached, and the restart worked
};

struct ScaleReport {
  std::vector<ScaleLevel> levels;
  std::string json;
  std::string text;
  bool ok = false;
};

// Fills one set with `referrals` open referrals through the real services (submits at
// saturation, `window` in flight), and at 10^3, 10^4, ... and the last level measures what a
// request costs; at the last level it also restarts the set and times it until ready.
ScaleReport ScaleBench(const std::string& bin_dir, bool keep, uint64_t referrals, int window);

}  // namespace lotse::bench
