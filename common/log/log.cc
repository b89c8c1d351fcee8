#include "common/log/log.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/format.h"
#include "common/status_macros.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace lotse::log {

absl::Status Init(std::string_view service, std::string_view level, std::string_view format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(StrCat(
        "log level '", level, "' is unknown: use trace, debug, info, warn, error or critical"));
  }
  auto logger = spdlog::stderr_logger_mt(std::string(service));
  if (format == "json") {
    // The message is escaped by the caller-side formatter below only for quotes and
    // backslashes; spdlog 1.10 has no JSON formatter of its own.
    logger->set_pattern(StrCat(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","service":")",
                                     service, R"(","pid":%P,"message":"%v"})"),
                        spdlog::pattern_time_type::utc);
  } else if (format == "text") {
    logger->set_pattern(StrCat("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ ", service, ": %v"));
  } else {
    return absl::InvalidArgumentError(
        StrCat("log format '", format, "' is unknown: use text or json"));
  }
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

}  // namespace lotse::log

namespace lotse::internal {

void CheckFailed(const char* condition, const char* file, int line) {
  spdlog::critical("internal invariant broken at {}:{}: {}; this is a bug in Lotse", file, line,
                   condition);
  spdlog::shutdown();
  std::abort();
}

}  // namespace lotse::internal
