// `similar`: the earlier answers of the caller's department like a referral (similar.h). Kept
// apart from routing_service.cc: the command reads the index and the referrals, nothing else.

#include <optional>
#include <string>

#include "common/format.h"
#include "common/service/errors.h"
#include "common/status_macros.h"
#include "services/routing/routing_service.h"

namespace lotse::routing {
namespace {

constexpr uint32_t kDefaultLimit = 5;
constexpr uint32_t kMaxLimit = 20;

}  // namespace

RoutingService::Reply RoutingService::Similar(const lotse::v1::RoutingRequest& request,
                                              service::CommandContext& context) {
  const lotse::v1::SimilarRequest& similar = request.similar();
  const lotse::v1::Actor& actor = request.actor();
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", similar.ref(), 64, true));
  if (similar.limit() > kMaxLimit) {
    return service::InvalidField(
        "limit", StrCat("limit is at most ", kMaxLimit, " earlier answers; ask for fewer"));
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<lotse::v1::ReferralState> found,
                         referrals_.Find(context.batch, similar.ref()));
  if (!found.has_value()) {
    return service::NotYours(actor, similar.ref());
  }
  // Only who may see the referral learns what is like it.
  LOTSE_ASSIGN_OR_RETURN(lotse::v1::ReferralState referral,
                         View(*std::move(found), actor, similar.ref()));
  // A department (or KAM) searches its own answers; admin those of the referral's assignee.
  similar::Query query;
  query.department =
      actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT ? actor.id() : referral.assignee();
  query.topic = referral.referral().topic();
  query.text = similar::TextOf(referral);
  query.exclude_id = referral.referral_id();
  query.limit = similar.limit() == 0 ? kDefaultLimit : similar.limit();
  LOTSE_ASSIGN_OR_RETURN(std::vector<similar::Hit> hits, similar_.Search(*store_, query));

  lotse::v1::RoutingReply reply;
  lotse::v1::SimilarReply* out = reply.mutable_similar();
  for (const similar::Hit& hit : hits) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<lotse::v1::ReferralState> earlier,
                           referrals_.Find(context.batch, hit.referral_id));
    // An entry whose referral is gone (erased) or has no answer now shows nothing.
    if (!earlier.has_value() || earlier->answer().text().empty()) {
      continue;
    }
    lotse::v1::SimilarReply::Match* match = out->add_matches();
    match->set_referral_id(earlier->referral_id());
    match->set_case_number(earlier->case_number());
    match->set_topic(hit.topic);
    match->set_same_topic(hit.same_topic);
    match->set_score(hit.score);
    match->set_subject(earlier->referral().subject());
    match->set_answer(earlier->answer().text());
    match->set_answered_at_us(earlier->answer().answered_at_us());
    match->set_outcome(earlier->answer().outcome());
  }
  return reply;
}

}  // namespace lotse::routing
