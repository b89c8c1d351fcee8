#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/service_base.h"
#include "common/store/store.h"
#include "lotse/v1/audit.pb.h"
#include "services/audit/evaluation.h"

namespace lotse::audit {

// The audit service: consumes every producer's log, appends each event once to a
// hash-chained log indexed by referral, keeps the evaluation's facts per referral in the same
// commit, answers a referral's history and the joint evaluation, and verifies the chain.
// Owns its store and runner; runs on one thread.
class AuditService final
    : public service::ServiceBase<lotse::v1::AuditRequest, lotse::v1::AuditReply> {
 public:
  static absl::StatusOr<std::unique_ptr<AuditService>> Create(const config::Config& config,
                                                              bus::Context& context,
                                                              std::unique_ptr<clock::Clock> clock);

  absl::Status ApplyEvent(const lotse::v1::Envelope& event, std::string_view raw,
                          store::Batch& batch, absl::Time now) override;

 private:
  AuditService(std::unique_ptr<clock::Clock> clock, Evaluator evaluator)
      : ServiceBase(std::move(clock)), evaluator_(std::move(evaluator)) {
    Serve(MakeCommands());
  }
  std::vector<Command> MakeCommands();
  absl::StatusOr<lotse::v1::AuditReply> Verify();
  absl::StatusOr<lotse::v1::AuditReply> History(const lotse::v1::AuditRequest& request);
  absl::StatusOr<lotse::v1::AuditReply> Evaluation(const lotse::v1::AuditRequest& request);

  const Evaluator evaluator_;
  size_t reply_room_ = 512 << 10;  // bytes of entries in one history reply
};

// Whether `actor` may read this history: the originating office, a department or key account
// manager the referral was with or consulted, ops (without contact data) and admin.
bool MayRead(const lotse::v1::Actor& actor, const lotse::v1::HistoryReply& history);

}  // namespace lotse::audit
