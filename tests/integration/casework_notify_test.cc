// Case work's notification against the real services: the company hears the answer directly by
// e-mail where its contact person consented at intake (and the office is told once the mail was
// accepted), never where it did not or where the address is forged; the named contact persons'
// inboxes ("staff/<id>") and the head's ("head") are read only by the person's department and
// admin, and a refused read acknowledges nothing.

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

using lotse::v1::NotificationReply;
using lotse::v1::NotificationRequest;

// A referral from bb-mitte on `topic` whose contact person gives `email` and may have agreed
// to get the answer by e-mail.
absl::StatusOr<lotse::v1::IntakeReply> SubmitWithContact(LotseSet& set, const std::string& topic,
                                                         const std::string& company_id,
                                                         const std::string& subject,
                                                         const std::string& email, bool consent) {
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id("bb-mitte");
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office("bb-mitte");
  r->set_company_id(company_id);
  r->set_company_name(StrCat("Firma ", company_id, " GmbH"));
  r->set_topic(topic);
  r->set_subject(subject);
  r->set_text("Welche Unterlagen brauchen wir, und wie lange dauert es?");
  r->mutable_contact()->set_name("Erika Mustermann");
  r->mutable_contact()->set_email(email);
  r->mutable_contact()->set_consent_email(consent);
  return set.Intake(request);
}

NotificationRequest InboxAs(lotse::v1::ActorKind kind, const std::string& id,
                            const std::string& inbox, uint64_t ack = 0) {
  NotificationRequest request;
  request.set_request_id(NewKey());
  request.mutable_actor()->set_kind(kind);
  request.mutable_actor()->set_id(id);
  request.mutable_inbox()->set_inbox(inbox);
  request.mutable_inbox()->set_ack(ack);
  return request;
}

constexpr auto kOffice = lotse::v1::ACTOR_KIND_OFFICE;
constexpr auto kDepartment = lotse::v1::ACTOR_KIND_DEPARTMENT;
constexpr auto kAdmin = lotse::v1::ACTOR_KIND_ADMIN;
constexpr auto kOps = lotse::v1::ACTOR_KIND_OPS;

// Claims and answers `id` at umwelt (where emissionsschutz goes) once it is on the worklist.
void Answer(LotseSet& set, const std::string& id, const std::string& text) {
  ASSERT_TRUE(set.Eventually([&] {
    absl::StatusOr<lotse::v1::RoutingReply> list = set.Worklist("umwelt");
    if (!list.ok()) {
      return false;
    }
    return std::any_of(list->worklist().items().begin(), list->worklist().items().end(),
                       [&](const lotse::v1::WorkItem& item) { return item.referral_id() == id; });
  })) << set.Log("routing");
  lotse::v1::RoutingRequest claim;
  claim.mutable_claim()->set_ref(id);
  absl::StatusOr<lotse::v1::RoutingReply> claimed = set.Act("umwelt", "p.wagner", claim);
  ASSERT_TRUE(claimed.ok() && !claimed->has_error()) << claimed->DebugString();
  lotse::v1::RoutingRequest answer;
  answer.mutable_answer()->set_ref(id);
  answer.mutable_answer()->set_text(text);
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  absl::StatusOr<lotse::v1::RoutingReply> answered = set.Act("umwelt", "p.wagner", answer);
  ASSERT_TRUE(answered.ok() && !answered->has_error()) << answered->DebugString();
}

// Every message of an inbox (read without acknowledging).
std::vector<lotse::v1::InboxMessage> Messages(LotseSet& set, lotse::v1::ActorKind kind,
                                              const std::string& id,
                                              const std::string& inbox = "") {
  absl::StatusOr<NotificationReply> reply = set.Notification(InboxAs(kind, id, inbox));
  if (!reply.ok() || !reply->has_inbox()) {
    return {};
  }
  return {reply->inbox().messages().begin(), reply->inbox().messages().end()};
}

TEST(CaseworkNotifyTest, TheCompanyGetsTheAnswerByMailOnlyWithConsentAndTheOfficeIsTold) {
  SmtpListener listener;
  ASSERT_GT(listener.port(), 0);
  listener.Start();
  SetOptions options;
  options.env = {{"LOTSE_SMTP_URL", listener.url()},
                 {"LOTSE_SMTP_RETRY_MS", "200"},
                 {"LOTSE_SMTP_TLS", "off"}};
  LotseSet set(options);
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);

  auto consented = SubmitWithContact(set, "emissionsschutz", "HRB-81001", "Abluftanlage",
                                     "inhaber@firma-a.example", true);
  auto not_consented = SubmitWithContact(set, "emissionsschutz", "HRB-81002", "Lärmschutz",
                                         "inhaber@firma-b.example", false);
  // Consents with addresses that would smuggle another recipient or command into the SMTP
  // dialog: intake may refuse them; if it takes them, notification must not use them.
  std::vector<std::string> forged_cases;
  std::vector<std::string> forged_ids;
  for (const std::string address : {"inhaber@firma-c.example>,<spy@evil.example",
                                    "inhaber@firma-c.example\r\nRCPT TO:<spy@evil.example>"}) {
    auto forged = SubmitWithContact(set, "emissionsschutz", "HRB-81003", "Staub", address, true);
    ASSERT_TRUE(forged.ok()) << forged.status();
    if (forged->has_error()) {
      EXPECT_EQ(forged->error().field(), "contact.email") << forged->error().message();
      continue;
    }
    forged_cases.push_back(forged->submitted().case_number());
    forged_ids.push_back(forged->submitted().referral_id());
  }
  for (const auto* s : {&consented, &not_consented}) {
    ASSERT_TRUE(s->ok()) << s->status();
    ASSERT_FALSE((*s)->has_error()) << (*s)->error().message();
  }
  const std::string a = consented->submitted().referral_id();
  const std::string a_case = consented->submitted().case_number();
  const std::string b_case = not_consented->submitted().case_number();
  std::vector<std::string> others = forged_cases;
  others.push_back(b_case);
  Answer(set, a, "Eine Genehmigung nach BImSchG ist nicht erforderlich.");
  Answer(set, not_consented->submitted().referral_id(), "Antwort B");
  for (const std::string& id : forged_ids) {
    Answer(set, id, "Antwort C");
  }

  // The consenting company gets the answer itself.
  ASSERT_TRUE(
      WaitUntil([&] { return !listener.To("inhaber@firma-a.example").empty(); }, absl::Seconds(20)))
      << set.Log("notification");
  const std::vector<Mail> to_a = listener.To("inhaber@firma-a.example");
  ASSERT_EQ(to_a.size(), 1u);
  EXPECT_EQ(to_a[0].rcpt(), "inhaber@firma-a.example");
  EXPECT_NE(to_a[0].body.find("nach BImSchG ist nicht erforderlich"), std::string::npos)
      << to_a[0].body;
  EXPECT_NE(to_a[0].body.find(a_case), std::string::npos) << to_a[0].body;

  // The office is told after the SMTP server took the mail (and only for that referral).
  ASSERT_TRUE(set.Eventually(
      [&] {
        for (const lotse::v1::InboxMessage& m : Messages(set, kOffice, "bb-mitte")) {
          if (m.kind() == lotse::v1::MESSAGE_KIND_MAIL_SENT && m.case_number() == a_case) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(15)))
      << set.Log("notification");
  absl::StatusOr<std::vector<lotse::v1::Envelope>> events = set.LogEvents("notification");
  ASSERT_TRUE(events.ok()) << events.status();
  int company_delivered = 0;
  for (const lotse::v1::Envelope& e : *events) {
    if (e.has_delivered() && e.delivered().recipient().starts_with("company/")) {
      ++company_delivered;
      EXPECT_EQ(e.delivered().recipient(), "company/" + a);
      EXPECT_EQ(e.referral_id(), a);
    }
  }
  EXPECT_EQ(company_delivered, 1);

  // The office's own answer mails for the others have gone out; a company mail for them would
  // have been queued in the same commit and handed to the sender in the same tick.
  ASSERT_TRUE(WaitUntil(
      [&] {
        size_t answers = 0;
        for (const Mail& m : listener.To("buergerbuero-mitte@example.org")) {
          for (const std::string& c : others) {
            answers += m.subject().find(c) != std::string::npos &&
                       m.subject().find("Answer") != std::string::npos;
          }
        }
        return answers == others.size();
      },
      absl::Seconds(20)))
      << set.Log("notification");
  EXPECT_FALSE(WaitUntil(
      [&] {
        return !listener.To("firma-b.example").empty() || !listener.To("evil.example").empty() ||
               !listener.To("firma-c.example").empty();
      },
      absl::Seconds(2)))
      << "a company mail went out without consent or to a forged address";
  absl::StatusOr<std::vector<lotse::v1::Envelope>> after = set.LogEvents("notification");
  ASSERT_TRUE(after.ok()) << after.status();
  for (const lotse::v1::Envelope& e : *after) {
    if (e.has_delivered() || e.has_delivery_failed()) {
      const std::string& recipient =
          e.has_delivered() ? e.delivered().recipient() : e.delivery_failed().recipient();
      EXPECT_TRUE(!recipient.starts_with("company/") || recipient == "company/" + a) << recipient;
    }
  }
  for (const lotse::v1::InboxMessage& m : Messages(set, kOffice, "bb-mitte")) {
    if (std::find(others.begin(), others.end(), m.case_number()) != others.end()) {
      EXPECT_NE(m.kind(), lotse::v1::MESSAGE_KIND_MAIL_SENT) << m.title();
    }
  }
}

TEST(CaseworkNotifyTest, OnlyThePersonsDepartmentAndAdminReadAStaffInbox) {
  LotseSet set;
  set.StartAll(/*with_audit=*/false, /*with_notification=*/true);

  // Allowed: bo-mueller works at bauordnung; admin may read every person's inbox and the head's.
  for (const auto& [kind, id, inbox] :
       std::vector<std::tuple<lotse::v1::ActorKind, std::string, std::string>>{
           {kDepartment, "bauordnung", "staff/bo-mueller"},
           {kDepartment, "umwelt", "staff/um-wagner"},
           {kAdmin, "", "staff/bo-mueller"},
           {kAdmin, "", "head"},
           {kDepartment, "umwelt", "department/umwelt"},  // its own, named
           {kOffice, "bb-mitte", ""}}) {
    absl::StatusOr<NotificationReply> reply = set.Notification(InboxAs(kind, id, inbox));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_TRUE(reply->has_inbox()) << id << " " << inbox << ": " << reply->error().message();
    if (!inbox.empty()) {
      EXPECT_EQ(reply->inbox().recipient(), inbox);
    }
  }
  // Refused, all alike: another department, an office, a department for the head, an unknown
  // person, a forged prefix, ops.
  for (const auto& [kind, id, inbox] :
       std::vector<std::tuple<lotse::v1::ActorKind, std::string, std::string>>{
           {kDepartment, "umwelt", "staff/bo-mueller"},
           {kOffice, "bb-mitte", "staff/bo-mueller"},
           {kDepartment, "bauordnung", "head"},
           {kOffice, "bb-mitte", "head"},
           {kDepartment, "bauordnung", "staff/nobody"},
           {kDepartment, "bauordnung", "staff/../bo-mueller"},
           {kDepartment, "bauordnung", "department/umwelt"},
           {kOffice, "bb-mitte", "office/bb-nord"},
           {kAdmin, "", "department/umwelt"},
           {kDepartment, "bauordnung", "company/x"}}) {
    absl::StatusOr<NotificationReply> reply = set.Notification(InboxAs(kind, id, inbox));
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_TRUE(reply->has_error()) << id << " read " << inbox;
    EXPECT_EQ(reply->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED) << inbox;
    EXPECT_EQ(reply->error().field(), "inbox") << inbox;
  }
  absl::StatusOr<NotificationReply> ops = set.Notification(InboxAs(kOps, "", "head"));
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(ops->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  absl::StatusOr<NotificationReply> admin_own = set.Notification(InboxAs(kAdmin, "", ""));
  ASSERT_TRUE(admin_own.ok()) << admin_own.status();
  EXPECT_EQ(admin_own->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(admin_own->error().field(), "inbox");

  // A refused read acknowledges nothing: umwelt's new item stays unacknowledged.
  auto submitted = set.Submit("bb-mitte", "emissionsschutz", "HRB-82001");
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  ASSERT_TRUE(set.Eventually([&] { return !Messages(set, kDepartment, "umwelt").empty(); }))
      << set.Log("notification");
  for (const auto& [kind, id] : std::vector<std::pair<lotse::v1::ActorKind, std::string>>{
           {kDepartment, "bauordnung"}, {kAdmin, ""}}) {
    absl::StatusOr<NotificationReply> refused =
        set.Notification(InboxAs(kind, id, "department/umwelt", /*ack=*/1));
    ASSERT_TRUE(refused.ok()) << refused.status();
    EXPECT_TRUE(refused->has_error());
  }
  absl::StatusOr<NotificationReply> own = set.Notification(InboxAs(kDepartment, "umwelt", ""));
  ASSERT_TRUE(own.ok() && own->has_inbox()) << own->DebugString();
  EXPECT_EQ(own->inbox().acknowledged(), 0u);
  ASSERT_GE(own->inbox().messages_size(), 1);
  EXPECT_EQ(own->inbox().messages(0).seq(), 1u);
}

// Needs routing's named contact persons (branch wt-routing): until routing fills
// ReferralRouted.contact_person this test skips; after the merge it must pass.
TEST(CaseworkNotifyTest, PersonInboxGetsRoutedItem) {
  LotseSet set;
  set.StartAll(/*with_audit=*/false, /*with_notification=*/true);
  auto submitted = SubmitWithContact(set, "baugenehmigung", "HRB-83001",
                                     "Bauvoranfrage für eine Lagerhalle", "", false);
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  const std::string id = submitted->submitted().referral_id();
  lotse::v1::ReferralRouted routed;
  ASSERT_TRUE(set.Eventually([&] {
    absl::StatusOr<std::vector<lotse::v1::Envelope>> events = set.LogEvents("routing");
    for (const lotse::v1::Envelope& e :
         events.ok() ? *events : std::vector<lotse::v1::Envelope>{}) {
      if (e.referral_id() == id && e.has_referral_routed()) {
        routed = e.referral_routed();
        return true;
      }
    }
    return false;
  })) << set.Log("routing");
  ASSERT_FALSE(routed.contact_person().id().empty()) << "routing named no contact person";
  const std::string person = routed.contact_person().id();
  ASSERT_TRUE(set.Eventually([&] {
    for (const lotse::v1::InboxMessage& m :
         Messages(set, kDepartment, routed.assignee(), "staff/" + person)) {
      if (m.referral_id() == id && m.kind() == lotse::v1::MESSAGE_KIND_NEW_REFERRAL) {
        return true;
      }
    }
    return false;
  })) << set.Log("notification");
  // The department's inbox has it as well, naming the person.
  bool department_told = false;
  for (const lotse::v1::InboxMessage& m : Messages(set, kDepartment, routed.assignee())) {
    department_told |= m.referral_id() == id && m.body().find(person) != std::string::npos;
  }
  EXPECT_TRUE(department_told);
  // Another department may not read the person's inbox.
  absl::StatusOr<NotificationReply> foreign =
      set.Notification(InboxAs(kDepartment, "umwelt", "staff/" + person));
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
}

}  // namespace
}  // namespace lotse::test
