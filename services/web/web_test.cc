// The web terminal's security core without HTTP: argon2id passwords, accounts and their checks,
// sessions stored under their hash with a CSRF token and an idle timeout, the login throttle,
// and the accounts a city starts with.
#include <sys/stat.h>

#include <set>

#include "absl/strings/str_split.h"
#include "common/client/client.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/store/store.h"
#include "gtest/gtest.h"
#include "services/web/accounts.h"
#include "services/web/first_accounts.h"
#include "services/web/passwords.h"
#include "services/web/sessions.h"
#include "services/web/throttle.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::web {
namespace {

using lotse::v1::AccountRole;

constexpr store::Cf kAccounts = store::kFirstStateFamily;
constexpr store::Cf kSessions = store::kFirstStateFamily + 1;
const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

const config::Config& City() {
  static const config::Config* city =
      new config::Config(*config::ParseConfig(config::DefaultConfigText(), "embedded"));
  return *city;
}

AccountRole Role(lotse::v1::ActorKind kind, std::string id, std::string user = "") {
  AccountRole r;
  r.set_kind(kind);
  r.set_id(std::move(id));
  r.set_user(std::move(user));
  return r;
}

class WebStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::Options options;
    options.path = dir_.Join("web");
    options.state_families = {"state_accounts", "state_sessions"};
    auto opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  test::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::mutex mu_;
};

TEST(PasswordsTest, Argon2idHashesVerifyOnlyTheirPassword) {
  absl::StatusOr<std::string> hash = HashPassword("Korrekt-Pferd-Batterie");
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find("Korrekt"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash, "Korrekt-Pferd-Batterie"));
  EXPECT_FALSE(VerifyPassword(*hash, "korrekt-Pferd-Batterie"));
  EXPECT_FALSE(VerifyPassword("not a hash", "Korrekt-Pferd-Batterie"));
  EXPECT_FALSE(VerifyPassword("", ""));
  // The same password twice: two salts, two hashes.
  EXPECT_NE(*hash, HashPassword("Korrekt-Pferd-Batterie").value_or(""));
  EXPECT_EQ(HashPassword("kurz").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PasswordsTest, RandomPasswordsAreLongReadableAndDifferent) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string p = client::RandomPassword();
    ASSERT_EQ(p.size(), 23u) << p;  // 20 characters and 3 dashes
    EXPECT_EQ(p.find_first_of("0O1lI"), std::string::npos) << p;
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST_F(WebStoreTest, AccountsAreCheckedStoredAndAuthenticated) {
  AccountStore accounts(store_.get(), kAccounts, &mu_);
  const auto added =
      accounts.Add(City(), "bo-mueller", "Jana Müller",
                   {Role(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung", "bo-mueller")},
                   "Lagerhalle-und-Laden", kNow);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_NE(added->password_hash(), "Lagerhalle-und-Laden");

  // Refused, nothing stored: a taken login, a bad login, a role the city has not.
  EXPECT_EQ(accounts
                .Add(City(), "bo-mueller", "X", {Role(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte")},
                     "ein-anderes-Passwort", kNow)
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  for (const char* bad : {"", "Bo-Mueller", "-x", "a b", "x/../y", "ä"}) {
    EXPECT_EQ(accounts
                  .Add(City(), bad, "X", {Role(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte")},
                       "ein-anderes-Passwort", kNow)
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << "'" << bad << "'";
  }
  const std::vector<std::vector<AccountRole>> unknown = {
      {},
      {Role(lotse::v1::ACTOR_KIND_OFFICE, "bb-nirgendwo")},
      {Role(lotse::v1::ACTOR_KIND_DEPARTMENT, "umwelt", "bo-mueller")},  // not umwelt's staff
      {Role(lotse::v1::ACTOR_KIND_DEPARTMENT, "kam-schneider", "bo-mueller")},
      {Role(lotse::v1::ACTOR_KIND_ADMIN, "root")},
      {Role(lotse::v1::ACTOR_KIND_SERVICE, "routing")},
  };
  for (const auto& roles : unknown) {
    EXPECT_EQ(accounts.Add(City(), "neu", "X", roles, "ein-anderes-Passwort", kNow).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  ASSERT_EQ(accounts.List()->size(), 1u);

  // One answer for a wrong password, an unknown login and a disabled account.
  ASSERT_TRUE(accounts.Authenticate("bo-mueller", "Lagerhalle-und-Laden").ok());
  const absl::Status wrong = accounts.Authenticate("bo-mueller", "lagerhalle-und-laden").status();
  const absl::Status nobody = accounts.Authenticate("bo-nobody", "Lagerhalle-und-Laden").status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(nobody, wrong);
  ASSERT_TRUE(accounts.SetDisabled("bo-mueller", true).ok());
  EXPECT_EQ(accounts.Authenticate("bo-mueller", "Lagerhalle-und-Laden").status(), wrong);
  ASSERT_TRUE(accounts.SetDisabled("bo-mueller", false).ok());
  ASSERT_TRUE(accounts.SetPassword("bo-mueller", "Neues-Passwort-2026", kNow).ok());
  EXPECT_FALSE(accounts.Authenticate("bo-mueller", "Lagerhalle-und-Laden").ok());
  EXPECT_TRUE(accounts.Authenticate("bo-mueller", "Neues-Passwort-2026").ok());
  EXPECT_EQ(accounts.SetPassword("bo-nobody", "Neues-Passwort-2026", kNow).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(WebStoreTest, SessionsLiveUnderTheirHashUntilLogoutOrIdle) {
  SessionStore sessions(store_.get(), kSessions, &mu_, absl::Minutes(30));
  absl::StatusOr<NewSession> a = sessions.Start("bb-mitte", 0, kNow);
  absl::StatusOr<NewSession> b = sessions.Start("bb-mitte", 0, kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id.size(), 43u);
  EXPECT_NE(a->id, b->id);  // a new id at every login
  EXPECT_NE(a->session.csrf_token(), b->session.csrf_token());
  // The store holds neither the id nor anything that contains it.
  int stored = 0;
  ASSERT_TRUE(store_
                  ->Scan(kSessions, "", "",
                         [&](std::string_view key, std::string_view value) {
                           ++stored;
                           EXPECT_EQ(key.find(a->id), std::string_view::npos);
                           EXPECT_EQ(value.find(a->id), std::string_view::npos);
                           return true;
                         })
                  .ok());
  EXPECT_EQ(stored, 2);

  auto used = sessions.Use(a->id, kNow + absl::Minutes(29));
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ((*used)->login(), "bb-mitte");
  EXPECT_TRUE(CsrfMatches(**used, a->session.csrf_token()));
  EXPECT_FALSE(CsrfMatches(**used, b->session.csrf_token()));
  EXPECT_FALSE(CsrfMatches(**used, ""));
  EXPECT_FALSE(CsrfMatches(**used, a->session.csrf_token().substr(1)));
  // Used at minute 29: it lives until minute 59 now, then it is gone for good.
  EXPECT_TRUE(sessions.Use(a->id, kNow + absl::Minutes(58))->has_value());
  EXPECT_FALSE(sessions.Use(a->id, kNow + absl::Minutes(58) + absl::Minutes(31))->has_value());
  EXPECT_FALSE(sessions.Use(a->id, kNow + absl::Minutes(59))->has_value());
  // Logout; ids that never were.
  ASSERT_TRUE(sessions.End(b->id).ok());
  EXPECT_FALSE(sessions.Use(b->id, kNow)->has_value());
  EXPECT_FALSE(sessions.Use("", kNow)->has_value());
  EXPECT_FALSE(sessions.Use(std::string(4096, 'a'), kNow)->has_value());
  // The sweep removes idle ones.
  ASSERT_TRUE(sessions.Start("admin", 0, kNow).ok());
  EXPECT_EQ(sessions.Sweep(kNow + absl::Hours(1)).value_or(0), 1u);
}

TEST(LoginThrottleTest, FailuresSlowTheLoginAndTheAddressDown) {
  LoginThrottle t;
  absl::Time now = kNow;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t.Wait("admin", "10.0.0.7", now), absl::ZeroDuration());
    t.Failed("admin", "10.0.0.7", now);
  }
  EXPECT_EQ(t.Wait("admin", "10.0.0.8", now), absl::Seconds(1));     // the login
  EXPECT_EQ(t.Wait("bb-mitte", "10.0.0.7", now), absl::Seconds(1));  // the address
  EXPECT_EQ(t.Wait("bb-mitte", "10.0.0.8", now), absl::ZeroDuration());
  for (int i = 0; i < 5; ++i) {
    now += absl::Seconds(40);
    t.Failed("admin", "10.0.0.7", now);
  }
  EXPECT_EQ(t.Wait("admin", "10.0.0.9", now), absl::Seconds(32));
  // The right password from another address clears the login, not the guessing address.
  t.Succeeded("admin");
  EXPECT_EQ(t.Wait("admin", "10.0.0.9", now), absl::ZeroDuration());
  EXPECT_EQ(t.Wait("ops", "10.0.0.7", now), absl::Seconds(32));
  // A quiet quarter of an hour forgets.
  EXPECT_EQ(t.Wait("ops", "10.0.0.7", now + absl::Minutes(20)), absl::ZeroDuration());
}

TEST_F(WebStoreTest, TheCityStartsWithAnAccountPerOfficeContactKamOpsAndAdmin) {
  AccountStore accounts(store_.get(), kAccounts, &mu_);
  const std::string file = dir_.Join("initial-passwords");
  absl::StatusOr<size_t> created = CreateFirstAccounts(City(), accounts, file, kNow);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::vector<FirstAccount> first = FirstAccounts(City());
  EXPECT_EQ(*created, first.size());
  std::set<std::string> logins;
  for (const FirstAccount& a : first) {
    logins.insert(a.login);
  }
  for (const char* login :
       {"bb-mitte", "bo-mueller", "um-wagner", "kam-schneider", "ops", "admin"}) {
    EXPECT_TRUE(logins.count(login)) << login;
  }
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Every line: login, password, what it acts for; each password opens its account.
  const std::string text = test::ReadFile(file);
  size_t lines = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> cells = absl::StrSplit(line, '\t');
    ASSERT_EQ(cells.size(), 3u) << line;
    EXPECT_TRUE(accounts.Authenticate(cells[0], cells[1]).ok()) << line;
    ++lines;
    if (cells[0] == "bo-mueller") {
      EXPECT_EQ(cells[2], "department bauordnung as bo-mueller");
    }
  }
  EXPECT_EQ(lines, first.size());
  // Every later start keeps them and writes nothing.
  EXPECT_EQ(CreateFirstAccounts(City(), accounts, file, kNow).value_or(99), 0u);
  EXPECT_EQ(test::ReadFile(file), text);
}

}  // namespace
}  // namespace lotse::web
