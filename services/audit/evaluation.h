#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/calendar/calendar.h"
#include "common/config/config.h"
#include "common/store/store.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/events.pb.h"
#include "services/audit/chain.h"

namespace lotse::audit {

// The joint evaluation (gemeinsame Auswertung), maintained from the events.
//
// Every event audit appends to the chain is also folded into the `ReferralFacts` of its referral
// (ApplyToFacts), in the same batch. A query reads the facts of all referrals, keeps those
// submitted in the period and sums them up per department and per office (Evaluator). The
// rebuild replays the chain through the same ApplyToFacts, so both give the same figures.

// Referral id -> ReferralFacts. The family after the chain's own three (StateFamilies()).
inline constexpr store::Cf kFacts = Chain::kCaseNumbers + 1;

// Every state family of the audit store, in index order: Chain::Families(), then "state_facts".
std::vector<std::string> StateFamilies();

// Folds one event into its referral's facts. Pure and total: any event of any referral, in any
// order of the intake and routing streams relative to each other (fields one stream sets are
// not overwritten by the other; first action is the earliest seen).
void ApplyToFacts(const lotse::v1::Envelope& event, lotse::v1::ReferralFacts& facts);

// Writes a referral's facts under its id (the incremental path: RecordEvent).
void PutFacts(store::Batch& batch, const lotse::v1::ReferralFacts& facts);

// What audit does with every consumed event, in `batch`: appends it to the chain
// (Chain::Append) and updates its referral's facts. Writes nothing on failure.
absl::Status RecordEvent(store::Batch& batch, const lotse::v1::Envelope& event,
                         std::string_view raw, absl::Time now);

// The key in kFacts of a deleted referral's figures: "deleted/" and its deletion's chain index.
// They are kept without id and case number, so the evaluation of its period does not change.
std::string DeletedFactsKey(uint64_t deletion_index);

// What audit does with intake's ReferralDeleted, in `batch`: appends it to the chain, prunes the
// referral's earlier entries (Chain::Prune), moves its facts to DeletedFactsKey without id and
// case number, and owes the store a compaction. Writes nothing on failure.
absl::Status RecordDeletion(store::Batch& batch, store::Store& store,
                            const lotse::v1::Envelope& event, std::string_view raw, absl::Time now);

// For a store that has chain entries from before the evaluation existed: if the facts were never
// built, replays the whole chain and writes every referral's facts and a marker in one synced
// commit. Does nothing once the marker is there.
absl::Status BackfillFacts(store::Store& store);

// Every referral's facts as the chain's events give them (in chain order); a deleted referral's
// are the ones kept under DeletedFactsKey (its entries no longer hold its events). DataLossError
// naming the entry if one cannot be read.
absl::StatusOr<std::map<std::string, lotse::v1::ReferralFacts>> ReplayChain(
    const store::Store& store);

// Hands every referral's facts to the visitor; returns the first error.
using FactsVisitor = std::function<void(const lotse::v1::ReferralFacts&)>;
using FactsSource = std::function<absl::Status(const FactsVisitor&)>;
// The maintained facts in `store` (must outlive the source). With a period [from_us, to_us) the
// source visits at least every referral whose clocks start in it, and reads no more than the
// referrals submitted within a day of it, the deleted ones and those whose id intake did not
// make (see CountOtherIdsOnce): intake's ids begin with the submission's millisecond, so a
// period is a range of keys.
FactsSource StoredFacts(const store::Store& store, int64_t from_us = INT64_MIN,
                        int64_t to_us = INT64_MAX);
// For a store whose facts were kept before the count of facts under ids intake did not make
// existed: counts them once (marked in meta). Until it ran, StoredFacts reads every fact.
absl::Status CountOtherIdsOnce(store::Store& store);
// Facts held in memory (must outlive the source).
FactsSource FactsIn(const std::map<std::string, lotse::v1::ReferralFacts>& facts);

// Computes the evaluation: the units to group by (departments, key account managers, offices)
// and one business calendar per department, built from the config. Immutable after Create(), so
// safe for concurrent use; owned by the audit service.
class Evaluator {
 public:
  // InvalidArgumentError if the state, time zone, a closing day or office hours cannot be read,
  // or a key account manager's home department is unknown.
  static absl::StatusOr<Evaluator> Create(const config::Config& config);

  // Checks who asks: ops and admin may ask anything (but only they may rebuild); an office only
  // for itself, a department or key account manager only for itself. Returns the request with
  // an omitted own id filled in, or PermissionDeniedError naming the field.
  absl::StatusOr<lotse::v1::EvaluationRequest> Authorize(
      const lotse::v1::Actor& actor, const lotse::v1::EvaluationRequest& request) const;

  // The period [from, to) of `request` in microseconds, at midnight in the city's zone.
  // InvalidArgumentError naming the field for a date that is not YYYY-MM-DD or from >= to.
  absl::StatusOr<std::pair<int64_t, int64_t>> PeriodMicros(
      const lotse::v1::EvaluationRequest& request) const;

  // The figures of the period for the facts `source` gives. InvalidArgumentError naming the
  // field for a date that is not YYYY-MM-DD, from >= to, or both department and office;
  // NotFoundError for an unknown department or office. See EvaluationReply for the rules.
  absl::StatusOr<lotse::v1::EvaluationReply> Evaluate(
      const FactsSource& source, const lotse::v1::EvaluationRequest& request) const;

  // Evaluate() over ReplayChain(store): the figures from the audit log alone (rebuilt = true).
  absl::StatusOr<lotse::v1::EvaluationReply> RebuildFromChain(
      const store::Store& store, const lotse::v1::EvaluationRequest& request) const;

 private:
  struct Unit {
    std::string id;
    std::string name;
    std::string home_department;  // KAM only
    std::string calendar;         // department whose calendar applies
  };

  Evaluator(absl::TimeZone tz, std::string time_zone_name)
      : tz_(tz), tz_name_(std::move(time_zone_name)) {}
  const Unit* FindUnit(std::string_view id) const;
  const Unit* FindOffice(std::string_view id) const;
  const calendar::BusinessCalendar* CalendarFor(std::string_view unit) const;

  absl::TimeZone tz_;
  std::string tz_name_;
  std::vector<Unit> units_;    // departments in config order, then key account managers
  std::vector<Unit> offices_;  // in config order
  std::map<std::string, calendar::BusinessCalendar, std::less<>> calendars_;  // by department
  std::string default_department_;  // its calendar serves ids no longer configured
};

}  // namespace lotse::audit
