#include "common/service/commands.h"

#include <algorithm>

#include "common/service/unsafe.h"
#include "common/status_macros.h"

namespace lotse::service {
namespace {

using config::PrincipalKind;

lotse::v1::ActorKind KindOf(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kOffice:
      return lotse::v1::ACTOR_KIND_OFFICE;
    case PrincipalKind::kDepartment:
    case PrincipalKind::kKeyAccount:
      return lotse::v1::ACTOR_KIND_DEPARTMENT;
    case PrincipalKind::kOps:
      return lotse::v1::ACTOR_KIND_OPS;
    case PrincipalKind::kAdmin:
      return lotse::v1::ACTOR_KIND_ADMIN;
    case PrincipalKind::kService:
      return lotse::v1::ACTOR_KIND_SERVICE;
    case PrincipalKind::kGateway:
      break;
  }
  return lotse::v1::ACTOR_KIND_UNSPECIFIED;
}

std::string Describe(const lotse::v1::Actor& actor) {
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      return StrCat("office ", actor.id());
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      return StrCat("department ", actor.id());
    case lotse::v1::ACTOR_KIND_OPS:
      return "ops";
    case lotse::v1::ACTOR_KIND_ADMIN:
      return "admin";
    default:
      return actor.id().empty() ? std::string("nobody") : actor.id();
  }
}

}  // namespace

absl::StatusOr<lotse::v1::Actor> EffectiveActor(const auth::Directory& directory,
                                                const auth::Principal& principal,
                                                const lotse::v1::Actor& claimed) {
  if (!claimed.user().empty()) {
    LOTSE_RETURN_IF_ERROR(CheckId("actor.user", claimed.user()));
  }
  lotse::v1::Actor actor;
  actor.set_user(claimed.user());
  if (principal.kind != PrincipalKind::kGateway) {
    actor.set_kind(KindOf(principal.kind));
    actor.set_id(principal.id);
    const bool same_kind = claimed.kind() == lotse::v1::ACTOR_KIND_UNSPECIFIED ||
                           claimed.kind() == actor.kind();
    const bool same_id = claimed.id().empty() || claimed.id() == principal.id;
    if (!same_kind || !same_id || !claimed.via().empty()) {
      return FieldError(absl::StatusCode::kPermissionDenied, "actor",
                        StrCat("this terminal holds the key of ", Describe(actor),
                               " and cannot act as ", Describe(claimed),
                               ": use the key of ", claimed.id().empty() ? "that principal"
                                                                         : claimed.id()));
    }
    return actor;
  }
  // A gateway acts for a person it logged in, within the principals its config allows: "*"
  // stands for every office, department and KAM; ops and admin only where listed by name.
  const bool staff_role =
      claimed.kind() == lotse::v1::ACTOR_KIND_OPS || claimed.kind() == lotse::v1::ACTOR_KIND_ADMIN;
  const auth::Principal* behalf = directory.ById(
      staff_role ? std::string(claimed.kind() == lotse::v1::ACTOR_KIND_OPS ? "ops" : "admin")
                 : claimed.id());
  const bool person_unit =
      behalf != nullptr && (behalf->kind == PrincipalKind::kOffice ||
                            behalf->kind == PrincipalKind::kDepartment ||
                            behalf->kind == PrincipalKind::kKeyAccount);
  const auto& allowed = principal.acts_for;
  const bool listed =
      behalf != nullptr && std::find(allowed.begin(), allowed.end(), behalf->id) != allowed.end();
  const bool may = (person_unit &&
                    (listed || std::find(allowed.begin(), allowed.end(), "*") != allowed.end())) ||
                   (staff_role && listed);
  if (!may || claimed.user().empty() || KindOf(behalf->kind) != claimed.kind()) {
    return FieldError(absl::StatusCode::kPermissionDenied, "actor",
                      StrCat("gateway ", principal.id, " may not act as ", Describe(claimed),
                             claimed.user().empty() ? " without naming the person (actor.user)"
                                                    : "",
                             ": see gateways.acts_for in the config"));
  }
  actor.set_kind(KindOf(behalf->kind));
  actor.set_id(behalf->id);
  actor.set_via(principal.id);
  return actor;
}

const auth::Principal* PrincipalWithoutCurve(const auth::Directory& directory,
                                             const lotse::v1::Actor& claimed) {
  if (ActiveUnsafeFault() != UnsafeFault::kNoCurve) {
    return nullptr;
  }
  switch (claimed.kind()) {
    case lotse::v1::ACTOR_KIND_OPS:
      return directory.ById("ops");
    case lotse::v1::ACTOR_KIND_ADMIN:
      return directory.ById("admin");
    default:
      return directory.ById(claimed.id());
  }
}

absl::Status NotYours(const lotse::v1::Actor& actor, std::string_view ref) {
  return FieldError(absl::StatusCode::kNotFound, "ref",
                    StrCat(Describe(actor), " has no referral '", ref,
                           "': it does not exist, or it is not yours to see. Check the case "
                           "number"));
}

std::string DescribeAllowed(unsigned allow) {
  std::vector<std::string> who;
  if ((allow & kOffices) != 0) {
    who.emplace_back("citizen offices");
  }
  if ((allow & kDepartments) != 0) {
    who.emplace_back("departments and key account managers");
  }
  if ((allow & kOps) != 0) {
    who.emplace_back("ops");
  }
  if ((allow & kAdmin) != 0) {
    who.emplace_back("admin");
  }
  std::string out;
  for (size_t i = 0; i < who.size(); ++i) {
    out += i == 0 ? "" : (i + 1 == who.size() ? " and " : ", ");
    out += who[i];
  }
  return out.empty() ? std::string("nobody") : out;
}

}  // namespace lotse::service
