#pragma once

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace lotse::service {

// The walls of a request's fields when proto/lotse/v1/options.proto names none.
inline constexpr size_t kDefaultMaxBytes = 256;
inline constexpr int kDefaultMaxItems = 32;

// Checks every set field of `request`, nested messages included, against its wall: a string at
// most (lotse.v1.max_bytes) bytes, a repeated field at most (lotse.v1.max_items) entries.
// InvalidArgument naming the first field over its wall ("submit.referral.text"), else OK.
absl::Status CheckFieldLimits(const google::protobuf::Message& request);

}  // namespace lotse::service
