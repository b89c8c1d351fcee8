#include "tests/integration/lotse_set.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <random>

#include "absl/strings/str_format.h"
#include "common/config/config.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lotse/v1/log.pb.h"
#include "tests/support/wait.h"

namespace lotse::test {

std::string NewKey() {
  static std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("k%016x", random());
}

int ReservePortBlock(int* lock_fd) {
  const int base = ReservePortBlock(config::kPortsPerSet, lock_fd);
  if (base < 0) {
    ADD_FAILURE() << "no free block of " << config::kPortsPerSet << " TCP ports found";
  }
  return base;
}

LotseSet::LotseSet(SetOptions options)
    : options_(std::move(options)),
      port_base_(ReservePortBlock(&port_lock_fd_)),
      context_(std::make_unique<bus::Context>()) {
  if (!options_.config_toml.empty()) {
    config_path_ = dir_.Join("lotse.toml");
    EXPECT_TRUE(WriteFile(config_path_, options_.config_toml).ok());
  }
  absl::StatusOr<TestKeys> keys = TestKeys::Make(dir_.Join("data/keys"), options_.config_toml);
  EXPECT_TRUE(keys.ok()) << keys.status();
  if (keys.ok()) {
    keys_.emplace(*std::move(keys));
  }
}

LotseSet::~LotseSet() {
  clients_.clear();
  processes_.clear();  // SIGKILLs leftovers
  if (port_lock_fd_ >= 0) {
    close(port_lock_fd_);
  }
}

std::string LotseSet::Binary(const std::string& service) const {
  if (service == "intake") {
    return LOTSE_INTAKE_BIN;
  }
  if (service == "routing") {
    return LOTSE_ROUTING_BIN;
  }
  if (service == "audit") {
    return LOTSE_AUDIT_BIN;
  }
  if (service == "notification") {
    return LOTSE_NOTIFICATION_BIN;
  }
  if (service == "web") {
    return LOTSE_WEB_BIN;
  }
  ADD_FAILURE() << "unknown service " << service;
  return "";
}

std::vector<std::string> LotseSet::Args() const {
  std::vector<std::string> args = {"--data-dir", dir_.Join("data"), "--port-base",
                                   std::to_string(port_base_)};
  if (!config_path_.empty()) {
    args.insert(args.end(), {"--config", config_path_});
  }
  if (options_.clock_speedup != 1.0) {
    args.insert(args.end(), {"--clock-speedup", absl::StrFormat("%g", options_.clock_speedup)});
  }
  if (!options_.clock_start.empty()) {
    args.insert(args.end(), {"--clock-start", options_.clock_start});
  }
  return args;
}

void LotseSet::Start(const std::string& service) {
  processes_.erase(service);
  std::string binary = Binary(service);
  std::vector<std::string> args = Args();
  if (auto it = options_.launch.find(service); it != options_.launch.end() && !it->second.empty()) {
    args.insert(args.begin(), binary);
    args.insert(args.begin(), it->second.begin() + 1, it->second.end());
    binary = it->second.front();
  }
  absl::StatusOr<std::unique_ptr<Process>> p =
      Process::Start(binary, args, options_.env, dir_.Join(service + ".log"));
  ASSERT_TRUE(p.ok()) << p.status();
  processes_[service] = std::move(*p);
  // Ready when it answers a command (any structured reply will do); the web terminal when its
  // /healthz answers.
  const bool up = Eventually(
      [&] {
        if (!processes_[service]->Running()) {
          return true;
        }
        if (service == "web") {
          return HttpGet(WebPort(), "/healthz", 1).status == 200;
        }
        return Raw(service, {"ping"}, absl::Milliseconds(200)).has_value();
      },
      absl::Seconds(15));
  ASSERT_TRUE(up && processes_[service]->Running()) << service << " did not come up:\n"
                                                    << Log(service);
}

void LotseSet::StartAll(bool with_audit, bool with_notification) {
  Start("intake");
  Start("routing");
  if (with_notification) {
    Start("notification");
  }
  if (with_audit) {
    Start("audit");
  }
}

void LotseSet::Kill(const std::string& service) {
  if (auto it = processes_.find(service); it != processes_.end()) {
    it->second->Kill();
  }
}

int LotseSet::Terminate(const std::string& service) {
  absl::StatusOr<int> code = processes_.at(service)->Terminate(absl::Seconds(2));
  EXPECT_TRUE(code.ok()) << service << " did not stop within 2 s after SIGTERM";
  return code.ok() ? *code : -1;
}

bool LotseSet::Running(const std::string& service) {
  auto it = processes_.find(service);
  return it != processes_.end() && it->second->Running();
}

pid_t LotseSet::Pid(const std::string& service) { return processes_.at(service)->pid(); }

std::string LotseSet::Log(const std::string& service) const {
  return ReadFile(dir_.Join(service + ".log"));
}

int LotseSet::OpsPort(const std::string& service) const {
  return port_base_ + 2 * config::kServiceCount + Index(service);
}

HttpReply HttpGet(int port, const std::string& path, int timeout_s) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(timeout_s, 0);
  const httplib::Result result = client.Get(path);
  if (!result) {
    return {};
  }
  return {result->status, result->body};
}

double MetricValue(const std::string& exposition, const std::string& series) {
  const std::string prefix = series + " ";
  size_t at = 0;
  while ((at = exposition.find(prefix, at)) != std::string::npos) {
    if (at == 0 || exposition[at - 1] == '\n') {
      return std::stod(exposition.substr(at + prefix.size()));
    }
    at += prefix.size();
  }
  return -1;
}

int LotseSet::Index(const std::string& service) const {
  if (service == "intake") {
    return 0;
  }
  if (service == "routing") {
    return 1;
  }
  return service == "notification" ? 2 : 3;
}

std::string PrincipalFor(const lotse::v1::Actor& actor) {
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_OFFICE:
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      return actor.id();
    case lotse::v1::ACTOR_KIND_OPS:
      return "ops";
    default:
      return "admin";
  }
}

std::string LotseSet::KeyFor(const lotse::v1::Actor& actor) const {
  std::string principal = PrincipalFor(actor);
  return keys_.has_value() && keys_->Has(principal) ? principal : "admin";
}

bus::CurveOptions LotseSet::Curve(const std::string& principal, const std::string& service) const {
  return keys_.has_value() ? keys_->Client(principal, service) : bus::CurveOptions{};
}

bus::CommandClient& LotseSet::Client(const std::string& service, const std::string& principal) {
  std::unique_ptr<bus::CommandClient>& client = clients_[{service, principal}];
  if (client == nullptr) {
    bus::SocketOptions socket_options;
    socket_options.linger_ms = 0;
    socket_options.curve = Curve(principal, service);
    client = std::make_unique<bus::CommandClient>(
        *context_, StrCat("tcp://", HostOf(service), ":", port_base_ + 2 * Index(service)),
        socket_options, options_.client_timeout, options_.client_retries, service);
  }
  return *client;
}

std::optional<std::vector<std::string>> LotseSet::Raw(const std::string& service,
                                                      const std::vector<std::string>& frames,
                                                      absl::Duration timeout) {
  bus::SocketOptions socket_options;
  socket_options.linger_ms = 0;
  socket_options.curve = Curve("admin", service);
  absl::StatusOr<bus::Socket> socket =
      bus::Socket::Create(*context_, zmq::socket_type::dealer, socket_options);
  if (!socket.ok() ||
      !socket->Connect(StrCat("tcp://", HostOf(service), ":", port_base_ + 2 * Index(service)))
           .ok() ||
      !socket->Send(frames).ok()) {
    return std::nullopt;
  }
  absl::StatusOr<bool> readable = socket->WaitReadable(timeout);
  if (!readable.ok() || !*readable) {
    return std::nullopt;
  }
  absl::StatusOr<std::optional<bus::Frames>> reply = socket->Receive();
  if (!reply.ok() || !reply->has_value()) {
    return std::nullopt;
  }
  return **reply;
}

namespace {

// One request over `client`: a fresh request id, and a reply that must parse and belong to it.
template <typename Reply, typename Request>
absl::StatusOr<Reply> CallService(bus::CommandClient& client, Request request, uint64_t id,
                                  std::string_view service) {
  request.set_request_id(StrCat("t", id));
  // The test acts as ops or admin with their keys; the services name those principals
  // themselves.
  if (request.actor().kind() == lotse::v1::ACTOR_KIND_OPS ||
      request.actor().kind() == lotse::v1::ACTOR_KIND_ADMIN) {
    request.mutable_actor()->clear_id();
  }
  absl::StatusOr<std::string> bytes = client.Call(request.SerializeAsString());
  if (!bytes.ok()) {
    return bytes.status();
  }
  Reply reply;
  if (!reply.ParseFromString(*bytes) || reply.request_id() != request.request_id()) {
    return absl::DataLossError(
        StrCat(service, " sent a reply that does not belong to the request"));
  }
  return reply;
}

}  // namespace

absl::StatusOr<lotse::v1::IntakeReply> LotseSet::Intake(lotse::v1::IntakeRequest request) {
  bus::CommandClient& client = Client("intake", KeyFor(request.actor()));
  return CallService<lotse::v1::IntakeReply>(client, std::move(request), ++next_id_, "intake");
}

absl::StatusOr<lotse::v1::RoutingReply> LotseSet::Routing(lotse::v1::RoutingRequest request) {
  bus::CommandClient& client = Client("routing", KeyFor(request.actor()));
  return CallService<lotse::v1::RoutingReply>(client, std::move(request), ++next_id_, "routing");
}

absl::StatusOr<lotse::v1::AuditReply> LotseSet::Audit(lotse::v1::AuditRequest request) {
  bus::CommandClient& client = Client("audit", KeyFor(request.actor()));
  return CallService<lotse::v1::AuditReply>(client, std::move(request), ++next_id_, "audit");
}

absl::StatusOr<lotse::v1::NotificationReply> LotseSet::Notification(
    lotse::v1::NotificationRequest request) {
  bus::CommandClient& client = Client("notification", KeyFor(request.actor()));
  return CallService<lotse::v1::NotificationReply>(client, std::move(request), ++next_id_,
                                                   "notification");
}

absl::StatusOr<lotse::v1::IntakeReply> LotseSet::Submit(const std::string& office,
                                                        const std::string& topic,
                                                        const std::string& company_id,
                                                        const std::string& key) {
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id(office);
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(key.empty() ? NewKey() : key);
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office(office);
  r->set_company_id(company_id);
  r->set_company_name(StrCat("Firma ", company_id, " GmbH"));
  r->set_topic(topic);
  r->set_subject("Frage zur Genehmigung");
  r->set_text("Welche Unterlagen brauchen wir, und wie lange dauert es?");
  r->mutable_contact()->set_name("Erika Mustermann");
  return Intake(request);
}

absl::StatusOr<lotse::v1::IntakeReply> LotseSet::Status(const std::string& office,
                                                        const std::string& ref) {
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id(office);
  request.mutable_get()->set_ref(ref);
  return Intake(request);
}

absl::StatusOr<lotse::v1::IntakeReply> LotseSet::Feedback(const std::string& office,
                                                          const std::string& ref, int rating,
                                                          bool resolved) {
  lotse::v1::IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id(office);
  lotse::v1::SubmitFeedbackRequest* f = request.mutable_feedback();
  f->set_idempotency_key(NewKey());
  f->set_ref(ref);
  f->set_rating(rating);
  f->set_resolved(resolved);
  f->set_comment("Schnell und hilfreich.");
  return Intake(request);
}

absl::StatusOr<lotse::v1::RoutingReply> LotseSet::Worklist(const std::string& department) {
  lotse::v1::RoutingRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(department);
  request.mutable_worklist()->set_assignee(department);
  // Every page, merged into one reply: the tests look at the whole worklist.
  absl::StatusOr<lotse::v1::RoutingReply> whole = Routing(request);
  while (whole.ok() && whole->has_worklist() && !whole->worklist().next().empty()) {
    request.mutable_worklist()->set_after(whole->worklist().next());
    absl::StatusOr<lotse::v1::RoutingReply> page = Routing(request);
    if (!page.ok() || !page->has_worklist()) {
      return page;
    }
    whole->mutable_worklist()->mutable_items()->MergeFrom(page->worklist().items());
    whole->mutable_worklist()->set_next(page->worklist().next());
  }
  return whole;
}

absl::StatusOr<lotse::v1::RoutingReply> LotseSet::Act(const std::string& department,
                                                      const std::string& user,
                                                      lotse::v1::RoutingRequest request) {
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(department);
  request.mutable_actor()->set_user(user);
  if (request.idempotency_key().empty()) {
    request.set_idempotency_key(NewKey());
  }
  return Routing(request);
}

absl::StatusOr<lotse::v1::FetchReply> LotseSet::FetchLog(const std::string& service,
                                                         uint64_t after_seq, uint32_t max_events) {
  bus::SocketOptions socket_options;
  socket_options.linger_ms = 0;
  socket_options.curve = Curve("admin", service);
  absl::StatusOr<bus::Socket> socket =
      bus::Socket::Create(*context_, zmq::socket_type::dealer, socket_options);
  if (!socket.ok()) {
    return socket.status();
  }
  if (absl::Status s = socket->Connect(
          StrCat("tcp://", HostOf(service), ":", port_base_ + 2 * Index(service) + 1));
      !s.ok()) {
    return s;
  }
  lotse::v1::FetchRequest fetch;
  fetch.set_stream(service);
  fetch.set_after_seq(after_seq);
  fetch.set_max_events(max_events);
  fetch.set_max_bytes(4 * 1024 * 1024);
  fetch.set_consumer("admin");
  if (absl::Status s = socket->Send({fetch.SerializeAsString()}); !s.ok()) {
    return s;
  }
  absl::StatusOr<bool> readable = socket->WaitReadable(absl::Seconds(5));
  if (!readable.ok() || !*readable) {
    return absl::UnavailableError("no fetch reply");
  }
  absl::StatusOr<std::optional<bus::Frames>> frames = socket->Receive();
  lotse::v1::FetchReply reply;
  if (!frames.ok() || !frames->has_value() || !reply.ParseFromString((**frames)[0])) {
    return absl::DataLossError("bad fetch reply");
  }
  return reply;
}

absl::StatusOr<uint64_t> LotseSet::LogHead(const std::string& service) {
  // Beyond any head: answered with the head once the long-poll bound passes.
  absl::StatusOr<lotse::v1::FetchReply> reply = FetchLog(service, UINT64_MAX / 2, 1);
  if (!reply.ok()) {
    return reply.status();
  }
  return reply->head_seq();
}

absl::StatusOr<std::vector<lotse::v1::Envelope>> LotseSet::LogEvents(const std::string& service,
                                                                     uint64_t after_seq) {
  absl::StatusOr<lotse::v1::FetchReply> reply = FetchLog(service, after_seq, 1000);
  if (!reply.ok()) {
    return reply.status();
  }
  if (reply->has_error()) {  // e.g. the events after `after_seq` were trimmed
    return absl::FailedPreconditionError(reply->error().message());
  }
  std::vector<lotse::v1::Envelope> events;
  for (const std::string& raw : reply->events()) {
    if (!events.emplace_back().ParseFromString(raw)) {
      return absl::DataLossError("an event is not a lotse.v1.Envelope");
    }
  }
  return events;
}

std::vector<std::string> LotseSet::Assignees() {
  lotse::v1::RoutingRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
  request.mutable_actor()->set_id("test");
  request.mutable_directory();
  std::vector<std::string> out;
  absl::StatusOr<lotse::v1::RoutingReply> reply = Routing(request);
  EXPECT_TRUE(reply.ok()) << reply.status();
  if (reply.ok()) {
    for (const auto& d : reply->directory().departments()) {
      out.push_back(d.id());
    }
    for (const auto& k : reply->directory().key_accounts()) {
      out.push_back(k.id());
    }
  }
  return out;
}

bool LotseSet::Eventually(const std::function<bool()>& pred, absl::Duration deadline) {
  return WaitUntil(pred, deadline, absl::Milliseconds(25));
}

}  // namespace lotse::test
