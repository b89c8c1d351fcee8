#pragma once

#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/service_base.h"
#include "common/service/referral_table.h"
#include "common/store/store.h"
#include "lotse/v1/intake.pb.h"
#include "services/intake/attachments.h"

namespace lotse::intake {

// The intake service: accepts referrals and feedback from citizen offices, answers an office's
// status queries, and mirrors routing's events into the office's view of each referral.
// Owns its store and runner; runs on one thread.
class IntakeService final
    : public service::ServiceBase<lotse::v1::IntakeRequest, lotse::v1::IntakeReply> {
 public:
  static constexpr store::Cf kReferrals = store::kFirstStateFamily;
  static constexpr store::Cf kCaseNumbers = store::kFirstStateFamily + 1;

  // Opens the store under config.data_dir/intake and binds the endpoints.
  static absl::StatusOr<std::unique_ptr<IntakeService>> Create(
      const config::Config& config, bus::Context& context,
      std::unique_ptr<clock::Clock> clock);

  absl::Status ApplyEvent(const lotse::v1::Envelope& event, std::string_view raw,
                          store::Batch& batch, absl::Time now) override;
  void Tick(store::Batch& batch, absl::Time now) override;
  absl::Duration tick_interval() const override { return absl::Minutes(1); }

 private:
  IntakeService(const config::Config& config, std::unique_ptr<clock::Clock> clock,
                absl::TimeZone tz);
  using Reply = absl::StatusOr<lotse::v1::IntakeReply>;
  Reply Submit(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  Reply Get(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  Reply Feedback(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  // The referral `ref` if `actor` may see it (its office's own, or admin), else NotYours.
  absl::StatusOr<lotse::v1::ReferralState> FindFor(const store::Batch& batch,
                                                   std::string_view ref,
                                                   const lotse::v1::Actor& actor);
  absl::StatusOr<std::string> NextCaseNumber(store::Batch& batch, absl::Time now);

  const config::Config config_;
  absl::TimeZone tz_;
  service::ReferralTable referrals_{kReferrals, kCaseNumbers};
  std::mt19937_64 random_;
  // Attachments (attachments.h): set in Create(), once the store names its families.
  std::optional<Attachments> attachments_;
};

}  // namespace lotse::intake
