#include "common/config/overrides.h"

#include <cstdlib>
#include <functional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/config/reader.h"

namespace lotse::config::internal {
namespace {

constexpr absl::string_view kCommandLineSource = "command line";

// A value for a key: the text of an environment variable or of a text flag, or a number flag.
using Given = std::variant<std::string, int, double>;

// Puts a given value into its field of the model; InvalidArgument says what was expected.
using Setter = std::function<absl::Status(const Given& given, Config* config)>;

// Where a field lives in the model.
template <typename T>
using Field = std::function<T&(Config* config)>;

template <typename T>
Field<T> FieldAt(T Config::*member) {
  return [member](Config* config) -> T& { return config->*member; };
}

template <typename Section, typename T>
Field<T> FieldAt(Section Config::*section, T Section::*member) {
  return [section, member](Config* config) -> T& { return (config->*section).*member; };
}

// The text of a given value (a number as absl::StrCat writes it).
std::string TextOf(const Given& given) {
  return std::visit([](const auto& value) { return absl::StrCat(value); }, given);
}

std::string AsGiven(absl::string_view text) { return std::string(text); }
std::string Trimmed(absl::string_view text) {
  return std::string(absl::StripAsciiWhitespace(text));
}
std::string TrimmedLowerCase(absl::string_view text) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
}

// Text, as `clean` makes it (AsGiven, Trimmed, TrimmedLowerCase).
Setter Text(Field<std::string> field, std::string (*clean)(absl::string_view text)) {
  return [field = std::move(field), clean](const Given& given, Config* config) {
    field(config) = clean(TextOf(given));
    return absl::OkStatus();
  };
}

bool ParseText(absl::string_view text, int* out) { return absl::SimpleAtoi(text, out); }
bool ParseText(absl::string_view text, double* out) { return absl::SimpleAtod(text, out); }

// A number (int or double): a flag's as it is, a variable's parsed. `expected` names it in the
// problem: "expected an integer port number, got "71OO"".
template <typename T>
Setter Numeric(Field<T> field, absl::string_view expected) {
  return [field = std::move(field), expected](const Given& given, Config* config) {
    T value{};
    if (const T* number = std::get_if<T>(&given)) {
      value = *number;
    } else if (!ParseText(TextOf(given), &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected ", expected, ", got ", Quote(TextOf(given))));
    }
    field(config) = value;
    return absl::OkStatus();
  };
}

// An RFC 3339 time; empty text means the real clock (no start).
Setter TimeOrNow(Field<std::optional<absl::Time>> field) {
  return [field = std::move(field)](const Given& given, Config* config) {
    const std::string text = TextOf(given);
    const absl::string_view stripped = absl::StripAsciiWhitespace(text);
    if (stripped.empty()) {
      field(config).reset();
      return absl::OkStatus();
    }
    const std::optional<absl::Time> time = ParseRfc3339(stripped);
    if (!time.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(kRfc3339Expected, ", got ", Quote(text)));
    }
    field(config) = time;
    return absl::OkStatus();
  };
}

// The field of config::Overrides that the command line sets, if it is set.
using FlagGetter = std::optional<Given> (*)(const Overrides& flags);

template <auto kMember>
std::optional<Given> Flag(const Overrides& flags) {
  const auto& value = flags.*kMember;
  if (!value.has_value()) {
    return std::nullopt;
  }
  return Given(*value);
}

constexpr FlagGetter kNoFlag = nullptr;

// One key that the environment and/or the command line can set.
struct OverridableKey {
  absl::string_view path;  // the key it sets, as problems name it
  const char* variable;    // its environment variable, or nullptr
  FlagGetter flag;         // its flag, or kNoFlag
  Setter set;
};

// Every overridable key, in the order they are applied: all variables, then all flags.
const std::vector<OverridableKey>& OverridableKeys() {
  static const auto* const keys = new std::vector<OverridableKey>{
      {"data_dir", "LOTSE_DATA_DIR", Flag<&Overrides::data_dir>,
       Text(FieldAt(&Config::data_dir), AsGiven)},
      {"network.port_base", "LOTSE_PORT_BASE", Flag<&Overrides::port_base>,
       Numeric(FieldAt(&Config::network, &Network::port_base), "an integer port number")},
      {"network.host", "LOTSE_HOST", Flag<&Overrides::host>,
       Text(FieldAt(&Config::network, &Network::host), Trimmed)},
      {"log.level", "LOTSE_LOG_LEVEL", Flag<&Overrides::log_level>,
       Text(FieldAt(&Config::log, &Log::level), TrimmedLowerCase)},
      {"log.format", "LOTSE_LOG_FORMAT", Flag<&Overrides::log_format>,
       Text(FieldAt(&Config::log, &Log::format), TrimmedLowerCase)},
      {"clock.speedup", "LOTSE_CLOCK_SPEEDUP", Flag<&Overrides::clock_speedup>,
       Numeric(FieldAt(&Config::clock, &Clock::speedup), "a number")},
      {"clock.start", "LOTSE_CLOCK_START", Flag<&Overrides::clock_start>,
       TimeOrNow(FieldAt(&Config::clock, &Clock::start))},
      {"notification.smtp_url", "LOTSE_SMTP_URL", kNoFlag,
       Text(FieldAt(&Config::notification, &Notification::smtp_url), Trimmed)},
      {"notification.smtp_tls", "LOTSE_SMTP_TLS", kNoFlag,
       Text(FieldAt(&Config::notification, &Notification::smtp_tls), Trimmed)},
      {"notification.retry_initial_ms", "LOTSE_SMTP_RETRY_MS", kNoFlag,
       Numeric(FieldAt(&Config::notification, &Notification::retry_initial_ms),
               "an integer number of milliseconds")},
  };
  return *keys;
}

void Apply(const OverridableKey& key, absl::string_view source, const Given& given, Config* config,
           Problems* problems) {
  problems->SetOrigin(std::string(key.path), Origin{std::string(source), 0});
  if (const absl::Status set = key.set(given, config); !set.ok()) {
    problems->Add(key.path, set.message());
  }
}

}  // namespace

std::optional<std::string> EnvironmentValue(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

void ApplyOverrides(const Overrides& flags, Config* config, Problems* problems) {
  for (const OverridableKey& key : OverridableKeys()) {
    if (key.variable == nullptr) {
      continue;
    }
    if (std::optional<std::string> value = EnvironmentValue(key.variable)) {
      Apply(key, absl::StrCat("$", key.variable), Given(*std::move(value)), config, problems);
    }
  }
  for (const OverridableKey& key : OverridableKeys()) {
    if (key.flag == kNoFlag) {
      continue;
    }
    if (const std::optional<Given> value = key.flag(flags)) {
      Apply(key, kCommandLineSource, *value, config, problems);
    }
  }
}

}  // namespace lotse::config::internal
