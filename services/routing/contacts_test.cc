#include "services/routing/contacts.h"

#include "common/service/errors.h"
#include "gtest/gtest.h"

namespace lotse::routing {
namespace {

using lotse::v1::AbsenceRequest;
using lotse::v1::AbsenceSet;
using lotse::v1::Actor;

config::Config SampleCity() {
  absl::StatusOr<config::Config> config =
      config::ParseConfig(config::DefaultConfigText(), "embedded");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

const config::Config& City() {
  static const config::Config* city = new config::Config(SampleCity());
  return *city;
}

const config::Department& Bauordnung() { return *City().FindDepartment("bauordnung"); }

AbsenceSet Away(const std::string& user, const std::string& from, const std::string& to,
                const std::string& substitute) {
  AbsenceSet a;
  a.set_user(user);
  a.set_from_date(from);
  a.set_to_date(to);
  a.set_substitute(substitute);
  return a;
}

std::string Chosen(const std::optional<ContactChoice>& c) {
  return c.has_value() ? c->contact.id() : "(none)";
}

TEST(ChooseContactTest, TheOnlySpecialistOfATopicGetsIt) {
  // nutzungsaenderung: bo-kaya and bo-becker; no keyword; both idle: config order.
  const auto c = ChooseContact(Bauordnung(), "nutzungsaenderung", "Umbau", "", {}, {}, "2026-12-07");
  EXPECT_EQ(Chosen(c), "bo-kaya");
  EXPECT_EQ(c->contact.department(), "bauordnung");
  EXPECT_EQ(c->contact.phone(), "0391 540-4412");
  EXPECT_EQ(c->contact.name(), "Deniz Kaya");
  EXPECT_TRUE(c->stand_in_for.empty());
}

TEST(ChooseContactTest, AKeywordInSubjectOrQuestionWinsOverFewerOpenItems) {
  const OpenCounts open{{"bo-mueller", 9}, {"bo-kaya", 0}};
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "baugenehmigung", "Neubau einer LAGERHALLE", "",
                                 open, {}, "2026-12-07")),
            "bo-mueller");
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "baugenehmigung", "Frage",
                                 "Wir planen eine Gaststätte im Erdgeschoss", open, {},
                                 "2026-12-07")),
            "bo-kaya");
  // Umlauts are lowered too: "GASTSTÄTTE" matches "gaststätte".
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "baugenehmigung", "GASTSTÄTTE", "",
                                 {{"bo-kaya", 5}}, {}, "2026-12-07")),
            "bo-kaya");
}

TEST(ChooseContactTest, MoreKeywordHitsWin) {
  // "lagerhalle" and "halle" are both bo-mueller's; "laden" is bo-kaya's: 2 hits against 1.
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "baugenehmigung", "Lagerhalle mit Laden", "",
                                 {{"bo-mueller", 3}}, {}, "2026-12-07")),
            "bo-mueller");
}

TEST(ChooseContactTest, WithoutKeywordsTheFewestOpenItemsThenConfigOrder) {
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "baugenehmigung", "Frage", "Text",
                                 {{"bo-mueller", 2}, {"bo-kaya", 1}}, {}, "2026-12-07")),
            "bo-kaya");
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "baugenehmigung", "Frage", "Text",
                                 {{"bo-mueller", 1}, {"bo-kaya", 1}}, {}, "2026-12-07")),
            "bo-mueller");
}

TEST(ChooseContactTest, AnAbsentSpecialistsItemGoesToTheSubstitute) {
  const Absences away{Away("bo-mueller", "2026-12-07", "2026-12-11", "bo-becker")};
  const auto c =
      ChooseContact(Bauordnung(), "baugenehmigung", "Lagerhalle", "", {}, away, "2026-12-08");
  EXPECT_EQ(Chosen(c), "bo-becker");
  EXPECT_EQ(c->stand_in_for, "bo-mueller");
  // The day after the absence: back with the person.
  const auto back =
      ChooseContact(Bauordnung(), "baugenehmigung", "Lagerhalle", "", {}, away, "2026-12-12");
  EXPECT_EQ(Chosen(back), "bo-mueller");
  EXPECT_TRUE(back->stand_in_for.empty());
  // A cancelled absence is no absence.
  Absences cancelled = away;
  cancelled[0].set_cancelled(true);
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "baugenehmigung", "Lagerhalle", "", {}, cancelled,
                                 "2026-12-08")),
            "bo-mueller");
}

TEST(ChooseContactTest, NoSpecialistForTheTopicLeavesTheDepartmentsWorklist) {
  EXPECT_FALSE(ChooseContact(Bauordnung(), "denkmalschutz", "Lagerhalle", "", {}, {}, "2026-12-07")
                   .has_value());
}

TEST(ChooseContactTest, AConsultationWithoutTopicLetsEveryStaffMemberIn) {
  // denkmalschutz is nobody's topic, but a consultation asks the department as a whole.
  EXPECT_EQ(Chosen(ChooseContact(Bauordnung(), "", "Denkmal",
                                 "Geht eine Gaststätte im Erdgeschoss?", {{"bo-kaya", 4}}, {},
                                 "2026-12-07")),
            "bo-kaya");
  EXPECT_EQ(Chosen(ChooseContact(*City().FindDepartment("umwelt"), "", "Frage", "Text", {}, {},
                                 "2026-12-07")),
            "um-wagner");
}

TEST(SubstituteOnTest, FollowsAbsentSubstitutesAndStopsAtACircle) {
  const Absences away{Away("a", "2026-12-01", "2026-12-31", "b"),
                      Away("b", "2026-12-01", "2026-12-31", "c"),
                      Away("c", "2026-12-01", "2026-12-31", "a")};
  EXPECT_EQ(SubstituteOn(away, "a", "2026-12-10"), "c");
  EXPECT_EQ(SubstituteOn(away, "a", "2027-01-01"), "");
}

TEST(LowerUtf8Test, LowersAsciiAndUmlauts) {
  EXPECT_EQ(LowerUtf8("LAGERHALLE Ärger ÖL ÜBER Straße ×"), "lagerhalle ärger öl über straße ×");
}

TEST(AddStandInsTest, AbsentPeoplesSubstitutesHearOnce) {
  lotse::v1::Escalated e;
  e.add_notify_staff("bo-mueller");
  e.add_notify_staff("bo-becker");
  const Absences away{Away("bo-mueller", "2026-12-07", "2026-12-11", "bo-kaya"),
                      Away("bo-becker", "2026-12-07", "2026-12-11", "bo-kaya")};
  AddStandIns(e, away, "2026-12-08");
  ASSERT_EQ(e.notify_staff_size(), 3);
  EXPECT_EQ(e.notify_staff(2), "bo-kaya");
  lotse::v1::Escalated later;
  later.add_notify_staff("bo-mueller");
  AddStandIns(later, away, "2026-12-12");
  EXPECT_EQ(later.notify_staff_size(), 1);
}

// ---------------------------------------------------------------------------------------------
// Absences: who may record them, and bad input.

Actor Department(const std::string& id) {
  Actor a;
  a.set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  a.set_id(id);
  a.set_user("someone");
  return a;
}

AbsenceRequest Request(const std::string& user, const std::string& from, const std::string& to,
                       const std::string& substitute) {
  AbsenceRequest r;
  r.set_user(user);
  r.set_from_date(from);
  r.set_to_date(to);
  r.set_substitute(substitute);
  return r;
}

struct Refusal {
  std::string name;
  Actor actor;
  AbsenceRequest request;
  Absences existing;
  absl::StatusCode code;
  std::string field;
  std::string message;  // a part of it
};

TEST(CheckAbsenceTest, RefusesBadAbsencesNamingTheField) {
  const std::string today = "2026-12-07";
  Actor admin;
  admin.set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  Actor office;
  office.set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  office.set_id("bb-mitte");
  AbsenceRequest cancel = Request("bo-mueller", "2026-12-20", "", "");
  cancel.set_cancel(true);
  const std::vector<Refusal> rows = {
      {"unknown user", admin, Request("bo-nobody", "2026-12-08", "2026-12-09", "bo-kaya"), {},
       absl::StatusCode::kNotFound, "user", "neither a staff member"},
      {"another department", Department("umwelt"),
       Request("bo-mueller", "2026-12-08", "2026-12-09", "bo-kaya"), {},
       absl::StatusCode::kPermissionDenied, "user", "only bauordnung"},
      {"an office", office, Request("bo-mueller", "2026-12-08", "2026-12-09", "bo-kaya"), {},
       absl::StatusCode::kPermissionDenied, "user", "only bauordnung"},
      {"a KAM for another KAM", Department("kam-yilmaz"),
       Request("kam-schneider", "2026-12-08", "2026-12-09", "kam-yilmaz"), {},
       absl::StatusCode::kPermissionDenied, "user", "only kam-schneider"},
      {"bad from", admin, Request("bo-mueller", "8.12.2026", "2026-12-09", "bo-kaya"), {},
       absl::StatusCode::kInvalidArgument, "from_date", "YYYY-MM-DD"},
      {"no such day", admin, Request("bo-mueller", "2026-12-08", "2026-02-30", "bo-kaya"), {},
       absl::StatusCode::kInvalidArgument, "to_date", "YYYY-MM-DD"},
      {"reversed", admin, Request("bo-mueller", "2026-12-10", "2026-12-09", "bo-kaya"), {},
       absl::StatusCode::kInvalidArgument, "to_date", "swap"},
      {"past", admin, Request("bo-mueller", "2026-12-01", "2026-12-06", "bo-kaya"), {},
       absl::StatusCode::kInvalidArgument, "to_date", "before today"},
      {"no substitute", admin, Request("bo-mueller", "2026-12-08", "2026-12-09", ""), {},
       absl::StatusCode::kInvalidArgument, "substitute", "name the colleague"},
      {"same person", admin, Request("bo-mueller", "2026-12-08", "2026-12-09", "bo-mueller"), {},
       absl::StatusCode::kInvalidArgument, "substitute", "themselves"},
      {"unknown substitute", admin, Request("bo-mueller", "2026-12-08", "2026-12-09", "bo-x"), {},
       absl::StatusCode::kNotFound, "substitute", "neither"},
      {"substitute of another department", admin,
       Request("bo-mueller", "2026-12-08", "2026-12-09", "um-wagner"), {},
       absl::StatusCode::kInvalidArgument, "substitute", "same department"},
      {"a KAM's substitute is no KAM", admin,
       Request("kam-schneider", "2026-12-08", "2026-12-09", "wf-hoffmann"), {},
       absl::StatusCode::kInvalidArgument, "substitute", "another one"},
      {"overlap", admin, Request("bo-mueller", "2026-12-10", "2026-12-20", "bo-kaya"),
       {Away("bo-mueller", "2026-12-14", "2026-12-18", "bo-becker")},
       absl::StatusCode::kAlreadyExists, "from_date", "2026-12-14 to 2026-12-18"},
      {"cancel of nothing", admin, cancel,
       {Away("bo-mueller", "2026-12-08", "2026-12-09", "bo-becker")},
       absl::StatusCode::kNotFound, "from_date", "no absence"},
  };
  for (const Refusal& row : rows) {
    absl::StatusOr<AbsenceSet> got = CheckAbsence(City(), row.actor, row.request, row.existing,
                                                  today);
    ASSERT_FALSE(got.ok()) << row.name;
    EXPECT_EQ(got.status().code(), row.code) << row.name << ": " << got.status();
    EXPECT_EQ(service::ToError(got.status()).field(), row.field) << row.name;
    EXPECT_NE(got.status().message().find(row.message), std::string::npos)
        << row.name << ": " << got.status();
  }
}

TEST(CheckAbsenceTest, AcceptsOwnStaffAKamItselfAndCancels) {
  const std::string today = "2026-12-07";
  absl::StatusOr<AbsenceSet> set = CheckAbsence(
      City(), Department("bauordnung"), Request("bo-mueller", "2026-12-01", "2026-12-07", "bo-kaya"),
      {Away("bo-mueller", "2026-12-08", "2026-12-09", "bo-becker")}, today);
  ASSERT_TRUE(set.ok()) << set.status();  // ends today: not past; adjacent: no overlap
  EXPECT_EQ(set->department(), "bauordnung");
  EXPECT_EQ(set->substitute(), "bo-kaya");
  EXPECT_FALSE(set->cancelled());

  absl::StatusOr<AbsenceSet> kam =
      CheckAbsence(City(), Department("kam-schneider"),
                   Request("kam-schneider", "2026-12-08", "2026-12-09", "kam-yilmaz"), {}, today);
  ASSERT_TRUE(kam.ok()) << kam.status();
  EXPECT_EQ(kam->department(), "wirtschaftsfoerderung");

  AbsenceRequest cancel = Request("bo-mueller", "2026-12-09", "", "");
  cancel.set_cancel(true);
  absl::StatusOr<AbsenceSet> ended =
      CheckAbsence(City(), Department("bauordnung"), cancel,
                   {Away("bo-mueller", "2026-12-08", "2026-12-09", "bo-becker")}, today);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_TRUE(ended->cancelled());
  EXPECT_EQ(ended->from_date(), "2026-12-08");  // the recorded absence's own key
}

TEST(DayTest, DaysAreInTheCitysZone) {
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  // 23:30 UTC on December 7th is already December 8th in Berlin.
  const absl::Time t = absl::FromCivil(absl::CivilMinute(2026, 12, 7, 23, 30), absl::UTCTimeZone());
  EXPECT_EQ(DayOf(t, berlin), "2026-12-08");
  EXPECT_TRUE(IsDay("2028-02-29"));
  EXPECT_FALSE(IsDay("2027-02-29"));
  EXPECT_FALSE(IsDay("2027-2-1"));
}

TEST(CompanyKeyTest, NewestFirstUnderTheNormalizedCompany) {
  lotse::v1::ReferralState older;
  older.set_referral_id("r1");
  older.mutable_referral()->set_company_id(" HRB-1 ");
  older.set_submitted_at_us(1000);
  lotse::v1::ReferralState newer = older;
  newer.set_referral_id("r2");
  newer.mutable_referral()->set_company_id("hrb-1");
  newer.set_submitted_at_us(2000);
  EXPECT_EQ(CompanyKey(older).substr(0, 6), std::string("hrb-1\0", 6));
  EXPECT_LT(CompanyKey(newer), CompanyKey(older));
  lotse::v1::ReferralState none;
  EXPECT_EQ(CompanyKey(none), "");
}

}  // namespace
}  // namespace lotse::routing
