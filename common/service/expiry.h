#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/ops/metrics.h"
#include "common/store/store.h"

namespace lotse::service {

// What a service keeps and for how long ([retention] in the config; service time).
struct ExpiryOptions {
  bool trim_outbox = false;  // the service produces events
  absl::Duration log_min_age = absl::Hours(168);
  absl::Duration idempotency = absl::Hours(7 * 24);
  absl::Duration dead_letter = absl::Hours(90 * 24);
  absl::Duration scan_interval = absl::Minutes(10);
  // Keys looked at per family and step: bounds the time one step takes from the service loop.
  size_t step_keys = 1000;
};

// The options [retention] asks for.
ExpiryOptions ExpiryOptionsFrom(const config::Retention& retention);

// Keys deleted in one step, per family.
struct ExpiryCounts {
  uint64_t outbox = 0;
  uint64_t idempotency = 0;
  uint64_t dead_letter = 0;
};

// Bounded disk for the key spaces every service has: trims the outbox below what every
// registered consumer acknowledged (but keeps events younger than log_min_age), deletes
// idempotency records older than their window and dead letters older than theirs. Works in
// steps of at most step_keys keys per family, each one synced batch, so the service loop never
// stalls and kill -9 leaves each step whole or not at all. A pass starts every scan_interval of
// service time and takes as many steps as it needs. Owned by the Runner; borrows the store and
// clock; not thread-safe (the service thread only).
class Expiry {
 public:
  Expiry(store::Store& store, const clock::Clock& clock, ExpiryOptions options);

  // Finds where the outbox begins. Call once before the log endpoint serves.
  absl::Status Start();
  // When Step() should run next (real time).
  absl::Time NextStep() const { return next_step_; }
  // One step. `acknowledged`: the lowest offset every registered consumer of our log
  // acknowledged (0 while one has not fetched since we started).
  ExpiryCounts Step(uint64_t acknowledged);
  // The oldest seq the outbox still holds (0: it holds everything from seq 1).
  uint64_t first_seq() const { return first_seq_; }

 private:
  store::Store& store_;
  const clock::Clock& clock_;
  ExpiryOptions options_;
  uint64_t first_seq_ = 0;
  absl::Time next_step_ = absl::InfinitePast();  // real time
  absl::Time next_pass_ = absl::InfinitePast();  // service time
  bool outbox_done_ = true;
  bool idempotency_done_ = true;
  bool dead_letters_done_ = true;
};

// When the event `raw` (a serialized lotse.v1.Envelope) occurred; nullopt if it does not parse.
std::optional<absl::Time> OccurredAt(std::string_view raw);

// Counts keys deleted because their time was up, in lotse_expired_total{family=...} (for a
// service's own families too, e.g. notification's state_inbox).
void CountExpired(std::string_view family, uint64_t n);
// The counter of `family` (to read it; not from inside a metrics collector, which runs under
// the registry's lock: take it beforehand).
ops::Counter& ExpiredCounter(std::string_view family);

}  // namespace lotse::service
