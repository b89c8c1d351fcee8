// Bad input at every command gets a structured error, changes nothing, and the services stay up.
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"

namespace lotse::test {
namespace {

using lotse::v1::ErrorCode;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { set_.StartAll(); }

  lotse::v1::IntakeRequest ValidSubmit() {
    lotse::v1::IntakeRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    request.mutable_actor()->set_id("bb-mitte");
    auto* submit = request.mutable_submit();
    submit->set_idempotency_key(NewKey());
    auto* r = submit->mutable_referral();
    r->set_office("bb-mitte");
    r->set_company_id("HRB-1");
    r->set_company_name("Firma");
    r->set_topic("baugenehmigung");
    r->set_subject("Betreff");
    r->set_text("Text");
    return request;
  }

  // Submits `request` and expects a structured error naming `field`.
  void ExpectRefused(const lotse::v1::IntakeRequest& request, ErrorCode code,
                     const std::string& field) {
    absl::StatusOr<lotse::v1::IntakeReply> reply = set_.Intake(request);
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_TRUE(reply->has_error()) << "accepted: " << reply->DebugString();
    EXPECT_EQ(reply->error().code(), code) << reply->error().message();
    EXPECT_EQ(reply->error().field(), field) << reply->error().message();
    EXPECT_FALSE(reply->error().message().empty());
  }

  void TearDown() override {
    // Nothing was stored: intake's log is empty, and the services still work.
    EXPECT_EQ(set_.LogHead("intake").value_or(999), expected_intake_events_);
    EXPECT_TRUE(set_.Running("intake")) << set_.Log("intake");
    EXPECT_TRUE(set_.Running("routing")) << set_.Log("routing");
    absl::StatusOr<lotse::v1::IntakeReply> ok = set_.Intake(ValidSubmit());
    ASSERT_TRUE(ok.ok());
    EXPECT_FALSE(ok->has_error()) << ok->error().message();
  }

  LotseSet set_;
  uint64_t expected_intake_events_ = 0;
};

TEST_F(BadInputTest, SubmitWithMissingOrWrongFieldsIsRefused) {
  auto r = ValidSubmit();
  r.mutable_submit()->mutable_referral()->clear_company_name();
  ExpectRefused(r, lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "company_name");
  r = ValidSubmit();
  r.mutable_submit()->mutable_referral()->clear_text();
  ExpectRefused(r, lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "text");
  r = ValidSubmit();
  r.mutable_submit()->mutable_referral()->set_topic("raumfahrt");
  ExpectRefused(r, lotse::v1::ERROR_CODE_NOT_FOUND, "topic");
  r = ValidSubmit();
  r.mutable_submit()->mutable_referral()->set_text(std::string(20000, 'x'));
  ExpectRefused(r, lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "text");
  r = ValidSubmit();
  r.mutable_submit()->mutable_referral()->set_office("bb-nord");
  ExpectRefused(r, lotse::v1::ERROR_CODE_PERMISSION_DENIED, "office");
  // An office the config does not know has no key: whoever sends as it is refused as the actor.
  r = ValidSubmit();
  r.mutable_actor()->set_id("bb-mond");
  r.mutable_submit()->mutable_referral()->set_office("bb-mond");
  ExpectRefused(r, lotse::v1::ERROR_CODE_PERMISSION_DENIED, "actor");
  r = ValidSubmit();
  r.mutable_submit()->mutable_referral()->set_priority(static_cast<lotse::v1::Priority>(99));
  ExpectRefused(r, lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "priority");
  r = ValidSubmit();
  r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  ExpectRefused(r, lotse::v1::ERROR_CODE_PERMISSION_DENIED, "actor");
}

TEST_F(BadInputTest, InvalidUtf8IsRefusedWithTheFieldNamed) {
  // Hand-encode a request whose subject holds invalid UTF-8 (the C++ API would refuse to).
  auto r = ValidSubmit();
  r.mutable_submit()->mutable_referral()->set_subject("SUBJECT!");
  std::string bytes = r.SerializeAsString();
  const size_t at = bytes.find("SUBJECT!");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 8, std::string("\xc3\x28\xff\xfe\xfd\xfc\xfb\xfa", 8));
  std::optional<std::vector<std::string>> reply = set_.Raw("intake", {bytes});
  ASSERT_TRUE(reply.has_value());
  lotse::v1::IntakeReply parsed;
  ASSERT_TRUE(parsed.ParseFromString(reply->back()));
  EXPECT_EQ(parsed.error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_NE(parsed.error().message().find("UTF-8"), std::string::npos)
      << parsed.error().message();
}

TEST_F(BadInputTest, GarbageAndWrongShapesOnTheSocketsGetStructuredErrors) {
  for (const std::string service : {"intake", "routing"}) {
    std::optional<std::vector<std::string>> reply =
        set_.Raw(service, {std::string("\x08\xff\xff\xff\xff\xff\xff\x0a\x99 garbage", 18)});
    ASSERT_TRUE(reply.has_value()) << service << " did not answer garbage";
    lotse::v1::IntakeReply parsed;  // both replies carry Error in field 10
    ASSERT_TRUE(parsed.ParseFromString(reply->back()));
    EXPECT_EQ(parsed.error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
    reply = set_.Raw(service, {"a", "b", "c"});
    ASSERT_TRUE(reply.has_value()) << service << " did not answer a wrong multipart shape";
    ASSERT_TRUE(parsed.ParseFromString(reply->back()));
    EXPECT_EQ(parsed.error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
    reply = set_.Raw(service, {""});
    ASSERT_TRUE(reply.has_value());
    ASSERT_TRUE(parsed.ParseFromString(reply->back()));
    EXPECT_EQ(parsed.error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  }
  // A message over the size limit is dropped by the socket; the service stays up.
  EXPECT_FALSE(set_.Raw("intake", {std::string(2 << 20, 'x')}, absl::Milliseconds(500)));
}

TEST_F(BadInputTest, FeedbackAndStatusForUnknownOrForeignReferralsAreRefused) {
  absl::StatusOr<lotse::v1::IntakeReply> s = set_.Status("bb-mitte", "2026-999999");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  s = set_.Feedback("bb-mitte", "2026-999999", 3, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  s = set_.Feedback("bb-mitte", "2026-999999", 9, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->error().field(), "rating");
}

TEST_F(BadInputTest, RoutingCommandsRefuseUnknownDepartmentsAndReferrals) {
  // A department the config does not know has no key: its worklist is refused to whoever asks.
  absl::StatusOr<lotse::v1::RoutingReply> w = set_.Worklist("raumfahrtamt");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  lotse::v1::RoutingRequest claim;
  claim.mutable_claim()->set_ref("2026-424242");
  w = set_.Act("umwelt", "u", claim);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  lotse::v1::RoutingRequest peek;
  peek.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  peek.mutable_actor()->set_id("bauordnung");
  peek.mutable_worklist()->set_assignee("umwelt");
  w = set_.Routing(peek);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(set_.LogHead("routing").value_or(999), 0u);
}

}  // namespace
}  // namespace lotse::test
