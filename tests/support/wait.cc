#include "tests/support/wait.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace lotse::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPortMin = 20000;    // inclusive
constexpr int kPortLimit = 60000;  // exclusive
constexpr int kFindPortTries = 500;

Clock::duration ToClock(absl::Duration d) {
  d = std::clamp(d, absl::ZeroDuration(), absl::Hours(24 * 365));
  return std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(d));
}

// True if a TCP socket can be bound to 127.0.0.1:`port` right now.
bool PortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return free;
}

// A closed interval of candidate base ports.
struct Interval {
  int lo;
  int hi;
  int size() const { return hi >= lo ? hi - lo + 1 : 0; }
};

// Bases b in [kPortMin, kPortLimit - count] whose range [b, b + count) avoids the kernel's
// ephemeral port range; the whole span if that leaves nothing.
std::vector<Interval> CandidateBases(int count) {
  const Interval all{kPortMin, kPortLimit - count};
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int ephemeral_lo = 0;
  int ephemeral_hi = 0;
  if (!(in >> ephemeral_lo >> ephemeral_hi) || ephemeral_lo > ephemeral_hi) {
    return {all};
  }
  std::vector<Interval> result;
  for (Interval part : {Interval{all.lo, std::min(all.hi, ephemeral_lo - count)},
                        Interval{std::max(all.lo, ephemeral_hi + 1), all.hi}}) {
    if (part.size() > 0) {
      result.push_back(part);
    }
  }
  if (result.empty()) {
    return {all};
  }
  return result;
}

std::mt19937& Random() {
  thread_local std::mt19937 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), static_cast<unsigned>(::getpid()),
                       static_cast<unsigned>(Clock::now().time_since_epoch().count())};
    return std::mt19937(seed);
  }();
  return engine;
}

}  // namespace

bool WaitUntil(const std::function<bool()>& pred, absl::Duration deadline, absl::Duration poll) {
  const Clock::time_point end = Clock::now() + ToClock(deadline);
  const Clock::duration step =
      std::max(ToClock(poll), Clock::duration(std::chrono::milliseconds(1)));
  for (;;) {
    if (pred()) {
      return true;
    }
    const Clock::time_point now = Clock::now();
    if (now >= end) {
      return false;
    }
    std::this_thread::sleep_for(std::min(step, end - now));
  }
}

int FindFreePortBase(int count) {
  if (count <= 0 || count > kPortLimit - kPortMin) {
    ADD_FAILURE() << "FindFreePortBase: count must be in [1, " << kPortLimit - kPortMin
                  << "], got count = " << count;
    return -1;
  }
  const std::vector<Interval> intervals = CandidateBases(count);
  int total = 0;
  for (const Interval& interval : intervals) {
    total += interval.size();
  }
  std::uniform_int_distribution<int> pick(0, total - 1);
  for (int attempt = 0; attempt < kFindPortTries; ++attempt) {
    int index = pick(Random());
    int base = -1;
    for (const Interval& interval : intervals) {
      if (index < interval.size()) {
        base = interval.lo + index;
        break;
      }
      index -= interval.size();
    }
    bool all_free = true;
    for (int port = base; port < base + count && all_free; ++port) {
      all_free = PortFree(port);
    }
    if (all_free) {
      return base;
    }
  }
  ADD_FAILURE() << "FindFreePortBase: found no " << count
                << " consecutive free TCP ports on 127.0.0.1 in [" << kPortMin << ", " << kPortLimit
                << ") after " << kFindPortTries << " random tries";
  return -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "";
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::Status WriteFile(const std::string& path, std::string_view contents) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  }
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int error = errno;
      ::close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("cannot write ", path));
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0 && errno != EINTR) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot close ", path));
  }
  return absl::OkStatus();
}

int ReservePortBlock(int block, int* lock_fd) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    // 2 * block free ports hold one aligned block.
    const int found = FindFreePortBase(2 * block);
    if (found <= 0) {
      continue;
    }
    const int base = (found + block - 1) / block * block;
    const std::string path = "/tmp/lotse-ports-" + std::to_string(base) + ".lock";
    const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
    if (fd < 0) {
      continue;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      *lock_fd = fd;
      return base;
    }
    close(fd);
  }
  return -1;
}

}  // namespace lotse::test
