// Starting the set and making its keys: lotse up and lotse keys generate (command_line.h).
// Neither talks to a service; both load the config themselves.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/auth/keyring.h"
#include "common/config/config.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/supervisor.h"
#include "services/cli/table.h"

namespace lotse::cli {
namespace {

struct UpFlags {
  std::string data_dir, clock_start, log_level, log_format;
  double clock_speedup = 0;
};

// The effective config, or nullopt after "<command>: the configuration is not usable: ..." on
// stderr.
std::optional<config::Config> LoadConfig(std::string_view command,
                                         const config::Overrides& overrides) {
  absl::StatusOr<config::Config> config = config::Load(overrides);
  if (!config.ok()) {
    fmt::print(stderr, "{}: the configuration is not usable: {}\n", command,
               OneLine(ToStd(config.status().message())));
    return std::nullopt;
  }
  return *std::move(config);
}

int GenerateKeys(const Globals& g, const std::string& out) {
  std::optional<config::Config> config = LoadConfig("lotse keys generate", ToOverrides(g));
  if (!config.has_value()) {
    return kExitUsage;
  }
  absl::StatusOr<auth::GeneratedKeyring> keyring = auth::GenerateKeyring(*config, out);
  if (!keyring.ok()) {
    fmt::print(stderr, "lotse keys generate: {}\n", keyring.status().message());
    return kExitRefused;
  }
  fmt::print("{} new keypairs, {} kept, in {}\n", keyring->created.size(), keyring->kept.size(),
             out);
  fmt::print("Secret key files (mode 0600): {}/<principal>.key. Hand each terminal only its own.\n",
             out);
  fmt::print(
      "Public keys: {}. Paste its [keys.public] table into the config, then send SIGHUP "
      "to the services (or leave it there for a config without [keys.public]).\n",
      keyring->public_list);
  return kExitOk;
}

config::Overrides UpOverrides(const Globals& g, const UpFlags& f) {
  config::Overrides overrides = ToOverrides(g);
  SetIfGiven(overrides.data_dir, f.data_dir);
  SetIfGiven(overrides.clock_speedup, f.clock_speedup);
  SetIfGiven(overrides.clock_start, f.clock_start);
  SetIfGiven(overrides.log_format, f.log_format);
  SetIfGiven(overrides.log_level, f.log_level);
  return overrides;
}

// The flags every service is started with: the resolved data dir and port base, and what was
// given of the rest.
std::vector<std::string> ServiceArgs(const Globals& g, const UpFlags& f,
                                     const config::Config& config) {
  std::vector<std::string> args;
  if (!g.config_file.empty()) {
    args.insert(args.end(), {"--config", g.config_file});
  }
  args.insert(args.end(),
              {"--data-dir", config.data_dir, "--port-base", StrCat(config.network.port_base)});
  if (!g.host.empty()) {
    args.insert(args.end(), {"--host", g.host});
  }
  if (f.clock_speedup != 0) {
    args.insert(args.end(), {"--clock-speedup", fmt::format("{}", f.clock_speedup)});
  }
  if (!f.clock_start.empty()) {
    args.insert(args.end(), {"--clock-start", f.clock_start});
  }
  if (!f.log_format.empty()) {
    args.insert(args.end(), {"--log-format", f.log_format});
  }
  if (!f.log_level.empty()) {
    args.insert(args.end(), {"--log-level", f.log_level});
  }
  return args;
}

// A config that lists no keys runs on the keyring beside the data: made on the first start,
// kept (and completed for new principals) on every later one.
absl::Status EnsureKeyring(const config::Config& config) {
  if (!config.keys.public_keys.empty()) {
    return absl::OkStatus();
  }
  const std::string dir = config.keys.Dir(config.data_dir);
  // A whole keyring is left as it is: it may be root's, as the package's, which the services'
  // user reads but does not write.
  bool whole = access(auth::PublicListFile(dir).c_str(), F_OK) == 0;
  for (const config::PrincipalEntry& entry : config::Principals(config)) {
    whole = whole && access(auth::SecretKeyFile(dir, entry.id).c_str(), F_OK) == 0;
  }
  if (whole) {
    return absl::OkStatus();
  }
  absl::StatusOr<auth::GeneratedKeyring> keyring = auth::GenerateKeyring(config, dir);
  if (!keyring.ok()) {
    return keyring.status();
  }
  if (!keyring->created.empty()) {
    fmt::print("Keys: made {} new keypairs in {} (public list: {})\n", keyring->created.size(), dir,
               keyring->public_list);
  }
  return absl::OkStatus();
}

int Up(const Globals& g, const UpFlags& f) {
  std::optional<config::Config> config = LoadConfig("lotse up", UpOverrides(g, f));
  if (!config.has_value()) {
    return kExitUsage;
  }
  absl::StatusOr<std::string> bin_dir = OwnDirectory();
  if (!bin_dir.ok()) {
    fmt::print(stderr, "lotse up: {}\n", bin_dir.status().message());
    return kExitRefused;
  }
  SupervisorOptions options;
  options.bin_dir = *bin_dir;
  options.args = ServiceArgs(g, f, *config);
  if (absl::Status keys = EnsureKeyring(*config); !keys.ok()) {
    fmt::print(stderr, "lotse up: {}\n", keys.message());
    return kExitRefused;
  }
  Supervisor supervisor(kServiceSet, options);
  if (absl::Status checked = supervisor.Check(); !checked.ok()) {
    fmt::print(stderr, "lotse up: {}\n", checked.message());
    return kExitRefused;
  }

  std::error_code error;
  const std::filesystem::path data_dir = std::filesystem::absolute(config->data_dir, error);
  fmt::print("Lotse for {}: starting the {} services and the web terminal from {}\n",
             config->city.name, config::kServiceCount, *bin_dir);
  Table table({{"service", 16}, {"commands", 40}, {"events", 40}, {"data", 80}});
  for (int i = 0; i < config::kServiceCount; ++i) {
    const auto service = static_cast<config::Service>(i);
    table.AddRow({std::string(config::ServiceName(service)),
                  config->network.CommandEndpoint(service), config->network.LogEndpoint(service),
                  config->ServiceDataDir(service)});
  }
  const std::string web_url = StrCat(config->web.tls_cert.empty() ? "http" : "https", "://",
                                     config->network.WebHost(), ":", config->WebPort(), "/");
  table.AddRow({"web", web_url, "-", config->WebDataDir()});
  fmt::print("{}", table.Render());
  fmt::print("Data directory: {}\n", error ? config->data_dir : data_dir.string());
  fmt::print(
      "Web terminal: {} (first start: logins and passwords in {}/initial-passwords; more "
      "accounts: 'lotse users add' with the admin's key)\n",
      web_url, config->WebDataDir());
  if (config->clock.speedup != 1.0 || config->clock.start.has_value()) {
    fmt::print("Service clock: {}x real time, starting at {}\n", config->clock.speedup,
               config->clock.start.has_value()
                   ? absl::FormatTime("%Y-%m-%d %H:%M %Z", *config->clock.start, config->city.zone)
                   : std::string("now"));
  }
  fmt::print("Ctrl-C stops all.\n");
  std::fflush(stdout);

  if (absl::Status run = supervisor.Run(); !run.ok()) {
    fmt::print(stderr, "lotse up: {}\n", run.message());
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace

void AddUpCommand(CommandLine& cli) {
  auto f = std::make_shared<UpFlags>();
  CLI::App* sub = cli.AddLocal(
      cli.app(), "up",
      "start the services (intake, routing, notification, audit) and keep them running; Ctrl-C "
      "stops all",
      [f](const Globals& g) { return Up(g, *f); });
  sub->add_option("--data-dir", f->data_dir,
                  "where the services keep their databases (default: the config's data_dir)");
  sub->add_option("--clock-speedup", f->clock_speedup,
                  "service time runs this many times faster (demos, tests)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--clock-start", f->clock_start,
                  "service time at start, RFC 3339, e.g. 2026-03-02T08:00:00+01:00");
  sub->add_option("--log-level", f->log_level, "trace|debug|info|warn|error|critical");
  sub->add_option("--log-format", f->log_format,
                  "text (default) or json: one JSON object per line for journald/Loki")
      ->check(CLI::IsMember({"text", "json"}));
}

void AddKeysCommand(CommandLine& cli) {
  auto out = std::make_shared<std::string>();
  CLI::App* keys = cli.app()->add_subcommand("keys", "CurveZMQ keys of the principals");
  keys->require_subcommand(1);
  CLI::App* sub = cli.AddLocal(keys, "generate",
                               "give every principal of the config a keypair (keeps existing ones)",
                               [out](const Globals& g) { return GenerateKeys(g, *out); });
  sub->add_option("--out", *out, "the keyring directory to write")->required();
}

}  // namespace lotse::cli
