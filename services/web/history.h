#pragma once

// A referral's events as the people at the office and in the department read them: one German
// line per event, naming departments, offices and staff by their names from the city's config.
// (The CLI's English lines are services/cli/output.cc's DescribeEvent.)

#include <string>

#include "common/config/config.h"
#include "lotse/v1/events.pb.h"

namespace lotse::web {

std::string EventLine(const config::Config& config, const lotse::v1::Envelope& event);

class Site;
struct Caller;
// The referral's history as the caller may see it (audit, as the office or the department), as
// a page section; a line that says it cannot be loaded when audit does not answer.
std::string ReferralHistory(Site& site, const Caller& caller, const std::string& ref);

}  // namespace lotse::web
