#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/load/actors.h"
#include "tests/load/json.h"
#include "tests/load/ledger.h"

namespace lotse::load {

// Findings of one kind (lost, duplicated, order violations), by category, with a few examples
// for people to follow up. Not thread-safe.
class Findings {
 public:
  void Add(const std::string& category, uint64_t n, const std::string& example);
  uint64_t total() const;
  Json ToJson() const;
  const std::map<std::string, uint64_t>& counts() const { return counts_; }

 private:
  std::map<std::string, uint64_t> counts_;
  std::vector<std::string> examples_;
};

// What the checker found in the final state of the stopped set.
struct CheckResult {
  Findings lost;
  Findings duplicated;
  Findings order;
  bool chain_verified = false;  // recomputed from audit's store (Chain::Verify)
  std::string chain_problem;
  uint64_t chain_entries = 0;
  std::map<std::string, uint64_t> log_heads;     // producer -> last seq in its outbox
  std::map<std::string, uint64_t> dead_letters;  // service -> events it could not apply
  std::map<std::string, uint64_t> referrals;     // "intake", "routing", "closed", ...
  std::vector<std::string> notes;                // other things worth a look
};

// Opens each service's RocksDB (the set must be stopped) and checks it against the ledger and
// what the office inboxes saw: every acknowledged submission exactly once in intake and routing
// (state and log), an unacknowledged one at most once, every acknowledged change as its event,
// every acknowledged answer exactly once in its office's inbox, every acknowledged feedback as
// FeedbackSubmitted and Closed, and the audit chain holding every event of every outbox exactly
// once and in order per stream.
absl::StatusOr<CheckResult> Check(const std::string& data_dir, const Ledger& ledger,
                                  const std::vector<InboxFindings>& inboxes);

}  // namespace lotse::load
