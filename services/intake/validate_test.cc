#include "services/intake/validate.h"

#include "gtest/gtest.h"

namespace lotse::intake {
namespace {

class ValidateSubmitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Config> config =
        config::ParseConfig(config::DefaultConfigText(), "embedded");
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    actor_.set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    actor_.set_id("bb-mitte");
    request_.set_idempotency_key("k-1");
    lotse::v1::Referral* r = request_.mutable_referral();
    r->set_office("bb-mitte");
    r->set_company_id("HRB-11111");
    r->set_company_name("Bäckerei Kurz GmbH");
    r->set_topic("baugenehmigung");
    r->set_subject("Anbau Backstube");
    r->set_text("Wir möchten die Backstube erweitern. Welche Unterlagen brauchen wir?");
  }

  // The field the error names, or "ok".
  std::string FieldOf(const absl::Status& s) {
    if (s.ok()) {
      return "ok";
    }
    auto field = s.GetPayload("lotse.field");
    return field.has_value() ? std::string(*field) : "(none)";
  }

  config::Config config_;
  lotse::v1::Actor actor_;
  lotse::v1::SubmitReferralRequest request_;
};

TEST_F(ValidateSubmitTest, AcceptsACompleteReferral) {
  EXPECT_TRUE(ValidateSubmit(config_, actor_, request_).ok());
}

TEST_F(ValidateSubmitTest, RejectsMissingSubject) {
  request_.mutable_referral()->clear_subject();
  absl::Status s = ValidateSubmit(config_, actor_, request_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(s), "subject");
}

TEST_F(ValidateSubmitTest, RejectsUnknownTopicAndSaysWhereToLook) {
  request_.mutable_referral()->set_topic("raumfahrt");
  absl::Status s = ValidateSubmit(config_, actor_, request_);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FieldOf(s), "topic");
  EXPECT_NE(s.message().find("lotse topics"), absl::string_view::npos);
}

TEST_F(ValidateSubmitTest, RejectsOversizedText) {
  request_.mutable_referral()->set_text(std::string(config_.limits.max_text_bytes + 1, 'x'));
  EXPECT_EQ(FieldOf(ValidateSubmit(config_, actor_, request_)), "text");
}

TEST_F(ValidateSubmitTest, RejectsInvalidUtf8) {
  request_.mutable_referral()->set_company_name(std::string("Firma \xc3\x28", 8));
  absl::Status s = ValidateSubmit(config_, actor_, request_);
  EXPECT_EQ(FieldOf(s), "company_name");
  EXPECT_NE(s.message().find("UTF-8"), absl::string_view::npos);
}

TEST_F(ValidateSubmitTest, RejectsSubmittingForAnotherOffice) {
  request_.mutable_referral()->set_office("bb-nord");
  EXPECT_EQ(ValidateSubmit(config_, actor_, request_).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ValidateSubmitTest, RejectsAnUnknownOffice) {
  actor_.set_id("bb-mond");
  request_.mutable_referral()->set_office("bb-mond");
  EXPECT_EQ(FieldOf(ValidateSubmit(config_, actor_, request_)), "office");
}

TEST_F(ValidateSubmitTest, RejectsAnUnknownPriorityValue) {
  request_.mutable_referral()->set_priority(static_cast<lotse::v1::Priority>(42));
  EXPECT_EQ(FieldOf(ValidateSubmit(config_, actor_, request_)), "priority");
}

TEST_F(ValidateSubmitTest, RejectsAMissingIdempotencyKey) {
  request_.clear_idempotency_key();
  EXPECT_EQ(FieldOf(ValidateSubmit(config_, actor_, request_)), "idempotency_key");
}

TEST(ValidateFeedbackTest, NeedsARatingFromOneToFiveAndAResolvedAnswer) {
  absl::StatusOr<config::Config> config =
      config::ParseConfig(config::DefaultConfigText(), "embedded");
  ASSERT_TRUE(config.ok());
  lotse::v1::SubmitFeedbackRequest f;
  f.set_idempotency_key("k");
  f.set_ref("2026-000001");
  f.set_rating(6);
  f.set_resolved(true);
  EXPECT_FALSE(ValidateFeedback(*config, f).ok());
  f.set_rating(4);
  EXPECT_TRUE(ValidateFeedback(*config, f).ok());
  f.clear_resolved();
  EXPECT_FALSE(ValidateFeedback(*config, f).ok());
}

}  // namespace
}  // namespace lotse::intake
