// lotse-web's management pages over real HTTP against the real services: the evaluation for
// admin (every unit) and for an office (only its own), its CSV file, the
// operators' page from the ops ports, the company file for a KAM with the company's name shown
// as text, 404 for roles the pages are not for, and the accessibility statement with its form,
// without login.
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/smtp_listener.h"
#include "tests/integration/web_client.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class WebManagementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_.StartAll(/*with_audit=*/true, /*with_notification=*/true);
    set_.Start("web");
    passwords_ = InitialPasswords(set_);
    ASSERT_FALSE(passwords_.empty()) << "no initial passwords in " << set_.dir();
  }

  httplib::Client Http() {
    httplib::Client client("127.0.0.1", set_.WebPort());
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(30, 0);
    return client;
  }

  // The session cookie ("lotse_session=...") of `login`.
  std::string Session(const std::string& login) {
    httplib::Result r = Http().Post(
        "/anmelden", httplib::Params{{"login", login}, {"password", passwords_[login]}});
    EXPECT_TRUE(r) << "no answer";
    if (!r) {
      return "";
    }
    EXPECT_EQ(r->status, 303) << r->body;
    const std::string set_cookie = r->get_header_value("Set-Cookie");
    return set_cookie.substr(0, set_cookie.find(';'));
  }

  httplib::Result Get(const std::string& path, const std::string& cookie) {
    return Http().Get(path.c_str(), {{"Cookie", cookie}});
  }

  // A referral of `office` on `topic`, answered by `department` as `user` if `answer`.
  std::string Referral(const std::string& office, const std::string& topic,
                       const std::string& company, const std::string& department,
                       const std::string& user, bool answer) {
    absl::StatusOr<lotse::v1::IntakeReply> submitted = set_.Submit(office, topic, company);
    EXPECT_TRUE(submitted.ok() && submitted->has_submitted()) << submitted.status();
    if (!submitted.ok() || !submitted->has_submitted()) {
      return "";
    }
    const std::string ref = submitted->submitted().case_number();
    if (answer) {
      lotse::v1::RoutingRequest request;
      request.mutable_answer()->set_ref(ref);
      request.mutable_answer()->set_text("Sie brauchen einen Bauantrag.");
      request.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
      EXPECT_TRUE(set_.Eventually([&] {
        absl::StatusOr<lotse::v1::RoutingReply> r = set_.Act(department, user, request);
        return r.ok() && !r->has_error();
      })) << "routing did not take the answer to "
          << ref;
    }
    return ref;
  }

  // The evaluation page of `cookie` once `wanted` shows on it (audit catches up).
  std::string EvaluationShowing(const std::string& cookie, const std::string& path,
                                const std::string& wanted) {
    std::string body;
    EXPECT_TRUE(set_.Eventually(
        [&] {
          httplib::Result r = Get(path, cookie);
          body = r ? r->body : "";
          return r && r->status == 200 && Has(body, wanted);
        },
        absl::Seconds(20)))
        << "'" << wanted << "' not on " << path << ":\n"
        << body;
    return body;
  }

  LotseSet set_;
  std::map<std::string, std::string> passwords_;
};

TEST_F(WebManagementTest, AdminSeesEveryUnitWithTheAnsweredReferralCounted) {
  Referral("bb-mitte", "baugenehmigung", "firma-a", "bauordnung", "bo-mueller", true);
  Referral("bb-nord", "baugenehmigung", "firma-b", "bauordnung", "bo-mueller", false);
  const std::string admin = Session("admin");
  const std::string page =
      EvaluationShowing(admin, "/auswertung", "<strong>1</strong> beantwortet");
  EXPECT_TRUE(Has(page, "<strong>2</strong> eingegangen")) << page;
  EXPECT_TRUE(Has(page, "Alle Einheiten: Anfragen eingegangen vom"));
  // Every unit: departments, KAMs and offices, and the filters of admin.
  for (const char* unit : {"Bauordnungsamt", "Umweltamt", "Anna Schneider", "Bürgerbüro Nord",
                           "Bürgerbüro Süd", R"(<select id="f-fachamt")"}) {
    EXPECT_TRUE(Has(page, unit)) << unit;
  }
  EXPECT_TRUE(Has(page, R"(<svg class="chart")"));
  EXPECT_TRUE(Has(page, "Antworten in Frist je Woche"));
  EXPECT_EQ(ForeignScripts(page), 0);
  // Filtered to one office.
  const std::string nord =
      EvaluationShowing(admin, "/auswertung?buergerbuero=bb-nord", "Bürgerbüro Nord: Anfragen");
  EXPECT_TRUE(Has(nord, "<strong>1</strong> eingegangen")) << nord;
  EXPECT_TRUE(Has(nord, "<strong>0</strong> beantwortet")) << nord;
  // A period that is no period: said at its field, the default shown meanwhile.
  httplib::Result bad = Get("/auswertung?von=2026-05-01&bis=2026-04-01", admin);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 200);
  EXPECT_TRUE(Has(bad->body, "endet vor seinem Beginn")) << bad->body;
  EXPECT_TRUE(Has(bad->body, R"(aria-invalid="true")"));
}

TEST_F(WebManagementTest, AnOfficeSeesOnlyItsOwnEvenWhenItAsksForAnother) {
  Referral("bb-mitte", "baugenehmigung", "firma-a", "bauordnung", "bo-mueller", true);
  Referral("bb-nord", "baugenehmigung", "firma-b", "bauordnung", "bo-mueller", true);
  Referral("bb-nord", "baugenehmigung", "firma-c", "bauordnung", "bo-mueller", false);
  const std::string nord = Session("bb-nord");
  const std::string page = EvaluationShowing(
      nord, "/auswertung?buergerbuero=bb-mitte&fachamt=umwelt", "<strong>1</strong> beantwortet");
  EXPECT_TRUE(Has(page, "<strong>2</strong> eingegangen")) << page;
  EXPECT_TRUE(Has(page, "Bürgerbüro Nord: Anfragen eingegangen vom"));
  EXPECT_FALSE(Has(page, "Bürgerbüro Mitte")) << page;
  EXPECT_FALSE(Has(page, "Umweltamt"));
  EXPECT_FALSE(Has(page, "<select"));
  // A department its own, too.
  const std::string umwelt = Session("um-wagner");
  const std::string empty =
      EvaluationShowing(umwelt, "/auswertung", "Umweltamt (als Petra Wagner): Anfragen");
  EXPECT_TRUE(Has(empty, "<strong>0</strong> eingegangen")) << empty;
  EXPECT_FALSE(Has(empty, "Bauordnungsamt"));
}

TEST_F(WebManagementTest, TheCsvHasTheSameFiguresForSpreadsheets) {
  Referral("bb-mitte", "baugenehmigung", "firma-a", "bauordnung", "bo-mueller", true);
  const std::string admin = Session("admin");
  EvaluationShowing(admin, "/auswertung", "<strong>1</strong> beantwortet");
  // The month before today up to tomorrow, in the city's days.
  const absl::TimeZone berlin = [] {
    absl::TimeZone zone;
    EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &zone));
    return zone;
  }();
  const std::string from = absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24 * 30), berlin);
  const std::string to = absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24), berlin);
  httplib::Result csv = Get(StrCat("/auswertung.csv?von=", from, "&bis=", to), admin);
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << csv->body;
  EXPECT_EQ(csv->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv->get_header_value("Content-Disposition"),
            StrCat("attachment; filename=\"lotse-auswertung-", from, "-bis-", to, ".csv\""));
  EXPECT_EQ(csv->body.rfind("\xEF\xBB\xBFVon;Bis einschließlich;Art;Kennung;Name;Eingegangen;", 0),
            0u)
      << csv->body.substr(0, 200);
  EXPECT_TRUE(
      Has(csv->body, StrCat("\r\n", from, ";", to, ";Fachamt;bauordnung;Bauordnungsamt;1;1;0;")))
      << csv->body;
  EXPECT_TRUE(Has(csv->body, ";Bürgerbüro;bb-mitte;Bürgerbüro Mitte (Rathaus);1;1;0;"));
  EXPECT_TRUE(Has(csv->body, ";Gesamt;;;1;1;0;"));
  // A period that is no period gets no file of another period.
  httplib::Result bad = Get("/auswertung.csv?von=2026-05-01&bis=2026-04-01", admin);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(Has(bad->body, "endet vor seinem Beginn")) << bad->body;
  // An office's file holds only itself.
  httplib::Result own = Get("/auswertung.csv", Session("bb-nord"));
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200);
  EXPECT_TRUE(Has(own->body, ";Bürgerbüro;bb-nord;"));
  EXPECT_FALSE(Has(own->body, "bb-mitte"));
  EXPECT_FALSE(Has(own->body, ";Fachamt;"));
}

TEST_F(WebManagementTest, PagesAreNotFoundForRolesTheyAreNotFor) {
  const std::string department = Session("bo-mueller");
  for (const char* path : {"/betrieb", "/betrieb.json", "/unternehmen", "/unternehmen/HRB-20417",
                           "/barrierefreiheit/meldungen"}) {
    httplib::Result r = Get(path, department);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
  // Nor does the menu offer them: a department's has no company files, a KAM's has.
  httplib::Result worklist = Get("/arbeitsliste", department);
  ASSERT_TRUE(worklist && worklist->status == 200);
  EXPECT_FALSE(Has(worklist->body, R"(href="/unternehmen")")) << worklist->body;
  httplib::Result kam_worklist = Get("/arbeitsliste", Session("kam-schneider"));
  ASSERT_TRUE(kam_worklist && kam_worklist->status == 200);
  EXPECT_TRUE(Has(kam_worklist->body, R"(href="/unternehmen")")) << kam_worklist->body;
  const std::string office = Session("bb-mitte");
  for (const char* path : {"/betrieb", "/unternehmen", "/unternehmen/HRB-20417"}) {
    EXPECT_EQ(Get(path, office)->status, 404) << path;
  }
  const std::string ops = Session("ops");
  for (const char* path : {"/auswertung", "/auswertung.csv", "/unternehmen"}) {
    EXPECT_EQ(Get(path, ops)->status, 404) << path;
  }
  // Without a session: to the login.
  for (const char* path : {"/auswertung", "/betrieb", "/betrieb.json", "/unternehmen"}) {
    httplib::Result r = Http().Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 303) << path;
    EXPECT_EQ(r->get_header_value("Location"), "/anmelden");
  }
}

TEST_F(WebManagementTest, OpsSeesTheServicesUpAndLiveWhenOneIsGone) {
  const std::string ops = Session("ops");
  httplib::Result page = Get("/betrieb", ops);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_TRUE(Has(page->body, "Alle 4 Dienste laufen und sind bereit.")) << page->body;
  for (const char* service : {">intake<", ">routing<", ">notification<", ">audit<"}) {
    EXPECT_TRUE(Has(page->body, service)) << service;
  }
  EXPECT_TRUE(Has(page->body, "Ereignisse von intake, noch nicht verarbeitet"));
  EXPECT_TRUE(Has(page->body, R"(data-quelle="/betrieb.json")"));
  EXPECT_EQ(ForeignScripts(page->body), 0);
  // What happens shows up as kinds and counts, without the referral's content.
  Referral("bb-mitte", "baugenehmigung", "firma-a", "bauordnung", "bo-mueller", false);
  std::string json;
  ASSERT_TRUE(set_.Eventually(
      [&] {
        httplib::Result r = Get("/betrieb.json", ops);
        json = r ? r->body : "";
        return r && r->status == 200 && Has(json, "Anfrage zugewiesen");
      },
      absl::Seconds(20)))
      << json;
  EXPECT_EQ(Get("/betrieb.json", ops)->get_header_value("Content-Type"),
            "application/json; charset=utf-8");
  EXPECT_FALSE(Has(json, "Erika")) << json;       // the contact person
  EXPECT_FALSE(Has(json, "Unterlagen")) << json;  // the question
  set_.Kill("notification");
  ASSERT_TRUE(set_.Eventually(
      [&] {
        httplib::Result r = Get("/betrieb.json", ops);
        json = r ? r->body : "";
        return Has(json, "1 von 4 Diensten ist nicht erreichbar.");
      },
      absl::Seconds(20)))
      << json;
}

TEST_F(WebManagementTest, TheCompanyFileShowsAMarkupNameAsTextToTheKamAndAdmin) {
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id("bb-nord");
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office("bb-nord");
  r->set_company_id("HRB-20417");  // kam-schneider's company
  r->set_company_name("<script>alert(1)</script> Hafen GmbH");
  r->set_topic("gewerbeanmeldung");
  r->set_subject("Anmeldung");
  r->set_text("Was brauchen wir?");
  absl::StatusOr<lotse::v1::IntakeReply> submitted = set_.Intake(request);
  ASSERT_TRUE(submitted.ok() && submitted->has_submitted()) << submitted.status();
  const std::string ref = submitted->submitted().case_number();
  const std::string kam = Session("kam-schneider");
  std::string body;
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result page = Get("/unternehmen/HRB-20417", kam);
    body = page ? page->body : "";
    return page && page->status == 200 && Has(body, ref);
  })) << body;
  EXPECT_TRUE(Has(body, "&lt;script&gt;alert(1)&lt;/script&gt; Hafen GmbH")) << body;
  EXPECT_EQ(ForeignScripts(body), 0) << body;
  EXPECT_TRUE(Has(body, "Bürgerbüro Nord"));
  // The search form sends the KAM to the file and lists its companies.
  httplib::Result search = Get("/unternehmen?id=HRB-20417", kam);
  ASSERT_TRUE(search);
  EXPECT_EQ(search->status, 303);
  EXPECT_EQ(search->get_header_value("Location"), "/unternehmen/HRB-20417");
  EXPECT_TRUE(Has(Get("/unternehmen", kam)->body, R"(href="/unternehmen/HRB-20417")"));
  // Admin sees it; another KAM sees nothing of it.
  httplib::Result admin = Get("/unternehmen/HRB-20417", Session("admin"));
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 200) << admin->body;
  EXPECT_TRUE(Has(admin->body, ref));
  httplib::Result other = Get("/unternehmen/HRB-20417", Session("kam-yilmaz"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_FALSE(Has(other->body, ref));
  EXPECT_TRUE(Has(other->body, "keine Anfragen, die Sie sehen dürfen"));
}

TEST_F(WebManagementTest, TheAccessibilityStatementAndItsFormNeedNoLogin) {
  httplib::Result page = Http().Get("/barrierefreiheit");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  for (const char* part :
       {"Erklärung zur Barrierefreiheit", "teilweise vereinbar", "Schlichtungsstelle nach § 16 BGG",
        "axe-core", R"(action="/barrierefreiheit")"}) {
    EXPECT_TRUE(Has(page->body, part)) << part;
  }
  EXPECT_FALSE(Has(page->body, "Angemeldet:"));
  // Without a description: the form again, with the error at its field.
  httplib::Result empty = Http().Post("/barrierefreiheit", httplib::Params{{"text", " "}});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  EXPECT_TRUE(Has(empty->body, "Bitte beschreiben Sie, was nicht funktioniert."));
  // A report: stored (0600), the thanks after a redirect.
  httplib::Result sent = Http().Post(
      "/barrierefreiheit", httplib::Params{{"text", "Die Tabelle <b>springt</b> beim Zoomen."},
                                           {"seite", "Auswertung"},
                                           {"kontakt", "erika@example.org"}});
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 303) << sent->body;
  EXPECT_EQ(sent->get_header_value("Location"), "/barrierefreiheit?gesendet=1#feedback");
  EXPECT_TRUE(Has(Http().Get("/barrierefreiheit?gesendet=1")->body, "Ihre Meldung ist angekommen"));
  const std::string dir = set_.dir() + "/data/web/barrier-reports";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    struct stat st {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << entry.path();
    ++files;
  }
  EXPECT_EQ(files, 1);
  EXPECT_FALSE(Has(set_.Log("web"), "springt"));  // the log names the report, not its text
  // Admin reads it as text and deletes it when done.
  const std::string admin = Session("admin");
  httplib::Result list = Get("/barrierefreiheit/meldungen", admin);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  EXPECT_TRUE(Has(list->body, "Die Tabelle &lt;b&gt;springt&lt;/b&gt; beim Zoomen."));
  EXPECT_TRUE(Has(Get("/barrierefreiheit", admin)->body, "1 Meldung liegt vor"));
  const std::string marker = R"(name="id" value=")";
  const size_t at = list->body.find(marker) + marker.size();
  const std::string id = list->body.substr(at, list->body.find('"', at) - at);
  const std::string csrf_marker = R"(name="csrf" value=")";
  const size_t c = list->body.find(csrf_marker) + csrf_marker.size();
  const std::string csrf = list->body.substr(c, list->body.find('"', c) - c);
  EXPECT_EQ(Http()
                .Post("/barrierefreiheit/meldungen/erledigt", {{"Cookie", admin}},
                      httplib::Params{{"id", id}})
                ->status,
            403);  // without the session's token
  httplib::Result done = Http().Post("/barrierefreiheit/meldungen/erledigt", {{"Cookie", admin}},
                                     httplib::Params{{"id", id}, {"csrf", csrf}});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 303);
  EXPECT_TRUE(Has(Get("/barrierefreiheit/meldungen", admin)->body, "keine Meldungen"));
}

TEST(WebManagementMailTest, AReportOfABarrierIsMailedToTheCitysContact) {
  SmtpListener listener;
  ASSERT_GT(listener.port(), 0);
  listener.Start();
  SetOptions options;
  options.env = {{"LOTSE_SMTP_URL", listener.url()}, {"LOTSE_SMTP_TLS", "off"}};
  options.config_toml = std::string(config::DefaultConfigText());
  const std::string empty = R"(accessibility_contact = "")";
  const size_t at = options.config_toml.find(empty);
  ASSERT_NE(at, std::string::npos);
  options.config_toml.replace(at, empty.size(),
                              R"(accessibility_contact = "barrierefrei@musterstadt.example")");
  LotseSet set(options);
  set.Start("web");
  httplib::Client http("127.0.0.1", set.WebPort());
  http.set_read_timeout(30, 0);
  httplib::Result statement = http.Get("/barrierefreiheit");
  ASSERT_TRUE(statement);
  EXPECT_NE(statement->body.find("mailto:barrierefrei@musterstadt.example"), std::string::npos);
  httplib::Result sent =
      http.Post("/barrierefreiheit", httplib::Params{{"text",
                                                      "Der Knopf „Anzeigen“ ist ohne Maus nicht "
                                                      "erreichbar.\r\nBcc: evil@example.org"},
                                                     {"kontakt", "erika@example.org"}});
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 303) << sent->body;
  ASSERT_TRUE(WaitUntil([&] { return !listener.To("barrierefrei@").empty(); }, absl::Seconds(15)))
      << set.Log("web") << listener.Log();
  const std::vector<Mail> mails = listener.Mails();
  ASSERT_EQ(mails.size(), 1u);  // to the contact only: no Bcc from the text
  EXPECT_EQ(mails[0].subject(), "Lotse: Meldung einer Barriere");
  EXPECT_NE(mails[0].body.find("Der Knopf „Anzeigen“ ist ohne Maus nicht erreichbar."),
            std::string::npos)
      << mails[0].body;
  EXPECT_NE(mails[0].body.find("Kontakt: erika@example.org"), std::string::npos);
}

}  // namespace
}  // namespace lotse::test
