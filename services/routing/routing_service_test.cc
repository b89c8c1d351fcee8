#include "services/routing/routing_service.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/format.h"
#include "gtest/gtest.h"

namespace lotse::routing {
namespace {

lotse::v1::ReferralState Open() {
  lotse::v1::ReferralState s;
  s.set_referral_id("r1");
  s.set_case_number("2026-000001");
  s.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  s.set_assignee("umwelt");
  s.set_due_at_us(2'000'000);
  s.set_warn_at_us(1'500'000);
  s.mutable_referral()->set_priority(lotse::v1::PRIORITY_HIGH);
  return s;
}

size_t Count(const IndexEntries& entries, store::Cf cf) {
  size_t n = 0;
  for (const auto& [key, value] : entries) {
    n += key.first == cf ? 1 : 0;
  }
  return n;
}

TEST(IndexForTest, AnOpenReferralIsOnItsAssigneesWorklistWithTwoTimers) {
  const IndexEntries entries = RoutingService::IndexFor(Open());
  EXPECT_EQ(Count(entries, RoutingService::kWorklist), 1u);
  EXPECT_EQ(Count(entries, RoutingService::kTimers), 2u);
  const std::string& key = entries.begin()->first.second;
  EXPECT_EQ(key.substr(0, 7), std::string("umwelt\0", 7));
}

TEST(IndexForTest, OpenConsultationsAddItemsToTheConsultedWorklists) {
  lotse::v1::ReferralState s = Open();
  s.add_consultations()->set_department("bauordnung");
  lotse::v1::Consultation* done = s.add_consultations();
  done->set_department("stadtplanung");
  done->set_contributed_at_us(5);
  const IndexEntries entries = RoutingService::IndexFor(s);
  EXPECT_EQ(Count(entries, RoutingService::kWorklist), 2u);  // own item + open consultation
  bool found = false;
  for (const auto& [key, value] : entries) {
    found = found || key.second.rfind(std::string("bauordnung\0", 11), 0) == 0;
  }
  EXPECT_TRUE(found);
}

TEST(IndexForTest, FiredTimersAndAnsweredReferralsLeaveNoEntries) {
  lotse::v1::ReferralState s = Open();
  s.set_warned(true);
  EXPECT_EQ(Count(RoutingService::IndexFor(s), RoutingService::kTimers), 1u);
  s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
  EXPECT_TRUE(RoutingService::IndexFor(s).empty());
}

TEST(IndexForTest, AnItemWithAContactPersonIsFiledUnderThePersonToo) {
  lotse::v1::ReferralState s = Open();
  s.mutable_contact_person()->set_id("um-wagner");
  lotse::v1::Consultation* c = s.add_consultations();
  c->set_department("bauordnung");
  c->mutable_contact_person()->set_id("bo-kaya");
  const IndexEntries entries = RoutingService::IndexFor(s);
  std::vector<std::string> items;
  std::vector<std::string> persons;
  for (const auto& [key, value] : entries) {
    if (key.first == RoutingService::kWorklist) {
      (key.second.starts_with('\x01') ? persons : items).push_back(key.second);
      if (key.second.starts_with('\x01')) {
        EXPECT_TRUE(value.empty());
      }
    }
  }
  ASSERT_EQ(items.size(), 2u);
  ASSERT_EQ(persons.size(), 2u);
  // The person's entry is the item's key with the person between worklist and the rest.
  for (const std::string& item : items) {
    const size_t nul = item.find('\0');
    const std::string owner = item.substr(0, nul);
    const std::string person = owner == "umwelt" ? "um-wagner" : "bo-kaya";
    const std::string expected = StrCat("\x01", owner, "\x01", person, item.substr(nul));
    EXPECT_NE(std::find(persons.begin(), persons.end(), expected), persons.end()) << owner;
  }
}

TEST(IndexForTest, WorklistKeysSortByDueThenPriority) {
  lotse::v1::ReferralState early = Open();
  lotse::v1::ReferralState late = Open();
  late.set_referral_id("r2");
  late.set_due_at_us(3'000'000);
  lotse::v1::ReferralState urgent_same_due = Open();
  urgent_same_due.set_referral_id("r3");
  urgent_same_due.mutable_referral()->set_priority(lotse::v1::PRIORITY_URGENT);
  auto key = [](const lotse::v1::ReferralState& s) {
    for (const auto& [k, v] : RoutingService::IndexFor(s)) {
      if (k.first == RoutingService::kWorklist) {
        return k.second;
      }
    }
    return std::string();
  };
  EXPECT_LT(key(early), key(late));
  EXPECT_LT(key(urgent_same_due), key(early));
}

}  // namespace
}  // namespace lotse::routing
