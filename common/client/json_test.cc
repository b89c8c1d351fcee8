#include "common/client/json.h"

#include "gtest/gtest.h"
#include "lotse/v1/intake.pb.h"

namespace lotse::client {
namespace {

TEST(ToJsonTest, KeepsFieldNamesAndPrintsDefaults) {
  lotse::v1::SubmitReferralReply reply;
  reply.set_referral_id("r1");
  reply.set_case_number("2026-000001");
  auto json = ToJson(reply);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"referral_id":"r1","case_number":"2026-000001","submitted_at_us":"0",)"
                   R"("possible_duplicates":[],"feedback_code":""})");
}

TEST(ErrorJsonTest, WrapsTheErrorWithEnumNames) {
  lotse::v1::Error error;
  error.set_code(lotse::v1::ERROR_CODE_NOT_FOUND);
  error.set_message("topic 'x' is unknown");
  error.set_field("topic");
  EXPECT_EQ(ErrorJson(error),
            R"({"error":{"code":"ERROR_CODE_NOT_FOUND","message":"topic 'x' is unknown",)"
            R"("field":"topic"}})");
}

}  // namespace
}  // namespace lotse::client
