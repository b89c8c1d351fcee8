#include "services/cli/input.h"

#include <iostream>
#include <iterator>

namespace lotse::cli {

std::string TextOrStdin(const std::string& text) {
  if (text != "-") {
    return text;
  }
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  while (!in.empty() && (in.back() == '\n' || in.back() == '\r')) {
    in.pop_back();
  }
  return in;
}

}  // namespace lotse::cli
