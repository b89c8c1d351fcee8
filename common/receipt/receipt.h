#pragma once

// The receipt (Empfangsbestätigung) a citizen office hands or sends to the company after a
// submit, as plain text and as one self-contained HTML page that prints on one A4 sheet.
// Intake builds the lotse::v1::Receipt; these functions only lay it out, so the CLI and the web
// gateway print the same receipt. Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "lotse/v1/intake.pb.h"

namespace lotse::receipt {

// "Do, 12.03.2026, 16:00 Uhr" in `zone`: how a German office writes a date and time for a
// company. "" for 0 (not set).
std::string GermanDateTime(int64_t micros, const absl::TimeZone& zone);

// `text` with &, <, >, " and ' replaced by entities, safe inside HTML text and attributes.
std::string EscapeHtml(std::string_view text);

// The receipt as plain text, lines of at most 76 columns, ending in '\n'.
std::string RenderText(const lotse::v1::Receipt& receipt, const absl::TimeZone& zone);

// The receipt's sheet (a <div class="sheet">, every value escaped) and the style sheet that
// prints it on one A4 page: the web terminal shows the sheet within its page.
std::string RenderSheet(const lotse::v1::Receipt& receipt, const absl::TimeZone& zone);
std::string_view StyleSheet();

// The receipt as one HTML document: inline CSS only (no scripts, fonts or images from
// elsewhere), @page A4, every value escaped.
std::string RenderHtml(const lotse::v1::Receipt& receipt, const absl::TimeZone& zone);

}  // namespace lotse::receipt
