#pragma once

// `lotse backup`, in every service (ServiceBase answers the BackupRequest of its request
// message). The CLI holds every service of the set, checkpoints each store, then releases them
// (docs: README "Backup and restore"). Held, a service takes no work, so the checkpoints
// together are one consistent state: no consumer is ahead of its producer.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/service/runner.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"

namespace lotse::service {

// The longest hold a backup may ask for; it ends by itself then.
inline constexpr absl::Duration kMaxBackupHold = absl::Seconds(5);

// Answers one phase of a backup for the service `runner` runs on `store`. CHECKPOINT writes only
// to <an existing directory>/<the service's name>, which must not exist yet. Errors name the
// field: a phase missing, a relative, misnamed or existing directory.
absl::StatusOr<lotse::v1::BackupReply> HandleBackup(const lotse::v1::BackupRequest& request,
                                                    store::Store& store, Runner& runner);

}  // namespace lotse::service
