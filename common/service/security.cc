#include "common/service/security.h"

#include "absl/time/clock.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/service/startup.h"
#include "common/service/unsafe.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::service {

bool RefusalLog::ShouldLog(const std::string& what) {
  std::lock_guard<std::mutex> lock(mutex_);
  const absl::Time now = absl::Now();
  auto [it, inserted] = last_.emplace(what, now);
  if (!inserted && now - it->second < absl::Minutes(1)) {
    return false;
  }
  it->second = now;
  if (last_.size() > 10000) {
    last_.clear();
  }
  return true;
}

Security::Security(config::Config config, config::Service self, auth::Identity identity,
                   std::shared_ptr<const auth::Directory> directory)
    : config_(std::move(config)),
      self_(self),
      identity_(std::move(identity)),
      directory_(std::move(directory)) {}

absl::StatusOr<std::unique_ptr<Security>> Security::Load(const config::Config& config,
                                                         config::Service self) {
  const std::string name(config::ServiceName(self));
  const std::string dir = config.keys.Dir(config.data_dir);
  LOTSE_ASSIGN_OR_RETURN(auth::Identity identity,
                         auth::ReadIdentity(auth::SecretKeyFile(dir, name), name));
  LOTSE_ASSIGN_OR_RETURN(std::shared_ptr<const auth::Directory> directory,
                         auth::Directory::Load(config, /*strict=*/true, nullptr));
  const auth::Principal* listed = directory->ById(name);
  if (listed == nullptr || listed->public_key != identity.keys.public_key) {
    return absl::FailedPreconditionError(
        StrCat("the key in ", auth::SecretKeyFile(dir, name), " is not the one the key list "
               "gives for ", name, ": list its public key ", identity.keys.public_key,
               " or use the matching secret key file"));
  }
  for (config::Service producer : auth::ProducersFor(self)) {
    const auth::Principal* p = directory->ById(config::ServiceName(producer));
    if (p == nullptr || p->public_key.empty()) {
      return absl::FailedPreconditionError(
          StrCat("the key list gives no key for ", config::ServiceName(producer), ", whose log ",
                 name, " reads: list its public key"));
    }
  }
  return std::unique_ptr<Security>(
      new Security(config, self, std::move(identity), std::move(directory)));
}

bus::ZapHandler::Policy Security::PolicyFor(
    std::shared_ptr<const auth::Directory> directory) const {
  auto refusals = std::make_shared<RefusalLog>();
  const config::Service self = self_;
  return [directory = std::move(directory), refusals, self](
             std::string_view domain, std::string_view key,
             std::string_view address) -> std::optional<std::string> {
    const auth::Principal* principal = directory->ByKey(key);
    for (auth::Door door : {auth::Door::kCommand, auth::Door::kLog, auth::Door::kTap}) {
      if (domain == auth::DoorName(door) && principal != nullptr &&
          auth::MayPass(*principal, door, self)) {
        return bus::UserId{principal->id, std::string(key)}.Format();
      }
    }
    const std::string who = principal != nullptr ? StrCat(principal->id, "'s key ", key)
                                                 : StrCat("the key ", key);
    if (refusals->ShouldLog(StrCat(domain, key))) {
      spdlog::warn("refused a connection from {} to the {} door: {} {}. If this is one of "
                   "the city's terminals, list its public key in the config and send SIGHUP",
                   address, domain, who,
                   principal != nullptr ? "may not use this door"
                                        : "is not listed (or was revoked)");
    }
    return std::nullopt;
  };
}

absl::Status Security::Start(bus::Context& context) {
  if (ActiveUnsafeFault() == UnsafeFault::kNoCurve) {
    return absl::OkStatus();  // plain doors: nothing to ask a ZAP handler
  }
  LOTSE_ASSIGN_OR_RETURN(zap_, bus::ZapHandler::Start(context, PolicyFor(directory_)));
  return absl::OkStatus();
}

void Security::Reload() {
  absl::StatusOr<config::Config> fresh = config::Load(StartUpFlags());
  if (!fresh.ok()) {
    spdlog::error("SIGHUP: the config cannot be read, the old key list stays in force: {}",
                  fresh.status().message());
    return;
  }
  config::Config next = config_;
  next.keys = fresh->keys;
  next.gateways = fresh->gateways;
  std::vector<std::string> warnings;
  absl::StatusOr<std::shared_ptr<const auth::Directory>> loaded =
      auth::Directory::Load(next, /*strict=*/false, &warnings);
  if (!loaded.ok()) {
    spdlog::error("SIGHUP: the key list cannot be used, the old one stays in force: {}",
                  loaded.status().message());
    return;
  }
  for (const std::string& warning : warnings) {
    spdlog::warn("SIGHUP: {}", warning);
  }
  directory_ = *std::move(loaded);
  config_ = std::move(next);
  if (zap_ != nullptr) {
    zap_->SetPolicy(PolicyFor(directory_));
  }
  spdlog::info("SIGHUP: the key list was read again ({} principals)", directory_->size());
}

bus::CurveOptions Security::Own() const {
  bus::CurveOptions curve;
  if (ActiveUnsafeFault() != UnsafeFault::kNoCurve) {  // else plain: lotse-bench curve only
    curve.public_key = identity_.keys.public_key;
    curve.secret_key = identity_.keys.secret_key;
  }
  return curve;
}

bus::CurveOptions Security::Door(auth::Door door) const {
  bus::CurveOptions curve = Own();
  if (curve.enabled()) {
    curve.zap_domain = std::string(auth::DoorName(door));
  }
  return curve;
}

bus::CurveOptions Security::ClientOf(config::Service producer) const {
  bus::CurveOptions curve = Own();
  if (curve.enabled()) {
    const auth::Principal* p = directory_->ById(config::ServiceName(producer));
    curve.server_key = p != nullptr ? p->public_key : "";
  }
  return curve;
}

}  // namespace lotse::service
