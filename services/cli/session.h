#pragma once

// One run of one `lotse` command that talks to the services: the options every command takes
// (Globals), the effective config, the city's time zone, the client, and the three things a
// command does with them: send a request (Call), print the result (Print) or an error (Fail).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/client/client.h"
#include "common/config/config.h"
#include "google/protobuf/message.h"
#include "lotse/v1/common.pb.h"
#include "services/cli/commands.h"

namespace lotse::cli {

// Options every command takes (command_line.cc declares them).
struct Globals {
  std::string config_file;
  std::string identity_file;  // --identity, else $LOTSE_IDENTITY
  std::string keys_dir;       // --keys, else $LOTSE_KEYS, else the config's keys dir
  int port_base = 0;          // 0: from the config (or $LOTSE_PORT_BASE)
  std::string host;
  int timeout_ms = 0;  // 0: limits.request_timeout_ms
  bool json = false;
};

// The config overrides the global options give (--config, --port-base, --host).
config::Overrides ToOverrides(const Globals& g);

// Sets `field` to `value` if the flag was given: not empty, not 0.
template <typename T>
void SetIfGiven(std::optional<T>& field, const T& value) {
  if (value != T{}) {
    field = value;
  }
}

// `text` on one line: the config's problems are one per line; the CLI reports every error on
// one line ("a\nb" -> "a; b").
std::string OneLine(std::string_view text);

lotse::v1::Error MakeError(lotse::v1::ErrorCode code, std::string message, std::string field = "");

// The reply type Client::Call gives for a request type (IntakeRequest -> IntakeReply).
template <typename Request>
using ReplyTo =
    typename decltype(std::declval<client::Client&>().Call(std::declval<Request>()))::value_type;

// One run of one command: its name for messages, the effective config, the city's time zone,
// and the client. Prints results and errors. Owned by the command's run; one thread.
class Session {
 public:
  Session(std::string command, Globals globals)
      : command_(std::move(command)), globals_(std::move(globals)) {}

  // Loads the config and prepares the client. Returns an exit code other than 0 on failure.
  int Init();

  const config::Config& config() const { return config_; }
  const absl::StatusOr<client::Credentials>& credentials() const { return credentials_; }
  const absl::TimeZone& zone() const { return zone_; }
  bool json() const { return globals_.json; }

  // Prints `error` (one line on stderr; {"error": ...} on stdout with --json); returns `code`.
  int Fail(int code, const lotse::v1::Error& error);

  // Sends `request` and checks the reply: returns 0 if it carries the `expected` result,
  // otherwise prints the error and returns the exit code.
  template <typename Request, typename Reply>
  int Call(Request request, typename Reply::ResultCase expected, Reply& reply) {
    absl::StatusOr<Reply> answer = client_->Call(std::move(request));
    if (!answer.ok()) {
      return FailUnanswered(answer.status());
    }
    if (answer->result_case() == Reply::kError) {
      return Fail(kExitRefused, answer->error());
    }
    if (answer->result_case() != expected) {
      return FailOtherResult();
    }
    reply = *std::move(answer);
    return kExitOk;
  }

  // Call, then `then(reply)` when the reply carries the `expected` result. Returns the exit
  // code of the one that failed, or what `then` returns.
  template <typename Request, typename Then>
  int CallThen(Request request, typename ReplyTo<Request>::ResultCase expected, Then then) {
    ReplyTo<Request> reply;
    if (int code = Call(std::move(request), expected, reply); code != kExitOk) {
      return code;
    }
    return then(reply);
  }

  // Prints `result` as JSON with --json, otherwise `text`. Returns the exit code.
  int Print(const google::protobuf::Message& result, const std::string& text);

 private:
  // No (usable) reply: PermissionDenied (the service refused our key) exits 1, the rest 3.
  int FailUnanswered(const absl::Status& status);
  // A reply with another result than asked for: lotse and the services differ.
  int FailOtherResult();

  std::string command_;
  Globals globals_;
  config::Config config_;
  absl::TimeZone zone_;
  std::unique_ptr<client::Client> client_;
  absl::StatusOr<client::Credentials> credentials_;
};

}  // namespace lotse::cli
