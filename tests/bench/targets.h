#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lotse::bench {

// The goals of "Fast at any size", each with the figure this run measured: the table every
// mode ends with. A row the run's modes did not measure says which mode measures it.
class Targets {
 public:
  enum Row {
    kEventsRatio,  // events ratio to the same-run ceiling at saturation
    kBacklog,      // saturation over a long run against a short one
    kFlatCost,     // a page's cost from 10^3 to 10^6 referrals stored
    kWorklistP99,  // submit -> worklist p99 at 2,000/s against the ceiling pipeline's
    kTenMillion,   // worklist page, month evaluation, RSS, start -> ready at 10^7
    kSoak,         // the last window of the hour against the first
    kRows
  };
  // `pass`: nullopt if the figure cannot decide (e.g. measured below the target's size).
  void Set(Row row, std::string figure, std::optional<bool> pass);
  std::string Table() const;
  std::string Json() const;

 private:
  struct Entry {
    bool measured = false;
    std::string figure;
    std::optional<bool> pass;
  };
  Entry rows_[kRows];
};

}  // namespace lotse::bench
