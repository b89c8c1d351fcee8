#include "services/cli/session.h"

#include <cstdlib>

#include "common/client/json.h"
#include "common/format.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

client::IdentityOptions Identity(const Globals& g) {
  client::IdentityOptions options;
  options.identity_file = g.identity_file;
  options.keys_dir = g.keys_dir;
  if (const char* env = std::getenv("LOTSE_IDENTITY"); options.identity_file.empty() && env) {
    options.identity_file = env;
  }
  if (const char* env = std::getenv("LOTSE_KEYS"); options.keys_dir.empty() && env) {
    options.keys_dir = env;
  }
  return options;
}

}  // namespace

config::Overrides ToOverrides(const Globals& g) {
  config::Overrides overrides;
  SetIfGiven(overrides.config_file, g.config_file);
  SetIfGiven(overrides.port_base, g.port_base);
  SetIfGiven(overrides.host, g.host);
  return overrides;
}

std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "; ";
    } else {
      out += c;
    }
  }
  return out;
}

lotse::v1::Error MakeError(lotse::v1::ErrorCode code, std::string message, std::string field) {
  lotse::v1::Error error;
  error.set_code(code);
  error.set_message(std::move(message));
  error.set_field(std::move(field));
  return error;
}

int Session::Init() {
  absl::StatusOr<config::Config> loaded = config::Load(ToOverrides(globals_));
  if (!loaded.ok()) {
    return Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                      StrCat("the configuration is not usable: ",
                                             OneLine(ToStd(loaded.status().message())))));
  }
  config_ = *std::move(loaded);
  zone_ = config_.city.zone;
  client::ClientOptions options;
  options.timeout = absl::Milliseconds(globals_.timeout_ms > 0 ? globals_.timeout_ms
                                                               : config_.limits.request_timeout_ms);
  options.retries = config_.limits.request_retries;
  options.max_message_bytes = config_.limits.max_message_bytes;
  // Keys are needed only to talk to a service: status and lag read the ops HTTP ports.
  credentials_ = client::Credentials::Load(config_, Identity(globals_));
  client_ = std::make_unique<client::Client>(config_.network, options, credentials_);
  return kExitOk;
}

int Session::Fail(int code, const lotse::v1::Error& error) {
  fmt::print(stderr, "{}: {}\n", command_, error.message());
  if (globals_.json) {
    fmt::print("{}\n", client::ErrorJson(error));
  }
  return code;
}

int Session::FailUnanswered(const absl::Status& status) {
  const std::string message(ToStd(status.message()));
  if (absl::IsPermissionDenied(status)) {  // the service refused our key
    return Fail(kExitRefused, MakeError(lotse::v1::ERROR_CODE_PERMISSION_DENIED, message));
  }
  const bool unavailable = absl::IsUnavailable(status);
  return Fail(kExitUnavailable, MakeError(unavailable ? lotse::v1::ERROR_CODE_UNAVAILABLE
                                                      : lotse::v1::ERROR_CODE_INTERNAL,
                                          message));
}

int Session::FailOtherResult() {
  return Fail(kExitUnavailable,
              MakeError(lotse::v1::ERROR_CODE_INTERNAL,
                        "the service answered with another kind of result than asked for: "
                        "are lotse and the services from the same build?"));
}

int Session::Print(const google::protobuf::Message& result, const std::string& text) {
  if (!globals_.json) {
    fmt::print("{}", text);
    return kExitOk;
  }
  absl::StatusOr<std::string> json = client::ToJson(result);
  if (!json.ok()) {
    return Fail(kExitUnavailable, MakeError(lotse::v1::ERROR_CODE_INTERNAL,
                                            std::string(ToStd(json.status().message()))));
  }
  fmt::print("{}\n", *json);
  return kExitOk;
}

}  // namespace lotse::cli
