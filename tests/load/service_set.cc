#include "tests/load/service_set.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "common/config/config.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "google/protobuf/util/json_util.h"
#include "tests/support/wait.h"

namespace lotse::load {
namespace {

constexpr int kPortsPerSet = config::kPortsPerSet;

}  // namespace

int ServiceIndex(std::string_view name) {
  for (int i = 0; i < kServiceCount; ++i) {
    if (name == kServiceNames[i]) {
      return i;
    }
  }
  return -1;
}

absl::StatusOr<std::unique_ptr<ServiceSet>> ServiceSet::Create(std::string bin_dir, std::string dir,
                                                               test::EnvVars env) {
  for (const char* name : kServiceNames) {
    const std::string binary = StrCat(bin_dir, "/lotse-", name);
    if (access(binary.c_str(), X_OK) != 0) {
      return absl::NotFoundError(StrCat("the service binary ", binary,
                                        " is missing or not executable: build the set "
                                        "(cmake --build build) or pass --bin-dir"));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir + "/data", ec);
  std::filesystem::create_directories(dir + "/logs", ec);
  if (ec) {
    return absl::UnavailableError(StrCat("cannot create ", dir, ": ", ec.message()));
  }
  // The services read the keyring at start: it must be there before the first one starts.
  absl::StatusOr<test::TestKeys> keys = test::TestKeys::Make(dir + "/data/keys");
  if (!keys.ok()) {
    return absl::Status(keys.status().code(), StrCat("cannot make the keyring in ", dir,
                                                     "/data/keys: ", keys.status().message()));
  }
  int lock_fd = -1;
  const int base = test::ReservePortBlock(kPortsPerSet, &lock_fd);
  if (base < 0) {
    return absl::UnavailableError(
        "no free block of 32 TCP ports found between 20000 and 60000: stop other Lotse sets or "
        "test runs and try again");
  }
  return std::unique_ptr<ServiceSet>(new ServiceSet(std::move(bin_dir), std::move(dir),
                                                    std::move(env), *std::move(keys), base,
                                                    lock_fd));
}

ServiceSet::ServiceSet(std::string bin_dir, std::string dir, test::EnvVars env,
                       test::TestKeys keys, int port_base, int lock_fd)
    : bin_dir_(std::move(bin_dir)),
      dir_(std::move(dir)),
      env_(std::move(env)),
      keys_(std::move(keys)),
      port_base_(port_base),
      lock_fd_(lock_fd) {}

ServiceSet::~ServiceSet() {
  for (auto& p : processes_) {
    p.reset();  // SIGKILLs and reaps a leftover
  }
  if (lock_fd_ >= 0) {
    close(lock_fd_);
  }
}

std::string ServiceSet::CommandEndpoint(int service) const {
  return StrCat("tcp://127.0.0.1:", port_base_ + 2 * service);
}

std::string ServiceSet::LogPath(int service) const {
  return StrCat(dir_, "/logs/", kServiceNames[service], ".log");
}

absl::Status ServiceSet::Start(int service) {
  processes_[service].reset();
  absl::StatusOr<std::unique_ptr<test::Process>> p = test::Process::Start(
      StrCat(bin_dir_, "/lotse-", kServiceNames[service]),
      {"--data-dir", DataDir(), "--port-base", std::to_string(port_base_)}, env_, LogPath(service));
  if (!p.ok()) {
    return p.status();
  }
  processes_[service] = std::move(*p);
  return absl::OkStatus();
}

bool ServiceSet::Running(int service) {
  return processes_[service] != nullptr && processes_[service]->Running();
}

std::optional<int> ServiceSet::ExitCode(int service) const {
  return processes_[service] != nullptr ? processes_[service]->exit_code() : std::nullopt;
}

pid_t ServiceSet::Pid(int service) const {
  return processes_[service] != nullptr ? processes_[service]->pid() : 0;
}

void ServiceSet::Kill(int service) {
  if (processes_[service] != nullptr) {
    processes_[service]->Kill();
  }
}

void ServiceSet::Stop(int service) {
  if (processes_[service] != nullptr) {
    processes_[service]->Stop();
  }
}

void ServiceSet::Continue(int service) {
  if (processes_[service] != nullptr) {
    processes_[service]->Continue();
  }
}

void ServiceSet::SendTerm(int service) {
  if (processes_[service] != nullptr && processes_[service]->Running()) {
    ::kill(processes_[service]->pid(), SIGTERM);
    ::kill(processes_[service]->pid(), SIGCONT);
  }
}

absl::StatusOr<int> ServiceSet::Terminate(int service, absl::Duration timeout) {
  if (processes_[service] == nullptr) {
    return absl::FailedPreconditionError("not started");
  }
  return processes_[service]->Terminate(timeout);
}

bool Answers(bus::Context& context, const std::string& endpoint, const bus::CurveOptions& curve,
             absl::Duration timeout) {
  bus::SocketOptions options;
  options.linger_ms = 0;
  options.curve = curve;
  absl::StatusOr<bus::Socket> socket =
      bus::Socket::Create(context, zmq::socket_type::dealer, options);
  if (!socket.ok() || !socket->Connect(endpoint).ok() || !socket->Send({"ping"}).ok()) {
    return false;
  }
  absl::StatusOr<bool> readable = socket->WaitReadable(timeout);
  return readable.ok() && *readable;
}

absl::StatusOr<lotse::v1::ServiceStatus> FetchStatus(int port, absl::Duration timeout) {
  httplib::Client client("127.0.0.1", port);
  const int64_t us = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(us / 1000000, us % 1000000);
  client.set_read_timeout(us / 1000000, us % 1000000);
  const httplib::Result result = client.Get("/status");
  if (!result || result->status != 200) {
    return absl::UnavailableError(StrCat("no status on port ", port));
  }
  lotse::v1::ServiceStatus status;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(result->body, &status, options).ok()) {
    return absl::DataLossError(StrCat("port ", port, " answered something that is not a status"));
  }
  return status;
}

}  // namespace lotse::load
