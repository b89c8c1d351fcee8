#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/service/backup.h"
#include "common/service/commands.h"
#include "common/service/runner.h"
#include "common/service/startup.h"
#include "common/service/stop_signal.h"
#include "common/status_macros.h"
#include "common/store/store.h"

namespace lotse::service {

// The base of every service: owns its clock, store and runner, and answers the command
// endpoint from the service's CommandTable. A service derives from it, declares its commands
// once in its constructor (Serve), opens its store and starts its runner in Create(), and
// implements only the rest of Handler (ApplyEvent, Tick, ...). The runner is destroyed before
// the store, the store before the clock. Not thread-safe: Run() and every call from the runner
// happen on the service thread.
template <typename Request, typename Reply>
class ServiceBase : public Handler {
 public:
  using Commands = CommandTable<Request, Reply>;
  using Command = typename Commands::Command;
  // Who may use a command, as the derived service's command table names it.
  static constexpr unsigned kOffices = service::kOffices;
  static constexpr unsigned kDepartments = service::kDepartments;
  static constexpr unsigned kOps = service::kOps;
  static constexpr unsigned kAdmin = service::kAdmin;

  // Runs the service until `stop` fires; OK after a clean stop.
  absl::Status Run(StopSignal& stop) { return runner_->Run(stop); }

  std::optional<std::string> HandleCommand(const bus::Request& request,
                                           const auth::Directory& directory, store::Batch& batch,
                                           absl::Time now) final {
    return commands_.Handle(request.body, request.caller, directory, batch, now, request.route);
  }
  std::string ErrorReply(std::string_view body, const absl::Status& status) final {
    return commands_.ErrorReply(body, status);
  }
  const google::protobuf::Descriptor* RequestDescriptor() const final {
    return Request::descriptor();
  }
  bool ServedWhileHeld(const bus::Request& request) const final {
    Request parsed;
    return parsed.ParseFromString(request.body) && parsed.command_case() == Request::kBackup;
  }

  // The service's own store, for harnesses that call the handler directly (the fuzzers): a
  // Batch must be opened on it.
  store::Store& StoreForTest() { return *store_; }

 protected:
  explicit ServiceBase(std::unique_ptr<clock::Clock> clock) : clock_(std::move(clock)) {}

  // Declares the service's commands; called once, from the derived constructor (the handlers
  // may capture `this`).
  // Every service also answers `lotse backup` (common/service/backup.h), the admin's only.
  void Serve(std::vector<Command> commands) {
    commands.push_back(Command{Request::kBackup, kAdmin,
                               [this](const Request& r, CommandContext&) -> absl::StatusOr<Reply> {
                                 LOTSE_ASSIGN_OR_RETURN(
                                     lotse::v1::BackupReply backup,
                                     HandleBackup(r.backup(), *store_, *runner_));
                                 Reply reply;
                                 *reply.mutable_backup() = std::move(backup);
                                 return reply;
                               }});
    commands_ = Commands(std::move(commands));
  }

  // Opens the store (OpenServiceStore). Called first in Create().
  absl::Status OpenStore(const config::Config& config, config::Service which,
                         std::vector<std::string> families,
                         std::vector<std::string> churning = {}) {
    LOTSE_ASSIGN_OR_RETURN(
        store_, OpenServiceStore(config, which, std::move(families), std::move(churning)));
    return absl::OkStatus();
  }

  // Binds the endpoints of `options` (MakeRunnerOptions, adjusted by the service), starts the
  // consumers and logs that the service is ready. Called last in Create(), after OpenStore.
  absl::Status StartRunner(const config::Config& config, config::Service which,
                           bus::Context& context, RunnerOptions options) {
    runner_ = std::make_unique<Runner>(context, *store_, *clock_, *this, options);
    LOTSE_RETURN_IF_ERROR(runner_->Start());
    LogReady(config, which, options, *store_);
    return absl::OkStatus();
  }

  const std::unique_ptr<clock::Clock> clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Runner> runner_;

 private:
  Commands commands_{{}};
};

}  // namespace lotse::service
