#pragma once

// What people type or pick, read into values: the words of `lotse --priority`, `--outcome`,
// `--resolved` and `--rating`, and the same values of the web terminal's forms. Parsers return
// nullopt for anything they do not accept and never print (words_test.cc); the CLI's validators
// and the web's form checks turn that into an error next to the field.

#include <optional>
#include <string>
#include <string_view>

#include "lotse/v1/common.pb.h"
#include "lotse/v1/web.pb.h"

namespace lotse::client {

// The words a person may type, case-insensitive. nullopt for anything else.
std::optional<lotse::v1::Priority> ParsePriority(std::string_view text);  // low|normal|high|urgent
std::optional<lotse::v1::Outcome> ParseOutcome(std::string_view text);    // resolved|partly|
                                                                          // not-responsible
std::optional<bool> ParseYesNo(std::string_view text);                    // yes|no (also ja|nein)
std::optional<int> ParseRating(std::string_view text);                    // 1..5

// Whom a web account acts for, as `lotse users --acts-for` takes it and `lotse users list`
// shows it: "office:ID", "department:ID", "department:ID/STAFF" (as a named contact person),
// "key-account:ID", "ops", "admin". Whether the city has that unit is the server's check.
std::optional<lotse::v1::AccountRole> ParseAccountRole(std::string_view text);
std::string AccountRoleWord(const lotse::v1::AccountRole& role, bool key_account);

}  // namespace lotse::client
