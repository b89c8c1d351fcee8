#include "common/service/startup.h"

#include <net/if.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/cord.h"
#include "absl/strings/str_split.h"
#include "common/auth/keyring.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/service/errors.h"
#include "common/service/systemd.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace lotse::service {

namespace {
config::Overrides& FlagsAtStart() {
  static config::Overrides flags;
  return flags;
}
}  // namespace

const config::Overrides& StartUpFlags() { return FlagsAtStart(); }

absl::StatusOr<config::Config> StartUp(int argc, char** argv, config::Service service) {
  return StartUp(argc, argv, config::ServiceName(service), [service](const config::Config& config) {
    return config.scheduling.nice[static_cast<int>(service)];
  });
}

absl::StatusOr<config::Config> StartUp(int argc, char** argv, std::string_view process,
                                       const std::function<int(const config::Config&)>& nice_of) {
  const std::string name(process);
  CLI::App app(StrCat("lotse-", name, ": the ", name, " service of Lotse"));
  config::Overrides flags;
  std::string config_file, data_dir, host, log_level, log_format, clock_start;
  int port_base = 0;
  double clock_speedup = 0;
  app.set_version_flag("--version", StrCat("lotse-", name, " ", Version()));
  app.add_option("--config", config_file, "TOML config file (default: the embedded sample city)");
  app.add_option("--data-dir", data_dir, "where the service keeps its RocksDB");
  app.add_option("--port-base", port_base, "first TCP port of the set (default 7100)");
  app.add_option("--host", host, "address to listen on (default 127.0.0.1)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|critical");
  app.add_option("--log-format", log_format, "text|json|journal");
  app.add_option("--clock-speedup", clock_speedup, "service time runs this many times faster");
  app.add_option("--clock-start", clock_start, "service time at start (RFC 3339)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  auto set = [](const std::string& v, std::optional<std::string>& out) {
    if (!v.empty()) {
      out = v;
    }
  };
  set(config_file, flags.config_file);
  set(data_dir, flags.data_dir);
  set(host, flags.host);
  set(log_level, flags.log_level);
  set(log_format, flags.log_format);
  set(clock_start, flags.clock_start);
  if (port_base != 0) {
    flags.port_base = port_base;
  }
  if (clock_speedup != 0) {
    flags.clock_speedup = clock_speedup;
  }
  FlagsAtStart() = flags;
  LOTSE_ASSIGN_OR_RETURN(config::Config config, config::Load(flags));
  LOTSE_RETURN_IF_ERROR(log::Init(name, config.log.level, config.log.format));
  CaptureProtobufLogs();
  // Before any thread exists, so ZeroMQ's and RocksDB's threads inherit it (on Linux a nice
  // value belongs to a thread).
  const int nice = nice_of(config);
  if (setpriority(PRIO_PROCESS, 0, nice) != 0) {
    spdlog::warn("cannot run at CPU priority (nice) {} as scheduling.{}_nice asks: {}; running at "
                 "{} instead. Lowering a nice value needs CAP_SYS_NICE",
                 nice, name, std::strerror(errno), getpriority(PRIO_PROCESS, 0));
  }
  spdlog::info("starting with:");
  for (absl::string_view line : absl::StrSplit(config::Describe(config), '\n', absl::SkipEmpty())) {
    spdlog::info("  {}", ToStd(line));
  }
  return config;
}

absl::StatusOr<RunnerOptions> MakeRunnerOptions(const config::Config& config,
                                                config::Service service) {
  RunnerOptions options;
  LOTSE_ASSIGN_OR_RETURN(std::unique_ptr<Security> security, Security::Load(config, service));
  options.security = std::move(security);
  options.socket_options.curve = options.security->Door(auth::Door::kCommand);
  options.log_socket_options = options.socket_options;
  options.log_socket_options.curve = options.security->Door(auth::Door::kLog);
  options.telemetry.tap_curve = options.security->Door(auth::Door::kTap);
  options.service = std::string(config::ServiceName(service));
  // Its own doors, bound where others reach them (or on network.listen).
  options.command_endpoint = config.network.Bound(config.network.CommandEndpoint(service));
  options.log_endpoint = config.network.Bound(config.network.LogEndpoint(service));
  options.socket_options.max_message_bytes = config.limits.max_message_bytes;
  options.log_socket_options.max_message_bytes = config.limits.max_message_bytes;
  options.log_options.wait_bound = absl::Milliseconds(config.limits.fetch_wait_ms);
  options.log_options.max_events = config.limits.fetch_max_events;
  options.log_options.max_bytes = config.limits.fetch_max_bytes;
  options.max_batch = config.limits.commit_max_batch;
  // The services that read our log: the outbox is trimmed only below what each of them
  // acknowledged.
  for (config::Service consumer : auth::ConsumersOf(service)) {
    options.log_options.known_consumers.emplace(config::ServiceName(consumer));
  }
  options.expiry = ExpiryOptionsFrom(config.retention);
  options.telemetry.ops_host = config.network.BoundHost(config.network.OpsHostOf(service));
  options.telemetry.ops_port = config.network.OpsPort(service);
  options.telemetry.tap_endpoint = config.network.Bound(config.network.TapEndpoint(service));
  options.telemetry.ready_max_lag = static_cast<uint64_t>(config.limits.ready_max_lag);
  options.telemetry.ready_max_silence = absl::Milliseconds(config.limits.ready_max_silence_ms);
  for (config::Service producer : auth::ProducersFor(service)) {
    bus::ConsumerOptions consumer;
    consumer.endpoint = config.network.LogEndpoint(producer);
    consumer.stream = std::string(config::ServiceName(producer));
    consumer.consumer = options.service;
    consumer.max_events = config.limits.fetch_max_events;
    consumer.max_bytes = config.limits.fetch_max_bytes;
    consumer.wait_bound = absl::Milliseconds(config.limits.fetch_wait_ms);
    consumer.reply_timeout = absl::Milliseconds(config.limits.request_timeout_ms);
    consumer.curve = options.security->ClientOf(producer);
    consumer.max_message_bytes = config.limits.max_message_bytes;
    options.consumers.push_back(std::move(consumer));
  }
  return options;
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenServiceStore(
    const config::Config& config, config::Service service, std::vector<std::string> families,
    std::vector<std::string> churning) {
  store::Options options;
  options.path = config.ServiceDataDir(service);
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  // The store holds personal data: only the service's own user may enter it.
  if (!ec) {
    std::filesystem::permissions(options.path, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    return WithExitCode(absl::UnavailableError(StrCat("cannot create the data directory ",
                                                      options.path, " (mode 0700): ", ec.message(),
                                                      "; choose another with --data-dir")),
                        kExitDataDir);
  }
  options.state_families = std::move(families);
  options.churning_families = std::move(churning);
  options.min_free_bytes = static_cast<uint64_t>(config.limits.min_free_disk_mb) << 20;
  return store::Store::Open(options);
}

void LogReady(const config::Config& config, config::Service service,
              const RunnerOptions& options, const store::Store& store) {
  const std::string_view name = config::ServiceName(service);
  if (options.log_endpoint.empty()) {
    spdlog::info("{} ready: commands on {}, store {}", name, options.command_endpoint,
                 config.ServiceDataDir(service));
    NotifyReady(StrCat("serving commands on ", options.command_endpoint));
    return;
  }
  spdlog::info("{} ready: commands on {}, events on {}, store {} (epoch {:016x}, {} events)",
               name, options.command_endpoint, options.log_endpoint,
               config.ServiceDataDir(service), store.epoch(), store.last_seq());
  NotifyReady(StrCat("serving commands on ", options.command_endpoint, ", events on ",
                     options.log_endpoint));
}

namespace {
constexpr absl::string_view kExitPayload = "lotse.exit_code";
}  // namespace

absl::Status WithExitCode(absl::Status status, int code) {
  status.SetPayload(kExitPayload, absl::Cord(std::to_string(code)));
  return status;
}

int ExitCode(const absl::Status& status, std::string_view service) {
  if (status.ok()) {
    spdlog::info("{} stopped cleanly", service);
    return 0;
  }
  spdlog::critical("{} cannot run: {}", service, status.message());
  int code = kExitFailure;
  if (const auto marked = status.GetPayload(kExitPayload); marked.has_value()) {
    code = std::stoi(std::string(*marked));
  }
  return code;
}

namespace {

absl::Status CheckDataDir(const std::string& dir, std::string_view process) {
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return WithExitCode(absl::FailedPreconditionError(StrCat(
                              "its data directory ", dir,
                              " is not a directory: move it away or choose another data_dir")),
                          kExitDataDir);
    }
    if (st.st_uid != geteuid() && geteuid() != 0) {
      return WithExitCode(
          absl::PermissionDeniedError(
              StrCat("its data directory ", dir, " belongs to user ", st.st_uid, ", not to user ",
                     geteuid(), " who runs lotse-", process, ": 'chown -R ", geteuid(), " ", dir,
                     "' (the unit's StateDirectory= does it), or choose another data_dir")),
          kExitDataDir);
    }
  } else if (errno != ENOENT) {
    return WithExitCode(
        absl::PermissionDeniedError(
            StrCat("its data directory ", dir, " cannot be examined: ", std::strerror(errno),
                   ": give the service's user access to it, or choose another data_dir")),
        kExitDataDir);
  }
  return absl::OkStatus();
}

absl::Status KeyProblem(const config::Config& config, absl::string_view problem) {
  return WithExitCode(
      absl::FailedPreconditionError(
          StrCat("its key cannot be used: ", problem, ". The keys live in ",
                 config.keys.Dir(config.data_dir),
                 " ([keys] dir); make them with 'lotse keys generate --out DIR' and give the "
                 "service's user read access")),
      kExitKeys);
}

// ZeroMQ binds "*" and interface names as well as addresses.
bool IsWildcardOrInterface(const std::string& host) {
  return host == "*" || if_nametoindex(host.c_str()) != 0;
}

absl::StatusOr<std::unique_ptr<addrinfo, void (*)(addrinfo*)>> Resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return absl::UnavailableError(gai_strerror(rc));
  }
  return std::unique_ptr<addrinfo, void (*)(addrinfo*)>(found, freeaddrinfo);
}

// Every address [network] names resolves; each one `process` binds (`bound`) is this host's.
absl::Status CheckNetwork(const config::Config& config, std::string_view process,
                          const std::vector<std::string>& bound) {
  const config::Network& net = config.network;
  std::vector<std::pair<std::string, std::string>> named = {{"[network] host", net.host}};
  for (const auto& [key, value] :
       {std::pair{"command_host", &net.command_host}, std::pair{"log_host", &net.log_host},
        std::pair{"ops_host", &net.ops_host}, std::pair{"listen", &net.listen}}) {
    if (!value->empty()) {
      named.emplace_back(StrCat("[network] ", key), *value);
    }
  }
  for (const auto& [service, address] : net.hosts) {
    named.emplace_back(StrCat("[network.hosts] ", service), address);
  }
  for (const auto& [key, address] : named) {
    if (IsWildcardOrInterface(address)) {
      continue;
    }
    if (absl::StatusOr<std::unique_ptr<addrinfo, void (*)(addrinfo*)>> found = Resolve(address);
        !found.ok()) {
      return WithExitCode(
          absl::UnavailableError(StrCat(
              key, " = \"", address, "\" cannot be resolved (", found.status().message(),
              "): correct the name in the config, or enter it in the DNS or /etc/hosts; under "
              "systemd lotse-",
              process, " tries again every 2 s")),
          kExitNetwork);
    }
  }
  for (const std::string& address : bound) {
    if (IsWildcardOrInterface(address)) {
      continue;
    }
    absl::StatusOr<std::unique_ptr<addrinfo, void (*)(addrinfo*)>> found = Resolve(address);
    if (!found.ok()) {
      continue;  // named above
    }
    // This host's if any of its addresses binds (port 0: any free one); "localhost" may name
    // an IPv6 address where IPv6 is off, and still bind as 127.0.0.1.
    bool local = false;
    bool unavailable = false;
    for (const addrinfo* a = found->get(); a != nullptr && !local; a = a->ai_next) {
      const int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        continue;
      }
      const int rc = bind(fd, a->ai_addr, a->ai_addrlen);
      const int error = errno;
      close(fd);
      local = rc == 0 || error != EADDRNOTAVAIL;
      unavailable = unavailable || (rc != 0 && error == EADDRNOTAVAIL);
    }
    if (!local && unavailable) {
      return WithExitCode(
          absl::UnavailableError(StrCat(
              "lotse-", process, " is to listen on ", address,
              ", which is not an address of this host: start it on the host the config names "
              "for it ([network.hosts]), or set [network] listen (\"0.0.0.0\" in a container)")),
          kExitNetwork);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Preflight(const config::Config& config, config::Service service) {
  const std::string name(config::ServiceName(service));
  if (absl::StatusOr<std::unique_ptr<Security>> keys = Security::Load(config, service);
      !keys.ok()) {
    return KeyProblem(config, keys.status().message());
  }
  LOTSE_RETURN_IF_ERROR(CheckDataDir(config.ServiceDataDir(service), name));
  const config::Network& net = config.network;
  return CheckNetwork(
      config, name,
      {net.BoundHost(net.HostOf(name, net.CommandHost())),
       net.BoundHost(net.HostOf(name, net.LogHost())), net.BoundHost(net.OpsHostOf(service))});
}

absl::Status PreflightWeb(const config::Config& config) {
  const std::string dir = config.keys.Dir(config.data_dir);
  if (absl::StatusOr<auth::Identity> own =
          auth::ReadIdentity(auth::SecretKeyFile(dir, "web"), "web");
      !own.ok()) {
    return KeyProblem(config, own.status().message());
  }
  LOTSE_RETURN_IF_ERROR(CheckDataDir(config.WebDataDir(), "web"));
  const config::Network& net = config.network;
  return CheckNetwork(config, "web", {net.BoundHost(net.WebHost())});
}

}  // namespace lotse::service
