#include "services/notification/inbox_expiry.h"

#include <optional>
#include <string>
#include <vector>

#include "common/clock/clock.h"
#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::notification {
namespace {

constexpr std::string_view kReadPrefix = "read/";

std::string InboxKey(std::string_view recipient, uint64_t seq) {
  return StrCat(recipient, std::string(1, '\0'), store::EncodeU64(seq));
}

std::string Range(uint64_t from, uint64_t to) {
  return store::EncodeU64(from) + store::EncodeU64(to);
}

}  // namespace

absl::Status InboxExpiry::RecordRead(store::Batch& batch, std::string_view recipient, uint64_t from,
                                     uint64_t to, absl::Time now) const {
  const std::string key =
      StrCat(kReadPrefix, store::EncodeU64(static_cast<uint64_t>(clock::ToMicros(now))), recipient);
  // Two reads of one recipient in one commit share the key: the range covers both.
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> earlier, batch.Get(positions_, key));
  if (earlier.has_value() && earlier->size() == 16) {
    from = std::min(from, store::DecodeU64(*earlier));
  }
  batch.Put(positions_, key, Range(from, to));
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> InboxExpiry::Step(store::Store& store, absl::Time now) {
  if (!pass_active_) {
    if (now < next_pass_) {
      return 0;
    }
    next_pass_ = now + scan_interval_;
    pass_active_ = true;
  }
  const std::string cutoff =
      StrCat(kReadPrefix, store::EncodeU64(static_cast<uint64_t>(clock::ToMicros(now - keep_))));
  store::Batch batch(&store);
  size_t budget = step_keys_;
  uint64_t deleted = 0;
  absl::Status inner = absl::OkStatus();
  LOTSE_RETURN_IF_ERROR(store.ScanRange(
      positions_, kReadPrefix, cutoff + std::string(1, '\xff'),
      [&](std::string_view key, std::string_view value) {
        if (budget == 0) {
          return false;
        }
        --budget;
        const size_t head = kReadPrefix.size() + 8;
        if (key.size() <= head || value.size() != 16 || key.substr(0, head) > cutoff) {
          batch.Delete(positions_, key);  // damaged entries would hold the pass forever
          return true;
        }
        const std::string recipient(key.substr(head));
        const uint64_t from = store::DecodeU64(value);
        const uint64_t to = store::DecodeU64(value.substr(8));
        uint64_t last = from;
        inner = store.ScanRange(inbox_, InboxKey(recipient, from + 1), InboxKey(recipient, to + 1),
                                [&](std::string_view message, std::string_view) {
                                  if (budget == 0) {
                                    return false;
                                  }
                                  --budget;
                                  batch.Delete(inbox_, message);
                                  last = store::DecodeU64(message.substr(message.size() - 8));
                                  ++deleted;
                                  return true;
                                });
        if (!inner.ok()) {
          return false;
        }
        if (budget == 0 && last < to) {
          batch.Put(positions_, key, Range(last, to));  // the rest at the next step
          return false;
        }
        batch.Delete(positions_, key);
        return true;
      }));
  LOTSE_RETURN_IF_ERROR(inner);
  if (budget > 0) {
    pass_active_ = false;  // everything due is done
  }
  if (!batch.empty()) {
    LOTSE_RETURN_IF_ERROR(store.CommitHousekeeping(batch));
  }
  return deleted;
}

}  // namespace lotse::notification
