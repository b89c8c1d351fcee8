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

std::optional<lotse::v1::AccountRole> ParseAccountRole(std::string_view text) {
  lotse::v1::AccountRole role;
  if (text == "ops" || text == "admin") {
    role.set_kind(text == "ops" ? lotse::v1::ACTOR_KIND_OPS : lotse::v1::ACTOR_KIND_ADMIN);
    role.set_id(std::string(text));
    return role;
  }
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return std::nullopt;
  }
  const std::string_view kind = text.substr(0, colon);
  std::string_view id = text.substr(colon + 1);
  if (kind == "office") {
    role.set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  } else if (kind == "department" || kind == "key-account") {
    role.set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    if (const size_t slash = id.find('/');
        kind == "department" && slash != std::string_view::npos) {
      if (slash == 0 || slash + 1 == id.size()) {
        return std::nullopt;
      }
      role.set_user(std::string(id.substr(slash + 1)));
      id = id.substr(0, slash);
    }
  } else {
    return std::nullopt;
  }
  if (id.find_first_of(":/") != std::string_view::npos) {
    return std::nullopt;
  }
  role.set_id(std::string(id));
  return role;
}

std::string AccountRoleWord(const lotse::v1::AccountRole& role, bool key_account) {
  switch (role.kind()) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      return "office:" + role.id();
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      if (key_account) {
        return "key-account:" + role.id();
      }
      return role.user().empty() ? "department:" + role.id()
                                 : "department:" + role.id() + "/" + role.user();
    case lotse::v1::ACTOR_KIND_OPS:
      return "ops";
    case lotse::v1::ACTOR_KIND_ADMIN:
      return "admin";
    default:
      return "?" + role.id();
  }
}

}  // namespace lotse::client
