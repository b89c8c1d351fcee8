#include "common/enum_word.h"

namespace lotse {

std::string EnumWord(const std::string& name, size_t prefix, int value) {
  return name.size() > prefix ? name.substr(prefix) : std::to_string(value);
}

}  // namespace lotse
