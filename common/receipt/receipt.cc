#include "common/receipt/receipt.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "common/format.h"

namespace lotse::receipt {
namespace {

constexpr size_t kTextWidth = 76;
constexpr size_t kLabelWidth = 29;  // "Antwort voraussichtlich bis:" and a space

// Columns `text` takes: UTF-8 code points (every receipt text is German or ASCII).
size_t Columns(std::string_view text) {
  size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

// `text` broken into lines of at most `width` columns at spaces; a longer word stands alone.
std::vector<std::string> Wrap(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of(" \n", start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view word = text.substr(start, end - start);
    if (!word.empty()) {
      if (!line.empty() && Columns(line) + 1 + Columns(word) > width) {
        lines.push_back(std::move(line));
        line.clear();
      }
      if (!line.empty()) {
        line += ' ';
      }
      line.append(word.data(), word.size());
    }
    if (end < text.size() && text[end] == '\n' && !line.empty()) {
      lines.push_back(std::move(line));
      line.clear();
    }
    start = end + 1;
  }
  if (!line.empty()) {
    lines.push_back(std::move(line));
  }
  return lines;
}

struct Row {
  std::string label;
  std::string value;
};

std::string ContactLine(const lotse::v1::StaffContact& c) {
  std::string out = c.name();
  if (!c.phone().empty()) {
    out += StrCat(", Tel. ", c.phone());
  }
  if (!c.email().empty()) {
    out += StrCat(", ", c.email());
  }
  return out;
}

// The labelled facts of the receipt, in the order both renderings show them.
std::vector<Row> Rows(const lotse::v1::Receipt& r, const absl::TimeZone& zone) {
  std::vector<Row> rows;
  rows.push_back({"Vorgangsnummer", r.case_number()});
  rows.push_back({"Eingegangen am", GermanDateTime(r.submitted_at_us(), zone)});
  rows.push_back({"Unternehmen", r.company_name()});
  rows.push_back({"Anliegen", r.topic_name().empty() ? r.topic() : r.topic_name()});
  if (!r.attachments().empty()) {
    rows.push_back({"Anlagen", absl::StrJoin(r.attachments(), ", ")});
  }
  std::string department = r.department_name().empty() ? r.department() : r.department_name();
  rows.push_back({"Zuständig", department.empty() ? "wird gerade ermittelt" : department});
  if (!r.contact_person().name().empty()) {
    rows.push_back({"Ansprechperson", ContactLine(r.contact_person())});
  }
  rows.push_back({"Antwort voraussichtlich bis",
                  r.expected_by_us() != 0 ? GermanDateTime(r.expected_by_us(), zone)
                                          : "wird mitgeteilt, sobald das Fachamt übernommen hat"});
  rows.push_back({"Ihr Bürgerbüro", r.office_name().empty() ? r.office() : r.office_name()});
  return rows;
}

constexpr std::string_view kCodeText =
    "Mit diesem Code bewerten Sie die Antwort selbst, sobald sie Ihnen vorliegt: einmal, ohne "
    "Benutzerkonto. Der Code gilt nur für diese Anfrage; bitte geben Sie ihn nicht weiter.";

std::string Title(const lotse::v1::Receipt& r) {
  return r.city().empty() ? std::string("Empfangsbestätigung")
                          : StrCat("Empfangsbestätigung – Stadt ", r.city());
}

}  // namespace

std::string GermanDateTime(int64_t micros, const absl::TimeZone& zone) {
  if (micros == 0) {
    return "";
  }
  static constexpr std::array<std::string_view, 7> kDays = {"Mo", "Di", "Mi", "Do",
                                                            "Fr", "Sa", "So"};
  const absl::CivilSecond t = absl::ToCivilSecond(absl::FromUnixMicros(micros), zone);
  const absl::Weekday day = absl::GetWeekday(t);  // kMonday == 0
  return fmt::format("{}, {:02}.{:02}.{:04}, {:02}:{:02} Uhr", kDays[static_cast<int>(day)],
                     t.day(), t.month(), t.year(), t.hour(), t.minute());
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderText(const lotse::v1::Receipt& r, const absl::TimeZone& zone) {
  std::string out = StrCat(Title(r), "\n", std::string(Columns(Title(r)), '='), "\n\n");
  for (const Row& row : Rows(r, zone)) {
    const std::vector<std::string> lines = Wrap(row.value, kTextWidth - kLabelWidth - 1);
    std::string label = StrCat(row.label, ":");
    label.append(kLabelWidth + 1 - std::min(Columns(label), kLabelWidth), ' ');
    for (size_t i = 0; i < lines.size() || i == 0; ++i) {
      out += StrCat(i == 0 ? label : std::string(kLabelWidth + 1, ' '),
                    i < lines.size() ? lines[i] : std::string(), "\n");
    }
  }
  if (!r.next_steps().empty()) {
    out += "\nSo geht es weiter\n";
    for (const std::string& line : Wrap(r.next_steps(), kTextWidth)) {
      out += StrCat(line, "\n");
    }
  }
  if (!r.feedback_code().empty()) {
    out += StrCat("\nIhr Rückmeldecode: ", r.feedback_code(), "\n");
    for (const std::string& line : Wrap(kCodeText, kTextWidth)) {
      out += StrCat(line, "\n");
    }
  }
  return out;
}

std::string_view StyleSheet() {
  // One A4 sheet: fixed page box and margins, system fonts only, nothing loaded from elsewhere
  // (the page must print the same without a network).
  return "@page { size: A4; margin: 20mm 18mm; }\n"
         ".sheet { max-width: 174mm; margin: 0 auto; font-family: \"DejaVu Sans\", Arial,"
         " Helvetica, sans-serif; font-size: 10.5pt; line-height: 1.4; color: #000; }\n"
         ".sheet h1 { font-size: 16pt; margin: 0 0 2mm 0; }\n"
         ".sheet .office { font-size: 11pt; margin: 0 0 6mm 0; color: #333; }\n"
         ".sheet table { border-collapse: collapse; width: 100%; margin-bottom: 6mm; }\n"
         ".sheet th { text-align: left; vertical-align: top; width: 58mm;"
         " padding: 1.5mm 3mm 1.5mm 0; font-weight: bold; }\n"
         ".sheet td { vertical-align: top; padding: 1.5mm 0; }\n"
         ".sheet tr { border-bottom: 0.3mm solid #ccc; }\n"
         ".sheet h2 { font-size: 12pt; margin: 0 0 2mm 0; }\n"
         ".sheet p { margin: 0 0 4mm 0; }\n"
         ".sheet .code { border: 0.5mm solid #000; padding: 4mm; margin-top: 4mm;"
         " page-break-inside: avoid; }\n"
         ".sheet .code .value { font-family: \"DejaVu Sans Mono\", \"Courier New\", monospace;"
         " font-size: 16pt; letter-spacing: 1mm; font-weight: bold; margin: 1mm 0 2mm 0; }\n";
}

std::string RenderSheet(const lotse::v1::Receipt& r, const absl::TimeZone& zone) {
  std::string out = StrCat(
      "<div class=\"sheet\">\n<h1>", EscapeHtml(Title(r)), "</h1>\n<div class=\"office\">",
      EscapeHtml(r.office_name().empty() ? r.office() : r.office_name()), "</div>\n<table>\n");
  for (const Row& row : Rows(r, zone)) {
    out += StrCat("<tr><th scope=\"row\">", EscapeHtml(row.label), "</th><td>",
                  EscapeHtml(row.value), "</td></tr>\n");
  }
  out += "</table>\n";
  if (!r.next_steps().empty()) {
    out += StrCat("<h2>So geht es weiter</h2>\n<p>", EscapeHtml(r.next_steps()), "</p>\n");
  }
  if (!r.feedback_code().empty()) {
    out += StrCat("<div class=\"code\"><h2>Ihr Rückmeldecode</h2>\n<div class=\"value\">",
                  EscapeHtml(r.feedback_code()), "</div>\n<p>", EscapeHtml(kCodeText),
                  "</p></div>\n");
  }
  out += "</div>\n";
  return out;
}

std::string RenderHtml(const lotse::v1::Receipt& r, const absl::TimeZone& zone) {
  return StrCat("<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
                EscapeHtml(Title(r)), " ", EscapeHtml(r.case_number()), "</title>\n<style>\n",
                "html, body { margin: 0; padding: 0; }\n", StyleSheet(),
                "</style>\n</head>\n<body>\n", RenderSheet(r, zone), "</body>\n</html>\n");
}

}  // namespace lotse::receipt
