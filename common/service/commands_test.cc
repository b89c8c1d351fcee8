#include "common/service/commands.h"

#include "common/auth/keyring.h"
#include "common/config/config.h"
#include "gtest/gtest.h"

namespace lotse::service {
namespace {

lotse::v1::Actor Claimed(lotse::v1::ActorKind kind, const std::string& id) {
  lotse::v1::Actor actor;
  actor.set_kind(kind);
  actor.set_id(id);
  actor.set_user("jana");
  return actor;
}

// Whether the web gateway, allowed `acts_for`, may act as `claimed`.
bool WebMayActAs(std::vector<std::string> acts_for, const lotse::v1::Actor& claimed) {
  absl::StatusOr<config::Config> config = config::ParseConfig(config::DefaultConfigText(), "test");
  EXPECT_TRUE(config.ok()) << config.status();
  config->gateways.at(0).acts_for = std::move(acts_for);
  std::vector<std::string> warnings;
  absl::StatusOr<std::shared_ptr<const auth::Directory>> directory =
      auth::Directory::Build(*config, {}, /*strict=*/false, "test", &warnings);
  EXPECT_TRUE(directory.ok()) << directory.status();
  const auth::Principal* web = (*directory)->ById("web");
  EXPECT_NE(web, nullptr);
  absl::StatusOr<lotse::v1::Actor> actor = EffectiveActor(**directory, *web, claimed);
  if (actor.ok()) {
    EXPECT_EQ(actor->via(), "web");
    EXPECT_EQ(actor->user(), "jana");
  }
  return actor.ok();
}

TEST(EffectiveActorTest, AGatewayActsAsOpsOrAdminOnlyWhereItsConfigNamesThem) {
  using lotse::v1::ACTOR_KIND_ADMIN;
  using lotse::v1::ACTOR_KIND_OFFICE;
  using lotse::v1::ACTOR_KIND_OPS;
  // "*" is every office, department and KAM, not ops or admin.
  EXPECT_TRUE(WebMayActAs({"*"}, Claimed(ACTOR_KIND_OFFICE, "bb-mitte")));
  EXPECT_FALSE(WebMayActAs({"*"}, Claimed(ACTOR_KIND_ADMIN, "admin")));
  EXPECT_FALSE(WebMayActAs({"*"}, Claimed(ACTOR_KIND_OPS, "ops")));
  EXPECT_TRUE(WebMayActAs({"*", "admin"}, Claimed(ACTOR_KIND_ADMIN, "admin")));
  EXPECT_FALSE(WebMayActAs({"*", "admin"}, Claimed(ACTOR_KIND_OPS, "ops")));
  EXPECT_TRUE(WebMayActAs({"ops"}, Claimed(ACTOR_KIND_OPS, "")));
  EXPECT_FALSE(WebMayActAs({"ops"}, Claimed(ACTOR_KIND_OFFICE, "bb-mitte")));
  // Claiming admin under another principal's id does not sneak past the list.
  EXPECT_FALSE(WebMayActAs({"bb-mitte"}, Claimed(ACTOR_KIND_ADMIN, "bb-mitte")));
}

}  // namespace
}  // namespace lotse::service
