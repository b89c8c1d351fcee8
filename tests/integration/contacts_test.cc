// Named contact persons, stand-ins and the company file against the real set over its real
// sockets: a referral reaches the matching specialist and the office sees who it is, the
// fewest open items spread the work, an absent specialist's items go to the substitute, bad
// absences are refused with nothing stored, and who may see which part of a company's file.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "common/format.h"
#include "common/store/store.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"

namespace lotse::test {
namespace {

using lotse::v1::ErrorCode;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

lotse::v1::Actor ActorOf(lotse::v1::ActorKind kind, const std::string& id = "") {
  lotse::v1::Actor a;
  a.set_kind(kind);
  a.set_id(id.empty() ? "test" : id);
  return a;
}
lotse::v1::Actor Office(const std::string& id) { return ActorOf(lotse::v1::ACTOR_KIND_OFFICE, id); }
lotse::v1::Actor Dept(const std::string& id) {
  return ActorOf(lotse::v1::ACTOR_KIND_DEPARTMENT, id);
}
lotse::v1::Actor Admin() { return ActorOf(lotse::v1::ACTOR_KIND_ADMIN); }
lotse::v1::Actor Ops() { return ActorOf(lotse::v1::ACTOR_KIND_OPS); }

// A day relative to today in the city's zone, "YYYY-MM-DD".
std::string Day(int days_from_today) {
  absl::TimeZone berlin;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  return absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24 * days_from_today), berlin);
}

// Submits a referral with its own subject; returns the case number ("" on failure).
std::string Submit(LotseSet& set, const std::string& office, const std::string& topic,
                   const std::string& company, const std::string& subject) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = Office(office);
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office(office);
  r->set_company_id(company);
  r->set_company_name(StrCat("Firma ", company, " GmbH"));
  r->set_topic(topic);
  r->set_subject(subject);
  r->set_text("Welche Unterlagen brauchen wir, und wie lange dauert es?");
  r->mutable_contact()->set_name("Erika Mustermann");
  absl::StatusOr<lotse::v1::IntakeReply> reply = set.Intake(request);
  EXPECT_TRUE(reply.ok() && reply->has_submitted())
      << (reply.ok() ? reply->DebugString() : reply.status().ToString());
  return reply.ok() ? reply->submitted().case_number() : "";
}

absl::StatusOr<RoutingReply> Get(LotseSet& set, const lotse::v1::Actor& actor,
                                 const std::string& ref) {
  RoutingRequest request;
  *request.mutable_actor() = actor;
  request.mutable_get()->set_ref(ref);
  return set.Routing(request);
}

// The referral as routing has it once routed (admin's view); an empty state if it never is.
lotse::v1::ReferralState Routed(LotseSet& set, const std::string& ref) {
  lotse::v1::ReferralState state;
  EXPECT_TRUE(set.Eventually([&] {
    absl::StatusOr<RoutingReply> r = Get(set, Admin(), ref);
    if (r.ok() && r->has_referral()) {
      state = r->referral();
      return true;
    }
    return false;
  })) << "referral " << ref << " was not routed";
  return state;
}

absl::StatusOr<RoutingReply> UserWorklist(LotseSet& set, const std::string& department,
                                          const std::string& user) {
  RoutingRequest request;
  *request.mutable_actor() = Dept(department);
  request.mutable_actor()->set_user(user);
  request.mutable_worklist()->set_assignee(department);
  request.mutable_worklist()->set_user(user);
  return set.Routing(request);
}

std::set<std::string> Cases(const RoutingReply& reply) {
  std::set<std::string> cases;
  for (const auto& item : reply.worklist().items()) {
    cases.insert(item.case_number());
  }
  return cases;
}

absl::StatusOr<RoutingReply> Absence(LotseSet& set, const lotse::v1::Actor& actor,
                                     const std::string& user, const std::string& from,
                                     const std::string& to, const std::string& substitute,
                                     bool cancel = false) {
  RoutingRequest request;
  *request.mutable_actor() = actor;
  request.set_idempotency_key(NewKey());
  lotse::v1::AbsenceRequest* a = request.mutable_absence();
  a->set_user(user);
  a->set_from_date(from);
  a->set_to_date(to);
  a->set_substitute(substitute);
  a->set_cancel(cancel);
  return set.Routing(request);
}

absl::StatusOr<RoutingReply> Contacts(LotseSet& set, const lotse::v1::Actor& actor,
                                      const std::string& department = "",
                                      const std::string& topic = "") {
  RoutingRequest request;
  *request.mutable_actor() = actor;
  request.mutable_contacts()->set_department(department);
  request.mutable_contacts()->set_topic(topic);
  return set.Routing(request);
}

absl::StatusOr<RoutingReply> Company(LotseSet& set, const lotse::v1::Actor& actor,
                                     const std::string& company, uint32_t limit = 0,
                                     const std::string& after = "") {
  RoutingRequest request;
  *request.mutable_actor() = actor;
  request.mutable_company()->set_company_id(company);
  request.mutable_company()->set_limit(limit);
  request.mutable_company()->set_after(after);
  return set.Routing(request);
}

std::vector<std::string> FileCases(const absl::StatusOr<RoutingReply>& reply) {
  std::vector<std::string> cases;
  EXPECT_TRUE(reply.ok() && reply->has_company())
      << (reply.ok() ? reply->DebugString() : reply.status().ToString());
  if (reply.ok()) {
    for (const auto& e : reply->company().entries()) {
      cases.push_back(e.case_number());
    }
  }
  return cases;
}

// A refusal: the reply's structured error with `code` naming `field`.
void ExpectRefused(const absl::StatusOr<RoutingReply>& reply, ErrorCode code,
                   const std::string& field, const std::string& what) {
  ASSERT_TRUE(reply.ok()) << what << ": " << reply.status();
  ASSERT_TRUE(reply->has_error()) << what << ": accepted: " << reply->DebugString();
  EXPECT_EQ(reply->error().code(), code) << what << ": " << reply->error().DebugString();
  if (!field.empty()) {
    EXPECT_EQ(reply->error().field(), field) << what << ": " << reply->error().DebugString();
  }
}

const lotse::v1::ContactsReply::Entry* EntryOf(const RoutingReply& reply, const std::string& id) {
  for (const auto& e : reply.contacts().entries()) {
    if (e.contact().id() == id) {
      return &e;
    }
  }
  return nullptr;
}

TEST(ContactsTest, ALagerhalleGoesToMuellerAndTheOfficeSeesHer) {
  LotseSet set;
  set.StartAll();
  const std::string ref =
      Submit(set, "bb-mitte", "baugenehmigung", "HRB-71001", "Neubau einer Lagerhalle");
  const lotse::v1::ReferralState s = Routed(set, ref);
  EXPECT_EQ(s.assignee(), "bauordnung");
  EXPECT_EQ(s.contact_person().id(), "bo-mueller");
  EXPECT_EQ(s.contact_person().name(), "Jana Müller");
  EXPECT_EQ(s.contact_person().phone(), "0391 540-4411");
  EXPECT_TRUE(s.stand_in_for().empty());
  EXPECT_EQ(std::vector<std::string>(s.involved().begin(), s.involved().end()),
            std::vector<std::string>{"bauordnung"});

  // The office that submitted it sees name and phone; another office sees nothing of it.
  absl::StatusOr<RoutingReply> office = Get(set, Office("bb-mitte"), ref);
  ASSERT_TRUE(office.ok() && office->has_referral());
  EXPECT_EQ(office->referral().contact_person().name(), "Jana Müller");
  EXPECT_EQ(office->referral().contact_person().phone(), "0391 540-4411");
  ExpectRefused(Get(set, Office("bb-nord"), ref), lotse::v1::ERROR_CODE_NOT_FOUND, "",
                "another office");

  // The worklist says whose it is; her own list has it, a colleague's not; the department
  // still sees it as a whole.
  absl::StatusOr<RoutingReply> all = set.Worklist("bauordnung");
  ASSERT_TRUE(all.ok() && all->has_worklist());
  ASSERT_EQ(all->worklist().items_size(), 1);
  EXPECT_EQ(all->worklist().items(0).contact_person().id(), "bo-mueller");
  absl::StatusOr<RoutingReply> hers = UserWorklist(set, "bauordnung", "bo-mueller");
  ASSERT_TRUE(hers.ok() && hers->has_worklist()) << hers->DebugString();
  EXPECT_EQ(Cases(*hers), std::set<std::string>{ref});
  EXPECT_EQ(hers->worklist().total(), 1u);
  absl::StatusOr<RoutingReply> his = UserWorklist(set, "bauordnung", "bo-kaya");
  ASSERT_TRUE(his.ok() && his->has_worklist());
  EXPECT_TRUE(Cases(*his).empty());
  EXPECT_EQ(his->worklist().total(), 0u);
  // Not a member of the department: refused, naming the user.
  ExpectRefused(UserWorklist(set, "bauordnung", "um-wagner"), lotse::v1::ERROR_CODE_NOT_FOUND,
                "user", "a stranger's worklist");

  // Another staff member takes it over with claim.
  RoutingRequest claim;
  claim.mutable_claim()->set_ref(ref);
  absl::StatusOr<RoutingReply> claimed = set.Act("bauordnung", "bo-kaya", claim);
  ASSERT_TRUE(claimed.ok() && claimed->has_referral()) << claimed->DebugString();
  EXPECT_EQ(claimed->referral().claimed_by(), "bo-kaya");
}

TEST(ContactsTest, TheFewestOpenItemsSpreadTheWork) {
  LotseSet set;
  set.StartAll();
  // No keyword: bo-mueller and bo-kaya both answer baugenehmigung.
  const std::string first = Submit(set, "bb-mitte", "baugenehmigung", "HRB-71002", "Frage");
  const std::string second = Submit(set, "bb-mitte", "baugenehmigung", "HRB-71003", "Frage");
  const std::string a = Routed(set, first).contact_person().id();
  const std::string b = Routed(set, second).contact_person().id();
  EXPECT_EQ(std::set<std::string>({a, b}), std::set<std::string>({"bo-mueller", "bo-kaya"}));
  absl::StatusOr<RoutingReply> contacts = Contacts(set, Admin(), "bauordnung");
  ASSERT_TRUE(contacts.ok() && contacts->has_contacts());
  ASSERT_NE(EntryOf(*contacts, "bo-mueller"), nullptr);
  EXPECT_EQ(EntryOf(*contacts, "bo-mueller")->open_items(), 1u);
  EXPECT_EQ(EntryOf(*contacts, "bo-kaya")->open_items(), 1u);
  EXPECT_EQ(EntryOf(*contacts, "bo-becker")->open_items(), 0u);
}

TEST(ContactsTest, ABurstRoutedInOneBatchIsSpreadEvenly) {
  LotseSet set;
  set.StartAll();
  // 40 referrals while routing is down: started again, it takes them in one batch, where what
  // the batch has assigned so far must count as open items, or one person gets them all.
  set.Kill("routing");
  std::vector<std::string> refs;
  for (int i = 0; i < 40; ++i) {
    refs.push_back(Submit(set, "bb-mitte", "baugenehmigung", StrCat("HRB-72", 100 + i), "Frage"));
  }
  set.Start("routing");
  for (const std::string& ref : refs) {
    (void)Routed(set, ref);
  }
  absl::StatusOr<RoutingReply> contacts = Contacts(set, Admin(), "bauordnung");
  ASSERT_TRUE(contacts.ok() && contacts->has_contacts());
  ASSERT_NE(EntryOf(*contacts, "bo-mueller"), nullptr);
  ASSERT_NE(EntryOf(*contacts, "bo-kaya"), nullptr);
  EXPECT_EQ(EntryOf(*contacts, "bo-mueller")->open_items(), 20u);
  EXPECT_EQ(EntryOf(*contacts, "bo-kaya")->open_items(), 20u);
}

TEST(ContactsTest, AnAbsentSpecialistsItemsGoToTheSubstituteAndTheSetKeepsFlowing) {
  LotseSet set;
  set.StartAll(/*with_audit=*/true);
  const std::string before =
      Submit(set, "bb-mitte", "baugenehmigung", "HRB-71004", "Lagerhalle am Hafen");
  ASSERT_EQ(Routed(set, before).contact_person().id(), "bo-mueller");

  absl::StatusOr<RoutingReply> away =
      Absence(set, Dept("bauordnung"), "bo-mueller", Day(0), Day(2), "bo-kaya");
  ASSERT_TRUE(away.ok() && away->has_absence()) << away->DebugString();
  ASSERT_EQ(away->absence().absences_size(), 1);
  EXPECT_EQ(away->absence().absences(0).substitute(), "bo-kaya");

  // Her open item appears on the substitute's worklist.
  absl::StatusOr<RoutingReply> kaya = UserWorklist(set, "bauordnung", "bo-kaya");
  ASSERT_TRUE(kaya.ok() && kaya->has_worklist());
  EXPECT_EQ(Cases(*kaya), std::set<std::string>{before});

  // A new referral after the absence: to the substitute, standing in for her.
  const std::string after =
      Submit(set, "bb-mitte", "baugenehmigung", "HRB-71004", "Zweite Lagerhalle");
  const lotse::v1::ReferralState s = Routed(set, after);
  EXPECT_EQ(s.contact_person().id(), "bo-kaya");
  EXPECT_EQ(s.stand_in_for(), "bo-mueller");
  kaya = UserWorklist(set, "bauordnung", "bo-kaya");
  ASSERT_TRUE(kaya.ok() && kaya->has_worklist());
  EXPECT_EQ(Cases(*kaya), (std::set<std::string>{before, after}));
  for (const auto& item : kaya->worklist().items()) {
    if (item.case_number() == after) {
      EXPECT_EQ(item.stand_in_for(), "bo-mueller");
    }
  }
  absl::StatusOr<RoutingReply> contacts = Contacts(set, Office("bb-mitte"), "", "baugenehmigung");
  ASSERT_TRUE(contacts.ok() && contacts->has_contacts());
  ASSERT_NE(EntryOf(*contacts, "bo-mueller"), nullptr);
  EXPECT_EQ(EntryOf(*contacts, "bo-mueller")->absent_from(), Day(0));
  EXPECT_EQ(EntryOf(*contacts, "bo-mueller")->substitute(), "bo-kaya");

  // The AbsenceSet (no referral id) did not stop anyone: intake took the later routing, audit's
  // chain holds every event and verifies.
  ASSERT_TRUE(set.Eventually([&] {
    auto r = set.Status("bb-mitte", after);
    return r.ok() && r->referral().status() == lotse::v1::REFERRAL_STATUS_ROUTED;
  }));
  const uint64_t produced = set.LogHead("intake").value_or(0) + set.LogHead("routing").value_or(0);
  lotse::v1::AuditRequest verify;
  *verify.mutable_actor() = Ops();
  verify.mutable_verify();
  ASSERT_TRUE(set.Eventually([&] {
    absl::StatusOr<lotse::v1::AuditReply> v = set.Audit(verify);
    return v.ok() && v->has_verify() && v->verify().entries() >= produced;
  })) << set.Log("audit");
  absl::StatusOr<lotse::v1::AuditReply> v = set.Audit(verify);
  ASSERT_TRUE(v.ok() && v->has_verify());
  EXPECT_TRUE(v->verify().ok()) << v->verify().problem();

  // Ending the absence: new items are hers again.
  absl::StatusOr<RoutingReply> ended =
      Absence(set, Dept("bauordnung"), "bo-mueller", Day(1), "", "", /*cancel=*/true);
  ASSERT_TRUE(ended.ok() && ended->has_absence()) << ended->DebugString();
  EXPECT_EQ(ended->absence().absences_size(), 0);
  const std::string back = Submit(set, "bb-mitte", "baugenehmigung", "HRB-71004", "Lagerhalle 3");
  EXPECT_EQ(Routed(set, back).contact_person().id(), "bo-mueller");
}

// A staff member's view is read from the entries routing files under each contact person:
// their own items and those of the colleague they stand in for, merged in the worklist's order,
// page by page, each item once, with the count of them all on every page.
TEST(ContactsTest, AStaffMembersPagesMergeOwnAndStandInItemsInTheWorklistsOrder) {
  LotseSet set;
  set.StartAll();
  std::vector<std::string> cases;
  // Building permits go to bo-mueller and bo-kaya, changes of use to bo-kaya and bo-becker.
  for (int i = 0; i < 9; ++i) {
    cases.push_back(Submit(set, "bb-mitte", i % 2 == 0 ? "baugenehmigung" : "nutzungsaenderung",
                           "HRB-71004", StrCat("Anfrage Nummer ", i)));
  }
  for (const std::string& ref : cases) {
    ASSERT_FALSE(Routed(set, ref).contact_person().id().empty()) << ref;
  }
  absl::StatusOr<RoutingReply> away =
      Absence(set, Dept("bauordnung"), "bo-mueller", Day(0), Day(2), "bo-kaya");
  ASSERT_TRUE(away.ok() && away->has_absence()) << away->DebugString();

  auto page = [&](const std::string& user, uint32_t limit, const std::string& after) {
    RoutingRequest request;
    *request.mutable_actor() = Dept("bauordnung");
    request.mutable_actor()->set_user(user);
    request.mutable_worklist()->set_assignee("bauordnung");
    request.mutable_worklist()->set_user(user);
    request.mutable_worklist()->set_limit(limit);
    request.mutable_worklist()->set_after(after);
    return set.Routing(request);
  };
  // What the whole list shows of both, in its order.
  absl::StatusOr<RoutingReply> whole = page("", 0, "");
  ASSERT_TRUE(whole.ok() && whole->has_worklist()) << whole->DebugString();
  std::vector<std::string> expected;
  std::set<std::string> persons;
  for (const auto& item : whole->worklist().items()) {
    persons.insert(item.contact_person().id());
    if (item.contact_person().id() == "bo-kaya" || item.contact_person().id() == "bo-mueller") {
      expected.push_back(item.case_number());
    }
  }
  ASSERT_TRUE(persons.contains("bo-kaya") && persons.contains("bo-mueller") &&
              persons.contains("bo-becker"))
      << whole->DebugString();
  ASSERT_LT(expected.size(), cases.size()) << "someone else's items must be left out";

  // bo-kaya's items page by page, `limit` a page; every page counts them all.
  auto all_pages = [&](uint32_t limit) {
    std::vector<std::string> seen;
    std::string after;
    for (int pages = 0; pages < 10; ++pages) {
      absl::StatusOr<RoutingReply> r = page("bo-kaya", limit, after);
      EXPECT_TRUE(r.ok() && r->has_worklist())
          << (r.ok() ? r->DebugString() : r.status().ToString());
      if (!r.ok() || !r->has_worklist()) {
        break;
      }
      EXPECT_EQ(r->worklist().total(), expected.size());
      EXPECT_LE(r->worklist().items_size(), static_cast<int>(limit));
      for (const auto& item : r->worklist().items()) {
        seen.push_back(item.case_number());
      }
      after = r->worklist().next();
      if (after.empty()) {
        break;
      }
    }
    return seen;
  };
  EXPECT_EQ(all_pages(2), expected);
  // The absent colleague's own view holds only her items; a cursor of another department's
  // worklist is refused.
  absl::StatusOr<RoutingReply> mueller = page("bo-mueller", 0, "");
  ASSERT_TRUE(mueller.ok() && mueller->has_worklist());
  for (const auto& item : mueller->worklist().items()) {
    EXPECT_EQ(item.contact_person().id(), "bo-mueller");
  }
  ExpectRefused(page("bo-kaya", 2, absl::BytesToHexString(std::string("umwelt\0x", 8))),
                lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "after", "a cursor of umwelt's list");

  // A store from before the persons' entries: routing files them, with their counts, once at
  // its next start, and the view is the same.
  ASSERT_EQ(set.Terminate("routing"), 0);
  {
    store::Options options;
    options.path = set.dir() + "/data/routing";
    options.open_other_families = true;
    absl::StatusOr<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store::Store& stored = **opened;
    const std::vector<std::string> families = stored.FamilyNames();
    auto family = [&](const std::string& name) {
      auto it = std::find(families.begin(), families.end(), name);
      EXPECT_NE(it, families.end()) << name;
      return static_cast<store::Cf>(it - families.begin());
    };
    store::Batch batch(&stored);
    int removed = 0;
    for (const auto& part : std::vector<std::pair<store::Cf, std::string>>{
             {family("state_worklist"), "\x01"}, {family("state_counts"), "w\x01"}}) {
      const store::Cf cf = part.first;  // a lambda may not capture a structured binding (clang 14)
      ASSERT_TRUE(stored
                      .Scan(cf, part.second, "",
                            [&](std::string_view key, std::string_view) {
                              batch.Delete(cf, key);
                              ++removed;
                              return true;
                            })
                      .ok());
    }
    batch.Delete(store::kMeta, "person_worklist_entries_built");
    ASSERT_TRUE(stored.Commit(batch).ok());
    ASSERT_GT(removed, static_cast<int>(expected.size()));  // entries and their counts
  }
  set.Start("routing");
  EXPECT_EQ(all_pages(3), expected);
  EXPECT_NE(set.Log("routing").find("filed under their contact persons once"), std::string::npos)
      << set.Log("routing");
}

TEST(ContactsTest, BadAbsencesAreRefusedAndNothingIsStored) {
  LotseSet set;
  set.StartAll();
  ASSERT_TRUE(Absence(set, Dept("bauordnung"), "bo-mueller", Day(10), Day(12), "bo-kaya")
                  ->has_absence());
  const uint64_t head = set.LogHead("routing").value_or(0);
  struct Row {
    std::string what;
    lotse::v1::Actor actor;
    std::string user, from, to, substitute;
    bool cancel;
    ErrorCode code;
    std::string field;
  };
  const std::vector<Row> rows = {
      {"unknown user", Dept("bauordnung"), "bo-niemand", Day(1), Day(2), "bo-kaya", false,
       lotse::v1::ERROR_CODE_NOT_FOUND, "user"},
      {"substitute in another department", Dept("bauordnung"), "bo-mueller", Day(1), Day(2),
       "um-wagner", false, lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "substitute"},
      {"unknown substitute", Dept("bauordnung"), "bo-mueller", Day(1), Day(2), "bo-niemand",
       false, lotse::v1::ERROR_CODE_NOT_FOUND, "substitute"},
      {"the same person", Dept("bauordnung"), "bo-mueller", Day(1), Day(2), "bo-mueller", false,
       lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "substitute"},
      {"in the past", Dept("bauordnung"), "bo-mueller", Day(-5), Day(-1), "bo-kaya", false,
       lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "to_date"},
      {"reversed", Dept("bauordnung"), "bo-mueller", Day(3), Day(2), "bo-kaya", false,
       lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "to_date"},
      {"overlapping", Dept("bauordnung"), "bo-mueller", Day(11), Day(20), "bo-becker", false,
       lotse::v1::ERROR_CODE_ALREADY_EXISTS, "from_date"},
      {"cancel of nothing", Dept("bauordnung"), "bo-mueller", Day(3), "", "", true,
       lotse::v1::ERROR_CODE_NOT_FOUND, "from_date"},
      {"another department for bauordnung's staff", Dept("umwelt"), "bo-kaya", Day(1), Day(2),
       "bo-mueller", false, lotse::v1::ERROR_CODE_PERMISSION_DENIED, "user"},
      {"another department cancelling", Dept("umwelt"), "bo-mueller", Day(10), "", "", true,
       lotse::v1::ERROR_CODE_PERMISSION_DENIED, "user"},
      {"a KAM for a department's staff", Dept("kam-schneider"), "bo-kaya", Day(1), Day(2),
       "bo-mueller", false, lotse::v1::ERROR_CODE_PERMISSION_DENIED, "user"},
      {"an office", Office("bb-mitte"), "bo-kaya", Day(1), Day(2), "bo-mueller", false,
       lotse::v1::ERROR_CODE_PERMISSION_DENIED, ""},
      {"ops", Ops(), "bo-kaya", Day(1), Day(2), "bo-mueller", false,
       lotse::v1::ERROR_CODE_PERMISSION_DENIED, ""},
  };
  for (const Row& row : rows) {
    ExpectRefused(Absence(set, row.actor, row.user, row.from, row.to, row.substitute, row.cancel),
                  row.code, row.field, row.what);
  }
  // Nothing stored: no event, and the one recorded absence is all there is.
  EXPECT_EQ(set.LogHead("routing").value_or(0), head);
  absl::StatusOr<RoutingReply> contacts = Contacts(set, Admin(), "bauordnung");
  ASSERT_TRUE(contacts.ok() && contacts->has_contacts());
  EXPECT_EQ(EntryOf(*contacts, "bo-mueller")->absent_from(), Day(10));
  EXPECT_EQ(EntryOf(*contacts, "bo-kaya")->absent_from(), "");
  // Admin may; a KAM for itself may.
  EXPECT_TRUE(Absence(set, Admin(), "bo-kaya", Day(1), Day(2), "bo-becker")->has_absence());
  EXPECT_TRUE(Absence(set, Dept("kam-schneider"), "kam-schneider", Day(0), Day(2), "kam-yilmaz")
                  ->has_absence());
  // The KAM away: the company's new referral goes to the substitute KAM, standing in; the
  // company's own KAM still sees it.
  const std::string k = Submit(set, "bb-mitte", "baugenehmigung", "HRB-20417", "Halle");
  const lotse::v1::ReferralState s = Routed(set, k);
  EXPECT_EQ(s.assignee(), "kam-yilmaz");
  EXPECT_EQ(s.stand_in_for(), "kam-schneider");
  EXPECT_EQ(s.key_account(), "kam-schneider");
  EXPECT_TRUE(Get(set, Dept("kam-schneider"), k)->has_referral());
  absl::StatusOr<RoutingReply> list = set.Worklist("kam-yilmaz");
  ASSERT_TRUE(list.ok() && list->has_worklist());
  EXPECT_EQ(Cases(*list), std::set<std::string>{k});
}

// A KAM going away hands over what is already open too: the substitute KAM finds the absent
// KAM's open referrals on its own worklist and works them, acting for the absent KAM; before the
// absence and for anyone else, they are not theirs.
TEST(ContactsTest, ASubstituteKamWorksTheAbsentKamsOpenReferrals) {
  LotseSet set;
  set.StartAll();
  const std::string k = Submit(set, "bb-mitte", "baugenehmigung", "HRB-18842", "Halle");
  ASSERT_EQ(Routed(set, k).assignee(), "kam-yilmaz");
  auto claim = [&](const std::string& as) {
    RoutingRequest r;
    r.mutable_claim()->set_ref(k);
    return set.Act(as, as, r);
  };
  // Not yet away: not kam-schneider's to see or to work.
  ExpectRefused(claim("kam-schneider"), lotse::v1::ERROR_CODE_NOT_FOUND, "",
                "a claim by another KAM");
  ExpectRefused(Get(set, Dept("kam-schneider"), k), lotse::v1::ERROR_CODE_NOT_FOUND, "",
                "another KAM reading it");
  absl::StatusOr<RoutingReply> before = set.Worklist("kam-schneider");
  ASSERT_TRUE(before.ok() && before->has_worklist());
  EXPECT_EQ(Cases(*before).count(k), 0u);

  ASSERT_TRUE(Absence(set, Dept("kam-yilmaz"), "kam-yilmaz", Day(0), Day(3), "kam-schneider")
                  ->has_absence());
  absl::StatusOr<RoutingReply> during = set.Worklist("kam-schneider");
  ASSERT_TRUE(during.ok() && during->has_worklist()) << during.status();
  ASSERT_EQ(Cases(*during), std::set<std::string>{k});
  EXPECT_EQ(during->worklist().items(0).stand_in_for(), "kam-yilmaz");
  EXPECT_EQ(during->worklist().total(), 1u);
  // A department is still refused, and a cursor into another worklist does not page there.
  ExpectRefused(claim("bauordnung"), lotse::v1::ERROR_CODE_NOT_FOUND, "", "a department's claim");
  RoutingRequest forged;
  *forged.mutable_actor() = Dept("kam-schneider");
  forged.mutable_worklist()->set_assignee("kam-schneider");
  forged.mutable_worklist()->set_after(absl::BytesToHexString(std::string("bauordnung\0", 11)));
  ExpectRefused(set.Routing(forged), lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "after",
                "a cursor into the worklist of bauordnung");

  absl::StatusOr<RoutingReply> claimed = claim("kam-schneider");
  ASSERT_TRUE(claimed.ok() && claimed->has_referral()) << claimed->DebugString();
  EXPECT_EQ(claimed->referral().claimed_by(), "kam-schneider");
  EXPECT_EQ(claimed->referral().assignee(), "kam-yilmaz");
  RoutingRequest answer;
  answer.mutable_answer()->set_ref(k);
  answer.mutable_answer()->set_text("Die Halle ist genehmigungsfähig.");
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  absl::StatusOr<RoutingReply> answered = set.Act("kam-schneider", "kam-schneider", answer);
  ASSERT_TRUE(answered.ok() && answered->has_referral()) << answered->DebugString();
  EXPECT_EQ(answered->referral().status(), lotse::v1::REFERRAL_STATUS_ANSWERED);
  // The log says who acted for whom.
  absl::StatusOr<std::vector<lotse::v1::Envelope>> events = set.LogEvents("routing");
  ASSERT_TRUE(events.ok());
  bool seen = false;
  for (const lotse::v1::Envelope& e : *events) {
    if (e.has_answered() && e.case_number() == k) {
      seen = true;
      EXPECT_EQ(e.actor().id(), "kam-yilmaz");
      EXPECT_EQ(e.actor().user(), "kam-schneider");
    }
  }
  EXPECT_TRUE(seen) << "no Answered event for " << k;
}

// A consultation is someone's item too: the consulted department's specialist finds it on
// their own worklist (`worklist --user`) until the contribution is in.
TEST(ContactsTest, AConsultationIsTheConsultedSpecialistsItem) {
  LotseSet set;
  set.StartAll();
  const std::string k = Submit(set, "bb-mitte", "baugenehmigung", "HRB-55555", "Lagerhalle");
  ASSERT_EQ(Routed(set, k).assignee(), "bauordnung");
  RoutingRequest consult;
  consult.mutable_consult()->set_ref(k);
  consult.mutable_consult()->add_departments("umwelt");
  consult.mutable_consult()->set_question("Bestehen Bedenken wegen des Lärmschutzes?");
  absl::StatusOr<RoutingReply> opened = set.Act("bauordnung", "bo-mueller", consult);
  ASSERT_TRUE(opened.ok() && opened->has_referral()) << opened->DebugString();
  ASSERT_EQ(opened->referral().consultations_size(), 1);
  EXPECT_EQ(opened->referral().consultations(0).contact_person().id(), "um-wagner");
  absl::StatusOr<RoutingReply> mine = UserWorklist(set, "umwelt", "um-wagner");
  ASSERT_TRUE(mine.ok() && mine->has_worklist()) << mine.status();
  ASSERT_EQ(Cases(*mine), std::set<std::string>{k});
  EXPECT_EQ(mine->worklist().items(0).kind(), lotse::v1::WORK_ITEM_KIND_CONSULTATION);
  EXPECT_EQ(mine->worklist().items(0).contact_person().id(), "um-wagner");
  absl::StatusOr<RoutingReply> contacts = Contacts(set, Admin(), "umwelt");
  ASSERT_TRUE(contacts.ok() && contacts->has_contacts());
  EXPECT_EQ(EntryOf(*contacts, "um-wagner")->open_items(), 1u);
  // Contributed: no longer anyone's item.
  RoutingRequest contribute;
  contribute.mutable_contribute()->set_ref(k);
  contribute.mutable_contribute()->set_text("Keine Bedenken.");
  ASSERT_TRUE(set.Act("umwelt", "um-wagner", contribute)->has_referral());
  mine = UserWorklist(set, "umwelt", "um-wagner");
  ASSERT_TRUE(mine.ok() && mine->has_worklist());
  EXPECT_TRUE(Cases(*mine).empty());
  contacts = Contacts(set, Admin(), "umwelt");
  EXPECT_EQ(EntryOf(*contacts, "um-wagner")->open_items(), 0u);
}

TEST(ContactsTest, ContactsListsWhoAnswersWhatForEveryoneButRefusesUnknownFilters) {
  LotseSet set;
  set.Start("routing");
  for (const lotse::v1::Actor& actor : {Office("bb-mitte"), Dept("umwelt"), Ops(), Admin()}) {
    absl::StatusOr<RoutingReply> r = Contacts(set, actor, "", "baugenehmigung");
    ASSERT_TRUE(r.ok() && r->has_contacts()) << actor.DebugString();
    std::set<std::string> ids;
    for (const auto& e : r->contacts().entries()) {
      ids.insert(e.contact().id());
    }
    EXPECT_EQ(ids, (std::set<std::string>{"bo-mueller", "bo-kaya"})) << actor.DebugString();
  }
  absl::StatusOr<RoutingReply> bo = Contacts(set, Admin(), "bauordnung");
  ASSERT_TRUE(bo.ok() && bo->has_contacts());
  EXPECT_EQ(bo->contacts().entries_size(), 3);
  EXPECT_TRUE(EntryOf(*bo, "bo-becker")->lead());
  EXPECT_FALSE(EntryOf(*bo, "bo-mueller")->lead());
  ExpectRefused(Contacts(set, Admin(), "bauamt"), lotse::v1::ERROR_CODE_NOT_FOUND, "department",
                "unknown department");
  ExpectRefused(Contacts(set, Admin(), "", "kaffee"), lotse::v1::ERROR_CODE_NOT_FOUND, "topic",
                "unknown topic");
}

TEST(ContactsTest, TheCompanyFileShowsEachCallerWhatItMaySee) {
  LotseSet set;
  set.StartAll();
  const std::string company = "HRB-77001";
  const std::string a = Submit(set, "bb-mitte", "baugenehmigung", company, "Lagerhalle");
  ASSERT_FALSE(Routed(set, a).assignee().empty());
  const std::string b = Submit(set, "bb-nord", "emissionsschutz", company, "Abluft");
  ASSERT_EQ(Routed(set, b).assignee(), "umwelt");
  // Forwarded: the department that had it still sees it, the new one too.
  RoutingRequest forward;
  forward.mutable_forward()->set_ref(a);
  forward.mutable_forward()->set_to("ordnung-gewerbe");
  forward.mutable_forward()->set_reason("Gewerbeanmeldung zuerst");
  absl::StatusOr<RoutingReply> forwarded = set.Act("bauordnung", "bo-mueller", forward);
  ASSERT_TRUE(forwarded.ok() && forwarded->has_referral()) << forwarded->DebugString();
  // Nobody at ordnung-gewerbe answers baugenehmigung: its worklist as a whole, and bauordnung's
  // contact person is no longer the one.
  EXPECT_TRUE(forwarded->referral().contact_person().id().empty())
      << forwarded->referral().contact_person().DebugString();

  // Newest first for whoever may see both.
  EXPECT_EQ(FileCases(Company(set, Admin(), company)), (std::vector<std::string>{b, a}));
  EXPECT_EQ(FileCases(Company(set, Office("bb-mitte"), company)), std::vector<std::string>{a});
  EXPECT_EQ(FileCases(Company(set, Office("bb-nord"), company)), std::vector<std::string>{b});
  EXPECT_TRUE(FileCases(Company(set, Office("bb-sued"), company)).empty());
  EXPECT_EQ(FileCases(Company(set, Dept("bauordnung"), company)), std::vector<std::string>{a});
  EXPECT_EQ(FileCases(Company(set, Dept("ordnung-gewerbe"), company)),
            std::vector<std::string>{a});
  EXPECT_EQ(FileCases(Company(set, Dept("umwelt"), company)), std::vector<std::string>{b});
  EXPECT_TRUE(FileCases(Company(set, Dept("wirtschaftsfoerderung"), company)).empty());
  // Another company's KAM sees nothing of it; the total counts only what the caller may see.
  absl::StatusOr<RoutingReply> kam = Company(set, Dept("kam-schneider"), company);
  EXPECT_TRUE(FileCases(kam).empty());
  EXPECT_EQ(kam->company().total(), 0u);
  // Unknown company: an empty file, no error.
  EXPECT_TRUE(FileCases(Company(set, Admin(), "HRB-00000")).empty());
  // Ops gets no company file.
  ExpectRefused(Company(set, Ops(), company), lotse::v1::ERROR_CODE_PERMISSION_DENIED, "", "ops");

  // Paging: one entry a page, the same total on each; a forged cursor is refused.
  absl::StatusOr<RoutingReply> page = Company(set, Admin(), company, 1);
  EXPECT_EQ(FileCases(page), std::vector<std::string>{b});
  EXPECT_EQ(page->company().total(), 2u);
  ASSERT_FALSE(page->company().next().empty());
  absl::StatusOr<RoutingReply> next = Company(set, Admin(), company, 1, page->company().next());
  EXPECT_EQ(FileCases(next), std::vector<std::string>{a});
  EXPECT_TRUE(next->company().next().empty());
  ExpectRefused(Company(set, Admin(), company, 1, "not-a-cursor"),
                lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "after", "forged cursor");
  // A cursor does not open another office's entries.
  EXPECT_TRUE(FileCases(Company(set, Office("bb-nord"), company, 1, page->company().next()))
                  .empty());

  // A KAM company: its KAM and admin see all of it, with the KAM named.
  const std::string k = Submit(set, "bb-mitte", "baugenehmigung", "HRB-20417", "Halle");
  ASSERT_EQ(Routed(set, k).assignee(), "kam-schneider");
  EXPECT_TRUE(Routed(set, k).contact_person().id().empty());  // the KAM is the person
  absl::StatusOr<RoutingReply> own = Company(set, Dept("kam-schneider"), "HRB-20417");
  EXPECT_EQ(FileCases(own), std::vector<std::string>{k});
  EXPECT_EQ(own->company().key_account(), "kam-schneider");
  EXPECT_TRUE(FileCases(Company(set, Dept("kam-yilmaz"), "HRB-20417")).empty());
}

}  // namespace
}  // namespace lotse::test
