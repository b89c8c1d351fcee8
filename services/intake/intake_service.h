#pragma once

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/service_base.h"
#include "common/store/store.h"
#include "lotse/v1/intake.pb.h"
#include "services/intake/attachments.h"
#include "services/intake/feedback_code.h"
#include "services/intake/office_list.h"
#include "services/intake/open_cases.h"

namespace lotse::intake {

// The intake service: accepts referrals and feedback from citizen offices, answers an office's
// status queries, and mirrors routing's events into the office's view of each referral.
// Owns its store and runner; runs on one thread.
class IntakeService final
    : public service::ServiceBase<lotse::v1::IntakeRequest, lotse::v1::IntakeReply> {
 public:
  static constexpr store::Cf kReferrals = store::kFirstStateFamily;
  static constexpr store::Cf kCaseNumbers = store::kFirstStateFamily + 1;
  static constexpr store::Cf kFeedbackCodes = store::kFirstStateFamily + 2;  // feedback_code.h
  static constexpr store::Cf kOpenCases = store::kFirstStateFamily + 3;      // open_cases.h
  // After state_attachment_uploads and state_blobs (+4, +5; attachments.h).
  static constexpr store::Cf kUploads = store::kFirstStateFamily + 4;     // attachments.h
  static constexpr store::Cf kOfficeList = store::kFirstStateFamily + 6;  // office_list.h
  // A caller's wrong feedback codes: more than kMaxWrongCodes within kGuessWindow are refused.
  static constexpr int kMaxWrongCodes = 5;
  static constexpr absl::Duration kGuessWindow = absl::Minutes(10);

  // Opens the store under config.data_dir/intake and binds the endpoints.
  static absl::StatusOr<std::unique_ptr<IntakeService>> Create(
      const config::Config& config, bus::Context& context,
      std::unique_ptr<clock::Clock> clock);

  absl::Status ApplyEvent(const lotse::v1::Envelope& event, std::string_view raw,
                          store::Batch& batch, absl::Time now) override;
  void Tick(store::Batch& batch, absl::Time now) override;
  // Stale uploads and the retention scan (which itself runs every [retention] scan_minutes of
  // service time): a tick is cheap when nothing is due.
  absl::Duration tick_interval() const override { return absl::Seconds(1); }

 private:
  IntakeService(const config::Config& config, std::unique_ptr<clock::Clock> clock,
                absl::TimeZone tz);
  using Reply = absl::StatusOr<lotse::v1::IntakeReply>;
  Reply Submit(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  Reply Get(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  Reply Feedback(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  // One page of an office's list of its referrals (office_list.h), from committed state.
  Reply List(const lotse::v1::IntakeRequest& request);
  // The referral `ref` if `actor` may see it (its office's own, or admin), else NotYours.
  absl::StatusOr<lotse::v1::ReferralState> FindFor(const store::Batch& batch,
                                                   std::string_view ref,
                                                   const lotse::v1::Actor& actor);
  absl::StatusOr<std::string> NextCaseNumber(store::Batch& batch, absl::Time now);

  // Case work (case_commands.cc): the receipt, the company's feedback with its code, the
  // office's follow-up question, and what a submit adds to its reply (feedback code, possible
  // duplicates) and its batch.
  Reply GetReceipt(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  Reply CompanyFeedback(const lotse::v1::IntakeRequest& request,
                        service::CommandContext& context);
  Reply FollowUp(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  // Erasure (erasure.cc): the admin's command, what intake holds about a contact person, and
  // the retention scan (from Tick, every [retention] scan_minutes).
  Reply Erase(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  Reply PersonalData(const lotse::v1::IntakeRequest& request, service::CommandContext& context);
  void EraseExpired(store::Batch& batch, absl::Time now);
  // Every referral whose contact person has `email` (case-insensitive), as `batch` sees it.
  absl::StatusOr<std::vector<lotse::v1::ReferralState>> ReferralsOfContact(
      const store::Batch& batch, std::string_view email) const;
  // Erases the personal data of `states` (not erased yet) in intake and logs PersonalDataErased
  // for each: one commit. Writes nothing on failure.
  absl::Status EraseReferrals(store::Batch& batch, std::vector<lotse::v1::ReferralState> states,
                              const lotse::v1::Actor& actor, std::string_view reason,
                              bool by_retention, absl::Time now);
  // Deletes the whole referral of each of `states` (closed, personal data erased) from intake
  // and logs ReferralDeleted for each: one commit. Writes nothing on failure.
  absl::Status DeleteReferrals(store::Batch& batch,
                               const std::vector<lotse::v1::ReferralState>& states, absl::Time now);
  absl::Status AddCaseWorkToSubmit(store::Batch& batch, const lotse::v1::ReferralState& state,
                                   const std::string& code, absl::Time now,
                                   lotse::v1::SubmitReferralReply& submitted);

  const config::Config config_;
  absl::TimeZone tz_;
  // Every record is written with its case number and its office list entry (office_list.h).
  ReferralRecords referrals_{kReferrals, kCaseNumbers, kOfficeList};
  std::mt19937_64 random_;
  FeedbackCodes feedback_codes_{kFeedbackCodes};
  OpenCases open_cases_{kOpenCases};
  GuessLimiter guesses_{kMaxWrongCodes, kGuessWindow};
  // Attachments (attachments.h): set in Create(), once the store names its families.
  std::optional<Attachments> attachments_;
  absl::Time next_retention_scan_ = absl::InfinitePast();
};

}  // namespace lotse::intake
