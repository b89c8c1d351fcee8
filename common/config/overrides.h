#pragma once

// Internal to common/config: the settings that the environment (LOTSE_* variables) and the
// command line (config::Overrides) can override, in one table in overrides.cc.

#include <optional>
#include <string>

#include "common/config/config.h"
#include "common/config/problems.h"

namespace lotse::config::internal {

// The value of environment variable `name`; unset and empty are the same (nullopt).
std::optional<std::string> EnvironmentValue(const char* name);

// Applies to `config` first every set LOTSE_* variable of the table, then every set field of
// `flags`, in the order of the table. Each value is attributed to its source ("$LOTSE_PORT_BASE",
// "command line"); one that does not parse is reported in `problems` and leaves the field as it
// was. Reads the environment with getenv.
void ApplyOverrides(const Overrides& flags, Config* config, Problems* problems);

}  // namespace lotse::config::internal
