// Inboxes against the real set: a waiting consumer gets the answer pushed; after kill -9 of
// notification during a stream, no message is lost and none comes again after acknowledgement.
#include <signal.h>

#include <map>
#include <set>

#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/random_killer.h"

namespace lotse::test {
namespace {

lotse::v1::NotificationRequest InboxOf(lotse::v1::ActorKind kind, const std::string& id,
                                       uint64_t ack, uint32_t wait_ms = 0) {
  lotse::v1::NotificationRequest request;
  request.set_request_id(NewKey());
  request.mutable_actor()->set_kind(kind);
  request.mutable_actor()->set_id(id);
  request.mutable_inbox()->set_ack(ack);
  request.mutable_inbox()->set_wait_ms(wait_ms);
  return request;
}

TEST(NotificationTest, AWaitingOfficeGetsTheAnswerPushed) {
  LotseSet set;
  set.StartAll(/*with_audit=*/false, /*with_notification=*/true);
  auto submitted = set.Submit("bb-nord", "fachkraefte", "HRB-40001");
  ASSERT_TRUE(submitted.ok() && !submitted->has_error());
  const std::string id = submitted->submitted().referral_id();

  // The department learns of the new item without polling its worklist.
  uint64_t office_ack = 0;
  ASSERT_TRUE(set.Eventually([&] {
    auto r = set.Notification(InboxOf(lotse::v1::ACTOR_KIND_DEPARTMENT, "jugend-arbeitsmarkt", 0));
    return r.ok() && r->inbox().messages_size() == 1 &&
           r->inbox().messages(0).kind() == lotse::v1::MESSAGE_KIND_NEW_REFERRAL &&
           r->inbox().messages(0).referral_id() == id;
  })) << set.Log("notification");
  ASSERT_TRUE(set.Eventually([&] {
    auto r = set.Notification(InboxOf(lotse::v1::ACTOR_KIND_OFFICE, "bb-nord", 0));
    if (r.ok() && r->inbox().messages_size() == 1) {
      office_ack = r->inbox().messages(0).seq();
      return true;
    }
    return false;
  }));

  // A consumer parks a request on the office inbox; the answer is pushed into it.
  bus::Context context;
  bus::SocketOptions options;
  options.curve = set.Curve("bb-nord", "notification");
  auto socket = bus::Socket::Create(context, zmq::socket_type::dealer, options);
  ASSERT_TRUE(socket.ok());
  ASSERT_TRUE(socket->Connect(StrCat("tcp://127.0.0.1:", set.port_base() + 4)).ok());
  ASSERT_TRUE(socket
                  ->Send({InboxOf(lotse::v1::ACTOR_KIND_OFFICE, "bb-nord", office_ack, 10000)
                              .SerializeAsString()})
                  .ok());
  EXPECT_FALSE(socket->WaitReadable(absl::Milliseconds(300)).value());  // parked: nothing new
  lotse::v1::RoutingRequest answer;
  answer.mutable_answer()->set_ref(id);
  answer.mutable_answer()->set_text("Das Jobcenter vermittelt Fachkräfte.");
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  const absl::Time answered_at = absl::Now();
  ASSERT_FALSE(set.Act("jugend-arbeitsmarkt", "m.koch", answer)->has_error());
  ASSERT_TRUE(socket->WaitReadable(absl::Seconds(5)).value()) << set.Log("notification");
  const absl::Duration latency = absl::Now() - answered_at;
  auto frames = socket->Receive();
  ASSERT_TRUE(frames.ok() && frames->has_value());
  lotse::v1::NotificationReply pushed;
  ASSERT_TRUE(pushed.ParseFromString((**frames).back()));
  ASSERT_EQ(pushed.inbox().messages_size(), 1) << pushed.DebugString();
  EXPECT_EQ(pushed.inbox().messages(0).kind(), lotse::v1::MESSAGE_KIND_ANSWER);
  EXPECT_EQ(pushed.inbox().messages(0).body(), "Das Jobcenter vermittelt Fachkräfte.");
  std::printf("[ figures  ] answer pushed to the waiting office inbox %lld ms after the answer\n",
              static_cast<long long>(absl::ToInt64Milliseconds(latency)));
}

TEST(NotificationTest, KillingNotificationLosesNoMessageAndRepeatsNoneAfterAck) {
  LotseSet set;
  set.StartAll(/*with_audit=*/false, /*with_notification=*/true);
  RandomKiller killer(absl::Milliseconds(100), absl::Milliseconds(200));
  killer.Target(set.Pid("notification"));
  std::set<std::string> submitted;
  std::map<uint64_t, std::string> got;  // seq -> referral id
  int violations = 0;
  uint64_t next_ack = 0;  // what this consumer has processed; sent as the acknowledgement
  auto consume = [&] {
    auto r = set.Notification(InboxOf(lotse::v1::ACTOR_KIND_OFFICE, "bb-sued", next_ack));
    if (!r.ok() || r->has_error()) {
      return;
    }
    for (const auto& m : r->inbox().messages()) {
      if (m.seq() <= r->inbox().acknowledged()) {
        ++violations;  // shown again after the service confirmed its acknowledgement
      }
      got[m.seq()] = m.referral_id();
      next_ack = std::max(next_ack, m.seq());
    }
  };
  for (int i = 0; (i < 150 || killer.kills() < 3) && i < 3000; ++i) {
    auto reply = set.Submit("bb-sued", "sondernutzung", "HRB-5" + std::to_string(i));
    ASSERT_TRUE(reply.ok() && !reply->has_error());
    submitted.insert(reply->submitted().referral_id());
    if (i % 10 == 0) {
      consume();
    }
    if (!set.Running("notification")) {
      set.Start("notification");
    }
    killer.Target(set.Pid("notification"));
  }
  killer.Stop();
  if (!set.Running("notification")) {
    set.Start("notification");
  }
  // Drain: every referral's "is with" status message reaches the office exactly once.
  ASSERT_TRUE(set.Eventually(
      [&] {
        consume();
        return got.size() >= submitted.size();
      },
      absl::Seconds(30)))
      << got.size() << " of " << submitted.size() << " messages";
  EXPECT_EQ(violations, 0) << "messages came again after they were acknowledged";
  std::map<std::string, int> per_referral;
  for (const auto& [seq, referral] : got) {
    ++per_referral[referral];
  }
  for (const std::string& id : submitted) {
    EXPECT_EQ(per_referral[id], 1) << "referral " << id;
  }
  EXPECT_EQ(got.size(), submitted.size());
  EXPECT_EQ(got.rbegin()->first, got.size()) << "inbox seqs have a gap";
  std::printf("[ figures  ] notification killed %d times during %zu submissions; %zu messages "
              "each once\n",
              killer.kills(), submitted.size(), got.size());
}

}  // namespace
}  // namespace lotse::test
