#pragma once

// The duplicate warning (item 9 of the case work): open referrals by company and topic, so a
// submit for a company that already has an open referral on the same topic names that case.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"

namespace lotse::intake {

// The company id as offices may type it differently: ASCII letters lower-cased, spaces and
// punctuation dropped ("HRB 12345", "hrb-12345" and "HRB12345." are one company). Bytes of
// non-ASCII characters are kept as they are.
std::string NormalizeCompanyId(std::string_view company_id);

// One column family: (normalized company id, topic) -> the open referrals of that pair, one
// "<referral id> <case number>" line each. A list in one value (rather than a key per referral)
// is read and written through the batch, so two submits in one commit see each other. Holds only
// the family number. Thread-compatible.
class OpenCases {
 public:
  explicit OpenCases(store::Cf cf) : cf_(cf) {}
  // The case numbers of the other open referrals of `state`'s company on its topic.
  absl::StatusOr<std::vector<std::string>> Others(const store::Batch& batch,
                                                  const lotse::v1::ReferralState& state) const;
  // Adds `state` (once; adding again changes nothing).
  absl::Status Add(store::Batch& batch, const lotse::v1::ReferralState& state) const;
  // Removes `state` if it is listed.
  absl::Status Remove(store::Batch& batch, const lotse::v1::ReferralState& state) const;

 private:
  struct Entry {
    std::string referral_id;
    std::string case_number;
  };
  absl::StatusOr<std::vector<Entry>> Load(const store::Batch& batch, const std::string& key) const;
  void Save(store::Batch& batch, const std::string& key, const std::vector<Entry>& entries) const;
  store::Cf cf_;
};

}  // namespace lotse::intake
