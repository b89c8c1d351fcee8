#pragma once

// What people type into `lotse`, read into values: the words of --priority, --outcome,
// --resolved and --rating, and `--text -` from stdin. Parsers return nullopt for anything they
// do not accept and never print (input_test.cc); the CLI11 validators in command_line.h turn
// that into a usage error.

#include <optional>
#include <string>
#include <string_view>

#include "lotse/v1/common.pb.h"

namespace lotse::cli {

// The words a person may type, case-insensitive. nullopt for anything else.
std::optional<lotse::v1::Priority> ParsePriority(std::string_view text);  // low|normal|high|urgent
std::optional<lotse::v1::Outcome> ParseOutcome(std::string_view text);    // resolved|partly|
                                                                          // not-responsible
std::optional<bool> ParseYesNo(std::string_view text);                    // yes|no (also ja|nein)
std::optional<int> ParseRating(std::string_view text);                    // 1..5

// `text` itself, or for "-" everything on stdin without its trailing line breaks (for long
// questions and answers: `--text -`). Blocks until stdin ends.
std::string TextOrStdin(const std::string& text);

}  // namespace lotse::cli
