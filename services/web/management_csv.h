#pragma once

// CSV files for spreadsheets as a German office opens them: cells separated by ';', lines by
// CRLF, UTF-8 with a byte order mark (without it Excel reads UTF-8 as Windows-1252), and no cell
// that a spreadsheet would run as a formula. Pure functions; thread-safe.

#include <string>
#include <string_view>
#include <vector>

namespace lotse::web {

// One cell: a text that starts with = + - @ (or a tab or carriage return, which some
// spreadsheets skip before looking) gets a leading ' so that it stays text; a cell with ';', '"'
// or a line break is quoted, its quotes doubled.
std::string CsvCell(std::string_view text);

// The rows as one file: the byte order mark, then each row's cells (CsvCell) joined by ';',
// each line ended by CRLF. No rows: the byte order mark alone.
std::string Csv(const std::vector<std::vector<std::string>>& rows);

// What a Content-Disposition header names the file: attachment; filename="<name>" (the name
// limited to letters, digits, '.', '-' and '_', anything else becomes '_').
std::string AttachmentHeader(std::string_view name);

}  // namespace lotse::web
