#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace lotse::log {

// Configures spdlog's default logger once per process: `service` names every line, `level` is
// trace|debug|info|warn|error|critical, `format` is "text" (one readable line) or "json" (one
// JSON object per line: time, level, service, message). Logs go to stderr. Not thread-safe;
// call from main() before any thread starts.
absl::Status Init(std::string_view service, std::string_view level, std::string_view format);

}  // namespace lotse::log
