#pragma once

// A referral's events as the people at the office and in the department read them: one German
// line per event, naming departments, offices and staff by their names from the city's config.
// (The CLI's English lines are services/cli/output.cc's DescribeEvent.)

#include <string>

#include "common/config/config.h"
#include "lotse/v1/events.pb.h"

namespace lotse::web {

std::string EventLine(const config::Config& config, const lotse::v1::Envelope& event);

}  // namespace lotse::web
