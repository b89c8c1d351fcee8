#include "common/config/config.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <toml.hpp>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/calendar/calendar.h"

namespace lotse::config {
namespace internal {
// Defined in the generated default_config.cc (from default_config.cc.in and default_config.toml).
extern const std::string_view kDefaultConfigToml;
}  // namespace internal

namespace {

// Debian's Abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so
// the std::string_view of our interface is converted where it meets Abseil.
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

constexpr absl::string_view kBuiltinSource = "built-in default config";
constexpr absl::string_view kCommandLineSource = "command line";
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxShownChars = 60;

constexpr auto kLogLevels =
    std::to_array<absl::string_view>({"trace", "debug", "info", "warn", "error", "critical"});
constexpr auto kLogFormats = std::to_array<absl::string_view>({"text", "json"});

constexpr auto kRootKeys = std::to_array<absl::string_view>(
    {"city", "network", "data_dir", "log", "limits", "clock", "scheduling", "routing", "notification",
     "keys", "gateways", "departments", "topics", "offices", "key_accounts"});
constexpr auto kCityKeys =
    std::to_array<absl::string_view>({"name", "state", "timezone", "closing_days"});
constexpr auto kNetworkKeys = std::to_array<absl::string_view>(
    {"host", "command_host", "log_host", "ops_host", "port_base"});
constexpr auto kKeysKeys = std::to_array<absl::string_view>({"dir", "public"});
constexpr auto kGatewayKeys = std::to_array<absl::string_view>({"id", "acts_for"});
constexpr auto kLogKeys = std::to_array<absl::string_view>({"level", "format"});
constexpr auto kClockKeys = std::to_array<absl::string_view>({"speedup", "start"});
constexpr auto kSchedulingKeys = std::to_array<absl::string_view>(
    {"intake_nice", "routing_nice", "notification_nice", "audit_nice"});  // by Service
constexpr auto kRoutingKeys = std::to_array<absl::string_view>(
    {"default_department", "forward_limit", "warning_share", "escalation_scan_ms", "overrides"});
constexpr auto kNotificationKeys = std::to_array<absl::string_view>(
    {"smtp_url", "smtp_tls", "mail_from", "retry_initial_ms", "retry_max_ms", "max_attempts"});
constexpr auto kOverrideKeys = std::to_array<absl::string_view>({"office", "topic", "department"});
constexpr auto kDepartmentKeys =
    std::to_array<absl::string_view>({"id", "name", "sla_hours", "office_hours", "email"});
constexpr auto kTopicKeys = std::to_array<absl::string_view>({"id", "name", "department"});
constexpr auto kOfficeKeys = std::to_array<absl::string_view>({"id", "name", "email"});
constexpr auto kKeyAccountKeys =
    std::to_array<absl::string_view>({"id", "name", "department", "email", "companies"});

// Every [limits] key, its field, and the smallest value allowed.
struct LimitField {
  absl::string_view key;
  int Limits::*field = nullptr;
  int min = 0;
};
constexpr auto kLimitFields = std::to_array<LimitField>({
    {"max_subject_bytes", &Limits::max_subject_bytes, 1},
    {"max_text_bytes", &Limits::max_text_bytes, 1},
    {"max_message_bytes", &Limits::max_message_bytes, 1},
    {"request_timeout_ms", &Limits::request_timeout_ms, 1},
    {"request_retries", &Limits::request_retries, 0},
    {"fetch_wait_ms", &Limits::fetch_wait_ms, 1},
    {"fetch_max_events", &Limits::fetch_max_events, 1},
    {"fetch_max_bytes", &Limits::fetch_max_bytes, 1},
    {"commit_max_batch", &Limits::commit_max_batch, 1},
    {"min_free_disk_mb", &Limits::min_free_disk_mb, 1},
    {"ready_max_lag", &Limits::ready_max_lag, 1},
    {"ready_max_silence_ms", &Limits::ready_max_silence_ms, 1},
});

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

// Quotes `s` for a message: escapes quotes, backslashes and control characters, and shortens
// long values (at a UTF-8 character boundary).
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    const bool continuation = (byte & 0xC0) == 0x80;
    if (!continuation && shown++ >= kMaxShownChars) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7F) {
      absl::StrAppend(&out, "\\x", absl::Hex(byte, absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string FormatNumber(double value) { return absl::StrCat(value); }

// Optimal string alignment distance (Levenshtein plus transpositions), ignoring ASCII case.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= m; ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const bool same = absl::ascii_tolower(static_cast<unsigned char>(a[i - 1])) ==
                        absl::ascii_tolower(static_cast<unsigned char>(b[j - 1]));
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The candidate closest to `word` if it is close enough to be a plausible typo, else "".
absl::string_view Closest(absl::string_view word, std::span<const absl::string_view> candidates) {
  absl::string_view best;
  size_t best_distance = SIZE_MAX;
  for (absl::string_view candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    const size_t allowed = std::min<size_t>(3, candidate.size() / 4 + 1);
    const bool prefix = std::min(word.size(), candidate.size()) >= 3 &&
                        (absl::StartsWithIgnoreCase(candidate, word) ||
                         absl::StartsWithIgnoreCase(word, candidate));
    if ((distance <= allowed && distance < candidate.size()) || prefix) {
      const size_t rank = prefix ? std::min(distance, allowed) : distance;
      if (rank < best_distance) {
        best = candidate;
        best_distance = rank;
      }
    }
  }
  return best;
}

// " (did you mean "x"?)" or "".
std::string DidYouMean(absl::string_view word, std::span<const absl::string_view> candidates) {
  const absl::string_view best = Closest(word, candidates);
  if (best.empty()) {
    return "";
  }
  return absl::StrCat(" (did you mean ", Quote(best), "?)");
}

bool IsBareKey(absl::string_view key) {
  if (key.empty()) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// "prefix.key"; keys that TOML would need to quote are quoted.
std::string JoinPath(absl::string_view prefix, absl::string_view key) {
  std::string shown = IsBareKey(key) ? std::string(key) : Quote(key);
  if (prefix.empty()) {
    return shown;
  }
  return absl::StrCat(prefix, ".", shown);
}

std::string IndexPath(absl::string_view prefix, size_t index) {
  return absl::StrCat(prefix, "[", index, "]");
}

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return false;
  }
  const auto lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!lower_or_digit(id.front())) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [&](char c) { return lower_or_digit(c) || c == '-'; });
}

// Company ids are compared ignoring ASCII case and surrounding white space.
std::string NormalizeCompany(absl::string_view company) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(company));
}

bool IsPlausibleEmail(absl::string_view email) {
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0 ||
      email.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  const absl::string_view domain = email.substr(at + 1);
  const size_t dot = domain.find('.');
  if (dot == absl::string_view::npos || dot == 0 || domain.back() == '.') {
    return false;
  }
  return std::none_of(email.begin(), email.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7F || c == '"' || c == ',' || c == ';' || c == '<' ||
           c == '>' || c == '(' || c == ')' || c == '[' || c == ']';
  });
}

// "YYYY-MM-DD" and a real calendar day.
bool IsIsoDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return false;
  }
  constexpr auto kDigitPositions = std::to_array<size_t>({0, 1, 2, 3, 5, 6, 8, 9});
  for (size_t i : kDigitPositions) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  absl::CivilDay day;
  return absl::ParseCivilTime(text, &day);
}

std::optional<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return std::nullopt;
  }
  return time;
}

constexpr absl::string_view kRfc3339Expected =
    "expected an RFC 3339 time with UTC offset, e.g. \"2026-03-02T08:00:00+01:00\"";

// ---------------------------------------------------------------------------------------------
// Problems: every problem found, one line each, attributed to where the value came from.
// ---------------------------------------------------------------------------------------------

// Where the value at a key path came from: a file (with line) or an environment variable/flag.
struct Origin {
  std::string source;
  int line = 0;
};

class Problems {
 public:
  explicit Problems(std::string default_source) : default_source_(std::move(default_source)) {}

  void SetOrigin(const std::string& path, Origin origin) { origins_[path] = std::move(origin); }

  // Reports a problem with the value at `path`. Only the first problem per source and path is
  // kept, so that e.g. a value of the wrong type is not also reported as out of range.
  void Add(absl::string_view path, absl::string_view what) {
    const Origin origin = Lookup(path);
    if (!reported_.insert(absl::StrCat(origin.source, "\n", path)).second) {
      return;
    }
    reported_paths_.emplace(path);
    std::string text = absl::StrCat(origin.source, ": ", path, ": ", what);
    if (origin.line > 0) {
      absl::StrAppend(&text, " (line ", origin.line, ")");
    }
    entries_.push_back(Entry{origin.source != default_source_, origin.line, std::move(text)});
  }

  // A problem that is not about one key (e.g. a syntax error).
  void AddLine(std::string text) { entries_.push_back(Entry{false, 0, std::move(text)}); }

  // True if a problem was reported for `path` or anything below it.
  bool HasProblemAt(absl::string_view path) const {
    for (auto it = reported_paths_.lower_bound(path); it != reported_paths_.end(); ++it) {
      const absl::string_view reported = *it;
      if (!absl::StartsWith(reported, path)) {
        break;
      }
      if (reported.size() == path.size() || reported[path.size()] == '.' ||
          reported[path.size()] == '[') {
        return true;
      }
    }
    return false;
  }

  bool empty() const { return entries_.empty(); }

  // InvalidArgument listing every problem, one per line: the file's in line order first (those
  // without a line last), then those from the environment and the command line.
  absl::Status ToStatus() const {
    std::vector<Entry> sorted = entries_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
      const auto key = [](const Entry& e) {
        return std::make_pair(e.overridden, e.line > 0 ? e.line : INT_MAX);
      };
      return key(a) < key(b);
    });
    std::vector<absl::string_view> lines;
    lines.reserve(sorted.size());
    for (const Entry& entry : sorted) {
      lines.emplace_back(entry.text);
    }
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

 private:
  struct Entry {
    bool overridden;  // from the environment or the command line, not the file
    int line;         // 0 if unknown
    std::string text;
  };

  // The origin of `path`, else of its nearest ancestor ("a.b[2].c" -> "a.b[2]" -> "a.b" -> "a").
  Origin Lookup(absl::string_view path) const {
    absl::string_view current = path;
    while (!current.empty()) {
      const auto it = origins_.find(current);
      if (it != origins_.end()) {
        return it->second;
      }
      const size_t cut = current.find_last_of(".[");
      if (cut == absl::string_view::npos) {
        break;
      }
      current = current.substr(0, cut);
    }
    return Origin{default_source_, 0};
  }

  std::string default_source_;
  std::map<std::string, Origin, std::less<>> origins_;
  std::set<std::string> reported_;
  std::set<std::string, std::less<>> reported_paths_;
  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------------------------
// Reading TOML into a Config: structure, keys and types. Never throws.
// ---------------------------------------------------------------------------------------------

absl::string_view TypeName(const toml::value& value) {
  switch (value.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::offset_datetime:
      return "a date-time";
    case toml::value_t::local_datetime:
      return "a local date-time";
    case toml::value_t::local_date:
      return "a date";
    case toml::value_t::local_time:
      return "a time of day";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    case toml::value_t::empty:
      break;
  }
  return "nothing";
}

// The type of `value`, with the value itself if it is short.
std::string Shown(const toml::value& value) {
  switch (value.type()) {
    case toml::value_t::string:
      return absl::StrCat("a string (", Quote(value.as_string().str), ")");
    case toml::value_t::integer:
      return absl::StrCat("an integer (", value.as_integer(), ")");
    case toml::value_t::floating: {
      std::string number = FormatNumber(value.as_floating());
      if (number.find_first_of(".eEna") == std::string::npos) {
        number += ".0";
      }
      return absl::StrCat("a float (", number, ")");
    }
    case toml::value_t::boolean:
      return absl::StrCat("a boolean (", value.as_boolean() ? "true" : "false", ")");
    case toml::value_t::offset_datetime:
    case toml::value_t::local_datetime:
    case toml::value_t::local_date:
    case toml::value_t::local_time: {
      std::ostringstream text;
      text << value;
      return absl::StrCat(TypeName(value), " (", text.str(), ")");
    }
    default:
      return std::string(TypeName(value));
  }
}

template <typename T>
std::string Streamed(const T& value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// Shortens toml11's multi-line syntax error to one line:
// "lotse.toml: line 3: TOML syntax error: <what> (<hint>)".
std::string FormatSyntaxError(absl::string_view source, const toml::exception& error) {
  const std::vector<absl::string_view> lines = absl::StrSplit(error.what(), '\n');
  absl::string_view what = lines.empty() ? absl::string_view() : lines.front();
  absl::ConsumePrefix(&what, "[error] ");
  // Drop the name of toml11's internal function ("toml::parse_table: ", "parse_ml_string: ").
  if (const size_t colon = what.find(": "); colon != absl::string_view::npos) {
    const absl::string_view function = what.substr(0, colon);
    if (std::all_of(function.begin(), function.end(), [](char c) {
          return absl::ascii_islower(static_cast<unsigned char>(c)) || c == '_' || c == ':';
        })) {
      what.remove_prefix(colon + 2);
    }
  }
  absl::string_view hint;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    const size_t bar = line.find("| ");
    // Annotation lines have no line number in front of the bar: "   |     ^--- hint".
    if (bar == absl::string_view::npos ||
        !absl::StripAsciiWhitespace(line.substr(0, bar)).empty()) {
      continue;
    }
    line.remove_prefix(bar + 2);
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "^--- ")) {
      hint = line;
    } else if (absl::StartsWith(line, "~")) {
      line.remove_prefix(std::min(line.size(), line.find_first_not_of('~')));
      line = absl::StripLeadingAsciiWhitespace(line);
      if (!line.empty()) {
        hint = line;
      }
    }
  }
  std::string out = absl::StrCat(source, ": line ", error.location().line(),
                                 ": TOML syntax error: ", absl::StripAsciiWhitespace(what));
  if (!hint.empty() && hint != "here") {
    absl::StrAppend(&out, " (", hint, ")");
  }
  return out;
}

class Reader {
 public:
  Reader(std::string source, Problems* problems)
      : source_(std::move(source)), problems_(problems) {}

  // Reports every key of `table` that is not in `known`, in file order.
  void CheckKeys(const toml::value& table, const std::string& path,
                 std::span<const absl::string_view> known) {
    std::vector<std::pair<std::uint_least32_t, std::string>> unknown;
    for (const auto& [key, value] : table.as_table()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        unknown.emplace_back(value.location().line(), key);
      }
    }
    std::sort(unknown.begin(), unknown.end());
    for (const auto& [line, key] : unknown) {
      const std::string key_path = JoinPath(path, key);
      Note(key_path, table.as_table().at(key));
      std::string hint = DidYouMean(key, known);
      if (hint.empty() && !path.empty() &&
          std::find(kRootKeys.begin(), kRootKeys.end(), key) != kRootKeys.end()) {
        hint = absl::StrCat(" here; ", key,
                            " is a top-level key and must come before the first "
                            "[table] header");
      }
      if (hint.empty()) {
        hint = absl::StrCat("; known keys here: ", absl::StrJoin(known, ", "));
      }
      problems_->Add(key_path, absl::StrCat("unknown key", hint));
    }
  }

  // The table at `key`, or nullptr if absent or not a table (reported).
  const toml::value* Table(const toml::value& parent, const std::string& prefix,
                           absl::string_view key) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(parent, key, path);
    if (value == nullptr) {
      return nullptr;
    }
    if (!value->is_table()) {
      TypeError(path, absl::StrCat("a table [", path, "]"), *value);
      return nullptr;
    }
    return value;
  }

  // Calls read(element, element_path) for every table of the array of tables at `key`.
  template <typename ReadElement>
  void TableArray(const toml::value& parent, const std::string& prefix, absl::string_view key,
                  ReadElement read) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(parent, key, path);
    if (value == nullptr) {
      return;
    }
    if (!value->is_array()) {
      TypeError(path, absl::StrCat("an array of tables ([[", path, "]] blocks)"), *value);
      return;
    }
    const auto& array = value->as_array();
    for (size_t i = 0; i < array.size(); ++i) {
      const std::string element_path = IndexPath(path, i);
      Note(element_path, array[i]);
      if (!array[i].is_table()) {
        TypeError(element_path, absl::StrCat("a table ([[", path, "]] block)"), array[i]);
        continue;
      }
      read(array[i], element_path);
    }
  }

  // Reads a string. `required_example` non-empty makes the key required and shows how to set it.
  void String(const toml::value& table, const std::string& prefix, absl::string_view key,
              std::string* out, absl::string_view required_example = {}) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(table, key, path);
    if (value == nullptr) {
      Missing(path, required_example);
    } else if (!value->is_string()) {
      TypeError(path, "a string in quotes", *value);
    } else {
      *out = value->as_string().str;
    }
  }

  void Int(const toml::value& table, const std::string& prefix, absl::string_view key, int* out) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(table, key, path);
    if (value == nullptr) {
      return;
    }
    if (!value->is_integer()) {
      TypeError(path, "an integer", *value);
      return;
    }
    const std::int64_t number = value->as_integer();
    if (number < INT_MIN || number > INT_MAX) {
      problems_->Add(path, absl::StrCat("out of range, got ", number));
      return;
    }
    *out = static_cast<int>(number);
  }

  // Reads a number; integers are accepted (sla_hours = 24).
  void Double(const toml::value& table, const std::string& prefix, absl::string_view key,
              double* out, absl::string_view required_example = {}) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(table, key, path);
    if (value == nullptr) {
      Missing(path, required_example);
    } else if (value->is_floating()) {
      *out = value->as_floating();
    } else if (value->is_integer()) {
      *out = static_cast<double>(value->as_integer());
    } else {
      TypeError(path, "a number", *value);
    }
  }

  // Reads an array of strings; with `allow_dates`, TOML dates (2026-12-24 without quotes) are
  // accepted too and stored as "YYYY-MM-DD".
  void StringList(const toml::value& table, const std::string& prefix, absl::string_view key,
                  std::vector<std::string>* out, bool allow_dates,
                  absl::string_view required_example = {}) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(table, key, path);
    if (value == nullptr) {
      Missing(path, required_example);
      return;
    }
    if (!value->is_array()) {
      TypeError(path, R"(an array of strings, e.g. ["a", "b"])", *value);
      return;
    }
    out->clear();
    const auto& array = value->as_array();
    for (size_t i = 0; i < array.size(); ++i) {
      const std::string element_path = IndexPath(path, i);
      Note(element_path, array[i]);
      if (array[i].is_string()) {
        out->push_back(array[i].as_string().str);
      } else if (allow_dates && array[i].is_local_date()) {
        out->push_back(Streamed(array[i].as_local_date()));
      } else {
        TypeError(element_path, allow_dates ? "a date \"YYYY-MM-DD\"" : "a string in quotes",
                  array[i]);
      }
    }
  }

  // Reads a table whose values are all strings (key -> value).
  void StringTable(const toml::value& table, const std::string& prefix, absl::string_view key,
                   std::map<std::string, std::string>* out) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(table, key, path);
    if (value == nullptr) {
      return;
    }
    if (!value->is_table()) {
      TypeError(path, absl::StrCat("a table [", path, "] of strings"), *value);
      return;
    }
    for (const auto& [name, entry] : value->as_table()) {
      const std::string entry_path = JoinPath(path, name);
      Note(entry_path, entry);
      if (!entry.is_string()) {
        TypeError(entry_path, "a string in quotes", entry);
        continue;
      }
      (*out)[name] = entry.as_string().str;
    }
  }

  // Reads an RFC 3339 time, given as a string or as a TOML offset date-time.
  void Time(const toml::value& table, const std::string& prefix, absl::string_view key,
            std::optional<absl::Time>* out) {
    const std::string path = JoinPath(prefix, key);
    const toml::value* value = Find(table, key, path);
    if (value == nullptr) {
      return;
    }
    std::string text;
    if (value->is_string()) {
      text = value->as_string().str;
    } else if (value->is_offset_datetime()) {
      text = Streamed(value->as_offset_datetime());
    } else {
      TypeError(path, kRfc3339Expected.substr(absl::string_view("expected ").size()), *value);
      return;
    }
    const std::optional<absl::Time> time = ParseRfc3339(text);
    if (!time.has_value()) {
      problems_->Add(path, absl::StrCat(kRfc3339Expected, ", got ", Quote(text)));
      return;
    }
    *out = time;
  }

 private:
  const toml::value* Find(const toml::value& table, absl::string_view key,
                          const std::string& path) {
    const auto& entries = table.as_table();
    const auto it = entries.find(std::string(key));
    if (it == entries.end()) {
      return nullptr;
    }
    Note(path, it->second);
    return &it->second;
  }

  void Note(const std::string& path, const toml::value& value) {
    problems_->SetOrigin(path, Origin{source_, static_cast<int>(value.location().line())});
  }

  void Missing(const std::string& path, absl::string_view required_example) {
    if (required_example.empty()) {
      return;
    }
    problems_->Add(path, absl::StrCat("missing; required, e.g. ", required_example));
  }

  void TypeError(const std::string& path, absl::string_view expected, const toml::value& value) {
    problems_->Add(path, absl::StrCat("expected ", expected, ", got ", Shown(value)));
  }

  std::string source_;
  Problems* problems_;
};

std::vector<absl::string_view> LimitKeys() {
  std::vector<absl::string_view> keys;
  keys.reserve(kLimitFields.size());
  for (const LimitField& field : kLimitFields) {
    keys.push_back(field.key);
  }
  return keys;
}

void ReadDocument(const toml::value& root, Reader& reader, Config* config) {
  reader.CheckKeys(root, "", kRootKeys);

  if (const toml::value* city = reader.Table(root, "", "city")) {
    reader.CheckKeys(*city, "city", kCityKeys);
    reader.String(*city, "city", "name", &config->city.name);
    reader.String(*city, "city", "state", &config->city.state);
    reader.String(*city, "city", "timezone", &config->city.timezone);
    reader.StringList(*city, "city", "closing_days", &config->city.closing_days,
                      /*allow_dates=*/true);
  }
  if (const toml::value* network = reader.Table(root, "", "network")) {
    reader.CheckKeys(*network, "network", kNetworkKeys);
    reader.String(*network, "network", "host", &config->network.host);
    reader.String(*network, "network", "command_host", &config->network.command_host);
    reader.String(*network, "network", "log_host", &config->network.log_host);
    reader.String(*network, "network", "ops_host", &config->network.ops_host);
    reader.Int(*network, "network", "port_base", &config->network.port_base);
  }
  reader.String(root, "", "data_dir", &config->data_dir);
  if (const toml::value* log = reader.Table(root, "", "log")) {
    reader.CheckKeys(*log, "log", kLogKeys);
    reader.String(*log, "log", "level", &config->log.level);
    reader.String(*log, "log", "format", &config->log.format);
    config->log.level = absl::AsciiStrToLower(config->log.level);
    config->log.format = absl::AsciiStrToLower(config->log.format);
  }
  if (const toml::value* limits = reader.Table(root, "", "limits")) {
    reader.CheckKeys(*limits, "limits", LimitKeys());
    for (const LimitField& field : kLimitFields) {
      reader.Int(*limits, "limits", field.key, &(config->limits.*field.field));
    }
  }
  if (const toml::value* clock = reader.Table(root, "", "clock")) {
    reader.CheckKeys(*clock, "clock", kClockKeys);
    reader.Double(*clock, "clock", "speedup", &config->clock.speedup);
    reader.Time(*clock, "clock", "start", &config->clock.start);
  }
  if (const toml::value* scheduling = reader.Table(root, "", "scheduling")) {
    reader.CheckKeys(*scheduling, "scheduling", kSchedulingKeys);
    for (int i = 0; i < kServiceCount; ++i) {
      reader.Int(*scheduling, "scheduling", kSchedulingKeys[i], &config->scheduling.nice[i]);
    }
  }
  if (const toml::value* routing = reader.Table(root, "", "routing")) {
    reader.CheckKeys(*routing, "routing", kRoutingKeys);
    reader.String(*routing, "routing", "default_department", &config->routing.default_department);
    reader.Int(*routing, "routing", "forward_limit", &config->routing.forward_limit);
    reader.Double(*routing, "routing", "warning_share", &config->routing.warning_share);
    reader.Int(*routing, "routing", "escalation_scan_ms", &config->routing.escalation_scan_ms);
    reader.TableArray(
        *routing, "routing", "overrides", [&](const toml::value& table, const std::string& path) {
          Override& rule = config->routing.overrides.emplace_back();
          reader.CheckKeys(table, path, kOverrideKeys);
          reader.String(table, path, "office", &rule.office, "office = \"bb-mitte\"");
          reader.String(table, path, "topic", &rule.topic, "topic = \"gewerbeflaechen\"");
          reader.String(table, path, "department", &rule.department,
                        "department = \"wirtschaftsfoerderung\"");
        });
  }
  if (const toml::value* notification = reader.Table(root, "", "notification")) {
    reader.CheckKeys(*notification, "notification", kNotificationKeys);
    Notification& n = config->notification;
    reader.String(*notification, "notification", "smtp_url", &n.smtp_url);
    reader.String(*notification, "notification", "smtp_tls", &n.smtp_tls);
    reader.String(*notification, "notification", "mail_from", &n.mail_from);
    reader.Int(*notification, "notification", "retry_initial_ms", &n.retry_initial_ms);
    reader.Int(*notification, "notification", "retry_max_ms", &n.retry_max_ms);
    reader.Int(*notification, "notification", "max_attempts", &n.max_attempts);
  }
  if (const toml::value* keys = reader.Table(root, "", "keys")) {
    reader.CheckKeys(*keys, "keys", kKeysKeys);
    reader.String(*keys, "keys", "dir", &config->keys.dir);
    reader.StringTable(*keys, "keys", "public", &config->keys.public_keys);
  }
  reader.TableArray(root, "", "gateways", [&](const toml::value& table, const std::string& path) {
    Gateway& gateway = config->gateways.emplace_back();
    reader.CheckKeys(table, path, kGatewayKeys);
    reader.String(table, path, "id", &gateway.id, "id = \"web\"");
    reader.StringList(table, path, "acts_for", &gateway.acts_for, /*allow_dates=*/false,
                      "acts_for = [\"*\"]");
  });
  reader.TableArray(
      root, "", "departments", [&](const toml::value& table, const std::string& path) {
        Department& department = config->departments.emplace_back();
        reader.CheckKeys(table, path, kDepartmentKeys);
        reader.String(table, path, "id", &department.id, "id = \"bauordnung\"");
        reader.String(table, path, "name", &department.name, "name = \"Bauordnungsamt\"");
        reader.Double(table, path, "sla_hours", &department.sla_hours, "sla_hours = 24");
        reader.String(table, path, "office_hours", &department.office_hours,
                      "office_hours = \"Mon-Thu 08:00-16:00; Fri 08:00-12:30\"");
        reader.String(table, path, "email", &department.email);
      });
  reader.TableArray(root, "", "topics", [&](const toml::value& table, const std::string& path) {
    Topic& topic = config->topics.emplace_back();
    reader.CheckKeys(table, path, kTopicKeys);
    reader.String(table, path, "id", &topic.id, "id = \"baugenehmigung\"");
    reader.String(table, path, "name", &topic.name, "name = \"Baugenehmigung\"");
    reader.String(table, path, "department", &topic.department, "department = \"bauordnung\"");
  });
  reader.TableArray(root, "", "offices", [&](const toml::value& table, const std::string& path) {
    Office& office = config->offices.emplace_back();
    reader.CheckKeys(table, path, kOfficeKeys);
    reader.String(table, path, "id", &office.id, "id = \"bb-mitte\"");
    reader.String(table, path, "name", &office.name, "name = \"Bürgerbüro Mitte\"");
    reader.String(table, path, "email", &office.email);
  });
  reader.TableArray(
      root, "", "key_accounts", [&](const toml::value& table, const std::string& path) {
        KeyAccount& account = config->key_accounts.emplace_back();
        reader.CheckKeys(table, path, kKeyAccountKeys);
        reader.String(table, path, "id", &account.id, "id = \"kam-schneider\"");
        reader.String(table, path, "name", &account.name, "name = \"Anna Schneider\"");
        reader.String(table, path, "department", &account.department,
                      "department = \"wirtschaftsfoerderung\"");
        reader.String(table, path, "email", &account.email);
        reader.StringList(table, path, "companies", &account.companies, /*allow_dates=*/false,
                          "companies = [\"HRB-20417\"]");
      });
}

// Parses `text` into `config` (which holds the defaults). Returns false if the text is not valid
// TOML; then `config` is unchanged and the syntax error is in `problems`.
bool ReadToml(absl::string_view text, const std::string& source, Config* config,
              Problems* problems) {
  toml::value root;
  try {
    std::istringstream stream{std::string(text)};
    root = toml::parse(stream, source);
  } catch (const toml::exception& error) {
    problems->AddLine(FormatSyntaxError(source, error));
    return false;
  } catch (const std::exception& error) {
    problems->AddLine(absl::StrCat(source, ": cannot parse as TOML: ", error.what()));
    return false;
  }
  try {
    Reader reader(source, problems);
    ReadDocument(root, reader, config);
  } catch (const std::exception& error) {
    // Not expected: every access above checks the type first.
    problems->AddLine(absl::StrCat(source, ": cannot read: ", error.what()));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Validation of the assembled Config: values, ranges, ids and references.
// ---------------------------------------------------------------------------------------------

using IdIndex = std::map<std::string, size_t, std::less<>>;

void CheckNotEmpty(absl::string_view value, const std::string& path, Problems* problems) {
  if (value.empty()) {
    problems->Add(path, "must not be empty");
  }
}

void CheckId(absl::string_view id, const std::string& path, Problems* problems) {
  if (id.empty()) {
    problems->Add(path, "must not be empty");
  } else if (!IsValidId(id)) {
    problems->Add(path, absl::StrCat("must match [a-z0-9][a-z0-9-]* (lower-case letters, digits "
                                     "and '-', at most ",
                                     kMaxIdLength, " characters), got ", Quote(id)));
  }
}

void CheckEmail(absl::string_view email, const std::string& path, Problems* problems) {
  if (!email.empty() && !IsPlausibleEmail(email)) {
    problems->Add(path, absl::StrCat("expected an e-mail address like \"name@example.org\", got ",
                                     Quote(email)));
  }
}

// Records `id` of element `index` of `kind` ("departments") and reports a repeated id.
void IndexId(absl::string_view id, absl::string_view kind, size_t index, IdIndex* ids,
             Problems* problems) {
  if (id.empty()) {
    return;
  }
  const auto [it, inserted] = ids->emplace(std::string(id), index);
  if (!inserted) {
    problems->Add(JoinPath(IndexPath(kind, index), "id"),
                  absl::StrCat(Quote(id), " is already used by ", IndexPath(kind, it->second),
                               "; ids must be unique"));
  }
}

// Reports `value` at `path` unless it is an id in `ids` (of `kind`, e.g. "department").
void CheckReference(absl::string_view value, const std::string& path, absl::string_view kind,
                    const IdIndex& ids, Problems* problems) {
  if (value.empty()) {
    problems->Add(path, absl::StrCat("must not be empty; expected a ", kind, " id"));
    return;
  }
  if (ids.find(value) != ids.end()) {
    return;
  }
  std::vector<absl::string_view> known;
  for (const auto& [id, index] : ids) {
    known.emplace_back(id);
  }
  std::string hint = DidYouMean(value, known);
  if (hint.empty()) {
    hint = known.empty() ? absl::StrCat("; no ", kind, " is defined")
                         : absl::StrCat("; known: ", absl::StrJoin(known, ", "));
  }
  problems->Add(path, absl::StrCat("no ", kind, " with id ", Quote(value), hint));
}

void CheckIntRange(int value, int min, int max, const std::string& path, Problems* problems) {
  if (value < min || value > max) {
    problems->Add(path, absl::StrCat("must be in ", min, "..", max, ", got ", value));
  }
}

void CheckOneOf(absl::string_view value, std::span<const absl::string_view> allowed,
                const std::string& path, Problems* problems) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) {
    return;
  }
  problems->Add(path, absl::StrCat("must be one of ", absl::StrJoin(allowed, ", "), ", got ",
                                   Quote(value), DidYouMean(value, allowed)));
}

void ValidateCity(const City& city, Problems* problems) {
  CheckNotEmpty(city.name, "city.name", problems);
  if (const auto state = calendar::ParseState(city.state); !state.ok()) {
    problems->Add("city.state", state.status().message());
  }
  absl::TimeZone zone;
  if (city.timezone.empty() || !absl::LoadTimeZone(city.timezone, &zone)) {
    problems->Add("city.timezone",
                  absl::StrCat("unknown time zone ", Quote(city.timezone),
                               "; expected an IANA name such as \"Europe/Berlin\" (is tzdata "
                               "installed?)"));
  }
  for (size_t i = 0; i < city.closing_days.size(); ++i) {
    if (!IsIsoDate(city.closing_days[i])) {
      problems->Add(
          IndexPath("city.closing_days", i),
          absl::StrCat("expected a date \"YYYY-MM-DD\", got ", Quote(city.closing_days[i])));
    }
  }
}

void ValidateHost(const std::string& host, const std::string& path, Problems* problems) {
  if (host.empty()) {
    problems->Add(path, "must not be empty; expected a host name or IP address");
  } else if (absl::StrContains(host, "://") || absl::StrContains(host, "/") ||
             std::any_of(host.begin(), host.end(), [](char c) {
               return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
             })) {
    problems->Add(path,
                  absl::StrCat("expected a bare host name or IP address such as \"127.0.0.1\" "
                               "(no scheme, port or spaces), got ",
                               Quote(host)));
  } else if (absl::StrContains(host, ":") && !(host.front() == '[' && host.back() == ']')) {
    problems->Add(path,
                  absl::StrCat("an IPv6 address must be in brackets, e.g. \"[::1]\"; a port "
                               "belongs in network.port_base; got ",
                               Quote(host)));
  }
}

void ValidateNetwork(const Network& network, Problems* problems) {
  ValidateHost(network.host, "network.host", problems);
  for (const auto& [host, key] : {std::pair{&network.command_host, "command_host"},
                                  std::pair{&network.log_host, "log_host"},
                                  std::pair{&network.ops_host, "ops_host"}}) {
    if (!host->empty()) {
      ValidateHost(*host, JoinPath("network", key), problems);
    }
  }
  if (network.port_base < 1024 || network.port_base > 65000) {
    problems->Add(
        "network.port_base",
        absl::StrCat("must be in 1024..65000, got ", network.port_base,
                     " (the services use ports port_base..port_base+", kPortsPerSet - 1, ")"));
  }
}

void ValidateLimits(const Limits& limits, Problems* problems) {
  bool all_valid = true;
  for (const LimitField& field : kLimitFields) {
    const int value = limits.*field.field;
    if (value < field.min) {
      all_valid = false;
      problems->Add(JoinPath("limits", field.key),
                    absl::StrCat(field.min == 0 ? "must be >= 0" : "must be > 0", ", got ", value));
    }
  }
  // The walls every request field meets at the command boundary (proto/lotse/v1/options.proto).
  constexpr int kSubjectWall = 4096;
  constexpr int kTextWall = 65536;
  if (limits.max_subject_bytes > kSubjectWall) {
    problems->Add("limits.max_subject_bytes",
                  absl::StrCat("must be at most ", kSubjectWall, ", got ", limits.max_subject_bytes));
  }
  if (limits.max_text_bytes > kTextWall) {
    problems->Add("limits.max_text_bytes",
                  absl::StrCat("must be at most ", kTextWall, ", got ", limits.max_text_bytes));
  }
  if (all_valid) {
    const std::int64_t referral_bytes =
        static_cast<std::int64_t>(limits.max_subject_bytes) + limits.max_text_bytes;
    if (limits.max_message_bytes <= referral_bytes) {
      problems->Add(
          "limits.max_message_bytes",
          absl::StrCat("must be larger than max_subject_bytes + max_text_bytes (", referral_bytes,
                       ") so that a referral fits in one message, got ", limits.max_message_bytes));
    }
    // A fetch answer is one message: larger than max_message_bytes, libzmq drops it silently
    // and the consumer stalls until its reply timeout, again and again.
    if (limits.fetch_max_bytes > limits.max_message_bytes / 2) {
      problems->Add("limits.fetch_max_bytes",
                    absl::StrCat("must be at most half of max_message_bytes (",
                                 limits.max_message_bytes / 2,
                                 ") so that a fetch answer fits in one message, got ",
                                 limits.fetch_max_bytes));
    }
  }
}

void ValidateDepartments(const Config& config, IdIndex* departments, Problems* problems) {
  if (config.departments.empty() && !problems->HasProblemAt("departments")) {
    problems->Add("departments", "at least one [[departments]] block is required");
  }
  for (size_t i = 0; i < config.departments.size(); ++i) {
    const Department& department = config.departments[i];
    const std::string path = IndexPath("departments", i);
    CheckId(department.id, JoinPath(path, "id"), problems);
    IndexId(department.id, "departments", i, departments, problems);
    CheckNotEmpty(department.name, JoinPath(path, "name"), problems);
    const std::string sla_path = JoinPath(path, "sla_hours");
    if (!std::isfinite(department.sla_hours) || department.sla_hours <= 0) {
      problems->Add(sla_path,
                    absl::StrCat("must be > 0, got ", FormatNumber(department.sla_hours)));
    } else if (department.sla_hours > 2000) {
      problems->Add(sla_path, absl::StrCat("must be at most 2000 business hours, got ",
                                           FormatNumber(department.sla_hours)));
    }
    const std::string hours_path = JoinPath(path, "office_hours");
    if (department.office_hours.empty()) {
      problems->Add(hours_path, "must not be empty, e.g. \"Mon-Thu 08:00-16:00; Fri 08:00-12:30\"");
    } else if (const auto hours = calendar::ParseWeeklyHours(department.office_hours);
               !hours.ok()) {
      absl::string_view message = hours.status().message();
      absl::ConsumePrefix(&message, "office hours: ");
      problems->Add(hours_path, message);
    } else if (calendar::WeeklyDuration(*hours) <= absl::ZeroDuration()) {
      problems->Add(hours_path, absl::StrCat("has no opening hours, so the SLA would never run; "
                                             "expected e.g. \"Mon-Fri 08:00-16:00\", got ",
                                             Quote(department.office_hours)));
    }
    CheckEmail(department.email, JoinPath(path, "email"), problems);
  }
}

void ValidateRouting(const Config& config, const IdIndex& departments, const IdIndex& topics,
                     const IdIndex& offices, Problems* problems) {
  const Routing& routing = config.routing;
  if (routing.default_department.empty()) {
    problems->Add("routing.default_department",
                  "missing; required: the department that takes referrals no rule matches, e.g. "
                  "default_department = \"wirtschaftsfoerderung\" in [routing]");
  } else {
    CheckReference(routing.default_department, "routing.default_department", "department",
                   departments, problems);
  }
  CheckIntRange(routing.forward_limit, 0, 20, "routing.forward_limit", problems);
  if (!(routing.warning_share > 0 && routing.warning_share < 1)) {
    problems->Add("routing.warning_share",
                  absl::StrCat("must be between 0 and 1 (exclusive), e.g. 0.75, got ",
                               FormatNumber(routing.warning_share)));
  }
  if (routing.escalation_scan_ms <= 0) {
    problems->Add("routing.escalation_scan_ms",
                  absl::StrCat("must be > 0, got ", routing.escalation_scan_ms));
  }
  std::map<std::pair<std::string, std::string>, size_t> rules;
  for (size_t i = 0; i < routing.overrides.size(); ++i) {
    const Override& rule = routing.overrides[i];
    const std::string path = IndexPath("routing.overrides", i);
    CheckReference(rule.office, JoinPath(path, "office"), "office", offices, problems);
    CheckReference(rule.topic, JoinPath(path, "topic"), "topic", topics, problems);
    CheckReference(rule.department, JoinPath(path, "department"), "department", departments,
                   problems);
    const auto [it, inserted] = rules.emplace(std::make_pair(rule.office, rule.topic), i);
    if (!inserted && !rule.office.empty() && !rule.topic.empty()) {
      problems->Add(path, absl::StrCat("office ", Quote(rule.office), " and topic ",
                                       Quote(rule.topic), " already have a rule in ",
                                       IndexPath("routing.overrides", it->second)));
    }
  }
}

void ValidateNotification(const Notification& n, Problems* problems) {
  const absl::string_view url = n.smtp_url;
  if (!url.empty()) {
    const bool scheme = absl::StartsWith(url, "smtp://") || absl::StartsWith(url, "smtps://");
    const bool clean = std::none_of(url.begin(), url.end(), [](char c) {
      return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
    });
    if (!scheme || !clean || url.size() <= 8) {
      problems->Add("notification.smtp_url",
                    absl::StrCat("expected \"smtp://host:port\" or \"smtps://host:port\" (empty "
                                 "= e-mail off), got ",
                                 Quote(RedactedUrl(std::string_view(url.data(), url.size())))));
    }
  }
  if (n.smtp_tls != "required" && n.smtp_tls != "off") {
    problems->Add("notification.smtp_tls",
                  absl::StrCat("expected \"required\" (mail only over TLS) or \"off\" (plain "
                               "SMTP), got ",
                               Quote(n.smtp_tls)));
  }
  if (n.mail_from.empty() || !IsPlausibleEmail(n.mail_from)) {
    problems->Add("notification.mail_from",
                  absl::StrCat("expected an e-mail address like \"lotse@example.org\", got ",
                               Quote(n.mail_from)));
  }
  CheckIntRange(n.retry_initial_ms, 1, 3600000, "notification.retry_initial_ms", problems);
  if (n.retry_max_ms < n.retry_initial_ms || n.retry_max_ms > 86400000) {
    problems->Add("notification.retry_max_ms",
                  absl::StrCat("must be in retry_initial_ms (", n.retry_initial_ms,
                               ")..86400000, got ", n.retry_max_ms));
  }
  CheckIntRange(n.max_attempts, 1, 1000, "notification.max_attempts", problems);
}

void ValidateKeyAccounts(const Config& config, const IdIndex& departments, Problems* problems) {
  IdIndex accounts;
  // Normalized company id -> (key account index, company index).
  std::map<std::string, std::pair<size_t, size_t>> companies;
  for (size_t i = 0; i < config.key_accounts.size(); ++i) {
    const KeyAccount& account = config.key_accounts[i];
    const std::string path = IndexPath("key_accounts", i);
    CheckId(account.id, JoinPath(path, "id"), problems);
    IndexId(account.id, "key_accounts", i, &accounts, problems);
    if (const auto it = departments.find(account.id); it != departments.end()) {
      problems->Add(JoinPath(path, "id"),
                    absl::StrCat(Quote(account.id), " is already the id of ",
                                 IndexPath("departments", it->second),
                                 "; key account ids must differ from department ids"));
    }
    CheckNotEmpty(account.name, JoinPath(path, "name"), problems);
    CheckReference(account.department, JoinPath(path, "department"), "department", departments,
                   problems);
    CheckEmail(account.email, JoinPath(path, "email"), problems);
    const std::string companies_path = JoinPath(path, "companies");
    if (account.companies.empty()) {
      problems->Add(companies_path, "must list at least one company id, e.g. [\"HRB-20417\"]");
    }
    for (size_t j = 0; j < account.companies.size(); ++j) {
      const std::string company_path = IndexPath(companies_path, j);
      const std::string company = NormalizeCompany(account.companies[j]);
      if (company.empty()) {
        problems->Add(company_path, "must not be empty");
        continue;
      }
      const auto [it, inserted] = companies.emplace(company, std::make_pair(i, j));
      if (inserted) {
        continue;
      }
      const auto [other_account, other_company] = it->second;
      if (other_account == i) {
        problems->Add(company_path, absl::StrCat("company ", Quote(account.companies[j]),
                                                 " is listed twice (also ",
                                                 IndexPath(companies_path, other_company), ")"));
      } else {
        problems->Add(
            company_path,
            absl::StrCat("company ", Quote(account.companies[j]), " is already assigned to ",
                         IndexPath("key_accounts", other_account), " (",
                         Quote(config.key_accounts[other_account].id),
                         "); a company can have only one key account manager"));
      }
    }
  }
}

bool LooksLikeZ85Key(absl::string_view key) {
  constexpr absl::string_view kZ85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return key.size() == 40 &&
         std::all_of(key.begin(), key.end(), [&](char c) { return absl::StrContains(kZ85, c); });
}

void ValidatePrincipals(const Config& config, Problems* problems) {
  std::map<std::string, PrincipalKind, std::less<>> kinds;
  for (const PrincipalEntry& p : Principals(config)) {
    const auto [it, inserted] = kinds.emplace(p.id, p.kind);
    // Offices, departments and key accounts report their own duplicates; a clash between kinds
    // (an office named like a department, a gateway named "ops") is reported here.
    if (!inserted && it->second != p.kind) {
      problems->Add("keys", absl::StrCat("'", p.id, "' names both a ", ToAbsl(PrincipalKindName(it->second)),
                                         " and a ", ToAbsl(PrincipalKindName(p.kind)),
                                         "; every principal needs its own id"));
    }
  }
  std::map<std::string, std::string, std::less<>> owner_of_key;
  for (const auto& [id, key] : config.keys.public_keys) {
    const std::string path = JoinPath("keys.public", id);
    if (!kinds.contains(id)) {
      problems->Add(path, absl::StrCat("'", id, "' is no principal of this config (offices, "
                                       "departments, key accounts, gateways, ops, admin, intake, "
                                       "routing, notification, audit)"));
      continue;
    }
    if (key == kRevokedKey) {
      continue;
    }
    if (!LooksLikeZ85Key(key)) {
      problems->Add(path, absl::StrCat("expected a CurveZMQ public key (40 characters of Z85, "
                                       "as 'lotse keys generate' writes) or \"revoked\", got ",
                                       Quote(key)));
      continue;
    }
    const auto [it, inserted] = owner_of_key.emplace(key, id);
    if (!inserted) {
      problems->Add(path, absl::StrCat("this key is already the key of '", it->second,
                                       "': one key belongs to one principal only"));
    }
  }
  std::set<std::string, std::less<>> gateway_ids;
  for (size_t i = 0; i < config.gateways.size(); ++i) {
    const Gateway& gateway = config.gateways[i];
    const std::string path = IndexPath("gateways", i);
    CheckId(gateway.id, JoinPath(path, "id"), problems);
    if (!gateway_ids.insert(gateway.id).second) {
      problems->Add(JoinPath(path, "id"),
                    absl::StrCat("gateway ", Quote(gateway.id), " is listed twice; list it once "
                                 "with every principal it acts for"));
    }
    for (size_t j = 0; j < gateway.acts_for.size(); ++j) {
      const std::string& id = gateway.acts_for[j];
      const auto it = kinds.find(id);
      const bool person_unit = it != kinds.end() && (it->second == PrincipalKind::kOffice ||
                                                     it->second == PrincipalKind::kDepartment ||
                                                     it->second == PrincipalKind::kKeyAccount);
      if (id != "*" && !person_unit) {
        problems->Add(IndexPath(JoinPath(path, "acts_for"), j),
                      absl::StrCat("expected an office, department or key account id, or \"*\"; "
                                   "got ", Quote(id)));
      }
    }
  }
}

void Validate(const Config& config, Problems* problems) {
  ValidateCity(config.city, problems);
  ValidateNetwork(config.network, problems);
  CheckNotEmpty(config.data_dir, "data_dir", problems);
  CheckOneOf(config.log.level, kLogLevels, "log.level", problems);
  CheckOneOf(config.log.format, kLogFormats, "log.format", problems);
  ValidateLimits(config.limits, problems);
  for (int i = 0; i < kServiceCount; ++i) {
    const int nice = config.scheduling.nice[i];
    if (nice < -20 || nice > 19) {
      problems->Add(JoinPath("scheduling", kSchedulingKeys[i]),
                    absl::StrCat("must be a nice value in -20..19, got ", nice));
    }
  }
  if (!std::isfinite(config.clock.speedup) || config.clock.speedup <= 0) {
    problems->Add("clock.speedup", absl::StrCat("must be > 0 (1 = real time), got ",
                                                FormatNumber(config.clock.speedup)));
  }

  IdIndex departments;
  ValidateDepartments(config, &departments, problems);

  IdIndex topics;
  if (config.topics.empty() && !problems->HasProblemAt("topics")) {
    problems->Add("topics", "at least one [[topics]] block is required");
  }
  for (size_t i = 0; i < config.topics.size(); ++i) {
    const Topic& topic = config.topics[i];
    const std::string path = IndexPath("topics", i);
    CheckId(topic.id, JoinPath(path, "id"), problems);
    IndexId(topic.id, "topics", i, &topics, problems);
    CheckNotEmpty(topic.name, JoinPath(path, "name"), problems);
    CheckReference(topic.department, JoinPath(path, "department"), "department", departments,
                   problems);
  }

  IdIndex offices;
  if (config.offices.empty() && !problems->HasProblemAt("offices")) {
    problems->Add("offices", "at least one [[offices]] block is required");
  }
  for (size_t i = 0; i < config.offices.size(); ++i) {
    const Office& office = config.offices[i];
    const std::string path = IndexPath("offices", i);
    CheckId(office.id, JoinPath(path, "id"), problems);
    IndexId(office.id, "offices", i, &offices, problems);
    CheckNotEmpty(office.name, JoinPath(path, "name"), problems);
    CheckEmail(office.email, JoinPath(path, "email"), problems);
  }

  ValidateRouting(config, departments, topics, offices, problems);
  ValidateNotification(config.notification, problems);
  ValidateKeyAccounts(config, departments, problems);
  ValidatePrincipals(config, problems);
}

// ---------------------------------------------------------------------------------------------
// Environment and flags
// ---------------------------------------------------------------------------------------------

// The value of environment variable `name`; unset and empty are the same.
std::optional<std::string> GetEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

// Applies one override of `path` that came from `source` ("$LOTSE_PORT_BASE", "command line").
class OverrideApplier {
 public:
  OverrideApplier(Config* config, Problems* problems) : config_(config), problems_(problems) {}

  void DataDir(absl::string_view source, const std::string& value) {
    Mark("data_dir", source);
    config_->data_dir = value;
  }
  void Host(absl::string_view source, absl::string_view value) {
    Mark("network.host", source);
    config_->network.host = std::string(absl::StripAsciiWhitespace(value));
  }
  void PortBase(absl::string_view source, int value) {
    Mark("network.port_base", source);
    config_->network.port_base = value;
  }
  void PortBase(absl::string_view source, absl::string_view text) {
    Mark("network.port_base", source);
    int value = 0;
    if (!absl::SimpleAtoi(text, &value)) {
      problems_->Add("network.port_base",
                     absl::StrCat("expected an integer port number, got ", Quote(text)));
      return;
    }
    config_->network.port_base = value;
  }
  void LogLevel(absl::string_view source, absl::string_view value) {
    Mark("log.level", source);
    config_->log.level = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  }
  void LogFormat(absl::string_view source, absl::string_view value) {
    Mark("log.format", source);
    config_->log.format = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  }
  void Speedup(absl::string_view source, double value) {
    Mark("clock.speedup", source);
    config_->clock.speedup = value;
  }
  void Speedup(absl::string_view source, absl::string_view text) {
    Mark("clock.speedup", source);
    double value = 0;
    if (!absl::SimpleAtod(text, &value)) {
      problems_->Add("clock.speedup", absl::StrCat("expected a number, got ", Quote(text)));
      return;
    }
    config_->clock.speedup = value;
  }
  void SmtpUrl(absl::string_view source, absl::string_view value) {
    Mark("notification.smtp_url", source);
    config_->notification.smtp_url = std::string(absl::StripAsciiWhitespace(value));
  }
  void SmtpTls(absl::string_view source, absl::string_view value) {
    Mark("notification.smtp_tls", source);
    config_->notification.smtp_tls = std::string(absl::StripAsciiWhitespace(value));
  }
  void SmtpRetryMs(absl::string_view source, absl::string_view text) {
    Mark("notification.retry_initial_ms", source);
    int value = 0;
    if (!absl::SimpleAtoi(text, &value)) {
      problems_->Add("notification.retry_initial_ms",
                     absl::StrCat("expected an integer number of milliseconds, got ", Quote(text)));
      return;
    }
    config_->notification.retry_initial_ms = value;
  }
  // An empty `text` means the real clock.
  void Start(absl::string_view source, absl::string_view text) {
    Mark("clock.start", source);
    const absl::string_view stripped = absl::StripAsciiWhitespace(text);
    if (stripped.empty()) {
      config_->clock.start.reset();
      return;
    }
    const std::optional<absl::Time> time = ParseRfc3339(stripped);
    if (!time.has_value()) {
      problems_->Add("clock.start", absl::StrCat(kRfc3339Expected, ", got ", Quote(text)));
      return;
    }
    config_->clock.start = time;
  }

 private:
  void Mark(const std::string& path, absl::string_view source) {
    problems_->SetOrigin(path, Origin{std::string(source), 0});
  }

  Config* config_;
  Problems* problems_;
};

void ApplyEnvironment(OverrideApplier& apply) {
  if (auto value = GetEnv("LOTSE_DATA_DIR")) {
    apply.DataDir("$LOTSE_DATA_DIR", *value);
  }
  if (auto value = GetEnv("LOTSE_PORT_BASE")) {
    apply.PortBase("$LOTSE_PORT_BASE", absl::string_view(*value));
  }
  if (auto value = GetEnv("LOTSE_HOST")) {
    apply.Host("$LOTSE_HOST", *value);
  }
  if (auto value = GetEnv("LOTSE_LOG_LEVEL")) {
    apply.LogLevel("$LOTSE_LOG_LEVEL", *value);
  }
  if (auto value = GetEnv("LOTSE_LOG_FORMAT")) {
    apply.LogFormat("$LOTSE_LOG_FORMAT", *value);
  }
  if (auto value = GetEnv("LOTSE_CLOCK_SPEEDUP")) {
    apply.Speedup("$LOTSE_CLOCK_SPEEDUP", absl::string_view(*value));
  }
  if (auto value = GetEnv("LOTSE_CLOCK_START")) {
    apply.Start("$LOTSE_CLOCK_START", *value);
  }
  if (auto value = GetEnv("LOTSE_SMTP_URL")) {
    apply.SmtpUrl("$LOTSE_SMTP_URL", *value);
  }
  if (auto value = GetEnv("LOTSE_SMTP_TLS")) {
    apply.SmtpTls("$LOTSE_SMTP_TLS", *value);
  }
  if (auto value = GetEnv("LOTSE_SMTP_RETRY_MS")) {
    apply.SmtpRetryMs("$LOTSE_SMTP_RETRY_MS", absl::string_view(*value));
  }
}

void ApplyFlags(const Overrides& flags, OverrideApplier& apply) {
  if (flags.data_dir) {
    apply.DataDir(kCommandLineSource, *flags.data_dir);
  }
  if (flags.port_base) {
    apply.PortBase(kCommandLineSource, *flags.port_base);
  }
  if (flags.host) {
    apply.Host(kCommandLineSource, *flags.host);
  }
  if (flags.log_level) {
    apply.LogLevel(kCommandLineSource, *flags.log_level);
  }
  if (flags.log_format) {
    apply.LogFormat(kCommandLineSource, *flags.log_format);
  }
  if (flags.clock_speedup) {
    apply.Speedup(kCommandLineSource, *flags.clock_speedup);
  }
  if (flags.clock_start) {
    apply.Start(kCommandLineSource, *flags.clock_start);
  }
}

// Reads the whole file at `path`. `given_by` says where the path came from, for the message.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path, absl::string_view given_by) {
  const std::string what_to_do = "pass --config FILE or unset LOTSE_CONFIG";
  if (path.empty()) {
    return absl::NotFoundError(
        absl::StrCat("config file path given by ", given_by, " is empty; ", what_to_do));
  }
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::NotFoundError(absl::StrCat("config file ", Quote(path), " (given by ", given_by,
                                            ") is a directory; ", what_to_do));
  }
  errno = 0;
  std::ifstream file(path, std::ios::in | std::ios::binary);
  if (!file.is_open()) {
    const int code = errno;
    const std::string reason =
        code != 0 ? std::generic_category().message(code) : std::string("cannot open");
    return absl::NotFoundError(absl::StrCat("cannot read config file ", Quote(path), " (given by ",
                                            given_by, "): ", reason, "; ", what_to_do));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return absl::NotFoundError(absl::StrCat("cannot read config file ", Quote(path), " (given by ",
                                            given_by, "): read error; ", what_to_do));
  }
  return text.str();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------------

std::string_view ServiceName(Service service) {
  switch (service) {
    case Service::kIntake:
      return "intake";
    case Service::kRouting:
      return "routing";
    case Service::kNotification:
      return "notification";
    case Service::kAudit:
      return "audit";
  }
  return "unknown";
}

std::vector<PrincipalEntry> Principals(const Config& config) {
  std::vector<PrincipalEntry> out;
  for (int i = 0; i < kServiceCount; ++i) {
    out.push_back({std::string(ServiceName(static_cast<Service>(i))), PrincipalKind::kService});
  }
  out.push_back({"ops", PrincipalKind::kOps});
  out.push_back({"admin", PrincipalKind::kAdmin});
  for (const Gateway& g : config.gateways) {
    out.push_back({g.id, PrincipalKind::kGateway});
  }
  for (const Office& o : config.offices) {
    out.push_back({o.id, PrincipalKind::kOffice});
  }
  for (const Department& d : config.departments) {
    out.push_back({d.id, PrincipalKind::kDepartment});
  }
  for (const KeyAccount& k : config.key_accounts) {
    out.push_back({k.id, PrincipalKind::kKeyAccount});
  }
  return out;
}

std::string_view PrincipalKindName(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kOffice:
      return "office";
    case PrincipalKind::kDepartment:
      return "department";
    case PrincipalKind::kKeyAccount:
      return "key account manager";
    case PrincipalKind::kOps:
      return "ops";
    case PrincipalKind::kAdmin:
      return "admin";
    case PrincipalKind::kService:
      return "service";
    case PrincipalKind::kGateway:
      return "gateway";
  }
  return "principal";
}

std::string Network::CommandEndpoint(Service service) const {
  return absl::StrCat("tcp://", CommandHost(), ":", port_base + 2 * static_cast<int>(service));
}

std::string Network::LogEndpoint(Service service) const {
  return absl::StrCat("tcp://", LogHost(), ":", port_base + 2 * static_cast<int>(service) + 1);
}

int Network::OpsPort(Service service) const {
  return port_base + 2 * kServiceCount + static_cast<int>(service);
}

std::string Network::TapEndpoint(Service service) const {
  return absl::StrCat("tcp://", OpsHost(), ":", port_base + 3 * kServiceCount + static_cast<int>(service));
}

namespace {
template <typename T>
const T* FindById(const std::vector<T>& items, std::string_view id) {
  for (const T& item : items) {
    if (item.id == id) {
      return &item;
    }
  }
  return nullptr;
}
}  // namespace

const Department* Config::FindDepartment(std::string_view id) const {
  return FindById(departments, id);
}
const Topic* Config::FindTopic(std::string_view id) const { return FindById(topics, id); }
const Office* Config::FindOffice(std::string_view id) const { return FindById(offices, id); }
const KeyAccount* Config::FindKeyAccount(std::string_view id) const {
  return FindById(key_accounts, id);
}

const KeyAccount* Config::KeyAccountForCompany(std::string_view company_id) const {
  const std::string wanted = NormalizeCompany(ToAbsl(company_id));
  if (wanted.empty()) {
    return nullptr;
  }
  for (const KeyAccount& account : key_accounts) {
    for (const std::string& company : account.companies) {
      if (NormalizeCompany(company) == wanted) {
        return &account;
      }
    }
  }
  return nullptr;
}

std::string Config::ServiceDataDir(Service service) const {
  absl::string_view base = data_dir;
  while (base.size() > 1 && base.back() == '/') {
    base.remove_suffix(1);
  }
  if (base == "/") {
    return absl::StrCat("/", ToAbsl(ServiceName(service)));
  }
  return absl::StrCat(base, "/", ToAbsl(ServiceName(service)));
}

std::string RedactedUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end) {
    return std::string(url);
  }
  std::string shown(url.substr(0, scheme_end + 3));
  shown += "***";
  shown += url.substr(at);
  return shown;
}

std::string_view DefaultConfigText() { return internal::kDefaultConfigToml; }

absl::StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  const std::string source(source_name);
  Problems problems(source);
  Config config;
  if (ReadToml(ToAbsl(toml_text), source, &config, &problems)) {
    Validate(config, &problems);
  }
  if (!problems.empty()) {
    return problems.ToStatus();
  }
  return config;
}

absl::StatusOr<Config> Load(const Overrides& flags) {
  std::string text;
  std::string source;
  if (flags.config_file.has_value()) {
    absl::StatusOr<std::string> file = ReadConfigFile(*flags.config_file, "--config");
    if (!file.ok()) {
      return file.status();
    }
    text = *std::move(file);
    source = *flags.config_file;
  } else if (std::optional<std::string> path = GetEnv("LOTSE_CONFIG")) {
    absl::StatusOr<std::string> file = ReadConfigFile(*path, "$LOTSE_CONFIG");
    if (!file.ok()) {
      return file.status();
    }
    text = *std::move(file);
    source = *path;
  } else {
    text = std::string(DefaultConfigText());
    source = std::string(kBuiltinSource);
  }

  Problems problems(source);
  Config config;
  const bool parsed = ReadToml(text, source, &config, &problems);
  OverrideApplier apply(&config, &problems);
  ApplyEnvironment(apply);
  ApplyFlags(flags, apply);
  // After a syntax error the file's content is unknown; checking the rest would only add noise.
  if (parsed) {
    Validate(config, &problems);
  }
  if (!problems.empty()) {
    return problems.ToStatus();
  }
  return config;
}

std::string Describe(const Config& config) {
  std::string out;
  absl::StrAppend(&out, "city: ", config.city.name, " (state ", config.city.state, ", time zone ",
                  config.city.timezone, ", ", config.city.closing_days.size(), " closing days)\n");
  absl::StrAppend(&out, "data_dir: ", config.data_dir, "\n");
  for (int i = 0; i < kServiceCount; ++i) {
    const auto service = static_cast<Service>(i);
    absl::StrAppend(&out, ToAbsl(ServiceName(service)), ": commands ",
                    config.network.CommandEndpoint(service), ", log ",
                    config.network.LogEndpoint(service), ", ops http://", config.network.OpsHost(),
                    ":", config.network.OpsPort(service), ", tap ",
                    config.network.TapEndpoint(service), ", data ", config.ServiceDataDir(service),
                    "\n");
  }
  size_t companies = 0;
  for (const KeyAccount& account : config.key_accounts) {
    companies += account.companies.size();
  }
  absl::StrAppend(&out, "rules: ", config.departments.size(), " departments, ",
                  config.topics.size(), " topics, ", config.offices.size(), " offices, ",
                  config.key_accounts.size(), " key accounts (", companies, " companies), ",
                  config.routing.overrides.size(), " office override(s); default department ",
                  config.routing.default_department, ", forward limit ",
                  config.routing.forward_limit, ", warning at ",
                  FormatNumber(config.routing.warning_share * 100), "% of the SLA\n");
  if (config.notification.smtp_url.empty()) {
    absl::StrAppend(&out, "e-mail: off (notification.smtp_url is empty)\n");
  } else {
    const Notification& n = config.notification;
    absl::StrAppend(&out, "e-mail: via ", RedactedUrl(n.smtp_url),
                    n.smtp_tls == "off" ? " (plain SMTP: smtp_tls = \"off\")" : " (TLS required)",
                    ", retry ", n.retry_initial_ms, "..",
                    n.retry_max_ms, " ms, at most ", n.max_attempts, " attempts\n");
  }
  absl::StrAppend(&out, "log: level ", config.log.level, ", format ", config.log.format, "\n");
  if (config.clock.start.has_value() || config.clock.speedup != 1.0) {
    absl::TimeZone zone = absl::UTCTimeZone();
    absl::LoadTimeZone(config.city.timezone, &zone);
    absl::StrAppend(&out, "clock: speedup ", FormatNumber(config.clock.speedup), "x, start ",
                    config.clock.start.has_value()
                        ? absl::FormatTime(absl::RFC3339_full, *config.clock.start, zone)
                        : std::string("now"),
                    "\n");
  } else {
    absl::StrAppend(&out, "clock: real time\n");
  }
  const Limits& limits = config.limits;
  absl::StrAppend(&out, "limits: subject ", limits.max_subject_bytes, " B, text ",
                  limits.max_text_bytes, " B, message ", limits.max_message_bytes, " B, request ",
                  limits.request_timeout_ms, " ms x ", limits.request_retries + 1, " tries, fetch ",
                  limits.fetch_wait_ms, " ms / ", limits.fetch_max_events, " events / ",
                  limits.fetch_max_bytes, " B, commit batch ", limits.commit_max_batch,
                  ", min free disk ", limits.min_free_disk_mb, " MB");
  absl::StrAppend(&out, "\nscheduling: nice");
  for (int i = 0; i < kServiceCount; ++i) {
    absl::StrAppend(&out, i == 0 ? " " : ", ", ToAbsl(ServiceName(static_cast<Service>(i))), " ",
                    config.scheduling.nice[i]);
  }
  return out;
}

}  // namespace lotse::config
