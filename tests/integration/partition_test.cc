// A network partition of one service, with the real binaries: routing runs in its own network
// namespace, joined to the rest of the set only by a veth pair, and for about 5 s every packet
// on that pair is dropped. Intake keeps acknowledging submits, the consumers of routing's log
// (intake, notification, audit) turn unready and name routing, and after healing everything
// acknowledged reaches the worklists and the audit chain exactly once.
//
// How the namespaces are joined: every service takes one `network.host` (127.0.0.1 here) for
// its own endpoints and everyone else's, so routing inside its namespace binds 127.0.0.1 there
// and looks for intake at 127.0.0.1 too. A small TCP relay in this test translates addresses
// (what DNAT would do; Debian 12 here has neither nft nor iptables installed) and carries every
// byte between the namespaces over the veth pair, the only path between them:
//   root ns 127.0.0.1:{command, log, ops of routing} -> veth -> routing ns 127.0.0.1:same port
//   routing ns 127.0.0.1:{log of intake}             -> veth -> root ns 127.0.0.1:same port
// The partition itself is in the kernel: a `pfifo limit 0` qdisc on both ends of the veth pair
// drops every packet silently (sch_netem is not available in every kernel), so TCP sees a dead
// link, not a reset. Per-service addresses in the config (bind host + advertised address per
// service) would make the relay unnecessary.
//
// Needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) and the `ip` and `tc` commands (Debian
// package iproute2); where any of that is missing the test is skipped and says why.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

constexpr absl::Duration kPartition = absl::Seconds(5);
constexpr int kReadyMaxSilenceMs = 2000;  // limits.ready_max_silence_ms: unready after 2 s
constexpr std::array<const char*, 4> kServices = {"intake", "routing", "notification", "audit"};

// Runs `binary` (ip, tc) and returns "" on success, else the command and what it said.
std::string Run(const std::string& binary, const std::vector<std::string>& args) {
  const CommandResult result = RunCommand(binary, args, {}, absl::Seconds(10));
  if (result.exit_code == 0) {
    return "";
  }
  std::string command = binary;
  for (const std::string& arg : args) {
    command += " " + arg;
  }
  std::string said = result.err.empty() ? result.out : result.err;
  while (!said.empty() && said.back() == '\n') {
    said.pop_back();
  }
  return StrCat("'", command, "' failed (exit ", result.exit_code, "): ", said);
}

// A network namespace with a veth pair to the test's own namespace, named after the test's
// pid, torn down by the destructor. Cut() drops every packet on the pair; Heal() undoes it.
// Not thread-safe.
class NetnsLink {
 public:
  NetnsLink() {
    const pid_t pid = getpid();
    name_ = StrCat("lotse-part-", pid);
    host_if_ = StrCat("lph", pid);
    ns_if_ = StrCat("lpn", pid);
    // A /30 of 10.200.0.0/10 derived from the pid, so concurrent test processes do not clash.
    const std::string net = StrCat("10.", 200 + (pid / 16384) % 50, ".", (pid / 64) % 256, ".");
    host_addr_ = StrCat(net, (pid % 64) * 4 + 1);
    ns_addr_ = StrCat(net, (pid % 64) * 4 + 2);
  }
  NetnsLink(const NetnsLink&) = delete;
  NetnsLink& operator=(const NetnsLink&) = delete;
  ~NetnsLink() {
    if (ns_fd_ >= 0) {
      close(ns_fd_);
    }
    if (!created_) {
      return;
    }
    try {
      (void)Run("ip", {"link", "del", host_if_});  // deletes both ends
      (void)Run("ip", {"netns", "del", name_});
    } catch (...) {  // only std::bad_alloc; a destructor must not throw
    }
  }

  // Creates the namespace and the link, and checks that Cut() and Heal() work. Returns "" on
  // success, else why it is not possible here.
  std::string Create() {
    if (const std::string why = Run("ip", {"-V"}); !why.empty()) {
      return StrCat("the 'ip' command (Debian package iproute2) is not usable: ", why);
    }
    RemoveLeftovers();
    if (std::string why = Run("ip", {"netns", "add", name_}); !why.empty()) {
      return why;
    }
    created_ = true;
    const std::vector<std::vector<std::string>> steps = {
        {"link", "add", host_if_, "type", "veth", "peer", "name", ns_if_, "netns", name_},
        {"addr", "add", host_addr_ + "/30", "dev", host_if_},
        {"link", "set", host_if_, "up"},
        {"-n", name_, "addr", "add", ns_addr_ + "/30", "dev", ns_if_},
        {"-n", name_, "link", "set", ns_if_, "up"},
        {"-n", name_, "link", "set", "lo", "up"},
    };
    for (const auto& step : steps) {
      if (std::string why = Run("ip", step); !why.empty()) {
        return why;
      }
    }
    ns_fd_ = open(StrCat("/run/netns/", name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd_ < 0) {
      return StrCat("cannot open /run/netns/", name_, ": ", std::strerror(errno));
    }
    if (std::string why = Cut(); !why.empty()) {
      return StrCat("cannot drop packets on the veth pair: ", why);
    }
    return Heal();
  }

  // Drops every packet in both directions: a root qdisc that queues nothing on each end.
  std::string Cut() {
    if (std::string why =
            Run("tc", {"qdisc", "add", "dev", host_if_, "root", "pfifo", "limit", "0"});
        !why.empty()) {
      return why;
    }
    return Run("ip", {"netns", "exec", name_, "tc", "qdisc", "add", "dev", ns_if_, "root", "pfifo",
                      "limit", "0"});
  }
  std::string Heal() {
    const std::string host = Run("tc", {"qdisc", "del", "dev", host_if_, "root"});
    const std::string ns =
        Run("ip", {"netns", "exec", name_, "tc", "qdisc", "del", "dev", ns_if_, "root"});
    return host.empty() ? ns : host;
  }

  const std::string& name() const { return name_; }
  int ns_fd() const { return ns_fd_; }
  const std::string& host_addr() const { return host_addr_; }
  const std::string& ns_addr() const { return ns_addr_; }

 private:
  // Namespaces of earlier runs of this test whose process is gone (a crash skips destructors).
  void RemoveLeftovers() {
    const CommandResult list = RunCommand("ip", {"netns", "list"}, {}, absl::Seconds(10));
    for (absl::string_view line : absl::StrSplit(list.out, '\n', absl::SkipEmpty())) {
      const std::string name(line.substr(0, line.find(' ')));
      if (name.rfind("lotse-part-", 0) != 0) {
        continue;
      }
      const std::string pid = name.substr(std::strlen("lotse-part-"));
      if (access(StrCat("/proc/", pid).c_str(), F_OK) != 0) {
        (void)Run("ip", {"link", "del", StrCat("lph", pid)});
        (void)Run("ip", {"netns", "del", name});
      }
    }
  }

  std::string name_, host_if_, ns_if_, host_addr_, ns_addr_;
  int ns_fd_ = -1;
  bool created_ = false;
};

// A TCP socket in network namespace `ns_fd` (-1: the test's own), non-blocking. -1 on error.
int SocketIn(int ns_fd) {
  int fd = -1;
  auto create = [&] { fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); };
  if (ns_fd < 0) {
    create();
  } else {
    // setns() switches only the calling thread; a socket keeps the namespace it was made in.
    std::thread([&] {
      if (setns(ns_fd, CLONE_NEWNET) == 0) {
        create();
      }
    }).join();
  }
  return fd;
}

sockaddr_in Address(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// Carries TCP connections from a listening address in one network namespace to an address in
// another: every accepted connection gets its own connection to the target and a thread that
// copies both ways until either side closes. Stop() (or the destructor) ends everything.
// Add() and Stop() from one thread.
class TcpRelay {
 public:
  TcpRelay() = default;
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;
  ~TcpRelay() { Stop(); }

  // Listens at from_ip:port in namespace `from_ns` and relays to to_ip:port from `to_ns`
  // (-1: the test's own namespace). Returns "" or what failed.
  std::string Add(int from_ns, const std::string& from_ip, int to_ns, const std::string& to_ip,
                  int port) {
    const int fd = SocketIn(from_ns);
    if (fd < 0) {
      return StrCat("socket: ", std::strerror(errno));
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const sockaddr_in at = Address(from_ip, port);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof(at)) != 0 || listen(fd, 64) != 0) {
      std::string why =
          StrCat("relay cannot listen on ", from_ip, ":", port, ": ", std::strerror(errno));
      close(fd);
      return why;
    }
    acceptors_.emplace_back([this, fd, to_ns, to = Address(to_ip, port)] {
      Accept(fd, to_ns, to);
      close(fd);
    });
    return "";
  }

  void Stop() {
    stop_ = true;
    for (std::thread& t : acceptors_) {
      t.join();
    }
    acceptors_.clear();
    std::lock_guard lock(mu_);
    for (std::thread& t : pipes_) {
      t.join();
    }
    pipes_.clear();
  }

  int connections() const { return connections_; }

 private:
  static constexpr int kSliceMs = 100;

  void Accept(int listener, int to_ns, sockaddr_in to) {
    while (!stop_) {
      pollfd p{listener, POLLIN, 0};
      if (poll(&p, 1, kSliceMs) <= 0) {
        continue;
      }
      const int down = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (down < 0) {
        continue;
      }
      ++connections_;
      std::lock_guard lock(mu_);
      pipes_.emplace_back([this, down, to_ns, to] {
        const int up = SocketIn(to_ns);
        if (up >= 0 && Connect(up, to)) {
          Copy(down, up);
        }
        if (up >= 0) {
          close(up);
        }
        close(down);
      });
    }
  }

  // Waits for a non-blocking connect, in slices, as long as the relay runs.
  bool Connect(int fd, const sockaddr_in& to) {
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0) {
      return true;
    }
    if (errno != EINPROGRESS) {
      return false;
    }
    while (!stop_) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, kSliceMs) > 0) {
        int error = 0;
        socklen_t len = sizeof(error);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        return error == 0;
      }
    }
    return false;
  }

  // Writes all of `data` to `fd`, waiting in slices while the relay runs.
  bool WriteAll(int fd, const char* data, size_t size) {
    while (size > 0 && !stop_) {
      const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
      if (n > 0) {
        data += n;
        size -= static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd p{fd, POLLOUT, 0};
        poll(&p, 1, kSliceMs);
        continue;
      }
      return false;
    }
    return size == 0;
  }

  void Copy(int a, int b) {
    std::vector<char> buffer(size_t{64} << 10);
    while (!stop_) {
      std::array<pollfd, 2> p = {{{a, POLLIN, 0}, {b, POLLIN, 0}}};
      if (poll(p.data(), p.size(), kSliceMs) <= 0) {
        continue;
      }
      for (int i = 0; i < 2; ++i) {
        if (p[i].revents == 0) {
          continue;
        }
        const int from = i == 0 ? a : b;
        const ssize_t n = recv(from, buffer.data(), buffer.size(), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          return;  // one side closed: close both, the peers reconnect
        }
        if (n > 0 && !WriteAll(i == 0 ? b : a, buffer.data(), static_cast<size_t>(n))) {
          return;
        }
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::vector<std::thread> acceptors_;
  std::mutex mu_;
  std::vector<std::thread> pipes_;  // guarded by mu_
};

// GET from inside network namespace `ns_fd`.
HttpReply HttpGetIn(int ns_fd, int port, const std::string& path) {
  HttpReply reply;
  std::thread([&] {
    if (setns(ns_fd, CLONE_NEWNET) == 0) {
      reply = HttpGet(port, path);
    }
  }).join();
  return reply;
}

std::string ConfigText() {
  std::string text(config::DefaultConfigText());
  const std::string key = "ready_max_silence_ms = ";
  const size_t at = text.find(key);
  EXPECT_NE(at, std::string::npos);
  const size_t end = text.find('\n', at);
  return text.replace(at, end - at, StrCat(key, kReadyMaxSilenceMs));
}

absl::StatusOr<lotse::v1::AuditReply> AuditAs(LotseSet& set, lotse::v1::ActorKind kind,
                                              lotse::v1::AuditRequest request) {
  request.mutable_actor()->set_kind(kind);
  request.mutable_actor()->set_id("test");
  return set.Audit(request);
}

constexpr std::array<const char*, 6> kTopics = {"baugenehmigung",   "emissionsschutz",
                                                "gewerbeanmeldung", "foerdermittel",
                                                "gewerbesteuer",    "bebauungsplan"};

TEST(PartitionTest, RoutingCutOffForSecondsLosesAndDuplicatesNothing) {
  SetOptions options;
  options.config_toml = ConfigText();
  LotseSet set(options);
  NetnsLink net;
  if (const std::string why = net.Create(); !why.empty()) {
    GTEST_SKIP() << "cannot put routing into its own network namespace here: " << why;
  }
  const int base = set.port_base();
  const std::array<int, 3> routing_ports = {base + 2, base + 3, set.OpsPort("routing")};
  const int intake_log = base + 1;
  TcpRelay relay;
  for (int port : routing_ports) {
    ASSERT_EQ(relay.Add(-1, "127.0.0.1", -1, net.ns_addr(), port), "");
    ASSERT_EQ(relay.Add(net.ns_fd(), net.ns_addr(), net.ns_fd(), "127.0.0.1", port), "");
  }
  ASSERT_EQ(relay.Add(net.ns_fd(), "127.0.0.1", net.ns_fd(), net.host_addr(), intake_log), "");
  ASSERT_EQ(relay.Add(-1, net.host_addr(), -1, "127.0.0.1", intake_log), "");

  set.Start("intake");
  const std::string routing_log = set.dir() + "/routing.log";
  absl::StatusOr<std::unique_ptr<Process>> routing = Process::Start(
      "ip",
      {"netns", "exec", net.name(), set.Binary("routing"), "--data-dir", set.dir() + "/data",
       "--port-base", std::to_string(base), "--config", set.dir() + "/lotse.toml"},
      {}, routing_log);
  ASSERT_TRUE(routing.ok()) << routing.status();
  const bool routing_up = set.Eventually(
      [&] {
        return !(*routing)->Running() ||
               set.Raw("routing", {"ping"}, absl::Milliseconds(300)).has_value();
      },
      absl::Seconds(15));
  ASSERT_TRUE(routing_up && (*routing)->Running())
      << "routing in namespace " << net.name() << " did not answer:\n"
      << set.Log("routing");
  set.Start("notification");
  set.Start("audit");

  std::map<std::string, std::string> acked;  // referral id -> office
  int submitted = 0;
  absl::Duration slowest_ack;
  auto submit = [&] {
    const int i = submitted++;
    const std::string office = i % 2 == 0 ? "bb-mitte" : "bb-nord";
    const absl::Time start = absl::Now();
    absl::StatusOr<lotse::v1::IntakeReply> reply =
        set.Submit(office, kTopics[i % 6], StrCat("HRB-", 82000 + i));
    slowest_ack = std::max(slowest_ack, absl::Now() - start);
    ASSERT_TRUE(reply.ok() && reply->has_submitted())
        << "submit " << i << ": "
        << (reply.ok() ? reply->DebugString() : reply.status().ToString());
    acked[reply->submitted().referral_id()] = office;
  };
  const std::vector<std::string> assignees = set.Assignees();
  ASSERT_FALSE(assignees.empty());
  auto on_worklists = [&](std::multiset<std::string>* seen) {
    seen->clear();
    for (const std::string& assignee : assignees) {
      absl::StatusOr<lotse::v1::RoutingReply> list = set.Worklist(assignee);
      if (!list.ok()) {
        return false;
      }
      for (const lotse::v1::WorkItem& item : list->worklist().items()) {
        seen->insert(item.referral_id());
      }
    }
    return true;
  };

  // The set works across the namespaces.
  for (int i = 0; i < 10; ++i) {
    submit();
    ASSERT_FALSE(HasFatalFailure());
  }
  std::multiset<std::string> seen;
  ASSERT_TRUE(set.Eventually([&] { return on_worklists(&seen) && seen.size() == acked.size(); }))
      << seen.size() << " of " << acked.size() << " on the worklists before the partition";
  for (const char* service : kServices) {
    HttpReply ready;
    ASSERT_TRUE(set.Eventually([&] {
      ready = HttpGet(set.OpsPort(service), "/readyz");
      return ready.status == 200;
    })) << service
        << " is not ready before the partition: " << ready.body;
  }

  // Partition: submits go on; the consumers of routing's log lose it.
  ASSERT_EQ(net.Cut(), "");
  const absl::Time cut_at = absl::Now();
  slowest_ack = absl::ZeroDuration();
  std::map<std::string, absl::Duration> unready_after;  // consumer of routing -> when it said so
  std::map<std::string, std::string> unready_reason;
  const size_t acked_before_cut = acked.size();
  while (absl::Now() - cut_at < kPartition ||
         (unready_after.size() < 3 && absl::Now() - cut_at < 2 * kPartition)) {
    submit();
    if (HasFatalFailure()) {
      return;
    }
    for (const char* service : {"intake", "notification", "audit"}) {
      if (unready_after.count(service) != 0) {
        continue;
      }
      const HttpReply ready = HttpGet(set.OpsPort(service), "/readyz");
      if (ready.status == 503 && ready.body.find("'routing'") != std::string::npos) {
        unready_after[service] = absl::Now() - cut_at;
        unready_reason[service] = ready.body;
      }
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  const size_t acked_in_cut = acked.size() - acked_before_cut;
  // Routing is alive in its namespace but cut off: no reply through the link, and seen from
  // inside it has lost intake.
  EXPECT_FALSE(set.Raw("routing", {"ping"}, absl::Milliseconds(500)).has_value())
      << "routing answered through a cut link: the partition is not real";
  const HttpReply inside = HttpGetIn(net.ns_fd(), set.OpsPort("routing"), "/readyz");
  EXPECT_EQ(inside.status, 503) << inside.body;
  EXPECT_NE(inside.body.find("'intake'"), std::string::npos) << inside.body;
  EXPECT_TRUE((*routing)->Running()) << set.Log("routing");
  const absl::Duration cut_for = absl::Now() - cut_at;
  for (const char* service : {"intake", "notification", "audit"}) {
    EXPECT_EQ(unready_after.count(service), 1u)
        << service << " stayed ready although routing was unreachable for "
        << absl::ToDoubleSeconds(cut_for) << " s";
  }

  // Heal: everything acknowledged flows through, exactly once.
  ASSERT_EQ(net.Heal(), "");
  const absl::Time healed_at = absl::Now();
  const bool complete = set.Eventually(
      [&] { return on_worklists(&seen) && seen.size() >= acked.size(); }, absl::Seconds(20));
  const absl::Duration worklists_after = absl::Now() - healed_at;
  EXPECT_TRUE(complete) << seen.size() << " of " << acked.size()
                        << " acknowledged referrals on the worklists after healing\n"
                        << set.Log("routing");
  for (const auto& [id, office] : acked) {
    EXPECT_EQ(seen.count(id), 1u) << "referral " << id << " is on " << seen.count(id)
                                  << " worklist entries";
  }
  EXPECT_EQ(seen.size(), acked.size()) << "worklists hold unacknowledged referrals";
  for (const char* service : kServices) {
    HttpReply ready;
    EXPECT_TRUE(set.Eventually([&] {
      ready = HttpGet(set.OpsPort(service), "/readyz");
      return ready.status == 200;
    })) << service
        << " stayed unready after healing: " << ready.body;
  }
  const absl::Duration ready_after = absl::Now() - healed_at;

  absl::StatusOr<uint64_t> intake_head = set.LogHead("intake");
  ASSERT_TRUE(intake_head.ok()) << intake_head.status();
  EXPECT_EQ(*intake_head, acked.size()) << "intake logged a submit twice or lost one";
  // Audit holds every event of every producer exactly once, in a valid chain.
  auto produced = [&] {
    return set.LogHead("intake").value_or(0) + set.LogHead("routing").value_or(0) +
           set.LogHead("notification").value_or(0);
  };
  lotse::v1::AuditRequest verify;
  verify.mutable_verify();
  uint64_t entries = 0;
  EXPECT_TRUE(set.Eventually(
      [&] {
        absl::StatusOr<lotse::v1::AuditReply> v = AuditAs(set, lotse::v1::ACTOR_KIND_OPS, verify);
        entries = v.ok() ? v->verify().entries() : 0;
        return v.ok() && v->verify().ok() && entries == produced();
      },
      absl::Seconds(15)))
      << "audit chain: " << entries << " entries for " << produced() << " events";
  for (const auto& [id, office] : acked) {
    lotse::v1::AuditRequest history;
    history.mutable_history()->set_ref(id);
    absl::StatusOr<lotse::v1::AuditReply> h = AuditAs(set, lotse::v1::ACTOR_KIND_ADMIN, history);
    ASSERT_TRUE(h.ok() && h->has_history()) << id;
    std::set<std::pair<std::string, uint64_t>> events;
    std::multiset<std::string> kinds;
    for (const auto& e : h->history().entries()) {
      EXPECT_TRUE(events.emplace(e.event().stream(), e.event().seq()).second)
          << "event " << e.event().stream() << "/" << e.event().seq() << " is in the chain twice";
      kinds.insert(e.event().stream() + "/" + std::to_string(e.event().payload_case()));
    }
    EXPECT_EQ(kinds.count(StrCat("intake/", lotse::v1::Envelope::kReferralSubmitted)), 1u) << id;
    EXPECT_EQ(kinds.count(StrCat("routing/", lotse::v1::Envelope::kReferralRouted)), 1u) << id;
  }

  for (const char* service : kServices) {
    const std::string log = set.Log(service);
    EXPECT_EQ(log.find(" critical "), std::string::npos) << service << ":\n" << log;
  }
  std::printf(
      "[ figures  ] link cut for %.1f s: %zu submits acknowledged meanwhile (slowest "
      "%.0f ms); unready after intake %.1f s, notification %.1f s, audit %.1f s\n",
      absl::ToDoubleSeconds(cut_for), acked_in_cut, absl::ToDoubleMilliseconds(slowest_ack),
      absl::ToDoubleSeconds(unready_after["intake"]),
      absl::ToDoubleSeconds(unready_after["notification"]),
      absl::ToDoubleSeconds(unready_after["audit"]));
  std::printf(
      "[ figures  ] healed: all %zu referrals on the worklists after %.1f s, all four "
      "ready after %.1f s; %llu audit entries, each event once; %d relayed connections\n",
      acked.size(), absl::ToDoubleSeconds(worklists_after), absl::ToDoubleSeconds(ready_after),
      static_cast<unsigned long long>(entries), relay.connections());
  std::printf("[ figures  ] notification said: %s", unready_reason["notification"].c_str());

  for (const char* service : {"audit", "notification", "intake"}) {
    EXPECT_EQ(set.Terminate(service), 0) << service;
  }
  absl::StatusOr<int> routing_exit = (*routing)->Terminate(absl::Seconds(2));
  EXPECT_TRUE(routing_exit.ok() && *routing_exit == 0) << "routing did not stop cleanly:\n"
                                                       << set.Log("routing");
}

}  // namespace
}  // namespace lotse::test
