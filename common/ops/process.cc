#include "common/ops/process.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/time/clock.h"

namespace lotse::ops {

ProcessFigures ReadProcessFigures() {
  ProcessFigures out;
  {
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0;
    uint64_t resident = 0;
    if (statm >> size >> resident) {
      out.rss_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
  }
  {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++out.open_fds;
    }
  }
  {
    std::ifstream stat("/proc/self/stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const size_t close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(line.substr(close + 2));
      std::string field;
      uint64_t utime = 0;
      uint64_t stime = 0;
      // state is field 3; utime 14 and stime 15 (1-based over the whole line).
      for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) {
          utime = std::stoull(field);
        } else if (i == 15) {
          stime = std::stoull(field);
        }
      }
      out.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return out;
}

absl::Time ProcessStart() {
  static const absl::Time start = absl::Now();
  return start;
}

}  // namespace lotse::ops
