#include "tests/fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/clock/clock.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/service/errors.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/routing.pb.h"
#include "spdlog/spdlog.h"
#include "tests/support/wait.h"

namespace lotse::fuzz {
namespace {

using config::Service;

constexpr Service kAll[] = {Service::kIntake, Service::kRouting, Service::kNotification,
                            Service::kAudit};

// Who consumes whose log, as services/*/README.md describe it.
std::vector<Service> ConsumersOf(Service producer) {
  switch (producer) {
    case Service::kIntake:
      return {Service::kRouting, Service::kNotification, Service::kAudit};
    case Service::kRouting:
      return {Service::kIntake, Service::kNotification, Service::kAudit};
    case Service::kNotification:
      return {Service::kAudit};
    case Service::kAudit:
      return {};
  }
  return {};
}

std::string MakeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/lotse-fuzz-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    Fail("cannot create a temp dir", pattern);
  }
  return pattern;
}

lotse::v1::Actor MakeActor(lotse::v1::ActorKind kind, std::string id, std::string user = "") {
  lotse::v1::Actor actor;
  actor.set_kind(kind);
  actor.set_id(std::move(id));
  actor.set_user(std::move(user));
  return actor;
}

}  // namespace

absl::Time FixedNow() {
  static const absl::Time now = [] {
    absl::TimeZone berlin;
    if (!absl::LoadTimeZone("Europe/Berlin", &berlin)) {
      Fail("the time zone Europe/Berlin is missing: install tzdata");
    }
    return absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0), berlin);
  }();
  return now;
}

void InitProcess() {
  static const bool done = [] {
    const char* level = std::getenv("LOTSE_FUZZ_LOG");
    if (absl::Status s = log::Init("fuzz", level != nullptr ? level : "critical", "text");
        !s.ok()) {
      Fail("log::Init failed", s.ToString());
    }
    if (level == nullptr) {
      spdlog::set_level(spdlog::level::off);  // millions of inputs: log lines cost exec/s
    }
    service::CaptureProtobufLogs();
    service::PrepareErrorMetrics();
    return true;
  }();
  (void)done;
}

void Fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "\n==== LOTSE FUZZ CHECK FAILED: %.*s\n%.*s\n",
               static_cast<int>(what.size()), what.data(), static_cast<int>(detail.size()),
               detail.data());
  std::fflush(stderr);
  std::abort();
}

ServiceSet& ServiceSet::Get() {
  static ServiceSet set;
  return set;
}

ServiceSet::ServiceSet() {
  InitProcess();
  dir_ = MakeTempDir();
  absl::StatusOr<config::Config> config =
      config::ParseConfig(config::DefaultConfigText(), "builtin");
  if (!config.ok()) {
    Fail("the built-in config does not parse", config.status().ToString());
  }
  config_ = *std::move(config);
  config_.data_dir = dir_ + "/data";
  // Every principal's keypair where the services look for it, as `lotse up` makes them.
  if (absl::Status s = auth::GenerateKeyring(config_, config_.keys.Dir(config_.data_dir)).status();
      !s.ok()) {
    Fail("the keyring could not be made", s.ToString());
  }
  absl::StatusOr<std::shared_ptr<const auth::Directory>> directory =
      auth::Directory::Load(config_, /*strict=*/true, nullptr);
  if (!directory.ok()) {
    Fail("the keyring does not load", directory.status().ToString());
  }
  directory_ = *std::move(directory);
  config_.limits.min_free_disk_mb = 0;  // a full /tmp must not turn every seed commit into an error
  // Ports: a block no other Lotse test or fuzz run holds (the integration tests' lock files),
  // free now; retried when a port is taken before the services bind it.
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int base = test::ReservePortBlock(config::kPortsPerSet, &port_lock_fd_);
    if (base < 0) {
      continue;
    }
    if (TryCreate(base)) {
      Seed();
      return;
    }
    close(port_lock_fd_);
    port_lock_fd_ = -1;
  }
  Fail("could not create the services on any free block of ports", last_error_);
}

bool ServiceSet::TryCreate(int port_base) {
  config_.network.port_base = port_base;
  for (auto& context : contexts_) {
    context = std::make_unique<bus::Context>();
  }
  auto make_clock = [] { return std::make_unique<clock::ManualClock>(FixedNow()); };
  auto intake = intake::IntakeService::Create(config_, *contexts_[0], make_clock());
  auto routing = routing::RoutingService::Create(config_, *contexts_[1], make_clock());
  auto notification =
      notification::NotificationService::Create(config_, *contexts_[2], make_clock());
  auto audit = audit::AuditService::Create(config_, *contexts_[3], make_clock());
  if (!intake.ok() || !routing.ok() || !notification.ok() || !audit.ok()) {
    // Most likely a port of the block is taken; the caller tries another block.
    for (const absl::Status& s :
         {intake.status(), routing.status(), notification.status(), audit.status()}) {
      if (!s.ok()) {
        last_error_ = s.ToString();
      }
    }
    return false;
  }
  intake_ = *std::move(intake);
  routing_ = *std::move(routing);
  notification_ = *std::move(notification);
  audit_ = *std::move(audit);
  return true;
}

void ServiceSet::Destroy() {
  audit_.reset();
  notification_.reset();
  routing_.reset();
  intake_.reset();
  for (auto& context : contexts_) {
    context.reset();  // after every socket
  }
}

ServiceSet::~ServiceSet() {
  Destroy();
  if (port_lock_fd_ >= 0) {
    close(port_lock_fd_);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

store::Store& ServiceSet::store(Service service) {
  switch (service) {
    case Service::kIntake:
      return intake_->StoreForTest();
    case Service::kRouting:
      return routing_->StoreForTest();
    case Service::kNotification:
      return notification_->StoreForTest();
    case Service::kAudit:
      return audit_->StoreForTest();
  }
  Fail("unknown service");
}

service::Handler& ServiceSet::handler(Service service) {
  switch (service) {
    case Service::kIntake:
      return *intake_;
    case Service::kRouting:
      return *routing_;
    case Service::kNotification:
      return *notification_;
    case Service::kAudit:
      return *audit_;
  }
  Fail("unknown service");
}

void ServiceSet::Commit(Service service, store::Batch& batch) {
  if (absl::Status s = store(service).Commit(batch); !s.ok()) {
    Fail(StrCat("seeding: the commit of ", config::ServiceName(service), " failed"), s.ToString());
  }
}

bus::Request ServiceSet::Arriving(std::string_view body, const lotse::v1::Actor& actor,
                                  bus::Frames route) const {
  std::string principal = "admin";
  if (actor.kind() == lotse::v1::ACTOR_KIND_OPS) {
    principal = "ops";
  } else if ((actor.kind() == lotse::v1::ACTOR_KIND_OFFICE ||
              actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT) &&
             directory_->ById(actor.id()) != nullptr) {
    principal = actor.id();
  }
  bus::Request request;
  request.route = std::move(route);
  request.body = std::string(body);
  request.caller = bus::UserId{principal, directory_->ById(principal)->public_key}.Format();
  return request;
}

template <typename Reply>
Reply ServiceSet::Call(Service service, const google::protobuf::Message& request) {
  store::Batch batch(&store(service));
  const google::protobuf::FieldDescriptor* field = request.GetDescriptor()->FindFieldByName("actor");
  const auto& actor =
      dynamic_cast<const lotse::v1::Actor&>(request.GetReflection()->GetMessage(request, field));
  const std::string bytes =
      handler(service)
          .HandleCommand(Arriving(request.SerializeAsString(), actor), *directory_, batch,
                          FixedNow())
          .value_or("");
  Reply reply;
  if (!reply.ParseFromString(bytes) || reply.has_error()) {
    Fail(StrCat("seeding: ", config::ServiceName(service), " refused a request"),
         StrCat(request.ShortDebugString(), "\n-> ", reply.ShortDebugString()));
  }
  Commit(service, batch);
  Propagate();
  return reply;
}

void ServiceSet::Propagate() {
  bool moved = true;
  while (moved) {
    moved = false;
    for (Service producer : kAll) {
      const int p = static_cast<int>(producer);
      std::vector<std::string> events;
      if (absl::Status s = store(producer).ReadOutbox(propagated_[p], 1000, 64 << 20, &events);
          !s.ok()) {
        Fail("seeding: reading an outbox failed", s.ToString());
      }
      for (const std::string& raw : events) {
        lotse::v1::Envelope event;
        if (!event.ParseFromString(raw)) {
          Fail("seeding: an outbox event does not parse");
        }
        for (Service consumer : ConsumersOf(producer)) {
          store::Batch batch(&store(consumer));
          if (absl::Status s = handler(consumer).ApplyEvent(event, raw, batch, FixedNow());
              !s.ok()) {
            Fail(StrCat("seeding: ", config::ServiceName(consumer), " cannot apply an event"),
                 StrCat(s.ToString(), "\n", event.ShortDebugString()));
          }
          batch.SetOffset(config::ServiceName(producer), store::Offset{event.seq(), event.epoch()});
          Commit(consumer, batch);
        }
        propagated_[p] = event.seq();
        moved = true;
      }
    }
  }
}

void ServiceSet::Seed() {
  using lotse::v1::ACTOR_KIND_DEPARTMENT;
  using lotse::v1::ACTOR_KIND_OFFICE;
  struct Submission {
    const char* office;
    const char* topic;
    const char* company;
  };
  const Submission submissions[kSeededReferrals] = {
      {"bb-mitte", "baugenehmigung", "HRB-1"},
      {"bb-nord", "ansiedlung", "HRB-20417"},  // a key account company
      {"bb-mitte", "emissionsschutz", "HRB-3"},
      {"bb-sued", "gewerbeflaechen", "HRB-4"},  // office rule: wirtschaftsfoerderung
  };
  int n = 0;
  for (const Submission& s : submissions) {
    lotse::v1::IntakeRequest request;
    request.set_request_id(StrCat("seed-", ++n));
    *request.mutable_actor() = MakeActor(ACTOR_KIND_OFFICE, s.office);
    lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
    submit->set_idempotency_key(StrCat("seed-", n));
    lotse::v1::Referral* r = submit->mutable_referral();
    r->set_office(s.office);
    r->set_company_id(s.company);
    r->set_company_name(StrCat("Firma ", s.company, " GmbH"));
    r->set_topic(s.topic);
    r->set_subject("Frage zur Genehmigung");
    r->set_text("Welche Unterlagen brauchen wir?");
    r->mutable_contact()->set_name("Erika Mustermann");
    r->mutable_contact()->set_email("erika@example.org");
    Call<lotse::v1::IntakeReply>(Service::kIntake, request);
  }
  auto act = [&](const char* department, const char* user, lotse::v1::RoutingRequest request) {
    request.set_request_id(StrCat("seed-", ++n));
    *request.mutable_actor() = MakeActor(ACTOR_KIND_DEPARTMENT, department, user);
    request.set_idempotency_key(StrCat("seed-", n));
    Call<lotse::v1::RoutingReply>(Service::kRouting, request);
  };
  lotse::v1::RoutingRequest claim;
  claim.mutable_claim()->set_ref("2026-000001");
  act("bauordnung", "mueller", claim);
  lotse::v1::RoutingRequest consult;
  consult.mutable_consult()->set_ref("2026-000001");
  consult.mutable_consult()->add_departments("umwelt");
  consult.mutable_consult()->set_question("Ist ein Emissionsgutachten nötig?");
  act("bauordnung", "mueller", consult);
  for (const auto& [ref, department] :
       {std::pair{"2026-000003", "umwelt"}, std::pair{"2026-000004", "wirtschaftsfoerderung"}}) {
    lotse::v1::RoutingRequest answer;
    answer.mutable_answer()->set_ref(ref);
    answer.mutable_answer()->set_text("Bitte reichen Sie den Antrag ein.");
    answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
    act(department, "schmidt", answer);
  }
  lotse::v1::IntakeRequest feedback;
  feedback.set_request_id("seed-feedback");
  *feedback.mutable_actor() = MakeActor(ACTOR_KIND_OFFICE, "bb-mitte");
  feedback.mutable_feedback()->set_idempotency_key("seed-feedback");
  feedback.mutable_feedback()->set_ref("2026-000003");
  feedback.mutable_feedback()->set_rating(4);
  feedback.mutable_feedback()->set_resolved(true);
  feedback.mutable_feedback()->set_comment("Danke!");
  Call<lotse::v1::IntakeReply>(Service::kIntake, feedback);
}

}  // namespace lotse::fuzz
