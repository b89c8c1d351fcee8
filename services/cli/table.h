#pragma once

// Text layout for a terminal: the display width of UTF-8 text, clipping it to a column, and
// aligned tables. Knows nothing of Lotse's messages; every function returns a string
// (table_test.cc).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lotse::cli {

// Columns a terminal needs for `text`: one per UTF-8 code point (no East Asian wide forms in a
// German administration's data). Invalid bytes count one each.
size_t DisplayWidth(std::string_view text);
// `text` on one line (newlines and tabs become spaces) and at most `max_width` columns; a cut is
// marked with "…". Never splits a UTF-8 sequence.
std::string Clip(std::string_view text, size_t max_width);
// `text` followed by spaces up to `width` columns (none when it is as wide already).
std::string Pad(std::string_view text, size_t width);
// Removes the spaces at the end of `line`.
void RightTrim(std::string& line);

// A text table with a header row, columns aligned by display width, two spaces between columns.
// Cells are clipped to their column's maximum width. Not thread-safe.
class Table {
 public:
  struct Column {
    std::string header;
    size_t max_width = 40;
  };
  explicit Table(std::vector<Column> columns);
  // Adds a row; missing cells are empty, extra cells are ignored.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // The header, a rule of '-', and every row, each line ending in '\n'. Trailing spaces are
  // trimmed.
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace lotse::cli
