// The citizen office's list of its own referrals ("Unsere Anfragen") over the real processes and
// CURVE sockets: two offices each see only their own, newest first and in pages; the department's
// answer shows on the list with its beginning; bad input and other offices' requests are refused
// and change nothing; the list survives a kill -9, and an intake store from before the list gets
// it at the next start. `lotse referrals` prints the same.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/format.h"
#include "common/store/store.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"

namespace lotse::test {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;
using lotse::v1::ReferralList;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

IntakeRequest AsActor(lotse::v1::ActorKind kind, const std::string& id) {
  IntakeRequest request;
  request.mutable_actor()->set_kind(kind);
  request.mutable_actor()->set_id(id);
  return request;
}

std::string Submit(LotseSet& set, const std::string& office, const std::string& company,
                   const std::string& subject) {
  IntakeRequest request = AsActor(lotse::v1::ACTOR_KIND_OFFICE, office);
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office(office);
  r->set_company_id(StrCat("HRB-", subject.size(), company.size()));
  r->set_company_name(company);
  r->set_topic("baugenehmigung");
  r->set_subject(subject);
  r->set_text("Welche Unterlagen brauchen wir?");
  absl::StatusOr<IntakeReply> reply = set.Intake(request);
  EXPECT_TRUE(reply.ok() && !reply->has_error())
      << (reply.ok() ? reply->error().message() : reply.status().ToString());
  return reply.ok() ? reply->submitted().referral_id() : "";
}

absl::StatusOr<IntakeReply> List(LotseSet& set, lotse::v1::ActorKind kind, const std::string& id,
                                 const lotse::v1::ListReferralsRequest& list) {
  IntakeRequest request = AsActor(kind, id);
  *request.mutable_list_referrals() = list;
  return set.Intake(request);
}

// One page as `office`, or an empty list (with a test failure) if refused.
ReferralList Page(LotseSet& set, const std::string& office,
                  const lotse::v1::ListReferralsRequest& list = {}) {
  absl::StatusOr<IntakeReply> reply = List(set, lotse::v1::ACTOR_KIND_OFFICE, office, list);
  EXPECT_TRUE(reply.ok()) << reply.status();
  if (!reply.ok()) {
    return {};
  }
  EXPECT_EQ(reply->result_case(), IntakeReply::kReferralList) << reply->error().message();
  return reply->referral_list();
}

// Every page's ids, in order.
std::vector<std::string> AllIds(LotseSet& set, const std::string& office, uint32_t limit) {
  std::vector<std::string> ids;
  lotse::v1::ListReferralsRequest request;
  request.set_limit(limit);
  for (int page = 0; page < 100; ++page) {
    const ReferralList list = Page(set, office, request);
    for (const lotse::v1::ReferralListEntry& e : list.entries()) {
      ids.push_back(e.referral_id());
    }
    if (list.next().empty()) {
      break;
    }
    request.set_after(list.next());
  }
  return ids;
}

lotse::v1::Error ErrorOf(const absl::StatusOr<IntakeReply>& reply) {
  EXPECT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply.ok() && reply->has_error()) << "the request was not refused";
  return reply.ok() ? reply->error() : lotse::v1::Error{};
}

// Claims and answers `ref` as the building department.
void Answer(LotseSet& set, const std::string& ref, const std::string& text) {
  RoutingRequest claim;
  claim.mutable_claim()->set_ref(ref);
  absl::StatusOr<RoutingReply> claimed = set.Act("bauordnung", "sb1", claim);
  ASSERT_TRUE(claimed.ok() && !claimed->has_error()) << claimed->error().message();
  RoutingRequest answer;
  answer.mutable_answer()->set_ref(ref);
  answer.mutable_answer()->set_text(text);
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  absl::StatusOr<RoutingReply> answered = set.Act("bauordnung", "sb1", answer);
  ASSERT_TRUE(answered.ok() && !answered->has_error()) << answered->error().message();
}

TEST(OfficeListTest, EachOfficeListsOnlyItsOwnAndSeesTheAnswerOnIt) {
  LotseSet set;
  set.StartAll();
  std::vector<std::string> mitte;  // in the order submitted
  std::vector<std::string> nord;
  mitte.push_back(Submit(set, "bb-mitte", "Bäckerei Kurz GmbH", "Anbau Backstube"));
  nord.push_back(Submit(set, "bb-nord", "Spedition Nord", "Lagerhalle am Hafen"));
  mitte.push_back(Submit(set, "bb-mitte", "Kurz Logistik GmbH", "Bauvoranfrage Lagerhalle"));
  nord.push_back(Submit(set, "bb-nord", "Café Nord", "Außengastronomie"));
  mitte.push_back(Submit(set, "bb-mitte", "Metallbau Ost", "Werkhalle Erweiterung"));

  // Routing's decision reaches the list: every entry names its department.
  ASSERT_TRUE(set.Eventually([&] {
    const ReferralList list = Page(set, "bb-mitte");
    return list.entries_size() == 3 &&
           std::all_of(list.entries().begin(), list.entries().end(),
                       [](const auto& e) { return e.department() == "bauordnung"; });
  })) << set.Log("intake");

  // Newest first, only its own, in pages without a duplicate or a gap.
  const std::vector<std::string> newest_first(mitte.rbegin(), mitte.rend());
  EXPECT_EQ(AllIds(set, "bb-mitte", 0), newest_first);
  EXPECT_EQ(AllIds(set, "bb-mitte", 2), newest_first);
  EXPECT_EQ(AllIds(set, "bb-mitte", 1), newest_first);
  EXPECT_EQ(AllIds(set, "bb-nord", 1), std::vector<std::string>(nord.rbegin(), nord.rend()));
  EXPECT_TRUE(AllIds(set, "bb-sued", 0).empty());
  const ReferralList first = Page(set, "bb-mitte");
  EXPECT_EQ(first.entries(0).state(), "open");
  EXPECT_EQ(first.entries(0).department_name(), "Bauordnungsamt");
  EXPECT_EQ(first.entries(0).subject(), "Werkhalle Erweiterung");
  EXPECT_NE(first.entries(0).due_at_us(), 0);
  EXPECT_EQ(first.entries(0).answered_at_us(), 0);

  // The department answers the oldest: the office's list shows it answered, with the answer's
  // beginning.
  const std::string answer =
      "Ein vereinfachtes Verfahren genügt. Bitte reichen Sie den Lageplan, die Bauzeichnungen "
      "und die Baubeschreibung ein; die Statik kann nachgereicht werden, sobald der Prüfingenieur "
      "sie freigegeben hat.";
  Answer(set, mitte[0], answer);
  lotse::v1::ListReferralsRequest answered;
  answered.add_states("answered");
  ASSERT_TRUE(set.Eventually([&] { return Page(set, "bb-mitte", answered).entries_size() == 1; }))
      << set.Log("intake");
  const lotse::v1::ReferralListEntry e = Page(set, "bb-mitte", answered).entries(0);
  EXPECT_EQ(e.referral_id(), mitte[0]);
  EXPECT_EQ(e.state(), "answered");
  EXPECT_EQ(e.status(), lotse::v1::REFERRAL_STATUS_ANSWERED);
  EXPECT_NE(e.answered_at_us(), 0);
  EXPECT_EQ(e.answer_excerpt().rfind("Ein vereinfachtes Verfahren genügt. Bitte reichen", 0), 0u)
      << e.answer_excerpt();
  EXPECT_NE(e.answer_excerpt().find("…"), std::string::npos) << e.answer_excerpt();
  EXPECT_LT(e.answer_excerpt().size(), answer.size());
  EXPECT_TRUE(Page(set, "bb-nord", answered).entries().empty());
  lotse::v1::ListReferralsRequest open;
  open.add_states("open");
  open.add_states("waiting");
  EXPECT_EQ(Page(set, "bb-mitte", open).entries_size(), 2);
  lotse::v1::ListReferralsRequest search;
  search.set_search("BÄCKEREI");
  ASSERT_EQ(Page(set, "bb-mitte", search).entries_size(), 1);
  EXPECT_EQ(Page(set, "bb-mitte", search).entries(0).referral_id(), mitte[0]);
  search.set_search("lagerhalle");  // bb-nord's "Lagerhalle am Hafen" is not bb-mitte's
  ASSERT_EQ(Page(set, "bb-mitte", search).entries_size(), 1);
  EXPECT_EQ(Page(set, "bb-mitte", search).entries(0).referral_id(), mitte[1]);

  // Admin lists any one office's; it must name the office.
  lotse::v1::ListReferralsRequest of_nord;
  of_nord.set_office("bb-nord");
  absl::StatusOr<IntakeReply> admin = List(set, lotse::v1::ACTOR_KIND_ADMIN, "", of_nord);
  ASSERT_TRUE(admin.ok() && !admin->has_error()) << admin->error().message();
  EXPECT_EQ(admin->referral_list().entries_size(), 2);
  lotse::v1::Error error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_ADMIN, "", {}));
  EXPECT_EQ(error.code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error.field(), "office");

  // Refused, each naming its field, and nothing changes.
  absl::StatusOr<uint64_t> head = set.LogHead("intake");
  ASSERT_TRUE(head.ok()) << head.status();
  lotse::v1::ListReferralsRequest of_mitte;
  of_mitte.set_office("bb-mitte");
  error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_OFFICE, "bb-nord", of_mitte));
  EXPECT_EQ(error.code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(error.field(), "office");
  error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", of_mitte));
  EXPECT_EQ(error.code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  lotse::v1::ListReferralsRequest bad;
  bad.set_limit(500);
  error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", bad));
  EXPECT_EQ(error.code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error.field(), "limit");
  bad.Clear();
  bad.add_states("erledigt");
  error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", bad));
  EXPECT_EQ(error.code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error.field(), "states");
  bad.Clear();
  bad.set_after("not-a-cursor");
  error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", bad));
  EXPECT_EQ(error.field(), "after");
  // bb-mitte's cursor does not open bb-mitte's list to bb-nord.
  lotse::v1::ListReferralsRequest one;
  one.set_limit(1);
  const std::string cursor = Page(set, "bb-mitte", one).next();
  ASSERT_FALSE(cursor.empty());
  bad.set_after(cursor);
  error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_OFFICE, "bb-nord", bad));
  EXPECT_EQ(error.code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(error.field(), "after");
  bad.Clear();
  bad.set_submitted_from("2026-02-30");
  error = ErrorOf(List(set, lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", bad));
  EXPECT_EQ(error.field(), "submitted_from");
  EXPECT_EQ(set.LogHead("intake").value_or(0), *head) << "a refused list logged something";

  // `lotse referrals` prints the same: a table, or the reply as JSON.
  const std::vector<std::string> flags = {"--port-base", std::to_string(set.port_base()), "--keys",
                                          set.dir() + "/data/keys"};
  std::vector<std::string> args = {"referrals", "--office", "bb-mitte", "--state", "answered"};
  args.insert(args.end(), flags.begin(), flags.end());
  CommandResult cli = RunCommand(LOTSE_CLI_BIN, args);
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("answered"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("Anbau Backstube"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("Ein vereinfachtes Verfahren"), std::string::npos) << cli.out;
  EXPECT_EQ(cli.out.find("Werkhalle"), std::string::npos) << cli.out;
  args.push_back("--json");
  cli = RunCommand(LOTSE_CLI_BIN, args);
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  ReferralList json;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(cli.out, &json, options).ok()) << cli.out;
  ASSERT_EQ(json.entries_size(), 1);
  EXPECT_EQ(json.entries(0).referral_id(), mitte[0]);
  args = {"referrals", "--office", "bb-mitte", "--limit", "1"};
  args.insert(args.end(), flags.begin(), flags.end());
  cli = RunCommand(LOTSE_CLI_BIN, args);
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("More follow: lotse referrals --office bb-mitte --limit 1 --after "),
            std::string::npos)
      << cli.out;
  args = {"referrals", "--office", "bb-nord", "--limit", "201"};
  args.insert(args.end(), flags.begin(), flags.end());
  cli = RunCommand(LOTSE_CLI_BIN, args);
  EXPECT_EQ(cli.exit_code, 1) << cli.out << cli.err;  // intake refused: limit
  EXPECT_NE(cli.err.find("limit"), std::string::npos) << cli.err;
  args = {"referrals", "--office", "bb-nord", "--state", "erledigt"};
  args.insert(args.end(), flags.begin(), flags.end());
  EXPECT_EQ(RunCommand(LOTSE_CLI_BIN, args).exit_code, 2);  // a usage error, never sent

  // kill -9: the list is where the records are, and reads the same after the restart.
  const std::vector<std::string> before = AllIds(set, "bb-mitte", 2);
  set.Kill("intake");
  set.Start("intake");
  EXPECT_EQ(AllIds(set, "bb-mitte", 2), before);
  EXPECT_EQ(Page(set, "bb-mitte", answered).entries_size(), 1);
  EXPECT_EQ(set.Terminate("routing"), 0);
  EXPECT_EQ(set.Terminate("intake"), 0);
}

TEST(OfficeListTest, AnIntakeStoreFromBeforeTheListGetsItAtTheNextStart) {
  LotseSet set;
  set.StartAll();
  std::set<std::string> mitte;
  for (int i = 0; i < 7; ++i) {
    const std::string office = i % 3 == 2 ? "bb-nord" : "bb-mitte";
    const std::string id = Submit(set, office, "Firma", StrCat("Frage ", i));
    if (office == "bb-mitte") {
      mitte.insert(id);
    }
  }
  ASSERT_EQ(set.Terminate("intake"), 0);
  // Make the store what an intake before the list left: no entries and no mark.
  {
    store::Options options;
    options.path = set.dir() + "/data/intake";
    options.state_families = {"state_office_list"};
    options.open_other_families = true;
    absl::StatusOr<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store::Store& s = **opened;
    store::Batch batch(&s);
    int entries = 0;
    ASSERT_TRUE(
        s.Scan(store::kFirstStateFamily, "", "", [&](std::string_view key, std::string_view) {
           batch.Delete(store::kFirstStateFamily, key);
           ++entries;
           return true;
         }).ok());
    EXPECT_EQ(entries, 7);
    batch.Delete(store::kMeta, "office_list/built");
    ASSERT_TRUE(s.Commit(batch).ok());
  }
  set.Start("intake");
  const std::vector<std::string> listed = AllIds(set, "bb-mitte", 2);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), mitte);
  EXPECT_EQ(listed.size(), mitte.size());
  EXPECT_NE(set.Log("intake").find("built the office list of 7 referrals"), std::string::npos)
      << set.Log("intake");
  EXPECT_EQ(set.Terminate("routing"), 0);
  EXPECT_EQ(set.Terminate("intake"), 0);
}

}  // namespace
}  // namespace lotse::test
