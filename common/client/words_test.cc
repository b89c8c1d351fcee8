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

TEST(AccountRoleTest, ReadsEveryKindAndWritesItBackTheSameWay) {
  for (const std::string word : {"office:bb-mitte", "department:bauordnung",
                                 "department:bauordnung/bo-mueller", "ops", "admin"}) {
    const std::optional<lotse::v1::AccountRole> role = ParseAccountRole(word);
    ASSERT_TRUE(role.has_value()) << word;
    EXPECT_EQ(AccountRoleWord(*role, /*key_account=*/false), word);
  }
  const std::optional<lotse::v1::AccountRole> kam = ParseAccountRole("key-account:kam-schneider");
  ASSERT_TRUE(kam.has_value());
  EXPECT_EQ(kam->kind(), lotse::v1::ACTOR_KIND_DEPARTMENT);
  EXPECT_EQ(kam->id(), "kam-schneider");
  EXPECT_EQ(AccountRoleWord(*kam, /*key_account=*/true), "key-account:kam-schneider");
  const std::optional<lotse::v1::AccountRole> staff =
      ParseAccountRole("department:bauordnung/bo-mueller");
  EXPECT_EQ(staff->id(), "bauordnung");
  EXPECT_EQ(staff->user(), "bo-mueller");
}

TEST(AccountRoleTest, RefusesWhatIsNoRole) {
  for (const std::string word : {"", "office", "office:", "mayor:x", "department:/x",
                                 "department:bo/", "key-account:kam/x", "office:a:b", "Ops"}) {
    EXPECT_FALSE(ParseAccountRole(word).has_value()) << word;
  }
}

}  // namespace
}  // namespace lotse::client
