#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lotse::compat {

// The committed event stream of one producer (tests/compat/README.md): every event of its
// outbox in seq order, each as the serialized lotse.v1.Envelope the service stored, written one
// after the other, each preceded by its length as a base-128 varint (as protobuf's
// SerializeDelimitedToOstream and Java's writeDelimitedTo do).

// Reads a stream file. Returns DataLossError on a truncated record or a bad length.
absl::StatusOr<std::vector<std::string>> ReadEventStream(const std::string& path);

// Writes `events` to `path` (replacing it).
absl::Status WriteEventStream(const std::string& path, const std::vector<std::string>& events);

// Every value of the "outbox" column family of the RocksDB at `db_path`, in key (= seq) order,
// read without changing the database (opened read-only). Checks that the keys are the seqs
// 1..N without a gap (8 bytes, big-endian).
absl::StatusOr<std::vector<std::string>> ReadOutbox(const std::string& db_path);

}  // namespace lotse::compat
