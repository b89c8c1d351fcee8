#include "services/notification/messages.h"

#include "gtest/gtest.h"

namespace lotse::notification {
namespace {

class MessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &zone_));
    lotse::v1::Envelope routed;
    routed.set_referral_id("r1");
    routed.set_case_number("2026-000007");
    auto* r = routed.mutable_referral_routed();
    r->set_assignee("kam-schneider");
    r->set_key_account("kam-schneider");
    r->set_office("bb-nord");
    r->set_subject("Lärmgutachten");
    r->set_company_name("Stahlbau Rhein GmbH");
    r->set_due_at_us(
        absl::ToUnixMicros(absl::FromCivil(absl::CivilMinute(2026, 3, 3, 9, 30), zone_)));
    first_ = MessagesFor(routed, note_, zone_);
  }

  std::vector<std::string> Recipients(const std::vector<Outgoing>& out) {
    std::vector<std::string> r;
    for (const Outgoing& o : out) {
      r.push_back(o.recipient);
    }
    return r;
  }

  absl::TimeZone zone_;
  lotse::v1::ReferralNote note_;
  std::vector<Outgoing> first_;
};

TEST_F(MessagesTest, ANewReferralGoesToItsAssigneeAndTheOfficeHearsWhere) {
  ASSERT_EQ(Recipients(first_),
            (std::vector<std::string>{"department/kam-schneider", "office/bb-nord"}));
  EXPECT_EQ(first_[0].kind, lotse::v1::MESSAGE_KIND_NEW_REFERRAL);
  EXPECT_NE(first_[0].title.find("2026-000007"), std::string::npos);
  EXPECT_NE(first_[0].body.find("2026-03-03 09:30"), std::string::npos) << first_[0].body;
}

TEST_F(MessagesTest, AForwardGoesToTheReceiverAndLaterMessagesFollowIt) {
  lotse::v1::Envelope fw;
  fw.set_referral_id("r1");
  fw.mutable_forwarded()->set_from("kam-schneider");
  fw.mutable_forwarded()->set_to("umwelt");
  fw.mutable_forwarded()->set_reason("Umweltrecht");
  EXPECT_EQ(Recipients(MessagesFor(fw, note_, zone_)),
            (std::vector<std::string>{"department/umwelt", "office/bb-nord"}));
  lotse::v1::Envelope contribution;
  contribution.set_referral_id("r1");
  contribution.mutable_contribution_added()->set_department("bauordnung");
  EXPECT_EQ(Recipients(MessagesFor(contribution, note_, zone_)),
            (std::vector<std::string>{"department/umwelt"}));
}

TEST_F(MessagesTest, AnEscalationAlsoReachesTheKeyAccountManager) {
  lotse::v1::Envelope fw;
  fw.mutable_forwarded()->set_to("umwelt");
  MessagesFor(fw, note_, zone_);
  lotse::v1::Envelope esc;
  esc.mutable_escalated()->set_assignee("umwelt");
  esc.mutable_escalated()->set_key_account("kam-schneider");
  esc.mutable_escalated()->set_level(lotse::v1::ESCALATION_LEVEL_BREACH);
  std::vector<Outgoing> out = MessagesFor(esc, note_, zone_);
  EXPECT_EQ(Recipients(out),
            (std::vector<std::string>{"department/umwelt", "department/kam-schneider"}));
  EXPECT_NE(out[0].title.find("Overdue"), std::string::npos);
}

TEST_F(MessagesTest, TheAnswerGoesToTheOriginatingOfficeWithItsText) {
  lotse::v1::Envelope answered;
  answered.mutable_answered()->mutable_answer()->set_text("Kein Gutachten nötig.");
  answered.mutable_answered()->mutable_answer()->set_department("umwelt");
  answered.mutable_answered()->mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  std::vector<Outgoing> out = MessagesFor(answered, note_, zone_);
  ASSERT_EQ(Recipients(out), (std::vector<std::string>{"office/bb-nord"}));
  EXPECT_EQ(out[0].kind, lotse::v1::MESSAGE_KIND_ANSWER);
  EXPECT_EQ(out[0].body, "Kein Gutachten nötig.");
}

// A newer routing may send an outcome this build does not know (found by fuzz_envelope: the
// name was cut with substr and threw, and the notification service died on every restart).
TEST_F(MessagesTest, AnUnknownOutcomeIsNamedByItsNumber) {
  lotse::v1::Envelope answered;
  answered.mutable_answered()->mutable_answer()->set_department("umwelt");
  answered.mutable_answered()->mutable_answer()->set_outcome(static_cast<lotse::v1::Outcome>(99));
  std::vector<Outgoing> out = MessagesFor(answered, note_, zone_);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].title.find("(99)"), std::string::npos) << out[0].title;
}

TEST_F(MessagesTest, AConsultationReachesEveryConsultedDepartment) {
  lotse::v1::Envelope consult;
  consult.mutable_consultation_opened()->set_assignee("kam-schneider");
  consult.mutable_consultation_opened()->add_departments("umwelt");
  consult.mutable_consultation_opened()->add_departments("bauordnung");
  EXPECT_EQ(Recipients(MessagesFor(consult, note_, zone_)),
            (std::vector<std::string>{"department/umwelt", "department/bauordnung"}));
}

TEST_F(MessagesTest, AConsultationAlsoReachesTheChosenContactPerson) {
  lotse::v1::Envelope consult;
  consult.mutable_consultation_opened()->set_assignee("umwelt");
  consult.mutable_consultation_opened()->add_departments("bauordnung");
  lotse::v1::StaffContact* c = consult.mutable_consultation_opened()->add_contacts();
  c->set_id("bo-mueller");
  c->set_department("bauordnung");
  std::vector<Outgoing> out = MessagesFor(consult, note_, zone_);
  EXPECT_EQ(Recipients(out),
            (std::vector<std::string>{"department/bauordnung", "staff/bo-mueller"}));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[1].body.find("named contact person in bauordnung"), std::string::npos)
      << out[1].body;
}

lotse::v1::StaffContact Staff(std::string id, std::string department) {
  lotse::v1::StaffContact c;
  c.set_id(std::move(id));
  c.set_name("Jana Müller");
  c.set_department(std::move(department));
  return c;
}

class CaseworkMessagesTest : public MessagesTest {
 protected:
  // A referral for bauordnung with a named contact person (who stands in for someone away).
  std::vector<Outgoing> RoutedToPerson(lotse::v1::ReferralNote& note, bool consent) {
    lotse::v1::Envelope submitted;
    submitted.set_referral_id("r2");
    auto* r = submitted.mutable_referral_submitted()->mutable_referral();
    r->set_office("bb-mitte");
    r->set_subject("Lagerhalle");
    r->mutable_contact()->set_email("inhaber@firma.example");
    r->mutable_contact()->set_consent_email(consent);
    MessagesFor(submitted, note, zone_);
    lotse::v1::Envelope routed;
    routed.set_referral_id("r2");
    routed.set_case_number("2026-000123");
    auto* x = routed.mutable_referral_routed();
    x->set_assignee("bauordnung");
    x->set_office("bb-mitte");
    x->set_subject("Lagerhalle");
    *x->mutable_contact_person() = Staff("bo-mueller", "bauordnung");
    x->set_stand_in_for("bo-becker");
    return MessagesFor(routed, note, zone_);
  }
};

TEST_F(CaseworkMessagesTest, ARoutedItemReachesTheNamedPersonBesidesTheDepartment) {
  lotse::v1::ReferralNote note;
  std::vector<Outgoing> out = RoutedToPerson(note, false);
  ASSERT_EQ(Recipients(out), (std::vector<std::string>{"department/bauordnung", "staff/bo-mueller",
                                                       "office/bb-mitte"}));
  EXPECT_EQ(out[1].kind, lotse::v1::MESSAGE_KIND_NEW_REFERRAL);
  EXPECT_NE(out[1].title.find("2026-000123"), std::string::npos);
  EXPECT_NE(out[1].body.find("stand in for bo-becker"), std::string::npos) << out[1].body;
  EXPECT_NE(out[0].body.find("Jana Müller"), std::string::npos) << out[0].body;
  EXPECT_EQ(note.contact_person(), "bo-mueller");
}

TEST_F(CaseworkMessagesTest, AForwardWithoutAContactPersonForgetsTheOldOne) {
  lotse::v1::ReferralNote note;
  RoutedToPerson(note, false);
  lotse::v1::Envelope fw;
  fw.set_referral_id("r2");
  fw.mutable_forwarded()->set_from("bauordnung");
  fw.mutable_forwarded()->set_to("umwelt");
  *fw.mutable_forwarded()->mutable_contact_person() = Staff("um-wagner", "umwelt");
  EXPECT_EQ(Recipients(MessagesFor(fw, note, zone_)),
            (std::vector<std::string>{"department/umwelt", "staff/um-wagner", "office/bb-mitte"}));
  fw.mutable_forwarded()->set_from("umwelt");
  fw.mutable_forwarded()->set_to("wirtschaft");
  fw.mutable_forwarded()->clear_contact_person();
  EXPECT_EQ(Recipients(MessagesFor(fw, note, zone_)),
            (std::vector<std::string>{"department/wirtschaft", "office/bb-mitte"}));
  EXPECT_EQ(note.contact_person(), "");
}

TEST_F(CaseworkMessagesTest, AnEscalationReachesEveryoneTheLadderNamesOnce) {
  lotse::v1::ReferralNote note;
  RoutedToPerson(note, false);
  lotse::v1::Envelope esc;
  esc.set_referral_id("r2");
  auto* x = esc.mutable_escalated();
  x->set_assignee("bauordnung");
  x->set_level(lotse::v1::ESCALATION_LEVEL_BREACH);
  x->set_deadline(lotse::v1::DEADLINE_FIRST_REACTION);
  x->add_notify_staff("bo-mueller");
  x->add_notify_staff("bo-schulz");  // the substitute
  x->add_notify_staff("bo-mueller");
  std::vector<Outgoing> out = MessagesFor(esc, note, zone_);
  ASSERT_EQ(Recipients(out), (std::vector<std::string>{"department/bauordnung", "staff/bo-mueller",
                                                       "staff/bo-schulz"}));
  EXPECT_NE(out[0].title.find("No reaction"), std::string::npos) << out[0].title;
  EXPECT_NE(out[0].body.find("Claim it now"), std::string::npos) << out[0].body;
}

TEST_F(CaseworkMessagesTest, TheSecondBreachReachesTheHead) {
  lotse::v1::ReferralNote note;
  RoutedToPerson(note, false);
  lotse::v1::Envelope esc;
  esc.set_referral_id("r2");
  auto* x = esc.mutable_escalated();
  x->set_assignee("bauordnung");
  x->set_level(lotse::v1::ESCALATION_LEVEL_SECOND_BREACH);
  x->add_notify_staff("bo-becker");  // the lead
  std::vector<Outgoing> out = MessagesFor(esc, note, zone_);
  ASSERT_EQ(Recipients(out),
            (std::vector<std::string>{"department/bauordnung", "staff/bo-becker", "head"}));
  EXPECT_NE(out[2].title.find("Still unanswered"), std::string::npos) << out[2].title;
  EXPECT_NE(out[2].body.find("bauordnung"), std::string::npos) << out[2].body;
  x->add_notify_staff("head");
  EXPECT_EQ(Recipients(MessagesFor(esc, note, zone_)),
            (std::vector<std::string>{"department/bauordnung", "staff/bo-becker", "head"}));
}

TEST_F(CaseworkMessagesTest, AConsultationDeadlineReachesTheConsultedDepartment) {
  lotse::v1::ReferralNote note;
  RoutedToPerson(note, false);
  lotse::v1::Envelope esc;
  esc.set_referral_id("r2");
  auto* x = esc.mutable_escalated();
  x->set_assignee("bauordnung");
  x->set_department("umwelt");
  x->set_level(lotse::v1::ESCALATION_LEVEL_BREACH);
  x->set_deadline(lotse::v1::DEADLINE_CONSULTATION);
  std::vector<Outgoing> out = MessagesFor(esc, note, zone_);
  ASSERT_EQ(Recipients(out), (std::vector<std::string>{"department/umwelt"}));
  EXPECT_NE(out[0].title.find("Contribution overdue"), std::string::npos) << out[0].title;
}

TEST_F(CaseworkMessagesTest, AQuestionBackGoesToTheOfficeAndTheReplyToThePerson) {
  lotse::v1::ReferralNote note;
  RoutedToPerson(note, false);
  lotse::v1::Envelope asked;
  asked.set_referral_id("r2");
  asked.mutable_company_asked()->set_office("bb-mitte");
  asked.mutable_company_asked()->set_assignee("bauordnung");
  asked.mutable_company_asked()->set_asked_by("bo-mueller");
  asked.mutable_company_asked()->set_question("Wie hoch wird die Halle?");
  std::vector<Outgoing> out = MessagesFor(asked, note, zone_);
  ASSERT_EQ(Recipients(out), (std::vector<std::string>{"office/bb-mitte"}));
  EXPECT_EQ(out[0].kind, lotse::v1::MESSAGE_KIND_COMPANY_QUESTION);
  EXPECT_NE(out[0].body.find("Wie hoch"), std::string::npos);
  lotse::v1::Envelope replied;
  replied.set_referral_id("r2");
  replied.mutable_company_replied()->set_assignee("bauordnung");
  replied.mutable_company_replied()->set_text("12 Meter.");
  out = MessagesFor(replied, note, zone_);
  ASSERT_EQ(Recipients(out),
            (std::vector<std::string>{"department/bauordnung", "staff/bo-mueller"}));
  EXPECT_EQ(out[1].kind, lotse::v1::MESSAGE_KIND_COMPANY_REPLY);
  EXPECT_NE(out[1].body.find("12 Meter."), std::string::npos);
}

TEST_F(CaseworkMessagesTest, AReopenedReferralReachesTheDepartmentAndItsPerson) {
  lotse::v1::ReferralNote note;
  RoutedToPerson(note, false);
  lotse::v1::Envelope reopened;
  reopened.set_referral_id("r2");
  reopened.set_case_number("2026-000123");
  reopened.mutable_reopened()->set_assignee("bauordnung");
  *reopened.mutable_reopened()->mutable_contact_person() = Staff("bo-mueller", "bauordnung");
  reopened.mutable_reopened()->set_reason("feedback: not resolved");
  std::vector<Outgoing> out = MessagesFor(reopened, note, zone_);
  ASSERT_EQ(Recipients(out),
            (std::vector<std::string>{"department/bauordnung", "staff/bo-mueller"}));
  EXPECT_EQ(out[0].kind, lotse::v1::MESSAGE_KIND_REOPENED);
  EXPECT_NE(out[0].title.find("2026-000123 is open again"), std::string::npos) << out[0].title;
  EXPECT_NE(out[0].body.find("not resolved"), std::string::npos);
}

TEST_F(CaseworkMessagesTest, TheAnswerGoesToTheCompanyOnlyWithConsent) {
  lotse::v1::Envelope answered;
  answered.set_referral_id("r2");
  answered.mutable_answered()->mutable_answer()->set_text("Genehmigungsfrei.");
  answered.mutable_answered()->mutable_answer()->set_department("bauordnung");
  lotse::v1::ReferralNote without;
  RoutedToPerson(without, false);
  EXPECT_EQ(without.company_email(), "");
  EXPECT_EQ(Recipients(MessagesFor(answered, without, zone_)),
            (std::vector<std::string>{"office/bb-mitte"}));
  lotse::v1::ReferralNote with;
  RoutedToPerson(with, true);
  EXPECT_EQ(with.company_email(), "inhaber@firma.example");
  std::vector<Outgoing> out = MessagesFor(answered, with, zone_);
  ASSERT_EQ(Recipients(out), (std::vector<std::string>{"office/bb-mitte", "company/r2"}));
  EXPECT_EQ(out[1].kind, lotse::v1::MESSAGE_KIND_ANSWER);
  EXPECT_EQ(out[1].address, "inhaber@firma.example");
  EXPECT_NE(out[1].body.find("Genehmigungsfrei."), std::string::npos);
  EXPECT_NE(out[1].title.find("Lagerhalle"), std::string::npos);
  // Reopened and answered again: the company hears the new answer too.
  EXPECT_EQ(with.company_email(), "inhaber@firma.example");
  EXPECT_EQ(Recipients(MessagesFor(answered, with, zone_)),
            (std::vector<std::string>{"office/bb-mitte", "company/r2"}));
  // Closed: the note keeps the address no longer; a later answer is not mailed.
  lotse::v1::Envelope closed;
  closed.set_referral_id("r2");
  closed.mutable_closed()->mutable_feedback()->set_rating(5);
  MessagesFor(closed, with, zone_);
  EXPECT_EQ(with.company_email(), "");
  EXPECT_EQ(Recipients(MessagesFor(answered, with, zone_)),
            (std::vector<std::string>{"office/bb-mitte"}));
}

TEST_F(CaseworkMessagesTest, AnAddressSeenOnlyAfterTheAnswerIsNotKept) {
  lotse::v1::ReferralNote note;
  lotse::v1::Envelope answered;
  answered.set_referral_id("r2");
  answered.mutable_answered()->mutable_answer()->set_text("Genehmigungsfrei.");
  MessagesFor(answered, note, zone_);  // routing's stream ran ahead of intake's
  RoutedToPerson(note, true);
  EXPECT_EQ(note.company_email(), "");
}

TEST(PlausibleMailAddressTest, KeepsForgedAddressesOutOfTheSmtpDialog) {
  EXPECT_TRUE(PlausibleMailAddress("inhaber@firma.example"));
  EXPECT_FALSE(PlausibleMailAddress(""));
  EXPECT_FALSE(PlausibleMailAddress("firma.example"));
  EXPECT_FALSE(PlausibleMailAddress("@firma.example"));
  EXPECT_FALSE(PlausibleMailAddress("a@b@c"));
  EXPECT_FALSE(PlausibleMailAddress("a@b.example\r\nRCPT TO:<x@evil.example>"));
  EXPECT_FALSE(PlausibleMailAddress("a@b.example>, <x@evil.example"));
  EXPECT_FALSE(PlausibleMailAddress("a b@c.example"));
  EXPECT_FALSE(PlausibleMailAddress(std::string(250, 'a') + "@b.example"));
}

}  // namespace
}  // namespace lotse::notification
