#include "services/notification/notification_service.h"

#include <algorithm>

#include "common/format.h"
#include "common/service/errors.h"
#include "common/service/startup.h"
#include "common/status_macros.h"
#include "services/notification/messages.h"
#include "spdlog/spdlog.h"

namespace lotse::notification {
namespace {

using lotse::v1::NotificationReply;
using lotse::v1::NotificationRequest;

constexpr uint32_t kDefaultMax = 100;
constexpr uint32_t kMaxWaitMs = 30000;

std::string InboxKey(std::string_view recipient, uint64_t seq) {
  return StrCat(recipient, std::string(1, '\0'), store::EncodeU64(seq));
}

}  // namespace

NotificationService::NotificationService(const config::Config& config,
                                         std::unique_ptr<clock::Clock> clock,
                                         absl::TimeZone zone)
    : config_(config), clock_(std::move(clock)), zone_(zone) {}

absl::StatusOr<std::unique_ptr<NotificationService>> NotificationService::Create(
    const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(config.city.timezone, &zone)) {
    return absl::InvalidArgumentError(StrCat("time zone '", config.city.timezone, "' is unknown"));
  }
  std::unique_ptr<NotificationService> service(
      new NotificationService(config, std::move(clock), zone));
  LOTSE_ASSIGN_OR_RETURN(store::Options store_options,
                         service::MakeStoreOptions(config, config::Service::kNotification,
                                                   {"state_inbox", "state_positions",
                                                    "state_notes"}));
  LOTSE_ASSIGN_OR_RETURN(service->store_, store::Store::Open(store_options));
  service->runner_ = std::make_unique<service::Runner>(
      context, *service->store_, *service->clock_, *service,
      service::MakeRunnerOptions(config, config::Service::kNotification,
                                 {config::Service::kIntake, config::Service::kRouting}));
  LOTSE_RETURN_IF_ERROR(service->runner_->Start());
  spdlog::info("notification ready: inboxes on {}, store {}",
               config.network.CommandEndpoint(config::Service::kNotification),
               store_options.path);
  return service;
}

std::string NotificationService::ErrorReply(std::string_view body, const absl::Status& status) {
  NotificationRequest request;
  NotificationReply reply;
  if (request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    reply.set_request_id(request.request_id());
  }
  *reply.mutable_error() = service::ToError(status);
  return reply.SerializeAsString();
}

std::string NotificationService::HandleCommand(std::string_view body, store::Batch& batch,
                                               absl::Time now) {
  std::optional<std::string> reply = HandleOrPark(body, {}, batch, now);
  return reply.value_or(ErrorReply(body, absl::InternalError("request could not be parked")));
}

absl::StatusOr<std::string> NotificationService::Recipient(const lotse::v1::Actor& actor) const {
  if (actor.kind() == lotse::v1::ACTOR_KIND_OFFICE && config_.FindOffice(actor.id()) != nullptr) {
    return OfficeInbox(actor.id());
  }
  if (actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT &&
      (config_.FindDepartment(actor.id()) != nullptr ||
       config_.FindKeyAccount(actor.id()) != nullptr)) {
    return DepartmentInbox(actor.id());
  }
  return service::FieldError(absl::StatusCode::kNotFound, "actor",
                             StrCat("there is no inbox for '", actor.id(),
                                    "': act as a configured office (--office) or department "
                                    "(--department)"));
}

absl::StatusOr<uint64_t> NotificationService::Position(const store::Batch& batch,
                                                       std::string_view key) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value, batch.Get(kPositions, key));
  return value.has_value() && value->size() == 8 ? store::DecodeU64(*value) : 0;
}

absl::StatusOr<NotificationReply> NotificationService::Read(const std::string& recipient,
                                                            uint64_t after, uint32_t max) const {
  NotificationReply reply;
  lotse::v1::InboxReply* inbox = reply.mutable_inbox();
  inbox->set_recipient(recipient);
  inbox->set_acknowledged(after);
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> head,
                         store_->Get(kPositions, StrCat("head/", recipient)));
  inbox->set_head(head.has_value() ? store::DecodeU64(*head) : 0);
  const std::string prefix = StrCat(recipient, std::string(1, '\0'));
  absl::Status parse = absl::OkStatus();
  LOTSE_RETURN_IF_ERROR(store_->Scan(
      kInbox, prefix, InboxKey(recipient, after + 1),
      [&](std::string_view, std::string_view value) {
        if (!inbox->add_messages()->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError("an inbox message is damaged");
          return false;
        }
        return static_cast<uint32_t>(inbox->messages_size()) < max;
      }));
  LOTSE_RETURN_IF_ERROR(parse);
  return reply;
}

std::optional<std::string> NotificationService::HandleOrPark(std::string_view body,
                                                             const bus::Frames& route,
                                                             store::Batch& batch,
                                                             absl::Time /*now*/) {
  NotificationRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    const std::string detail = service::TakeProtobufLog();
    return ErrorReply("", absl::InvalidArgumentError(
                              StrCat("the request is not a valid lotse.v1.NotificationRequest",
                                     detail.empty() ? "" : ": ", detail)));
  }
  if (request.command_case() != NotificationRequest::kInbox) {
    return ErrorReply(body, absl::InvalidArgumentError("the request names no command: use inbox"));
  }
  absl::StatusOr<std::string> recipient = Recipient(request.actor());
  if (!recipient.ok()) {
    return ErrorReply(body, recipient.status());
  }
  const lotse::v1::InboxRequest& inbox = request.inbox();
  absl::StatusOr<uint64_t> head = Position(batch, StrCat("head/", *recipient));
  absl::StatusOr<uint64_t> acked = Position(batch, StrCat("ack/", *recipient));
  if (!head.ok() || !acked.ok()) {
    return ErrorReply(body, head.ok() ? acked.status() : head.status());
  }
  if (inbox.ack() > *head) {
    return ErrorReply(body, service::InvalidField(
                                "ack", StrCat("ack ", inbox.ack(), " is beyond the newest message ",
                                              *head, " of ", *recipient)));
  }
  const uint64_t after = std::max(*acked, inbox.ack());
  if (after > *acked) {
    batch.Put(kPositions, StrCat("ack/", *recipient), store::EncodeU64(after));
  }
  const uint32_t max = inbox.max_messages() == 0 ? kDefaultMax : inbox.max_messages();
  if (*head > after || inbox.wait_ms() == 0 || route.empty()) {
    absl::StatusOr<NotificationReply> reply = Read(*recipient, after, max);
    if (!reply.ok()) {
      return ErrorReply(body, reply.status());
    }
    reply->set_request_id(request.request_id());
    return reply->SerializeAsString();
  }
  std::erase_if(parked_, [&](const Parked& p) { return p.route == route; });
  parked_.push_back(Parked{route, request.request_id(), *recipient, after, max,
                           absl::Now() + absl::Milliseconds(std::min(inbox.wait_ms(), kMaxWaitMs))});
  return std::nullopt;
}

void NotificationService::AfterCommit() {
  if (parked_.empty()) {
    return;
  }
  const absl::Time now = absl::Now();
  std::erase_if(parked_, [&](const Parked& p) {
    absl::StatusOr<NotificationReply> reply = Read(p.recipient, p.after, p.max);
    if (!reply.ok()) {
      runner_->Reply(p.route, ErrorReply("", reply.status()));
      return true;
    }
    if (reply->inbox().messages().empty() && now < p.deadline) {
      return false;  // keep waiting
    }
    reply->set_request_id(p.request_id);
    runner_->Reply(p.route, reply->SerializeAsString());
    return true;
  });
}

absl::Status NotificationService::ApplyEvent(const lotse::v1::Envelope& event,
                                             std::string_view /*raw*/, store::Batch& batch,
                                             absl::Time now) {
  if (event.referral_id().empty()) {
    return absl::OkStatus();
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                         batch.Get(kNotes, event.referral_id()));
  lotse::v1::ReferralNote note;
  if (stored.has_value() && !note.ParseFromString(*stored)) {
    return absl::DataLossError(StrCat("the note of referral ", event.referral_id(),
                                      " is damaged"));
  }
  const std::vector<Outgoing> messages = MessagesFor(event, note, zone_);
  // Read every head first, so a failure writes nothing.
  std::map<std::string, uint64_t> heads;
  for (const Outgoing& m : messages) {
    if (!heads.contains(m.recipient)) {
      LOTSE_ASSIGN_OR_RETURN(heads[m.recipient], Position(batch, StrCat("head/", m.recipient)));
    }
  }
  for (const Outgoing& m : messages) {
    lotse::v1::InboxMessage message;
    message.set_seq(++heads[m.recipient]);
    message.set_recipient(m.recipient);
    message.set_kind(m.kind);
    message.set_referral_id(event.referral_id());
    message.set_case_number(note.case_number());
    message.set_title(m.title);
    message.set_body(m.body);
    message.set_created_at_us(clock::ToMicros(now));
    message.set_source_event_id(event.event_id());
    batch.Put(kInbox, InboxKey(m.recipient, message.seq()), message.SerializeAsString());
  }
  for (const auto& [recipient, head] : heads) {
    batch.Put(kPositions, StrCat("head/", recipient), store::EncodeU64(head));
  }
  batch.Put(kNotes, event.referral_id(), note.SerializeAsString());
  return absl::OkStatus();
}

}  // namespace lotse::notification
