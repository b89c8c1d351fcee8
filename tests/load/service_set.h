#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/socket.h"
#include "lotse/v1/ops.pb.h"
#include "tests/support/keys.h"
#include "tests/support/process.h"

namespace lotse::load {

// The services in port order (config::Service): service i takes commands on port_base + 2i,
// serves its log on port_base + 2i + 1 and its ops HTTP on port_base + 8 + i.
inline constexpr int kServiceCount = 4;
inline constexpr std::array<const char*, kServiceCount> kServiceNames = {"intake", "routing",
                                                                         "notification", "audit"};
// -1 if `name` is not a service.
int ServiceIndex(std::string_view name);

// The four real service binaries of one run, on a reserved block of 32 TCP ports, with their
// data in `dir`/data, their keyring (every principal of the sample city, made before any
// service starts) in `dir`/data/keys and their logs (appended across restarts) in `dir`/logs.
// The destructor
// SIGKILLs whatever still runs and releases the port block. The process methods must be called
// from the thread that created the set (children die with that thread: PR_SET_PDEATHSIG); the
// endpoint and key accessors are thread-safe.
class ServiceSet {
 public:
  // Reserves a port block, checks that the binaries exist in `bin_dir` and makes the keyring.
  static absl::StatusOr<std::unique_ptr<ServiceSet>> Create(std::string bin_dir, std::string dir,
                                                            test::EnvVars env);
  ~ServiceSet();
  ServiceSet(const ServiceSet&) = delete;
  ServiceSet& operator=(const ServiceSet&) = delete;

  int port_base() const { return port_base_; }
  std::string CommandEndpoint(int service) const;
  int OpsPort(int service) const { return port_base_ + 8 + service; }
  std::string DataDir() const { return dir_ + "/data"; }
  std::string StoreDir(int service) const { return DataDir() + "/" + kServiceNames[service]; }
  std::string LogPath(int service) const;
  // The keyring of the set; immutable.
  const test::TestKeys& keys() const { return keys_; }
  // Curve options to reach `service`'s command endpoint as `principal`.
  bus::CurveOptions Curve(std::string_view principal, int service) const {
    return keys_.Client(principal, kServiceNames[service]);
  }

  // Spawns the service; does not wait for it to answer.
  absl::Status Start(int service);
  // True if the process runs (a stopped one counts); reaps it if it exited.
  bool Running(int service);
  // How the last process of `service` ended, once reaped.
  std::optional<int> ExitCode(int service) const;
  pid_t Pid(int service) const;
  void Kill(int service);      // SIGKILL and reap
  void Stop(int service);      // SIGSTOP
  void Continue(int service);  // SIGCONT
  // SIGTERM (and SIGCONT, so a stopped process sees it) without waiting.
  void SendTerm(int service);
  // SIGTERM and wait up to `timeout`; the exit code, or DeadlineExceeded (then SIGKILLed).
  absl::StatusOr<int> Terminate(int service, absl::Duration timeout);

 private:
  ServiceSet(std::string bin_dir, std::string dir, test::EnvVars env, test::TestKeys keys,
             int port_base, int lock_fd);

  std::string bin_dir_;
  std::string dir_;
  test::EnvVars env_;
  test::TestKeys keys_;
  int port_base_;
  int lock_fd_;
  std::array<std::unique_ptr<test::Process>, kServiceCount> processes_;
};

// True if a command endpoint answers (any reply, even an error) within `timeout` to a client
// with `curve` (a key the service admits: one it refuses never gets an answer).
bool Answers(bus::Context& context, const std::string& endpoint, const bus::CurveOptions& curve,
             absl::Duration timeout);

// GET /status of an ops port on 127.0.0.1.
absl::StatusOr<lotse::v1::ServiceStatus> FetchStatus(int port, absl::Duration timeout);

}  // namespace lotse::load
