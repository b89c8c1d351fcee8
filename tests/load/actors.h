#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "common/bus/command.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"
#include "tests/load/ledger.h"
#include "tests/support/keys.h"

namespace lotse::load {

// What the simulated people know about the city (from routing's `directory` command).
struct City {
  std::vector<std::string> offices;
  std::vector<std::string> topics;
  std::vector<std::string> departments;
  std::vector<std::string> key_accounts;
  std::vector<std::string> kam_companies;  // companies that have a key account manager
};

// What every actor shares. The context, keys and ledger outlive the actors. Every client
// connects with the key of the principal it acts as (an office, a department), since the
// services refuse a request whose actor is not the key's principal.
struct Shared {
  bus::Context* context = nullptr;
  const test::TestKeys* keys = nullptr;
  std::string intake;  // command endpoints
  std::string routing;
  std::string notification;
  Ledger* ledger = nullptr;
  City city;
  uint64_t seed = 0;
  double resend_share = 0.05;
};

// The idempotency key a submission carries in its subject ("Lastprobe <key>: ..."), so the
// checker can tell every stored referral's request; "" if the subject has none.
std::string KeyFromSubject(const std::string& subject);

// One simulated intake terminal pool: `threads` threads together submit referrals at `rate` per
// second from `start` on (open loop: the i-th referral is due at start + i / rate whatever the
// replies take), each from a random office with a fresh idempotency key (each thread keeps one
// client per office, with that office's key). A share of the acknowledged ones is sent again
// with the same key. Thread-safe: Start/Stop from one thread.
class Submitters {
 public:
  Submitters(const Shared& shared, int threads, double rate);
  ~Submitters() { Stop(); }
  Submitters(const Submitters&) = delete;
  Submitters& operator=(const Submitters&) = delete;
  void Start(absl::Time start);
  // Stops sending; waits for requests in flight.
  void Stop();
  uint64_t sent() const { return sent_; }
  // How late the latest submission left compared to its schedule (open loop), worst case.
  absl::Duration max_slip() const { return absl::Microseconds(max_slip_us_.load()); }

 private:
  void Run(int index, absl::Time start);

  const Shared& shared_;
  int threads_;
  double rate_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<int64_t> max_slip_us_{0};
  std::vector<std::thread> workers_;
};

// The simulated staff of one department or key account manager: a poller reads the worklist
// through routing's `worklist` command and hands each item to one of `staff` workers (always the
// same one per referral). A worker claims, then (decided per referral) forwards once, consults
// one or two departments and waits for their contributions, or answers; consultation items get a
// contribution. A command without a reply is sent again with the same key until it gets one.
// Thread-safe: Start/Stop from one thread, idle() from any.
class Department {
 public:
  Department(const Shared& shared, std::string assignee, int staff);
  ~Department();
  Department(const Department&) = delete;
  Department& operator=(const Department&) = delete;
  void Start();
  // Stops; commands still without a reply are counted as unacknowledged.
  void Stop();
  // The last worklist read was empty and no command waits for a reply.
  bool idle() const { return idle_; }
  // Items on the worklist at the last read.
  uint32_t backlog() const { return backlog_; }
  const std::string& assignee() const { return assignee_; }

 private:
  struct Worker;
  void Poll();
  void Work(Worker& w);
  void Handle(Worker& w, const lotse::v1::WorkItem& item);
  // Sends a change as this department; returns the reply (may be a refusal), nullopt if none.
  std::optional<lotse::v1::RoutingReply> Act(Worker& w, Cmd cmd, lotse::v1::RoutingRequest request);
  std::optional<lotse::v1::ReferralState> GetState(Worker& w, const std::string& ref);
  void RetryPending(Worker& w, const std::string& only_ref);

  const Shared& shared_;
  std::string assignee_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> idle_{false};
  std::atomic<uint32_t> backlog_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread poller_;
};

// What an office's inbox reader saw, for the checker.
struct InboxFindings {
  std::string office;
  uint64_t messages = 0;               // first deliveries
  uint64_t redelivered_after_ack = 0;  // a message again after its acknowledgement: duplicate
  uint64_t order_violations = 0;       // a reply not contiguous after the acknowledged position
  uint64_t ack_went_back = 0;          // the service's acknowledged position moved backwards
  std::vector<std::string> examples;
  std::unordered_map<std::string, int> answers;  // referral id -> ANSWER messages delivered
};

// One citizen office: a terminal long-polls its notification inbox (InboxRequest with ack and
// wait), acknowledges what it got and records every message against its acknowledgements;
// `feedback_threads` terminals give feedback on most answers through intake (the same key
// again while intake has no reply or has not seen the answer yet). Thread-safe: Start/Stop
// from one thread, idle() from any.
class OfficeReader {
 public:
  OfficeReader(const Shared& shared, std::string office, double feedback_share,
               int feedback_threads);
  ~OfficeReader() { Stop(); }
  OfficeReader(const OfficeReader&) = delete;
  OfficeReader& operator=(const OfficeReader&) = delete;
  void Start();
  void Stop();
  // The inbox was read up to its head by a request sent at or after `since`, and no feedback
  // is waiting. (A drained reply to an earlier request says nothing about messages that
  // arrived later.)
  bool idle(absl::Time since) const;
  // Valid after Stop().
  const InboxFindings& findings() const { return findings_; }

 private:
  struct PendingFeedback {
    lotse::v1::IntakeRequest request;
    // Set instead for the company's reply to a question back, which the office enters in
    // routing (company_replied).
    std::optional<lotse::v1::RoutingRequest> company_reply;
    std::string ref;  // the referral a company feedback is for (its reply names the case only)
    absl::Time due;
    int refusals = 0;
  };
  void Run();
  void Receive(const lotse::v1::InboxReply& reply);
  void GiveFeedback(int index);

  const Shared& shared_;
  std::string office_;
  double feedback_share_;
  int feedback_threads_;
  std::mt19937_64 random_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> drained_{false};
  std::atomic<int64_t> drained_request_us_{0};  // when the request of the last drained reply left
  uint64_t ack_ = 0;        // what the next request acknowledges
  uint64_t confirmed_ = 0;  // the highest acknowledged position the service confirmed
  uint64_t max_seen_ = 0;   // the highest seq received
  uint64_t next_id_ = 0;
  InboxFindings findings_;  // reader thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PendingFeedback> feedback_;  // under mu_, ordered by due time (roughly)
  int in_flight_ = 0;                     // under mu_
  std::thread thread_;
  std::vector<std::thread> feedback_workers_;
};

}  // namespace lotse::load
