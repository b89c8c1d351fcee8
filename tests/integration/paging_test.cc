// Replies are bounded however large the backlog: a worklist and a referral's history come in
// pages that each fit in one message, and following the pages gives every item exactly once.
#include <set>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"

namespace lotse::test {
namespace {

// The sample city with small messages: 40,000 bytes, so a reply holds at most 20,000 bytes of
// entries and a history of a few long texts needs several pages.
std::string WithSmallMessages() {
  std::string text(config::DefaultConfigText());
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"max_message_bytes = ", "40000"},
                                   {"fetch_max_bytes = ", "20000"}}) {
    const size_t at = text.find(key);
    EXPECT_NE(at, std::string::npos) << key;
    text.replace(at, text.find('\n', at) - at, StrCat(key, value));
  }
  return text;
}

lotse::v1::RoutingRequest WorklistPage(const std::string& department, uint32_t limit,
                                       const std::string& after) {
  lotse::v1::RoutingRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(department);
  request.mutable_worklist()->set_assignee(department);
  request.mutable_worklist()->set_limit(limit);
  request.mutable_worklist()->set_after(after);
  return request;
}

TEST(PagingTest, AWorklistComesInPagesThatTogetherHoldEveryItemOnce) {
  LotseSet set;
  set.StartAll();
  std::set<std::string> submitted;
  for (int i = 0; i < 23; ++i) {
    auto reply = set.Submit("bb-mitte", "baugenehmigung", StrCat("HRB-P", i));
    ASSERT_TRUE(reply.ok() && !reply->has_error());
    submitted.insert(reply->submitted().referral_id());
  }
  ASSERT_TRUE(set.Eventually([&] {
    auto w = set.Worklist("bauordnung");
    return w.ok() && w->worklist().total() == submitted.size();
  }));
  std::set<std::string> seen;
  std::vector<int> pages;
  std::string after;
  do {
    auto page = set.Routing(WorklistPage("bauordnung", 5, after));
    ASSERT_TRUE(page.ok() && !page->has_error()) << (page.ok() ? page->error().message() : "");
    EXPECT_EQ(page->worklist().total(), submitted.size());
    pages.push_back(page->worklist().items_size());
    for (const auto& item : page->worklist().items()) {
      EXPECT_TRUE(seen.insert(item.referral_id()).second) << "twice: " << item.case_number();
    }
    after = page->worklist().next();
  } while (!after.empty() && pages.size() < 10);
  EXPECT_EQ(seen, submitted);
  EXPECT_EQ(pages, (std::vector<int>{5, 5, 5, 5, 3}));

  // A cursor that no reply gave is refused with the field named, not misread.
  auto bad = set.Routing(WorklistPage("bauordnung", 5, "not-a-cursor"));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(bad->error().field(), "after");
}

TEST(PagingTest, ALongHistoryComesInPagesThatEachFitInOneMessage) {
  SetOptions options;
  options.config_toml = WithSmallMessages();
  LotseSet set(options);
  set.StartAll(/*with_audit=*/true);
  lotse::v1::IntakeRequest submit;
  submit.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  submit.mutable_actor()->set_id("bb-mitte");
  submit.mutable_submit()->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit.mutable_submit()->mutable_referral();
  r->set_office("bb-mitte");
  r->set_company_id("HRB-LONG");
  r->set_company_name("Lange Fragen GmbH");
  r->set_topic("baugenehmigung");
  r->set_subject("Viele Fragen");
  r->set_text(std::string(15000, 'q'));
  auto submitted = set.Intake(submit);
  ASSERT_TRUE(submitted.ok() && !submitted->has_error())
      << (submitted.ok() ? submitted->error().message() : submitted.status().ToString());
  const std::string ref = submitted->submitted().case_number();
  ASSERT_TRUE(set.Eventually([&] {
    auto w = set.Worklist("bauordnung");
    return w.ok() && w->worklist().items_size() == 1;
  }));
  lotse::v1::RoutingRequest claim;
  claim.mutable_claim()->set_ref(ref);
  auto claimed = set.Act("bauordnung", "j.mueller", claim);
  ASSERT_TRUE(claimed.ok() && !claimed->has_error());
  lotse::v1::RoutingRequest answer;
  answer.mutable_answer()->set_ref(ref);
  answer.mutable_answer()->set_text(std::string(15000, 'a'));
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  auto answered = set.Act("bauordnung", "j.mueller", answer);
  ASSERT_TRUE(answered.ok() && !answered->has_error())
      << (answered.ok() ? answered->error().message() : answered.status().ToString());

  auto page_after = [&](uint64_t after) {
    lotse::v1::AuditRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    request.mutable_history()->set_ref(ref);
    request.mutable_history()->set_after_index(after);
    return set.Audit(request);
  };
  // Submitted, routed and answered (at least) in the chain, two of them 15,000 bytes long.
  ASSERT_TRUE(set.Eventually([&] {
    uint64_t after = 0;
    int entries = 0;
    for (int pages = 0; pages < 10; ++pages) {
      auto page = page_after(after);
      if (!page.ok() || page->has_error()) {
        return false;
      }
      entries += page->history().entries_size();
      after = page->history().next_index();
      if (after == 0) {
        break;
      }
    }
    return entries >= 3;
  }));
  std::vector<uint64_t> indexes;
  int pages = 0;
  uint64_t after = 0;
  do {
    auto page = page_after(after);
    ASSERT_TRUE(page.ok() && !page->has_error());
    EXPECT_LE(page->ByteSizeLong(), 40000u);
    EXPECT_GE(page->history().entries_size(), 1);
    for (const auto& e : page->history().entries()) {
      indexes.push_back(e.index());
    }
    after = page->history().next_index();
    ++pages;
  } while (after != 0 && pages < 10);
  EXPECT_GE(pages, 2) << "the history should not fit in one 20,000-byte page";
  // Told in the order things happened, which need not be the chain's: no entry twice.
  EXPECT_EQ(std::set<uint64_t>(indexes.begin(), indexes.end()).size(), indexes.size())
      << "pages overlap";
  EXPECT_GE(indexes.size(), 3u);
}

}  // namespace
}  // namespace lotse::test
