// The case work's pieces of intake without sockets: the duplicate index on a real store, the
// mirror of routing's new events and the receipt built from intake's view.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/config/config.h"
#include "common/store/store.h"
#include "gtest/gtest.h"
#include "services/intake/mirror.h"
#include "services/intake/open_cases.h"
#include "services/intake/receipt_builder.h"

namespace lotse::intake {
namespace {

lotse::v1::ReferralState Referral(const std::string& id, const std::string& case_number,
                                  const std::string& company, const std::string& topic) {
  lotse::v1::ReferralState state;
  state.set_referral_id(id);
  state.set_case_number(case_number);
  state.mutable_referral()->set_office("bb-mitte");
  state.mutable_referral()->set_company_id(company);
  state.mutable_referral()->set_company_name("Firma");
  state.mutable_referral()->set_topic(topic);
  state.set_status(lotse::v1::REFERRAL_STATUS_SUBMITTED);
  return state;
}

TEST(NormalizeCompanyIdTest, IgnoresCaseSpacesAndPunctuation) {
  EXPECT_EQ(NormalizeCompanyId("HRB 12345"), "hrb12345");
  EXPECT_EQ(NormalizeCompanyId("hrb-12345."), "hrb12345");
  EXPECT_EQ(NormalizeCompanyId("Bäckerei"), "b\xC3\xA4" "ckerei");
}

class OpenCasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::Options options;
    options.path = ::testing::TempDir() + "/open_cases_test_" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(options.path);
    options.state_families = {"state_open_cases"};
    absl::StatusOr<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
  }
  std::unique_ptr<store::Store> store_;
  OpenCases cases_{store::kFirstStateFamily};
};

TEST_F(OpenCasesTest, NamesOtherOpenReferralsOfTheSameCompanyAndTopic) {
  const auto first = Referral("r1", "2026-000001", "HRB 1", "baugenehmigung");
  const auto same = Referral("r2", "2026-000002", "hrb-1", "baugenehmigung");
  const auto other_topic = Referral("r3", "2026-000003", "HRB 1", "gewerbeanmeldung");
  {
    store::Batch batch(store_.get());
    ASSERT_TRUE(cases_.Add(batch, first).ok());
    // A second submit in the same commit sees the first.
    absl::StatusOr<std::vector<std::string>> others = cases_.Others(batch, same);
    ASSERT_TRUE(others.ok());
    EXPECT_EQ(*others, std::vector<std::string>{"2026-000001"});
    ASSERT_TRUE(cases_.Add(batch, same).ok());
    ASSERT_TRUE(cases_.Add(batch, same).ok());  // once only
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  store::Batch batch(store_.get());
  EXPECT_EQ(*cases_.Others(batch, first), std::vector<std::string>{"2026-000002"});
  EXPECT_TRUE(cases_.Others(batch, other_topic)->empty());
  ASSERT_TRUE(cases_.Remove(batch, first).ok());
  EXPECT_TRUE(cases_.Others(batch, same)->empty());
  ASSERT_TRUE(cases_.Remove(batch, first).ok());  // removing twice is harmless
}

lotse::v1::StaffContact Mueller() {
  lotse::v1::StaffContact c;
  c.set_id("bo-mueller");
  c.set_name("Jana Müller");
  c.set_phone("0391 540-4411");
  c.set_department("bauordnung");
  return c;
}

TEST(MirrorTest, KeepsTheContactPersonAndTheQuestionsBack) {
  lotse::v1::ReferralState state = Referral("r1", "2026-000001", "HRB 1", "baugenehmigung");
  lotse::v1::Envelope routed;
  routed.set_occurred_at_us(100);
  *routed.mutable_referral_routed()->mutable_contact_person() = Mueller();
  routed.mutable_referral_routed()->set_first_reaction_due_at_us(500);
  EXPECT_FALSE(MirrorCaseWork(routed, state));
  EXPECT_EQ(state.contact_person().name(), "Jana Müller");
  EXPECT_EQ(state.first_reaction_due_at_us(), 500);

  lotse::v1::Envelope asked;
  asked.set_occurred_at_us(200);
  asked.mutable_company_asked()->set_question("Wie hoch ist die Halle?");
  asked.mutable_company_asked()->set_asked_by("bo-mueller");
  EXPECT_TRUE(MirrorCaseWork(asked, state));
  EXPECT_EQ(state.waiting_since_us(), 200);
  ASSERT_EQ(state.company_questions_size(), 1);

  lotse::v1::Envelope replied;
  replied.set_occurred_at_us(300);
  replied.mutable_company_replied()->set_text("12 m");
  replied.mutable_company_replied()->set_paused_business_us(50);
  replied.mutable_company_replied()->set_due_at_us(9000);
  EXPECT_TRUE(MirrorCaseWork(replied, state));
  EXPECT_EQ(state.waiting_since_us(), 0);
  EXPECT_EQ(state.company_questions(0).reply(), "12 m");
  EXPECT_EQ(state.company_questions(0).replied_at_us(), 300);
  EXPECT_EQ(state.paused_business_us(), 50);
  EXPECT_EQ(state.due_at_us(), 9000);
}

TEST(MirrorTest, ReopenedOpensTheReferralAgainWithoutTheOldAnswer) {
  lotse::v1::ReferralState state = Referral("r1", "2026-000001", "HRB 1", "baugenehmigung");
  state.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
  state.mutable_answer()->set_text("alt");
  state.mutable_feedback()->set_rating(2);
  state.set_claimed_by("bo-mueller");
  lotse::v1::Envelope reopened;
  reopened.set_occurred_at_us(400);
  reopened.mutable_reopened()->set_assignee("bauordnung");
  *reopened.mutable_reopened()->mutable_contact_person() = Mueller();
  reopened.mutable_reopened()->set_due_at_us(7000);
  reopened.mutable_reopened()->set_reopen_count(1);
  EXPECT_TRUE(MirrorCaseWork(reopened, state));
  EXPECT_EQ(state.status(), lotse::v1::REFERRAL_STATUS_ROUTED);
  EXPECT_EQ(state.assignee(), "bauordnung");
  EXPECT_EQ(state.contact_person().id(), "bo-mueller");
  EXPECT_EQ(state.due_at_us(), 7000);
  EXPECT_EQ(state.reopen_count(), 1);
  EXPECT_FALSE(state.has_answer());
  EXPECT_FALSE(state.has_feedback());
  EXPECT_TRUE(state.claimed_by().empty());
}

TEST(MirrorTest, EscalationsGoToTheirOwnClock) {
  lotse::v1::ReferralState state;
  lotse::v1::Escalated e;
  e.set_deadline(lotse::v1::DEADLINE_FIRST_REACTION);
  e.set_level(lotse::v1::ESCALATION_LEVEL_BREACH);
  MirrorEscalation(e, state);
  EXPECT_TRUE(state.first_reaction_escalated());
  EXPECT_FALSE(state.escalated());
  e.set_deadline(lotse::v1::DEADLINE_CONSULTATION);
  MirrorEscalation(e, state);
  EXPECT_FALSE(state.escalated());
  e.set_deadline(lotse::v1::DEADLINE_UNSPECIFIED);
  MirrorEscalation(e, state);
  EXPECT_TRUE(state.escalated());
  e.set_level(lotse::v1::ESCALATION_LEVEL_SECOND_BREACH);
  MirrorEscalation(e, state);
  EXPECT_TRUE(state.second_escalated());
}

class ReceiptBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Config> config =
        config::ParseConfig(config::DefaultConfigText(), "embedded");
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
  }
  config::Config config_;
};

TEST_F(ReceiptBuilderTest, BeforeRoutingNamesTheTopicsDepartmentAndNoDueTime) {
  lotse::v1::ReferralState state = Referral("r1", "2026-000001", "HRB 1", "baugenehmigung");
  const lotse::v1::Receipt receipt = BuildReceipt(config_, state, "K7QM-3XRT-9PAB-WD4E");
  EXPECT_EQ(receipt.case_number(), "2026-000001");
  EXPECT_EQ(receipt.office_name(), "Bürgerbüro Mitte (Rathaus)");
  EXPECT_EQ(receipt.topic_name(), "Baugenehmigung und Bauvoranfrage");
  EXPECT_EQ(receipt.department(), "bauordnung");
  EXPECT_EQ(receipt.department_name(), "Bauordnungsamt");
  EXPECT_EQ(receipt.expected_by_us(), 0);
  EXPECT_EQ(receipt.feedback_code(), "K7QM-3XRT-9PAB-WD4E");
  EXPECT_EQ(receipt.city(), "Musterstadt");
  EXPECT_NE(receipt.next_steps().find("weitergeleitet"), std::string::npos)
      << receipt.next_steps();
}

TEST_F(ReceiptBuilderTest, NamesTheAttachmentsInTheOrderTheyCame) {
  lotse::v1::ReferralState state = Referral("r1", "2026-000001", "HRB 1", "baugenehmigung");
  EXPECT_TRUE(BuildReceipt(config_, state, "").attachments().empty());
  state.add_attachments()->set_name("Lageplan.pdf");
  state.add_attachments()->set_name("Skizze.png");
  const lotse::v1::Receipt receipt = BuildReceipt(config_, state, "");
  ASSERT_EQ(receipt.attachments_size(), 2);
  EXPECT_EQ(receipt.attachments(0), "Lageplan.pdf");
  EXPECT_EQ(receipt.attachments(1), "Skizze.png");
}

TEST_F(ReceiptBuilderTest, OnceRoutedNamesContactAndDueTimeInGerman) {
  lotse::v1::ReferralState state = Referral("r1", "2026-000001", "HRB 1", "baugenehmigung");
  state.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  state.set_assignee("bauordnung");
  *state.mutable_contact_person() = Mueller();
  state.set_due_at_us(absl::ToUnixMicros(
      absl::FromCivil(absl::CivilMinute(2026, 3, 12, 16, 0), config_.city.zone)));
  const lotse::v1::Receipt receipt = BuildReceipt(config_, state, "");
  EXPECT_EQ(receipt.contact_person().name(), "Jana Müller");
  EXPECT_EQ(receipt.expected_by_us(), state.due_at_us());
  EXPECT_EQ(receipt.next_steps(),
            "Ihre Anfrage liegt bei: Bauordnungsamt. Ansprechperson: Jana Müller, Tel. 0391 "
            "540-4411. Sie erhalten die Antwort voraussichtlich bis Do, 12.03.2026, 16:00 Uhr "
            "über das Bürgerbüro Mitte (Rathaus).");
}

}  // namespace
}  // namespace lotse::intake
