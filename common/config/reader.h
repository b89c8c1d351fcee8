#pragma once

// Internal to common/config: reading the config file, from its path to the fields of a Config.
// The only place that knows toml11 (reader.cc); no toml11 type appears in this header, and
// toml11's exceptions are caught in reader.cc and become problems.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/problems.h"

namespace lotse::config::internal {

// Reads the whole file at `path`. `given_by` ("--config", "$LOTSE_CONFIG") says where the path
// came from. NotFound, naming the path and what to do, if it is empty, a directory or unreadable.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path, absl::string_view given_by);

// Reads the keys of one TOML table (the document, a [table] or one [[block]]) and reports what
// is wrong with them. Defined in reader.cc; a Key's read function receives it.
class TableReader;

// One key the file may have: its name and how its value is read into the model. Made by the
// functions below; schema.cc lists every key of the file with them.
struct Key {
  absl::string_view name;
  std::function<void(TableReader& table)> read;
};
using Keys = std::vector<Key>;

// The value kinds. `required_example` non-empty makes the key required and shows how to set it
// ("missing; required, e.g. sla_hours = 24"); without it an absent key keeps the default.
// A value of the wrong type is reported ("expected a string in quotes, got an integer (5)") and
// leaves the field as it was.
Key String(absl::string_view name, std::string* out, absl::string_view required_example = {});
// A string stored in lower case ("INFO" -> "info").
Key LowerCaseString(absl::string_view name, std::string* out);
// An integer that fits an int.
Key Int(absl::string_view name, int* out);
// A number; integers are accepted (sla_hours = 24).
Key Number(absl::string_view name, double* out, absl::string_view required_example = {});
// An array of strings.
Key StringList(absl::string_view name, std::vector<std::string>* out,
               absl::string_view required_example = {});
// An array of days: "YYYY-MM-DD" strings or bare TOML dates (2026-12-24), stored as
// "YYYY-MM-DD". The strings' syntax is checked by validation.
Key DateList(absl::string_view name, std::vector<std::string>* out);
// A table whose values are all strings (key -> value).
Key StringMap(absl::string_view name, std::map<std::string, std::string>* out);
// An RFC 3339 time with UTC offset, given as a string or as a TOML offset date-time.
Key Rfc3339Time(absl::string_view name, std::optional<absl::Time>* out);
// A [table] with the keys `keys`.
Key Table(absl::string_view name, Keys keys);
// An array of tables ([[name]] blocks). For each block `add` appends an element to the model and
// returns the keys that fill it.
Key Blocks(absl::string_view name, std::function<Keys()> add);
// The same for blocks that become the elements of `items`: `keys_of(&element)` lists the keys
// of one element.
template <typename T>
Key Blocks(absl::string_view name, std::vector<T>* items, Keys (*keys_of)(T* element)) {
  return Blocks(name, [items, keys_of] { return keys_of(&items->emplace_back()); });
}

// Parses `text` (from `source`, the file's name as given) and reads it through `root`, the
// top-level keys. Every key not in the lists is reported as unknown, with a "did you mean" for
// near misses. Returns false if `text` is not valid TOML; then the syntax error is the one
// problem reported and nothing was read.
bool ReadToml(absl::string_view text, const std::string& source, const Keys& root,
              Problems* problems);

// An RFC 3339 time with UTC offset ("2026-03-02T08:00:00+01:00"); nullopt if `text` is none.
std::optional<absl::Time> ParseRfc3339(absl::string_view text);
// What a problem says when a time is not one (followed by ", got <value>").
inline constexpr absl::string_view kRfc3339Expected =
    "expected an RFC 3339 time with UTC offset, e.g. \"2026-03-02T08:00:00+01:00\"";

}  // namespace lotse::config::internal
