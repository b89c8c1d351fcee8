#include "services/cli/table.h"

#include <algorithm>
#include <utility>

namespace lotse::cli {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length in bytes of the UTF-8 sequence starting at text[i] (1 for a stray byte).
size_t SequenceLength(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t length = 1;
  if (c >= 0xF0) {
    length = 4;
  } else if (c >= 0xE0) {
    length = 3;
  } else if (c >= 0xC0) {
    length = 2;
  }
  if (i + length > text.size()) {
    return 1;
  }
  for (size_t k = 1; k < length; ++k) {
    if (!IsContinuation(static_cast<unsigned char>(text[i + k]))) {
      return 1;
    }
  }
  return length;
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); i += SequenceLength(text, i)) {
    ++width;
  }
  return width;
}

std::string Clip(std::string_view text, size_t max_width) {
  std::string flat;
  flat.reserve(text.size());
  for (char c : text) {
    flat += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  if (DisplayWidth(flat) <= max_width) {
    return flat;
  }
  if (max_width == 0) {
    return "";
  }
  std::string out;
  size_t width = 0;
  for (size_t i = 0; i < flat.size() && width + 1 < max_width;) {
    const size_t length = SequenceLength(flat, i);
    out.append(flat, i, length);
    i += length;
    ++width;
  }
  RightTrim(out);
  out += "…";
  return out;
}

std::string Pad(std::string_view text, size_t width) {
  std::string out(text);
  const size_t have = DisplayWidth(text);
  if (have < width) {
    out.append(width - have, ' ');
  }
  return out;
}

void RightTrim(std::string& line) {
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    cells[i] = Clip(cells[i], columns_[i].max_width);
  }
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const Column& column : columns_) {
    widths.push_back(DisplayWidth(column.header));
  }
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto line = [&](auto cell) {
    std::string out;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) {
        out += "  ";
      }
      out += Pad(cell(i), widths[i]);
    }
    RightTrim(out);
    return out + "\n";
  };
  std::string out = line([&](size_t i) -> std::string { return columns_[i].header; });
  out += line([&](size_t i) { return std::string(widths[i], '-'); });
  for (const auto& row : rows_) {
    out += line([&](size_t i) { return row[i]; });
  }
  return out;
}

}  // namespace lotse::cli
