// The office's list of its own referrals on a real store: the entry written with the record and
// rewritten with it, pages without duplicates or gaps, the filters, the cursor that cannot leave
// the office's keys, who may list whose referrals, and the one-time build for an older store.
#include "services/intake/office_list.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/civil_time.h"
#include "common/config/config.h"
#include "common/format.h"
#include "gtest/gtest.h"

namespace lotse::intake {
namespace {

using lotse::v1::Actor;
using lotse::v1::ListReferralsRequest;
using lotse::v1::ReferralList;
using lotse::v1::ReferralState;

std::string FieldOf(const absl::Status& s) {
  if (s.ok()) {
    return "ok";
  }
  auto field = s.GetPayload("lotse.field");
  return field.has_value() ? std::string(*field) : "(none)";
}

Actor MakeActor(lotse::v1::ActorKind kind, const std::string& id) {
  Actor a;
  a.set_kind(kind);
  a.set_id(id);
  return a;
}

TEST(ExcerptTest, KeepsAShortTextOnOneLine) {
  EXPECT_EQ(Excerpt("  Ja,\n\ndas geht.\t Bitte  Lageplan. ", 160),
            "Ja, das geht. Bitte Lageplan.");
  EXPECT_EQ(Excerpt("", 160), "");
  EXPECT_EQ(Excerpt("abc", 3), "abc");
}

TEST(ExcerptTest, CutsALongTextAfterAWordAndMarksTheCut) {
  std::string text;
  for (int i = 0; i < 60; ++i) {
    text += "Größe ";
  }
  const std::string e = Excerpt(text, 160);
  EXPECT_EQ(e.substr(e.size() - 3), "…");
  const std::string body = e.substr(0, e.size() - 3);
  EXPECT_EQ(body.substr(body.size() - 8), " Größe") << e;  // a whole word, no space before the mark
  size_t chars = 0;
  for (const char c : e) {
    chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  EXPECT_LE(chars, 160u);
  EXPECT_GE(chars, 150u);
}

TEST(ExcerptTest, NeverSplitsACharacterOfAWordWithoutSpaces) {
  const std::string e = Excerpt(std::string(200, 'a') + "ä", 10);
  EXPECT_EQ(e, "aaaaaaaaa…");
  const std::string umlauts = Excerpt("äöüäöüäöüäöüäöü", 5);
  EXPECT_EQ(umlauts, "äöüä…");
}

TEST(FoldCaseTest, FoldsAsciiAndGermanCapitals) {
  EXPECT_EQ(FoldCase("BÄCKEREI Müller ÖL ÜBER"), "bäckerei müller öl über");
  EXPECT_EQ(FoldCase("×"), "×");  // the multiplication sign has no small letter
}

TEST(ListStateOfTest, NamesTheStateAsTheOfficeSeesIt) {
  ReferralState s;
  s.set_status(lotse::v1::REFERRAL_STATUS_SUBMITTED);
  EXPECT_EQ(ListStateOf(s), "open");
  s.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
  EXPECT_EQ(ListStateOf(s), "open");
  s.set_waiting_since_us(5);
  EXPECT_EQ(ListStateOf(s), "waiting");
  s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
  EXPECT_EQ(ListStateOf(s), "answered");
  s.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
  EXPECT_EQ(ListStateOf(s), "closed");
}

// A store opened with intake's record, case-number and office-list families.
class OfficeListTest : public ::testing::Test {
 protected:
  static constexpr store::Cf kReferrals = store::kFirstStateFamily;
  static constexpr store::Cf kCases = store::kFirstStateFamily + 1;
  static constexpr store::Cf kList = store::kFirstStateFamily + 2;

  void SetUp() override {
    absl::StatusOr<config::Config> config =
        config::ParseConfig(config::DefaultConfigText(), "embedded");
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    dir_ = StrCat(::testing::TempDir(), "/office_list_test_",
                  ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", getpid());
    std::filesystem::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store::Options options;
    options.path = dir_;
    options.state_families = {"state_referrals", "state_case_numbers", "state_office_list"};
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Submitted at 2026-03-02 08:00 in the city plus `minute` minutes.
  int64_t At(int minute) const {
    return absl::ToUnixMicros(
        absl::FromCivil(absl::CivilMinute(2026, 3, 2, 8, 0), config_.city.zone) +
        absl::Minutes(minute));
  }

  ReferralState Make(const std::string& office, int n, int64_t submitted_at_us,
                     const std::string& subject = "Anbau Lagerhalle",
                     const std::string& company = "Kurz Logistik GmbH") {
    ReferralState s;
    s.set_referral_id(StrCat("r", 1000000 + n));
    s.set_case_number(StrCat("2026-", 100000 + n));
    s.mutable_referral()->set_office(office);
    s.mutable_referral()->set_company_name(company);
    s.mutable_referral()->set_topic("baugenehmigung");
    s.mutable_referral()->set_subject(subject);
    s.mutable_referral()->set_text("Welche Unterlagen brauchen wir?");
    s.set_submitted_at_us(submitted_at_us);
    s.set_status(lotse::v1::REFERRAL_STATUS_SUBMITTED);
    return s;
  }

  void Insert(const std::vector<ReferralState>& states) {
    store::Batch batch(store_.get());
    for (const ReferralState& s : states) {
      records_.Insert(batch, s);
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  void Update(const ReferralState& s) {
    store::Batch batch(store_.get());
    records_.Update(batch, s);
    ASSERT_TRUE(store_->Commit(batch).ok());
  }

  absl::StatusOr<ReferralList> List(const Actor& actor, const ListReferralsRequest& request) {
    return records_.office_list().List(config_, *store_, actor, request);
  }
  absl::StatusOr<ReferralList> List(const std::string& office,
                                    const ListReferralsRequest& request = {}) {
    return List(MakeActor(lotse::v1::ACTOR_KIND_OFFICE, office), request);
  }

  // Every page of `request` as `office`, in order; fails the test on an error or a loop.
  std::vector<std::string> AllIds(const std::string& office, ListReferralsRequest request,
                                  int* pages = nullptr) {
    std::vector<std::string> ids;
    for (int page = 1; page < 1000; ++page) {
      absl::StatusOr<ReferralList> list = List(office, request);
      EXPECT_TRUE(list.ok()) << list.status();
      if (!list.ok()) {
        return ids;
      }
      for (const lotse::v1::ReferralListEntry& e : list->entries()) {
        ids.push_back(e.referral_id());
      }
      if (list->next().empty()) {
        if (pages != nullptr) {
          *pages = page;
        }
        return ids;
      }
      request.set_after(list->next());
    }
    ADD_FAILURE() << "the pages never end";
    return ids;
  }

  int Count(store::Cf cf) {
    int n = 0;
    EXPECT_TRUE(store_
                    ->Scan(cf, "", "",
                           [&](std::string_view, std::string_view) {
                             ++n;
                             return true;
                           })
                    .ok());
    return n;
  }

  config::Config config_;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  ReferralRecords records_{kReferrals, kCases, kList};
};

TEST_F(OfficeListTest, TheEntryIsWrittenInTheSameBatchAsTheRecord) {
  const ReferralState s = Make("bb-mitte", 1, At(0));
  {
    store::Batch batch(store_.get());
    records_.Insert(batch, s);
    absl::StatusOr<std::optional<std::string>> pending = batch.Get(kList, OfficeListKey(s));
    ASSERT_TRUE(pending.ok() && pending->has_value()) << "the batch holds the entry";
    // Not committed: neither the record nor the entry is stored.
  }
  EXPECT_EQ(Count(kReferrals), 0);
  EXPECT_EQ(Count(kList), 0);
  Insert({s});
  EXPECT_EQ(Count(kReferrals), 1);
  ASSERT_EQ(Count(kList), 1);
  absl::StatusOr<ReferralList> list = List("bb-mitte");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->entries_size(), 1);
  const lotse::v1::ReferralListEntry& e = list->entries(0);
  EXPECT_EQ(e.referral_id(), s.referral_id());
  EXPECT_EQ(e.case_number(), s.case_number());
  EXPECT_EQ(e.subject(), "Anbau Lagerhalle");
  EXPECT_EQ(e.company_name(), "Kurz Logistik GmbH");
  EXPECT_EQ(e.topic(), "baugenehmigung");
  EXPECT_EQ(e.topic_name(), "Baugenehmigung und Bauvoranfrage");
  EXPECT_EQ(e.state(), "open");
  EXPECT_EQ(e.submitted_at_us(), At(0));
  EXPECT_EQ(e.department(), "");
  EXPECT_EQ(e.answered_at_us(), 0);
  EXPECT_EQ(list->office(), "bb-mitte");
  EXPECT_TRUE(list->next().empty());
}

TEST_F(OfficeListTest, AChangeOfTheRecordChangesTheEntryAndKeepsOneKey) {
  ReferralState s = Make("bb-mitte", 1, At(0));
  Insert({s});
  s.set_status(lotse::v1::REFERRAL_STATUS_CLAIMED);
  s.set_assignee("bauordnung");
  s.mutable_contact_person()->set_id("bo-mueller");
  s.mutable_contact_person()->set_name("Jana Müller");
  s.set_due_at_us(At(600));
  s.set_waiting_since_us(At(30));
  Update(s);
  absl::StatusOr<ReferralList> list = List("bb-mitte");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->entries_size(), 1);
  EXPECT_EQ(list->entries(0).state(), "waiting");
  EXPECT_EQ(list->entries(0).status(), lotse::v1::REFERRAL_STATUS_CLAIMED);
  EXPECT_EQ(list->entries(0).department(), "bauordnung");
  EXPECT_EQ(list->entries(0).department_name(), "Bauordnungsamt");
  EXPECT_EQ(list->entries(0).contact_person().name(), "Jana Müller");
  EXPECT_EQ(list->entries(0).due_at_us(), At(600));

  s.set_waiting_since_us(0);
  s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
  s.mutable_answer()->set_text("Ja.\nEin vereinfachtes Verfahren genügt.");
  s.mutable_answer()->set_answered_at_us(At(90));
  Update(s);
  list = List("bb-mitte");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->entries_size(), 1);
  EXPECT_EQ(list->entries(0).state(), "answered");
  EXPECT_EQ(list->entries(0).answered_at_us(), At(90));
  EXPECT_EQ(list->entries(0).answer_excerpt(), "Ja. Ein vereinfachtes Verfahren genügt.");
  EXPECT_EQ(Count(kList), 1) << "one key per referral, whatever changes";
}

TEST_F(OfficeListTest, PagesHoldEveryReferralOnceNewestFirstAndOnlyTheOfficesOwn) {
  std::vector<ReferralState> states;
  std::vector<std::pair<int64_t, std::string>> mitte;
  for (int i = 0; i < 37; ++i) {
    // Some in the same microsecond: the id orders them, and none is lost between pages.
    const int64_t at = At(i / 3);
    ReferralState s = Make(i % 4 == 3 ? "bb-nord" : "bb-mitte", i, at);
    if (s.referral().office() == "bb-mitte") {
      mitte.emplace_back(at, s.referral_id());
    }
    states.push_back(s);
  }
  Insert(states);
  std::sort(mitte.begin(), mitte.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> expected;
  for (const auto& [at, id] : mitte) {
    expected.push_back(id);
  }
  ListReferralsRequest request;
  request.set_limit(4);
  int pages = 0;
  const std::vector<std::string> ids = AllIds("bb-mitte", request, &pages);
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(pages, static_cast<int>((expected.size() + 3) / 4));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(AllIds("bb-nord", {}).size(), 37u - expected.size());
  EXPECT_TRUE(AllIds("bb-sued", {}).empty());

  // Without a limit: 50 a page.
  std::vector<ReferralState> more;
  for (int i = 100; i < 160; ++i) {
    more.push_back(Make("bb-sued", i, At(i)));
  }
  Insert(more);
  absl::StatusOr<ReferralList> first = List("bb-sued");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->entries_size(), 50);
  EXPECT_FALSE(first->next().empty());
  EXPECT_EQ(first->entries(0).referral_id(), "r1000159");
}

TEST_F(OfficeListTest, APageFitsInOneMessageHoweverLongTheSubjects) {
  config_.limits.max_message_bytes = 16 * 1024;  // room for ~8 entries of 1 KiB a page
  std::vector<ReferralState> states;
  for (int i = 0; i < 30; ++i) {
    states.push_back(Make("bb-mitte", i, At(i), std::string(1000, 'x')));
  }
  Insert(states);
  ListReferralsRequest request;
  request.set_limit(200);
  absl::StatusOr<ReferralList> page = List("bb-mitte", request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_GT(page->entries_size(), 0);
  EXPECT_LT(page->entries_size(), 30);
  EXPECT_LT(page->ByteSizeLong(), 16u * 1024);
  EXPECT_EQ(AllIds("bb-mitte", request).size(), 30u);
}

TEST_F(OfficeListTest, FiltersByStatesTextAndSubmissionDays) {
  ReferralState open = Make("bb-mitte", 1, At(0), "Anbau Backstube", "Bäckerei Kurz");
  ReferralState waiting = Make("bb-mitte", 2, At(24 * 60), "Werbeanlage", "ÖKO-Markt GmbH");
  waiting.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
  waiting.set_waiting_since_us(At(24 * 60 + 5));
  ReferralState answered = Make("bb-mitte", 3, At(2 * 24 * 60), "Lagerhalle", "Spedition Nord");
  answered.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
  ReferralState closed = Make("bb-mitte", 4, At(3 * 24 * 60), "Gaststätte", "Bäckerei Kurz");
  closed.set_status(lotse::v1::REFERRAL_STATUS_CLOSED);
  Insert({open, waiting, answered, closed});

  auto ids = [&](ListReferralsRequest request) {
    std::vector<std::string> out = AllIds("bb-mitte", std::move(request));
    std::sort(out.begin(), out.end());
    return out;
  };
  ListReferralsRequest r;
  r.add_states("answered");
  EXPECT_EQ(ids(r), std::vector<std::string>{"r1000003"});
  r.add_states(" Closed ");
  EXPECT_EQ(ids(r), (std::vector<std::string>{"r1000003", "r1000004"}));
  r.clear_states();
  r.add_states("waiting");
  EXPECT_EQ(ids(r), std::vector<std::string>{"r1000002"});
  r.clear_states();
  r.add_states("open");
  EXPECT_EQ(ids(r), std::vector<std::string>{"r1000001"});

  ListReferralsRequest text;
  text.set_search("bÄckerei");  // the company, without regard to case
  EXPECT_EQ(ids(text), (std::vector<std::string>{"r1000001", "r1000004"}));
  text.set_search("LAGERHALLE");  // the subject
  EXPECT_EQ(ids(text), std::vector<std::string>{"r1000003"});
  text.set_search("öko");
  EXPECT_EQ(ids(text), std::vector<std::string>{"r1000002"});
  text.add_states("closed");  // both filters at once
  EXPECT_TRUE(ids(text).empty());

  ListReferralsRequest days;  // submitted 2026-03-02 .. 2026-03-05, one a day
  days.set_submitted_from("2026-03-03");
  EXPECT_EQ(ids(days), (std::vector<std::string>{"r1000002", "r1000003", "r1000004"}));
  days.set_submitted_to("2026-03-05");
  EXPECT_EQ(ids(days), (std::vector<std::string>{"r1000002", "r1000003"}));
  days.clear_submitted_from();
  EXPECT_EQ(ids(days), (std::vector<std::string>{"r1000001", "r1000002", "r1000003"}));
  days.set_submitted_to("1960-01-01");
  EXPECT_TRUE(ids(days).empty());
}

TEST_F(OfficeListTest, AFilterThatMatchesLittleEndsItsPageEarlyAndMissesNothing) {
  std::vector<ReferralState> states;
  const int n = static_cast<int>(kMaxListScan) + 50;
  for (int i = 0; i < n; ++i) {
    states.push_back(Make("bb-mitte", i, At(i), i == 0 ? "Die älteste" : "Eine von vielen"));
  }
  Insert(states);
  ListReferralsRequest r;
  r.set_search("älteste");
  absl::StatusOr<ReferralList> first = List("bb-mitte", r);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->entries_size(), 0);
  EXPECT_FALSE(first->next().empty()) << "more may follow";
  EXPECT_EQ(AllIds("bb-mitte", r), std::vector<std::string>{"r1000000"});
}

TEST_F(OfficeListTest, ACursorCannotReachAnotherOfficesKeys) {
  std::vector<ReferralState> states;
  for (int i = 0; i < 6; ++i) {
    states.push_back(Make(i % 2 == 0 ? "bb-mitte" : "bb-nord", i, At(i)));
  }
  Insert(states);
  ListReferralsRequest r;
  r.set_limit(1);
  absl::StatusOr<ReferralList> mitte = List("bb-mitte", r);
  ASSERT_TRUE(mitte.ok()) << mitte.status();
  ASSERT_FALSE(mitte->next().empty());
  // bb-nord passes bb-mitte's cursor: refused, nothing of bb-mitte's shown.
  r.set_after(mitte->next());
  absl::StatusOr<ReferralList> nord = List("bb-nord", r);
  EXPECT_EQ(nord.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(nord.status()), "after");
  // Nor does a cursor made up of another office's prefix, or a malformed one.
  const std::string mitte_key = OfficeListKey(states[0]);
  const std::string made_up = "bb-mitte" + std::string(1, '\0') + mitte_key.substr(9);
  for (const std::string& after :
       {absl::BytesToHexString(made_up), std::string("xyz"), std::string("abc"),
        absl::BytesToHexString(std::string("bb-nord") + std::string(1, '\0')),
        absl::BytesToHexString(std::string("bb-nord") + std::string(1, '\0') + "12345678"),
        absl::BytesToHexString(std::string("bb-nor")),
        absl::BytesToHexString(std::string("bb-nord\x01") + "12345678r1")}) {
    r.set_after(after);
    absl::StatusOr<ReferralList> list = List("bb-nord", r);
    EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument) << after;
    EXPECT_EQ(FieldOf(list.status()), "after") << after;
  }
  // bb-mitte's own cursor works for bb-mitte, and admin may page bb-mitte's list with it.
  r.set_after(mitte->next());
  EXPECT_TRUE(List("bb-mitte", r).ok());
  r.set_office("bb-mitte");
  absl::StatusOr<ReferralList> admin = List(MakeActor(lotse::v1::ACTOR_KIND_ADMIN, "admin"), r);
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_EQ(admin->entries_size(), 1);
  EXPECT_EQ(admin->entries(0).referral_id(), "r1000002");
}

TEST_F(OfficeListTest, AnOfficeListsOnlyItsOwnAndAdminNamesTheOffice) {
  Insert({Make("bb-mitte", 1, At(0)), Make("bb-nord", 2, At(1))});
  ListReferralsRequest other;
  other.set_office("bb-mitte");
  absl::StatusOr<ReferralList> refused = List("bb-nord", other);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(FieldOf(refused.status()), "office");
  other.set_office("bb-nord");  // naming itself is fine
  ASSERT_TRUE(List("bb-nord", other).ok());
  EXPECT_EQ(List("bb-nord", other)->entries(0).referral_id(), "r1000002");

  const Actor admin = MakeActor(lotse::v1::ACTOR_KIND_ADMIN, "admin");
  absl::StatusOr<ReferralList> none = List(admin, {});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(none.status()), "office");
  ListReferralsRequest unknown;
  unknown.set_office("bb-mond");
  EXPECT_EQ(List(admin, unknown).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FieldOf(List(admin, unknown).status()), "office");
  ListReferralsRequest mitte;
  mitte.set_office("bb-mitte");
  absl::StatusOr<ReferralList> listed = List(admin, mitte);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->entries_size(), 1);
  EXPECT_EQ(listed->entries(0).referral_id(), "r1000001");

  for (const Actor& actor : {MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung"),
                             MakeActor(lotse::v1::ACTOR_KIND_OPS, "ops"),
                             MakeActor(lotse::v1::ACTOR_KIND_UNSPECIFIED, "bb-mitte")}) {
    absl::StatusOr<ReferralList> list = List(actor, mitte);
    EXPECT_EQ(list.status().code(), absl::StatusCode::kPermissionDenied) << actor.id();
  }
  // An office the config does not know (a key listed, the office removed since).
  EXPECT_EQ(List("bb-mond").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(OfficeListTest, BadInputIsRefusedNamingTheField) {
  Insert({Make("bb-mitte", 1, At(0))});
  auto field_of = [&](const ListReferralsRequest& r) {
    return FieldOf(List("bb-mitte", r).status());
  };
  ListReferralsRequest r;
  r.set_limit(201);
  EXPECT_EQ(field_of(r), "limit");
  r.set_limit(200);
  EXPECT_EQ(field_of(r), "ok");
  r.add_states("beantwortet");
  EXPECT_EQ(field_of(r), "states");
  EXPECT_NE(List("bb-mitte", r).status().message().find("open, waiting, answered or closed"),
            std::string::npos);
  r.clear_states();
  r.add_states("");
  EXPECT_EQ(field_of(r), "states");
  r.clear_states();
  r.set_search(std::string(201, 'a'));
  EXPECT_EQ(field_of(r), "search");
  r.set_search("a\x01");
  EXPECT_EQ(field_of(r), "search");
  r.clear_search();
  for (const char* day : {"2026-3-1", "2026-02-30", "01.03.2026", "2026-03-01T00:00"}) {
    r.set_submitted_from(day);
    EXPECT_EQ(field_of(r), "submitted_from") << day;
  }
  r.set_submitted_from("2026-03-05");
  r.set_submitted_to("2026-03-05");
  EXPECT_EQ(field_of(r), "submitted_to");
  r.set_submitted_to("2026-03-04");
  EXPECT_EQ(field_of(r), "submitted_to");
  EXPECT_EQ(List("bb-mitte", r).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OfficeListTest, AStoreFromBeforeTheListGetsItsEntriesOnceAtStart) {
  // Records written as intake wrote them before the list existed: no entries.
  const service::ReferralTable old_table(kReferrals, kCases);
  {
    store::Batch batch(store_.get());
    for (int i = 0; i < 2345; ++i) {
      ReferralState s = Make(i % 3 == 0 ? "bb-nord" : "bb-mitte", i, At(i));
      if (i == 7) {
        s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
        s.mutable_answer()->set_text("Genehmigt.");
        s.mutable_answer()->set_answered_at_us(At(5000));
      }
      old_table.Insert(batch, s);
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }
  ASSERT_EQ(Count(kList), 0);
  absl::StatusOr<size_t> built = records_.office_list().BuildOnce(*store_, kReferrals);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(*built, 2345u);  // in three commits of at most 1,000
  EXPECT_EQ(Count(kList), 2345);
  EXPECT_EQ(AllIds("bb-mitte", {}).size() + AllIds("bb-nord", {}).size(), 2345u);
  ListReferralsRequest answered;
  answered.add_states("answered");
  absl::StatusOr<ReferralList> list = List("bb-mitte", answered);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->entries_size(), 1);
  EXPECT_EQ(list->entries(0).answer_excerpt(), "Genehmigt.");

  // Once: the next start finds the mark and writes nothing, even after a reopening.
  store_.reset();
  Open();
  built = records_.office_list().BuildOnce(*store_, kReferrals);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(*built, 0u);
  // A new store gets the mark at its first start.
  store_.reset();
  std::filesystem::remove_all(dir_);
  Open();
  built = records_.office_list().BuildOnce(*store_, kReferrals);
  ASSERT_TRUE(built.ok() && *built == 0u);
  absl::StatusOr<std::optional<std::string>> mark = store_->Get(store::kMeta, kOfficeListBuiltKey);
  ASSERT_TRUE(mark.ok());
  EXPECT_TRUE(mark->has_value());
}

}  // namespace
}  // namespace lotse::intake
