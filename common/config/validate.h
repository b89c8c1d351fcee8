#pragma once

// Internal to common/config: validation of an assembled Config (file, environment and flags
// merged): values, ranges, ids and references.

#include <string>

#include "absl/strings/string_view.h"
#include "common/config/config.h"
#include "common/config/problems.h"

namespace lotse::config::internal {

// Checks every value of `config` and reports each problem in `problems`, at the key path of the
// value. Resolves what the model keeps in resolved form: `config->city.zone` is loaded from
// `city.timezone` (left as it was if that is not a known zone, which is reported).
void Validate(Config* config, Problems* problems);

// A company id as compared: without surrounding white space, ASCII lower case.
std::string NormalizeCompany(absl::string_view company);

}  // namespace lotse::config::internal
