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
    r->set_due_at_us(absl::ToUnixMicros(absl::FromCivil(absl::CivilMinute(2026, 3, 3, 9, 30), zone_)));
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

}  // namespace
}  // namespace lotse::notification
