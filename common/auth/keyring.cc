#include "common/auth/keyring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::auth {
namespace {

using config::PrincipalKind;

// Writes `text` to `path` (created with `mode`, replacing a file there) and syncs it.
absl::Status WriteFileWithMode(const std::string& path, std::string_view text, mode_t mode) {
  const std::string temp = path + ".new";
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::UnavailableError(StrCat("cannot write ", temp, ": ", std::strerror(errno)));
  }
  fchmod(fd, mode);  // whatever the umask said
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       fsync(fd) == 0;
  close(fd);
  if (!written || rename(temp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<toml::value> ParseTomlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  try {
    return toml::parse(in, path);
  } catch (const toml::exception& e) {
    // toml11 quotes the offending line, which in a secret key file is the secret: name only
    // where it is.
    return absl::InvalidArgumentError(StrCat(path, " is not valid TOML (line ", e.location().line(),
                                             "): compare it with a file 'lotse keys generate' "
                                             "wrote"));
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(StrCat(path, " is not valid TOML"));
  }
}

std::string StringAt(const toml::value& root, const std::string& key) {
  if (!root.is_table() || !root.contains(key) || !root.at(key).is_string()) {
    return "";
  }
  return root.at(key).as_string().str;
}

}  // namespace

std::string_view DoorName(Door door) {
  switch (door) {
    case Door::kCommand:
      return "command";
    case Door::kLog:
      return "log";
    case Door::kTap:
      return "tap";
  }
  return "door";
}

std::vector<config::Service> ProducersFor(config::Service consumer) {
  using config::Service;
  switch (consumer) {
    case Service::kIntake:
      return {Service::kRouting};
    case Service::kRouting:
      return {Service::kIntake};
    case Service::kNotification:
      return {Service::kIntake, Service::kRouting};
    case Service::kAudit:
      return {Service::kIntake, Service::kRouting, Service::kNotification};
  }
  return {};
}

std::vector<config::Service> ConsumersOf(config::Service producer) {
  std::vector<config::Service> out;
  for (int i = 0; i < config::kServiceCount; ++i) {
    const auto consumer = static_cast<config::Service>(i);
    for (config::Service p : ProducersFor(consumer)) {
      if (p == producer) {
        out.push_back(consumer);
      }
    }
  }
  return out;
}

bool MayPass(const Principal& principal, Door door, config::Service service) {
  if (principal.public_key.empty()) {
    return false;
  }
  switch (door) {
    case Door::kCommand:
      return true;
    case Door::kLog:
      if (principal.kind == PrincipalKind::kAdmin) {
        return true;  // a replay for debugging, as consumer "admin" (never recorded)
      }
      if (principal.kind != PrincipalKind::kService) {
        return false;
      }
      for (config::Service consumer : ConsumersOf(service)) {
        if (config::ServiceName(consumer) == principal.id) {
          return true;
        }
      }
      return false;
    case Door::kTap:
      return principal.kind == PrincipalKind::kOps || principal.kind == PrincipalKind::kAdmin;
  }
  return false;
}

absl::StatusOr<std::shared_ptr<const Directory>> Directory::Build(
    const config::Config& config, const std::map<std::string, std::string>& keys, bool strict,
    std::string_view source, std::vector<std::string>* warnings) {
  auto directory = std::make_shared<Directory>();
  std::vector<std::string> problems;
  for (const config::PrincipalEntry& entry : config::Principals(config)) {
    Principal principal{entry.id, entry.kind, "", {}};
    for (const config::Gateway& g : config.gateways) {
      if (g.id == entry.id) {
        principal.acts_for = g.acts_for;
      }
    }
    const auto key = keys.find(entry.id);
    if (key == keys.end()) {
      const std::string what = StrCat(config::PrincipalKindName(entry.kind), " '", entry.id,
                                      "' has no key in ", source);
      if (strict) {
        problems.push_back(StrCat(what, ": run 'lotse keys generate' and list its public key, "
                                        "or list it as \"revoked\""));
      } else if (warnings != nullptr) {
        warnings->push_back(StrCat(what, ": it is refused from now on"));
      }
    } else if (key->second != config::kRevokedKey) {
      if (!bus::IsZ85Key(key->second)) {
        problems.push_back(StrCat(source, ": the key of '", entry.id,
                                  "' is not a CurveZMQ public key (40 characters of Z85)"));
        continue;
      }
      const auto [it, inserted] = directory->id_by_key_.emplace(key->second, entry.id);
      if (!inserted) {
        problems.push_back(StrCat(source, ": '", entry.id, "' and '", it->second,
                                  "' have the same key; one key belongs to one principal only"));
        continue;
      }
      principal.public_key = key->second;
    }
    directory->by_id_.emplace(entry.id, std::move(principal));
  }
  for (const auto& [id, key] : keys) {
    if (!directory->by_id_.contains(id)) {
      problems.push_back(StrCat(source, ": '", id, "' is no principal of this config"));
    }
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  }
  return std::shared_ptr<const Directory>(std::move(directory));
}

absl::StatusOr<std::shared_ptr<const Directory>> Directory::Load(
    const config::Config& config, bool strict, std::vector<std::string>* warnings) {
  if (!config.keys.public_keys.empty()) {
    return Build(config, config.keys.public_keys, strict, "[keys.public] of the config", warnings);
  }
  const std::string path = PublicListFile(config.keys.Dir(config.data_dir));
  absl::StatusOr<std::map<std::string, std::string>> keys = ReadPublicList(path);
  if (!keys.ok()) {
    return absl::FailedPreconditionError(
        StrCat("no public keys: the config has no [keys.public] and ", keys.status().message(),
               ". Generate a keyring with 'lotse keys generate --out ", config.keys.Dir(config.data_dir),
               "' (lotse up does this on its first start)"));
  }
  return Build(config, *keys, strict, path, warnings);
}

const Principal* Directory::ById(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

const Principal* Directory::ByKey(std::string_view key) const {
  const auto it = id_by_key_.find(key);
  return it == id_by_key_.end() ? nullptr : ById(it->second);
}

const Principal* Directory::ByUserId(std::string_view user_id) const {
  const bus::UserId id = bus::UserId::Parse(user_id);
  const Principal* principal = ById(id.principal);
  if (principal == nullptr || principal->public_key.empty() || principal->public_key != id.key) {
    return nullptr;
  }
  return principal;
}

std::string SecretKeyFile(const std::string& dir, std::string_view principal) {
  return StrCat(dir, "/", principal, ".key");
}

std::string PublicListFile(const std::string& dir) { return StrCat(dir, "/public.toml"); }

absl::StatusOr<Identity> ReadIdentity(const std::string& path, std::string_view expected) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(StrCat("cannot read the secret key file ", path, ": ",
                                      std::strerror(errno)));
  }
  // As PostgreSQL treats its server key: a file of root's may let its group read it (root:lotse
  // 0640, the package's layout; a Kubernetes Secret volume's 0440 with fsGroup), one of any other
  // owner only its owner. Nobody else may ever read it, and no group may write it.
  const mode_t allowed = st.st_uid == 0 ? (S_IRUSR | S_IWUSR | S_IRGRP) : (S_IRUSR | S_IWUSR);
  if ((st.st_mode & (S_IRWXG | S_IRWXO) & ~allowed) != 0) {
    const std::string fix =
        st.st_uid == 0 ? StrCat("'chmod 640 ", path, "' (root:lotse) or 'chmod 600 ", path, "'")
                       : StrCat("'chmod 600 ", path, "'");
    return absl::PermissionDeniedError(
        StrCat("the secret key file ", path, " can be read by others (mode ",
               absl::StrFormat("%04o", st.st_mode & 07777),
               "): whoever reads it can act in its name. Run ", fix,
               ", and replace the key if others may have copied it"));
  }
  LOTSE_ASSIGN_OR_RETURN(toml::value root, ParseTomlFile(path));
  Identity identity;
  identity.principal = StringAt(root, "principal");
  identity.keys.public_key = StringAt(root, "public");
  identity.keys.secret_key = StringAt(root, "secret");
  if (identity.principal.empty() || !bus::IsZ85Key(identity.keys.secret_key)) {
    return absl::InvalidArgumentError(
        StrCat(path, " is not a Lotse secret key file (principal, public, secret): make a new "
                     "one with 'lotse keys generate'"));
  }
  absl::StatusOr<std::string> public_key = bus::PublicKeyOf(identity.keys.secret_key);
  if (!public_key.ok() || *public_key != identity.keys.public_key) {
    return absl::InvalidArgumentError(
        StrCat(path, ": its public and secret keys do not belong together; make a new one "
                     "with 'lotse keys generate'"));
  }
  if (!expected.empty() && identity.principal != expected) {
    return absl::InvalidArgumentError(StrCat(path, " holds the key of '", identity.principal,
                                             "', not of '", expected, "'"));
  }
  return identity;
}

absl::StatusOr<std::map<std::string, std::string>> ReadPublicList(const std::string& path) {
  LOTSE_ASSIGN_OR_RETURN(toml::value root, ParseTomlFile(path));
  std::map<std::string, std::string> out;
  if (!root.is_table() || !root.contains("keys") || !root.at("keys").is_table() ||
      !root.at("keys").contains("public") || !root.at("keys").at("public").is_table()) {
    return absl::InvalidArgumentError(StrCat(path, " has no [keys.public] table"));
  }
  for (const auto& [id, value] : root.at("keys").at("public").as_table()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(StrCat(path, ": keys.public.", id, " is not a string"));
    }
    out[id] = value.as_string().str;
  }
  return out;
}

absl::StatusOr<GeneratedKeyring> GenerateKeyring(const config::Config& config,
                                                 const std::string& dir) {
  // A new folder is its owner's alone; an existing one is closed to others but keeps its group's
  // read access (root:lotse 0750: the services enter it).
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  struct stat st {};
  if (ec || stat(dir.c_str(), &st) != 0 ||
      chmod(dir.c_str(), created ? 0700 : (st.st_mode & 0750)) != 0) {
    return absl::UnavailableError(StrCat("cannot create the key directory ", dir, ": ",
                                         ec ? ec.message() : std::strerror(errno)));
  }
  GeneratedKeyring result;
  result.public_list = PublicListFile(dir);
  // A principal revoked in the existing list stays revoked: a new keyring for new principals
  // must not bring a stolen key back.
  std::map<std::string, std::string> before;
  if (access(result.public_list.c_str(), F_OK) == 0) {
    LOTSE_ASSIGN_OR_RETURN(before, ReadPublicList(result.public_list));
  }
  std::ostringstream list;
  list << "# The public keys of " << config.city.name
       << "'s Lotse principals. Paste this table into the config,\n"
          "# or leave it here: a config without [keys.public] reads this file.\n"
          "[keys.public]\n";
  for (const config::PrincipalEntry& entry : config::Principals(config)) {
    const std::string path = SecretKeyFile(dir, entry.id);
    Identity identity;
    if (access(path.c_str(), F_OK) == 0) {
      LOTSE_ASSIGN_OR_RETURN(identity, ReadIdentity(path, entry.id));
      result.kept.push_back(entry.id);
    } else {
      LOTSE_ASSIGN_OR_RETURN(identity.keys, bus::NewCurveKeys());
      identity.principal = entry.id;
      const std::string text = StrCat(
          "# Lotse: the CurveZMQ key of ", config::PrincipalKindName(entry.kind), " ", entry.id,
          ".\n# Whoever holds this file acts as ", entry.id,
          ": keep it readable by its owner only (0600).\n", "principal = \"", entry.id,
          "\"\npublic = \"", identity.keys.public_key, "\"\nsecret = \"",
          identity.keys.secret_key, "\"\n");
      LOTSE_RETURN_IF_ERROR(WriteFileWithMode(path, text, 0600));
      result.created.push_back(entry.id);
    }
    const auto listed = before.find(entry.id);
    const bool revoked = listed != before.end() && listed->second == config::kRevokedKey;
    list << "\"" << entry.id << "\" = \""
         << (revoked ? std::string(config::kRevokedKey) : identity.keys.public_key) << "\"\n";
  }
  LOTSE_RETURN_IF_ERROR(WriteFileWithMode(result.public_list, list.str(), 0644));
  return result;
}

}  // namespace lotse::auth
