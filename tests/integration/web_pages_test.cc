// The web terminal's office and desk pages over real HTTP against the real services: a referral
// taken at the counter (once, however often the form is sent) with its files (each once, read
// back byte for byte by office and department; one intake refuses named on the receipt), its
// receipt, the department's worklist, claim and answer, the answer arriving live in the office's
// inbox, the office's rating, the company's feedback page; another office's referral and a
// made-up one are the same "not found"; a form without its token changes nothing.
#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/web_client.h"
#include "tests/support/raw_tcp.h"
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

// Bytes of every value, more than one of intake's 512 KiB chunks, with what a multipart body
// uses for its own ("\r\n--").
std::string PlanBytes(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>((i * 7 + i / 251) % 256);
  }
  for (size_t at = 1000; at + 4 < size; at += 65'536) {
    bytes.replace(at, 4, "\r\n--");
  }
  return bytes;
}

TEST_F(WebPagesTest, TheFormsFilesAreAttachedOnceAndReadBackByteForByte) {
  WebClient office = LoggedIn("bb-mitte");
  httplib::Result page = office.Get("/anfragen/neu");
  ASSERT_TRUE(page && page->status == 200);
  EXPECT_TRUE(absl::StrContains(page->body, R"(enctype="multipart/form-data")")) << page->body;
  EXPECT_TRUE(absl::StrContains(page->body, R"(<input type="file" id="f-anhang" name="anhang")"))
      << page->body;
  EXPECT_TRUE(absl::StrContains(page->body, "Höchstens 10 MB je Datei und 50 MB je Anfrage"));

  const std::string plan = PlanBytes(size_t{700} * 1024 + 123);
  const std::string name = "Lageplan Süd.pdf";
  const std::string url_name = "Lageplan%20S%C3%BCd.pdf";
  const httplib::MultipartFormDataItems files = {
      {"anhang", plan, name, "application/pdf"},
      {"anhang", "", "", "application/octet-stream"},  // a second field left empty
  };
  httplib::Params form = ReferralForm(office, "Lagerhalle mit Lageplan");
  // Without the session's token, or with another: 403, and nothing is made.
  for (const char* token : {"", "nicht-das-token"}) {
    httplib::Params forged = ReferralForm(office, "Untergeschoben mit Anhang");
    forged.emplace("csrf", token);
    httplib::Result refused = office.PostWithFiles("/anfragen/neu", forged, files);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << "token '" << token << "': " << refused->body;
  }
  httplib::Result none = office.Get("/anfragen?suche=Untergeschoben");
  ASSERT_TRUE(none && none->status == 200);
  EXPECT_TRUE(absl::StrContains(none->body, "Keine Anfragen, die zu diesen Filtern passen."))
      << none->body;

  // Sent twice with its file (a double click, a reload): one referral, the file once.
  httplib::Result first = office.PostWithFiles("/anfragen/neu", form, files);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 303) << first->body;
  httplib::Result second = office.PostWithFiles("/anfragen/neu", form, files);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 303) << second->body;
  const std::string location = first->get_header_value("Location");
  EXPECT_EQ(second->get_header_value("Location"), location);
  ASSERT_TRUE(absl::EndsWith(location, "/bestaetigung")) << location;
  const std::string ref = location.substr(10, location.size() - 10 - 13);

  // The receipt names it; the office's page lists it once with its size and gives it back.
  httplib::Result receipt = office.Get(location);
  ASSERT_TRUE(receipt && receipt->status == 200);
  EXPECT_TRUE(absl::StrContains(receipt->body,
                                StrCat(R"(<th scope="row">Anlagen</th><td>)", name, "</td>")))
      << receipt->body;
  const std::string listed = StrCat(R"(<a href="/anfragen/)", ref, "/anhang?name=", url_name,
                                    R"(">)", name, "</a> (", (plan.size() + 1023) / 1024, " KiB, ");
  httplib::Result own = office.Get(StrCat("/anfragen/", ref));
  ASSERT_TRUE(own && own->status == 200);
  EXPECT_EQ(Count(own->body, listed), 1) << own->body;
  EXPECT_EQ(Count(own->body, "/anhang?name="), 1) << own->body;
  httplib::Result back = office.Get(StrCat("/anfragen/", ref, "/anhang?name=", url_name));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->status, 200) << back->body.substr(0, 500);
  EXPECT_TRUE(back->body == plan) << back->body.size() << " bytes, not " << plan.size();

  // The department sees it on the referral's page and downloads the same bytes.
  WebClient department = LoggedIn("bo-mueller");
  std::string desk;
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result r = department.Get(StrCat("/vorgaenge/", ref));
    desk = r ? r->body : "";
    return r && r->status == 200 && absl::StrContains(desk, StrCat(">", name, "</a>"));
  })) << desk;
  EXPECT_EQ(Count(desk, "/anhang?name="), 1) << desk;
  EXPECT_TRUE(absl::StrContains(
      desk, StrCat(R"(<a href="/vorgaenge/)", ref, "/anhang?name=", url_name, R"(">)", name,
                   "</a> (", (plan.size() + 1023) / 1024, " KiB, ")))
      << desk;
  httplib::Result downloaded =
      department.Get(StrCat("/vorgaenge/", ref, "/anhang?name=", url_name));
  ASSERT_TRUE(downloaded);
  ASSERT_EQ(downloaded->status, 200) << downloaded->body.substr(0, 500);
  EXPECT_TRUE(downloaded->body == plan) << downloaded->body.size() << " bytes";
  EXPECT_EQ(Count(WorklistWith(department, "Lagerhalle mit Lageplan"), "Lagerhalle mit Lageplan"),
            1);
}

TEST_F(WebPagesTest, AFileIntakeRefusesIsNamedAndTheReferralStillExists) {
  WebClient office = LoggedIn("bb-mitte");
  const std::string too_large(size_t{10} * 1024 * 1024 + 1, 'x');  // 1 byte over 10 MiB
  httplib::Result sent =
      office.PostWithFiles("/anfragen/neu", ReferralForm(office, "Scan zu groß"),
                           {{"anhang", "Bauzeichnung", "Bauzeichnung.txt", "text/plain"},
                            {"anhang", too_large, "Scan.tif", "image/tiff"},
                            {"anhang", "Punkt", "..", "text/plain"}});
  ASSERT_TRUE(sent);
  // The receipt at once: what is attached, what is not and why, where to attach it later.
  ASSERT_EQ(sent->status, 200) << sent->body.substr(0, 2000);
  const std::string& page = sent->body;
  EXPECT_TRUE(absl::StrContains(page, "Die Anfrage ist angelegt, aber nicht jede Datei")) << page;
  EXPECT_TRUE(absl::StrContains(page, "<strong>Scan.tif</strong>: größer als 10 MB")) << page;
  EXPECT_TRUE(absl::StrContains(page, "<strong>..</strong>: diesen Dateinamen nimmt Lotse nicht"))
      << page;
  EXPECT_TRUE(absl::StrContains(page, "Angehängt: Bauzeichnung.txt.")) << page;
  EXPECT_TRUE(absl::StrContains(page, R"(<th scope="row">Anlagen</th><td>Bauzeichnung.txt</td>)"))
      << page;
  const std::string marker = R"(Seite der Anfrage</a>)";
  const size_t link = page.find(R"(#anhaenge">)" + marker);
  ASSERT_NE(link, std::string::npos) << page;
  const size_t start = page.rfind(R"(<a href="/anfragen/)", link) + 19;
  const std::string ref = page.substr(start, link - start);

  // Attached later on the referral's page; a name it has already is refused next to the field.
  httplib::Result referral = office.Get(StrCat("/anfragen/", ref));
  ASSERT_TRUE(referral && referral->status == 200) << ref;
  const httplib::Params key = {{"key", WebClient::FieldOf(referral->body, "key")}};
  httplib::Result later = office.PostWithFiles(StrCat("/anfragen/", ref, "/anhaenge"), key,
                                               {{"anhang", "klein", "Scan.pdf", "text/plain"}});
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 303) << later->body;
  httplib::Result again =
      office.PostWithFiles(StrCat("/anfragen/", ref, "/anhaenge"), key,
                           {{"anhang", "anders", "Bauzeichnung.txt", "text/plain"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 422);
  EXPECT_TRUE(absl::StrContains(
      again->body, R"(id="f-anhang-fehler">Nicht angehängt: Bauzeichnung.txt: die Anfrage hat )"))
      << again->body;
  httplib::Result empty = office.PostWithFiles(StrCat("/anfragen/", ref, "/anhaenge"), key,
                                               {{"anhang", "", "", "text/plain"}});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 422);
  httplib::Result listed = office.Get(StrCat("/anfragen/", ref));
  ASSERT_TRUE(listed && listed->status == 200);
  EXPECT_EQ(Count(listed->body, "/anhang?name="), 2) << listed->body;
  EXPECT_TRUE(absl::StrContains(listed->body, ">Scan.pdf</a>")) << listed->body;

  // Another office that changes the id in the URL: 404 as for a referral that does not exist,
  // and nothing is attached.
  WebClient other = LoggedIn("bb-nord");
  ASSERT_EQ(other.Get("/anfragen")->status, 200);  // its own page: its CSRF token
  httplib::Result foreign = other.PostWithFiles(StrCat("/anfragen/", ref, "/anhaenge"), key,
                                                {{"anhang", "fremd", "Fremd.pdf", "text/plain"}});
  httplib::Result made_up = other.PostWithFiles("/anfragen/2026-999999/anhaenge", key,
                                                {{"anhang", "fremd", "Fremd.pdf", "text/plain"}});
  ASSERT_TRUE(foreign && made_up);
  EXPECT_EQ(foreign->status, 404) << foreign->body.substr(0, 2000);
  EXPECT_EQ(made_up->status, 404);
  EXPECT_EQ(foreign->body.find(ref), std::string::npos) << "the refusal named the referral";
  listed = office.Get(StrCat("/anfragen/", ref));
  ASSERT_TRUE(listed && listed->status == 200);
  EXPECT_EQ(Count(listed->body, "/anhang?name="), 2) << listed->body;

  // Any other form takes 1 MiB at most: refused before its body is read (none is sent here).
  const std::string huge =
      RawTcp(set_.WebPort(),
             StrCat("POST /anfragen/", ref, "/nachfrage HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ",
                    office.cookie(), "\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                    "Content-Length: ", size_t{2} << 20, "\r\n\r\n"),
             absl::Seconds(5), /*half_close=*/false);
  EXPECT_TRUE(absl::StartsWith(huge, "HTTP/1.1 413 ")) << huge;
  EXPECT_TRUE(absl::StrContains(huge, "höchstens 1 MB je Formular")) << huge;
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
