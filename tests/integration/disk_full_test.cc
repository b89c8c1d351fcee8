// A nearly full disk, with the real binaries on a small tmpfs: below limits.min_free_disk_mb
// every service refuses new work with a structured RESOURCE_EXHAUSTED error that tells people
// what to do, /readyz turns unready naming the disk, no service crashes (RocksDB never meets
// ENOSPC), and once space is freed everything works again with every acknowledged referral
// there exactly once, also across a kill -9 while the disk was full.
//
// Needs root (or CAP_SYS_ADMIN) to mount the tmpfs; without it the test is skipped and says why.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "gtest/gtest.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// The services' RocksDBs preallocate about 22 MiB each on a fresh start (a 17.6 MiB WAL block
// and a 4 MiB MANIFEST, both fallocated, which tmpfs counts as used), so four of them need
// about 90 MiB before the first referral.
constexpr uint64_t kTmpfsMiB = 160;
constexpr int kWatermarkMiB = 16;     // limits.min_free_disk_mb
constexpr uint64_t kFullFreeMiB = 8;  // free space while "full": below the watermark
constexpr std::array<const char*, 4> kServices = {"intake", "routing", "notification", "audit"};

// A tmpfs mounted over a directory for the lifetime of the object. The destructor first calls
// `before_unmount` (which must end every process that has files open there), then unmounts;
// if the file system stays busy it is detached lazily and the test fails. Not thread-safe.
class TmpfsMount {
 public:
  TmpfsMount(std::string dir, std::function<void()> before_unmount)
      : dir_(std::move(dir)), before_unmount_(std::move(before_unmount)) {}
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  ~TmpfsMount() {
    if (!mounted_) {
      return;
    }
    before_unmount_();
    const bool unmounted = WaitUntil([&] { return umount2(dir_.c_str(), 0) == 0; },
                                     absl::Seconds(5), absl::Milliseconds(50));
    if (!unmounted) {
      ADD_FAILURE() << "the tmpfs at " << dir_ << " stayed busy (" << std::strerror(errno)
                    << "); detached it lazily";
      umount2(dir_.c_str(), MNT_DETACH);
    }
  }

  // Mounts a tmpfs of `bytes` at the (created) directory. Returns "" on success, else why not.
  std::string Mount(uint64_t bytes) {
    if (mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
      return StrCat("cannot create ", dir_, ": ", std::strerror(errno));
    }
    const std::string options = StrCat("size=", bytes, ",mode=0755");
    if (mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      const int error = errno;
      return StrCat("mounting a ", bytes / kMiB, " MiB tmpfs at ", dir_,
                    " failed: ", std::strerror(error),
                    error == EPERM ? " (needs root or CAP_SYS_ADMIN in this mount namespace)" : "");
    }
    mounted_ = true;
    return "";
  }

 private:
  std::string dir_;
  std::function<void()> before_unmount_;
  bool mounted_ = false;
};

uint64_t FreeBytes(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "statvfs " << path << ": " << std::strerror(errno);
    return 0;
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

double Mib(uint64_t bytes) { return static_cast<double>(bytes) / kMiB; }

// Appends `bytes` of zeros to the ballast file (tmpfs has no holes once written).
void GrowBallast(const std::string& path, uint64_t bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  const std::string chunk(kMiB, '\0');
  while (bytes > 0) {
    const size_t n = std::min<uint64_t>(bytes, chunk.size());
    const ssize_t written = write(fd, chunk.data(), n);
    if (written <= 0) {
      ADD_FAILURE() << "writing the ballast: " << std::strerror(errno);
      break;
    }
    bytes -= static_cast<uint64_t>(written);
  }
  close(fd);
}

// Grows the ballast until the file system holding it has `free_bytes` free (never more).
void FillUntilFree(const std::string& path, uint64_t free_bytes) {
  const uint64_t now = FreeBytes(path.substr(0, path.rfind('/')));
  if (now > free_bytes) {
    GrowBallast(path, now - free_bytes);
  }
}

std::string WithWatermark(int mib) {
  std::string text(config::DefaultConfigText());
  const std::string key = "min_free_disk_mb = ";
  const size_t at = text.find(key);
  EXPECT_NE(at, std::string::npos);
  const size_t end = text.find('\n', at);
  return text.replace(at, end - at, StrCat(key, mib));
}

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
};

HttpReply Readyz(const LotseSet& set, int service_index) {
  httplib::Client client("127.0.0.1", set.port_base() + 2 * config::kServiceCount + service_index);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(3, 0);
  const httplib::Result result = client.Get("/readyz");
  if (!result) {
    return {};
  }
  return {result->status, result->body};
}

// Lines of `log` that show a crash or a RocksDB write error.
std::string AlarmingLines(const std::string& log) {
  std::string out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) {
      end = log.size();
    }
    const std::string line = log.substr(start, end - start);
    if (line.find(" critical ") != std::string::npos ||
        line.find("No space left") != std::string::npos ||
        line.find("NoSpace") != std::string::npos || line.find("IO error") != std::string::npos) {
      out += line + "\n";
    }
    start = end + 1;
  }
  return out;
}

constexpr std::array<const char*, 6> kTopics = {"baugenehmigung",   "emissionsschutz",
                                                "gewerbeanmeldung", "foerdermittel",
                                                "gewerbesteuer",    "bebauungsplan"};

class Submitter {
 public:
  explicit Submitter(LotseSet& set) : set_(set) {}

  // Submits the next referral with `key` ("" = fresh). Returns the reply (or the transport
  // error); an acknowledged referral is recorded.
  absl::StatusOr<lotse::v1::IntakeReply> Next(const std::string& key = "") {
    const int i = count_++;
    const std::string office = i % 2 == 0 ? "bb-mitte" : "bb-nord";
    absl::StatusOr<lotse::v1::IntakeReply> reply =
        set_.Submit(office, kTopics[i % 6], StrCat("HRB-", 81000 + i), key);
    if (reply.ok() && reply->has_submitted()) {
      acked_[reply->submitted().referral_id()] = office;
    }
    return reply;
  }
  const std::map<std::string, std::string>& acked() const { return acked_; }  // id -> office

 private:
  LotseSet& set_;
  int count_ = 0;
  std::map<std::string, std::string> acked_;
};

// Waits until the worklists hold at least as many entries as referrals were acknowledged and
// leaves every entry's referral id in `seen`. Returns false if that did not happen in time.
bool AllOnWorklists(LotseSet& set, const Submitter& submitter, std::multiset<std::string>* seen) {
  const std::vector<std::string> assignees = set.Assignees();
  return set.Eventually(
      [&] {
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
        return seen->size() >= submitter.acked().size();
      },
      absl::Seconds(15));
}

// Every acknowledged referral: intake knows it, it is on exactly one worklist exactly once, and
// nothing else is on the worklists; intake logged exactly one event per acknowledged submit.
void ExpectEveryAcknowledgedOnce(LotseSet& set, const Submitter& submitter) {
  for (const auto& [id, office] : submitter.acked()) {
    absl::StatusOr<lotse::v1::IntakeReply> status = set.Status(office, id);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_TRUE(status->has_referral() && status->referral().referral_id() == id)
        << "intake lost acknowledged referral " << id << ": " << status->DebugString();
  }
  std::multiset<std::string> seen;
  const bool complete = AllOnWorklists(set, submitter, &seen);
  EXPECT_TRUE(complete) << "only " << seen.size() << " of " << submitter.acked().size()
                        << " acknowledged referrals reached a worklist\n"
                        << set.Log("routing");
  for (const auto& [id, office] : submitter.acked()) {
    EXPECT_EQ(seen.count(id), 1u) << "referral " << id << " is on " << seen.count(id)
                                  << " worklist entries";
  }
  EXPECT_EQ(seen.size(), submitter.acked().size()) << "worklists hold unacknowledged referrals";
  absl::StatusOr<uint64_t> head = set.LogHead("intake");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, submitter.acked().size())
      << "intake's log does not hold exactly one event per acknowledged submit";
}

TEST(DiskFullTest, RefusesNewWorkBelowTheWatermarkAndLosesNothing) {
  SetOptions options;
  options.config_toml = WithWatermark(kWatermarkMiB);
  LotseSet set(options);
  // LotseSet gives every service --data-dir <set dir>/data (flags beat the config file), so the
  // tmpfs goes right there, before any service starts.
  const std::string data = set.dir() + "/data";
  TmpfsMount tmpfs(data, [&] {
    for (const char* service : kServices) {
      set.Kill(service);
    }
  });
  // The set's keyring lives in the data dir: it moves onto the tmpfs with the services.
  const std::string keys = set.dir() + "/keys-outside";
  std::filesystem::copy(data + "/keys", keys, std::filesystem::copy_options::recursive);
  if (const std::string why = tmpfs.Mount(kTmpfsMiB * kMiB); !why.empty()) {
    GTEST_SKIP() << "cannot test a nearly full disk here: " << why;
  }
  std::filesystem::copy(keys, data + "/keys", std::filesystem::copy_options::recursive);
  const std::string ballast = data + "/ballast";
  const uint64_t watermark = uint64_t{kWatermarkMiB} * kMiB;
  set.StartAll(/*with_audit=*/true, /*with_notification=*/true);
  Submitter submitter(set);
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<lotse::v1::IntakeReply> reply = submitter.Next();
    ASSERT_TRUE(reply.ok() && reply->has_submitted())
        << (reply.ok() ? reply->DebugString() : reply.status().ToString());
  }
  const size_t acked_before_full = submitter.acked().size();
  std::printf("[ figures  ] %zu referrals acknowledged; %.1f MiB of the %llu MiB tmpfs free\n",
              acked_before_full, Mib(FreeBytes(data)), static_cast<unsigned long long>(kTmpfsMiB));

  std::multiset<std::string> routed;
  ASSERT_TRUE(AllOnWorklists(set, submitter, &routed))
      << routed.size() << " of " << acked_before_full << " routed before the disk filled up";

  // Routing is frozen, so the referrals acknowledged from here on wait in intake's log and
  // routing has to apply them on the full disk.
  // (SIGKILL on the way out of a failed test ends it frozen or not.)
  ASSERT_EQ(kill(set.Pid("routing"), SIGSTOP), 0);

  // Approach the watermark in 2 MiB steps: accepted above it, refused below it.
  FillUntilFree(ballast, watermark + 6 * kMiB);
  double refused_at_free_mib = -1;
  lotse::v1::Error refusal;
  for (int step = 0; step < 8 && refused_at_free_mib < 0; ++step) {
    const uint64_t free_before = FreeBytes(data);
    absl::StatusOr<lotse::v1::IntakeReply> reply = submitter.Next();
    ASSERT_TRUE(reply.ok()) << "intake did not answer at " << Mib(free_before)
                            << " MiB free: " << reply.status() << "\n"
                            << set.Log("intake");
    if (reply->has_error()) {
      refused_at_free_mib = Mib(free_before);
      refusal = reply->error();
      EXPECT_LT(free_before, watermark + kMiB / 2)
          << "refused while " << Mib(free_before) << " MiB were free: " << refusal.message();
    } else {
      EXPECT_GE(free_before + kMiB / 2, watermark)
          << "accepted with only " << Mib(free_before) << " MiB free";
      GrowBallast(ballast, 2 * kMiB);
    }
  }
  ASSERT_GE(refused_at_free_mib, 0)
      << "intake never refused; " << Mib(FreeBytes(data)) << " MiB free now";
  std::printf(
      "[ figures  ] first refusal at %.1f MiB free (watermark %d MiB), after %zu "
      "acknowledged\n",
      refused_at_free_mib, kWatermarkMiB, submitter.acked().size());

  // Well below the watermark now; RocksDB itself still has room.
  FillUntilFree(ballast, kFullFreeMiB * kMiB);
  const absl::Time full_at = absl::Now();
  const size_t acked_at_full = submitter.acked().size();
  std::string refused_key;
  for (int i = 0; i < 5; ++i) {
    const std::string key = NewKey();
    absl::StatusOr<lotse::v1::IntakeReply> reply = submitter.Next(key);
    ASSERT_TRUE(reply.ok()) << reply.status() << "\n" << set.Log("intake");
    ASSERT_TRUE(reply->has_error()) << "accepted with " << Mib(FreeBytes(data)) << " MiB free";
    refusal = reply->error();
    refused_key = key;
  }
  EXPECT_EQ(refusal.code(), lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED) << refusal.DebugString();
  EXPECT_NE(refusal.message().find("nearly full"), std::string::npos) << refusal.message();
  EXPECT_NE(refusal.message().find("space is freed"), std::string::npos)
      << "the refusal does not say what to do: " << refusal.message();
  std::printf("[ figures  ] refusal at %.1f MiB free: %s\n", Mib(FreeBytes(data)),
              refusal.message().c_str());

  ASSERT_GT(acked_at_full, acked_before_full) << "nothing is waiting for routing";
  ASSERT_EQ(kill(set.Pid("routing"), SIGCONT), 0);

  // Every service is unready and says why.
  for (int i = 0; i < config::kServiceCount; ++i) {
    HttpReply ready;
    EXPECT_TRUE(set.Eventually([&] {
      ready = Readyz(set, i);
      return ready.status == 503 && ready.body.find("disk") != std::string::npos;
    })) << kServices[i]
        << " /readyz: " << ready.status << " " << ready.body;
  }

  // Routing cannot store what it consumes: it keeps the events unapplied and fetches them again.
  constexpr std::string_view kRetryLine = "were not stored and will be fetched again";
  EXPECT_TRUE(set.Eventually([&] {
    return set.Log("routing").find(kRetryLine) != std::string::npos;
  })) << "routing applied events on a full disk?\n"
      << set.Log("routing");

  // Meanwhile reads keep working (they are not new work), on intake and on routing, also while
  // routing retries its refused commits every 200 ms: back to back, so that many reads arrive
  // together with a retry.
  const auto& [some_id, some_office] = *submitter.acked().begin();
  int reads = 0;
  int refused_reads = 0;
  std::string refused_read;
  std::string to_claim;
  const absl::Time reads_until = absl::Now() + absl::Seconds(2);
  while (absl::Now() < reads_until) {
    if (reads % 10 == 0) {
      absl::StatusOr<lotse::v1::IntakeReply> status = set.Status(some_office, some_id);
      ++reads;
      if (!status.ok() || !status->has_referral()) {
        ++refused_reads;
        refused_read = status.ok() ? status->DebugString() : status.status().ToString();
      }
    }
    absl::StatusOr<lotse::v1::RoutingReply> list = set.Worklist("bauordnung");
    ++reads;
    if (!list.ok() || list->has_error()) {
      ++refused_reads;
      refused_read = list.ok() ? list->DebugString() : list.status().ToString();
    } else if (!list->worklist().items().empty()) {
      to_claim = list->worklist().items(0).referral_id();
    }
  }
  EXPECT_EQ(refused_reads, 0) << refused_reads << " of " << reads
                              << " reads failed on the full disk, the last with:\n"
                              << refused_read;
  // Routing refuses changes as intake does.
  ASSERT_FALSE(to_claim.empty()) << "nothing to claim at bauordnung";
  lotse::v1::RoutingRequest claim;
  claim.mutable_claim()->set_ref(to_claim);
  absl::StatusOr<lotse::v1::RoutingReply> claimed = set.Act("bauordnung", "m.keller", claim);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->error().code(), lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED)
      << "routing accepted a claim on a full disk: " << claimed->DebugString();
  for (const char* service : kServices) {
    EXPECT_TRUE(set.Running(service)) << service << " died on the full disk:\n" << set.Log(service);
  }
  const std::string routing_log = set.Log("routing");
  int retries = 0;
  for (size_t at = 0; (at = routing_log.find(kRetryLine, at)) != std::string::npos; ++at) {
    ++retries;
  }

  // kill -9 intake and routing while the disk is full; they come back after space is freed.
  set.Kill("intake");
  set.Kill("routing");
  const absl::Duration full_for = absl::Now() - full_at;
  ASSERT_EQ(unlink(ballast.c_str()), 0) << std::strerror(errno);
  const absl::Time freed_at = absl::Now();
  set.Start("intake");
  set.Start("routing");

  // Accepted again, ready again; a refused submit left nothing behind, so its key is new.
  absl::StatusOr<lotse::v1::IntakeReply> again = submitter.Next(refused_key);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->has_submitted())
      << "still refused after space was freed: " << again->DebugString();
  const absl::Duration accepted_after = absl::Now() - freed_at;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<lotse::v1::IntakeReply> reply = submitter.Next();
    ASSERT_TRUE(reply.ok() && reply->has_submitted())
        << (reply.ok() ? reply->DebugString() : reply.status().ToString());
  }
  for (int i = 0; i < config::kServiceCount; ++i) {
    HttpReply ready;
    EXPECT_TRUE(set.Eventually([&] {
      ready = Readyz(set, i);
      return ready.status == 200;
    })) << kServices[i]
        << " stayed unready after space was freed: " << ready.body;
  }
  const absl::Duration ready_after = absl::Now() - freed_at;

  ExpectEveryAcknowledgedOnce(set, submitter);
  EXPECT_EQ(acked_at_full, submitter.acked().size() - 6)
      << "a submit was acknowledged while the disk was full";

  // No crash, no critical log line, no RocksDB write error anywhere.
  for (const char* service : kServices) {
    EXPECT_TRUE(set.Running(service)) << service << " is not running:\n" << set.Log(service);
    EXPECT_EQ(AlarmingLines(set.Log(service)), "") << service;
    for (const auto& file : std::filesystem::directory_iterator(StrCat(data, "/", service))) {
      if (file.path().filename().string().rfind("LOG", 0) == 0) {  // LOG, LOG.old.*
        EXPECT_EQ(AlarmingLines(ReadFile(file.path())), "") << file.path();
      }
    }
  }
  std::printf(
      "[ figures  ] full for %.1f s: routing refused to store %zu waiting events %d "
      "times, %d of %d reads answered, nobody crashed; after freeing: intake and routing "
      "restarted and accepting in %.0f ms, all four ready in %.0f ms; %zu acknowledged, all "
      "there once\n",
      absl::ToDoubleSeconds(full_for), acked_at_full - acked_before_full, retries,
      reads - refused_reads, reads, absl::ToDoubleMilliseconds(accepted_after),
      absl::ToDoubleMilliseconds(ready_after), submitter.acked().size());
  for (const char* service : {"audit", "notification", "routing", "intake"}) {
    EXPECT_EQ(set.Terminate(service), 0) << service;
  }
}

}  // namespace
}  // namespace lotse::test
