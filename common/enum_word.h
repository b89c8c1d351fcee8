#pragma once

// Words for protobuf enum values in texts people read (inbox titles, the CLI's history lines):
// the value's name without its prefix. Pure functions, no state.

#include <cstddef>
#include <string>

namespace lotse {

// `name` without its first `prefix` characters ("OUTCOME_RESOLVED", 8 -> "RESOLVED"), or
// `value` as a number when `name` is no longer than the prefix: an empty name is what
// `<Enum>_Name()` gives for a value this build does not know (a newer producer). Never throws
// on outside data.
std::string EnumWord(const std::string& name, size_t prefix, int value);

}  // namespace lotse
