#include "common/enum_word.h"

#include "gtest/gtest.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/notification.pb.h"

namespace lotse {
namespace {

TEST(EnumWordTest, DropsThePrefixOfAKnownValue) {
  EXPECT_EQ(EnumWord(lotse::v1::Outcome_Name(lotse::v1::OUTCOME_NOT_RESPONSIBLE), 8,
                     lotse::v1::OUTCOME_NOT_RESPONSIBLE),
            "NOT_RESPONSIBLE");
  EXPECT_EQ(EnumWord(lotse::v1::MessageKind_Name(lotse::v1::MESSAGE_KIND_ANSWER), 13,
                     lotse::v1::MESSAGE_KIND_ANSWER),
            "ANSWER");
}

TEST(EnumWordTest, GivesTheNumberOfAValueThisBuildDoesNotKnow) {
  const auto unknown = static_cast<lotse::v1::Outcome>(42);
  EXPECT_EQ(lotse::v1::Outcome_Name(unknown), "");
  EXPECT_EQ(EnumWord(lotse::v1::Outcome_Name(unknown), 8, unknown), "42");
  EXPECT_EQ(EnumWord("OUTCOME_", 8, 7), "7");  // nothing after the prefix
}

}  // namespace
}  // namespace lotse
