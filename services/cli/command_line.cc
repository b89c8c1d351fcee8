#include "services/cli/command_line.h"

#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "common/client/json.h"
#include "common/version.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

constexpr char kInstalledConfig[] = "/etc/lotse/lotse.toml";

// The lotse of the package (/usr/bin) reads the package's config, as its services do; a lotse of
// a build tree runs on the built-in sample city. --config and $LOTSE_CONFIG win.
void UseInstalledConfig(Globals& g) {
  const char* from_environment = std::getenv("LOTSE_CONFIG");
  if (!g.config_file.empty() || (from_environment != nullptr && *from_environment != '\0')) {
    return;
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && self.parent_path() == "/usr/bin" && std::filesystem::exists(kInstalledConfig, ec)) {
    g.config_file = kInstalledConfig;
  }
}

void AddConnectionOptions(CLI::App* app, Globals& g) {
  app->add_option("--config", g.config_file,
                  "TOML config file (default: $LOTSE_CONFIG, else /etc/lotse/lotse.toml for the "
                  "lotse installed in /usr/bin, else the built-in sample city)");
  app->add_option("--port-base", g.port_base,
                  "first TCP port of the set (default: $LOTSE_PORT_BASE, else the config's)")
      ->check(CLI::Range(1024, 65000));
  app->add_option("--host", g.host, "address of the services (default: the config's)");
  app->add_option("--identity", g.identity_file,
                  "this terminal's secret key file (default: $LOTSE_IDENTITY, else the key of "
                  "the office or department the command names, from --keys)");
  app->add_option("--keys", g.keys_dir,
                  "a keyring directory, as 'lotse keys generate' writes it (default: "
                  "$LOTSE_KEYS, else <data dir>/keys, where 'lotse up' keeps it)");
}

void AddGlobalOptions(CLI::App* app, Globals& g) {
  AddConnectionOptions(app, g);
  app->add_option("--timeout-ms", g.timeout_ms,
                  "wait this long for each of the tries (default: limits.request_timeout_ms)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--json", g.json, "print one JSON document on stdout instead of text");
}

bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json") {
      return true;
    }
  }
  return false;
}

}  // namespace

CommandLine::CommandLine()
    : app_(
          "lotse: the command-line client of Lotse, the referral backbone between citizen "
          "offices and departments",
          "lotse") {
  app_.set_version_flag("--version", StrCat("lotse ", Version()));
  app_.require_subcommand(1);
  app_.footer(
      "Exit codes: 0 ok, 1 the service refused, 2 usage error, 3 service unreachable.\n"
      "Environment: LOTSE_CONFIG, LOTSE_PORT_BASE, LOTSE_HOST (flags win).\n"
      "Run 'lotse <command> --help' for the options of a command.");
  AddGlobalOptions(&app_, globals_);
}

CLI::App* CommandLine::Add(const std::string& name, std::string description,
                           std::function<int(Session&)> run, CLI::App* parent) {
  if (parent == nullptr) {
    parent = &app_;
  }
  CLI::App* sub = parent->add_subcommand(name, std::move(description));
  AddGlobalOptions(sub, globals_);
  const std::string command =
      parent == &app_ ? StrCat("lotse ", name) : StrCat("lotse ", parent->get_name(), " ", name);
  commands_.emplace_back(sub, [command, run = std::move(run), this]() {
    Session session(command, globals_);
    if (int code = session.Init(); code != kExitOk) {
      return code;
    }
    return run(session);
  });
  return sub;
}

CLI::App* CommandLine::AddLocal(CLI::App* parent, const std::string& name, std::string description,
                                std::function<int(const Globals&)> run) {
  CLI::App* sub = parent->add_subcommand(name, std::move(description));
  AddConnectionOptions(sub, globals_);
  commands_.emplace_back(sub, [run = std::move(run), this]() { return run(globals_); });
  return sub;
}

int CommandLine::Run(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app_.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app_.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app_.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string name = "lotse";  // with the (nested) subcommands parsed so far
    for (CLI::App* level = &app_; level != nullptr;) {
      const std::vector<CLI::App*> parsed = level->get_subcommands();
      level = parsed.empty() ? nullptr : parsed.front();
      if (level != nullptr) {
        name = StrCat(name, " ", level->get_name());
      }
    }
    std::string message = StrCat(e.what(), "; see '", name, " --help'");
    if (name == "lotse" && argc > 1 && argv[1][0] != '-') {
      message = StrCat("'", argv[1], "' is not a command; see 'lotse --help' for the commands");
    }
    fmt::print(stderr, "{}: {}\n", name, message);
    if (WantsJson(argc, argv)) {
      fmt::print("{}\n",
                 client::ErrorJson(MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT, message)));
    }
    return kExitUsage;
  }
  UseInstalledConfig(globals_);
  for (const auto& [sub, run] : commands_) {
    if (sub->parsed()) {
      return run();
    }
  }
  return kExitUsage;  // require_subcommand(1) makes this unreachable
}

void AddRef(CLI::App* app, std::string& ref) {
  app->add_option("REF", ref, "referral id or case number, e.g. 2026-000123")->required();
}

void AddKey(CLI::App* app, std::string& key) {
  app->add_option("--key", key,
                  "idempotency key: repeating the command with the same key does not act twice "
                  "(default: a new random key)");
}

void AddOfficeOrDepartment(CLI::App* app, std::string& office, std::string& department,
                           const std::string& office_help, const std::string& department_help) {
  auto* office_option = app->add_option("--office", office, office_help);
  auto* department_option = app->add_option("--department", department, department_help);
  office_option->excludes(department_option);
  department_option->excludes(office_option);
}

void AddAskAs(CLI::App* app, std::string& office, std::string& department) {
  AddOfficeOrDepartment(app, office, department, "ask as this office",
                        "ask as this department or KAM");
}

}  // namespace lotse::cli
