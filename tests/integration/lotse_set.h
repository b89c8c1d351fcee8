#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/bus/command.h"
#include "common/config/config.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/log.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"
#include "tests/support/keys.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace lotse::test {

struct SetOptions {
  double clock_speedup = 1.0;
  std::string clock_start;  // RFC 3339; empty = real time
  std::string config_toml;  // empty = the embedded sample city
  absl::Duration client_timeout = absl::Milliseconds(1500);
  int client_retries = 1;
  EnvVars env;  // extra environment of every service process (e.g. LOTSE_SMTP_URL)
  // Several hosts: the address each service is reached at (as [network.hosts] in the config
  // says; default 127.0.0.1), and the command a service is started through there (e.g.
  // {"/usr/bin/ip", "netns", "exec", "host-1"}; empty: started directly).
  std::map<std::string, std::string> hosts;
  std::map<std::string, std::vector<std::string>> launch;
};

// The real service binaries of one test, on free TCP ports, with data and logs in a temp dir.
// Talks to them over their real sockets with the bus's command client. The destructor SIGKILLs
// whatever still runs. Use from the test's main thread.
class LotseSet {
 public:
  explicit LotseSet(SetOptions options = {});
  ~LotseSet();

  // Starts (or restarts) a service by name: "intake", "routing", "notification", "audit" or
  // "web" (lotse-web). Waits until it answers. StartAll() starts intake and routing, and audit if
  // `with_audit`.
  void Start(const std::string& service);
  // Where Start() launches `service` from now on (a host moved: SetOptions::launch).
  void SetLaunch(const std::string& service, std::vector<std::string> prefix) {
    options_.launch[service] = std::move(prefix);
  }
  // The address `service` is reached at (SetOptions::hosts).
  std::string HostOf(const std::string& service) const {
    auto it = options_.hosts.find(service);
    return it != options_.hosts.end() ? it->second : "127.0.0.1";
  }
  void StartAll(bool with_audit = false, bool with_notification = false);
  void Kill(const std::string& service);  // SIGKILL + reap
  // SIGTERM; returns the exit code (expected 0 within 2 s).
  int Terminate(const std::string& service);
  bool Running(const std::string& service);
  pid_t Pid(const std::string& service);
  // The service's log so far, for failure messages.
  std::string Log(const std::string& service) const;

  absl::StatusOr<lotse::v1::IntakeReply> Intake(lotse::v1::IntakeRequest request);
  absl::StatusOr<lotse::v1::RoutingReply> Routing(lotse::v1::RoutingRequest request);
  absl::StatusOr<lotse::v1::AuditReply> Audit(lotse::v1::AuditRequest request);
  absl::StatusOr<lotse::v1::NotificationReply> Notification(
      lotse::v1::NotificationRequest request);
  // Sends raw frames to a service's command endpoint and returns the raw reply, if any.
  std::optional<std::vector<std::string>> Raw(const std::string& service,
                                              const std::vector<std::string>& frames,
                                              absl::Duration timeout = absl::Seconds(2));

  // Convenience commands. `key` "" = a fresh idempotency key.
  absl::StatusOr<lotse::v1::IntakeReply> Submit(const std::string& office,
                                                const std::string& topic,
                                                const std::string& company_id,
                                                const std::string& key = "");
  absl::StatusOr<lotse::v1::IntakeReply> Status(const std::string& office,
                                                const std::string& ref);
  absl::StatusOr<lotse::v1::IntakeReply> Feedback(const std::string& office,
                                                  const std::string& ref, int rating,
                                                  bool resolved);
  // The whole worklist: every page, merged into one reply.
  absl::StatusOr<lotse::v1::RoutingReply> Worklist(const std::string& department);
  // A changing routing command as `department`/`user`; fill exactly one command in `request`.
  absl::StatusOr<lotse::v1::RoutingReply> Act(const std::string& department,
                                              const std::string& user,
                                              lotse::v1::RoutingRequest request);
  // Head seq of a producer's event log (asked over its log endpoint).
  absl::StatusOr<uint64_t> LogHead(const std::string& service);
  // The events of a producer's log after `after_seq` (at most 1000), fetched over its log
  // endpoint.
  absl::StatusOr<std::vector<lotse::v1::Envelope>> LogEvents(const std::string& service,
                                                             uint64_t after_seq = 0);

  // Every configured department and key account manager.
  std::vector<std::string> Assignees();
  // Waits until `pred` holds, polling; true if it did within `deadline`.
  bool Eventually(const std::function<bool()>& pred, absl::Duration deadline = absl::Seconds(10));

  int port_base() const { return port_base_; }
  // The ops HTTP port (/metrics, /healthz, /readyz) of `service`.
  int OpsPort(const std::string& service) const;
  // The web terminal's HTTP port (Start("web") starts lotse-web).
  int WebPort() const { return port_base_ + config::kWebPortOffset; }
  // The set's keyring (made as lotse up makes it) and a client's curve options from it.
  const TestKeys& keys() const { return *keys_; }
  bus::CurveOptions Curve(const std::string& principal, const std::string& service) const;
  // The command client of `service` acting as `principal` (made on first use, then kept).
  bus::CommandClient& Client(const std::string& service, const std::string& principal);
  // The key a request acting as `actor` is sent with: its principal's, or admin's for a
  // principal the config does not know (which has no key): the services then refuse the actor.
  std::string KeyFor(const lotse::v1::Actor& actor) const;
  const std::string& dir() const { return dir_.path(); }
  std::string Binary(const std::string& service) const;

 private:
  std::vector<std::string> Args() const;
  // One Fetch on a producer's log endpoint, as a consumer named "test".
  absl::StatusOr<lotse::v1::FetchReply> FetchLog(const std::string& service, uint64_t after_seq,
                                                 uint32_t max_events);
  int Index(const std::string& service) const;

  SetOptions options_;
  TempDir dir_;
  int port_lock_fd_ = -1;
  int port_base_;
  std::string config_path_;
  std::map<std::string, std::unique_ptr<Process>> processes_;
  std::unique_ptr<bus::Context> context_;
  std::optional<TestKeys> keys_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<bus::CommandClient>> clients_;
  uint64_t next_id_ = 0;
};

// Reserves a block of 32 ports (config::kPortsPerSet) for this process: the block starts at a
// multiple of 16, its ports are free now, and an flock on /tmp/lotse-ports-<base>.lock keeps
// other test processes (ctest -j) off it until `*lock_fd` is closed. Returns the base, or -1 (with
// a test failure).
int ReservePortBlock(int* lock_fd);

// The principal whose key a request acting as `actor` needs ("admin" for no actor).
std::string PrincipalFor(const lotse::v1::Actor& actor);

// A fresh random key.
std::string NewKey();

struct HttpReply {
  int status = 0;  // 0: nothing answered
  std::string body;
};
// GET http://127.0.0.1:`port``path`.
HttpReply HttpGet(int port, const std::string& path, int timeout_s = 3);
// The value of the series `series` (name with its labels, exactly as exposed) in a Prometheus
// exposition, or -1 if it has no such series.
double MetricValue(const std::string& exposition, const std::string& series);

}  // namespace lotse::test
