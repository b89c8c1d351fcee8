#pragma once

// The admin's door to lotse-web's accounts: `lotse users add|passwd|disable|enable|list`. A
// CurveZMQ command endpoint (network.WebCommandEndpoint(), port_base + 17) with lotse-web's own
// key ("web"); its ZAP handler admits the admin's key and no other, and the command table allows
// admin only, so an office's key is refused at the handshake and a forged actor at the table.
// Passwords travel inside CURVE's encryption and are stored only as argon2id hashes; replies
// never carry a hash. Owned by lotse-web's main thread, which polls socket().

#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "common/auth/keyring.h"
#include "common/bus/command.h"
#include "common/bus/curve.h"
#include "common/config/config.h"
#include "common/service/commands.h"
#include "common/store/store.h"
#include "lotse/v1/web.pb.h"
#include "services/web/accounts.h"

namespace lotse::web {

class AccountDoor {
 public:
  // Reads lotse-web's secret key and the key list, starts the ZAP handler and binds. Refuses
  // (naming the file or the endpoint) when the key is missing or the port is taken.
  static absl::StatusOr<std::unique_ptr<AccountDoor>> Open(const config::Config& config,
                                                           AccountStore& accounts,
                                                           store::Store& store);
  ~AccountDoor();
  AccountDoor(const AccountDoor&) = delete;
  AccountDoor& operator=(const AccountDoor&) = delete;

  bus::Socket& socket() { return server_->socket(); }
  // Answers every request waiting on the socket.
  void AnswerWaiting();

 private:
  using Table = service::CommandTable<lotse::v1::AccountRequest, lotse::v1::AccountReply>;
  AccountDoor(const config::Config& config, AccountStore& accounts, store::Store& store);
  Table MakeTable();

  const config::Config& config_;
  AccountStore& accounts_;
  store::Store& store_;  // only for the (unused) batch of a command's context
  std::shared_ptr<const auth::Directory> directory_;
  bus::Context context_;  // before the handler and the socket
  std::unique_ptr<bus::ZapHandler> zap_;
  std::optional<bus::CommandServer> server_;
  Table table_;
};

}  // namespace lotse::web
