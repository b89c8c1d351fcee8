// lotse-web: the web terminal. Serves the pages people use Lotse with, acting for each logged-in
// person through the services' command ports with the web's gateway key; keeps its accounts and
// sessions in its own RocksDB (<data-dir>/web).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/time/clock.h"
#include "common/auth/keyring.h"
#include "common/client/client.h"
#include "common/format.h"
#include "common/service/startup.h"
#include "common/service/stop_signal.h"
#include "common/service/systemd.h"
#include "services/web/account_door.h"
#include "services/web/accounts.h"
#include "services/web/first_accounts.h"
#include "services/web/server.h"
#include "services/web/sessions.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace {

constexpr store::Cf kAccounts = store::kFirstStateFamily;
constexpr store::Cf kSessions = store::kFirstStateFamily + 1;

int Run(int argc, char** argv, service::StopSignal& stop) {
  absl::StatusOr<config::Config> config =
      service::StartUp(argc, argv, "web", [](const config::Config&) { return 0; });
  if (!config.ok()) {
    std::fprintf(stderr, "lotse-web cannot start:\n%s\n",
                 std::string(config.status().message()).c_str());
    return service::kExitConfig;
  }
  if (absl::Status ready = service::PreflightWeb(*config); !ready.ok()) {
    return service::ExitCode(ready, "web");
  }
  store::Options options;
  options.path = config->WebDataDir();
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (!ec) {  // accounts and sessions: only lotse-web's own user may enter
    std::filesystem::permissions(options.path, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    spdlog::critical(
        "cannot create the data directory {} (mode 0700): {}; choose another with "
        "--data-dir",
        options.path, ec.message());
    return service::kExitDataDir;
  }
  options.state_families = {"state_accounts", "state_sessions"};
  options.min_free_bytes = static_cast<uint64_t>(config->limits.min_free_disk_mb) << 20;
  absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
  if (!store.ok()) {
    return service::ExitCode(store.status(), "web");
  }
  std::mutex store_mu;
  AccountStore accounts(store->get(), kAccounts, &store_mu);
  SessionStore sessions(store->get(), kSessions, &store_mu,
                        absl::Minutes(config->web.session_idle_minutes));
  const std::string passwords = options.path + "/initial-passwords";
  absl::StatusOr<size_t> created = CreateFirstAccounts(*config, accounts, passwords, absl::Now());
  if (!created.ok()) {
    return service::ExitCode(created.status(), "web");
  }
  if (*created > 0) {
    spdlog::info(
        "made {} accounts; their passwords are in {} (mode 0600): hand each person "
        "theirs, then delete the file",
        *created, passwords);
  }
  // Every request goes with the web's own key; the services let it act for the person.
  client::IdentityOptions identity;
  identity.identity_file = auth::SecretKeyFile(config->keys.Dir(config->data_dir), "web");
  client::ClientOptions client_options;
  client_options.timeout = absl::Milliseconds(config->limits.request_timeout_ms);
  client_options.retries = config->limits.request_retries;
  client::Client services(config->network, client_options,
                          client::Credentials::Load(*config, identity));
  WebServer server(*config, accounts, sessions, services);
  if (absl::Status bound = server.Bind(); !bound.ok()) {
    return service::ExitCode(bound, "web");
  }
  absl::StatusOr<std::unique_ptr<AccountDoor>> door = AccountDoor::Open(*config, accounts, **store);
  if (!door.ok()) {
    return service::ExitCode(door.status(), "web");
  }
  std::atomic<bool> served = false;
  std::thread serving([&] {
    server.Serve();
    served = true;
  });
  while (!server.Serving() && !served) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("web ready: {}://{}:{}/ (data {}; accounts door {} for 'lotse users')",
               server.tls() ? "https" : "http", config->network.WebHost(), config->WebPort(),
               options.path, config->network.WebCommandEndpoint());
  service::NotifyReady(
      StrCat("serving ", server.tls() ? "https" : "http", " on port ", config->WebPort()));
  // The admin's requests are answered here; idle sessions are swept once a minute; a stop
  // signal ends the loop.
  bus::Poller poller;
  poller.AddFd(stop.fd());
  const size_t door_item = poller.Add((*door)->socket());
  absl::Time next_sweep = absl::Now() + absl::Minutes(1);
  while (!stop.Consume()) {
    if (absl::Status waited = poller.Wait(absl::Seconds(1)); !waited.ok()) {
      spdlog::error("web: waiting for requests failed: {}", waited.message());
      break;
    }
    if (poller.readable(door_item)) {
      (*door)->AnswerWaiting();
    }
    if (absl::Now() >= next_sweep) {
      (void)sessions.Sweep(absl::Now());
      next_sweep = absl::Now() + absl::Minutes(1);
    }
  }
  server.Stop();
  serving.join();
  spdlog::info("web stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace lotse::web

int main(int argc, char** argv) {
  lotse::service::StopSignal stop;  // before any thread
  return lotse::web::Run(argc, argv, stop);
}
