// lotse-web over real HTTP against the real services: the accounts a city starts with and their
// 0600 password file, the login with its session cookie, the throttle after failed logins,
// CSRF on every changing form, the security headers, the inbox of the person's office or
// department acting through the web's gateway key, escaped text, and logout.
#include <sys/stat.h>

#include <map>
#include <string>

#include "absl/strings/str_split.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/web_client.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

class WebTerminalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_.StartAll(/*with_audit=*/false, /*with_notification=*/true);
    set_.Start("web");
    const std::string file = set_.dir() + "/data/web/initial-passwords";
    for (absl::string_view line : absl::StrSplit(ReadFile(file), '\n', absl::SkipEmpty())) {
      const std::vector<std::string> cells = absl::StrSplit(line, '\t');
      ASSERT_EQ(cells.size(), 3u) << line;
      passwords_[cells[0]] = cells[1];
    }
  }

  httplib::Client Http() {
    httplib::Client client("127.0.0.1", set_.WebPort());
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(10, 0);
    return client;
  }

  httplib::Result Login(const std::string& login, const std::string& password,
                        const std::string& planted_cookie = "") {
    httplib::Headers headers;
    if (!planted_cookie.empty()) {
      headers.emplace("Cookie", StrCat("lotse_session=", planted_cookie));
    }
    const httplib::Params form = {{"login", login}, {"password", password}};
    return Http().Post("/anmelden", headers, form);
  }

  // The session cookie ("lotse_session=...") of a successful login.
  std::string SessionOf(const httplib::Result& login) {
    EXPECT_TRUE(login) << "no answer";
    if (!login) {
      return "";
    }
    EXPECT_EQ(login->status, 303) << login->body;
    const std::string set_cookie = login->get_header_value("Set-Cookie");
    return set_cookie.substr(0, set_cookie.find(';'));
  }

  httplib::Result Get(const std::string& path, const std::string& cookie) {
    return Http().Get(path.c_str(), {{"Cookie", cookie}});
  }

  httplib::Result Post(const std::string& path, const std::string& cookie,
                       const httplib::Params& form) {
    return Http().Post(path.c_str(), {{"Cookie", cookie}}, form);
  }

  // The value of the page's first hidden field `name` (the CSRF token of its forms, or `bis`).
  static std::string FieldOf(const std::string& page, const std::string& name) {
    const std::string marker = StrCat(R"(name=")", name, R"(" value=")");
    const size_t at = page.find(marker);
    if (at == std::string::npos) {
      return "";
    }
    const size_t start = at + marker.size();
    return page.substr(start, page.find('"', start) - start);
  }

  LotseSet set_;
  std::map<std::string, std::string> passwords_;
};

TEST_F(WebTerminalTest, TheCityStartsWithAccountsAndKeepsThemAcrossRestarts) {
  struct stat st {};
  ASSERT_EQ(::stat((set_.dir() + "/data/web/initial-passwords").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const char* login : {"bb-mitte", "bo-mueller", "kam-schneider", "ops", "admin"}) {
    EXPECT_TRUE(passwords_.count(login)) << login;
  }
  // Restarted: the same accounts, no new passwords.
  const std::string before = ReadFile(set_.dir() + "/data/web/initial-passwords");
  set_.Kill("web");
  set_.Start("web");
  EXPECT_EQ(ReadFile(set_.dir() + "/data/web/initial-passwords"), before);
  EXPECT_EQ(SessionOf(Login("bb-mitte", passwords_["bb-mitte"])).rfind("lotse_session=", 0), 0u);
  // Admin has no inbox of its own, and the page says so instead of showing an empty one.
  httplib::Result admin = Get("/posteingang", SessionOf(Login("admin", passwords_["admin"])));
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 200);
  EXPECT_NE(admin->body.find("Verwaltung hat keinen eigenen Posteingang"), std::string::npos)
      << admin->body;
}

TEST_F(WebTerminalTest, NothingButLoginStaticAndHealthWithoutASession) {
  for (const char* path : {"/", "/posteingang"}) {
    httplib::Result r = Http().Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 303) << path;
    EXPECT_EQ(r->get_header_value("Location"), "/anmelden") << path;
  }
  httplib::Result forged = Get("/posteingang", "lotse_session=erfunden");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 303);
  for (const char* path : {"/anmelden", "/healthz", "/static/lotse.css"}) {
    httplib::Result r = Http().Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
  }
  httplib::Result missing = Http().Get("/gibt-es-nicht");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("Nicht gefunden"), std::string::npos);
  EXPECT_NE(missing->body.find(R"(<a href="/">)"), std::string::npos);
  // Every answer carries the security headers; pages are not cached.
  httplib::Result page = Http().Get("/anmelden");
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;  // only its own files
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  // Not "no-referrer": with it browsers post the site's own forms with `Origin: null`.
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "same-origin");
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(ForeignScripts(page->body), 0) << page->body;
}

TEST_F(WebTerminalTest, ALoginGetsAFreshHttpOnlyStrictSessionAndWrongOnesAreSlowedDown) {
  // A wrong password: the form again, with the login kept and no cookie.
  httplib::Result wrong = Login("bb-mitte", "falsch-falsch-falsch");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_NE(wrong->body.find("Benutzername oder Passwort ist falsch"), std::string::npos);
  EXPECT_NE(wrong->body.find(R"(value="bb-mitte")"), std::string::npos);
  EXPECT_FALSE(wrong->has_header("Set-Cookie"));
  // A typed "login" that would forge a log line stays out of the log.
  ASSERT_EQ(Login("x\n2026-12-06 info web: 'admin' logged in", "falsch-falsch-falsch")->status,
            401);
  EXPECT_EQ(set_.Log("web").find("'admin' logged in"), std::string::npos) << set_.Log("web");
  // A login posted from another site: refused before the password is even looked at.
  httplib::Headers foreign = {{"Origin", "http://evil.example"}};
  const httplib::Params form = {{"login", "bb-mitte"}, {"password", passwords_["bb-mitte"]}};
  httplib::Result cross = Http().Post("/anmelden", foreign, form);
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->status, 403);
  EXPECT_FALSE(cross->has_header("Set-Cookie"));
  // The same host under another scheme (a proxy that speaks HTTPS) or a look-alike host.
  httplib::Headers proxied = {{"Origin", StrCat("https://127.0.0.1:", set_.WebPort())}};
  EXPECT_EQ(Http().Post("/anmelden", proxied, form)->status, 303);
  httplib::Headers lookalike = {{"Origin", StrCat("http://127.0.0.1:", set_.WebPort(), ".evil")}};
  EXPECT_EQ(Http().Post("/anmelden", lookalike, form)->status, 403);
  // The right one, with a cookie planted before: a new id all the same.
  httplib::Result right = Login("bb-mitte", passwords_["bb-mitte"], "planted-by-someone-else");
  ASSERT_TRUE(right);
  ASSERT_EQ(right->status, 303) << right->body;
  EXPECT_EQ(right->get_header_value("Location"), "/anfragen/neu");  // an office's first page
  const std::string set_cookie = right->get_header_value("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("planted-by-someone-else"), std::string::npos) << set_cookie;
  EXPECT_EQ(Get("/posteingang", "lotse_session=planted-by-someone-else")->status, 303);
  // Three more wrong passwords for ops: with the two above, five from this address. From
  // then on even the right password waits (the unit test tells login and address apart).
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Login("ops", StrCat("geraten-", i, "-geraten"))->status, 401);
  }
  httplib::Result slowed = Login("ops", passwords_["ops"]);
  ASSERT_TRUE(slowed);
  EXPECT_EQ(slowed->status, 429);
  EXPECT_FALSE(slowed->get_header_value("Retry-After").empty());
  EXPECT_NE(slowed->body.find("Zu viele Fehlversuche"), std::string::npos);
}

TEST_F(WebTerminalTest, TheInboxShowsTheDepartmentsMessagesAsTextAndFormsNeedTheirToken) {
  // A question whose subject tries to run a script in the department's browser.
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id("bb-mitte");
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(NewKey());
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office("bb-mitte");
  r->set_company_id("HRB-77001");
  r->set_company_name("Firma \"><img src=x onerror=alert(1)> GmbH");
  r->set_topic("baugenehmigung");
  r->set_subject("Lagerhalle <script>alert('x')</script>");
  r->set_text("Welche Unterlagen brauchen wir?");
  absl::StatusOr<lotse::v1::IntakeReply> submitted = set_.Intake(request);
  ASSERT_TRUE(submitted.ok() && submitted->has_submitted());
  const std::string case_number = submitted->submitted().case_number();

  const std::string bo = SessionOf(Login("bo-mueller", passwords_["bo-mueller"]));
  std::string page;
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result inbox = Get("/posteingang", bo);
    page = inbox ? inbox->body : "";
    return inbox && inbox->status == 200 && page.find(case_number) != std::string::npos;
  })) << page;
  EXPECT_NE(page.find("Bauordnungsamt (als Jana Müller)"), std::string::npos) << page;
  EXPECT_NE(page.find("&lt;script&gt;"), std::string::npos) << page;
  EXPECT_EQ(ForeignScripts(page), 0) << page;
  EXPECT_EQ(page.find("<img"), std::string::npos) << page;
  // The office sees its own inbox, not the department's.
  const std::string office = SessionOf(Login("bb-mitte", passwords_["bb-mitte"]));
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result inbox = Get("/posteingang", office);
    return inbox && inbox->status == 200 && inbox->body.find(case_number) != std::string::npos;
  }));
  EXPECT_EQ(Get("/posteingang", office)->body.find("Lagerhalle"), std::string::npos);

  // Marking read: refused without the token or with another session's, done with its own.
  const std::string token = FieldOf(page, "csrf");
  ASSERT_FALSE(token.empty()) << page;
  const std::string last = FieldOf(page, "bis");
  ASSERT_FALSE(last.empty()) << page;
  const std::string other_token = FieldOf(Get("/posteingang", office)->body, "csrf");
  for (const std::string& bad : {std::string(), other_token, token.substr(1)}) {
    httplib::Result refused = Post("/posteingang/gelesen", bo, {{"csrf", bad}, {"bis", last}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << "token '" << bad << "'";
  }
  EXPECT_NE(Get("/posteingang", bo)->body.find(case_number), std::string::npos);
  httplib::Result read = Post("/posteingang/gelesen", bo, {{"csrf", token}, {"bis", last}});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 303) << "token " << token << ": " << read->body;
  EXPECT_NE(Get("/posteingang", bo)->body.find("Keine ungelesenen Nachrichten"), std::string::npos);

  // Logout needs the token too; afterwards the cookie opens nothing.
  EXPECT_EQ(Post("/abmelden", bo, {{"csrf", other_token}})->status, 403);
  EXPECT_EQ(Get("/posteingang", bo)->status, 200);
  httplib::Result out = Post("/abmelden", bo, {{"csrf", token}});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 303);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(Get("/posteingang", bo)->status, 303);
}

}  // namespace
}  // namespace lotse::test
