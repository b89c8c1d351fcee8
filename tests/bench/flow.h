#pragma once

#include <cstdint>
#include <utility>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/bench/bench_set.h"

namespace lotse::bench {

// Latency samples of one stage, in milliseconds.
struct Stage {
  std::string name;
  std::vector<double> ms;
  double Percentile(double p) const;  // nearest rank; 0 if empty
  explicit Stage(std::string stage_name) : name(std::move(stage_name)) {}
};

// A stage's count and percentiles as a JSON object, and as one line of the report.
std::string StageJson(const Stage& s);
std::string StageLine(const Stage& s);

struct FlowOptions {
  double rate = 0;         // referrals/s offered (open loop); 0: saturation (closed loop)
  double seconds = 10;     // how long new referrals are submitted
  int window = 512;        // saturation: submits in flight
  // Saturation with the whole flow: at most this many referrals between their submit and their
  // feedback (0: no bound, the submits outrun the flow and the backlog grows with the run).
  int flows = 0;
  absl::Duration drain = absl::Seconds(60);  // how long the rest may take to complete
  bool full_flow = true;   // false: submit only (scale loading)
  std::string only_topic;  // every referral on this topic (scale: one department's worklist)
  std::string exclude_department;  // no referral on its topics, its inbox not read
  int first_index = 0;     // numbering of referrals, keys and company ids (several runs on one set)
  uint64_t max_submits = 0;  // submit no more than this many (0: as many as the time allows)
  // Subscribe to routing's and audit's live taps to time submit -> worklist and event -> audit
  // (latency mode). Off, the services build no tap records, as when no operator watches.
  bool watch_taps = false;
};

struct FlowResult {
  uint64_t submitted = 0;   // acknowledged submits
  uint64_t completed = 0;   // feedback acknowledged
  uint64_t errors = 0;      // structured errors answered (should be 0)
  double submit_seconds = 0;
  double total_seconds = 0;  // from the first submit until audit chained everything
  Stage submit_ack{"submit_ack"};
  Stage submit_to_worklist{"submit_to_worklist"};
  Stage answer_to_inbox{"answer_to_inbox"};
  Stage event_to_audit{"event_to_audit"};
  std::string problem;  // empty if the flow completed
};

// Drives referrals through the running set over the real client protocol: offices submit,
// department workers read their worklists, claim and answer, offices receive the answer by
// long-poll on their inbox and give feedback; with watch_taps, the live taps of routing and
// audit time when a referral became visible on a worklist and when each event entered the
// audit chain.
FlowResult RunFlow(const BenchSet& set, const FlowOptions& options);

}  // namespace lotse::bench
