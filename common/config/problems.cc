#include "common/config/problems.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lotse::config::internal {
namespace {

constexpr size_t kMaxShownChars = 60;

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

bool IsBareKey(absl::string_view key) {
  if (key.empty()) {
    return false;
  }
  return std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

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

std::string DidYouMean(absl::string_view word, std::span<const absl::string_view> candidates) {
  const absl::string_view best = Closest(word, candidates);
  if (best.empty()) {
    return "";
  }
  return absl::StrCat(" (did you mean ", Quote(best), "?)");
}

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

void Problems::Add(absl::string_view path, absl::string_view what) {
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

bool Problems::HasProblemAt(absl::string_view path) const {
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

absl::Status Problems::ToStatus() const {
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

Origin Problems::Lookup(absl::string_view path) const {
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

}  // namespace lotse::config::internal
