// Several hosts, with the real binaries: each of the four services runs in its own network
// namespace with its own address on one bridge ([network.hosts] names the four addresses, as a
// city's config names its servers); the test drives the set from its own namespace. While
// referrals keep coming, the link of routing's host is cut and healed, and then routing's whole
// host dies (every process in its namespace killed, the namespace gone) and routing comes back
// in a new namespace with the same address and the same data directory, as Kubernetes
// reschedules a pod with its volume. Everything intake acknowledged reaches routing and the audit
// chain exactly once.
//
// Needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN), the `ip` command (Debian package iproute2)
// and bridges in the kernel; where any of that is missing the test is skipped and says why.
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"

namespace lotse::test {
namespace {

constexpr const char* kServices[] = {"intake", "routing", "notification", "audit"};

std::string Ip() { return access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip" : "/usr/bin/ip"; }

// Runs `ip args...`; returns "" on success, else the command and what it said.
std::string RunIp(const std::vector<std::string>& args) {
  const CommandResult result = RunCommand(Ip(), args, {}, absl::Seconds(10));
  if (result.exit_code == 0) {
    return "";
  }
  std::string command = "ip";
  for (const std::string& arg : args) {
    command += " " + arg;
  }
  return StrCat("'", command, "' failed (exit ", result.exit_code, "): ", result.err);
}

// One bridge in the test's namespace and a namespace per host on it, each with its own address
// of a /24 derived from the pid (so concurrent test processes do not clash). The destructor
// removes all of it.
class Hosts {
 public:
  Hosts() : pid_(getpid()), bridge_(StrCat("lbr", pid_ % 100000)) {
    net_ = StrCat("10.", 150 + (pid_ / 256) % 40, ".", pid_ % 256, ".");
  }
  Hosts(const Hosts&) = delete;
  Hosts& operator=(const Hosts&) = delete;
  ~Hosts() {
    for (const auto& [name, ns] : namespaces_) {
      (void)RunIp({"link", "del", ns.link});
      (void)RunIp({"netns", "del", ns.name});
    }
    (void)RunIp({"link", "del", bridge_});
  }

  // The bridge, with the test's own address on it. "" or why it cannot be made here.
  std::string Create() {
    if (geteuid() != 0) {
      return "network namespaces need root";
    }
    if (std::string why = RunIp({"-V"}); !why.empty()) {
      return StrCat("the 'ip' command (Debian package iproute2) is not usable: ", why);
    }
    for (const auto& step :
         std::vector<std::vector<std::string>>{{"link", "add", "name", bridge_, "type", "bridge"},
                                               {"addr", "add", net_ + "254/24", "dev", bridge_},
                                               {"link", "set", bridge_, "up"}}) {
      if (std::string why = RunIp(step); !why.empty()) {
        return why;
      }
    }
    return "";
  }

  // A host named `name` (a new namespace, generation `generation`) with address .`number`.
  std::string Add(const std::string& name, int number, int generation = 0) {
    Namespace ns;
    ns.name = StrCat("lotse-", pid_, "-", name, generation);
    ns.link = StrCat("lh", pid_ % 100000, "n", number, "g", generation);
    ns.address = StrCat(net_, number);
    if (std::string why = RunIp({"netns", "add", ns.name}); !why.empty()) {
      return why;
    }
    namespaces_[name] = ns;
    for (const auto& step : std::vector<std::vector<std::string>>{
             {"link", "add", ns.link, "type", "veth", "peer", "name", "eth0", "netns", ns.name},
             {"link", "set", ns.link, "master", bridge_},
             {"link", "set", ns.link, "up"},
             {"-n", ns.name, "addr", "add", ns.address + "/24", "dev", "eth0"},
             {"-n", ns.name, "link", "set", "eth0", "up"},
             {"-n", ns.name, "link", "set", "lo", "up"}}) {
      if (std::string why = RunIp(step); !why.empty()) {
        return why;
      }
    }
    return "";
  }
  // The whole host goes: every process in its namespace is killed, the namespace deleted.
  void Destroy(const std::string& name) {
    const Namespace ns = namespaces_.at(name);
    const CommandResult pids = RunCommand(Ip(), {"netns", "pids", ns.name}, {}, absl::Seconds(5));
    for (const absl::string_view pid : absl::StrSplit(pids.out, '\n', absl::SkipEmpty())) {
      kill(std::stoi(std::string(pid)), SIGKILL);
    }
    EXPECT_EQ(RunIp({"link", "del", ns.link}), "");
    EXPECT_EQ(RunIp({"netns", "del", ns.name}), "");
    namespaces_.erase(name);
  }
  // Cuts or heals the host's only link.
  std::string SetLink(const std::string& name, bool up) {
    return RunIp({"link", "set", namespaces_.at(name).link, up ? "up" : "down"});
  }
  std::vector<std::string> Launch(const std::string& name) const {
    return {Ip(), "netns", "exec", namespaces_.at(name).name};
  }
  std::string Address(int number) const { return StrCat(net_, number); }

 private:
  struct Namespace {
    std::string name, link, address;
  };
  pid_t pid_;
  std::string bridge_;
  std::string net_;
  std::map<std::string, Namespace> namespaces_;
};

TEST(SeveralHostsTest, NothingAcknowledgedIsLostOrDoubledWhenLinksBreakAndAHostDies) {
  Hosts hosts;
  if (const std::string why = hosts.Create(); !why.empty()) {
    GTEST_SKIP() << "several hosts cannot be made here: " << why;
  }
  SetOptions options;
  std::string toml(config::DefaultConfigText());
  toml += "\n[network.hosts]\n";
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(hosts.Add(kServices[i], i + 1), "");
    options.hosts[kServices[i]] = hosts.Address(i + 1);
    options.launch[kServices[i]] = hosts.Launch(kServices[i]);
    toml += StrCat(kServices[i], " = \"", hosts.Address(i + 1), "\"\n");
  }
  options.config_toml = toml;
  LotseSet set(options);
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);

  std::vector<std::string> acknowledged;  // case numbers
  int refused = 0;
  auto submit = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto r =
          set.Submit("bb-mitte", "emissionsschutz", StrCat("HRB ", 1000 + acknowledged.size()));
      if (r.ok() && r->has_submitted()) {
        acknowledged.push_back(r->submitted().case_number());
      } else {
        ++refused;
      }
    }
  };
  const absl::Time start = absl::Now();
  submit(20);
  // Routing's host loses its link for 3 s; intake goes on acknowledging.
  ASSERT_EQ(hosts.SetLink("routing", false), "");
  const absl::Time cut = absl::Now();
  while (absl::Now() - cut < absl::Seconds(3)) {
    submit(5);
  }
  ASSERT_EQ(hosts.SetLink("routing", true), "");
  submit(20);
  // Routing's whole host dies; routing comes back on a new host with the same address and data.
  hosts.Destroy("routing");
  submit(10);
  ASSERT_EQ(hosts.Add("routing", 2, /*generation=*/1), "");
  set.SetLaunch("routing", hosts.Launch("routing"));
  set.Start("routing");
  submit(20);

  // Everything acknowledged is routed and chained exactly once.
  int complete = 0;
  const bool settled = set.Eventually(
      [&] {
        complete = 0;
        for (const std::string& ref : acknowledged) {
          lotse::v1::AuditRequest history;
          history.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
          history.mutable_history()->set_ref(ref);
          auto h = set.Audit(history);
          if (!h.ok() || !h->has_history()) {
            return false;
          }
          int submitted = 0;
          int routed_events = 0;
          for (const auto& entry : h->history().entries()) {
            submitted += entry.event().has_referral_submitted() ? 1 : 0;
            routed_events += entry.event().has_referral_routed() ? 1 : 0;
          }
          EXPECT_LE(submitted, 1) << ref << " chained twice";
          EXPECT_LE(routed_events, 1) << ref << " routed twice";
          if (submitted != 1 || routed_events != 1) {
            return false;
          }
          ++complete;
        }
        return true;
      },
      absl::Seconds(60));
  const absl::Duration took = absl::Now() - start;
  std::cout << "several hosts: " << acknowledged.size() << " referrals acknowledged (" << refused
            << " refused while a host was away), " << complete
            << " routed and chained exactly once, after a 3 s cut and the loss of routing's "
               "host, in "
            << absl::ToInt64Milliseconds(took) << " ms\n";
  EXPECT_TRUE(settled) << complete << " of " << acknowledged.size() << " complete";
  lotse::v1::AuditRequest verify;
  verify.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  verify.mutable_verify();
  auto v = set.Audit(verify);
  ASSERT_TRUE(v.ok() && v->has_verify());
  EXPECT_TRUE(v->verify().ok()) << v->verify().problem();
}

}  // namespace
}  // namespace lotse::test
