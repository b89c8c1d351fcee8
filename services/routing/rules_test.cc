#include "services/routing/rules.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace lotse::routing {
namespace {

config::Config SampleCity() {
  absl::StatusOr<config::Config> config =
      config::ParseConfig(config::DefaultConfigText(), "embedded");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

absl::Time Berlin(int y, int m, int d, int hh, int mm) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &tz));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tz);
}

TEST(RulesTest, RoutesByTopicToTheResponsibleDepartment) {
  absl::StatusOr<Rules> rules = Rules::Create(SampleCity());
  ASSERT_TRUE(rules.ok()) << rules.status();
  absl::StatusOr<Decision> d = rules->Route("bb-mitte", "baugenehmigung", "HRB-99999");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->assignee, "bauordnung");
  EXPECT_EQ(d->responsible_department, "bauordnung");
  EXPECT_TRUE(d->key_account.empty());
}

TEST(RulesTest, SendsAKeyAccountCompanyToItsManagerFirst) {
  absl::StatusOr<Rules> rules = Rules::Create(SampleCity());
  ASSERT_TRUE(rules.ok());
  absl::StatusOr<Decision> d = rules->Route("bb-nord", "emissionsschutz", "HRB-20417");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->assignee, "kam-schneider");
  EXPECT_EQ(d->key_account, "kam-schneider");
  EXPECT_EQ(d->responsible_department, "umwelt");  // where the KAM forwards to
  EXPECT_NE(d->reason.find("key account"), std::string::npos);
}

TEST(RulesTest, AppliesAnOfficeOverride) {
  absl::StatusOr<Rules> rules = Rules::Create(SampleCity());
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->Route("bb-sued", "gewerbeflaechen", "X")->assignee, "wirtschaftsfoerderung");
  EXPECT_EQ(rules->Route("bb-mitte", "gewerbeflaechen", "X")->assignee, "liegenschaften");
}

TEST(RulesTest, RefusesAnUnknownTopic) {
  absl::StatusOr<Rules> rules = Rules::Create(SampleCity());
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->Route("bb-mitte", "raumfahrt", "X").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RulesTest, ComputesDueAndWarningInBusinessHours) {
  config::Config city = SampleCity();
  for (config::Department& d : city.departments) {
    if (d.id == "umwelt") {
      d.office_hours = "Mon-Fri 08:00-16:00";
      d.sla_hours = 24;
    }
  }
  absl::StatusOr<Rules> rules = Rules::Create(city);
  ASSERT_TRUE(rules.ok());
  // Monday 2 March 2026, 09:00: 7 h Monday + 8 h Tuesday + 8 h Wednesday + 1 h Thursday.
  const Deadlines d = rules->Schedule("umwelt", Berlin(2026, 3, 2, 9, 0));
  EXPECT_EQ(d.due, Berlin(2026, 3, 5, 9, 0));
  // 75 % of 24 h = 18 h: 7 + 8 + 3 -> Wednesday 11:00.
  EXPECT_EQ(d.warn, Berlin(2026, 3, 4, 11, 0));
}

TEST(RulesTest, SkipsEasterInNordrheinWestfalen) {
  config::Config city = SampleCity();
  for (config::Department& d : city.departments) {
    if (d.id == "umwelt") {
      d.office_hours = "Mon-Fri 08:00-16:00";
      d.sla_hours = 8;
    }
  }
  absl::StatusOr<Rules> rules = Rules::Create(city);
  ASSERT_TRUE(rules.ok());
  // Thursday 2 April 2026 15:00: 1 h left that day; Good Friday, the weekend and Easter
  // Monday are closed; 7 h more on Tuesday 7 April.
  EXPECT_EQ(rules->Schedule("umwelt", Berlin(2026, 4, 2, 15, 0)).due, Berlin(2026, 4, 7, 15, 0));
}

TEST(RulesTest, AKeyAccountManagerUsesTheHomeDepartmentsClock) {
  config::Config city = SampleCity();
  absl::StatusOr<Rules> rules = Rules::Create(city);
  ASSERT_TRUE(rules.ok());
  const absl::Time start = Berlin(2026, 3, 2, 9, 0);
  EXPECT_EQ(rules->Schedule("kam-schneider", start).due,
            rules->Schedule("wirtschaftsfoerderung", start).due);
  EXPECT_TRUE(rules->IsAssignee("kam-schneider"));
  EXPECT_FALSE(rules->IsDepartment("kam-schneider"));
}

}  // namespace
}  // namespace lotse::routing
