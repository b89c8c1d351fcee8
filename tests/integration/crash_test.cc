// kill -9 of intake or routing in the middle of a stream of submissions: every acknowledged
// referral ends up on exactly one worklist exactly once and on its office's list exactly once,
// and a retried submit with the same key returns the same referral.
#include <signal.h>

#include <cstdio>
#include <map>
#include <set>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/random_killer.h"

namespace lotse::test {
namespace {

constexpr int kMinReferrals = 150;
constexpr int kMinKills = 3;
constexpr int kMaxReferrals = 3000;
const char* const kTopics[] = {"baugenehmigung", "emissionsschutz", "gewerbeanmeldung",
                               "foerdermittel", "gewerbesteuer", "bebauungsplan"};

// The i-th referral of the stream, sent with `key`.
absl::StatusOr<lotse::v1::IntakeReply> SubmitNumber(LotseSet& set, const std::string& key, int i) {
  return set.Submit(i % 2 == 0 ? "bb-mitte" : "bb-nord", kTopics[i % 6],
                    i % 10 == 0 ? "HRB-18842" : "HRB-" + std::to_string(80000 + i), key);
}

// Submits with `key` until intake acknowledges, restarting intake when it has died.
std::string SubmitUntilAcknowledged(LotseSet& set, const std::string& key, int i) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    absl::StatusOr<lotse::v1::IntakeReply> reply = SubmitNumber(set, key, i);
    if (reply.ok() && !reply->has_error()) {
      return reply->submitted().referral_id();
    }
    if (reply.ok()) {
      ADD_FAILURE() << "intake refused a valid referral: " << reply->error().message();
      return "";
    }
    if (!set.Running("intake")) {
      set.Start("intake");
    }
  }
  ADD_FAILURE() << "referral " << i << " was never acknowledged";
  return "";
}

// Every acknowledged referral must be on exactly one worklist exactly once.
void ExpectEachExactlyOnce(LotseSet& set, const std::map<std::string, std::string>& acked) {
  std::set<std::string> expected;
  for (const auto& [key, id] : acked) {
    expected.insert(id);
  }
  std::multiset<std::string> seen;
  const bool complete = set.Eventually(
      [&] {
        seen.clear();
        for (const std::string& assignee : set.Assignees()) {
          absl::StatusOr<lotse::v1::RoutingReply> list = set.Worklist(assignee);
          if (!list.ok()) {
            return false;
          }
          for (const lotse::v1::WorkItem& item : list->worklist().items()) {
            seen.insert(item.referral_id());
          }
        }
        return seen.size() >= expected.size();
      },
      absl::Seconds(30));
  EXPECT_TRUE(complete) << "only " << seen.size() << " of " << expected.size()
                        << " acknowledged referrals reached a worklist\n"
                        << set.Log("routing");
  for (const std::string& id : expected) {
    EXPECT_EQ(seen.count(id), 1u) << "referral " << id << " is on " << seen.count(id)
                                  << " worklist entries";
  }
  EXPECT_EQ(seen.size(), expected.size()) << "worklists hold referrals nobody acknowledged";
}

// Each office's list (intake's index, written with the record) holds exactly the office's
// acknowledged referrals, once each: no kill left an entry without its record or the reverse.
void ExpectOfficeListsAgree(LotseSet& set, const std::map<std::string, std::string>& acked,
                            const std::map<std::string, int>& numbers) {
  for (const std::string office : {"bb-mitte", "bb-nord"}) {
    std::multiset<std::string> expected;
    for (const auto& [key, id] : acked) {
      if ((numbers.at(key) % 2 == 0) == (office == "bb-mitte")) {
        expected.insert(id);
      }
    }
    std::multiset<std::string> listed;
    lotse::v1::IntakeRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    request.mutable_actor()->set_id(office);
    request.mutable_list_referrals()->set_limit(200);
    for (int page = 0; page < 100; ++page) {
      absl::StatusOr<lotse::v1::IntakeReply> reply = set.Intake(request);
      ASSERT_TRUE(reply.ok()) << reply.status();
      ASSERT_FALSE(reply->has_error()) << reply->error().message();
      for (const lotse::v1::ReferralListEntry& e : reply->referral_list().entries()) {
        listed.insert(e.referral_id());
      }
      if (reply->referral_list().next().empty()) {
        break;
      }
      request.mutable_list_referrals()->set_after(reply->referral_list().next());
    }
    EXPECT_EQ(listed, expected) << office << "'s list differs from its acknowledged referrals";
  }
}

void RunWithKills(const std::string& victim) {
  LotseSet set;
  set.StartAll();
  std::map<std::string, std::string> acked;  // idempotency key -> referral id
  std::map<std::string, int> numbers;        // idempotency key -> number in the stream
  RandomKiller killer(absl::Milliseconds(150), absl::Milliseconds(250));
  killer.Target(set.Pid(victim));
  int submitted = 0;
  for (int i = 0; (i < kMinReferrals || killer.kills() < kMinKills) && i < kMaxReferrals; ++i) {
    ++submitted;
    const std::string key = NewKey();
    const std::string id = SubmitUntilAcknowledged(set, key, i);
    ASSERT_FALSE(id.empty());
    acked[key] = id;
    numbers[key] = i;
    if (!set.Running(victim)) {
      set.Start(victim);
    }
    killer.Target(set.Pid(victim));  // restarted here or inside SubmitUntilAcknowledged
  }
  killer.Stop();
  if (!set.Running(victim)) {
    set.Start(victim);
  }
  EXPECT_GE(killer.kills(), kMinKills) << "the stream was too short to kill " << victim;
  ExpectEachExactlyOnce(set, acked);
  ExpectOfficeListsAgree(set, acked, numbers);

  // A retry of an acknowledged submit returns the same referral and adds nothing.
  const auto& [key, id] = *acked.begin();
  absl::StatusOr<lotse::v1::IntakeReply> retry = SubmitNumber(set, key, numbers[key]);
  ASSERT_TRUE(retry.ok());
  ASSERT_FALSE(retry->has_error()) << retry->error().message();
  EXPECT_EQ(retry->submitted().referral_id(), id);
  absl::StatusOr<uint64_t> head = set.LogHead("intake");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, static_cast<uint64_t>(submitted)) << "intake logged a referral twice";
  std::printf("[ figures  ] %s killed %d times during %d acknowledged submissions\n",
              victim.c_str(), killer.kills(), submitted);
  EXPECT_EQ(set.Terminate("routing"), 0);
  EXPECT_EQ(set.Terminate("intake"), 0);
}

TEST(CrashTest, KillingIntakeLosesAndDuplicatesNothing) { RunWithKills("intake"); }

TEST(CrashTest, KillingRoutingLosesAndDuplicatesNothing) { RunWithKills("routing"); }

}  // namespace
}  // namespace lotse::test
