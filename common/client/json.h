#pragma once

// The JSON of a service's reply, the same for `lotse --json` and the web terminal's API: the
// proto3 JSON mapping with the proto's field names, every field printed, enums as names.

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "lotse/v1/common.pb.h"

namespace lotse::client {

// One JSON document on one line: proto field names, every field even when default, enums as
// names (int64 fields become strings, as proto JSON has them).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);
// {"error": <error as JSON>} on one line.
std::string ErrorJson(const lotse::v1::Error& error);

}  // namespace lotse::client
