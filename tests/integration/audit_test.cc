// The audit service against the real set: a referral's story across services, every event in
// the chain exactly once after kill -9 of audit, and a tampered entry named by verify.
#include <signal.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "services/audit/chain.h"
#include "services/audit/evaluation.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/random_killer.h"

namespace lotse::test {
namespace {

absl::StatusOr<lotse::v1::AuditReply> History(LotseSet& set, const std::string& ref) {
  lotse::v1::AuditRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_actor()->set_id("test");
  request.mutable_history()->set_ref(ref);
  return set.Audit(request);
}

lotse::v1::VerifyReply Verify(LotseSet& set) {
  lotse::v1::AuditRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
  request.mutable_actor()->set_id("test");
  request.mutable_verify();
  absl::StatusOr<lotse::v1::AuditReply> reply = set.Audit(request);
  EXPECT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply.ok() && reply->has_verify()) << (reply.ok() ? reply->DebugString() : "");
  return reply.ok() ? reply->verify() : lotse::v1::VerifyReply{};
}

uint64_t EventsProduced(LotseSet& set) {
  return set.LogHead("intake").value_or(0) + set.LogHead("routing").value_or(0);
}

TEST(AuditTest, HistoryTellsTheWholeStoryAcrossServices) {
  LotseSet set;
  set.StartAll(/*with_audit=*/true);
  auto submitted = set.Submit("bb-mitte", "gewerbeanmeldung", "HRB-60001");
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  const std::string ref = submitted->submitted().case_number();
  ASSERT_TRUE(set.Eventually([&] {
    auto r = set.Status("bb-mitte", ref);
    return r.ok() && r->referral().status() == lotse::v1::REFERRAL_STATUS_ROUTED;
  }));
  lotse::v1::RoutingRequest claim;
  claim.mutable_claim()->set_ref(ref);
  ASSERT_FALSE(set.Act("ordnung-gewerbe", "p.weber", claim)->has_error());
  lotse::v1::RoutingRequest answer;
  answer.mutable_answer()->set_ref(ref);
  answer.mutable_answer()->set_text("Die Anmeldung geht online.");
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  ASSERT_FALSE(set.Act("ordnung-gewerbe", "p.weber", answer)->has_error());
  ASSERT_TRUE(set.Eventually([&] {
    auto r = set.Status("bb-mitte", ref);
    return r.ok() && r->referral().status() == lotse::v1::REFERRAL_STATUS_ANSWERED;
  }));
  ASSERT_FALSE(set.Feedback("bb-mitte", ref, 4, true)->has_error());

  // Submitted, routed, claimed, answered, feedback, closed: six events from two services.
  std::vector<std::string> kinds;
  ASSERT_TRUE(set.Eventually([&] {
    auto h = History(set, ref);
    kinds.clear();
    if (h.ok() && h->has_history()) {
      for (const auto& e : h->history().entries()) {
        kinds.push_back(e.event().GetDescriptor()
                            ->FindFieldByNumber(e.event().payload_case())
                            ->name());
      }
    }
    return kinds.size() == 6;
  })) << kinds.size() << " events in the history\n" << set.Log("audit");
  // The chain keeps each service's events in their order; between the two services it keeps
  // the order audit received them in, which a lagging audit may interleave differently (an
  // office's feedback chained before the answer that preceded it).
  auto in_order = [&](const std::vector<std::string>& expected) {
    std::vector<std::string> seen;
    for (const std::string& kind : kinds) {
      if (std::find(expected.begin(), expected.end(), kind) != expected.end()) {
        seen.push_back(kind);
      }
    }
    return seen == expected;
  };
  EXPECT_EQ(kinds.front(), "referral_submitted");
  EXPECT_TRUE(in_order({"referral_submitted", "feedback_submitted"}));  // intake's
  EXPECT_TRUE(in_order({"referral_routed", "claimed", "answered", "closed"}))  // routing's
      << absl::StrJoin(kinds, ", ");
  const lotse::v1::VerifyReply verified = Verify(set);
  EXPECT_TRUE(verified.ok()) << verified.problem();
  EXPECT_EQ(verified.entries(), EventsProduced(set));

  // Another office may not read it.
  lotse::v1::AuditRequest foreign;
  foreign.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  foreign.mutable_actor()->set_id("bb-nord");
  foreign.mutable_history()->set_ref(ref);
  auto denied = set.Audit(foreign);
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
}

TEST(AuditTest, KillingAuditKeepsEveryEventExactlyOnce) {
  LotseSet set;
  set.StartAll(/*with_audit=*/true);
  RandomKiller killer(absl::Milliseconds(100), absl::Milliseconds(200));
  killer.Target(set.Pid("audit"));
  std::vector<std::string> ids;
  for (int i = 0; (i < 150 || killer.kills() < 3) && i < 3000; ++i) {
    auto reply = set.Submit("bb-sued", "gewerbesteuer", "HRB-6" + std::to_string(i));
    if (!reply.ok() || reply->has_error()) {
      ADD_FAILURE() << "submit failed while audit was being killed";
      break;
    }
    ids.push_back(reply->submitted().referral_id());
    if (!set.Running("audit")) {
      set.Start("audit");
    }
    killer.Target(set.Pid("audit"));
  }
  killer.Stop();
  if (!set.Running("audit")) {
    set.Start("audit");
  }
  EXPECT_GE(killer.kills(), 3);
  ASSERT_TRUE(set.Eventually([&] { return Verify(set).entries() == EventsProduced(set); },
                             absl::Seconds(30)))
      << Verify(set).entries() << " entries for " << EventsProduced(set) << " events";
  const lotse::v1::VerifyReply verified = Verify(set);
  EXPECT_TRUE(verified.ok()) << verified.problem();
  // Each referral: its submission and its routing, once each.
  for (const std::string& id : ids) {
    auto h = History(set, id);
    ASSERT_TRUE(h.ok() && h->has_history()) << id;
    std::set<std::pair<std::string, uint64_t>> seen;
    for (const auto& e : h->history().entries()) {
      EXPECT_TRUE(seen.emplace(e.event().stream(), e.event().seq()).second)
          << "event " << e.event().stream() << "/" << e.event().seq() << " is in the chain twice";
    }
    EXPECT_EQ(seen.size(), 2u) << id;
  }
  std::printf("[ figures  ] audit killed %d times during %zu submissions; %llu entries verify\n",
              killer.kills(), ids.size(), static_cast<unsigned long long>(verified.entries()));
}

TEST(AuditTest, TamperingWithOneEntryIsDetectedAndNamed) {
  LotseSet set;
  set.StartAll(/*with_audit=*/true);
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(set.Submit("bb-mitte", "baugenehmigung", "HRB-9" + std::to_string(i))
                     ->has_error());
  }
  ASSERT_TRUE(set.Eventually([&] { return Verify(set).entries() == 6; }));
  ASSERT_EQ(set.Terminate("audit"), 0);
  {
    store::Options options;
    options.path = set.dir() + "/data/audit";
    options.state_families = audit::StateFamilies();
    auto store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto value = (*store)->Get(audit::Chain::kEntries, store::EncodeU64(4));
    ASSERT_TRUE(value.ok() && value->has_value());
    lotse::v1::AuditEntry entry;
    ASSERT_TRUE(entry.ParseFromString(**value));
    lotse::v1::Envelope event;
    ASSERT_TRUE(event.ParseFromString(entry.event()));
    event.mutable_actor()->set_id("someone-else");  // rewrite who did it
    entry.set_event(event.SerializeAsString());
    store::Batch batch(store->get());
    batch.Put(audit::Chain::kEntries, store::EncodeU64(4), entry.SerializeAsString());
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }
  set.Start("audit");
  const lotse::v1::VerifyReply verified = Verify(set);
  EXPECT_FALSE(verified.ok());
  EXPECT_EQ(verified.first_bad_index(), 4u) << verified.problem();
  EXPECT_NE(verified.problem().find("entry 4"), std::string::npos) << verified.problem();
}

}  // namespace
}  // namespace lotse::test
