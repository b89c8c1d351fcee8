#include "common/client/words.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>
#include <utility>

namespace lotse::client {
namespace {

template <typename T>
using Words = std::initializer_list<std::pair<std::string_view, T>>;

// The value of the word `text` stands for in `words`, ignoring case.
template <typename T>
std::optional<T> Lookup(std::string_view text, Words<T> words) {
  std::string word(text);
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [candidate, value] : words) {
    if (word == candidate) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<lotse::v1::Priority> ParsePriority(std::string_view text) {
  return Lookup<lotse::v1::Priority>(text, {{"low", lotse::v1::PRIORITY_LOW},
                                            {"normal", lotse::v1::PRIORITY_NORMAL},
                                            {"high", lotse::v1::PRIORITY_HIGH},
                                            {"urgent", lotse::v1::PRIORITY_URGENT}});
}

std::optional<lotse::v1::Outcome> ParseOutcome(std::string_view text) {
  return Lookup<lotse::v1::Outcome>(text,
                                    {{"resolved", lotse::v1::OUTCOME_RESOLVED},
                                     {"partly", lotse::v1::OUTCOME_PARTLY},
                                     {"not-responsible", lotse::v1::OUTCOME_NOT_RESPONSIBLE}});
}

std::optional<bool> ParseYesNo(std::string_view text) {
  return Lookup<bool>(text, {{"yes", true},
                             {"ja", true},
                             {"y", true},
                             {"true", true},
                             {"no", false},
                             {"nein", false},
                             {"n", false},
                             {"false", false}});
}

std::optional<int> ParseRating(std::string_view text) {
  if (text.size() == 1 && text[0] >= '1' && text[0] <= '5') {
    return text[0] - '0';
  }
  return std::nullopt;
}

}  // namespace lotse::client
