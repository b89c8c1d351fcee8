#include "common/service/limits.h"

#include <string>

#include "gtest/gtest.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"

namespace lotse::service {
namespace {

using lotse::v1::IntakeRequest;
using lotse::v1::RoutingRequest;

TEST(LimitsTest, TextFieldsMayHoldTheirWallAndNotOneByteMore) {
  IntakeRequest request;
  request.mutable_submit()->mutable_referral()->set_text(std::string(65536, 'x'));
  EXPECT_TRUE(CheckFieldLimits(request).ok());
  request.mutable_submit()->mutable_referral()->set_text(std::string(65537, 'x'));
  const absl::Status status = CheckFieldLimits(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("submit.referral.text is 65537 bytes long; at most 65536"),
            std::string::npos)
      << status;
}

TEST(LimitsTest, EveryOtherStringHasTheDefaultWallWhereverItIs) {
  // The poison pill of the review: a megabyte staff member name in the actor.
  IntakeRequest request;
  request.mutable_actor()->set_user(std::string(1 << 20, 'u'));
  absl::Status status = CheckFieldLimits(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("actor.user is 1048576 bytes"), std::string::npos) << status;

  RoutingRequest routing;
  routing.set_request_id(std::string(kDefaultMaxBytes, 'r'));
  EXPECT_TRUE(CheckFieldLimits(routing).ok());
  routing.set_request_id(std::string(kDefaultMaxBytes + 1, 'r'));
  EXPECT_FALSE(CheckFieldLimits(routing).ok());

  lotse::v1::AuditRequest audit;
  audit.mutable_history()->set_ref(std::string(kDefaultMaxBytes + 1, '2'));
  EXPECT_NE(CheckFieldLimits(audit).message().find("history.ref"), std::string::npos);
}

TEST(LimitsTest, RepeatedFieldsHaveAWallOnTheirEntries) {
  RoutingRequest request;
  for (int i = 0; i < kDefaultMaxItems; ++i) {
    request.mutable_consult()->add_departments("umwelt");
  }
  EXPECT_TRUE(CheckFieldLimits(request).ok());
  request.mutable_consult()->add_departments("umwelt");
  const absl::Status status = CheckFieldLimits(request);
  EXPECT_NE(status.message().find("consult.departments has 33 entries"), std::string::npos)
      << status;
  // And each entry its own byte wall.
  RoutingRequest one;
  one.mutable_consult()->add_departments(std::string(kDefaultMaxBytes + 1, 'd'));
  EXPECT_NE(CheckFieldLimits(one).message().find("consult.departments is"), std::string::npos);
}

TEST(LimitsTest, AnEmptyRequestPasses) {
  EXPECT_TRUE(CheckFieldLimits(lotse::v1::NotificationRequest()).ok());
}

}  // namespace
}  // namespace lotse::service
