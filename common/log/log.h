#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace lotse::log {

// Configures spdlog's default logger once per process: `service` names every line, `level` is
// trace|debug|info|warn|error|critical, `format` is "text" (one readable line) or "json" (one
// JSON object per line: time, level, service, message), both to stderr, or "journal": each line
// straight to journald with its fields (JournalFields; a line journald does not take goes to
// stderr as text). Not thread-safe; call from main() before any thread starts.
absl::Status Init(std::string_view service, std::string_view level, std::string_view format);

// What the current thread is working on. JSON lines carry it as "referral", "case_number" and
// "event" (fields left out when empty); text lines do not (their messages name the referral).
// Never put personal data of contact persons here.
struct Context {
  std::string_view referral_id;
  std::string_view case_number;
  std::string_view event;  // event type, e.g. "referral_routed"
};

// A journal entry's fields ("NAME=value") for `message` at syslog `priority` (0 emerg .. 7
// debug) from process `service`: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER (lotse-<service>),
// LOTSE_SERVICE, and the thread's context as LOTSE_REFERRAL_ID, LOTSE_CASE_NUMBER and
// LOTSE_EVENT (left out when empty), so `journalctl LOTSE_CASE_NUMBER=2026-000123` finds every
// line about one referral.
std::vector<std::string> JournalFields(std::string_view service, int priority,
                                       std::string_view message);

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
