#include "common/config/config.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/config/calendars.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lotse::config {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

// The smallest valid configuration; tests append to it or replace parts of it.
constexpr std::string_view kMinimal = R"toml(
[routing]
default_department = "wifoe"

[[departments]]
id = "wifoe"
name = "Wirtschaftsförderung"
sla_hours = 8
office_hours = "Mon-Fri 08:00-16:00"

[[topics]]
id = "foerdermittel"
name = "Fördermittel"
department = "wifoe"

[[offices]]
id = "bb-mitte"
name = "Bürgerbüro Mitte"
)toml";

std::string Message(const absl::Status& status) { return std::string(status.message()); }

std::vector<std::string> Lines(const absl::Status& status) {
  return absl::StrSplit(Message(status), '\n');
}

// --- The embedded sample city -----------------------------------------------------------------

TEST(DefaultConfigTest, ParsesAndDescribesTheSampleCity) {
  const absl::StatusOr<Config> config = ParseConfig(DefaultConfigText(), "default_config.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->city.state, "NW");
  EXPECT_EQ(config->network.port_base, 7100);
  EXPECT_EQ(config->data_dir, "./var");
  EXPECT_GE(config->departments.size(), 8u);
  EXPECT_GE(config->topics.size(), 10u);
  EXPECT_EQ(config->offices.size(), 3u);
  EXPECT_EQ(config->key_accounts.size(), 2u);
  EXPECT_THAT(config->routing.overrides, SizeIs(1));
  EXPECT_THAT(config->city.closing_days, Contains("2026-12-24"));
  EXPECT_THAT(config->city.closing_days, Contains("2026-12-31"));
  for (const Department& department : config->departments) {
    EXPECT_GE(department.sla_hours, 8) << department.id;
    EXPECT_LE(department.sla_hours, 40) << department.id;
    EXPECT_THAT(department.email, HasSubstr("@example.org")) << department.id;
  }
  const Department* fallback = config->FindDepartment(config->routing.default_department);
  ASSERT_NE(fallback, nullptr);
  EXPECT_EQ(fallback->name, "Wirtschaftsförderung");
  for (const KeyAccount& account : config->key_accounts) {
    EXPECT_EQ(account.department, fallback->id) << account.id;
    EXPECT_FALSE(account.companies.empty()) << account.id;
  }
}

// --- Parsing and validation -------------------------------------------------------------------

TEST(ParseConfigTest, AcceptsMinimalConfigWithDefaults) {
  const absl::StatusOr<Config> config = ParseConfig(kMinimal, "lotse.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->city.timezone, "Europe/Berlin");
  EXPECT_EQ(config->network.port_base, 7100);
  EXPECT_EQ(config->log.level, "info");
  EXPECT_EQ(config->limits.max_subject_bytes, 200);
  EXPECT_EQ(config->routing.forward_limit, 3);
  EXPECT_FALSE(config->clock.start.has_value());
}

TEST(ParseConfigTest, ReportsEveryProblemInOneError) {
  const std::string text = R"toml(
[routing]
default_department = "wifoe"

[[departments]]
id = "wifoe"
name = "Wirtschaftsförderung"
sla_hours = -1
office_hours = "Mon-Fri 08:00-16:00"
colour = "blue"

[[topics]]
id = "foerdermittel"
name = "Fördermittel"
department = "stadtmarketing"

[[offices]]
id = "bb-mitte"
name = "Bürgerbüro Mitte"
)toml";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Lines(config.status()), SizeIs(3)) << config.status();
  const std::string message = Message(config.status());
  EXPECT_THAT(message, HasSubstr("lotse.toml: departments[0].colour: unknown key"));
  EXPECT_THAT(message, HasSubstr("lotse.toml: departments[0].sla_hours: must be > 0, got -1"));
  EXPECT_THAT(message, HasSubstr("lotse.toml: topics[0].department: no department with id "
                                 "\"stadtmarketing\""));
}

TEST(ParseConfigTest, AGatewayListedTwiceAndABadSmtpTlsAreRefused) {
  const std::string text =
      std::string(DefaultConfigText()) +
      "\n[[gateways]]\nid = \"web\"\nacts_for = [\"bb-mitte\"]\n"
      "\n[[gateways]]\nid = \"web\"\nacts_for = [\"*\"]\n";
  absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()),
              HasSubstr("lotse.toml: gateways[1].id: gateway \"web\" is listed twice"));
  std::string tls(DefaultConfigText());
  tls.replace(tls.find("[notification]"), 14, "[notification]\nsmtp_tls = \"maybe\"");
  config = ParseConfig(tls, "lotse.toml");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()), HasSubstr("notification.smtp_tls: expected \"required\""));
}

TEST(ParseConfigTest, SyntaxErrorNamesTheLine) {
  const std::string text = "[city]\nname = \"Musterstadt\"\nstate = \n";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()), HasSubstr("lotse.toml: line 3: TOML syntax error"));
  EXPECT_THAT(Lines(config.status()), SizeIs(1)) << config.status();
}

TEST(ParseConfigTest, TypoGetsDidYouMean) {
  std::string text(kMinimal);
  text.replace(text.find("sla_hours = 8"), 13, "sla_hour = 8");
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  const std::string message = Message(config.status());
  EXPECT_THAT(message, HasSubstr("departments[0].sla_hour: unknown key (did you mean "
                                 "\"sla_hours\"?)"));
  // The real key is now missing, which is a problem of its own.
  EXPECT_THAT(message, HasSubstr("departments[0].sla_hours: missing; required"));
}

TEST(ParseConfigTest, TopLevelTypoGetsDidYouMean) {
  const std::string text = std::string(kMinimal) + "[netwrok]\nport_base = 7200\n";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()),
              HasSubstr("netwrok: unknown key (did you mean \"network\"?)"));
}

TEST(ParseConfigTest, TopLevelKeyInsideTableIsExplained) {
  const std::string text =
      std::string(kMinimal) + "[network]\nport_base = 7200\ndata_dir = \"x\"\n";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()),
              HasSubstr("network.data_dir: unknown key here; data_dir is a top-level key and "
                        "must come before the first [table] header"));
}

TEST(ParseConfigTest, AcceptsIntegerWhereNumberExpected) {
  const std::string text = std::string(kMinimal) + "[clock]\nspeedup = 60\n";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_DOUBLE_EQ(config->departments[0].sla_hours, 8.0);
  EXPECT_DOUBLE_EQ(config->clock.speedup, 60.0);
}

TEST(ParseConfigTest, ReportsWrongTypeWithTheValue) {
  std::string text(kMinimal);
  text.replace(text.find("sla_hours = 8"), 13, "sla_hours = \"8\"");
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Lines(config.status()), SizeIs(1)) << config.status();
  EXPECT_THAT(Message(config.status()),
              HasSubstr("departments[0].sla_hours: expected a number, got a string (\"8\")"));
}

TEST(ParseConfigTest, ReportsMissingRequiredFieldsAndEmptyLists) {
  const std::string text = R"toml(
[[departments]]
id = "wifoe"
name = "Wirtschaftsförderung"
sla_hours = 8

[[key_accounts]]
id = "kam-a"
name = "A"
)toml";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  const std::string message = Message(config.status());
  EXPECT_THAT(message, HasSubstr("departments[0].office_hours: missing; required"));
  EXPECT_THAT(message, HasSubstr("key_accounts[0].department: missing; required"));
  EXPECT_THAT(message, HasSubstr("key_accounts[0].companies: missing; required"));
  EXPECT_THAT(message, HasSubstr("routing.default_department: missing; required"));
  EXPECT_THAT(message, HasSubstr("topics: at least one [[topics]] block is required"));
  EXPECT_THAT(message, HasSubstr("offices: at least one [[offices]] block is required"));
}

TEST(ParseConfigTest, ReportsIdAndKeyAccountConflicts) {
  const std::string text = std::string(kMinimal) + R"toml(
[[offices]]
id = "bb-mitte"
name = "Noch ein Bürgerbüro"

[[key_accounts]]
id = "wifoe"
name = "Anna Schneider"
department = "wifoe"
companies = ["HRB-20417"]

[[key_accounts]]
id = "kam-b"
name = "B"
department = "wifoe"
companies = ["hrb-20417"]

[[key_accounts]]
id = "Kam_C"
name = "C"
department = "wifoe"
companies = ["HRB-1"]
)toml";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  const std::string message = Message(config.status());
  EXPECT_THAT(message, HasSubstr("offices[1].id: \"bb-mitte\" is already used by offices[0]"));
  EXPECT_THAT(message, HasSubstr("key_accounts[0].id: \"wifoe\" is already the id of "
                                 "departments[0]"));
  EXPECT_THAT(message, HasSubstr("key_accounts[1].companies[0]: company \"hrb-20417\" is "
                                 "already assigned to key_accounts[0]"));
  EXPECT_THAT(message, HasSubstr("key_accounts[2].id: must match [a-z0-9][a-z0-9-]*"));
}

TEST(ParseConfigTest, ReportsValuesOutOfRange) {
  const std::string text = std::string(kMinimal) + R"toml(
[city]
state = "XX"
timezone = "Europe/Musterstadt"
closing_days = ["2026-12-24", "24.12.2026", 2026-12-31]

[network]
port_base = 80

[log]
level = "warning"
format = "xml"

[limits]
fetch_wait_ms = 0

[clock]
speedup = 0
start = "2026-03-02 08:00"
)toml";
  // kMinimal already has a [routing] table; put the extra keys into it.
  std::string with_routing = text;
  with_routing.replace(with_routing.find("default_department"), 0,
                       "forward_limit = 21\nwarning_share = 1.0\n");
  const absl::StatusOr<Config> config = ParseConfig(with_routing, "lotse.toml");
  ASSERT_FALSE(config.ok());
  const std::string message = Message(config.status());
  EXPECT_THAT(message,
              AllOf(HasSubstr("city.state: unknown federal state 'XX'"),
                    HasSubstr("city.timezone: unknown time zone"),
                    HasSubstr("city.closing_days[1]: expected a date \"YYYY-MM-DD\""),
                    HasSubstr("network.port_base: must be in 1024..65000, got 80"),
                    HasSubstr("log.level: must be one of"), HasSubstr("(did you mean \"warn\"?)"),
                    HasSubstr("log.format: must be one of text, json, journal, got \"xml\""),
                    HasSubstr("limits.fetch_wait_ms: must be > 0, got 0"),
                    HasSubstr("clock.speedup: must be > 0"),
                    HasSubstr("clock.start: expected an RFC 3339 time"),
                    HasSubstr("routing.forward_limit: must be in 0..20, got 21"),
                    HasSubstr("routing.warning_share: must be between 0 and 1")));
  EXPECT_THAT(Lines(config.status()), SizeIs(11)) << config.status();
}

TEST(ParseConfigTest, ReportsBadOfficeHoursAndDanglingOverride) {
  std::string text = std::string(kMinimal) + R"toml(
[[routing.overrides]]
office = "bb-nord"
topic = "foerdermittel"
department = "wifoe"
)toml";
  text.replace(text.find("Mon-Fri 08:00-16:00"), 19, "Mo-Fr 8-16");
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  const std::string message = Message(config.status());
  EXPECT_THAT(message, HasSubstr("departments[0].office_hours: cannot read 'Mo-Fr 8-16'"));
  EXPECT_THAT(message, HasSubstr("routing.overrides[0].office: no office with id \"bb-nord\""));
  EXPECT_THAT(Lines(config.status()), SizeIs(2)) << config.status();
}

TEST(ParseConfigTest, ReadsClockStartAndLineNumbers) {
  const std::string text =
      std::string(kMinimal) + "[clock]\nstart = \"2026-03-02T08:00:00+01:00\"\nspeedup = -2\n";
  const absl::StatusOr<Config> config = ParseConfig(text, "lotse.toml");
  ASSERT_FALSE(config.ok());
  // kMinimal has 18 lines (the first is empty); "[clock]" is line 19, speedup line 21.
  EXPECT_THAT(
      Message(config.status()),
      HasSubstr("lotse.toml: clock.speedup: must be > 0 (1 = real time), got -2 (line 21)"));

  const std::string valid =
      std::string(kMinimal) + "[clock]\nstart = 2026-03-02T08:00:00+01:00\nspeedup = 60\n";
  const absl::StatusOr<Config> parsed = ParseConfig(valid, "lotse.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->clock.start.has_value());
  EXPECT_EQ(*parsed->clock.start, absl::FromUnixSeconds(1772434800));  // 07:00 UTC
}

// --- Endpoints and lookups --------------------------------------------------------------------

TEST(ParseConfigTest, ResolvesTheTimeZoneOnceForEveryone) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal, "lotse.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->city.zone.name(), "Europe/Berlin");

  config = ParseConfig(std::string(kMinimal) + "[city]\ntimezone = \"America/New_York\"\n",
                       "lotse.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->city.zone.name(), "America/New_York");
  const absl::StatusOr<Calendars> calendars = BuildCalendars(*config);
  ASSERT_TRUE(calendars.ok()) << calendars.status();
  EXPECT_EQ(calendars->zone, config->city.zone);
}

TEST(ConfigTest, ACityMadeInCodeHasTheDefaultZone) {
  const Config config;
  EXPECT_EQ(config.city.timezone, "Europe/Berlin");
  EXPECT_EQ(config.city.zone.name(), "Europe/Berlin");
}

TEST(NetworkTest, EndpointsFollowPortBase) {
  Network network;
  network.host = "10.20.30.40";
  network.port_base = 9000;
  EXPECT_EQ(network.CommandEndpoint(Service::kIntake), "tcp://10.20.30.40:9000");
  EXPECT_EQ(network.LogEndpoint(Service::kIntake), "tcp://10.20.30.40:9001");
  EXPECT_EQ(network.CommandEndpoint(Service::kRouting), "tcp://10.20.30.40:9002");
  EXPECT_EQ(network.LogEndpoint(Service::kNotification), "tcp://10.20.30.40:9005");
  EXPECT_EQ(network.CommandEndpoint(Service::kAudit), "tcp://10.20.30.40:9006");
  EXPECT_EQ(network.LogEndpoint(Service::kAudit), "tcp://10.20.30.40:9007");
  EXPECT_EQ(network.WebCommandEndpoint(), "tcp://10.20.30.40:9017");
}

TEST(ParseConfigTest, SeveralHostsNameWhereEachServiceIsReachedAndWhatItBinds) {
  const std::string text = std::string(kMinimal) +
                           "[network]\nport_base = 9000\nlisten = \"0.0.0.0\"\n"
                           "[network.hosts]\nintake = \"10.77.0.1\"\n"
                           "audit = \"lotse-audit.lotse.svc\"\nweb = \"10.77.0.5\"\n";
  absl::StatusOr<Config> config = ParseConfig(text, "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  const Network& network = config->network;
  EXPECT_EQ(network.CommandEndpoint(Service::kIntake), "tcp://10.77.0.1:9000");
  EXPECT_EQ(network.LogEndpoint(Service::kIntake), "tcp://10.77.0.1:9001");
  EXPECT_EQ(network.CommandEndpoint(Service::kRouting), "tcp://127.0.0.1:9002");  // not named
  EXPECT_EQ(network.CommandEndpoint(Service::kAudit), "tcp://lotse-audit.lotse.svc:9006");
  EXPECT_EQ(network.OpsHostOf(Service::kIntake), "10.77.0.1");
  EXPECT_EQ(network.TapEndpoint(Service::kIntake), "tcp://10.77.0.1:9012");
  EXPECT_EQ(network.WebCommandEndpoint(), "tcp://10.77.0.5:9017");
  EXPECT_EQ(network.WebHost(), "10.77.0.5");
  // A service binds its own doors on `listen`.
  EXPECT_EQ(network.Bound(network.CommandEndpoint(Service::kAudit)), "tcp://0.0.0.0:9006");
  EXPECT_EQ(network.BoundHost(network.OpsHostOf(Service::kIntake)), "0.0.0.0");

  absl::StatusOr<Config> bad =
      ParseConfig(std::string(kMinimal) +
                      "[network]\nlisten = \"tcp://*\"\n[network.hosts]\nbilling = \"10.0.0.9\"\n"
                      "routing = \"10.0.0.2:7100\"\n",
                  "t.toml");
  ASSERT_FALSE(bad.ok());
  const std::string message(bad.status().message());
  EXPECT_THAT(message, HasSubstr("network.hosts.billing: not a service"));
  EXPECT_THAT(message, HasSubstr("network.hosts.routing:"));
  EXPECT_THAT(message, HasSubstr("network.listen:"));
}

TEST(ConfigTest, KeyAccountForCompanyFindsTheAssignedManager) {
  const absl::StatusOr<Config> config = ParseConfig(DefaultConfigText(), "default");
  ASSERT_TRUE(config.ok()) << config.status();
  const KeyAccount* account = config->KeyAccountForCompany("HRB-20417");
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(account->id, "kam-schneider");
  EXPECT_EQ(config->KeyAccountForCompany(" hrb-20417 "), account);
  const KeyAccount* other = config->KeyAccountForCompany("HRB-18842");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->id, "kam-yilmaz");
  EXPECT_EQ(config->KeyAccountForCompany("HRB-99999"), nullptr);
  EXPECT_EQ(config->KeyAccountForCompany(""), nullptr);
}

TEST(ConfigTest, FindsByIdAndNamesServiceDirectories) {
  const absl::StatusOr<Config> config = ParseConfig(DefaultConfigText(), "default");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_NE(config->FindTopic("baugenehmigung"), nullptr);
  EXPECT_EQ(config->FindTopic("baugenehmigung")->department, "bauordnung");
  EXPECT_NE(config->FindOffice("bb-sued"), nullptr);
  EXPECT_NE(config->FindKeyAccount("kam-yilmaz"), nullptr);
  EXPECT_EQ(config->FindDepartment("nope"), nullptr);
  EXPECT_EQ(config->ServiceDataDir(Service::kRouting), "./var/routing");
  EXPECT_EQ(ServiceName(Service::kNotification), "notification");
}

TEST(DescribeTest, SummarizesWithoutEmailAddresses) {
  const absl::StatusOr<Config> config = ParseConfig(DefaultConfigText(), "default");
  ASSERT_TRUE(config.ok()) << config.status();
  const std::string summary = Describe(*config);
  EXPECT_THAT(summary, HasSubstr("Musterstadt"));
  EXPECT_THAT(summary, HasSubstr("tcp://127.0.0.1:7100"));
  EXPECT_THAT(summary, HasSubstr("2 key accounts"));
  EXPECT_THAT(summary,
              HasSubstr("web: http://127.0.0.1:7116/, accounts door tcp://127.0.0.1:7117"));
  EXPECT_THAT(summary, Not(HasSubstr("@")));
}

TEST(ParseConfigTest, ReadsAndValidatesTheNotificationSection) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal, "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->notification.smtp_url.empty());  // e-mail off by default
  EXPECT_EQ(config->notification.retry_initial_ms, 1000);
  EXPECT_EQ(config->notification.max_attempts, 20);

  config = ParseConfig(std::string(kMinimal) +
                           "[notification]\nsmtp_url = \"smtp://127.0.0.1:2525\"\n"
                           "mail_from = \"lotse@stadt.example\"\nretry_initial_ms = 50\n"
                           "retry_max_ms = 400\nmax_attempts = 3\n",
                       "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->notification.smtp_url, "smtp://127.0.0.1:2525");
  EXPECT_EQ(config->notification.mail_from, "lotse@stadt.example");
  EXPECT_EQ(config->notification.retry_initial_ms, 50);
  EXPECT_EQ(config->notification.retry_max_ms, 400);
  EXPECT_EQ(config->notification.max_attempts, 3);
  EXPECT_THAT(Describe(*config), HasSubstr("e-mail: via smtp://127.0.0.1:2525"));

  const absl::StatusOr<Config> bad = ParseConfig(
      std::string(kMinimal) +
          "[notification]\nsmtp_url = \"http://mail\"\nmail_from = \"nobody\"\n"
          "retry_initial_ms = 0\nretry_max_ms = 10\nmax_attempts = 0\nsmtp_host = \"x\"\n",
      "t.toml");
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message = Message(bad.status());
  EXPECT_THAT(message, HasSubstr("notification.smtp_url: expected \"smtp://host:port\""));
  EXPECT_THAT(message, HasSubstr("notification.mail_from: expected an e-mail address"));
  EXPECT_THAT(message, HasSubstr("notification.retry_initial_ms: must be in 1..3600000, got 0"));
  EXPECT_THAT(message, HasSubstr("notification.max_attempts: must be in 1..1000, got 0"));
  EXPECT_THAT(message, HasSubstr("notification.smtp_host: unknown key"));
}

TEST(ParseConfigTest, ReadsTheWebsAccessibilityContact) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal, "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->web.accessibility_contact.empty());

  config = ParseConfig(
      std::string(kMinimal) + "[web]\naccessibility_contact = \"barrierefrei@stadt.example\"\n",
      "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->web.accessibility_contact, "barrierefrei@stadt.example");

  const absl::StatusOr<Config> bad = ParseConfig(
      std::string(kMinimal) + "[web]\naccessibility_contact = \"Rathaus Zimmer 3\"\n", "t.toml");
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(bad.status()),
              HasSubstr("web.accessibility_contact: expected an e-mail address"));
}

TEST(ParseConfigTest, ReadsAndValidatesTheSchedulingSection) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal, "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  // Under overload the front door goes first: notification and audit yield by default.
  EXPECT_EQ(config->scheduling.nice, (std::array<int, kServiceCount>{0, 0, 10, 10}));
  EXPECT_THAT(Describe(*config),
              HasSubstr("scheduling: nice intake 0, routing 0, notification 10, audit 10"));

  config = ParseConfig(std::string(kMinimal) + "[scheduling]\nrouting_nice = 5\naudit_nice = 19\n",
                       "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->scheduling.nice, (std::array<int, kServiceCount>{0, 5, 10, 19}));

  const absl::StatusOr<Config> bad = ParseConfig(
      std::string(kMinimal) +
          "[scheduling]\nintake_nice = -21\nnotification_nice = 20\naudit_nice = \"low\"\n"
          "mail_nice = 1\n",
      "t.toml");
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message = Message(bad.status());
  EXPECT_THAT(message, HasSubstr("scheduling.intake_nice: must be a nice value in -20..19, got -21"));
  EXPECT_THAT(message,
              HasSubstr("scheduling.notification_nice: must be a nice value in -20..19, got 20"));
  EXPECT_THAT(message, HasSubstr("scheduling.audit_nice: expected an integer"));
  EXPECT_THAT(message, HasSubstr("scheduling.mail_nice: unknown key"));
}

TEST(ParseConfigTest, ReadsAndValidatesTheRetentionSection) {
  absl::StatusOr<Config> config = ParseConfig(kMinimal, "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->retention.personal_data_days, 730);
  EXPECT_EQ(config->retention.referral_years, 6);
  EXPECT_EQ(config->retention.idempotency_days, 7);
  EXPECT_EQ(config->retention.PersonalDataDays(*config, "foerdermittel"), 730);

  std::string text(kMinimal);
  absl::StrReplaceAll({{"department = \"wifoe\"\n\n[[offices]]",
                        "department = \"wifoe\"\npersonal_data_days = 90\n\n[[offices]]"}},
                      &text);
  config = ParseConfig(text + "[retention]\npersonal_data_days = 365\nreferral_years = 2\n",
                       "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->retention.PersonalDataDays(*config, "foerdermittel"), 90);
  EXPECT_EQ(config->retention.PersonalDataDays(*config, "unknown"), 365);

  // Shorter than the documented minimum, or the referral before its personal data: refused.
  const absl::StatusOr<Config> bad = ParseConfig(
      std::string(kMinimal) +
          "[retention]\npersonal_data_days = 800\nreferral_years = 2\nidempotency_days = 0\n"
          "inbox_days = 3\n",
      "t.toml");
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message = Message(bad.status());
  EXPECT_THAT(message, HasSubstr("retention.idempotency_days: must be in 1..365, got 0"));
  EXPECT_THAT(message, HasSubstr("retention.inbox_days: must be in 7..3650, got 3"));
  EXPECT_THAT(message, HasSubstr("retention.referral_years: must be at least personal_data_days"));
  const absl::StatusOr<Config> short_topic = ParseConfig(
      std::string(kMinimal) + "[retention]\npersonal_data_days = 29\n", "t.toml");
  EXPECT_THAT(Message(short_topic.status()),
              HasSubstr("retention.personal_data_days: must be in 30..36500, got 29"));
}

TEST(DescribeTest, HidesSmtpCredentials) {
  const absl::StatusOr<Config> config = ParseConfig(
      std::string(kMinimal) +
          "[notification]\nsmtp_url = \"smtp://user:secret@mail.example:25\"\n",
      "t.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(Describe(*config), AllOf(HasSubstr("smtp://***@mail.example:25"),
                                       Not(HasSubstr("secret"))));
}

// --- Load: file, environment, flags -----------------------------------------------------------

// The names of every LOTSE_* variable set in this process's environment now.
std::vector<std::string> LotseVariables() {
  std::vector<std::string> names;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    if (variable.starts_with("LOTSE_")) {
      names.emplace_back(variable.substr(0, variable.find('=')));
    }
  }
  return names;
}

// Clears every LOTSE_* variable for the test and restores the previous values afterwards.
class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& name : LotseVariables()) {
      saved_[name] = std::getenv(name.c_str());
      unsetenv(name.c_str());
    }
  }
  void TearDown() override {
    for (const std::string& name : LotseVariables()) {
      unsetenv(name.c_str());
    }
    for (const auto& [name, value] : saved_) {
      setenv(name.c_str(), value.c_str(), /*overwrite=*/1);
    }
  }

  static std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

 private:
  std::map<std::string, std::string> saved_;
};

TEST_F(LoadTest, UsesEmbeddedDefaultWithoutFileOrEnvironment) {
  const absl::StatusOr<Config> config = Load(Overrides{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->city.name, "Musterstadt");
  EXPECT_EQ(config->network.port_base, 7100);
}

TEST_F(LoadTest, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
  const std::string path = WriteFile("lotse_env.toml", std::string(kMinimal) +
                                                           "[network]\nport_base = 7200\n"
                                                           "host = \"10.0.0.1\"\n");
  setenv("LOTSE_CONFIG", path.c_str(), 1);

  absl::StatusOr<Config> config = Load(Overrides{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->network.port_base, 7200);  // the file over the default
  EXPECT_EQ(config->network.host, "10.0.0.1");

  setenv("LOTSE_PORT_BASE", "7300", 1);
  setenv("LOTSE_LOG_LEVEL", "DEBUG", 1);
  setenv("LOTSE_DATA_DIR", "/srv/lotse", 1);
  setenv("LOTSE_CLOCK_START", "2026-03-02T08:00:00+01:00", 1);
  config = Load(Overrides{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->network.port_base, 7300);  // the environment over the file
  EXPECT_EQ(config->network.host, "10.0.0.1");
  EXPECT_EQ(config->log.level, "debug");
  EXPECT_EQ(config->ServiceDataDir(Service::kIntake), "/srv/lotse/intake");
  EXPECT_TRUE(config->clock.start.has_value());

  Overrides flags;
  flags.port_base = 7400;
  flags.log_level = "warn";
  flags.clock_start = "";  // back to the real clock
  config = Load(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->network.port_base, 7400);  // flags over the environment
  EXPECT_EQ(config->log.level, "warn");
  EXPECT_EQ(config->data_dir, "/srv/lotse");
  EXPECT_FALSE(config->clock.start.has_value());
}

TEST_F(LoadTest, SmtpEnvironmentSwitchesEmailOn) {
  setenv("LOTSE_SMTP_URL", "smtp://127.0.0.1:2525", 1);
  setenv("LOTSE_SMTP_RETRY_MS", "200", 1);
  absl::StatusOr<Config> config = Load(Overrides{});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->notification.smtp_url, "smtp://127.0.0.1:2525");
  EXPECT_EQ(config->notification.retry_initial_ms, 200);

  setenv("LOTSE_SMTP_RETRY_MS", "soon", 1);
  config = Load(Overrides{});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()), HasSubstr("$LOTSE_SMTP_RETRY_MS: "
                                                  "notification.retry_initial_ms: expected an "
                                                  "integer"));
}

TEST_F(LoadTest, ConfigFlagWinsOverEnvironmentFile) {
  setenv("LOTSE_CONFIG", "/nonexistent/env.toml", 1);
  Overrides flags;
  flags.config_file =
      WriteFile("lotse_flag.toml", std::string(kMinimal) + "[city]\nname = \"Flagstadt\"\n");
  const absl::StatusOr<Config> config = Load(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->city.name, "Flagstadt");
}

TEST_F(LoadTest, MalformedEnvironmentValuesNameTheVariable) {
  setenv("LOTSE_PORT_BASE", "71OO", 1);
  setenv("LOTSE_CLOCK_SPEEDUP", "fast", 1);
  setenv("LOTSE_LOG_FORMAT", "yaml", 1);
  const absl::StatusOr<Config> config = Load(Overrides{});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message = Message(config.status());
  EXPECT_THAT(message, HasSubstr("$LOTSE_PORT_BASE: network.port_base: expected an integer"));
  EXPECT_THAT(message, HasSubstr("$LOTSE_CLOCK_SPEEDUP: clock.speedup: expected a number"));
  EXPECT_THAT(message, HasSubstr("$LOTSE_LOG_FORMAT: log.format: must be one of text, json"));
  EXPECT_THAT(Lines(config.status()), SizeIs(3)) << config.status();
}

TEST_F(LoadTest, BadFlagValueNamesTheCommandLine) {
  Overrides flags;
  flags.port_base = 80;
  const absl::StatusOr<Config> config = Load(flags);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()),
              HasSubstr("command line: network.port_base: must be in 1024..65000, got 80"));
}

TEST_F(LoadTest, MissingFileErrorNamesThePath) {
  Overrides flags;
  flags.config_file = "/nonexistent/lotse.toml";
  absl::StatusOr<Config> config = Load(flags);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(config.status()),
              AllOf(HasSubstr("\"/nonexistent/lotse.toml\""), HasSubstr("--config FILE")));

  setenv("LOTSE_CONFIG", "/nonexistent/from-env.toml", 1);
  config = Load(Overrides{});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(config.status()),
              AllOf(HasSubstr("/nonexistent/from-env.toml"), HasSubstr("unset LOTSE_CONFIG")));
}

TEST_F(LoadTest, FileProblemsNameThePath) {
  const std::string path =
      WriteFile("lotse_bad.toml", std::string(kMinimal) + "[network]\nport_base = 99999\n");
  Overrides flags;
  flags.config_file = path;
  const absl::StatusOr<Config> config = Load(flags);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config.status()), HasSubstr(path + ": network.port_base: must be in"));
}

}  // namespace
}  // namespace lotse::config
