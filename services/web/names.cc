#include "services/web/names.h"

#include "common/format.h"

namespace lotse::web {

std::string UnitName(const config::Config& config, std::string_view id) {
  if (const config::Department* d = config.FindDepartment(id)) {
    return d->name;
  }
  if (const config::KeyAccount* k = config.FindKeyAccount(id)) {
    return StrCat("Key Account ", k->name);
  }
  if (const config::Office* o = config.FindOffice(id)) {
    return o->name;
  }
  return std::string(id);
}

std::string TopicName(const config::Config& config, std::string_view id) {
  const config::Topic* t = config.FindTopic(id);
  return t != nullptr ? t->name : std::string(id);
}

}  // namespace lotse::web
