#include "services/web/account_door.h"

#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "common/format.h"
#include "common/service/errors.h"
#include "common/service/security.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace {

using lotse::v1::Account;
using lotse::v1::AccountReply;
using lotse::v1::AccountRequest;

constexpr std::string_view kDoor = "command";  // the ZAP domain, as the services' command doors

// The account as a reply may show it: never its password hash.
Account Shown(Account account) {
  account.clear_password_hash();
  return account;
}

AccountReply AccountOf(const absl::StatusOr<std::optional<Account>>& found,
                       std::string_view login) {
  AccountReply reply;
  if (found.ok() && found->has_value()) {
    *reply.mutable_account() = Shown(**found);
  } else {  // changed a moment ago: only a damaged store gets here
    *reply.mutable_error() = service::ToError(
        found.ok() ? absl::NotFoundError(StrCat("the account '", login, "' is gone"))
                   : found.status());
  }
  return reply;
}

}  // namespace

AccountDoor::AccountDoor(const config::Config& config, AccountStore& accounts, store::Store& store)
    : config_(config), accounts_(accounts), store_(store), table_(MakeTable()) {}

AccountDoor::~AccountDoor() = default;

absl::StatusOr<std::unique_ptr<AccountDoor>> AccountDoor::Open(const config::Config& config,
                                                               AccountStore& accounts,
                                                               store::Store& store) {
  std::unique_ptr<AccountDoor> door(new AccountDoor(config, accounts, store));
  const std::string dir = config.keys.Dir(config.data_dir);
  LOTSE_ASSIGN_OR_RETURN(auth::Identity identity,
                         auth::ReadIdentity(auth::SecretKeyFile(dir, "web"), "web"));
  std::vector<std::string> warnings;
  LOTSE_ASSIGN_OR_RETURN(door->directory_,
                         auth::Directory::Load(config, /*strict=*/false, &warnings));
  auto refusals = std::make_shared<service::RefusalLog>();
  LOTSE_ASSIGN_OR_RETURN(
      door->zap_,
      bus::ZapHandler::Start(
          door->context_,
          [directory = door->directory_, refusals](
              std::string_view domain, std::string_view key,
              std::string_view address) -> std::optional<std::string> {
            const auth::Principal* principal = directory->ByKey(key);
            if (domain == kDoor && principal != nullptr &&
                principal->kind == config::PrincipalKind::kAdmin) {
              return bus::UserId{principal->id, std::string(key)}.Format();
            }
            if (refusals->ShouldLog(std::string(key))) {
              spdlog::warn(
                  "refused a connection from {} to the accounts door: {} is not the admin's "
                  "key. Accounts are changed with 'lotse users' and the admin's key only",
                  address,
                  principal != nullptr ? StrCat(principal->id, "'s key ", key)
                                       : StrCat("the unlisted key ", key));
            }
            return std::nullopt;
          }));
  bus::SocketOptions options;
  options.curve.public_key = identity.keys.public_key;
  options.curve.secret_key = identity.keys.secret_key;
  options.curve.zap_domain = std::string(kDoor);
  options.max_message_bytes = config.limits.max_message_bytes;
  const std::string endpoint = config.network.Bound(config.network.WebCommandEndpoint());
  absl::StatusOr<bus::CommandServer> server =
      bus::CommandServer::Bind(door->context_, endpoint, options);
  if (!server.ok()) {
    return absl::Status(
        server.status().code(),
        StrCat("the accounts door cannot listen on ", endpoint, ": ", server.status().message(),
               "; is another Lotse set using this --port-base?"));
  }
  door->server_.emplace(*std::move(server));
  return door;
}

void AccountDoor::AnswerWaiting() {
  for (;;) {
    absl::StatusOr<std::optional<bus::Request>> request = server_->Receive();
    if (!request.ok()) {
      spdlog::warn("the accounts door could not read a request: {}", request.status().message());
      return;
    }
    if (!request->has_value()) {
      return;
    }
    bus::Request& r = **request;
    if (r.malformed) {
      server_->Reply(r.route, table_.ErrorReply("", absl::InvalidArgumentError(
                                                        "the request has the wrong shape: send "
                                                        "one lotse.v1.AccountRequest")));
      continue;
    }
    store::Batch unused(&store_);  // the accounts commit on their own (AccountStore)
    std::optional<std::string> reply =
        table_.Handle(r.body, r.caller, *directory_, unused, absl::Now(), r.route);
    if (reply.has_value()) {
      server_->Reply(r.route, *reply);
    }
  }
}

AccountDoor::Table AccountDoor::MakeTable() {
  using service::CommandContext;
  return Table({
      {AccountRequest::kAdd, service::kAdmin,
       [this](const AccountRequest& request,
              CommandContext& context) -> absl::StatusOr<AccountReply> {
         const lotse::v1::AddAccountRequest& add = request.add();
         std::vector<lotse::v1::AccountRole> roles(add.roles().begin(), add.roles().end());
         LOTSE_ASSIGN_OR_RETURN(
             Account account,
             accounts_.Add(config_, add.login(), add.display_name(), std::move(roles),
                           add.password(), context.now, add.key()));
         spdlog::info("the admin added the web account {}", add.login());
         AccountReply reply;
         *reply.mutable_account() = Shown(std::move(account));
         return reply;
       }},
      {AccountRequest::kPasswd, service::kAdmin,
       [this](const AccountRequest& request,
              CommandContext& context) -> absl::StatusOr<AccountReply> {
         const std::string& login = request.passwd().login();
         LOTSE_RETURN_IF_ERROR(
             accounts_.SetPassword(login, request.passwd().password(), context.now));
         spdlog::info("the admin set a new password for the web account {}; its sessions end",
                      login);
         return AccountOf(accounts_.Find(login), login);
       }},
      {AccountRequest::kDisable, service::kAdmin,
       [this](const AccountRequest& request, CommandContext&) -> absl::StatusOr<AccountReply> {
         const std::string& login = request.disable().login();
         LOTSE_RETURN_IF_ERROR(accounts_.SetDisabled(login, request.disable().disabled()));
         spdlog::info("the admin {} the web account {}",
                      request.disable().disabled() ? "disabled" : "enabled", login);
         return AccountOf(accounts_.Find(login), login);
       }},
      {AccountRequest::kList, service::kAdmin,
       [this](const AccountRequest&, CommandContext&) -> absl::StatusOr<AccountReply> {
         LOTSE_ASSIGN_OR_RETURN(std::vector<Account> accounts, accounts_.List());
         AccountReply reply;
         for (Account& account : accounts) {
           *reply.mutable_accounts()->add_accounts() = Shown(std::move(account));
         }
         return reply;
       }},
  });
}

}  // namespace lotse::web
