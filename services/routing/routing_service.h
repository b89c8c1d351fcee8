#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/referral_table.h"
#include "common/service/service_base.h"
#include "common/store/store.h"
#include "lotse/v1/routing.pb.h"
#include "services/routing/contacts.h"
#include "services/routing/counts.h"
#include "services/routing/rules.h"
#include "services/routing/similar.h"
#include "services/routing/transitions.h"

namespace lotse::routing {

// The routing service: routes submitted referrals by the configured rules, keeps the
// department worklists and SLA timers, takes the departments' commands (claim, forward,
// consult, contribute, answer), escalates overdue referrals, and closes referrals on feedback.
// Every change is an event on routing's log. This is the wiring: the decisions are the pure
// functions of transitions.h; the service loads a referral, asks them, and writes what they
// decided. Owns its store and runner; runs on one thread.
class RoutingService final
    : public service::ServiceBase<lotse::v1::RoutingRequest, lotse::v1::RoutingReply> {
 public:
  static constexpr store::Cf kReferrals = store::kFirstStateFamily;
  static constexpr store::Cf kCaseNumbers = store::kFirstStateFamily + 1;
  static constexpr store::Cf kWorklist = store::kFirstStateFamily + 2;
  static constexpr store::Cf kTimers = store::kFirstStateFamily + 3;
  // The earlier answers' index (similar.h): postings and documents per department.
  static constexpr store::Cf kSimilarPostings = store::kFirstStateFamily + 4;
  static constexpr store::Cf kSimilarDocs = store::kFirstStateFamily + 5;
  // Case work (contacts_wiring.cc): open referrals per contact person (contact \0 referral id),
  // recorded absences (user \0 from date), and every referral of a company (normalized company
  // id \0 inverted submission time \0 referral id).
  static constexpr store::Cf kContacts = store::kFirstStateFamily + 6;
  static constexpr store::Cf kAbsences = store::kFirstStateFamily + 7;
  static constexpr store::Cf kCompanies = store::kFirstStateFamily + 8;
  // The entries per worklist and per contact person (counts.h).
  static constexpr store::Cf kCounts = store::kFirstStateFamily + 9;

  // The state families of routing's store, in Cf order (for tools that read it).
  static std::vector<std::string> StateFamilies();
  // The counts of the worklists' items and the contact persons' open referrals.
  static IndexCounts Counts() { return IndexCounts(kCounts, {{kWorklist, 'w'}, {kContacts, 'c'}}); }

  static absl::StatusOr<std::unique_ptr<RoutingService>> Create(
      const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock);

  absl::Status ApplyEvent(const lotse::v1::Envelope& event, std::string_view raw,
                          store::Batch& batch, absl::Time now) override;
  void Tick(store::Batch& batch, absl::Time now) override;
  // The batch is committed or dropped: what it put is in the store's own scans now, or gone.
  void AfterCommit() override { pending_absences_.clear(); }
  absl::Duration tick_interval() const override {
    return absl::Milliseconds(config_.routing.escalation_scan_ms);
  }

  // The worklist and timer entries `state` implies.
  static IndexEntries IndexFor(const lotse::v1::ReferralState& state);
  // Intake's PersonalDataErased: clears routing's copies of the referral's personal fields
  // (erasure.cc). Writes nothing on failure.
  absl::Status ErasePersonalData(const lotse::v1::Envelope& event, store::Batch& batch,
                                 absl::Time now);
  // Intake's ReferralDeleted: deletes routing's record of the referral and its index entries
  // (erasure.cc).
  absl::Status DeleteReferral(const lotse::v1::Envelope& event, store::Batch& batch);

 private:
  RoutingService(const config::Config& config, Rules rules, std::unique_ptr<clock::Clock> clock);

  using Reply = absl::StatusOr<lotse::v1::RoutingReply>;
  std::vector<Command> MakeCommands();
  // A store from before the persons' worklist entries gets them once, with their counts, in
  // one commit marked in meta. Returns how many were written (0 if the mark was there).
  absl::StatusOr<uint64_t> BuildPersonEntriesOnce();
  Reply Worklist(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  // The items of `user` (a staff member of department `assignee`) and of the colleagues the
  // person stands in for today, in the worklist's order, from after `first` (a key of the
  // department's worklist, "" for the first page): one range read per person.
  Reply PersonalWorklist(const lotse::v1::RoutingRequest& request, std::string_view assignee,
                         std::string_view first, const Absences& absences, std::string_view today);
  Reply Get(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  Reply Directory() const;
  // `similar`: earlier answered referrals of the caller's department like the one asked about
  // (similar_command.cc).
  Reply Similar(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  // Case work: named contacts, stand-ins and the company file (contacts_wiring.cc).
  Reply Contacts(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  Reply Absence(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  Reply Company(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  // Gives a routed or forwarded referral its contact person (or, for an absent KAM, the
  // substitute KAM) and notes who was involved; called by Save before the indexes are written.
  void AssignContact(store::Batch& batch, Outcome& outcome, absl::Time now);
  // A referral routed or forwarded to a KAM who is away goes to the substitute KAM.
  void StandInForKeyAccount(lotse::v1::ReferralState& state, lotse::v1::Envelope& event,
                            const Absences& absences, absl::Time now);
  // The key account managers whose open referrals `kam` works today as their substitute.
  absl::StatusOr<std::vector<std::string>> StandsInFor(const store::Batch& batch,
                                                       std::string_view kam, absl::Time now);
  // A KAM who stands in today for the absent KAM holding a referral acts for them: the actor
  // becomes the absent KAM, with the substitute as its user. Any other actor stays as it is.
  absl::StatusOr<lotse::v1::Actor> ActingFor(const store::Batch& batch,
                                             const lotse::v1::Actor& actor, std::string_view holder,
                                             absl::Time now);
  absl::Status CheckWorklistUser(std::string_view assignee, std::string_view user) const;
  absl::StatusOr<Absences> LoadAbsences(const store::Batch& batch, std::string_view user = "");
  absl::StatusOr<uint32_t> OpenItems(const store::Batch& batch, std::string_view staff_id);
  // (key, value) of `cf` under `prefix` as the batch leaves them: what is committed and what
  // this service put in or deleted from the batch (`pending`), those read through the batch.
  absl::StatusOr<std::map<std::string, std::string>> ScanThrough(
      const store::Batch& batch, store::Cf cf, std::string_view prefix,
      std::set<std::string, std::less<>>& pending);
  // The company's rating (intake's CompanyFeedbackSubmitted): kept with the referral.
  absl::Status KeepCompanyFeedback(const lotse::v1::Envelope& event, store::Batch& batch);
  std::string Today(absl::Time now) const;
  // A changing command's idempotency record: where its reply is kept, the request's
  // fingerprint, and the reply to an earlier try with the same key, if there was one.
  struct Retry {
    std::string key;
    std::string fingerprint;
    std::optional<lotse::v1::RoutingReply> stored;
  };
  static absl::StatusOr<Retry> FindRetry(const store::Batch& batch,
                                         const lotse::v1::RoutingRequest& request);
  // The handler of a changing command (claim, unclaim, forward, consult, contribute, answer):
  // `part` picks the command out of the request, `transition` decides; see Change().
  template <typename Part>
  Commands::Handler Changing(const Part& (lotse::v1::RoutingRequest::*part)() const,
                             CommandTransition<Part> transition);
  // Runs a changing command (`command`: the request's claim, forward, ...): the stored reply
  // for a retry; else loads the referral it names, decides by `transition`, and puts the new
  // state, indexes, events, reply and idempotency record in the batch.
  template <typename Part>
  Reply Change(const lotse::v1::RoutingRequest& request, const Part& command,
               service::CommandContext& context, CommandTransition<Part> transition);
  // Writes an outcome: the new state (`before`: the stored one, nullptr for a new referral),
  // the index difference with its counts and the events, stamped. An outcome without events
  // writes nothing, nor does one whose counts cannot be read (the error is returned).
  absl::Status Save(store::Batch& batch, const lotse::v1::ReferralState* before, Outcome& outcome,
                    absl::Time now);
  // Intake's FollowUpAsked: reopens an answered or closed referral (Reopen).
  absl::Status ApplyFollowUp(const lotse::v1::Envelope& event, store::Batch& batch, absl::Time now);

  const config::Config config_;
  const Rules rules_;
  const Policy policy_{rules_, config_.routing.forward_limit,
                       static_cast<size_t>(config_.limits.max_text_bytes)};
  service::ReferralTable referrals_{kReferrals, kCaseNumbers};
  const similar::Index similar_{kSimilarPostings, kSimilarDocs};
  const IndexCounts counts_ = Counts();
  // Keys of kAbsences put in the batch not yet committed: RocksDB's scan sees only committed
  // keys. Ordered, so that a scan visits only its prefix; emptied after every commit.
  // std::less<> looks up string_views.
  std::set<std::string, std::less<>> pending_absences_;
};

}  // namespace lotse::routing
