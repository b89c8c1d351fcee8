#include "services/intake/open_cases.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_split.h"
#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::intake {
namespace {

std::string Key(const lotse::v1::ReferralState& state) {
  return StrCat(NormalizeCompanyId(state.referral().company_id()), std::string_view("\0", 1),
                state.referral().topic());
}

}  // namespace

std::string NormalizeCompanyId(std::string_view company_id) {
  std::string out;
  for (const char c : company_id) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      out += c;
    } else if (std::isalnum(u) != 0) {
      out += static_cast<char>(std::tolower(u));
    }
  }
  return out;
}

absl::StatusOr<std::vector<OpenCases::Entry>> OpenCases::Load(const store::Batch& batch,
                                                              const std::string& key) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value, batch.Get(cf_, key));
  std::vector<Entry> entries;
  if (!value.has_value()) {
    return entries;
  }
  for (const absl::string_view line : absl::StrSplit(*value, '\n', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits(' ', 1));
    entries.push_back({std::string(parts.first), std::string(parts.second)});
  }
  return entries;
}

void OpenCases::Save(store::Batch& batch, const std::string& key,
                     const std::vector<Entry>& entries) const {
  if (entries.empty()) {
    batch.Delete(cf_, key);
    return;
  }
  std::string value;
  for (const Entry& e : entries) {
    StrAppend(&value, e.referral_id, " ", e.case_number, "\n");
  }
  batch.Put(cf_, key, value);
}

absl::StatusOr<std::vector<std::string>> OpenCases::Others(
    const store::Batch& batch, const lotse::v1::ReferralState& state) const {
  LOTSE_ASSIGN_OR_RETURN(std::vector<Entry> entries, Load(batch, Key(state)));
  std::vector<std::string> out;
  for (const Entry& e : entries) {
    if (e.referral_id != state.referral_id()) {
      out.push_back(e.case_number);
    }
  }
  return out;
}

absl::Status OpenCases::Add(store::Batch& batch, const lotse::v1::ReferralState& state) const {
  const std::string key = Key(state);
  LOTSE_ASSIGN_OR_RETURN(std::vector<Entry> entries, Load(batch, key));
  for (const Entry& e : entries) {
    if (e.referral_id == state.referral_id()) {
      return absl::OkStatus();
    }
  }
  entries.push_back({state.referral_id(), state.case_number()});
  Save(batch, key, entries);
  return absl::OkStatus();
}

absl::Status OpenCases::Remove(store::Batch& batch, const lotse::v1::ReferralState& state) const {
  const std::string key = Key(state);
  LOTSE_ASSIGN_OR_RETURN(std::vector<Entry> entries, Load(batch, key));
  const auto end = std::remove_if(entries.begin(), entries.end(), [&](const Entry& e) {
    return e.referral_id == state.referral_id();
  });
  if (end == entries.end()) {
    return absl::OkStatus();
  }
  entries.erase(end, entries.end());
  Save(batch, key, entries);
  return absl::OkStatus();
}

}  // namespace lotse::intake
