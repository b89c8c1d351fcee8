#pragma once

#include <string>

namespace lotse::bench {

struct DiskReport {
  std::string json;
  std::string text;
  bool ok = false;
};

// Bounded disk: the four services with [retention] at its lower bounds and the service clock
// `speedup` times faster (so days pass in minutes), whole flows at `rate` referrals/s for
// `seconds`; every `every` seconds the bytes of each data directory and the entries of the key
// spaces that must level off (outboxes, idempotency records, inboxes, dead letters) and of
// those that grow with the referrals (their state, the audit chain). Fails if the flow fails.
DiskReport DiskBench(const std::string& bin_dir, bool keep, double seconds, double rate,
                     double every, double speedup);

}  // namespace lotse::bench
