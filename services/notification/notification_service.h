#pragma once

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/service_base.h"
#include "common/store/store.h"
#include "lotse/v1/notification.pb.h"
#include "services/notification/inbox_expiry.h"
#include "services/notification/mail_sender.h"
#include "services/notification/messages.h"

namespace lotse::notification {

// The notification service: consumes intake's and routing's logs and keeps a durable inbox per
// recipient (each office, department and key account manager, each named contact person
// "staff/<id>", and the head of the economic development office "head"). A consumer reads its inbox
// with an InboxRequest that acknowledges what it has processed; with a wait, an empty inbox parks
// the request until a message arrives (push). Unacknowledged messages are delivered again. With
// notification.smtp_url set, every message for a recipient with an e-mail address is also queued as
// a mail (state_mail, in the same commit) and sent by a MailSender worker; results come back on
// Tick and are recorded as Delivered / DeliveryFailed on notification's own log. Owns its store,
// runner and mail sender; runs on one thread (the sender has its own).
class NotificationService final
    : public service::ServiceBase<lotse::v1::NotificationRequest, lotse::v1::NotificationReply> {
 public:
  static constexpr store::Cf kInbox = store::kFirstStateFamily;          // recipient \0 seq
  static constexpr store::Cf kPositions = store::kFirstStateFamily + 1;  // head/ and ack/
  static constexpr store::Cf kNotes = store::kFirstStateFamily + 2;      // referral id -> note
  static constexpr store::Cf kMail = store::kFirstStateFamily + 3;       // recipient \0 seq -> job

  static absl::StatusOr<std::unique_ptr<NotificationService>> Create(
      const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock);

  absl::Status ApplyEvent(const lotse::v1::Envelope& event, std::string_view raw,
                          store::Batch& batch, absl::Time now) override;
  void AfterCommit() override;
  void Tick(store::Batch& batch, absl::Time now) override;
  absl::Duration tick_interval() const override { return absl::Milliseconds(100); }

 private:
  struct Parked {
    bus::Frames route;
    std::string request_id;
    std::string recipient;
    uint64_t after = 0;
    uint32_t max = 0;
    absl::Time deadline;  // real time
  };
  NotificationService(const config::Config& config, std::unique_ptr<clock::Clock> clock,
                      absl::TimeZone zone);
  // Reads (and acknowledges) the caller's inbox, or parks the read until a message arrives.
  absl::StatusOr<lotse::v1::NotificationReply> Inbox(const lotse::v1::NotificationRequest& request,
                                                     service::CommandContext& context);
  // The inbox `actor` may read: its own for an empty `requested`; "staff/<id>" for the
  // department the person belongs to and for admin; "head" for admin.
  absl::StatusOr<std::string> Recipient(const lotse::v1::Actor& actor,
                                        const std::string& requested) const;
  // Files `m` as message `seq` of its recipient's inbox (the company's only as a mail job, to
  // `address`) and queues its mail if the recipient has an address and e-mail is on. The
  // contact's address lives only in that job, until the SMTP server took it or it was given up.
  void File(store::Batch& batch, const Outgoing& m, uint64_t seq, const std::string& referral_id,
            const std::string& case_number, const std::string& source_event_id,
            const std::string& address, absl::Time now);
  // After the company's answer mail was accepted (or given up): tells the office, which then
  // need not (or must) pass the answer on.
  absl::Status TellOfficeAboutCompanyMail(store::Batch& batch, const lotse::v1::InboxMessage& sent,
                                          bool delivered, absl::Time now);
  void TellCompanyMailResult(store::Batch& batch, const lotse::v1::InboxMessage& sent,
                             bool delivered, absl::Time now);
  // The committed inbox after `after`, as a reply.
  absl::StatusOr<lotse::v1::NotificationReply> Read(const std::string& recipient, uint64_t after,
                                                    uint32_t max) const;
  absl::StatusOr<uint64_t> Position(const store::Batch& batch, std::string_view key) const;
  // Records the sender's results (job deleted or rescheduled, Delivered / DeliveryFailed
  // emitted); returns the keys it touched.
  std::set<std::string> RecordMailResults(store::Batch& batch, absl::Time now);
  // Hands due jobs to the sender: per recipient only the oldest, and only if it is not in
  // flight, so each recipient's mails go out in inbox order.
  void SendDueMail(const std::set<std::string>& touched);

  const config::Config config_;
  absl::TimeZone zone_;
  std::vector<Parked> parked_;
  std::set<std::string> in_flight_;  // state_mail keys handed to the sender
  std::mt19937 jitter_{std::random_device{}()};
  InboxExpiry inbox_expiry_;          // read messages after [retention] inbox_days
  std::unique_ptr<MailSender> mail_;  // null: e-mail off. Last: stopped first
};

}  // namespace lotse::notification
