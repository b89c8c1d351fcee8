#include "common/version.h"

namespace lotse {

std::string_view Version() { return LOTSE_VERSION; }

}  // namespace lotse
