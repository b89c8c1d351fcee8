#pragma once

// The company file (Unternehmensakte) as the web terminal shows it to key account managers and
// admin: the search field, the company's referrals newest first (routing's CompanyReply, as
// `lotse company` prints it) with names from the city's config. Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/config/config.h"
#include "lotse/v1/routing.pb.h"

namespace lotse::web {

// The path of a company's file: "/unternehmen/" + the id %-encoded.
std::string CompanyPath(std::string_view company_id);

// The search form, with `company_id` filled in, and for a KAM (`kam` not null) the companies
// the config assigns to it; for admin (`all_kams`) every KAM's companies.
std::string CompanySearch(std::string_view company_id, const config::Config& config,
                          const config::KeyAccount* kam, bool all_kams);

// The file: who the company is, its KAM, its referrals (a page of them; `next_path` links the
// next page, "" if none).
std::string CompanyFileMain(const lotse::v1::CompanyReply& reply, const config::Config& config,
                            const absl::TimeZone& zone, std::string_view next_path);

}  // namespace lotse::web
