// Case work's clocks: the paused answer clock across weekends and public holidays, the two
// deadlines of a routed referral, the escalation ladder's recipients, and the timers IndexFor
// derives from them.
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/config/config.h"
#include "gtest/gtest.h"
#include "services/routing/routing_service.h"
#include "services/routing/transitions.h"

namespace lotse::routing {
namespace {

using lotse::v1::ReferralState;

absl::Time Berlin(int y, int m, int d, int hh, int mm) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &tz));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tz);
}
int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

const Policy& TestPolicy() {
  static const config::Config* const city = [] {
    absl::StatusOr<config::Config> config =
        config::ParseConfig(config::DefaultConfigText(), "embedded");
    EXPECT_TRUE(config.ok()) << config.status();
    return new config::Config(*config);
  }();
  static const Rules* const rules = new Rules(*Rules::Create(*city));
  static const Policy* const policy = new Policy{*rules, city->routing.forward_limit,
                                                 static_cast<size_t>(city->limits.max_text_bytes)};
  return *policy;
}

lotse::v1::Actor Umwelt() {
  lotse::v1::Actor actor;
  actor.set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  actor.set_id("umwelt");
  actor.set_user("mia");
  return actor;
}

// A referral at the Umweltamt (Mon-Thu 08:00-16:00, Fri 08:00-12:30, NW) due at `due`.
ReferralState AtUmwelt(absl::Time due) {
  ReferralState s;
  s.set_referral_id("r1");
  s.set_case_number("2026-000001");
  s.mutable_referral()->set_office("bb-nord");
  s.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
  s.set_assignee("umwelt");
  s.set_due_at_us(Micros(due));
  s.set_warn_at_us(Micros(due - absl::Hours(1)));
  return s;
}

// Asks the company at `asked` and enters its reply at `replied`: the state after the reply.
ReferralState AskAndReply(ReferralState s, absl::Time asked, absl::Time replied) {
  const lotse::v1::Actor actor = Umwelt();
  lotse::v1::AskCompanyRequest ask;
  ask.set_ref("2026-000001");
  ask.set_question("Welche Anlage genau?");
  absl::StatusOr<Outcome> waiting = AskCompany(OnReferral{s, actor, TestPolicy(), asked}, ask);
  EXPECT_TRUE(waiting.ok()) << waiting.status();
  lotse::v1::CompanyRepliedRequest reply;
  reply.set_ref("2026-000001");
  reply.set_text("Die Lackieranlage");
  absl::StatusOr<Outcome> running =
      CompanyReplied(OnReferral{waiting->state, actor, TestPolicy(), replied}, reply);
  EXPECT_TRUE(running.ok()) << running.status();
  return running->state;
}

TEST(PausedClockTest, AcrossAWeekendCountsOnlyOfficeHours) {
  // Asked Friday 27 March 2026 11:00 (1.5 h until 12:30), replied Monday 09:00 (1 h): 2.5 h.
  const ReferralState s = AskAndReply(AtUmwelt(Berlin(2026, 3, 30, 15, 0)),
                                      Berlin(2026, 3, 27, 11, 0), Berlin(2026, 3, 30, 9, 0));
  EXPECT_EQ(s.paused_business_us(), 150LL * 60 * 1000000);
  EXPECT_EQ(s.company_questions(0).paused_business_us(), s.paused_business_us());
  // Due Monday 15:00 + 2.5 h: 1 h Monday, 1.5 h Tuesday.
  EXPECT_EQ(s.due_at_us(), Micros(Berlin(2026, 3, 31, 9, 30)));
  EXPECT_EQ(s.warn_at_us(), Micros(Berlin(2026, 3, 31, 8, 30)));
  EXPECT_EQ(s.waiting_since_us(), 0);
}

TEST(PausedClockTest, AcrossEasterSkipsGoodFridayAndEasterMonday) {
  // Asked Thursday 2 April 2026 14:00 (2 h), Karfreitag and Ostermontag closed, replied
  // Tuesday 7 April 10:00 (2 h): 4 h.
  const ReferralState s = AskAndReply(AtUmwelt(Berlin(2026, 4, 8, 10, 0)),
                                      Berlin(2026, 4, 2, 14, 0), Berlin(2026, 4, 7, 10, 0));
  EXPECT_EQ(s.paused_business_us(), 4LL * 3600 * 1000000);
  EXPECT_EQ(s.due_at_us(), Micros(Berlin(2026, 4, 8, 14, 0)));
}

TEST(PausedClockTest, AcrossGermanUnityDaySkipsTheHoliday) {
  // Asked Thursday 2 October 2025 15:00 (1 h), Friday 3 October closed, replied Monday 6
  // October 10:00 (2 h): 3 h. Due Monday 14:00 moves to Tuesday 09:00 (2 h Monday, 1 h Tuesday).
  ReferralState given = AtUmwelt(Berlin(2025, 10, 6, 14, 0));
  given.set_second_breach_at_us(Micros(Berlin(2025, 10, 7, 14, 0)));
  const ReferralState s =
      AskAndReply(given, Berlin(2025, 10, 2, 15, 0), Berlin(2025, 10, 6, 10, 0));
  EXPECT_EQ(s.paused_business_us(), 3LL * 3600 * 1000000);
  EXPECT_EQ(s.due_at_us(), Micros(Berlin(2025, 10, 7, 9, 0)));
  // The second level moves alike: Tuesday 14:00 + 3 h = Wednesday 09:00.
  EXPECT_EQ(s.second_breach_at_us(), Micros(Berlin(2025, 10, 8, 9, 0)));
}

TEST(PausedClockTest, TwoQuestionsAddUp) {
  ReferralState s = AskAndReply(AtUmwelt(Berlin(2026, 3, 12, 12, 0)), Berlin(2026, 3, 9, 9, 0),
                                Berlin(2026, 3, 9, 10, 0));
  s = AskAndReply(s, Berlin(2026, 3, 10, 9, 0), Berlin(2026, 3, 10, 11, 0));
  ASSERT_EQ(s.company_questions_size(), 2);
  EXPECT_EQ(s.paused_business_us(), 3LL * 3600 * 1000000);
  EXPECT_EQ(s.due_at_us(), Micros(Berlin(2026, 3, 12, 15, 0)));
}

lotse::v1::Envelope Submission() {
  lotse::v1::Envelope e;
  e.set_referral_id("r9");
  e.set_case_number("2026-000009");
  e.mutable_referral_submitted()->set_submitted_at_us(77);
  lotse::v1::Referral* r = e.mutable_referral_submitted()->mutable_referral();
  r->set_office("bb-nord");
  r->set_topic("baugenehmigung");
  r->set_subject("Lagerhalle");
  return e;
}

TEST(TwoDeadlinesTest, FirstReactionComesBeforeTheAnswer) {
  // Bauordnung: first reaction 8 h, answer 40 h (Mon-Wed 08-16, Thu 08-18, Fri 08-12:30).
  const absl::Time now = Berlin(2026, 3, 3, 9, 0);
  absl::StatusOr<Outcome> routed = Route(Submission(), TestPolicy(), now);
  ASSERT_TRUE(routed.ok()) << routed.status();
  const ReferralState& s = routed->state;
  EXPECT_EQ(s.first_reaction_due_at_us(), Micros(Berlin(2026, 3, 4, 9, 0)));
  EXPECT_EQ(s.first_reaction_warn_at_us(), Micros(Berlin(2026, 3, 3, 15, 0)));
  EXPECT_EQ(s.due_at_us(), Micros(Berlin(2026, 3, 10, 10, 30)));
  // Second level: 8 business hours after the due time.
  EXPECT_EQ(s.second_breach_at_us(), Micros(Berlin(2026, 3, 11, 10, 30)));
  EXPECT_EQ(s.assignee_since_us(), Micros(now));
  EXPECT_EQ(s.submitted_at_us(), 77);
  const lotse::v1::ReferralRouted& event = routed->events[0].referral_routed();
  EXPECT_EQ(event.first_reaction_due_at_us(), s.first_reaction_due_at_us());
  EXPECT_EQ(event.second_breach_at_us(), s.second_breach_at_us());
}

TEST(TwoDeadlinesTest, ClaimSatisfiesTheFirstReactionAndStopsItsTimers) {
  const absl::Time now = Berlin(2026, 3, 3, 9, 0);
  absl::StatusOr<Outcome> routed = Route(Submission(), TestPolicy(), now);
  ASSERT_TRUE(routed.ok());
  const IndexEntries before = RoutingService::IndexFor(routed->state);
  lotse::v1::Actor bo;
  bo.set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  bo.set_id("bauordnung");
  bo.set_user("jana");
  lotse::v1::ClaimRequest claim;
  claim.set_ref("r9");
  absl::StatusOr<Outcome> claimed =
      Claim(OnReferral{routed->state, bo, TestPolicy(), now + absl::Hours(1)}, claim);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->state.first_reacted_at_us(), Micros(now + absl::Hours(1)));
  const IndexEntries after = RoutingService::IndexFor(claimed->state);
  // Routed: answer warn + breach, second level, first reaction warn + breach; claimed: three.
  const auto timers = [](const IndexEntries& entries) {
    size_t n = 0;
    for (const auto& [key, value] : entries) {
      n += key.first == RoutingService::kTimers ? 1 : 0;
    }
    return n;
  };
  EXPECT_EQ(timers(before), 5u);
  EXPECT_EQ(timers(after), 3u);
}

TEST(TimersTest, WaitingOnTheCompanyStopsTheReferralsTimersButNotConsultations) {
  ReferralState s = AtUmwelt(Berlin(2026, 3, 5, 12, 0));
  s.set_second_breach_at_us(Micros(Berlin(2026, 3, 6, 12, 0)));
  s.set_first_reaction_due_at_us(Micros(Berlin(2026, 3, 3, 12, 0)));
  lotse::v1::Consultation* c = s.add_consultations();
  c->set_department("bauordnung");
  c->set_due_at_us(Micros(Berlin(2026, 3, 4, 12, 0)));
  c->set_warn_at_us(Micros(Berlin(2026, 3, 4, 10, 0)));
  s.set_waiting_since_us(Micros(Berlin(2026, 3, 3, 10, 0)));
  std::vector<std::string> keys;
  for (const auto& [key, value] : RoutingService::IndexFor(s)) {
    if (key.first == RoutingService::kTimers) {
      keys.push_back(key.second);
    }
  }
  ASSERT_EQ(keys.size(), 2u);
  for (const std::string& key : keys) {
    EXPECT_NE(key.find(std::string("r1") + '\0' + "bauordnung"), std::string::npos);
  }
  s.set_waiting_since_us(0);
  size_t running = 0;
  for (const auto& [key, value] : RoutingService::IndexFor(s)) {
    running += key.first == RoutingService::kTimers ? 1 : 0;
  }
  EXPECT_EQ(running, 7u);  // answer 2, second level, first reaction 2, consultation 2
}

TEST(LadderTest, WarningReachesTheContactPersonOnly) {
  EXPECT_EQ(Ladder(lotse::v1::ESCALATION_LEVEL_WARNING, "bo-mueller", "bo-becker"),
            std::vector<std::string>{"bo-mueller"});
  EXPECT_TRUE(Ladder(lotse::v1::ESCALATION_LEVEL_WARNING, "", "bo-becker").empty());
}

TEST(LadderTest, BreachAddsTheLead) {
  EXPECT_EQ(Ladder(lotse::v1::ESCALATION_LEVEL_BREACH, "bo-mueller", "bo-becker"),
            (std::vector<std::string>{"bo-mueller", "bo-becker"}));
  EXPECT_EQ(Ladder(lotse::v1::ESCALATION_LEVEL_BREACH, "", "bo-becker"),
            std::vector<std::string>{"bo-becker"});
  EXPECT_TRUE(Ladder(lotse::v1::ESCALATION_LEVEL_BREACH, "", "").empty());
}

TEST(LadderTest, TheLeadAsContactHearsOnce) {
  EXPECT_EQ(Ladder(lotse::v1::ESCALATION_LEVEL_BREACH, "bo-becker", "bo-becker"),
            std::vector<std::string>{"bo-becker"});
}

TEST(LadderTest, SecondLevelAddsTheHead) {
  EXPECT_EQ(Ladder(lotse::v1::ESCALATION_LEVEL_SECOND_BREACH, "bo-mueller", "bo-becker"),
            (std::vector<std::string>{"bo-mueller", "bo-becker", "head"}));
  EXPECT_EQ(Ladder(lotse::v1::ESCALATION_LEVEL_SECOND_BREACH, "", ""),
            std::vector<std::string>{"head"});
}

}  // namespace
}  // namespace lotse::routing
