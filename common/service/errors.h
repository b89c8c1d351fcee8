#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "common/ops/metrics.h"
#include "lotse/v1/common.pb.h"

namespace lotse::service {

// A Status that names the request field at fault (carried as a payload).
absl::Status FieldError(absl::StatusCode code, std::string_view field, std::string_view message);
inline absl::Status InvalidField(std::string_view field, std::string_view message) {
  return FieldError(absl::StatusCode::kInvalidArgument, field, message);
}
// The structured error a reply carries: code, message, field. Counts it in lotse_errors_total.
lotse::v1::Error ToError(const absl::Status& status);
// The lotse_errors_total series of `code`; PrepareErrorMetrics creates every code's at 0.
ops::Counter& ErrorCounter(lotse::v1::ErrorCode code);
void PrepareErrorMetrics();

// Checks a text field: present if `required`, at most `max_bytes`, valid UTF-8, no control
// characters other than newline and tab.
absl::Status CheckText(std::string_view field, std::string_view value, size_t max_bytes,
                       bool required);
// Checks an id chosen by a person (office, department, user, idempotency key): printable
// ASCII without spaces, 1..128 bytes.
absl::Status CheckId(std::string_view field, std::string_view value);

// Routes protobuf's own log lines (e.g. "String field 'lotse.v1.Referral.text' contains invalid
// UTF-8 data") into a buffer so that a parse failure can say which field was wrong.
void CaptureProtobufLogs();
// What protobuf reported since the last call ("" if nothing), for an error message.
std::string TakeProtobufLog();

}  // namespace lotse::service
