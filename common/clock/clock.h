#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lotse::clock {

// A source of service time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system clock.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// Service time that starts at `start` (default: now) and runs `speedup` times faster than real
// time. Lets tests and demos see SLA warnings and breaches without waiting for days.
class ScaledClock final : public Clock {
 public:
  ScaledClock(double speedup, std::optional<absl::Time> start);
  absl::Time Now() const override;

 private:
  absl::Time real_origin_;
  absl::Time service_origin_;
  double speedup_;
};

// A clock that moves only when told to; for unit tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_us_(absl::ToUnixMicros(start)) {}
  absl::Time Now() const override { return absl::FromUnixMicros(now_us_.load()); }
  void Advance(absl::Duration d) { now_us_ += absl::ToInt64Microseconds(d); }
  void Set(absl::Time t) { now_us_ = absl::ToUnixMicros(t); }

 private:
  std::atomic<int64_t> now_us_;
};

// Service time read from a file holding Unix microseconds, so a test (or a rehearsal) can set
// the time of every service of the set at once. Re-read on each Now(); if the file is missing
// or unreadable, the last good value is kept (the real time before the first one).
// Thread-safe.
class FileClock final : public Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  absl::Time Now() const override;

 private:
  std::string path_;
  mutable std::atomic<int64_t> last_us_{0};
};

// FileClock if the environment names one in LOTSE_CLOCK_FILE (test builds only, see
// LOTSE_TEST_HOOKS); else RealClock for speedup 1 without a start, ScaledClock otherwise.
std::unique_ptr<Clock> MakeClock(double speedup, std::optional<absl::Time> start);

inline int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

}  // namespace lotse::clock
