#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/service_base.h"
#include "common/service/referral_table.h"
#include "common/store/store.h"
#include "lotse/v1/routing.pb.h"
#include "services/routing/rules.h"

namespace lotse::routing {

// Index entries (worklist items, SLA timers) that follow from a referral's state:
// (column family, key) -> value. Derived, never edited by hand: SyncIndexes() writes the
// difference between a referral's old and new entries.
using IndexEntries = std::map<std::pair<store::Cf, std::string>, std::string>;

// The routing service: routes submitted referrals by the configured rules, keeps the
// department worklists and SLA timers, takes the departments' commands (claim, forward,
// consult, contribute, answer), escalates overdue referrals, and closes referrals on feedback.
// Every change is an event on routing's log. Owns its store and runner; runs on one thread.
class RoutingService final
    : public service::ServiceBase<lotse::v1::RoutingRequest, lotse::v1::RoutingReply> {
 public:
  static constexpr store::Cf kReferrals = store::kFirstStateFamily;
  static constexpr store::Cf kCaseNumbers = store::kFirstStateFamily + 1;
  static constexpr store::Cf kWorklist = store::kFirstStateFamily + 2;
  static constexpr store::Cf kTimers = store::kFirstStateFamily + 3;

  static absl::StatusOr<std::unique_ptr<RoutingService>> Create(
      const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock);

  absl::Status ApplyEvent(const lotse::v1::Envelope& event, std::string_view raw,
                          store::Batch& batch, absl::Time now) override;
  void Tick(store::Batch& batch, absl::Time now) override;
  absl::Duration tick_interval() const override {
    return absl::Milliseconds(config_.routing.escalation_scan_ms);
  }

  // The worklist and timer entries `state` implies.
  static IndexEntries IndexFor(const lotse::v1::ReferralState& state);

 private:
  RoutingService(const config::Config& config, Rules rules, std::unique_ptr<clock::Clock> clock);

  using Reply = absl::StatusOr<lotse::v1::RoutingReply>;
  std::vector<Command> MakeCommands();
  Reply Worklist(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  Reply Get(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  // The changing commands: claim, unclaim, forward, consult, contribute, answer.
  Reply Act(const lotse::v1::RoutingRequest& request, service::CommandContext& context);
  Reply Directory() const;
  // Runs a changing command: idempotency, load, permission, `change` (which validates and edits
  // the state and fills the event), then the state, indexes, event and reply in the batch.
  Reply Change(const lotse::v1::RoutingRequest& request, std::string_view ref,
               store::Batch& batch, absl::Time now,
               const std::function<absl::Status(lotse::v1::ReferralState&,
                                                lotse::v1::Envelope&)>& change);
  absl::Status Route(const lotse::v1::Envelope& event, store::Batch& batch, absl::Time now);
  absl::Status Close(const lotse::v1::Envelope& event, store::Batch& batch, absl::Time now);
  // Writes the new state, the index difference and the event.
  void Save(store::Batch& batch, const lotse::v1::ReferralState* before,
            const lotse::v1::ReferralState& after, lotse::v1::Envelope& event, absl::Time now);

  const config::Config config_;
  const Rules rules_;
  service::ReferralTable referrals_{kReferrals, kCaseNumbers};
};

}  // namespace lotse::routing
