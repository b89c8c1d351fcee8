#include "common/config/config.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/config/overrides.h"
#include "common/config/problems.h"
#include "common/config/reader.h"
#include "common/config/schema.h"
#include "common/config/validate.h"
#include "common/status_macros.h"

namespace lotse::config {
namespace internal {
// Defined in the generated default_config.cc (from default_config.cc.in and default_config.toml).
extern const std::string_view kDefaultConfigToml;

absl::TimeZone DefaultCityZone() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone berlin = absl::UTCTimeZone();
    absl::LoadTimeZone("Europe/Berlin", &berlin);
    return berlin;
  }();
  return zone;
}
}  // namespace internal

namespace {

using internal::Problems;
using internal::ToAbsl;

constexpr absl::string_view kBuiltinSource = "built-in default config";

// The ending that ParseConfig and Load share: reads `text` (from `source`) over the defaults,
// lets `apply_overrides` change the result (Load: the environment and the flags), then validates
// it. Every problem of the three steps is in the one InvalidArgument.
absl::StatusOr<Config> Assemble(
    absl::string_view text, const std::string& source,
    const std::function<void(Config* config, Problems* problems)>& apply_overrides) {
  Problems problems(source);
  Config config;
  const bool parsed = internal::ReadToml(text, source, internal::ConfigKeys(&config), &problems);
  apply_overrides(&config, &problems);
  // After a syntax error the file's content is unknown; checking the rest would only add noise.
  if (parsed) {
    internal::Validate(&config, &problems);
  }
  if (!problems.empty()) {
    return problems.ToStatus();
  }
  return config;
}

}  // namespace

std::string_view ServiceName(Service service) {
  switch (service) {
    case Service::kIntake:
      return "intake";
    case Service::kRouting:
      return "routing";
    case Service::kNotification:
      return "notification";
    case Service::kAudit:
      return "audit";
  }
  return "unknown";
}

std::vector<PrincipalEntry> Principals(const Config& config) {
  std::vector<PrincipalEntry> out;
  for (int i = 0; i < kServiceCount; ++i) {
    out.push_back({std::string(ServiceName(static_cast<Service>(i))), PrincipalKind::kService});
  }
  out.push_back({"ops", PrincipalKind::kOps});
  out.push_back({"admin", PrincipalKind::kAdmin});
  for (const Gateway& g : config.gateways) {
    out.push_back({g.id, PrincipalKind::kGateway});
  }
  for (const Office& o : config.offices) {
    out.push_back({o.id, PrincipalKind::kOffice});
  }
  for (const Department& d : config.departments) {
    out.push_back({d.id, PrincipalKind::kDepartment});
  }
  for (const KeyAccount& k : config.key_accounts) {
    out.push_back({k.id, PrincipalKind::kKeyAccount});
  }
  return out;
}

std::string_view PrincipalKindName(PrincipalKind kind) {
  switch (kind) {
    case PrincipalKind::kOffice:
      return "office";
    case PrincipalKind::kDepartment:
      return "department";
    case PrincipalKind::kKeyAccount:
      return "key account manager";
    case PrincipalKind::kOps:
      return "ops";
    case PrincipalKind::kAdmin:
      return "admin";
    case PrincipalKind::kService:
      return "service";
    case PrincipalKind::kGateway:
      return "gateway";
  }
  return "principal";
}

const std::string& Network::HostOf(std::string_view service, const std::string& door) const {
  auto it = hosts.find(std::string(service));
  return it != hosts.end() ? it->second : door;
}

std::string Network::CommandEndpoint(Service service) const {
  return absl::StrCat("tcp://", HostOf(ServiceName(service), CommandHost()), ":",
                      port_base + 2 * static_cast<int>(service));
}

std::string Network::WebCommandEndpoint() const {
  return absl::StrCat("tcp://", WebHost(), ":", port_base + kWebCommandPortOffset);
}

const std::string& Network::WebHost() const { return HostOf("web", CommandHost()); }

std::string Network::LogEndpoint(Service service) const {
  return absl::StrCat("tcp://", HostOf(ServiceName(service), LogHost()), ":",
                      port_base + 2 * static_cast<int>(service) + 1);
}

int Network::OpsPort(Service service) const {
  return port_base + 2 * kServiceCount + static_cast<int>(service);
}

const std::string& Network::OpsHostOf(Service service) const {
  return HostOf(ServiceName(service), OpsHost());
}

std::string Network::TapEndpoint(Service service) const {
  return absl::StrCat("tcp://", OpsHostOf(service), ":",
                      port_base + 3 * kServiceCount + static_cast<int>(service));
}

std::string Network::Bound(const std::string& endpoint) const {
  if (listen.empty()) {
    return endpoint;
  }
  const size_t port = endpoint.rfind(':');
  return absl::StrCat("tcp://", listen, endpoint.substr(port));
}

const std::string& Network::BoundHost(const std::string& host_reached) const {
  return listen.empty() ? host_reached : listen;
}

namespace {
template <typename T>
const T* FindById(const std::vector<T>& items, std::string_view id) {
  for (const T& item : items) {
    if (item.id == id) {
      return &item;
    }
  }
  return nullptr;
}
}  // namespace

const Department* Config::FindDepartment(std::string_view id) const {
  return FindById(departments, id);
}
const StaffMember* Department::FindStaff(std::string_view id) const {
  return FindById(staff, id);
}

std::pair<const Department*, const StaffMember*> Config::FindStaff(std::string_view id) const {
  for (const Department& department : departments) {
    if (const StaffMember* member = department.FindStaff(id); member != nullptr) {
      return {&department, member};
    }
  }
  return {nullptr, nullptr};
}

int Retention::PersonalDataDays(const Config& config, std::string_view topic) const {
  const Topic* found = config.FindTopic(topic);
  return found != nullptr && found->personal_data_days > 0 ? found->personal_data_days
                                                           : personal_data_days;
}

const Topic* Config::FindTopic(std::string_view id) const { return FindById(topics, id); }
const Office* Config::FindOffice(std::string_view id) const { return FindById(offices, id); }
const KeyAccount* Config::FindKeyAccount(std::string_view id) const {
  return FindById(key_accounts, id);
}

const KeyAccount* Config::KeyAccountForCompany(std::string_view company_id) const {
  const std::string wanted = internal::NormalizeCompany(ToAbsl(company_id));
  if (wanted.empty()) {
    return nullptr;
  }
  for (const KeyAccount& account : key_accounts) {
    for (const std::string& company : account.companies) {
      if (internal::NormalizeCompany(company) == wanted) {
        return &account;
      }
    }
  }
  return nullptr;
}

namespace {

// <data_dir>/<name>, with no double slash.
std::string DataSubdir(absl::string_view data_dir, absl::string_view name) {
  absl::string_view base = data_dir;
  while (base.size() > 1 && base.back() == '/') {
    base.remove_suffix(1);
  }
  if (base == "/") {
    return absl::StrCat("/", name);
  }
  return absl::StrCat(base, "/", name);
}

}  // namespace

std::string Config::ServiceDataDir(Service service) const {
  return DataSubdir(data_dir, ToAbsl(ServiceName(service)));
}

std::string Config::WebDataDir() const { return DataSubdir(data_dir, "web"); }

int Config::WebPort() const {
  return web.port != 0 ? web.port : network.port_base + kWebPortOffset;
}

std::string RedactedUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme_end == std::string_view::npos || at == std::string_view::npos || at < scheme_end) {
    return std::string(url);
  }
  std::string shown(url.substr(0, scheme_end + 3));
  shown += "***";
  shown += url.substr(at);
  return shown;
}

std::string_view DefaultConfigText() { return internal::kDefaultConfigToml; }

absl::StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  return Assemble(ToAbsl(toml_text), std::string(source_name), [](Config*, Problems*) {});
}

absl::StatusOr<Config> Load(const Overrides& flags) {
  const auto apply_overrides = [&flags](Config* config, Problems* problems) {
    internal::ApplyOverrides(flags, config, problems);
  };
  std::optional<std::string> path = flags.config_file;
  absl::string_view given_by = "--config";
  if (!path.has_value()) {
    path = internal::EnvironmentValue("LOTSE_CONFIG");
    given_by = "$LOTSE_CONFIG";
  }
  if (!path.has_value()) {
    return Assemble(ToAbsl(DefaultConfigText()), std::string(kBuiltinSource), apply_overrides);
  }
  LOTSE_ASSIGN_OR_RETURN(const std::string text, internal::ReadConfigFile(*path, given_by));
  return Assemble(text, *path, apply_overrides);
}

}  // namespace lotse::config
