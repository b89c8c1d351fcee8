#include "common/service/backup.h"

#include <filesystem>

#include "common/format.h"
#include "common/service/errors.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::service {

absl::StatusOr<lotse::v1::BackupReply> HandleBackup(const lotse::v1::BackupRequest& request,
                                                    store::Store& store, Runner& runner) {
  lotse::v1::BackupReply reply;
  reply.set_service(runner.service());
  switch (request.phase()) {
    case lotse::v1::BACKUP_PHASE_HOLD: {
      const absl::Duration hold = std::min(absl::Milliseconds(request.hold_ms()), kMaxBackupHold);
      runner.Hold(absl::Now() + hold);
      spdlog::info("held for a backup for at most {} ms", absl::ToInt64Milliseconds(hold));
      break;
    }
    case lotse::v1::BACKUP_PHASE_CHECKPOINT: {
      // <backup directory>/<this service>: the backup directory exists (lotse backup made it),
      // the service's part of it does not yet. Nothing else is written anywhere.
      const std::filesystem::path dir(request.dir());
      std::error_code error;
      if (!dir.is_absolute() || request.dir().size() > 4096 || dir.filename() != runner.service() ||
          !std::filesystem::is_directory(dir.parent_path(), error)) {
        return InvalidField("dir", StrCat("give <an existing backup directory>/", runner.service(),
                                          " as an absolute path"));
      }
      if (store.owes_compaction()) {
        return FieldError(absl::StatusCode::kUnavailable, "dir",
                          "the store is still rewriting its files after an erasure (a backup now "
                          "would hold erased bytes): run lotse backup again in a minute");
      }
      if (std::filesystem::exists(dir, error)) {
        return FieldError(absl::StatusCode::kAlreadyExists, "dir",
                          StrCat(request.dir(), " exists already: back up into a new directory"));
      }
      LOTSE_RETURN_IF_ERROR(store.Checkpoint(request.dir()));
      reply.set_last_seq(store.last_seq());
      reply.set_epoch(store.epoch());
      absl::Status bad;
      LOTSE_RETURN_IF_ERROR(
          store.Scan(store::kOffsets, "", "", [&](std::string_view key, std::string_view value) {
            if (value.size() == 16) {
              (*reply.mutable_offsets())[std::string(key)] = store::DecodeU64(value);
            }
            return true;
          }));
      spdlog::info("backed up to {} at event {}", request.dir(), store.last_seq());
      break;
    }
    case lotse::v1::BACKUP_PHASE_RELEASE:
      runner.Release();
      spdlog::info("released after the backup");
      break;
    default:
      return InvalidField("phase", "name the phase: hold, checkpoint or release");
  }
  return reply;
}

}  // namespace lotse::service
