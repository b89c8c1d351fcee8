#include "common/log/log.h"

#include <sys/uio.h>
#define SD_JOURNAL_SUPPRESS_LOCATION  // the sink's own place says nothing about the line
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/format.h"
#include "common/status_macros.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace lotse::log {
namespace {

thread_local Context current_context;

void AppendJsonEscaped(std::string_view text, spdlog::memory_buf_t& dest);

// `%&`: the thread's log context as extra JSON members (`,"referral":"..."`), or nothing.
class JsonContext final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& /*msg*/, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    const std::pair<std::string_view, std::string_view> fields[] = {
        {"referral", current_context.referral_id},
        {"case_number", current_context.case_number},
        {"event", current_context.event}};
    for (const auto& [name, value] : fields) {
      if (value.empty()) {
        continue;
      }
      dest.append(std::string_view(",\""));
      dest.append(name);
      dest.append(std::string_view("\":\""));
      AppendJsonEscaped(value, dest);
      dest.push_back('"');
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonContext>();
  }
};

// `%*`: the message as the inside of a JSON string (quotes, backslashes, control characters
// escaped), so every line stays one valid JSON object.
class JsonMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

// `%~`: the message on one line: control characters (newline, carriage return, escape, ...)
// and backslashes written as escapes, so that text a caller sent cannot start a forged line or
// move a terminal's cursor. Our own messages are one line each.
class TextMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\\') {
        dest.append(std::string_view("\\\\"));
      } else if (c == '\n') {
        dest.append(std::string_view("\\n"));
      } else if (c == '\t') {
        dest.push_back(c);
      } else if (u < 0x20 || u == 0x7f) {
        fmt::format_to(std::back_inserter(dest), "\\x{:02x}", static_cast<int>(u));
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TextMessage>();
  }
};

void AppendJsonEscaped(std::string_view text, spdlog::memory_buf_t& dest) {
    for (char c : text) {
      switch (c) {
        case '"':
          dest.append(std::string_view("\\\""));
          break;
        case '\\':
          dest.append(std::string_view("\\\\"));
          break;
        case '\n':
          dest.append(std::string_view("\\n"));
          break;
        case '\t':
          dest.append(std::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(dest), "\\u{:04x}", static_cast<int>(c));
          } else {
            dest.push_back(c);
          }
      }
    }
}

// Journald's priority (syslog's) for a spdlog level.
int SyslogPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

// journald's socket: where it is missing, sd_journal_sendv drops lines silently.
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// Each line to journald (sd_journal_sendv) with its fields; a line it refuses goes to stderr.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string service) : service_(std::move(service)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view message(msg.payload.data(), msg.payload.size());
    const std::vector<std::string> fields =
        JournalFields(service_, SyslogPriority(msg.level), message);
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (const std::string& field : fields) {
      iov.push_back(iovec{const_cast<char*>(field.data()), field.size()});
    }
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) < 0) {
      std::fprintf(stderr, "lotse-%s: %.*s\n", service_.c_str(), static_cast<int>(message.size()),
                   message.data());
    }
  }
  void flush_() override {}

 private:
  std::string service_;
};

}  // namespace

std::vector<std::string> JournalFields(std::string_view service, int priority,
                                       std::string_view message) {
  std::vector<std::string> fields = {StrCat("MESSAGE=", message), StrCat("PRIORITY=", priority),
                                     StrCat("SYSLOG_IDENTIFIER=lotse-", service),
                                     StrCat("LOTSE_SERVICE=", service)};
  const std::pair<std::string_view, std::string_view> context[] = {
      {"LOTSE_REFERRAL_ID=", current_context.referral_id},
      {"LOTSE_CASE_NUMBER=", current_context.case_number},
      {"LOTSE_EVENT=", current_context.event}};
  for (const auto& [name, value] : context) {
    if (!value.empty()) {
      fields.push_back(StrCat(name, value));
    }
  }
  return fields;
}

ScopedContext::ScopedContext(Context context) : previous_(current_context) {
  current_context = context;
}

ScopedContext::~ScopedContext() { current_context = previous_; }

absl::Status Init(std::string_view service, std::string_view level, std::string_view format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(StrCat(
        "log level '", level, "' is unknown: use trace, debug, info, warn, error or critical"));
  }
  // Not registered by name, so Init may run again (tests) without a clash.
  auto logger = std::make_shared<spdlog::logger>(
      std::string(service), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  const bool journal = format == "journal" && access(kJournalSocket, W_OK) == 0;
  if (journal) {
    logger = std::make_shared<spdlog::logger>(std::string(service),
                                              std::make_shared<JournalSink>(std::string(service)));
  } else if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessage>('*').add_flag<JsonContext>('&').set_pattern(
        StrCat(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","service":")", service,
               R"(","pid":%P%&,"message":"%*"})"));
    logger->set_formatter(std::move(formatter));
  } else if (format == "text" || format == "journal") {  // no journald here: text on stderr
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<TextMessage>('~').set_pattern(
        StrCat("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ ", service, ": %~"));
    logger->set_formatter(std::move(formatter));
  } else {
    return absl::InvalidArgumentError(
        StrCat("log format '", format, "' is unknown: use text, json or journal"));
  }
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  if (format == "journal" && !journal) {
    spdlog::warn(
        "log format journal, but journald does not run here ({} is missing): logging as "
        "text to stderr",
        kJournalSocket);
  }
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
