#include "services/notification/notification_service.h"

#include <algorithm>

#include "common/format.h"
#include "common/service/erasure.h"
#include "common/service/errors.h"
#include "common/service/expiry.h"
#include "common/service/startup.h"
#include "common/status_macros.h"
#include "services/notification/mail.h"
#include "services/notification/messages.h"
#include "spdlog/spdlog.h"

namespace lotse::notification {
namespace {

using lotse::v1::NotificationReply;
using lotse::v1::NotificationRequest;

constexpr uint32_t kDefaultMax = 100;
constexpr uint32_t kMaxMessages = 1000;
constexpr uint32_t kMaxWaitMs = 30000;

std::string InboxKey(std::string_view recipient, uint64_t seq) {
  return StrCat(recipient, std::string(1, '\0'), store::EncodeU64(seq));
}

// "department/umwelt#12" for a state_mail key, for the log.
std::string JobName(std::string_view key) {
  const size_t zero = key.find('\0');
  if (zero == std::string_view::npos || key.size() - zero - 1 != 8) {
    return std::string(key.substr(0, zero));
  }
  return StrCat(key.substr(0, zero), "#", store::DecodeU64(key.substr(zero + 1)));
}

}  // namespace

NotificationService::NotificationService(const config::Config& config,
                                         std::unique_ptr<clock::Clock> clock, absl::TimeZone zone)
    : ServiceBase(std::move(clock)),
      config_(config),
      zone_(zone),
      inbox_expiry_(kInbox, kPositions, absl::Hours(24) * config.retention.inbox_days,
                    absl::Minutes(config.retention.scan_minutes)) {
  Serve(
      {{NotificationRequest::kInbox, kOffices | kDepartments | kAdmin,
        [this](const NotificationRequest& r, service::CommandContext& c) { return Inbox(r, c); }}});
}

absl::StatusOr<std::unique_ptr<NotificationService>> NotificationService::Create(
    const config::Config& config, bus::Context& context, std::unique_ptr<clock::Clock> clock) {
  std::unique_ptr<NotificationService> service(
      new NotificationService(config, std::move(clock), config.city.zone));
  LOTSE_RETURN_IF_ERROR(
      service->OpenStore(config, config::Service::kNotification,
                         {"state_inbox", "state_positions", "state_notes", "state_mail"}));
  if (!config.notification.smtp_url.empty()) {
    LOTSE_ASSIGN_OR_RETURN(
        service->mail_,
        MailSender::Start(config.notification.smtp_url, config.notification.mail_from,
                          config.notification.smtp_tls != "off"));
  }
  LOTSE_ASSIGN_OR_RETURN(service::RunnerOptions options,
                         service::MakeRunnerOptions(config, config::Service::kNotification));
  LOTSE_RETURN_IF_ERROR(
      service->StartRunner(config, config::Service::kNotification, context, std::move(options)));
  service::CountExpired("state_inbox", 0);  // the series starts at 0, labelled with the service
  if (service->mail_ != nullptr) {
    spdlog::info("e-mail channel on: mail from {} via {} ({}), retry {}..{} ms, {} attempts",
                 config.notification.mail_from, config::RedactedUrl(config.notification.smtp_url),
                 config.notification.smtp_tls == "off" ? "plain SMTP" : "TLS required",
                 config.notification.retry_initial_ms, config.notification.retry_max_ms,
                 config.notification.max_attempts);
  } else {
    spdlog::info("e-mail channel off (notification.smtp_url is empty)");
  }
  return service;
}

absl::StatusOr<std::string> NotificationService::Recipient(const lotse::v1::Actor& actor,
                                                           const std::string& requested) const {
  const bool admin = actor.kind() == lotse::v1::ACTOR_KIND_ADMIN;
  if (requested.empty() && !admin) {
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
  if (requested.empty()) {
    // Admin is let in for the head's and the persons' inboxes only.
    return service::FieldError(
        absl::StatusCode::kPermissionDenied, "inbox",
        "admin has no inbox of its own: name one, --inbox head or --inbox staff/<id>");
  }
  // The caller's own inbox, named explicitly.
  if ((actor.kind() == lotse::v1::ACTOR_KIND_OFFICE && requested == OfficeInbox(actor.id())) ||
      (actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT &&
       requested == DepartmentInbox(actor.id()))) {
    return Recipient(actor, "");
  }
  if (requested == kHeadInbox && admin) {
    return std::string(kHeadInbox);
  }
  if (requested.starts_with(kStaffPrefix)) {
    const auto [department, member] =
        config_.FindStaff(std::string_view(requested).substr(kStaffPrefix.size()));
    const bool own_staff = member != nullptr && actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT &&
                           department->id == actor.id();
    if (member != nullptr && (admin || own_staff)) {
      return requested;
    }
  }
  // One answer for unknown and foreign inboxes alike.
  return service::FieldError(
      absl::StatusCode::kPermissionDenied, "inbox",
      StrCat("you may not read inbox '", requested.substr(0, 80),
             "': a department reads its own contact persons' inboxes (staff/<id>, see 'lotse "
             "departments'), admin also the head's (head)"));
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
  // A reply always fits in one message: the rest waits for the next read.
  const size_t room = static_cast<size_t>(config_.limits.max_message_bytes) / 2;
  size_t bytes = 0;
  LOTSE_RETURN_IF_ERROR(store_->Scan(
      kInbox, prefix, InboxKey(recipient, after + 1),
      [&](std::string_view, std::string_view value) {
        if (inbox->messages_size() > 0 && bytes + value.size() > room) {
          return false;
        }
        bytes += value.size();
        if (!inbox->add_messages()->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError("an inbox message is damaged");
          return false;
        }
        return static_cast<uint32_t>(inbox->messages_size()) < max;
      }));
  LOTSE_RETURN_IF_ERROR(parse);
  return reply;
}

absl::StatusOr<NotificationReply> NotificationService::Inbox(const NotificationRequest& request,
                                                             service::CommandContext& context) {
  store::Batch& batch = context.batch;
  const lotse::v1::InboxRequest& inbox = request.inbox();
  LOTSE_ASSIGN_OR_RETURN(std::string recipient, Recipient(request.actor(), inbox.inbox()));
  LOTSE_ASSIGN_OR_RETURN(uint64_t head, Position(batch, StrCat("head/", recipient)));
  LOTSE_ASSIGN_OR_RETURN(uint64_t acked, Position(batch, StrCat("ack/", recipient)));
  if (inbox.ack() > head) {
    return service::InvalidField(
        "ack",
        StrCat("ack ", inbox.ack(), " is beyond the newest message ", head, " of ", recipient));
  }
  const uint64_t after = std::max(acked, inbox.ack());
  if (after > acked) {
    batch.Put(kPositions, StrCat("ack/", recipient), store::EncodeU64(after));
    LOTSE_RETURN_IF_ERROR(inbox_expiry_.RecordRead(batch, recipient, acked, after, context.now));
  }
  const uint32_t max =
      inbox.max_messages() == 0 ? kDefaultMax : std::min(inbox.max_messages(), kMaxMessages);
  if (head > after || inbox.wait_ms() == 0 || context.route.empty()) {
    return Read(recipient, after, max);
  }
  std::erase_if(parked_, [&](const Parked& p) { return p.route == context.route; });
  parked_.push_back(
      Parked{context.route, request.request_id(), recipient, after, max,
             absl::Now() + absl::Milliseconds(std::min(inbox.wait_ms(), kMaxWaitMs))});
  context.parked = true;
  return NotificationReply();
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
  if (event.has_personal_data_erased()) {
    // The note and the inbox messages of the referral lose their personal fields; its mails
    // not yet sent are not sent. Prepared first: all or nothing.
    const std::vector<std::string> ids = {event.referral_id()};
    store::Batch staged(store_.get());
    LOTSE_RETURN_IF_ERROR(service::EraseFromCommonFamilies(
        staged, *store_, ids, {event.case_number()}, lotse::v1::NotificationReply(), now));
    const lotse::v1::InboxMessage message;
    const lotse::v1::ReferralNote note;
    LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, kInbox, ids, &message));
    LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, kMail, ids, nullptr));
    LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, kNotes, ids, &note));
    batch.Absorb(staged);
    return absl::OkStatus();
  }
  if (event.has_referral_deleted()) {
    // The referral's retention ran out: its note, its messages still in an inbox and its mails
    // go. Prepared first: all or nothing.
    const std::vector<std::string> ids = {event.referral_id()};
    store::Batch staged(store_.get());
    LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, kInbox, ids, nullptr));
    LOTSE_RETURN_IF_ERROR(service::EraseFromFamily(staged, *store_, kMail, ids, nullptr));
    staged.Delete(kNotes, event.referral_id());
    service::OweCompaction(staged);
    batch.Absorb(staged);
    return absl::OkStatus();
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(kNotes, event.referral_id()));
  lotse::v1::ReferralNote note;
  if (stored.has_value() && !note.ParseFromString(*stored)) {
    return absl::DataLossError(StrCat("the note of referral ", event.referral_id(), " is damaged"));
  }
  std::vector<Outgoing> messages = MessagesFor(event, note, zone_);
  const std::string company = CompanyRecipient(event.referral_id());
  for (Outgoing& m : messages) {
    // The company's answer goes out only by e-mail: without the channel, the office relays it.
    if (m.recipient == company && mail_ == nullptr) {
      m = Outgoing{OfficeInbox(note.office()), lotse::v1::MESSAGE_KIND_STATUS,
                   StrCat("Referral ", note.case_number(),
                          ": please pass the answer on to the company yourself"),
                   "The contact person agreed to get the answer by e-mail, but Lotse sends no "
                   "e-mail (notification.smtp_url is empty).",
                   ""};
    }
  }
  // Read every head first, so a failure writes nothing.
  std::map<std::string, uint64_t> heads;
  for (const Outgoing& m : messages) {
    if (!heads.contains(m.recipient)) {
      LOTSE_ASSIGN_OR_RETURN(heads[m.recipient], Position(batch, StrCat("head/", m.recipient)));
    }
  }
  for (const Outgoing& m : messages) {
    File(batch, m, ++heads[m.recipient], event.referral_id(), note.case_number(), event.event_id(),
         m.address, now);
  }
  for (const auto& [recipient, head] : heads) {
    batch.Put(kPositions, StrCat("head/", recipient), store::EncodeU64(head));
  }
  batch.Put(kNotes, event.referral_id(), note.SerializeAsString());
  return absl::OkStatus();
}

void NotificationService::File(store::Batch& batch, const Outgoing& m, uint64_t seq,
                               const std::string& referral_id, const std::string& case_number,
                               const std::string& source_event_id, const std::string& address,
                               absl::Time now) {
  lotse::v1::InboxMessage message;
  message.set_seq(seq);
  message.set_recipient(m.recipient);
  message.set_kind(m.kind);
  message.set_referral_id(referral_id);
  message.set_case_number(case_number);
  message.set_title(m.title);
  message.set_body(m.body);
  message.set_created_at_us(clock::ToMicros(now));
  message.set_source_event_id(source_event_id);
  // The company's contact reads no inbox: its message exists only as a mail job.
  const bool company = m.recipient.starts_with(kCompanyPrefix);
  if (!company) {
    batch.Put(kInbox, InboxKey(m.recipient, seq), message.SerializeAsString());
  }
  if (mail_ != nullptr) {
    std::string to = company ? address : MailAddressFor(config_, m.recipient);
    if (!to.empty()) {
      lotse::v1::MailJob job;
      *job.mutable_message() = std::move(message);
      job.set_address(std::move(to));
      batch.Put(kMail, InboxKey(m.recipient, seq), job.SerializeAsString());
    }
  }
}

absl::Status NotificationService::TellOfficeAboutCompanyMail(store::Batch& batch,
                                                             const lotse::v1::InboxMessage& sent,
                                                             bool delivered, absl::Time now) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(kNotes, sent.referral_id()));
  lotse::v1::ReferralNote note;
  if (!stored.has_value() || !note.ParseFromString(*stored) || note.office().empty()) {
    return absl::DataLossError(
        StrCat("the note of referral ", sent.referral_id(), " is missing or damaged"));
  }
  const std::string ref = sent.case_number().empty() ? sent.referral_id() : sent.case_number();
  const Outgoing told =
      delivered
          ? Outgoing{OfficeInbox(note.office()), lotse::v1::MESSAGE_KIND_MAIL_SENT,
                     StrCat("The answer to referral ", ref,
                            " went to the company's contact person by e-mail"),
                     "The contact person agreed to this at intake. You need not pass the "
                     "answer on; the company may still call you.",
                     ""}
          : Outgoing{OfficeInbox(note.office()), lotse::v1::MESSAGE_KIND_STATUS,
                     StrCat("The answer to referral ", ref,
                            " could not be sent to the company by e-mail"),
                     "Please pass the answer on to the company's contact person yourself.", ""};
  LOTSE_ASSIGN_OR_RETURN(uint64_t head, Position(batch, StrCat("head/", told.recipient)));
  File(batch, told, head + 1, sent.referral_id(), sent.case_number(), "", "", now);
  batch.Put(kPositions, StrCat("head/", told.recipient), store::EncodeU64(head + 1));
  return absl::OkStatus();
}

void NotificationService::Tick(store::Batch& batch, absl::Time now) {
  // Its own synced batch: it frees space, so it also runs when the disk is nearly full.
  if (absl::StatusOr<uint64_t> expired = inbox_expiry_.Step(*store_, now); !expired.ok()) {
    spdlog::error("deleting read inbox messages failed; trying again at the next scan: {}",
                  expired.status().message());
  } else if (*expired > 0) {
    service::CountExpired("state_inbox", *expired);
  }
  if (mail_ == nullptr) {
    return;
  }
  SendDueMail(RecordMailResults(batch, now));
}

void NotificationService::TellCompanyMailResult(store::Batch& batch,
                                                const lotse::v1::InboxMessage& sent, bool delivered,
                                                absl::Time now) {
  if (absl::Status told = TellOfficeAboutCompanyMail(batch, sent, delivered, now); !told.ok()) {
    spdlog::error(
        "the office of referral {} cannot be told whether the answer reached the "
        "company by e-mail: {}",
        sent.case_number(), told);
  }
}

std::set<std::string> NotificationService::RecordMailResults(store::Batch& batch, absl::Time now) {
  std::set<std::string> touched;
  const config::Notification& settings = config_.notification;
  for (MailResult& result : mail_->TakeResults()) {
    in_flight_.erase(result.key);
    absl::StatusOr<std::optional<std::string>> stored = batch.Get(kMail, result.key);
    lotse::v1::MailJob job;
    if (!stored.ok() || !stored->has_value() || !job.ParseFromString(**stored)) {
      if (stored.ok() && !stored->has_value()) {
        continue;  // its referral's personal data was erased while it was out
      }
      spdlog::error(
          "the mail job {} cannot be read back after sending ({}); it is left as is",
          JobName(result.key),
          stored.ok() ? std::string("missing or damaged") : std::string(stored.status().message()));
      continue;
    }
    touched.insert(result.key);
    const lotse::v1::InboxMessage& message = job.message();
    job.set_attempts(job.attempts() + 1);
    lotse::v1::Envelope event;
    event.set_referral_id(message.referral_id());
    event.set_case_number(message.case_number());
    event.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_SERVICE);
    event.mutable_actor()->set_id("notification");
    if (result.ok) {
      lotse::v1::Delivered* delivered = event.mutable_delivered();
      delivered->set_recipient(message.recipient());
      delivered->set_address(job.address());
      delivered->set_channel("email");
      delivered->set_inbox_seq(message.seq());
      delivered->set_attempts(job.attempts());
      batch.Delete(kMail, result.key);
      service::Emit(batch, *store_, "notification", now, event);
      if (message.recipient().starts_with(kCompanyPrefix)) {
        TellCompanyMailResult(batch, message, /*delivered=*/true, now);
      }
      // Logs name the recipient, never its address (a key account manager's is a person's).
      spdlog::debug("mail {}#{} for referral {} accepted by the SMTP server", message.recipient(),
                    message.seq(), message.case_number());
      continue;
    }
    const bool final = job.attempts() >= settings.max_attempts;
    lotse::v1::DeliveryFailed* failed = event.mutable_delivery_failed();
    failed->set_recipient(message.recipient());
    failed->set_address(job.address());
    failed->set_channel("email");
    failed->set_inbox_seq(message.seq());
    failed->set_attempts(job.attempts());
    failed->set_reason(result.error);
    failed->set_final(final);
    if (final) {
      batch.Delete(kMail, result.key);
      if (message.recipient().starts_with(kCompanyPrefix)) {
        TellCompanyMailResult(batch, message, /*delivered=*/false, now);
      }
      spdlog::error(
          "mail about referral {} ({}) to {} failed {} times and is given up: {}. "
          "The message stays in the inbox; check the SMTP server ({}) and the "
          "recipient's address in the config, and tell the recipient by other means",
          message.case_number(), message.referral_id(), message.recipient(), job.attempts(),
          result.error, config::RedactedUrl(config_.notification.smtp_url));
    } else {
      std::uniform_real_distribution<double> jitter(0.0, 1.0);
      const absl::Duration delay = RetryDelay(job.attempts(), settings.retry_initial_ms,
                                              settings.retry_max_ms, jitter(jitter_));
      // Retries are scheduled in real time: the SMTP server's outage is not sped up.
      job.set_next_attempt_at_us(absl::ToUnixMicros(absl::Now() + delay));
      job.set_last_error(result.error);
      batch.Put(kMail, result.key, job.SerializeAsString());
      spdlog::warn(
          "mail about referral {} to {} failed (attempt {} of {}), next try in {} "
          "ms: {}",
          message.case_number(), message.recipient(), job.attempts(), settings.max_attempts,
          absl::ToInt64Milliseconds(delay), result.error);
    }
    service::Emit(batch, *store_, "notification", now, event);
  }
  return touched;
}

void NotificationService::SendDueMail(const std::set<std::string>& touched) {
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  std::string current;  // the recipient whose oldest job was just looked at
  std::vector<MailTask> due;
  absl::Status parse = absl::OkStatus();
  absl::Status scanned =
      store_->Scan(kMail, "", "", [&](std::string_view key, std::string_view value) {
        const std::string_view recipient = key.substr(0, key.find('\0'));
        if (recipient == current) {
          return true;  // not the oldest of its recipient: waits for the ones before it
        }
        current = std::string(recipient);
        const std::string k(key);
        if (touched.contains(k) || in_flight_.contains(k)) {
          return true;
        }
        lotse::v1::MailJob job;
        if (!job.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError(StrCat("the mail job of ", recipient, " is damaged"));
          return true;
        }
        if (job.next_attempt_at_us() <= now_us) {
          due.push_back(MailTask{k, job.address(),
                                 FormatMail(job.message(), config_.notification.mail_from,
                                            job.address(), absl::Now())});
        }
        return true;
      });
  if (!scanned.ok() || !parse.ok()) {
    spdlog::error("mail jobs could not be read: {}", scanned.ok() ? parse : scanned);
  }
  for (MailTask& task : due) {
    in_flight_.insert(task.key);
    mail_->Submit(std::move(task));
  }
}

}  // namespace lotse::notification
