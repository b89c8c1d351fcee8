#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace lotse::log {

// Configures spdlog's default logger once per process: `service` names every line, `level` is
// trace|debug|info|warn|error|critical, `format` is "text" (one readable line) or "json" (one
// JSON object per line: time, level, service, message). Logs go to stderr. Not thread-safe;
// call from main() before any thread starts.
absl::Status Init(std::string_view service, std::string_view level, std::string_view format);

// What the current thread is working on. JSON lines carry it as "referral", "case_number" and
// "event" (fields left out when empty); text lines do not (their messages name the referral).
// Never put personal data of contact persons here.
struct Context {
  std::string_view referral_id;
  std::string_view case_number;
  std::string_view event;  // event type, e.g. "referral_routed"
};

// Sets the thread's log context for its lifetime and restores the previous one after. The
// strings must outlive the scope.
class ScopedContext {
 public:
  explicit ScopedContext(Context context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  Context previous_;
};

}  // namespace lotse::log
