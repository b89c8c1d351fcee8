// Earlier answers (lotse similar) over the real intake and routing processes: a department's
// answers are offered for a new referral like them, only to who may see that referral, only
// from the department's own answers, and still after routing is killed and restarted.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"

namespace lotse::test {
namespace {

using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

struct Question {
  std::string topic;
  std::string subject;
  std::string text;
};

// Submits `q` at bb-mitte and waits until routing has it; returns its referral id.
std::string SubmitRouted(LotseSet& set, const Question& q, const std::string& company) {
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id("bb-mitte");
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office("bb-mitte");
  r->set_company_id(company);
  r->set_company_name("Baustoffe Nord GmbH");
  r->set_topic(q.topic);
  r->set_subject(q.subject);
  r->set_text(q.text);
  r->mutable_contact()->set_name("Erika Mustermann");
  absl::StatusOr<lotse::v1::IntakeReply> reply = set.Intake(request);
  EXPECT_TRUE(reply.ok()) << reply.status();
  if (!reply.ok() || reply->has_error()) {
    ADD_FAILURE() << (reply.ok() ? reply->error().message() : "");
    return "";
  }
  const std::string id = reply->submitted().referral_id();
  EXPECT_TRUE(set.Eventually([&] {
    RoutingRequest get;
    get.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    get.mutable_get()->set_ref(id);
    absl::StatusOr<RoutingReply> got = set.Routing(get);
    return got.ok() && !got->has_error();
  })) << set.Log("routing");
  return id;
}

void AnswerAs(LotseSet& set, const std::string& department, const std::string& id,
              const std::string& text) {
  RoutingRequest answer;
  answer.mutable_answer()->set_ref(id);
  answer.mutable_answer()->set_text(text);
  answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
  absl::StatusOr<RoutingReply> answered = set.Act(department, "sb1", answer);
  ASSERT_TRUE(answered.ok()) << answered.status();
  ASSERT_FALSE(answered->has_error()) << answered->error().message();
}

RoutingRequest SimilarAs(lotse::v1::ActorKind kind, const std::string& id, const std::string& ref,
                         uint32_t limit = 0) {
  RoutingRequest request;
  request.mutable_actor()->set_kind(kind);
  request.mutable_actor()->set_id(id);
  request.mutable_similar()->set_ref(ref);
  request.mutable_similar()->set_limit(limit);
  return request;
}

std::vector<std::string> MatchIds(const RoutingReply& reply) {
  std::vector<std::string> ids;
  for (const auto& m : reply.similar().matches()) {
    ids.push_back(m.referral_id());
  }
  return ids;
}

constexpr char kHalleAnswer[] =
    "Ja, eine Bauvoranfrage klärt die planungsrechtliche Zulässigkeit verbindlich für drei "
    "Jahre. Reichen Sie Lageplan, Ansichten und eine Baubeschreibung ein.";

TEST(SimilarTest, OffersTheDepartmentsOwnEarlierAnswersToWhoMaySeeTheReferral) {
  LotseSet set;
  set.StartAll();
  const std::string halle = SubmitRouted(
      set,
      {"baugenehmigung", "Bauvoranfrage Halle",
       "Wir möchten auf unserem Grundstück im Gewerbegebiet Nord eine Halle errichten. Reicht "
       "zunächst eine Bauvoranfrage, um die Zulässigkeit zu klären?"},
      "HRB-91001");
  const std::string brandschutz = SubmitRouted(
      set,
      {"baugenehmigung", "Bauantrag Lagerhalle Brandschutz",
       "Für den Bauantrag unserer neuen Lagerhalle fordert der Prüfingenieur ein "
       "Brandschutzkonzept. Wer erstellt das, und was muss es enthalten?"},
      "HRB-91002");
  const std::string werbung = SubmitRouted(
      set,
      {"nutzungsaenderung", "Werbeanlage an der Halle",
       "Wir möchten an der Fassade unserer Lagerhalle im Gewerbegebiet eine beleuchtete "
       "Werbeanlage anbringen."},
      "HRB-91003");
  // The Umweltamt answers a question in the same words: never one of bauordnung's matches.
  const std::string laerm = SubmitRouted(
      set,
      {"emissionsschutz", "Bauvoranfrage Lagerhalle Immissionen",
       "Für die Bauvoranfrage unserer Lagerhalle auf dem Grundstück im Gewerbegebiet fragt das "
       "Bauamt nach Immissionen. Was brauchen Sie zur Zulässigkeit?"},
      "HRB-91004");
  ASSERT_FALSE(halle.empty() || brandschutz.empty() || werbung.empty() || laerm.empty());
  AnswerAs(set, "bauordnung", halle, kHalleAnswer);
  AnswerAs(set, "bauordnung", brandschutz, "Das Brandschutzkonzept erstellt ein Fachplaner.");
  AnswerAs(set, "bauordnung", werbung, "Werbeanlagen über 1 m² sind genehmigungspflichtig.");
  AnswerAs(set, "umwelt", laerm, "Wir brauchen ein Lärmgutachten.");

  const std::string lager = SubmitRouted(
      set,
      {"baugenehmigung", "Bauvoranfrage für eine Lagerhalle",
       "Wir planen auf einem Grundstück im Gewerbegebiet eine Lagerhalle für Baustoffe. Sollen "
       "wir vorab eine Bauvoranfrage stellen, um die Zulässigkeit zu klären?"},
      "HRB-91005");
  ASSERT_FALSE(lager.empty());

  absl::StatusOr<RoutingReply> found =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", lager));
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_FALSE(found->has_error()) << found->error().message();
  ASSERT_EQ(found->similar().matches_size(), 3) << found->DebugString();
  const lotse::v1::SimilarReply::Match& first = found->similar().matches(0);
  EXPECT_EQ(first.referral_id(), halle);
  EXPECT_EQ(first.answer(), kHalleAnswer);
  EXPECT_EQ(first.subject(), "Bauvoranfrage Halle");
  EXPECT_EQ(first.topic(), "baugenehmigung");
  EXPECT_TRUE(first.same_topic());
  EXPECT_EQ(first.outcome(), lotse::v1::OUTCOME_RESOLVED);
  EXPECT_GT(first.answered_at_us(), 0);
  EXPECT_GT(first.score(), 0);
  EXPECT_FALSE(first.case_number().empty());
  // The other topic comes last, whatever its score.
  EXPECT_EQ(found->similar().matches(2).referral_id(), werbung);
  EXPECT_FALSE(found->similar().matches(2).same_topic());
  for (const std::string& id : MatchIds(*found)) {
    EXPECT_NE(id, laerm) << "umwelt's answer among bauordnung's";
    EXPECT_NE(id, lager) << "the referral is its own match";
  }
  // --limit
  absl::StatusOr<RoutingReply> one =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", lager, 1));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->similar().matches_size(), 1);
  EXPECT_EQ(one->similar().matches(0).referral_id(), halle);
  // Admin sees what the referral's assignee would.
  absl::StatusOr<RoutingReply> admin =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_ADMIN, "", lager));
  ASSERT_TRUE(admin.ok());
  ASSERT_FALSE(admin->has_error()) << admin->error().message();
  EXPECT_EQ(MatchIds(*admin), MatchIds(*found));
  // Umwelt, asking about its own referral, finds none of bauordnung's answers.
  absl::StatusOr<RoutingReply> own =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_DEPARTMENT, "umwelt", laerm));
  ASSERT_TRUE(own.ok());
  ASSERT_FALSE(own->has_error()) << own->error().message();
  EXPECT_EQ(own->similar().matches_size(), 0);  // its only answer is the referral itself

  // Refusals, from the attacker's side; none of them changes anything.
  absl::StatusOr<uint64_t> head = set.LogHead("routing");
  ASSERT_TRUE(head.ok());
  // Another department may not learn that the referral exists, nor what is like it.
  absl::StatusOr<RoutingReply> foreign =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_DEPARTMENT, "umwelt", lager));
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  EXPECT_NE(foreign->error().message().find("not yours to see"), std::string::npos)
      << foreign->error().message();
  EXPECT_EQ(foreign->similar().matches_size(), 0);
  absl::StatusOr<RoutingReply> missing =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_DEPARTMENT, "umwelt", "2026-999999"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->error().code(), foreign->error().code());
  // An office, and ops, may not use the command at all.
  absl::StatusOr<RoutingReply> office =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte", lager));
  ASSERT_TRUE(office.ok());
  EXPECT_EQ(office->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_EQ(office->similar().matches_size(), 0);
  absl::StatusOr<RoutingReply> ops = set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_OPS, "", lager));
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);
  // More than 20 is refused, naming the field.
  absl::StatusOr<RoutingReply> many =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", lager, 21));
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(many->error().field(), "limit");
  absl::StatusOr<uint64_t> head_after = set.LogHead("routing");
  ASSERT_TRUE(head_after.ok());
  EXPECT_EQ(*head_after, *head);

  // The same through `lotse similar`: the case number, the answer text (wrapped), exit 0; an
  // over-large limit exits 1 naming the field.
  const std::vector<std::string> flags = {"--port-base", std::to_string(set.port_base()),
                                          "--keys", set.dir() + "/data/keys"};
  std::vector<std::string> args = {"similar", lager, "--department", "bauordnung"};
  args.insert(args.end(), flags.begin(), flags.end());
  const CommandResult cli = RunCommand(LOTSE_CLI_BIN, args);
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find(first.case_number()), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("Ja, eine Bauvoranfrage"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("(same topic)"), std::string::npos) << cli.out;
  args.insert(args.end(), {"--limit", "21"});
  const CommandResult too_many = RunCommand(LOTSE_CLI_BIN, args);
  EXPECT_EQ(too_many.exit_code, 1) << too_many.out << too_many.err;
  EXPECT_NE(too_many.err.find("limit"), std::string::npos) << too_many.err;

  // The index is in routing's RocksDB: killed and restarted, routing answers the same.
  set.Kill("routing");
  set.Start("routing");
  absl::StatusOr<RoutingReply> again =
      set.Routing(SimilarAs(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", lager));
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_FALSE(again->has_error()) << again->error().message();
  ASSERT_EQ(MatchIds(*again), MatchIds(*found));
  for (int i = 0; i < again->similar().matches_size(); ++i) {
    EXPECT_DOUBLE_EQ(again->similar().matches(i).score(), found->similar().matches(i).score());
  }
}

}  // namespace
}  // namespace lotse::test
