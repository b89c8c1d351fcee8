#include "common/config/reader.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <system_error>
#include <toml.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lotse::config::internal {
namespace {

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

template <typename T>
std::string Streamed(const T& value) {
  std::ostringstream text;
  text << value;
  return text.str();
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
    case toml::value_t::local_time:
      return absl::StrCat(TypeName(value), " (", Streamed(value), ")");
    default:
      return std::string(TypeName(value));
  }
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

// What every TableReader of one file shares.
struct File {
  std::string source;
  Problems* problems = nullptr;
  std::vector<absl::string_view> root_keys;  // the top-level keys, for a hint
};

std::vector<absl::string_view> NamesOf(const Keys& keys) {
  std::vector<absl::string_view> names;
  names.reserve(keys.size());
  for (const Key& key : keys) {
    names.push_back(key.name);
  }
  return names;
}

}  // namespace

class TableReader {
 public:
  TableReader(const File* file, const toml::value& table, std::string path)
      : file_(file), table_(&table), path_(std::move(path)) {}

  // Reports every key of the table that is not in `keys` (in file order), then reads each of
  // `keys` in turn.
  void Read(const Keys& keys) {
    CheckKeys(NamesOf(keys));
    for (const Key& key : keys) {
      key.read(*this);
    }
  }

  // A reader for `table`, which stands at `path` below this one.
  TableReader Nested(const toml::value& table, std::string path) const {
    return {file_, table, std::move(path)};
  }

  // "departments[2].sla_hours" for key "sla_hours" of table "departments[2]".
  std::string PathOf(absl::string_view key) const { return JoinPath(path_, key); }

  // The value at `key`, its line noted; nullptr if absent, and then reported as missing if
  // `required_example` is set.
  const toml::value* Find(absl::string_view key, absl::string_view required_example) {
    const std::string path = PathOf(key);
    const auto& entries = table_->as_table();
    const auto it = entries.find(std::string(key));
    if (it == entries.end()) {
      if (!required_example.empty()) {
        Add(path, absl::StrCat("missing; required, e.g. ", required_example));
      }
      return nullptr;
    }
    Note(path, it->second);
    return &it->second;
  }

  // Records that the value at `path` stands at its line of this file.
  void Note(const std::string& path, const toml::value& value) {
    file_->problems->SetOrigin(path,
                               Origin{file_->source, static_cast<int>(value.location().line())});
  }

  void Add(const std::string& path, absl::string_view what) { file_->problems->Add(path, what); }

  void TypeError(const std::string& path, absl::string_view expected, const toml::value& value) {
    Add(path, absl::StrCat("expected ", expected, ", got ", Shown(value)));
  }

 private:
  void CheckKeys(const std::vector<absl::string_view>& known) {
    std::vector<std::pair<std::uint_least32_t, std::string>> unknown;
    for (const auto& [key, value] : table_->as_table()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        unknown.emplace_back(value.location().line(), key);
      }
    }
    std::sort(unknown.begin(), unknown.end());
    const std::vector<absl::string_view>& root_keys = file_->root_keys;
    for (const auto& [line, key] : unknown) {
      const std::string key_path = PathOf(key);
      Note(key_path, table_->as_table().at(key));
      std::string hint = DidYouMean(key, known);
      if (hint.empty() && !path_.empty() &&
          std::find(root_keys.begin(), root_keys.end(), key) != root_keys.end()) {
        hint = absl::StrCat(" here; ", key,
                            " is a top-level key and must come before the first "
                            "[table] header");
      }
      if (hint.empty()) {
        hint = absl::StrCat("; known keys here: ", absl::StrJoin(known, ", "));
      }
      Add(key_path, absl::StrCat("unknown key", hint));
    }
  }

  const File* file_;
  const toml::value* table_;
  std::string path_;
};

namespace {

// A key whose value, if present, `convert` puts into the model (or reports); see Find.
Key ValueKey(
    absl::string_view name, absl::string_view required_example,
    std::function<void(TableReader& table, const std::string& path, const toml::value& value)>
        convert) {
  return {name, [name, required_example, convert = std::move(convert)](TableReader& table) {
            if (const toml::value* value = table.Find(name, required_example)) {
              convert(table, table.PathOf(name), *value);
            }
          }};
}

// An array of strings; with `allow_dates`, TOML dates (2026-12-24 without quotes) are accepted
// too and stored as "YYYY-MM-DD".
Key ListKey(absl::string_view name, std::vector<std::string>* out, bool allow_dates,
            absl::string_view required_example) {
  return ValueKey(
      name, required_example,
      [out, allow_dates](TableReader& table, const std::string& path, const toml::value& value) {
        if (!value.is_array()) {
          table.TypeError(path, R"(an array of strings, e.g. ["a", "b"])", value);
          return;
        }
        out->clear();
        const auto& array = value.as_array();
        for (size_t i = 0; i < array.size(); ++i) {
          const std::string element_path = IndexPath(path, i);
          table.Note(element_path, array[i]);
          if (array[i].is_string()) {
            out->push_back(array[i].as_string().str);
          } else if (allow_dates && array[i].is_local_date()) {
            out->push_back(Streamed(array[i].as_local_date()));
          } else {
            table.TypeError(element_path,
                            allow_dates ? "a date \"YYYY-MM-DD\"" : "a string in quotes", array[i]);
          }
        }
      });
}

}  // namespace

Key String(absl::string_view name, std::string* out, absl::string_view required_example) {
  return ValueKey(name, required_example,
                  [out](TableReader& table, const std::string& path, const toml::value& value) {
                    if (!value.is_string()) {
                      table.TypeError(path, "a string in quotes", value);
                      return;
                    }
                    *out = value.as_string().str;
                  });
}

Key LowerCaseString(absl::string_view name, std::string* out) {
  return {name, [read = String(name, out).read, out](TableReader& table) {
            read(table);
            *out = absl::AsciiStrToLower(*out);
          }};
}

Key Int(absl::string_view name, int* out) {
  return ValueKey(name, {},
                  [out](TableReader& table, const std::string& path, const toml::value& value) {
                    if (!value.is_integer()) {
                      table.TypeError(path, "an integer", value);
                      return;
                    }
                    const std::int64_t number = value.as_integer();
                    if (number < INT_MIN || number > INT_MAX) {
                      table.Add(path, absl::StrCat("out of range, got ", number));
                      return;
                    }
                    *out = static_cast<int>(number);
                  });
}

Key Number(absl::string_view name, double* out, absl::string_view required_example) {
  return ValueKey(name, required_example,
                  [out](TableReader& table, const std::string& path, const toml::value& value) {
                    if (value.is_floating()) {
                      *out = value.as_floating();
                    } else if (value.is_integer()) {
                      *out = static_cast<double>(value.as_integer());
                    } else {
                      table.TypeError(path, "a number", value);
                    }
                  });
}

Key StringList(absl::string_view name, std::vector<std::string>* out,
               absl::string_view required_example) {
  return ListKey(name, out, /*allow_dates=*/false, required_example);
}

Key DateList(absl::string_view name, std::vector<std::string>* out) {
  return ListKey(name, out, /*allow_dates=*/true, {});
}

Key StringMap(absl::string_view name, std::map<std::string, std::string>* out) {
  return ValueKey(name, {},
                  [out](TableReader& table, const std::string& path, const toml::value& value) {
                    if (!value.is_table()) {
                      table.TypeError(path, absl::StrCat("a table [", path, "] of strings"), value);
                      return;
                    }
                    for (const auto& [key, entry] : value.as_table()) {
                      const std::string entry_path = JoinPath(path, key);
                      table.Note(entry_path, entry);
                      if (!entry.is_string()) {
                        table.TypeError(entry_path, "a string in quotes", entry);
                        continue;
                      }
                      (*out)[key] = entry.as_string().str;
                    }
                  });
}

Key Rfc3339Time(absl::string_view name, std::optional<absl::Time>* out) {
  return ValueKey(
      name, {}, [out](TableReader& table, const std::string& path, const toml::value& value) {
        std::string text;
        if (value.is_string()) {
          text = value.as_string().str;
        } else if (value.is_offset_datetime()) {
          text = Streamed(value.as_offset_datetime());
        } else {
          table.TypeError(path, kRfc3339Expected.substr(absl::string_view("expected ").size()),
                          value);
          return;
        }
        const std::optional<absl::Time> time = ParseRfc3339(text);
        if (!time.has_value()) {
          table.Add(path, absl::StrCat(kRfc3339Expected, ", got ", Quote(text)));
          return;
        }
        *out = time;
      });
}

Key Table(absl::string_view name, Keys keys) {
  return ValueKey(name, {},
                  [keys = std::move(keys)](TableReader& table, const std::string& path,
                                           const toml::value& value) {
                    if (!value.is_table()) {
                      table.TypeError(path, absl::StrCat("a table [", path, "]"), value);
                      return;
                    }
                    table.Nested(value, path).Read(keys);
                  });
}

Key Blocks(absl::string_view name, std::function<Keys()> add) {
  return ValueKey(
      name, {},
      [add = std::move(add)](TableReader& table, const std::string& path,
                             const toml::value& value) {
        if (!value.is_array()) {
          table.TypeError(path, absl::StrCat("an array of tables ([[", path, "]] blocks)"), value);
          return;
        }
        const auto& array = value.as_array();
        for (size_t i = 0; i < array.size(); ++i) {
          const std::string element_path = IndexPath(path, i);
          table.Note(element_path, array[i]);
          if (!array[i].is_table()) {
            table.TypeError(element_path, absl::StrCat("a table ([[", path, "]] block)"), array[i]);
            continue;
          }
          table.Nested(array[i], element_path).Read(add());
        }
      });
}

bool ReadToml(absl::string_view text, const std::string& source, const Keys& root,
              Problems* problems) {
  toml::value document;
  try {
    std::istringstream stream{std::string(text)};
    document = toml::parse(stream, source);
  } catch (const toml::exception& error) {
    problems->AddLine(FormatSyntaxError(source, error));
    return false;
  } catch (const std::exception& error) {
    problems->AddLine(absl::StrCat(source, ": cannot parse as TOML: ", error.what()));
    return false;
  }
  try {
    const File file{source, problems, NamesOf(root)};
    TableReader(&file, document, "").Read(root);
  } catch (const std::exception& error) {
    // Not expected: every access above checks the type first.
    problems->AddLine(absl::StrCat(source, ": cannot read: ", error.what()));
    return false;
  }
  return true;
}

std::optional<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return std::nullopt;
  }
  return time;
}

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

}  // namespace lotse::config::internal
