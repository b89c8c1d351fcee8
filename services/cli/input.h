#pragma once

// What people type into `lotse` beyond the words (common/client/words.h): `--text -` reads the
// text from stdin.

#include <string>

namespace lotse::cli {

// `text` itself, or for "-" everything on stdin without its trailing line breaks (for long
// questions and answers: `--text -`). Blocks until stdin ends.
std::string TextOrStdin(const std::string& text);

}  // namespace lotse::cli
