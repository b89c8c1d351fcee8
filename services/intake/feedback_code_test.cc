#include "services/intake/feedback_code.h"

#include <regex>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace lotse::intake {
namespace {

TEST(FeedbackCodeTest, IsFourGroupsOfUnambiguousCharacters) {
  absl::StatusOr<std::string> code = NewFeedbackCode();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_TRUE(std::regex_match(*code, std::regex("[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")))
      << *code;
}

TEST(FeedbackCodeTest, DoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<std::string> code = NewFeedbackCode();
    ASSERT_TRUE(code.ok());
    EXPECT_TRUE(seen.insert(*code).second) << *code;
  }
}

TEST(FeedbackCodeTest, NormalizesWhatPeopleTypeDifferently) {
  EXPECT_EQ(NormalizeFeedbackCode("K7QM-3XRT-9PAB-WD4E"), "K7QM3XRT9PABWD4E");
  EXPECT_EQ(NormalizeFeedbackCode("k7qm 3xrt 9pab wd4e"), "K7QM3XRT9PABWD4E");
  // Lookalikes: O is read as 0, I and L as 1.
  EXPECT_EQ(NormalizeFeedbackCode("OOOO-IIII-LLLL-0000"), "0000111111110000");
  EXPECT_EQ(NormalizeFeedbackCode("K7QM3XRT9PABWD4E"), "K7QM3XRT9PABWD4E");
}

TEST(FeedbackCodeTest, RefusesWhatCannotBeACode) {
  EXPECT_EQ(NormalizeFeedbackCode(""), std::nullopt);
  EXPECT_EQ(NormalizeFeedbackCode("K7QM-3XRT-9PAB"), std::nullopt);           // too short
  EXPECT_EQ(NormalizeFeedbackCode("K7QM-3XRT-9PAB-WD4E-A"), std::nullopt);    // too long
  EXPECT_EQ(NormalizeFeedbackCode("K7QM-3XRT-9PAB-WD4U"), std::nullopt);      // U is not used
  EXPECT_EQ(NormalizeFeedbackCode("K7QM-3XRT-9PAB-WD4*"), std::nullopt);
  EXPECT_EQ(NormalizeFeedbackCode("K7QM-3XRT-9PAB-WD4\xC3\xA4"), std::nullopt);
}

TEST(FeedbackCodeTest, KeyIsTheSha256OfTheNormalForm) {
  EXPECT_EQ(FeedbackCodeKey("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(FeedbackCodeKey("K7QM3XRT9PABWD4E").size(), 64u);
}

TEST(FeedbackCodeRecordTest, RoundTripsAndKnowsWhenItIsUsable) {
  FeedbackCodeRecord record;
  record.referral_id = "r0123456789abcdef";
  record.expires_at_us = absl::ToUnixMicros(absl::FromUnixSeconds(2000));
  std::optional<FeedbackCodeRecord> back =
      DecodeFeedbackCodeRecord(EncodeFeedbackCodeRecord(record));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->referral_id, record.referral_id);
  EXPECT_EQ(back->expires_at_us, record.expires_at_us);
  EXPECT_EQ(back->used_at_us, 0);
  EXPECT_TRUE(back->Usable(absl::FromUnixSeconds(1999)));
  EXPECT_FALSE(back->Usable(absl::FromUnixSeconds(2000)));  // expired
  back->used_at_us = 1;
  EXPECT_FALSE(back->Usable(absl::FromUnixSeconds(1000)));  // used
  EXPECT_EQ(DecodeFeedbackCodeRecord("short"), std::nullopt);
}

TEST(GuessLimiterTest, BlocksAfterTooManyWrongCodesWithinTheWindow) {
  GuessLimiter limiter(5, absl::Minutes(10));
  const absl::Time t0 = absl::FromUnixSeconds(1'000'000);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(limiter.Blocked("web/bb-mitte", t0 + absl::Seconds(i)));
    limiter.RecordWrong("web/bb-mitte", t0 + absl::Seconds(i));
  }
  EXPECT_TRUE(limiter.Blocked("web/bb-mitte", t0 + absl::Minutes(1)));
  EXPECT_FALSE(limiter.Blocked("bb-nord/bb-nord", t0 + absl::Minutes(1)));  // per caller
  // The first wrong code leaves the window: one more try.
  EXPECT_FALSE(limiter.Blocked("web/bb-mitte", t0 + absl::Minutes(10)));
}

}  // namespace
}  // namespace lotse::intake
