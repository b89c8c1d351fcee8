#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace lotse::test {

// Calls `pred` every `poll` until it returns true or `deadline` (a duration from now) has
// passed. `pred` is always called at least once, and once more when the deadline is reached.
// Returns true if `pred` returned true. Measures time with a monotonic clock.
bool WaitUntil(const std::function<bool()>& pred, absl::Duration deadline,
               absl::Duration poll = absl::Milliseconds(20));

// Finds `count` consecutive TCP ports on 127.0.0.1 that are free right now (it binds each one
// to check) and returns the first. The base is random in [20000, 60000 - count]; bases that
// overlap the kernel's ephemeral port range (net.ipv4.ip_local_port_range) are avoided when
// possible, so an outgoing connection does not take a port before the service binds it.
// If no range is found after many tries, records a test failure (ADD_FAILURE) naming `count`
// and returns -1; callers should ASSERT_GT(base, 0).
// Free "right now" only: another process may take a port later, so prefer ipc:// endpoints.
int FindFreePortBase(int count);

// Reserves a block of `block` ports for this process (a Lotse set uses 16): the block starts
// at a multiple of `block`, its ports are free now, and an flock on
// /tmp/lotse-ports-<base>.lock keeps other processes that use this scheme (ctest -j, lotse-load,
// lotse-bench, the monitoring test) off it until `*lock_fd` is closed. Returns the base, or -1.
int ReservePortBlock(int block, int* lock_fd);

// Reads a whole file into a string. Returns "" if it is missing or unreadable.
std::string ReadFile(const std::string& path);

// Writes `contents` to `path`, replacing the file if it exists. Returns an error naming `path`
// if the file cannot be written.
absl::Status WriteFile(const std::string& path, std::string_view contents);

}  // namespace lotse::test
