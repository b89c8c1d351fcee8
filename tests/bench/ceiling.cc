#include "tests/bench/ceiling.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "common/format.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"
#include "zmq.hpp"

namespace lotse::bench {
namespace {

std::string Key(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return key;
}

}  // namespace

int RunCeilingStage(int stage, const std::string& dir, const std::string& in,
                    const std::string& out, double seconds, size_t event_bytes, double rate) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, {}}, {"outbox", {}}, {"offsets", {}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, dir, families, &handles, &raw).ok()) {
    std::fprintf(stderr, "ceiling stage %d: cannot open %s\n", stage, dir.c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  zmq::context_t context(1);
  zmq::socket_t pull(context, zmq::socket_type::pull);
  zmq::socket_t push(context, zmq::socket_type::push);
  pull.set(zmq::sockopt::linger, 0);
  push.set(zmq::sockopt::linger, 0);
  if (!in.empty()) {
    pull.bind(in);
  }
  if (!out.empty()) {
    push.connect(out);
  }
  rocksdb::WriteOptions synced;
  synced.sync = true;
  // An event's first 8 bytes: when the source made it (µs), for the latency at a rate.
  std::string payload(std::max<size_t>(event_bytes, 8), 'x');
  const absl::Time source_start = absl::Now();
  uint64_t made = 0;
  std::vector<double> latency_ms;
  uint64_t seq = 0;
  uint64_t measured = 0;
  uint64_t commits = 0;
  absl::Time first = absl::InfiniteFuture();
  const bool sink = out.empty();
  std::vector<zmq::message_t> batch;
  while (true) {
    batch.clear();
    if (in.empty()) {  // the source: a full batch of new events, or those due at the rate
      uint64_t due = 512;
      if (rate > 0) {
        const double elapsed = absl::ToDoubleSeconds(absl::Now() - source_start);
        due = std::min<uint64_t>(512, static_cast<uint64_t>(elapsed * rate) - made);
        if (due == 0) {
          absl::SleepFor(absl::Microseconds(100));
          continue;
        }
      }
      const int64_t now_us = absl::ToUnixMicros(absl::Now());
      std::memcpy(payload.data(), &now_us, sizeof now_us);
      for (uint64_t i = 0; i < due; ++i) {
        batch.emplace_back(payload.data(), payload.size());
      }
      made += due;
    } else {
      zmq::message_t m;
      if (!pull.recv(m, zmq::recv_flags::none)) {
        continue;
      }
      batch.push_back(std::move(m));
      while (batch.size() < 512) {
        zmq::message_t more;
        if (!pull.recv(more, zmq::recv_flags::dontwait)) {
          break;
        }
        batch.push_back(std::move(more));
      }
    }
    rocksdb::WriteBatch write;
    for (const zmq::message_t& m : batch) {
      ++seq;
      const rocksdb::Slice value(static_cast<const char*>(m.data()), m.size());
      write.Put(handles[0], Key(seq), value);  // state
      write.Put(handles[1], Key(seq), value);  // outbox
    }
    write.Put(handles[2], "upstream", Key(seq));  // offset
    if (!db->Write(synced, &write).ok()) {
      std::fprintf(stderr, "ceiling stage %d: write failed\n", stage);
      return 1;
    }
    if (sink) {
      const absl::Time now = absl::Now();
      if (first == absl::InfiniteFuture()) {
        first = now;  // measure from the first batch that made it through
      } else {
        measured += batch.size();
        ++commits;
        const int64_t now_us = absl::ToUnixMicros(now);
        for (const zmq::message_t& m : batch) {
          int64_t made_us = 0;
          std::memcpy(&made_us, m.data(), std::min(m.size(), sizeof made_us));
          latency_ms.push_back(static_cast<double>(now_us - made_us) / 1000.0);
        }
      }
      if (now - first >= absl::Seconds(seconds)) {
        std::sort(latency_ms.begin(), latency_ms.end());
        auto percentile = [&](double p) {
          return latency_ms.empty()
                     ? 0.0
                     : latency_ms[std::min(
                           latency_ms.size() - 1,
                           static_cast<size_t>(p / 100 * static_cast<double>(latency_ms.size())))];
        };
        std::printf("%.1f %.1f %.3f %.3f\n",
                    static_cast<double>(measured) / absl::ToDoubleSeconds(now - first),
                    commits > 0 ? static_cast<double>(measured) / static_cast<double>(commits) : 0,
                    percentile(50), percentile(99));
        break;
      }
    } else {
      for (zmq::message_t& m : batch) {
        push.send(m, zmq::send_flags::none);  // blocks at the HWM: back-pressure
      }
    }
  }
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    db->DestroyColumnFamilyHandle(h);
  }
  return 0;
}

absl::StatusOr<CeilingResult> RunCeiling(const std::string& self_binary, double seconds,
                                         size_t event_bytes, int stages_count, double rate) {
  test::TempDir dir;
  const int last = stages_count - 1;
  const int base = test::FindFreePortBase(last);
  if (base <= 0) {
    return absl::UnavailableError("no free ports for the ceiling pipeline");
  }
  auto endpoint = [&](int i) { return StrCat("tcp://127.0.0.1:", base + i); };
  std::vector<std::unique_ptr<test::Process>> stages;
  // Downstream first, so every PUSH finds its PULL bound.
  for (int stage = last - 1; stage >= 0; --stage) {
    absl::StatusOr<std::unique_ptr<test::Process>> p = test::Process::Start(
        self_binary,
        {"ceiling-stage", "--stage", StrCat(stage), "--dir", dir.Join(StrCat("stage", stage)),
         "--in", stage == 0 ? "" : endpoint(stage - 1), "--out", endpoint(stage), "--seconds",
         StrCat(seconds), "--event-bytes", StrCat(event_bytes), "--rate", StrCat(rate)},
        {}, dir.Join(StrCat("stage", stage, ".log")));
    if (!p.ok()) {
      return p.status();
    }
    stages.push_back(*std::move(p));
  }
  const test::CommandResult sink =
      test::RunCommand(self_binary,
                       {"ceiling-stage", "--stage", StrCat(last), "--dir",
                        dir.Join(StrCat("stage", last)), "--in", endpoint(last - 1), "--out", "",
                        "--seconds", StrCat(seconds), "--event-bytes", StrCat(event_bytes)},
                       {}, absl::Seconds(seconds + 60));
  stages.clear();  // SIGKILL the rest
  CeilingResult result;
  if (sink.exit_code != 0 || std::sscanf(sink.out.c_str(), "%lf %lf %lf %lf", &result.events_per_s,
                                         &result.mean_batch, &result.p50_ms, &result.p99_ms) != 4) {
    return absl::InternalError(StrCat("the ceiling pipeline failed: ", sink.err));
  }
  return result;
}

}  // namespace lotse::bench
