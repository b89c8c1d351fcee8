// The e-mail channel against a real SMTP listener on loopback (Python's smtpd): a new referral
// reaches the department's address from the config, with Delivered on notification's log; with
// the listener down at first, DeliveryFailed (not final) is recorded, and once the listener is
// up every mail arrives exactly once, in inbox order, followed by Delivered.

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/smtp_listener.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

// The listener speaks plain SMTP (no STARTTLS): the set must be told so explicitly.
SetOptions WithMail(const SmtpListener& listener, int retry_ms, bool tls_off = true) {
  SetOptions options;
  options.env = {{"LOTSE_SMTP_URL", listener.url()},
                 {"LOTSE_SMTP_RETRY_MS", std::to_string(retry_ms)}};
  if (tls_off) {
    options.env.emplace_back("LOTSE_SMTP_TLS", "off");
  }
  return options;
}

constexpr std::string_view kDepartment = "department/jugend-arbeitsmarkt";
constexpr std::string_view kDepartmentAddress = "arbeitsmarkt@example.org";

// Notification's Delivered or DeliveryFailed events for the department's inbox, in log order.
std::vector<lotse::v1::Envelope> Events(LotseSet& set, lotse::v1::Envelope::PayloadCase what) {
  std::vector<lotse::v1::Envelope> out;
  absl::StatusOr<std::vector<lotse::v1::Envelope>> events = set.LogEvents("notification");
  if (events.ok()) {
    for (lotse::v1::Envelope& e : *events) {
      const std::string& recipient =
          e.has_delivered() ? e.delivered().recipient() : e.delivery_failed().recipient();
      if (e.payload_case() == what && recipient == kDepartment) {
        out.push_back(std::move(e));
      }
    }
  }
  return out;
}

// The mails to the department's address (the office gets its own mails too).
std::vector<Mail> DepartmentMails(const SmtpListener& listener) {
  std::vector<Mail> out;
  for (Mail& mail : listener.Mails()) {
    if (mail.headers["rcpt"] == kDepartmentAddress) {
      out.push_back(std::move(mail));
    }
  }
  return out;
}

lotse::v1::NotificationRequest InboxOf(const std::string& department) {
  lotse::v1::NotificationRequest request;
  request.set_request_id(NewKey());
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(department);
  request.mutable_inbox();
  return request;
}

constexpr auto kDelivered = lotse::v1::Envelope::kDelivered;
constexpr auto kFailed = lotse::v1::Envelope::kDeliveryFailed;

TEST(MailTest, DepartmentGetsANewReferralByMailAndDeliveredIsLogged) {
  SmtpListener listener;
  ASSERT_GT(listener.port(), 0);
  listener.Start();
  LotseSet set(WithMail(listener, 200));
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  const absl::Time submitted_at = absl::Now();
  auto submitted = set.Submit("bb-nord", "fachkraefte", "HRB-40001");
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  const std::string id = submitted->submitted().referral_id();

  ASSERT_TRUE(WaitUntil([&] { return !DepartmentMails(listener).empty(); }, absl::Seconds(15)))
      << set.Log("notification") << listener.Log();
  const absl::Duration latency = absl::Now() - submitted_at;
  auto inbox = set.Notification(InboxOf("jugend-arbeitsmarkt"));
  ASSERT_TRUE(inbox.ok() && inbox->inbox().messages_size() == 1);
  const lotse::v1::InboxMessage& message = inbox->inbox().messages(0);

  const std::vector<Mail> mails = DepartmentMails(listener);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].headers.at("from"), "lotse@musterstadt.example");
  EXPECT_EQ(mails[0].headers.at("subject"), message.title());
  EXPECT_EQ(mails[0].headers.at("message-id"),
            StrCat("<", message.seq(), ".department/jugend-arbeitsmarkt@lotse>"));
  EXPECT_NE(mails[0].body.find(StrCat("Aktenzeichen: ", submitted->submitted().case_number())),
            std::string::npos)
      << mails[0].body;

  std::vector<lotse::v1::Envelope> delivered;
  ASSERT_TRUE(
      WaitUntil([&] { return !(delivered = Events(set, kDelivered)).empty(); }, absl::Seconds(10)))
      << set.Log("notification");
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].referral_id(), id);
  EXPECT_EQ(delivered[0].stream(), "notification");
  EXPECT_EQ(delivered[0].delivered().recipient(), "department/jugend-arbeitsmarkt");
  EXPECT_EQ(delivered[0].delivered().address(), "arbeitsmarkt@example.org");
  EXPECT_EQ(delivered[0].delivered().channel(), "email");
  EXPECT_EQ(delivered[0].delivered().inbox_seq(), message.seq());
  EXPECT_EQ(delivered[0].delivered().attempts(), 1);
  EXPECT_TRUE(Events(set, kFailed).empty());
  // Audit keeps notification's events too: the mail is part of the referral's history.
  EXPECT_TRUE(WaitUntil(
      [&] {
        lotse::v1::AuditRequest history;
        history.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
        history.mutable_history()->set_ref(id);
        auto reply = set.Audit(history);
        if (!reply.ok() || !reply->has_history()) {
          return false;
        }
        for (const auto& entry : reply->history().entries()) {
          if (entry.event().has_delivered()) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(10)))
      << set.Log("audit");
  EXPECT_EQ(set.Terminate("notification"), 0);
  std::printf("[ figures  ] mail at the SMTP listener %lld ms after the submit\n",
              static_cast<long long>(absl::ToInt64Milliseconds(latency)));
}

TEST(MailTest, WithoutStartTlsNoMailLeavesAndTheCredentialsStayOutOfTheLog) {
  SmtpListener listener;
  ASSERT_GT(listener.port(), 0);
  listener.Start();
  // The default smtp_tls = "required" against a server without STARTTLS, with credentials in
  // the URL as a city's relay would have them.
  SetOptions options = WithMail(listener, 200, /*tls_off=*/false);
  options.env[0].second = StrCat("smtp://lotse:Geheim-4711@127.0.0.1:", listener.port());
  LotseSet set(options);
  set.StartAll(/*with_audit=*/false, /*with_notification=*/true);
  auto submitted = set.Submit("bb-nord", "fachkraefte", "HRB-40002");
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  std::vector<lotse::v1::Envelope> failed;
  ASSERT_TRUE(
      WaitUntil([&] { return !(failed = Events(set, kFailed)).empty(); }, absl::Seconds(15)))
      << set.Log("notification");
  EXPECT_NE(failed[0].delivery_failed().reason().find("SSL"), std::string::npos)
      << failed[0].delivery_failed().reason();
  EXPECT_TRUE(DepartmentMails(listener).empty()) << "a mail left without TLS";
  const std::string log = set.Log("notification");
  EXPECT_EQ(log.find("Geheim-4711"), std::string::npos) << log;
  EXPECT_NE(log.find("smtp://***@127.0.0.1"), std::string::npos) << log;
}

TEST(MailTest, ListenerDownAtFirstGetsEveryMailOnceAfterBackoff) {
  SmtpListener listener;  // not started: connections are refused
  ASSERT_GT(listener.port(), 0);
  LotseSet set(WithMail(listener, 300));
  set.StartAll(/*with_audit=*/false, /*with_notification=*/true);
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    auto submitted = set.Submit("bb-nord", "fachkraefte", StrCat("HRB-4100", i));
    ASSERT_TRUE(submitted.ok() && !submitted->has_error());
    ids.push_back(submitted->submitted().referral_id());
  }

  // The oldest mail fails again and again with a growing delay; the one behind it waits.
  std::vector<lotse::v1::Envelope> failed;
  ASSERT_TRUE(
      WaitUntil([&] { return (failed = Events(set, kFailed)).size() >= 3; }, absl::Seconds(20)))
      << set.Log("notification");
  for (const lotse::v1::Envelope& e : failed) {
    EXPECT_FALSE(e.delivery_failed().final());
    EXPECT_FALSE(e.delivery_failed().reason().empty());
    EXPECT_EQ(e.delivery_failed().inbox_seq(), 1u) << "a later mail overtook the first";
    EXPECT_EQ(e.referral_id(), ids[0]);
  }
  EXPECT_EQ(failed[0].delivery_failed().attempts(), 1);
  EXPECT_EQ(failed[2].delivery_failed().attempts(), 3);
  const int64_t gap1 = (failed[1].occurred_at_us() - failed[0].occurred_at_us()) / 1000;
  const int64_t gap2 = (failed[2].occurred_at_us() - failed[1].occurred_at_us()) / 1000;
  EXPECT_GE(gap1, 300);  // 300 ms (+ up to 10 % jitter and a tick)
  EXPECT_GE(gap2, 600);  // doubled
  EXPECT_LT(gap2, 2000);
  EXPECT_TRUE(listener.Mails().empty());  // not the office's either

  const absl::Time listener_up = absl::Now();
  listener.Start();
  ASSERT_TRUE(WaitUntil([&] { return DepartmentMails(listener).size() >= 2; }, absl::Seconds(20)))
      << set.Log("notification");
  const absl::Duration recovery = absl::Now() - listener_up;
  std::vector<lotse::v1::Envelope> delivered;
  ASSERT_TRUE(WaitUntil([&] { return (delivered = Events(set, kDelivered)).size() >= 2; },
                        absl::Seconds(10)))
      << set.Log("notification");
  // Nothing more arrives once both are recorded as delivered.
  EXPECT_FALSE(WaitUntil([&] { return DepartmentMails(listener).size() > 2; }, absl::Seconds(1)));

  const std::vector<Mail> mails = DepartmentMails(listener);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0].headers.at("message-id"), "<1.department/jugend-arbeitsmarkt@lotse>");
  EXPECT_EQ(mails[1].headers.at("message-id"), "<2.department/jugend-arbeitsmarkt@lotse>");
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered[0].delivered().inbox_seq(), 1u);
  EXPECT_EQ(delivered[0].referral_id(), ids[0]);
  EXPECT_GE(delivered[0].delivered().attempts(), 4);
  EXPECT_EQ(delivered[1].delivered().inbox_seq(), 2u);
  EXPECT_EQ(delivered[1].referral_id(), ids[1]);
  EXPECT_EQ(delivered[1].delivered().attempts(), 1);
  for (const lotse::v1::Envelope& e : Events(set, kFailed)) {
    EXPECT_FALSE(e.delivery_failed().final());
  }
  EXPECT_EQ(set.Terminate("notification"), 0);
  std::printf(
      "[ figures  ] failures at +0, +%lld, +%lld ms (retry_initial_ms 300); both mails "
      "%lld ms after the listener came up; first delivered at attempt %d\n",
      static_cast<long long>(gap1), static_cast<long long>(gap1 + gap2),
      static_cast<long long>(absl::ToInt64Milliseconds(recovery)),
      delivered[0].delivered().attempts());
}

}  // namespace
}  // namespace lotse::test
