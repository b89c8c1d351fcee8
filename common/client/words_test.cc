#include "common/client/words.h"

#include "gtest/gtest.h"

namespace lotse::client {
namespace {

TEST(ParseWordsTest, AcceptsTheDocumentedWordsInAnyCase) {
  EXPECT_EQ(ParsePriority("URGENT"), lotse::v1::PRIORITY_URGENT);
  EXPECT_EQ(ParsePriority("low"), lotse::v1::PRIORITY_LOW);
  EXPECT_FALSE(ParsePriority("asap").has_value());
  EXPECT_EQ(ParseOutcome("not-responsible"), lotse::v1::OUTCOME_NOT_RESPONSIBLE);
  EXPECT_EQ(ParseOutcome("partly"), lotse::v1::OUTCOME_PARTLY);
  EXPECT_FALSE(ParseOutcome("done").has_value());
  EXPECT_EQ(ParseYesNo("yes"), true);
  EXPECT_EQ(ParseYesNo("Nein"), false);
  EXPECT_FALSE(ParseYesNo("maybe").has_value());
}

TEST(ParseRatingTest, AcceptsOneToFiveOnly) {
  EXPECT_EQ(ParseRating("1"), 1);
  EXPECT_EQ(ParseRating("5"), 5);
  EXPECT_FALSE(ParseRating("0").has_value());
  EXPECT_FALSE(ParseRating("6").has_value());
  EXPECT_FALSE(ParseRating("10").has_value());
  EXPECT_FALSE(ParseRating("").has_value());
}

}  // namespace
}  // namespace lotse::client
