#pragma once

// A citizen office's list of its own referrals ("Unsere Anfragen"): an index per office, newest
// first, whose entries are the list's lines, and the paged, filtered read of it.
//
// Key: office, '\0', the submission time inverted (8 bytes big-endian of ~submitted_at_us, so a
// plain scan runs newest first), the referral id. All three never change, so a referral has
// one key for its whole life. Value: the ReferralListEntry built from intake's record
// (ListEntryOf), rewritten with the record in the same batch whenever intake's view of the
// referral changes: ReferralRecords is the only way intake writes a record, so a crash never
// leaves the list and the record apart. A listing reads the index alone, never the records
// (which carry the question's text and the attachments' list).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "common/service/erasure.h"
#include "common/service/personal_data.h"
#include "common/service/referral_table.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/intake.pb.h"

namespace lotse::intake {

inline constexpr uint32_t kDefaultListLimit = 50;
inline constexpr uint32_t kMaxListLimit = 200;
// Index entries one page examines at most: a filter that matches little ends its page early
// (with `next`) instead of holding the service thread for the office's whole history.
inline constexpr size_t kMaxListScan = 5000;
// Characters (code points) of the answer an entry shows.
inline constexpr size_t kAnswerExcerptChars = 160;
// The meta key that says the index covers every record (written by the one-time rebuild).
inline constexpr std::string_view kOfficeListBuiltKey = "office_list/built";

// The state words of the list: "open", "waiting", "answered", "closed".
std::string_view ListStateOf(const lotse::v1::ReferralState& state);
// `text` on one line (runs of spaces, tabs and newlines as one space), at most `max_chars` code
// points; a cut falls after a word where one ends in the last fifth, and is marked "…". Never
// splits a UTF-8 sequence.
std::string Excerpt(std::string_view text, size_t max_chars);
// `text` with ASCII and Latin-1 capitals (Ä, Ö, Ü, …) in small letters; other bytes unchanged.
std::string FoldCase(std::string_view text);

// The list's line for `state`, as the index stores it (no names from the config).
lotse::v1::ReferralListEntry ListEntryOf(const lotse::v1::ReferralState& state);
// office + '\0': every key of the office's list begins with it.
std::string OfficeListPrefix(std::string_view office);
// The index key of `state`.
std::string OfficeListKey(const lotse::v1::ReferralState& state);

// The office lists in one column family. Holds only the family number. Thread-compatible.
class OfficeList {
 public:
  explicit OfficeList(store::Cf cf) : cf_(cf) {}

  store::Cf family() const { return cf_; }

  // Writes `state`'s entry into `batch` (the batch that writes the record).
  void Put(store::Batch& batch, const lotse::v1::ReferralState& state) const;
  // Deletes `state`'s entry (the referral's retention ran out).
  void Delete(store::Batch& batch, const lotse::v1::ReferralState& state) const {
    batch.Delete(cf_, OfficeListKey(state));
  }

  // For a database written before the index existed: once, before the service serves, writes
  // the entry of every record of the family `referrals` (in synced commits of at most 1,000)
  // and then kOfficeListBuiltKey. A start that finds the key does nothing. Returns how many
  // entries it wrote (0 when there was nothing to do). A crash half way leaves no key: the next
  // start writes them all again, which changes nothing for those already written.
  absl::StatusOr<size_t> BuildOnce(store::Store& store, store::Cf referrals) const;

  // One page of the list `request` asks for, as `actor` (the effective actor: an office, or
  // admin naming the office), from what `store` has committed. Changes nothing. Errors:
  // InvalidArgument naming the field (limit, after, states, search, submitted_from,
  // submitted_to, office for admin without one), PermissionDenied (field office: another
  // office's list; field actor: a caller that is neither an office nor admin), NotFound (field
  // office: an office the config does not know).
  absl::StatusOr<lotse::v1::ReferralList> List(
      const config::Config& config, const store::Store& store, const lotse::v1::Actor& actor,
      const lotse::v1::ListReferralsRequest& request) const;

 private:
  store::Cf cf_;
};

// Intake's referral records: by id, by case number, and on their office's list. Every write
// goes to all of them in the caller's batch, so they commit together. Thread-compatible.
class ReferralRecords {
 public:
  ReferralRecords(store::Cf by_id, store::Cf by_case, store::Cf office_list)
      : table_(by_id, by_case), office_list_(office_list) {}

  // Finds a referral by id or case number. nullopt if there is none.
  absl::StatusOr<std::optional<lotse::v1::ReferralState>> Find(const store::Batch& batch,
                                                               std::string_view ref) const {
    return table_.Find(batch, ref);
  }
  // Stores a new record, its case number and its entry on the office's list.
  void Insert(store::Batch& batch, const lotse::v1::ReferralState& state) const {
    table_.Insert(batch, state);
    office_list_.Put(batch, state);
  }
  // Stores a changed record and its changed entry; a record whose personal data was erased
  // is stored without personal fields, whatever a later command brought.
  void Update(store::Batch& batch, const lotse::v1::ReferralState& state) const {
    if (absl::StatusOr<bool> erased = service::IsErased(batch, state.referral_id());
        erased.ok() && *erased) {
      lotse::v1::ReferralState scrubbed = state;
      service::KeepFlowMetadataOnly(scrubbed);
      table_.Update(batch, scrubbed);
      office_list_.Put(batch, scrubbed);
      return;
    }
    table_.Update(batch, state);
    office_list_.Put(batch, state);
  }
  // Deletes the record, its case number and its list entry.
  void Delete(store::Batch& batch, const lotse::v1::ReferralState& state) const {
    table_.Delete(batch, state);
    office_list_.Delete(batch, state);
  }

  const OfficeList& office_list() const { return office_list_; }

 private:
  service::ReferralTable table_;
  OfficeList office_list_;
};

}  // namespace lotse::intake
