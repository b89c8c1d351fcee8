// lotse backup (admin, against the running set) and lotse restore (offline): the operator's
// routine is in the README ("Backup and restore").

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

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

// Run by root (the package's admin), what lotse backup and restore make belongs to the owner of
// the folder it is made in: /var/backups/lotse and /var/lib/lotse are the user lotse's, whose
// services write the checkpoints and open the stores. Otherwise it stays the caller's.
void GiveToOwnerOf(const fs::path& made, const fs::path& folder) {
  struct stat st {};
  if (geteuid() != 0 || stat(folder.c_str(), &st) != 0 || st.st_uid == 0) {
    return;
  }
  (void)lchown(made.c_str(), st.st_uid, st.st_gid);
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(made, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    (void)lchown(it->path().c_str(), st.st_uid, st.st_gid);
  }
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
  const fs::path dir = fs::absolute(f.to, error);
  if (error || (fs::exists(dir) && !fs::is_empty(dir, error))) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        StrCat(f.to,
                                               " is not empty: back up into a new or "
                                               "empty directory"),
                                        "to"));
  }
  fs::create_directories(dir, error);
  if (error) {
    return s.Fail(kExitUsage,
                  MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                            StrCat("cannot make ", dir.string(), ": ", error.message()), "to"));
  }
  GiveToOwnerOf(dir, dir.parent_path());
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
    fs::copy(from / service, to / service, fs::copy_options::recursive, error);
    if (error) {
      return fail(StrCat("copying ", service, " to ", (to / service).string(),
                         " failed: ", error.message(), ". Remove what was copied and try again"));
    }
    GiveToOwnerOf(to / service, to);
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
