#pragma once

#include <string_view>

namespace lotse {

// The version of this build, the project's (CMakeLists.txt), e.g. "0.1.0": `--version` of every
// binary, lotse_build_info in /metrics, the status of each service.
std::string_view Version();

}  // namespace lotse
