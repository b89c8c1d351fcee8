// The web terminal's office and desk pages over real HTTP against the real services: a referral
// taken at the counter (once, however often the form is sent), its receipt, the department's
// worklist, claim and answer, the answer arriving live in the office's inbox, the office's
// rating, the company's feedback page; another office's referral and a made-up one are the
// same "not found"; a form without its token changes nothing.
#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/web_client.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

// How often `needle` occurs in `haystack`.
int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class WebPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_.StartAll(/*with_audit=*/true, /*with_notification=*/true);
    set_.Start("web");
    passwords_ = InitialPasswords(set_);
    for (const char* login : {"bb-mitte", "bb-nord", "bo-mueller"}) {
      ASSERT_TRUE(passwords_.count(login)) << login;
    }
  }

  WebClient LoggedIn(const std::string& login) {
    WebClient web(set_);
    httplib::Result result = web.Login(login, passwords_[login]);
    EXPECT_TRUE(result && result->status == 303) << login;
    return web;
  }

  // The new-referral form as an office fills it in (with the form's own key).
  httplib::Params ReferralForm(WebClient& office, const std::string& subject) {
    httplib::Result form = office.Get("/anfragen/neu");
    EXPECT_TRUE(form && form->status == 200);
    return {{"key", WebClient::FieldOf(form ? form->body : "", "key")},
            {"company_id", "HRB 4711"},
            {"company_name", "Lagerbau <b>Nord</b> GmbH"},
            {"contact_name", "Petra Lang"},
            {"topic", "baugenehmigung"},
            {"subject", subject},
            {"text", "Dürfen wir eine Lagerhalle bauen? \"><img src=x onerror=alert(1)>"},
            {"priority", "normal"},
            {"schritt", "senden"}};
  }

  // Submits a referral through the form; its id from the receipt's address.
  std::string Submit(WebClient& office, const std::string& subject) {
    httplib::Result sent = office.Post("/anfragen/neu", ReferralForm(office, subject));
    EXPECT_TRUE(sent && sent->status == 303) << (sent ? sent->body : "no answer");
    if (!sent) {
      return "";
    }
    const std::string location = sent->get_header_value("Location");
    EXPECT_TRUE(absl::StartsWith(location, "/anfragen/")) << location;
    EXPECT_TRUE(absl::EndsWith(location, "/bestaetigung")) << location;
    return location.substr(10, location.size() - 10 - 13);
  }

  // The department's whole worklist page, once it shows `text`.
  std::string WorklistWith(WebClient& department, const std::string& text) {
    std::string page;
    EXPECT_TRUE(set_.Eventually([&] {
      httplib::Result list = department.Get("/arbeitsliste?alle=1");
      page = list ? list->body : "";
      return list && list->status == 200 && absl::StrContains(page, text);
    })) << page;
    return page;
  }

  // Claims and answers `ref` as the department, each form with its own key.
  void Answer(WebClient& department, const std::string& ref) {
    httplib::Result page = department.Get(StrCat("/vorgaenge/", ref));
    ASSERT_TRUE(page && page->status == 200);
    httplib::Result claimed = department.Post(StrCat("/vorgaenge/", ref, "/uebernehmen"),
                                              {{"key", NewKey().substr(0, 32)}});
    ASSERT_TRUE(claimed && claimed->status == 303) << (claimed ? claimed->body : "");
    httplib::Result answered =
        department.Post(StrCat("/vorgaenge/", ref, "/antworten"),
                        {{"key", NewKey().substr(0, 32)},
                         {"ergebnis", "resolved"},
                         {"antwort", "Ja, mit einer Bauvoranfrage beim Bauordnungsamt."}});
    ASSERT_TRUE(answered && answered->status == 303) << (answered ? answered->body : "");
  }

  LotseSet set_;
  std::map<std::string, std::string> passwords_;
};

TEST_F(WebPagesTest, ACounterTakesAQuestionOnceKeepsWhatWasTypedAndPrintsTheReceipt) {
  WebClient office = LoggedIn("bb-mitte");
  // A missing subject: the form again, 422, the error next to the field, the rest as typed.
  httplib::Params incomplete = ReferralForm(office, "");
  httplib::Result refused = office.Post("/anfragen/neu", incomplete);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 422);
  EXPECT_TRUE(absl::StrContains(refused->body,
                                R"(id="f-subject-fehler">Bitte geben Sie einen Betreff an.)"))
      << refused->body;
  EXPECT_TRUE(absl::StrContains(refused->body, R"(aria-invalid="true")"));
  EXPECT_EQ(WebClient::FieldOf(refused->body, "company_name"),
            "Lagerbau &lt;b&gt;Nord&lt;/b&gt; GmbH");
  EXPECT_EQ(WebClient::FieldOf(refused->body, "key"), incomplete.find("key")->second);

  // Sent twice (a double click): one referral.
  httplib::Params form = ReferralForm(office, "Lagerhalle am Hafen");
  httplib::Result first = office.Post("/anfragen/neu", form);
  httplib::Result second = office.Post("/anfragen/neu", form);
  ASSERT_TRUE(first && second);
  ASSERT_EQ(first->status, 303) << first->body;
  EXPECT_EQ(second->get_header_value("Location"), first->get_header_value("Location"));
  // Without the session's token: 403, and nothing is made.
  httplib::Params forged = ReferralForm(office, "Untergeschoben");
  forged.emplace("csrf", "nicht-das-token");
  httplib::Result without = office.Post("/anfragen/neu", forged);
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 403);

  httplib::Result receipt = office.Get(first->get_header_value("Location"));
  ASSERT_TRUE(receipt);
  ASSERT_EQ(receipt->status, 200) << receipt->body;
  EXPECT_TRUE(absl::StrContains(receipt->body, "Ihr Rückmeldecode"));
  EXPECT_TRUE(absl::StrContains(receipt->body, R"(href="/static/receipt.css")"));
  EXPECT_TRUE(absl::StrContains(receipt->body, "data-print"));

  WebClient department = LoggedIn("bo-mueller");
  const std::string page = WorklistWith(department, "Lagerhalle am Hafen");
  EXPECT_EQ(Count(page, "Lagerhalle am Hafen"), 1) << page;
  EXPECT_FALSE(absl::StrContains(page, "Untergeschoben")) << page;
  EXPECT_TRUE(absl::StrContains(page, "Lagerbau &lt;b&gt;Nord&lt;/b&gt; GmbH")) << page;
}

TEST_F(WebPagesTest, AnotherOfficesReferralIsAsNotFoundAsAMadeUpOne) {
  WebClient office = LoggedIn("bb-mitte");
  const std::string ref = Submit(office, "Nur für Mitte");
  ASSERT_FALSE(ref.empty());
  ASSERT_EQ(office.Get(StrCat("/anfragen/", ref))->status, 200);

  WebClient other = LoggedIn("bb-nord");
  httplib::Result theirs = other.Get(StrCat("/anfragen/", ref));
  httplib::Result made_up = other.Get("/anfragen/r0000000000000000000000000000");
  ASSERT_TRUE(theirs && made_up);
  EXPECT_EQ(theirs->status, 404);
  EXPECT_EQ(made_up->status, 404);
  EXPECT_EQ(theirs->body, made_up->body);
  EXPECT_FALSE(absl::StrContains(theirs->body, "Nur für Mitte"));
  EXPECT_EQ(other.Get(StrCat("/anfragen/", ref, "/bestaetigung"))->status, 404);
  // Nor may it act on it: its rating is refused the same way, and changes nothing.
  httplib::Result rated = other.Post(StrCat("/anfragen/", ref, "/rueckmeldung"),
                                     {{"rating", "1"}, {"resolved", "nein"}});
  ASSERT_TRUE(rated);
  EXPECT_EQ(rated->status, 404) << rated->body;
  // An office is no department: the desk's page of the same referral does not exist for it.
  EXPECT_EQ(office.Get(StrCat("/vorgaenge/", ref))->status, 404);
  EXPECT_EQ(office.Get("/arbeitsliste")->status, 404);
}

TEST_F(WebPagesTest, TheAnswerReachesTheOfficesOpenInboxLiveAndTheOfficeClosesIt) {
  WebClient office = LoggedIn("bb-mitte");
  const std::string ref = Submit(office, "Brandschutz Lagerhalle");
  ASSERT_FALSE(ref.empty());
  WebClient department = LoggedIn("bo-mueller");
  WorklistWith(department, "Brandschutz Lagerhalle");

  // The office's inbox page is open: it streams what comes after the last message it shows.
  httplib::Result inbox = office.Get("/posteingang");
  ASSERT_TRUE(inbox && inbox->status == 200);
  const std::string after = WebClient::FieldOf(inbox->body, "bis");
  std::atomic<bool> heard = false;
  std::string streamed;
  std::thread live([&] {
    httplib::Client client = office.Http();
    client.set_read_timeout(30, 0);
    client.Get(StrCat("/posteingang/live?nach=", after).c_str(), {{"Cookie", office.cookie()}},
               [&](const char* data, size_t size) {
                 streamed.append(data, size);
                 heard = absl::StrContains(streamed, "Brandschutz Lagerhalle") ||
                         absl::StrContains(streamed, ref);
                 return !heard.load();
               });
  });
  Answer(department, ref);
  live.join();
  EXPECT_TRUE(heard) << streamed;
  EXPECT_TRUE(absl::StrContains(streamed, "event: message")) << streamed;
  EXPECT_TRUE(absl::StrContains(streamed, StrCat(R"(href="/anfragen/)", ref))) << streamed;

  // The office reads the answer and rates it: the referral is closed.
  httplib::Result page = office.Get(StrCat("/anfragen/", ref));
  ASSERT_TRUE(page && page->status == 200);
  EXPECT_TRUE(absl::StrContains(page->body, "Ja, mit einer Bauvoranfrage")) << page->body;
  httplib::Result rated = office.Post(
      StrCat("/anfragen/", ref, "/rueckmeldung"),
      {{"rating", "4"}, {"resolved", "ja"}, {"key", WebClient::FieldOf(page->body, "key")}});
  ASSERT_TRUE(rated);
  ASSERT_EQ(rated->status, 303) << rated->body;
  EXPECT_TRUE(set_.Eventually([&] {
    httplib::Result closed = office.Get(StrCat("/anfragen/", ref));
    return closed && absl::StrContains(closed->body, "abgeschlossen");
  }));
}

TEST_F(WebPagesTest, TheCompanysFeedbackPageTakesItsCodeOnceWithoutALogin) {
  WebClient office = LoggedIn("bb-mitte");
  const std::string ref = Submit(office, "Rückmeldung testen");
  ASSERT_FALSE(ref.empty());
  httplib::Result receipt = office.Get(StrCat("/anfragen/", ref, "/bestaetigung"));
  ASSERT_TRUE(receipt && receipt->status == 200);
  const std::string marker = R"(<div class="value">)";
  const size_t at = receipt->body.find(marker);
  ASSERT_NE(at, std::string::npos) << receipt->body;
  const std::string code = receipt->body.substr(
      at + marker.size(), receipt->body.find('<', at + marker.size()) - at - marker.size());
  WebClient department = LoggedIn("bo-mueller");
  WorklistWith(department, "Rückmeldung testen");
  Answer(department, ref);

  WebClient company(set_);  // no login
  httplib::Result form = company.Get("/rueckmeldung");
  ASSERT_TRUE(form && form->status == 200);
  httplib::Result wrong = company.Post(
      "/rueckmeldung", {{"code", "AAAA-BBBB-CCCC-DDDD"}, {"rating", "5"}, {"resolved", "ja"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 422);
  EXPECT_TRUE(absl::StrContains(wrong->body, "Diesen Code kennen wir nicht")) << wrong->body;
  std::string thanks;
  ASSERT_TRUE(set_.Eventually([&] {  // intake hears of the answer through routing's events
    httplib::Result right =
        company.Post("/rueckmeldung", {{"code", code}, {"rating", "5"}, {"resolved", "ja"}});
    thanks = right ? right->body : "";
    return right && right->status == 200;
  })) << thanks;
  EXPECT_TRUE(absl::StrContains(thanks, "Vielen Dank"));
  httplib::Result again =
      company.Post("/rueckmeldung", {{"code", code}, {"rating", "1"}, {"resolved", "nein"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 422) << again->body;
}

}  // namespace
}  // namespace lotse::test
