#include "common/service/errors.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "absl/strings/cord.h"
#include "common/format.h"
#include "common/ops/metrics.h"
#include "google/protobuf/stubs/logging.h"

namespace lotse::service {
namespace {

constexpr char kFieldPayload[] = "lotse.field";

lotse::v1::ErrorCode ToCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return lotse::v1::ERROR_CODE_INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound:
      return lotse::v1::ERROR_CODE_NOT_FOUND;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return lotse::v1::ERROR_CODE_PERMISSION_DENIED;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return lotse::v1::ERROR_CODE_FAILED_PRECONDITION;
    case absl::StatusCode::kAlreadyExists:
      return lotse::v1::ERROR_CODE_ALREADY_EXISTS;
    case absl::StatusCode::kResourceExhausted:
      return lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
      return lotse::v1::ERROR_CODE_UNAVAILABLE;
    default:
      return lotse::v1::ERROR_CODE_INTERNAL;
  }
}

std::string& ProtobufLog() {
  static std::string log;
  return log;
}

void OnProtobufLog(google::protobuf::LogLevel /*level*/, const char* /*file*/, int /*line*/,
                   const std::string& message) {
  std::string& log = ProtobufLog();
  if (log.size() < 1024) {
    log += message;
  }
}

// Length of the UTF-8 sequence starting at s[i], or 0 if it is invalid.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) {
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) {
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

}  // namespace

absl::Status FieldError(absl::StatusCode code, std::string_view field, std::string_view message) {
  absl::Status status(code, absl::string_view(message.data(), message.size()));
  status.SetPayload(kFieldPayload, absl::Cord(absl::string_view(field.data(), field.size())));
  return status;
}

ops::Counter& ErrorCounter(lotse::v1::ErrorCode code) {
  // "ERROR_CODE_INVALID_ARGUMENT" -> "invalid_argument"
  std::string name = lotse::v1::ErrorCode_Name(code).substr(std::string_view("ERROR_CODE_").size());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ops::DefaultRegistry().GetCounter(
      "lotse_errors_total", "Structured errors answered, per error code.", {{"code", name}});
}

void PrepareErrorMetrics() {
  for (int code = lotse::v1::ErrorCode_MIN + 1; code <= lotse::v1::ErrorCode_MAX; ++code) {
    if (lotse::v1::ErrorCode_IsValid(code)) {
      ErrorCounter(static_cast<lotse::v1::ErrorCode>(code));
    }
  }
}

lotse::v1::Error ToError(const absl::Status& status) {
  lotse::v1::Error error;
  error.set_code(ToCode(status.code()));
  ErrorCounter(error.code()).Add();
  error.set_message(std::string(status.message()));
  if (auto field = status.GetPayload(kFieldPayload); field.has_value()) {
    error.set_field(std::string(*field));
  }
  return error;
}

absl::Status CheckText(std::string_view field, std::string_view value, size_t max_bytes,
                       bool required) {
  if (value.empty()) {
    return required ? InvalidField(field, StrCat(field, " is required")) : absl::OkStatus();
  }
  if (value.size() > max_bytes) {
    return InvalidField(field, StrCat(field, " is ", value.size(), " bytes long; at most ",
                                      max_bytes, " are allowed: shorten it"));
  }
  for (size_t i = 0; i < value.size();) {
    const size_t n = Utf8Length(value, i);
    if (n == 0) {
      return InvalidField(field, StrCat(field, " is not valid UTF-8 (byte ", i,
                                        "): send the text in UTF-8"));
    }
    const auto c = static_cast<unsigned char>(value[i]);
    if (n == 1 && (c < 0x20 || c == 0x7F) && c != '\n' && c != '\t' && c != '\r') {
      return InvalidField(field, StrCat(field, " contains a control character (byte ", i, ")"));
    }
    i += n;
  }
  return absl::OkStatus();
}

absl::Status CheckId(std::string_view field, std::string_view value) {
  if (value.empty()) {
    return InvalidField(field, StrCat(field, " is required"));
  }
  if (value.size() > 128) {
    return InvalidField(field, StrCat(field, " is longer than 128 bytes"));
  }
  for (char c : value) {
    if (c <= ' ' || c > '~') {
      return InvalidField(field, StrCat(field, " may only contain printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

void CaptureProtobufLogs() { google::protobuf::SetLogHandler(&OnProtobufLog); }

std::string TakeProtobufLog() {
  std::string out;
  out.swap(ProtobufLog());
  return out;
}

}  // namespace lotse::service
