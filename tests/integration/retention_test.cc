// Bounded disk against the real set, on a service clock the test moves (LOTSE_CLOCK_FILE) and
// [retention] at its lower bounds: the outbox is trimmed only below what every consumer of the
// log acknowledged and never while an event is younger than log_min_hours (a consumer that is
// down holds it back and gets everything after its restart); kill -9 during a trim loses
// nothing acknowledged; an idempotency record answers retries within its window and is gone
// after it; read inbox messages expire, unread ones stay.
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/store/store.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

// The sample city with every [retention] value at its lower bound.
std::string ShortRetention() {
  return absl::StrReplaceAll(std::string(config::DefaultConfigText()),
                             {{"idempotency_days = 7 ", "idempotency_days = 1 "},
                              {"inbox_days = 90 ", "inbox_days = 7 "},
                              {"dead_letter_days = 90 ", "dead_letter_days = 7 "},
                              {"log_min_hours = 168 ", "log_min_hours = 1 "},
                              {"scan_minutes = 10 ", "scan_minutes = 1 "}});
}

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_file_ = clock_dir_.Join("now");
    now_ = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    Advance(absl::ZeroDuration());
    setenv("LOTSE_CLOCK_FILE", clock_file_.c_str(), 1);  // inherited by the services
    SetOptions options;
    options.config_toml = ShortRetention();
    ASSERT_NE(options.config_toml, config::DefaultConfigText());
    set_ = std::make_unique<LotseSet>(options);
  }
  void TearDown() override {
    set_.reset();
    unsetenv("LOTSE_CLOCK_FILE");
  }

  // Moves the service time of every process forward.
  void Advance(absl::Duration d) {
    now_ += d;
    ASSERT_TRUE(WriteFile(clock_file_, std::to_string(absl::ToUnixMicros(now_))).ok());
  }
  double Metric(const std::string& service, const std::string& series) {
    return MetricValue(HttpGet(set_->OpsPort(service), "/metrics").body, series);
  }
  double Expired(const std::string& service, const std::string& family) {
    return Metric(service,
                  StrCat("lotse_expired_total{service=\"", service, "\",family=\"", family, "\"}"));
  }
  double Acknowledged(const std::string& producer, const std::string& consumer) {
    return Metric(producer, StrCat("lotse_log_acknowledged_seq{service=\"", producer,
                                   "\",consumer=\"", consumer, "\"}"));
  }
  bool Halted(const std::string& consumer, const std::string& stream) {
    return Metric(consumer, StrCat("lotse_consumer_halted{service=\"", consumer, "\",stream=\"",
                                   stream, "\"}")) != 0;
  }
  // Submits `n` referrals; returns their ids.
  std::vector<std::string> Submit(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto r = set_->Submit("bb-mitte", "emissionsschutz", "HRB-" + NewKey());
      EXPECT_TRUE(r.ok() && !r->has_error()) << (r.ok() ? r->DebugString() : r.status().ToString());
      ids.push_back(r.ok() ? r->submitted().referral_id() : "");
    }
    return ids;
  }
  uint64_t Head(const std::string& service) {
    absl::StatusOr<uint64_t> head = set_->LogHead(service);
    EXPECT_TRUE(head.ok()) << head.status();
    return head.value_or(0);
  }
  // Waits until each of `consumers` acknowledged `producer`'s head.
  void CaughtUp(const std::string& producer, const std::vector<std::string>& consumers) {
    const uint64_t head = Head(producer);
    for (const std::string& consumer : consumers) {
      ASSERT_TRUE(set_->Eventually([&] { return Acknowledged(producer, consumer) >= head; }))
          << consumer << " did not acknowledge " << producer << "'s head " << head;
    }
  }
  // Service time moves only when the test moves it, and a retention pass starts only after
  // scan_minutes of it: two passes, each a minute later (the services look each second).
  void SomeSteps() {
    for (int i = 0; i < 2; ++i) {
      Advance(absl::Minutes(1));
      absl::SleepFor(absl::Milliseconds(1300));
    }
  }
  // Waits until `pred` holds, moving service time on by a minute every half second.
  bool WaitFor(const std::function<bool()>& pred) {
    const absl::Time until = absl::Now() + absl::Seconds(15);
    while (absl::Now() < until) {
      if (pred()) {
        return true;
      }
      Advance(absl::Minutes(1));
      absl::SleepFor(absl::Milliseconds(500));
    }
    return pred();
  }
  // The oldest seq intake's log still serves after `after` (0 if the fetch was refused).
  uint64_t FirstServedAfter(uint64_t after) {
    absl::StatusOr<std::vector<lotse::v1::Envelope>> events = set_->LogEvents("intake", after);
    return events.ok() && !events->empty() ? events->front().seq() : 0;
  }

  TempDir clock_dir_;
  std::string clock_file_;
  absl::Time now_;
  std::unique_ptr<LotseSet> set_;
};

TEST_F(RetentionTest, TheOutboxKeepsWhatAConsumerThatIsDownHasNotAcknowledged) {
  set_->StartAll(/*with_audit=*/false, /*with_notification=*/true);
  Submit(5);
  CaughtUp("intake", {"routing", "notification"});
  Advance(absl::Hours(2));
  SomeSteps();
  // audit reads intake's log too and has not fetched since intake started: nothing goes.
  EXPECT_EQ(Expired("intake", "outbox"), 0);
  EXPECT_EQ(FirstServedAfter(0), 1u);

  set_->Start("audit");
  const uint64_t old_head = Head("intake");
  ASSERT_TRUE(WaitFor([&] { return Expired("intake", "outbox") > 0; })) << set_->Log("intake");
  // All old events but the newest, which keeps the head; a fetch from 0 is refused loudly.
  EXPECT_EQ(Expired("intake", "outbox"), old_head - 1);
  absl::StatusOr<std::vector<lotse::v1::Envelope>> refused = set_->LogEvents("intake", 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("trimmed"), std::string::npos) << refused.status();

  // Young events stay however acknowledged they are; the old head goes once it is not newest.
  Submit(3);
  CaughtUp("intake", {"routing", "notification", "audit"});
  SomeSteps();
  EXPECT_EQ(Expired("intake", "outbox"), old_head);
  EXPECT_EQ(FirstServedAfter(old_head), old_head + 1);

  // audit goes down: what it has not acknowledged stays, however old, and it gets it all.
  set_->Kill("audit");
  const uint64_t audit_had = Head("intake");
  Submit(4);
  CaughtUp("intake", {"routing", "notification"});
  Advance(absl::Hours(2));
  SomeSteps();
  EXPECT_EQ(Expired("intake", "outbox"), audit_had);  // the young 3, not the 4 audit lacks
  EXPECT_EQ(FirstServedAfter(audit_had), audit_had + 1);
  set_->Start("audit");
  CaughtUp("intake", {"audit"});
  EXPECT_FALSE(Halted("audit", "intake")) << set_->Log("audit");
  EXPECT_EQ(Metric("audit", R"(lotse_consumer_offset_seq{service="audit",stream="intake"})"),
            static_cast<double>(Head("intake")));
  EXPECT_EQ(Metric("audit", R"(lotse_dead_letters{service="audit"})"), 0);
}

// kill -9 of the producer while it trims: each trim is one synced batch, so after the restart
// the head is the same, every consumer goes on without a halt and new events follow on.
TEST_F(RetentionTest, KillDuringATrimLosesNothingAcknowledged) {
  set_->StartAll(/*with_audit=*/true, /*with_notification=*/true);
  std::mt19937 random(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    Submit(60);
    CaughtUp("intake", {"routing", "notification", "audit"});
    const uint64_t head = Head("intake");
    Advance(absl::Hours(2));
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 1200)(random)));
    set_->Kill("intake");
    set_->Start("intake");
    EXPECT_EQ(Head("intake"), head) << "round " << round;
    Submit(1);
    CaughtUp("intake", {"routing", "notification", "audit"});
    for (const std::string consumer : {"routing", "notification", "audit"}) {
      EXPECT_FALSE(Halted(consumer, "intake")) << consumer << " round " << round;
    }
  }
  // Everything intake logged reached routing: its worklist holds every referral.
  absl::StatusOr<lotse::v1::RoutingReply> worklist = set_->Worklist("umwelt");
  ASSERT_TRUE(worklist.ok()) << worklist.status();
  EXPECT_EQ(worklist->worklist().items_size(), 3 * 61);
  ASSERT_TRUE(WaitFor([&] { return Expired("intake", "outbox") > 0; }));
}

TEST_F(RetentionTest, AnIdempotencyRecordAnswersRetriesWithinItsWindowOnly) {
  set_->StartAll();
  const std::string key = NewKey();
  auto first = set_->Submit("bb-mitte", "emissionsschutz", "HRB-4711", key);
  ASSERT_TRUE(first.ok() && !first->has_error());
  Advance(absl::Hours(23));
  SomeSteps();
  auto retry = set_->Submit("bb-mitte", "emissionsschutz", "HRB-4711", key);
  ASSERT_TRUE(retry.ok() && !retry->has_error());
  EXPECT_EQ(retry->submitted().referral_id(), first->submitted().referral_id());
  EXPECT_EQ(Expired("intake", "idempotency"), 0);
  Advance(absl::Hours(2));
  ASSERT_TRUE(WaitFor([&] { return Expired("intake", "idempotency") >= 1; }))
      << set_->Log("intake");
  // The key is forgotten: the same request is now a new referral.
  auto later = set_->Submit("bb-mitte", "emissionsschutz", "HRB-4711", key);
  ASSERT_TRUE(later.ok() && !later->has_error());
  EXPECT_NE(later->submitted().referral_id(), first->submitted().referral_id());
}

TEST_F(RetentionTest, ReadInboxMessagesExpireUnreadOnesStay) {
  set_->StartAll(/*with_audit=*/false, /*with_notification=*/true);
  auto inbox = [&](uint64_t ack) {
    lotse::v1::NotificationRequest request;
    request.set_request_id(NewKey());
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    request.mutable_actor()->set_id("umwelt");
    request.mutable_inbox()->set_ack(ack);
    return set_->Notification(request);
  };
  Submit(3);
  uint64_t read = 0;
  ASSERT_TRUE(set_->Eventually([&] {
    auto r = inbox(0);
    if (r.ok() && r->inbox().messages_size() >= 3) {
      read = r->inbox().messages(r->inbox().messages_size() - 1).seq();
      return true;
    }
    return false;
  })) << set_->Log("notification");
  ASSERT_TRUE(inbox(read).ok());  // read: acknowledged
  Submit(1);                      // unread
  ASSERT_TRUE(set_->Eventually([&] {
    auto r = inbox(0);
    return r.ok() && r->inbox().messages_size() >= 1;
  }));
  Advance(absl::Hours(24 * 6));
  SomeSteps();
  EXPECT_EQ(Expired("notification", "state_inbox"), 0);
  Advance(absl::Hours(24 * 2));
  ASSERT_TRUE(WaitFor([&] { return Expired("notification", "state_inbox") >= read; }))
      << set_->Log("notification");
  auto r = inbox(0);
  ASSERT_TRUE(r.ok());
  ASSERT_GE(r->inbox().messages_size(), 1);
  EXPECT_EQ(r->inbox().messages(0).seq(), read + 1);
  // On disk: the read messages of umwelt's inbox are gone, the unread ones (the new referral and
  // the SLA warnings the days brought) are all there.
  ASSERT_EQ(set_->Terminate("notification"), 0);
  store::Options options;
  options.path = set_->dir() + "/data/notification";
  options.state_families = {"state_inbox", "state_positions", "state_notes", "state_mail"};
  options.open_other_families = true;
  absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<uint64_t> left;
  ASSERT_TRUE((*store)
                  ->Scan(store::kFirstStateFamily,
                         StrCat("department/umwelt", std::string(1, '\0')), "",
                         [&](std::string_view key, std::string_view) {
                           left.push_back(store::DecodeU64(key.substr(key.size() - 8)));
                           return true;
                         })
                  .ok());
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.front(), read + 1);
  for (size_t i = 1; i < left.size(); ++i) {
    EXPECT_EQ(left[i], left[i - 1] + 1);
  }
}

}  // namespace
}  // namespace lotse::test
