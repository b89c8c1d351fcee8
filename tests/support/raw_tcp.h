#pragma once

#include <string>

#include "absl/time/time.h"

namespace lotse::test {

// Connects to 127.0.0.1:`port`, writes `bytes`, and reads whatever comes back until the peer
// closes or `timeout` passes. Returns what was read ("" if nothing). With `half_close` the
// sending side is shut after the bytes, so that a peer waiting for more sees the end at once
// (cpp-httplib then closes without answering, even a well-formed request).
std::string RawTcp(int port, const std::string& bytes,
                   absl::Duration timeout = absl::Milliseconds(300), bool half_close = true);

}  // namespace lotse::test
