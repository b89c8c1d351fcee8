// lotse backup (admin, against the running set) and lotse restore (offline): the operator's
// routine is in the README ("Backup and restore").

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "common/client/client.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifest = "lotse-backup.txt";
constexpr const char* kServices[] = {"intake", "routing", "notification", "audit"};
constexpr uint32_t kHoldMs = 3000;

lotse::v1::BackupRequest Phase(lotse::v1::BackupPhase phase, const std::string& dir = "") {
  lotse::v1::BackupRequest backup;
  backup.set_phase(phase);
  backup.set_dir(dir);
  backup.set_hold_ms(kHoldMs);
  return backup;
}

// Makes the backup folder `dir` and its missing parents. Run by root (the package's admin) under
// a folder of another user's (/var/backups/lotse is lotse's), each new folder is given to that
// user, whose services write the checkpoints into it. Every step goes through a descriptor
// opened without following links: the owner of the folder above cannot turn a chown of root's
// towards another file by swapping a folder for a link.
absl::Status MakeBackupDir(const fs::path& dir) {
  std::vector<fs::path> missing;
  fs::path base = dir;
  std::error_code error;
  while (!fs::exists(base, error) && base.has_relative_path()) {
    missing.push_back(base.filename());
    base = base.parent_path();
  }
  struct stat st {};
  if (stat(base.c_str(), &st) != 0) {
    return absl::NotFoundError(
        StrCat("cannot examine ", base.string(), ": ", std::strerror(errno)));
  }
  const bool give = geteuid() == 0 && st.st_uid != 0;
  int fd = open(base.c_str(), O_DIRECTORY | O_CLOEXEC);
  for (auto name = missing.rbegin(); fd >= 0 && name != missing.rend(); ++name) {
    int next = -1;
    if (mkdirat(fd, name->c_str(), 0700) == 0 || errno == EEXIST) {
      next = openat(fd, name->c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next >= 0 && give && fchown(next, st.st_uid, st.st_gid) != 0) {
      close(next);
      next = -1;
    }
    close(fd);
    fd = next;
  }
  if (fd < 0) {
    return absl::UnavailableError(StrCat("cannot make ", dir.string(), ": ", std::strerror(errno)));
  }
  close(fd);
  return absl::OkStatus();
}

// One phase in one service, as admin.
int CallBackup(Session& s, std::string_view service, const lotse::v1::BackupRequest& phase,
               lotse::v1::BackupReply& out) {
  auto send = [&](auto request, auto expected) {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    *request.mutable_backup() = phase;
    return s.CallThen(std::move(request), expected, [&](const auto& reply) {
      out = reply.backup();
      return kExitOk;
    });
  };
  if (service == "intake") {
    return send(lotse::v1::IntakeRequest(), lotse::v1::IntakeReply::kBackup);
  }
  if (service == "routing") {
    return send(lotse::v1::RoutingRequest(), lotse::v1::RoutingReply::kBackup);
  }
  if (service == "notification") {
    return send(lotse::v1::NotificationRequest(), lotse::v1::NotificationReply::kBackup);
  }
  return send(lotse::v1::AuditRequest(), lotse::v1::AuditReply::kBackup);
}

struct BackupFlags {
  std::string to;
};

int Backup(Session& s, const BackupFlags& f) {
  std::error_code error;
  fs::path dir = fs::absolute(f.to, error).lexically_normal();
  if (!dir.has_filename()) {  // "…/2026-12-07/"
    dir = dir.parent_path();
  }
  if (error || (fs::exists(dir) && !fs::is_empty(dir, error))) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        StrCat(f.to,
                                               " is not empty: back up into a new or "
                                               "empty directory"),
                                        "to"));
  }
  if (absl::Status made = MakeBackupDir(dir); !made.ok()) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        std::string(made.message()), "to"));
  }
  const absl::Time start = absl::Now();
  // Hold all, checkpoint each, release all: while every service is held none commits, so the
  // checkpoints are one state of the whole set.
  std::vector<std::string> held;
  int code = kExitOk;
  std::map<std::string, lotse::v1::BackupReply> checkpoints;
  for (const char* service : kServices) {
    lotse::v1::BackupReply reply;
    code = CallBackup(s, service, Phase(lotse::v1::BACKUP_PHASE_HOLD), reply);
    if (code != kExitOk) {
      break;
    }
    held.emplace_back(service);
  }
  if (code == kExitOk) {
    for (const char* service : kServices) {
      lotse::v1::BackupReply reply;
      code = CallBackup(s, service,
                        Phase(lotse::v1::BACKUP_PHASE_CHECKPOINT, (dir / service).string()), reply);
      if (code != kExitOk) {
        break;
      }
      checkpoints[service] = reply;
    }
  }
  const absl::Duration paused = absl::Now() - start;
  for (const std::string& service : held) {
    lotse::v1::BackupReply ignored;
    CallBackup(s, service, Phase(lotse::v1::BACKUP_PHASE_RELEASE), ignored);
  }
  if (code != kExitOk) {
    std::fprintf(stderr, "lotse backup: the backup in %s is incomplete and must not be used\n",
                 dir.c_str());
    return code;
  }
  // No consumer may be ahead of its producer: checked here, before the backup counts.
  std::string manifest = "# lotse backup: complete (written last). service last_seq epoch\n";
  for (const auto& [service, reply] : checkpoints) {
    for (const auto& [stream, offset] : reply.offsets()) {
      auto producer = checkpoints.find(stream);
      if (producer != checkpoints.end() && offset > producer->second.last_seq()) {
        return s.Fail(
            kExitUnavailable,
            MakeError(lotse::v1::ERROR_CODE_INTERNAL,
                      StrCat("the backup is inconsistent: ", service, " has consumed ", stream,
                             "'s event ", offset, " but ", stream, "'s backup ends at ",
                             producer->second.last_seq(), ". Run lotse backup again"),
                      ""));
      }
    }
    manifest += StrCat(service, " ", reply.last_seq(), " ", reply.epoch(), "\n");
  }
  const fs::path temp = dir / (std::string(kManifest) + ".new");
  {
    std::ofstream out(temp, std::ios::trunc);
    out << manifest;
    out.flush();
    if (!out) {
      return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                          StrCat("cannot write ", temp.string()), "to"));
    }
  }
  fs::rename(temp, dir / kManifest, error);
  if (error) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        StrCat("cannot write ", (dir / kManifest).string(), ": ",
                                               error.message(), "; the backup is incomplete"),
                                        "to"));
  }
  std::string text = StrCat("Backup of the set written to ", dir.string(),
                            " (the services took "
                            "no work for ",
                            absl::ToInt64Milliseconds(paused), " ms):\n");
  for (const auto& [service, reply] : checkpoints) {
    text += StrCat("  ", service, ": event log up to ", reply.last_seq(), "\n");
  }
  text +=
      "Keep it like the data itself: it holds personal data (docs/datenschutz.md). Restore "
      "it with: lotse restore --from " +
      dir.string() + " --data-dir <empty directory>\n";
  return s.Print(checkpoints.begin()->second, text);
}

struct RestoreFlags {
  std::string from, data_dir;
};

int Restore(const RestoreFlags& f) {
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "lotse restore: %s\n", message.c_str());
    return kExitUsage;
  };
  const fs::path from(f.from);
  const fs::path to(f.data_dir);
  std::error_code error;
  // The restored stores must be their services' user's. root copying them and handing them over
  // would follow what that user put into the backup (a link to /etc/shadow, say): restore runs
  // as that user instead.
  struct stat owner {};
  if (geteuid() == 0 && stat(to.c_str(), &owner) == 0 && owner.st_uid != 0) {
    const passwd* user = getpwuid(owner.st_uid);
    const std::string name = user != nullptr ? user->pw_name : std::to_string(owner.st_uid);
    return fail(StrCat(to.string(), " belongs to ", name, ", whose services open the stores: ",
                       "restore as that user, 'runuser -u ", name, " -- lotse restore --from ",
                       f.from, " --data-dir ", f.data_dir, "' (nothing was changed)"));
  }
  if (!fs::exists(from / kManifest, error)) {
    return fail(StrCat(f.from, " is not a complete backup: it has no ", kManifest,
                       ", which lotse backup writes last. Use another backup"));
  }
  for (const char* service : kServices) {
    if (!fs::exists(from / service / "CURRENT", error)) {
      return fail(StrCat(f.from, " is not a complete backup: ", service,
                         "'s store is missing or damaged (no CURRENT file). Use another backup"));
    }
    if (fs::exists(to / service, error) && !fs::is_empty(to / service, error)) {
      return fail(StrCat((to / service).string(),
                         " is not empty: restore into an empty data "
                         "directory (nothing was changed)"));
    }
  }
  for (const char* service : kServices) {
    fs::create_directories(to / service, error);
    // A checkpoint holds files only: a link in it is copied as the link, never what it names.
    fs::copy(from / service, to / service,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, error);
    if (error) {
      return fail(StrCat("copying ", service, " to ", (to / service).string(),
                         " failed: ", error.message(), ". Remove what was copied and try again"));
    }
  }
  std::printf(
      "Restored the set from %s into %s. Start it: 'systemctl start lotse.target' where the "
      "package runs it, else 'lotse up --data-dir %s' (with the set's keys in %s/keys or "
      "--keys).\n",
      from.c_str(), to.c_str(), to.c_str(), to.c_str());
  return kExitOk;
}

}  // namespace

void AddBackupCommands(CommandLine& cli) {
  {
    auto [sub, f] = cli.Add("backup",
                            "back up the running set into a new directory: every service's "
                            "store, consistent with each other (admin)",
                            Backup);
    sub->add_option("--to", f->to, "a new or empty directory")->required();
  }
  {
    auto f = std::make_shared<RestoreFlags>();
    CLI::App* sub =
        cli.AddLocal(cli.app(), "restore",
                     "put a backup back into an empty data directory (the set is not running)",
                     [f](const Globals&) { return Restore(*f); });
    sub->add_option("--from", f->from, "the backup's directory")->required();
    sub->add_option("--data-dir", f->data_dir, "the empty data directory to fill")->required();
  }
}

}  // namespace lotse::cli
