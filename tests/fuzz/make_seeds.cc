// Writes the seed corpora of the fuzz targets: a few valid messages each, built with today's
// protobuf types, so that the fuzzers start from inputs that reach the handlers' real work.
// Usage: fuzz_make_seeds DIR   (writes DIR/<target>/<name>.bin; the checked-in seeds live in
// tests/fuzz/corpus). Requests name what fuzz_support.h seeds into the stores: the offices,
// departments and case numbers 2026-000001..4 of the sample city.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/config/config.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/log.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"

namespace {

namespace fs = std::filesystem;
using namespace lotse::v1;  // NOLINT(google-build-using-namespace): a generator of v1 messages

fs::path root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

Actor MakeActor(ActorKind kind, const std::string& id, const std::string& user = "") {
  Actor a;
  a.set_kind(kind);
  a.set_id(id);
  a.set_user(user);
  return a;
}

void IntakeSeeds() {
  IntakeRequest submit;
  submit.set_request_id("1");
  *submit.mutable_actor() = MakeActor(ACTOR_KIND_OFFICE, "bb-mitte");
  submit.mutable_submit()->set_idempotency_key("k1");
  Referral* r = submit.mutable_submit()->mutable_referral();
  r->set_office("bb-mitte");
  r->set_company_id("HRB-18842");
  r->set_company_name("Firma");
  r->set_topic("gewerbeanmeldung");
  r->set_subject("Betreff");
  r->set_text("Text");
  r->set_priority(PRIORITY_HIGH);
  r->mutable_contact()->set_email("a@b.example");
  Write("fuzz_intake_request", "submit.bin", submit.SerializeAsString());
  submit.mutable_submit()->set_idempotency_key("seed-1");  // replays the seeded submission
  Write("fuzz_intake_request", "submit_replay.bin", submit.SerializeAsString());

  IntakeRequest get;
  get.set_request_id("2");
  *get.mutable_actor() = MakeActor(ACTOR_KIND_OFFICE, "bb-mitte");
  get.mutable_get()->set_ref("2026-000001");
  Write("fuzz_intake_request", "get.bin", get.SerializeAsString());

  IntakeRequest feedback;
  feedback.set_request_id("3");
  *feedback.mutable_actor() = MakeActor(ACTOR_KIND_OFFICE, "bb-sued");
  feedback.mutable_feedback()->set_idempotency_key("k3");
  feedback.mutable_feedback()->set_ref("2026-000004");
  feedback.mutable_feedback()->set_rating(5);
  feedback.mutable_feedback()->set_resolved(true);
  feedback.mutable_feedback()->set_comment("Danke");
  Write("fuzz_intake_request", "feedback.bin", feedback.SerializeAsString());
}

void RoutingSeeds() {
  auto write = [](const std::string& name, const std::string& department, const std::string& user,
                  RoutingRequest request) {
    request.set_request_id(name);
    *request.mutable_actor() = MakeActor(ACTOR_KIND_DEPARTMENT, department, user);
    request.set_idempotency_key("k-" + name);
    Write("fuzz_routing_request", name + ".bin", request.SerializeAsString());
  };
  RoutingRequest r;
  r.mutable_worklist()->set_assignee("bauordnung");
  write("worklist", "bauordnung", "", r);
  r.Clear();
  r.mutable_get()->set_ref("2026-000001");
  write("get", "umwelt", "", r);
  r.Clear();
  r.mutable_directory();
  write("directory", "umwelt", "", r);
  r.Clear();
  r.mutable_claim()->set_ref("2026-000002");
  write("claim", "kam-schneider", "anna", r);
  r.Clear();
  r.mutable_unclaim()->set_ref("2026-000001");
  write("unclaim", "bauordnung", "mueller", r);
  r.Clear();
  r.mutable_forward()->set_ref("2026-000002");
  r.mutable_forward()->set_to("umwelt");
  r.mutable_forward()->set_reason("zuständig");
  write("forward", "kam-schneider", "anna", r);
  r.Clear();
  r.mutable_consult()->set_ref("2026-000001");
  r.mutable_consult()->add_departments("stadtplanung");
  r.mutable_consult()->add_departments("tiefbau");
  r.mutable_consult()->set_question("Bebauungsplan?");
  write("consult", "bauordnung", "mueller", r);
  r.Clear();
  r.mutable_contribute()->set_ref("2026-000001");
  r.mutable_contribute()->set_text("Kein Gutachten nötig.");
  write("contribute", "umwelt", "meier", r);
  r.Clear();
  r.mutable_answer()->set_ref("2026-000001");
  r.mutable_answer()->set_text("Antwort");
  r.mutable_answer()->set_outcome(OUTCOME_PARTLY);
  write("answer", "bauordnung", "mueller", r);
}

void NotificationSeeds() {
  auto write = [](const std::string& name, const Actor& actor, uint64_t ack, uint32_t max,
                  uint32_t wait_ms) {
    NotificationRequest request;
    request.set_request_id(name);
    *request.mutable_actor() = actor;
    request.mutable_inbox()->set_ack(ack);
    request.mutable_inbox()->set_max_messages(max);
    request.mutable_inbox()->set_wait_ms(wait_ms);
    Write("fuzz_notification_request", name + ".bin", request.SerializeAsString());
  };
  write("office", MakeActor(ACTOR_KIND_OFFICE, "bb-mitte"), 0, 0, 0);
  write("office_ack", MakeActor(ACTOR_KIND_OFFICE, "bb-mitte"), 2, 1, 0);
  write("department", MakeActor(ACTOR_KIND_DEPARTMENT, "bauordnung"), 0, 10, 0);
  write("kam_wait", MakeActor(ACTOR_KIND_DEPARTMENT, "kam-yilmaz"), 0, 0, 500);
}

void AuditSeeds() {
  AuditRequest r;
  r.set_request_id("h");
  *r.mutable_actor() = MakeActor(ACTOR_KIND_OPS, "ops");
  r.mutable_history()->set_ref("2026-000001");
  Write("fuzz_audit_request", "history_ops.bin", r.SerializeAsString());
  *r.mutable_actor() = MakeActor(ACTOR_KIND_OFFICE, "bb-mitte");
  r.mutable_history()->set_ref("2026-000003");
  Write("fuzz_audit_request", "history_office.bin", r.SerializeAsString());
  r.Clear();
  r.set_request_id("v");
  *r.mutable_actor() = MakeActor(ACTOR_KIND_ADMIN, "admin");
  r.mutable_verify();
  Write("fuzz_audit_request", "verify.bin", r.SerializeAsString());
  r.Clear();
  r.set_request_id("e");
  *r.mutable_actor() = MakeActor(ACTOR_KIND_OPS, "ops");
  r.mutable_evaluation()->set_from("2026-03-01");
  r.mutable_evaluation()->set_to("2026-04-01");
  Write("fuzz_audit_request", "evaluation.bin", r.SerializeAsString());
  r.mutable_evaluation()->set_rebuild(true);
  Write("fuzz_audit_request", "evaluation_rebuild.bin", r.SerializeAsString());
  r.Clear();
  r.set_request_id("d");
  *r.mutable_actor() = MakeActor(ACTOR_KIND_DEPARTMENT, "umwelt");
  r.mutable_evaluation()->set_from("2026-01-01");
  r.mutable_evaluation()->set_to("2027-01-01");
  Write("fuzz_audit_request", "evaluation_department.bin", r.SerializeAsString());
}

Envelope Event(const std::string& stream, uint64_t seq, const std::string& ref) {
  Envelope e;
  e.set_event_id(stream + "-0000000000005eed-" + std::to_string(seq));
  e.set_stream(stream);
  e.set_seq(seq);
  e.set_epoch(0x5eed);
  e.set_occurred_at_us(1772442000000000);  // 2026-03-02 10:00 +01:00
  e.set_referral_id(ref);
  e.set_case_number(ref);
  return e;
}

void EnvelopeSeeds() {
  Envelope e = Event("intake", 9, "2026-000009");
  *e.mutable_actor() = MakeActor(ACTOR_KIND_OFFICE, "bb-nord");
  Referral* r = e.mutable_referral_submitted()->mutable_referral();
  r->set_office("bb-nord");
  r->set_company_id("HRB-31158");
  r->set_company_name("Firma");
  r->set_topic("fachkraefte");
  r->set_subject("Betreff");
  r->set_text("Text");
  e.mutable_referral_submitted()->set_submitted_at_us(1772442000000000);
  Write("fuzz_envelope", "referral_submitted.bin", e.SerializeAsString());

  e = Event("intake", 10, "2026-000004");
  e.mutable_feedback_submitted()->set_office("bb-sued");
  e.mutable_feedback_submitted()->set_rating(2);
  Write("fuzz_envelope", "feedback_submitted.bin", e.SerializeAsString());

  e = Event("routing", 11, "2026-000001");
  ReferralRouted* routed = e.mutable_referral_routed();
  routed->set_assignee("bauordnung");
  routed->set_responsible_department("bauordnung");
  routed->set_due_at_us(1772600000000000);
  routed->set_office("bb-mitte");
  routed->set_topic("baugenehmigung");
  Write("fuzz_envelope", "referral_routed.bin", e.SerializeAsString());

  e = Event("routing", 12, "2026-000002");
  e.mutable_claimed()->set_assignee("kam-schneider");
  e.mutable_claimed()->set_user("anna");
  Write("fuzz_envelope", "claimed.bin", e.SerializeAsString());

  e = Event("routing", 13, "2026-000002");
  e.mutable_forwarded()->set_from("kam-schneider");
  e.mutable_forwarded()->set_to("wirtschaftsfoerderung");
  e.mutable_forwarded()->set_forward_count(1);
  Write("fuzz_envelope", "forwarded.bin", e.SerializeAsString());

  e = Event("routing", 14, "2026-000001");
  e.mutable_consultation_opened()->set_assignee("bauordnung");
  e.mutable_consultation_opened()->add_departments("tiefbau");
  e.mutable_consultation_opened()->set_question("Frage");
  Write("fuzz_envelope", "consultation_opened.bin", e.SerializeAsString());

  e = Event("routing", 15, "2026-000001");
  e.mutable_contribution_added()->set_department("umwelt");
  e.mutable_contribution_added()->set_text("Beitrag");
  Write("fuzz_envelope", "contribution_added.bin", e.SerializeAsString());

  e = Event("routing", 16, "2026-000002");
  e.mutable_answered()->mutable_answer()->set_department("kam-schneider");
  e.mutable_answered()->mutable_answer()->set_outcome(OUTCOME_RESOLVED);
  e.mutable_answered()->set_office("bb-nord");
  Write("fuzz_envelope", "answered.bin", e.SerializeAsString());

  e = Event("routing", 17, "2026-000002");
  e.mutable_escalated()->set_assignee("kam-schneider");
  e.mutable_escalated()->set_level(ESCALATION_LEVEL_BREACH);
  e.mutable_escalated()->set_key_account("kam-schneider");
  Write("fuzz_envelope", "escalated.bin", e.SerializeAsString());

  e = Event("routing", 18, "2026-000004");
  e.mutable_closed()->mutable_feedback()->set_rating(5);
  e.mutable_closed()->set_office("bb-sued");
  Write("fuzz_envelope", "closed.bin", e.SerializeAsString());

  e = Event("notification", 19, "2026-000001");
  e.mutable_delivered()->set_recipient("department/bauordnung");
  e.mutable_delivered()->set_channel("email");
  Write("fuzz_envelope", "delivered.bin", e.SerializeAsString());

  e = Event("notification", 20, "2026-000001");
  e.mutable_delivery_failed()->set_recipient("office/bb-mitte");
  e.mutable_delivery_failed()->set_final(true);
  Write("fuzz_envelope", "delivery_failed.bin", e.SerializeAsString());
}

// fuzz_fetch: byte 0 steers the shape (see fuzz_fetch.cc), the rest is the payload.
void FetchSeeds() {
  auto write = [](const std::string& name, uint8_t control, const std::string& payload) {
    Write("fuzz_fetch", name + ".bin", std::string(1, static_cast<char>(control)) + payload);
  };
  FetchRequest request;
  request.set_stream("intake");
  request.set_after_seq(1);
  request.set_max_events(10);
  request.set_max_bytes(1 << 20);
  request.set_consumer("routing");
  request.set_fetch_id(7);
  write("request", 0x00, request.SerializeAsString());
  request.set_epoch(0x5eed);
  request.set_after_seq(3);
  write("request_at_head", 0x00, request.SerializeAsString());
  write("request_two_frames", 0x01, request.SerializeAsString());

  FetchReply reply;
  reply.set_stream("intake");
  reply.set_epoch(0x5eed);
  reply.set_head_seq(3);
  reply.set_fetch_id(1);  // a fresh consumer's first fetch
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    Envelope e = Event("intake", seq, "r" + std::to_string(seq));
    e.mutable_referral_submitted()->mutable_referral()->set_office("bb-mitte");
    reply.add_events(e.SerializeAsString());
  }
  write("reply", 0x00, reply.SerializeAsString());
  write("reply_after_offset_1", 0x14, reply.SerializeAsString());  // offset 1, epoch known
  FetchReply refused = reply;
  refused.clear_events();
  refused.mutable_error()->set_code(ERROR_CODE_UNAVAILABLE);
  refused.mutable_error()->set_message("outbox");
  write("reply_error", 0x10, refused.SerializeAsString());
}

void ConfigSeeds() {
  Write("fuzz_config", "default_config.toml", std::string(lotse::config::DefaultConfigText()));
  Write("fuzz_config", "minimal.toml",
        "[routing]\ndefault_department = \"a\"\n"
        "[[departments]]\nid = \"a\"\nname = \"A\"\nsla_hours = 8\n"
        "office_hours = \"Mon-Fri 08:00-16:00\"\n"
        "[[topics]]\nid = \"t\"\nname = \"T\"\ndepartment = \"a\"\n"
        "[[offices]]\nid = \"o\"\nname = \"O\"\nemail = \"o@x.example\"\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR  (writes DIR/<fuzz target>/*)\n", argv[0]);
    return 2;
  }
  root = argv[1];
  IntakeSeeds();
  RoutingSeeds();
  NotificationSeeds();
  AuditSeeds();
  EnvelopeSeeds();
  FetchSeeds();
  ConfigSeeds();
  return 0;
}
