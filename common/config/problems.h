#pragma once

// Internal to common/config: the error collection that the reader, the overrides and the
// validation report into, and the helpers that write one problem's text.

#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lotse::config::internal {

// Debian's Abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so
// the std::string_view of our interface is converted where it meets Abseil.
inline absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

// Quotes `s` for a message: escapes quotes, backslashes and control characters, and shortens
// long values (at a UTF-8 character boundary).
std::string Quote(absl::string_view s);

// A number as messages show it (absl::StrCat: "0.75", "24", "1e+06").
std::string FormatNumber(double value);

// " (did you mean "x"?)" if one of `candidates` is a plausible typo of `word`, else "".
std::string DidYouMean(absl::string_view word, std::span<const absl::string_view> candidates);

// "prefix.key"; keys that TOML would need to quote are quoted.
std::string JoinPath(absl::string_view prefix, absl::string_view key);
// "prefix[index]".
std::string IndexPath(absl::string_view prefix, size_t index);

// Where the value at a key path came from: a file (with line) or an environment variable/flag.
struct Origin {
  std::string source;
  int line = 0;
};

// Every problem found while building one Config, one line each, attributed to where the value
// came from: "<source>: <key path>: <what> (line N)". Owned by the ParseConfig or Load call that
// builds the Config; not thread-safe.
class Problems {
 public:
  // `default_source` is the file (its name as given); a path without a recorded origin is
  // attributed to it.
  explicit Problems(std::string default_source) : default_source_(std::move(default_source)) {}

  // Records where the value at `path` came from; a later call for the same path replaces it.
  void SetOrigin(const std::string& path, Origin origin) { origins_[path] = std::move(origin); }

  // Reports a problem with the value at `path`. Only the first problem per source and path is
  // kept, so that e.g. a value of the wrong type is not also reported as out of range.
  void Add(absl::string_view path, absl::string_view what);

  // A problem that is not about one key (e.g. a syntax error).
  void AddLine(std::string text) { entries_.push_back(Entry{false, 0, std::move(text)}); }

  // True if a problem was reported for `path` or anything below it.
  bool HasProblemAt(absl::string_view path) const;

  bool empty() const { return entries_.empty(); }

  // InvalidArgument listing every problem, one per line: the file's in line order first (those
  // without a line last), then those from the environment and the command line.
  absl::Status ToStatus() const;

 private:
  struct Entry {
    bool overridden;  // from the environment or the command line, not the file
    int line;         // 0 if unknown
    std::string text;
  };

  // The origin of `path`, else of its nearest ancestor ("a.b[2].c" -> "a.b[2]" -> "a.b" -> "a").
  Origin Lookup(absl::string_view path) const;

  std::string default_source_;
  std::map<std::string, Origin, std::less<>> origins_;
  std::set<std::string> reported_;
  std::set<std::string, std::less<>> reported_paths_;
  std::vector<Entry> entries_;
};

}  // namespace lotse::config::internal
