#include "common/clock/clock.h"

namespace lotse::clock {

ScaledClock::ScaledClock(double speedup, std::optional<absl::Time> start)
    : real_origin_(absl::Now()), service_origin_(start.value_or(real_origin_)), speedup_(speedup) {}

absl::Time ScaledClock::Now() const {
  return service_origin_ + (absl::Now() - real_origin_) * speedup_;
}

std::unique_ptr<Clock> MakeClock(double speedup, std::optional<absl::Time> start) {
  if (speedup == 1.0 && !start.has_value()) {
    return std::make_unique<RealClock>();
  }
  return std::make_unique<ScaledClock>(speedup, start);
}

}  // namespace lotse::clock
