#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bus/socket.h"
#include "common/config/config.h"
#include "lotse/v1/ops.pb.h"
#include "tests/support/keys.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "zmq.hpp"

namespace lotse::bench {

inline constexpr const char* kServices[] = {"intake", "routing", "notification", "audit"};

// CPU time and memory of one service process, read from /proc.
struct ProcessFigures {
  double cpu_seconds = 0;
  double peak_rss_mb = 0;  // VmHWM
  double rss_mb = 0;       // VmRSS
};
ProcessFigures ReadFigures(pid_t pid);

// Sets `curve` (a client's: its keys and the server's pinned key) on a raw socket before it
// connects, as bus::Socket::Create does. Nothing without a secret key.
void SetCurve(zmq::socket_t& socket, const bus::CurveOptions& curve);

// The four real service binaries on a free port block (flock'ed like the integration tests'),
// with data, the keyring (data/keys) and logs in a temp dir that is removed afterwards unless
// `keep`.
class BenchSet {
 public:
  // `plain`: the services run with the test fault "no-curve" (no CURVE on any door, the caller
  // taken from the request) and Curve() gives plain options: only to measure what CURVE costs.
  BenchSet(std::string bin_dir, std::string config_toml, bool keep, bool plain = false);
  ~BenchSet();
  BenchSet(const BenchSet&) = delete;
  BenchSet& operator=(const BenchSet&) = delete;

  // Makes the keyring of the config's principals, starts the four services and waits until
  // every /readyz answers 200; `with_web`: lotse-web too (its accounts made at its first start,
  // the passwords in data/web/initial-passwords), until its /healthz answers.
  absl::Status Start(bool with_web = false);
  // SIGTERM to every service; true if all exited 0 within `grace`.
  bool Stop(absl::Duration grace = absl::Seconds(2));
  // Stops the four services (each may take up to 60 s: a large store flushes its memtables)
  // and starts them again on the same data: for each, the seconds
  // from its start until its /readyz answered 200.
  absl::StatusOr<std::vector<double>> Restart();

  int port_base() const { return port_base_; }
  std::string CommandEndpoint(int service) const;
  std::string TapEndpoint(int service) const;
  pid_t Pid(int service) const;
  // lotse-web, after Start(true).
  int WebPort() const { return port_base_ + config::kWebPortOffset; }
  pid_t WebPid() const { return Pid(4); }
  // Curve options to reach `service` (its command endpoint, log or tap) as `principal`
  // ("bb-mitte", "umwelt", "ops", "admin"). After Start().
  bus::CurveOptions Curve(std::string_view principal, int service) const;
  const std::string& dir() const { return dir_.path(); }
  // GET /status of a service's ops port.
  absl::StatusOr<lotse::v1::ServiceStatus> Status(int service) const;
  // GET /metrics of a service's ops port ("" if it does not answer).
  std::string Metrics(int service) const;
  // Waits until every consumer of every service has caught up with its producer's head.
  absl::Status WaitQuiet(absl::Duration deadline) const;
  // Bytes under data/<service>.
  uint64_t DataBytes(int service) const;

 private:
  std::string bin_dir_;
  test::TempDir dir_;
  int lock_fd_ = -1;
  int port_base_ = 0;
  std::string config_toml_;  // "" = the embedded sample city
  bool plain_ = false;
  std::string config_path_;
  std::optional<test::TestKeys> keys_;  // from Start()
  std::vector<std::unique_ptr<test::Process>> processes_;

  absl::Status StartProcess(const std::string& service);
  // Seconds from `started` until each of the four services answered /readyz.
  absl::StatusOr<std::vector<double>> WaitReady(absl::Time started) const;
};

}  // namespace lotse::bench
