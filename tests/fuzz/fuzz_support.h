#pragma once

// What every Lotse fuzz target shares: a quiet process, a fixed service time, the four real
// services created once per process on a seeded store, and the checks a command reply must pass.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/auth/keyring.h"
#include "common/bus/command.h"
#include "common/bus/socket.h"
#include "common/config/config.h"
#include "common/service/telemetry.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"
#include "services/audit/audit_service.h"
#include "services/intake/intake_service.h"
#include "services/notification/notification_service.h"
#include "services/routing/routing_service.h"

namespace lotse::fuzz {

// The service time of every fuzz input: Monday 2 March 2026, 10:00 in Musterstadt, inside every
// department's office hours. A fixed time keeps runs reproducible.
absl::Time FixedNow();

// Once per process, before anything else: logging off (set LOTSE_FUZZ_LOG=debug|info|... to see
// the services' log lines while reproducing a crash), protobuf's parse messages captured as the
// services expect (service::CaptureProtobufLogs), error metrics prepared.
void InitProcess();

// A broken promise: prints `what` and `detail` and aborts, so libFuzzer keeps the input.
[[noreturn]] void Fail(std::string_view what, std::string_view detail = "");

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The four real services of one set, created with Create() as their main() does, on a temp data
// dir and a free block of TCP ports (their runners bind their endpoints, but no loop runs: the
// targets call the handlers directly). The stores are seeded by running the real flow once
// (SeedForFuzzing below), so inputs that name the seeded case numbers reach deep paths.
// Created on first use, destroyed at exit (the temp dir with it). Not thread-safe.
class ServiceSet {
 public:
  static ServiceSet& Get();
  ~ServiceSet();
  ServiceSet(const ServiceSet&) = delete;
  ServiceSet& operator=(const ServiceSet&) = delete;

  const config::Config& config() const { return config_; }
  intake::IntakeService& intake() { return *intake_; }
  routing::RoutingService& routing() { return *routing_; }
  notification::NotificationService& notification() { return *notification_; }
  audit::AuditService& audit() { return *audit_; }
  store::Store& store(config::Service service);
  service::Handler& handler(config::Service service);
  // `body` as it arrives on a connection that the ZAP handler tagged with the principal whose
  // key a request acting as `actor` needs (admin's for one the config does not know), so that
  // inputs reach the handlers' checks behind the caller's identity.
  bus::Request Arriving(std::string_view body, const lotse::v1::Actor& actor,
                        bus::Frames route = {}) const;
  // The keyring the services check callers against.
  const auth::Directory& directory() const { return *directory_; }

 private:
  ServiceSet();
  bool TryCreate(int port_base);
  void Destroy();
  void Seed();
  // Hands every event committed since the last call to the services that consume it, one
  // commit per consumer, until no service produces anything new.
  void Propagate();
  void Commit(config::Service service, store::Batch& batch);
  // Runs `request` through the handler and commits it; Fail()s on an error reply.
  template <typename Reply>
  Reply Call(config::Service service, const google::protobuf::Message& request);

  std::string dir_;
  int port_lock_fd_ = -1;
  std::string last_error_;  // why the last TryCreate failed
  config::Config config_;
  std::shared_ptr<const auth::Directory> directory_;  // the keyring made in data/keys
  // One per service, as each runs in its own process: each binds its own ZAP handler at the
  // one inproc address ZeroMQ asks. They outlive the services' sockets.
  std::unique_ptr<bus::Context> contexts_[config::kServiceCount];
  std::unique_ptr<intake::IntakeService> intake_;
  std::unique_ptr<routing::RoutingService> routing_;
  std::unique_ptr<notification::NotificationService> notification_;
  std::unique_ptr<audit::AuditService> audit_;
  uint64_t propagated_[config::kServiceCount] = {};  // outbox seq handed on, per producer
};

// What the seeded stores hold (all submitted at FixedNow() minus a day, case numbers in order):
//   2026-000001  bb-mitte, baugenehmigung -> bauordnung; claimed by "mueller"; umwelt consulted
//   2026-000002  bb-nord, ansiedlung, company HRB-20417 -> kam-schneider; routed
//   2026-000003  bb-mitte, emissionsschutz -> umwelt; answered, feedback given: closed
//   2026-000004  bb-sued, gewerbeflaechen -> wirtschaftsfoerderung (office rule); answered
inline constexpr int kSeededReferrals = 4;

// The checks every command reply must pass, whatever the request bytes were:
// - the reply parses as `Reply` and carries a result (an error or an answer);
// - bytes that are not a `Request` get INVALID_ARGUMENT;
// - a request that parses gets its request_id back;
// - an error is structured: a known code other than UNSPECIFIED and INTERNAL, and a message;
// - a handler that answers with an error has written nothing (Handler's contract).
template <typename Request, typename Reply>
Reply CheckReply(std::string_view body, const std::string& reply_bytes, const store::Batch& batch) {
  Reply reply;
  if (!reply.ParseFromString(reply_bytes)) {
    Fail("the reply does not parse as", Reply::descriptor()->full_name());
  }
  if (reply.result_case() == Reply::RESULT_NOT_SET) {
    Fail("the reply carries neither an error nor a result", reply.ShortDebugString());
  }
  Request request;
  const bool parsed = request.ParseFromArray(body.data(), static_cast<int>(body.size()));
  if (!parsed &&
      (!reply.has_error() || reply.error().code() != lotse::v1::ERROR_CODE_INVALID_ARGUMENT)) {
    Fail("bytes that are no request were not refused as INVALID_ARGUMENT",
         reply.ShortDebugString());
  }
  if (parsed && reply.request_id() != request.request_id()) {
    Fail("the reply does not echo the request id", reply.ShortDebugString());
  }
  if (reply.has_error()) {
    const lotse::v1::Error& error = reply.error();
    if (!lotse::v1::ErrorCode_IsValid(error.code()) ||
        error.code() == lotse::v1::ERROR_CODE_UNSPECIFIED ||
        error.code() == lotse::v1::ERROR_CODE_INTERNAL || error.message().empty()) {
      Fail("the error is not structured (code, message)", error.ShortDebugString());
    }
    if (!batch.empty()) {
      Fail("the handler answered with an error but wrote to the batch", error.ShortDebugString());
    }
  }
  return reply;
}

// One command fuzz input: `body` goes to the real handler of `service` as the runner hands it a
// request body, then the reply is checked (CheckReply). The runner names the command for its
// metrics from the same bytes (CommandName), so that runs too. The batch is never committed:
// every input meets the same seeded store, which keeps runs reproducible and memory bounded.
template <typename Request, typename Reply>
void FuzzCommand(config::Service service, std::string_view body) {
  ServiceSet& set = ServiceSet::Get();
  service::Handler& handler = set.handler(service);
  (void)service::CommandName(handler.RequestDescriptor(), body);
  store::Batch batch(&set.store(service));
  Request request;
  (void)request.ParseFromArray(body.data(), static_cast<int>(body.size()));
  if (request.has_backup()) {
    return;  // writes a checkpoint to the file system by design: tested in BackupTest instead
  }
  const std::optional<std::string> reply =
      handler.HandleCommand(set.Arriving(body, request.actor()), set.directory(), batch,
                            FixedNow());
  if (!reply.has_value()) {
    Fail("a request without a route to answer it later was parked");
  }
  CheckReply<Request, Reply>(body, *reply, batch);
}

}  // namespace lotse::fuzz
