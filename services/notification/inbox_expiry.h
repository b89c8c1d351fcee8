#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store.h"

namespace lotse::notification {

// Deletes inbox messages `keep` after their recipient read them ([retention] inbox_days; "read"
// = acknowledged with an inbox request's `ack`). Each acknowledgement that moves a recipient's
// position is recorded in state_positions under "read/<time><recipient>" -> (from, to], in the
// commit that moves it; the index is ordered by time, so a pass walks only what is due. Unread
// messages are never deleted. Works in steps of at most step_keys keys, each its own synced
// batch. Owned by the notification service; not thread-safe (the service thread only).
class InboxExpiry {
 public:
  InboxExpiry(store::Cf inbox, store::Cf positions, absl::Duration keep,
              absl::Duration scan_interval, size_t step_keys = 1000)
      : inbox_(inbox),
        positions_(positions),
        keep_(keep),
        scan_interval_(scan_interval),
        step_keys_(step_keys) {}

  // Records in `batch` that `recipient` read its messages (from, to] at `now`.
  absl::Status RecordRead(store::Batch& batch, std::string_view recipient, uint64_t from,
                          uint64_t to, absl::Time now) const;
  // One bounded step when a pass is due (every scan_interval of service time) or under way;
  // returns how many messages it deleted.
  absl::StatusOr<uint64_t> Step(store::Store& store, absl::Time now);

 private:
  store::Cf inbox_;
  store::Cf positions_;
  absl::Duration keep_;
  absl::Duration scan_interval_;
  size_t step_keys_;
  bool pass_active_ = false;
  absl::Time next_pass_ = absl::InfinitePast();
};

}  // namespace lotse::notification
