#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/keyring.h"
#include "common/bus/socket.h"
#include "common/format.h"
#include "common/service/errors.h"
#include "common/service/limits.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"

namespace lotse::service {

// Which kinds of actor may use a command (a bit set).
enum Allow : unsigned {
  kOffices = 1,
  kDepartments = 2,  // departments and key account managers
  kOps = 4,
  kAdmin = 8,
};

// Everything a command handler gets besides the request.
struct CommandContext {
  // Who connected, proved by its key (for a gateway: the gateway).
  const auth::Principal& principal;
  store::Batch& batch;
  absl::Time now;
  const bus::Frames& route;  // to answer a parked request later (Runner::Reply)
  bool parked = false;       // set by a handler that answers later instead of now
};

// On whose behalf a request acts, from the caller's key and the request's `actor`: the
// principal itself, where the actor may only add a staff member (`user`); for a gateway, the
// office, department or key account manager it names, if the gateway may act for it. A
// mismatch is PermissionDenied and says which key to use.
absl::StatusOr<lotse::v1::Actor> EffectiveActor(const auth::Directory& directory,
                                                const auth::Principal& principal,
                                                const lotse::v1::Actor& claimed);

// Only under the test fault "no-curve" (lotse-bench curve): the principal the request's actor
// claims to be, as before there were keys. nullptr otherwise: a request on a connection
// without a proved key has no caller.
const auth::Principal* PrincipalWithoutCurve(const auth::Directory& directory,
                                             const lotse::v1::Actor& claimed);

// The same answer for a referral that does not exist and one the caller may not see, so that a
// refusal never tells whether a referral exists.
absl::Status NotYours(const lotse::v1::Actor& actor, std::string_view ref);

// The parse, identity, permission and error plumbing every command endpoint shares. A service
// declares its commands as a table of (command, who may use it, handler); Handle() parses the
// request, checks every field against its wall (CheckFieldLimits: no accepted command can make
// an event its consumers cannot take), resolves the caller from the connection's User-Id,
// replaces the request's actor with the effective one, checks the table's permission, runs the
// handler and turns any error into the structured error reply carrying the request id. Request
// and Reply are a service's protobuf request (with request_id, actor and a `command` oneof) and
// reply (with request_id and an `error`). Immutable after construction; used by the service
// thread.
// "offices, departments and key account managers, admin"
std::string DescribeAllowed(unsigned allow);

template <typename Request, typename Reply>
class CommandTable {
 public:
  using Handler = std::function<absl::StatusOr<Reply>(const Request&, CommandContext&)>;
  struct Command {
    typename Request::CommandCase command;
    unsigned allow;  // Allow bits
    Handler handler;
  };

  explicit CommandTable(std::vector<Command> commands) : commands_(std::move(commands)) {}

  // The reply to `body` from the connection tagged `caller`; nullopt if the handler parked it.
  std::optional<std::string> Handle(std::string_view body, std::string_view caller,
                                    const auth::Directory& directory, store::Batch& batch,
                                    absl::Time now, const bus::Frames& route) const {
    Request request;
    if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      const std::string detail = TakeProtobufLog();
      return ErrorReply("", absl::InvalidArgumentError(
                                StrCat("the request is not a valid ",
                                       Request::descriptor()->full_name(),
                                       detail.empty() ? "" : ": ", detail)));
    }
    if (absl::Status limits = CheckFieldLimits(request); !limits.ok()) {
      return ErrorReply(body, limits);
    }
    const Command* command = Find(request.command_case());
    if (command == nullptr) {
      return ErrorReply(body, absl::InvalidArgumentError(
                                  StrCat("the request names no command: use ", Names())));
    }
    const auth::Principal* principal = caller.empty()
                                           ? PrincipalWithoutCurve(directory, request.actor())
                                           : directory.ByUserId(caller);
    if (principal == nullptr) {
      return ErrorReply(body, absl::PermissionDeniedError(
                                  "this connection's key is no longer listed: ask your "
                                  "administrator for a key that is"));
    }
    absl::StatusOr<lotse::v1::Actor> actor =
        EffectiveActor(directory, *principal, request.actor());
    if (!actor.ok()) {
      return ErrorReply(body, actor.status());
    }
    *request.mutable_actor() = *std::move(actor);
    if (absl::Status allowed = Check(*command, request.actor()); !allowed.ok()) {
      return ErrorReply(body, allowed);
    }
    CommandContext context{*principal, batch, now, route};
    absl::StatusOr<Reply> reply = command->handler(request, context);
    if (context.parked) {
      return std::nullopt;
    }
    if (!reply.ok()) {
      return ErrorReply(body, reply.status());
    }
    reply->set_request_id(request.request_id());
    return reply->SerializeAsString();
  }

  // The structured error reply to `body` (its request id, if it parses).
  std::string ErrorReply(std::string_view body, const absl::Status& status) const {
    Request request;
    Reply reply;
    if (request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      reply.set_request_id(request.request_id());
    }
    *reply.mutable_error() = ToError(status);
    return reply.SerializeAsString();
  }

 private:
  const Command* Find(typename Request::CommandCase which) const {
    for (const Command& c : commands_) {
      if (c.command == which) {
        return &c;
      }
    }
    return nullptr;
  }
  static std::string_view Name(typename Request::CommandCase which) {
    const auto* field = Request::descriptor()->FindFieldByNumber(static_cast<int>(which));
    return field != nullptr ? std::string_view(field->name()) : std::string_view("?");
  }
  std::string Names() const {
    std::string out;
    for (const Command& c : commands_) {
      out += out.empty() ? "" : ", ";
      out += Name(c.command);
    }
    return out;
  }
  static absl::Status Check(const Command& command, const lotse::v1::Actor& actor) {
    unsigned bit = 0;
    switch (actor.kind()) {
      case lotse::v1::ACTOR_KIND_OFFICE:
        bit = kOffices;
        break;
      case lotse::v1::ACTOR_KIND_DEPARTMENT:
        bit = kDepartments;
        break;
      case lotse::v1::ACTOR_KIND_OPS:
        bit = kOps;
        break;
      case lotse::v1::ACTOR_KIND_ADMIN:
        bit = kAdmin;
        break;
      default:
        break;
    }
    if ((command.allow & bit) != 0) {
      return absl::OkStatus();
    }
    return FieldError(absl::StatusCode::kPermissionDenied, "actor",
                      StrCat(Name(command.command), " is not for ", actor.id(), ": it is for ",
                             DescribeAllowed(command.allow)));
  }

  std::vector<Command> commands_;
};

}  // namespace lotse::service
