#include "tests/bench/bench_set.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/wait.h"

namespace lotse::bench {
namespace {

std::string ReadProc(pid_t pid, const char* file) {
  std::ifstream in(StrCat("/proc/", pid, "/", file));
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

double StatusKb(const std::string& status, const std::string& key) {
  const size_t at = status.find(key + ":");
  if (at == std::string::npos) {
    return 0;
  }
  return std::stod(status.substr(at + key.size() + 1));
}

}  // namespace

ProcessFigures ReadFigures(pid_t pid) {
  ProcessFigures out;
  const std::string status = ReadProc(pid, "status");
  out.peak_rss_mb = StatusKb(status, "VmHWM") / 1024;
  out.rss_mb = StatusKb(status, "VmRSS") / 1024;
  const std::string stat = ReadProc(pid, "stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) {
        ticks += std::stod(field);
      }
    }
    out.cpu_seconds = ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return out;
}

void SetCurve(zmq::socket_t& socket, const bus::CurveOptions& curve) {
  if (!curve.enabled()) {
    return;
  }
  socket.set(zmq::sockopt::curve_serverkey, curve.server_key);
  socket.set(zmq::sockopt::curve_publickey, curve.public_key);
  socket.set(zmq::sockopt::curve_secretkey, curve.secret_key);
}

BenchSet::BenchSet(std::string bin_dir, std::string config_toml, bool keep, bool plain)
    : bin_dir_(std::move(bin_dir)), config_toml_(config_toml), plain_(plain) {
  if (keep) {
    setenv("LOTSE_KEEP_TEST_DIRS", "1", 1);
  }
  port_base_ = test::ReservePortBlock(config::kPortsPerSet, &lock_fd_);
  if (!config_toml.empty()) {
    config_path_ = dir_.Join("lotse.toml");
    (void)test::WriteFile(config_path_, config_toml);
  }
}

BenchSet::~BenchSet() {
  processes_.clear();  // SIGKILLs whatever still runs
  if (lock_fd_ >= 0) {
    close(lock_fd_);
  }
}

absl::Status BenchSet::Start(bool with_web) {
  if (port_base_ <= 0) {
    return absl::UnavailableError("no free block of 32 TCP ports found");
  }
  // The services read the keyring at start (config keys.dir "": <data dir>/keys).
  absl::StatusOr<test::TestKeys> keys = test::TestKeys::Make(dir_.Join("data/keys"), config_toml_);
  if (!keys.ok()) {
    return keys.status();
  }
  keys_ = *std::move(keys);
  std::vector<std::string> services(std::begin(kServices), std::end(kServices));
  if (with_web) {
    services.emplace_back("web");
  }
  for (const std::string& service : services) {
    LOTSE_RETURN_IF_ERROR(StartProcess(service));
  }
  LOTSE_RETURN_IF_ERROR(WaitReady(absl::Now()).status());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (with_web) {  // its first start makes the accounts (argon2id: a few seconds)
    httplib::Client client("127.0.0.1", WebPort());
    client.set_connection_timeout(0, 200000);
    const httplib::Result r = client.Get("/healthz");
    if (r && r->status == 200) {
      break;
    }
    if (absl::Now() > deadline + absl::Seconds(40) || !processes_[4]->Running()) {
      return absl::UnavailableError(
          StrCat("lotse-web did not answer; its log: ", dir_.Join("web.log")));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::OkStatus();
}

absl::Status BenchSet::StartProcess(const std::string& service) {
  std::vector<std::string> args = {"--data-dir",       dir_.Join("data"), "--port-base",
                                   StrCat(port_base_), "--log-level",     "warn"};
  if (!config_path_.empty()) {
    args.insert(args.end(), {"--config", config_path_});
  }
  absl::StatusOr<std::unique_ptr<test::Process>> p = test::Process::Start(
      StrCat(bin_dir_, "/lotse-", service), args,
      plain_ ? test::EnvVars{{"LOTSE_UNSAFE_FAULT", "no-curve"}} : test::EnvVars{},
      dir_.Join(StrCat(service, ".log")));
  if (!p.ok()) {
    return p.status();
  }
  processes_.push_back(*std::move(p));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> BenchSet::WaitReady(absl::Time started) const {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  std::vector<double> seconds;
  for (int i = 0; i < 4; ++i) {
    while (true) {
      httplib::Client client("127.0.0.1", port_base_ + 8 + i);
      client.set_connection_timeout(0, 200000);
      const httplib::Result r = client.Get("/readyz");
      if (r && r->status == 200) {
        seconds.push_back(absl::ToDoubleSeconds(absl::Now() - started));
        break;
      }
      if (absl::Now() > deadline || !processes_[i]->Running()) {
        return absl::UnavailableError(
            StrCat("lotse-", kServices[i], " did not become ready; its log: ",
                   dir_.Join(StrCat(kServices[i], ".log"))));
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  return seconds;
}

absl::StatusOr<std::vector<double>> BenchSet::Restart() {
  for (auto& p : processes_) {
    kill(p->pid(), SIGTERM);
  }
  for (size_t i = 0; i < processes_.size(); ++i) {
    // Waited for, not signalled again: a second SIGTERM ends a service at once, and one with a
    // large store takes a moment to close it.
    const absl::StatusOr<int> code = processes_[i]->Wait(absl::Seconds(60));
    if (!code.ok() || *code != 0) {
      return absl::InternalError(
          StrCat("lotse-", kServices[i], " did not stop cleanly within 60 s (",
                 code.ok() ? StrCat("exit code ", *code) : ToStd(code.status().message()),
                 "); its log: ", dir_.Join(StrCat(kServices[i], ".log"))));
    }
  }
  processes_.clear();
  const absl::Time started = absl::Now();
  for (const char* service : kServices) {
    LOTSE_RETURN_IF_ERROR(StartProcess(service));
  }
  return WaitReady(started);
}

bool BenchSet::Stop(absl::Duration grace) {
  bool clean = true;
  for (auto& p : processes_) {
    kill(p->pid(), SIGTERM);
  }
  for (auto& p : processes_) {
    absl::StatusOr<int> code = p->Terminate(grace);
    clean = clean && code.ok() && *code == 0;
  }
  return clean;
}

std::string BenchSet::CommandEndpoint(int service) const {
  return StrCat("tcp://127.0.0.1:", port_base_ + 2 * service);
}

std::string BenchSet::TapEndpoint(int service) const {
  return StrCat("tcp://127.0.0.1:", port_base_ + 12 + service);
}

pid_t BenchSet::Pid(int service) const { return processes_.at(service)->pid(); }

bus::CurveOptions BenchSet::Curve(std::string_view principal, int service) const {
  return keys_.has_value() && !plain_ ? keys_->Client(principal, kServices[service])
                                      : bus::CurveOptions{};
}

absl::StatusOr<lotse::v1::ServiceStatus> BenchSet::Status(int service) const {
  httplib::Client client("127.0.0.1", port_base_ + 8 + service);
  client.set_read_timeout(5, 0);
  const httplib::Result r = client.Get("/status");
  if (!r || r->status != 200) {
    return absl::UnavailableError(StrCat(kServices[service], " /status did not answer"));
  }
  lotse::v1::ServiceStatus status;
  if (!google::protobuf::util::JsonStringToMessage(r->body, &status).ok()) {
    return absl::DataLossError("unreadable /status");
  }
  return status;
}

std::string BenchSet::Metrics(int service) const {
  httplib::Client client("127.0.0.1", port_base_ + 8 + service);
  client.set_read_timeout(5, 0);
  const httplib::Result r = client.Get("/metrics");
  return r && r->status == 200 ? r->body : "";
}

absl::Status BenchSet::WaitQuiet(absl::Duration deadline) const {
  const absl::Time until = absl::Now() + deadline;
  while (absl::Now() < until) {
    bool quiet = true;
    std::map<std::string, uint64_t> heads;
    std::vector<lotse::v1::ConsumerStatus> consumers;
    for (int i = 0; i < 4 && quiet; ++i) {
      absl::StatusOr<lotse::v1::ServiceStatus> s = Status(i);
      if (!s.ok()) {
        quiet = false;
        break;
      }
      heads[kServices[i]] = s->log_head();
      consumers.insert(consumers.end(), s->consumers().begin(), s->consumers().end());
    }
    for (const auto& c : consumers) {
      quiet = quiet && c.offset() == heads[c.stream()];
    }
    if (quiet) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("the consumers did not catch up");
}

uint64_t BenchSet::DataBytes(int service) const {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(
           dir_.Join(StrCat("data/", kServices[service])), ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) {
      total += it->file_size(e2);
    }
  }
  return total;
}

}  // namespace lotse::bench
