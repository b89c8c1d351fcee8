#pragma once

// What the pages call the city's units and topics: the names of the config, the id where the
// config has none (a unit since removed from it still shows).

#include <string>
#include <string_view>

#include "common/config/config.h"

namespace lotse::web {

// An office's, department's or KAM's name ("Key Account Anna Schneider").
std::string UnitName(const config::Config& config, std::string_view id);
std::string TopicName(const config::Config& config, std::string_view id);

}  // namespace lotse::web
