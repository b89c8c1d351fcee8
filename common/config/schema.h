#pragma once

// Internal to common/config: every key the config file may have, and the field of the model
// (config.h) that each one fills. Adding a key to the file means adding it here.

#include <array>

#include "absl/strings/string_view.h"
#include "common/config/config.h"
#include "common/config/reader.h"

namespace lotse::config::internal {

// The top-level keys of the file, each with its tables, blocks and values, read into `config`
// (which holds the defaults and must outlive the reading). In the order of the README.
Keys ConfigKeys(Config* config);

// Every [limits] key, its field, and the smallest value allowed (validation checks it).
struct LimitField {
  absl::string_view key;
  int Limits::*field = nullptr;
  int min = 0;
};
inline constexpr auto kLimitFields = std::to_array<LimitField>({
    {"max_subject_bytes", &Limits::max_subject_bytes, 1},
    {"max_text_bytes", &Limits::max_text_bytes, 1},
    {"max_message_bytes", &Limits::max_message_bytes, 1},
    {"request_timeout_ms", &Limits::request_timeout_ms, 1},
    {"request_retries", &Limits::request_retries, 0},
    {"fetch_wait_ms", &Limits::fetch_wait_ms, 1},
    {"fetch_max_events", &Limits::fetch_max_events, 1},
    {"fetch_max_bytes", &Limits::fetch_max_bytes, 1},
    {"commit_max_batch", &Limits::commit_max_batch, 1},
    {"min_free_disk_mb", &Limits::min_free_disk_mb, 1},
    {"ready_max_lag", &Limits::ready_max_lag, 1},
    {"ready_max_silence_ms", &Limits::ready_max_silence_ms, 1},
    {"feedback_code_days", &Limits::feedback_code_days, 1},
});

// Every [retention] key, its field, and the smallest value allowed: the lower bounds that
// docs/datenschutz.md gives reasons for.
struct RetentionField {
  absl::string_view key;
  int Retention::*field = nullptr;
  int min = 0;
  int max = 0;
};
inline constexpr auto kRetentionFields = std::to_array<RetentionField>({
    {"personal_data_days", &Retention::personal_data_days, 30, 36500},
    {"referral_years", &Retention::referral_years, 1, 100},
    {"idempotency_days", &Retention::idempotency_days, 1, 365},
    {"inbox_days", &Retention::inbox_days, 7, 3650},
    {"dead_letter_days", &Retention::dead_letter_days, 7, 3650},
    {"log_min_hours", &Retention::log_min_hours, 1, 24 * 365},
    {"scan_minutes", &Retention::scan_minutes, 1, 24 * 60},
});

// The [scheduling] keys, by Service.
inline constexpr auto kSchedulingKeys = std::to_array<absl::string_view>(
    {"intake_nice", "routing_nice", "notification_nice", "audit_nice"});
static_assert(kSchedulingKeys.size() == kServiceCount);

}  // namespace lotse::config::internal
