#include "tests/bench/disk.h"

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/format.h"
#include "tests/bench/bench_set.h"
#include "tests/bench/flow.h"

namespace lotse::bench {
namespace {

// The sample city with [retention] at its lower bounds and a fast service clock.
std::string DiskConfig(double speedup) {
  return absl::StrReplaceAll(std::string(config::DefaultConfigText()),
                             {{"idempotency_days = 7 ", "idempotency_days = 1 "},
                              {"inbox_days = 90 ", "inbox_days = 7 "},
                              {"dead_letter_days = 90 ", "dead_letter_days = 7 "},
                              {"log_min_hours = 168 ", "log_min_hours = 1 "},
                              {"scan_minutes = 10 ", "scan_minutes = 1 "},
                              {"speedup = 1.0", StrCat("speedup = ", speedup)}});
}

// The value of the series `name{service="s",family="f"}`, 0 if absent.
double FamilyValue(const std::string& metrics, const std::string& name, const std::string& service,
                   const std::string& family) {
  const std::string series = StrCat(name, "{service=\"", service, "\",family=\"", family, "\"} ");
  const size_t at = metrics.find(series);
  if (at == std::string::npos) {
    return 0;
  }
  return std::stod(metrics.substr(at + series.size()));
}

// Bytes of the write-ahead log files of `service`'s store.
uint64_t WalBytes(const BenchSet& set, int service) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(StrCat(set.dir(), "/data/", kServices[service]), ec)) {
    std::error_code e2;
    if (entry.path().extension() == ".log" && entry.is_regular_file(e2)) {
      total += entry.file_size(e2);
    }
  }
  return total;
}

struct Sample {
  double seconds = 0;
  double service_days = 0;
  double disk_mb[4] = {0, 0, 0, 0};
  double wal_mb[4] = {0, 0, 0, 0};  // *.log files: the write-ahead log
  // SST files and memtables of the families retention keeps bounded (outbox, idempotency,
  // dead letters, and notification's inbox), all services together.
  double bounded_mb = 0;
  double outbox[4] = {0, 0, 0, 0};  // entries (RocksDB's estimate)
  double idempotency[4] = {0, 0, 0, 0};
  double dead_letters = 0;    // all services
  double inbox = 0;           // notification's state_inbox
  double audit_chain = 0;     // grows with the events: the record
  double expired_outbox = 0;  // lotse_expired_total, all services
  double expired_idempotency = 0;
  double expired_inbox = 0;
};

Sample Take(const BenchSet& set, absl::Time start, double speedup) {
  Sample s;
  s.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  s.service_days = s.seconds * speedup / 86400;
  for (int i = 0; i < 4; ++i) {
    const std::string m = set.Metrics(i);
    const std::string service = kServices[i];
    s.disk_mb[i] = static_cast<double>(set.DataBytes(i)) / (1 << 20);
    s.wal_mb[i] = static_cast<double>(WalBytes(set, i)) / (1 << 20);
    for (const char* family : {"outbox", "idempotency", "dead_letter", "state_inbox"}) {
      s.bounded_mb += (FamilyValue(m, "lotse_rocksdb_sst_bytes", service, family) +
                       FamilyValue(m, "lotse_rocksdb_memtable_bytes", service, family)) /
                      (1 << 20);
    }
    s.outbox[i] = FamilyValue(m, "lotse_rocksdb_estimated_keys", service, "outbox");
    s.idempotency[i] = FamilyValue(m, "lotse_rocksdb_estimated_keys", service, "idempotency");
    s.dead_letters += FamilyValue(m, "lotse_rocksdb_estimated_keys", service, "dead_letter");
    s.expired_outbox += FamilyValue(m, "lotse_expired_total", service, "outbox");
    s.expired_idempotency += FamilyValue(m, "lotse_expired_total", service, "idempotency");
    if (service == "notification") {
      s.inbox = FamilyValue(m, "lotse_rocksdb_estimated_keys", service, "state_inbox");
      s.expired_inbox = FamilyValue(m, "lotse_expired_total", service, "state_inbox");
    }
    if (service == "audit") {
      s.audit_chain = FamilyValue(m, "lotse_rocksdb_estimated_keys", service, "state_entries");
    }
  }
  return s;
}

std::string Line(const Sample& s) {
  return fmt::format(
      "  {:>5.0f} {:>5.1f}  {:>6.1f} {:>6.1f} {:>6.1f} {:>6.1f}  {:>5.1f} {:>5.1f} {:>5.1f} "
      "{:>5.1f}  {:>6.0f} {:>6.0f} {:>6.0f}  {:>6.0f} {:>6.0f}  {:>6.0f} {:>4.0f}  {:>6.2f}  "
      "{:>7.0f}\n",
      s.seconds, s.service_days, s.disk_mb[0], s.disk_mb[1], s.disk_mb[2], s.disk_mb[3],
      s.wal_mb[0], s.wal_mb[1], s.wal_mb[2], s.wal_mb[3], s.outbox[0], s.outbox[1], s.outbox[2],
      s.idempotency[0], s.idempotency[1], s.inbox, s.dead_letters, s.bounded_mb, s.audit_chain);
}

std::string SampleJson(const Sample& s) {
  return fmt::format(
      "{{\"seconds\":{:.1f},\"service_days\":{:.2f},\"disk_mb\":{{\"intake\":{:.2f},"
      "\"routing\":{:.2f},\"notification\":{:.2f},\"audit\":{:.2f}}},\"outbox\":{{\"intake\":{:.0f}"
      ","
      "\"routing\":{:.0f},\"notification\":{:.0f}}},\"idempotency\":{{\"intake\":{:.0f},"
      "\"routing\":{:.0f}}},\"inbox\":{:.0f},\"dead_letters\":{:.0f},\"audit_chain\":{:.0f},"
      "\"expired\":{{\"outbox\":{:.0f},\"idempotency\":{:.0f},\"state_inbox\":{:.0f}}},"
      "\"bounded_mb\":{:.3f},\"wal_mb\":{:.2f}}}",
      s.seconds, s.service_days, s.disk_mb[0], s.disk_mb[1], s.disk_mb[2], s.disk_mb[3],
      s.outbox[0], s.outbox[1], s.outbox[2], s.idempotency[0], s.idempotency[1], s.inbox,
      s.dead_letters, s.audit_chain, s.expired_outbox, s.expired_idempotency, s.expired_inbox,
      s.bounded_mb, s.wal_mb[0] + s.wal_mb[1] + s.wal_mb[2] + s.wal_mb[3]);
}

}  // namespace

DiskReport DiskBench(const std::string& bin_dir, bool keep, double seconds, double rate,
                     double every, double speedup) {
  DiskReport report;
  BenchSet set(bin_dir, DiskConfig(speedup), keep);
  if (absl::Status s = set.Start(); !s.ok()) {
    report.text = StrCat("disk: the set did not start: ", ToStd(s.message()), "\n");
    return report;
  }
  report.text = fmt::format(
      "disk: {} referrals/s (whole flows) for {:.0f} s, service clock x{:.0f} ({:.1f} service "
      "days), [retention] at its lower bounds (idempotency 1 d, inbox 7 d, dead letters 7 d, "
      "log 1 h, scan 1 min)\n"
      "  {:>5} {:>5}  {:>6} {:>6} {:>6} {:>6}  {:>5} {:>5} {:>5} {:>5}  {:>6} {:>6} {:>6}  {:>6} "
      "{:>6}  {:>6} {:>4}  {:>6}  {:>7}\n",
      rate, seconds, speedup, seconds * speedup / 86400, "s", "days", "in MB", "ro MB", "no MB",
      "au MB", "in.wal", "ro.wal", "no.wal", "au.wal", "in.out", "ro.out", "no.out", "in.idm",
      "ro.idm", "inbox", "dead", "bnd MB", "chain");
  FlowOptions flow;
  flow.rate = rate;
  flow.seconds = seconds;
  const absl::Time start = absl::Now();
  std::atomic<bool> done{false};
  FlowResult result;
  std::thread runner([&] {
    result = RunFlow(set, flow);
    done = true;
  });
  std::vector<Sample> samples;
  absl::Time next = start;
  while (!done) {
    if (absl::Now() >= next) {
      samples.push_back(Take(set, start, speedup));
      report.text += Line(samples.back());
      std::fprintf(stderr, "%s", Line(samples.back()).c_str());
      next += absl::Seconds(every);
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  runner.join();
  samples.push_back(Take(set, start, speedup));
  report.text += Line(samples.back());
  const Sample& last = samples.back();
  report.text += fmt::format(
      "  {} referrals completed, {} errors{}; deleted by retention: {:.0f} outbox events, {:.0f} "
      "idempotency records, {:.0f} inbox messages\n",
      result.completed, result.errors,
      result.problem.empty() ? "" : StrCat(" (", result.problem, ")"), last.expired_outbox,
      last.expired_idempotency, last.expired_inbox);
  std::string series;
  for (const Sample& s : samples) {
    StrAppend(&series, series.empty() ? "" : ",", SampleJson(s));
  }
  report.json = fmt::format(
      "{{\"rate\":{},\"seconds\":{},\"speedup\":{},\"completed\":{},\"errors\":{},"
      "\"samples\":[{}]}}",
      rate, seconds, speedup, result.completed, result.errors, series);
  report.ok = result.problem.empty() && result.errors == 0;
  set.Stop();
  return report;
}

}  // namespace lotse::bench
