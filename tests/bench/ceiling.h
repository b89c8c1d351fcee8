#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace lotse::bench {

// The machine's own ceiling for Lotse's shape of work: four processes in a chain over ZeroMQ
// (PUSH/PULL on loopback TCP); each drains what waits (up to 512 events), writes it in one
// synced RocksDB WriteBatch (state + outbox per event, plus its offset) and passes the events
// on. No parsing, no validation, no indexes: what is left is the transport and the fsyncs.
struct CeilingResult {
  double events_per_s = 0;  // through all stages, measured at the last
  double mean_batch = 0;    // events per commit at the last stage
  double p50_ms = 0;        // with a rate: from an event's making to its commit at the last stage
  double p99_ms = 0;
};
// `stages` processes in the chain (4: an event's producer and three consumers); `rate` events/s
// offered by the first (open loop), 0: as many as the chain takes.
absl::StatusOr<CeilingResult> RunCeiling(const std::string& self_binary, double seconds,
                                         size_t event_bytes, int stages = 4, double rate = 0);

// One stage of the chain (the bench binary runs itself with `ceiling-stage`).
int RunCeilingStage(int stage, const std::string& dir, const std::string& in,
                    const std::string& out, double seconds, size_t event_bytes, double rate);

}  // namespace lotse::bench
