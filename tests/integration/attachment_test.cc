// Attachments over the real sockets: a document travels to intake in chunks, is stored once by
// its hash, is read back byte for byte by whoever may read the referral, shows in the audit
// history without its bytes; bad input (too big, a path for a name, a wrong hash, a chunk out of
// order) and strangers (another office, a department not involved, ops, a changed referral id)
// are refused and change nothing.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/routing.pb.h"
#include "services/intake/attachments.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"

namespace lotse::test {
namespace {

using lotse::v1::ActorKind;
using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;

constexpr uint64_t kMiB = uint64_t{1} << 20;

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = random();
    for (size_t j = 0; j < 8 && i + j < size; ++j) {
      out[i + j] = static_cast<char>(word >> (8 * j));
    }
  }
  return out;
}

IntakeRequest As(ActorKind kind, const std::string& id) {
  IntakeRequest request;
  request.mutable_actor()->set_kind(kind);
  request.mutable_actor()->set_id(id);
  return request;
}
IntakeRequest Office(const std::string& id) { return As(lotse::v1::ACTOR_KIND_OFFICE, id); }
IntakeRequest Department(const std::string& id) {
  return As(lotse::v1::ACTOR_KIND_DEPARTMENT, id);
}
IntakeRequest Ops() { return As(lotse::v1::ACTOR_KIND_OPS, "ops"); }

// Sends `content` in chunks as `who`; the reply to the last chunk sent, or the first refusal.
IntakeReply AttachFile(LotseSet& set, IntakeRequest who, const std::string& ref,
                       const std::string& name, const std::string& content,
                       const std::string& sha256 = "") {
  lotse::v1::AttachRequest* attach = who.mutable_attach();
  attach->set_idempotency_key(NewKey());
  attach->set_ref(ref);
  attach->set_name(name);
  attach->set_size(content.size());
  attach->set_sha256(sha256.empty() ? intake::Sha256Hex(content) : sha256);
  IntakeReply reply;
  for (uint64_t at = 0; at < content.size() || at == 0; at += intake::kChunkBytes) {
    attach->set_offset(at);
    attach->set_data(content.substr(at, intake::kChunkBytes));
    absl::StatusOr<IntakeReply> answer = set.Intake(who);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) {
      return reply;
    }
    reply = *answer;
    if (reply.has_error() || content.empty()) {
      break;
    }
  }
  return reply;
}

// The whole attachment as `who` reads it, or the first refusal's error.
struct ReadResult {
  std::string bytes;
  lotse::v1::Error error;
};
ReadResult ReadAttachment(LotseSet& set, IntakeRequest who, const std::string& ref,
                          const std::string& name) {
  ReadResult out;
  lotse::v1::GetAttachmentRequest* get = who.mutable_attachment();
  get->set_ref(ref);
  get->set_name(name);
  while (true) {
    get->set_offset(out.bytes.size());
    absl::StatusOr<IntakeReply> reply = set.Intake(who);
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) {
      return out;
    }
    if (reply->has_error()) {
      out.error = reply->error();
      return out;
    }
    out.bytes += reply->attachment().data();
    if (reply->attachment().data().empty() ||
        out.bytes.size() >= reply->attachment().attachment().size()) {
      return out;
    }
  }
}

// The names of the referral's attachments as `who` lists them.
std::vector<std::string> Listed(LotseSet& set, IntakeRequest who, const std::string& ref) {
  who.mutable_attachment()->set_ref(ref);
  absl::StatusOr<IntakeReply> reply = set.Intake(who);
  EXPECT_TRUE(reply.ok() && reply->has_attachment())
      << (reply.ok() ? reply->DebugString() : reply.status().ToString());
  std::vector<std::string> names;
  if (reply.ok()) {
    for (const lotse::v1::AttachmentRef& a : reply->attachment().attachments()) {
      names.push_back(a.name());
    }
  }
  return names;
}

// lotse_attachment_blobs_total{outcome=...} of intake's /metrics, or -1.
double Blobs(const LotseSet& set, const std::string& outcome) {
  httplib::Client client("127.0.0.1", set.port_base() + 2 * config::kServiceCount);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(3, 0);
  const httplib::Result result = client.Get("/metrics");
  if (!result || result->status != 200) {
    return -1;
  }
  std::istringstream lines(result->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("lotse_attachment_blobs_total{", 0) == 0 &&
        line.find(StrCat("outcome=\"", outcome, "\"")) != std::string::npos) {
      return std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  return 0;  // not counted yet
}

class AttachmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetOptions options;
    options.client_timeout = absl::Seconds(5);  // a 10 MiB commit on a busy machine
    set_ = std::make_unique<LotseSet>(options);
    set_->StartAll(/*with_audit=*/true);
  }

  // A referral of `office` on a building topic, routed to bauordnung (no KAM for the company).
  std::string Submit(const std::string& office = "bb-mitte",
                     const std::string& topic = "baugenehmigung") {
    absl::StatusOr<IntakeReply> submitted = set_->Submit(office, topic, "HRB-77001");
    EXPECT_TRUE(submitted.ok() && submitted->has_submitted())
        << (submitted.ok() ? submitted->DebugString() : submitted.status().ToString());
    const std::string ref = submitted.ok() ? submitted->submitted().case_number() : "";
    EXPECT_TRUE(set_->Eventually([&] {
      absl::StatusOr<IntakeReply> r = set_->Status(office, ref);
      return r.ok() && !r->referral().assignee().empty();
    })) << "intake never heard that " << ref << " was routed";
    return ref;
  }

  std::unique_ptr<LotseSet> set_;
};

TEST_F(AttachmentTest, OfficeAttachesDepartmentReadsBackStoredOnceAndInHistory) {
  const std::string ref = Submit();
  const std::string file = RandomBytes(3 * kMiB + 12345, 1);  // seven chunks
  const double stored_before = Blobs(*set_, "stored");
  IntakeReply done = AttachFile(*set_, Office("bb-mitte"), ref, "lageplan.pdf", file);
  ASSERT_FALSE(done.has_error()) << done.error().DebugString();
  ASSERT_TRUE(done.attached().complete());
  EXPECT_EQ(done.attached().attachment().size(), file.size());
  EXPECT_EQ(done.attached().attachment().added_by(), "bb-mitte");

  const ReadResult read = ReadAttachment(*set_, Department("bauordnung"), ref, "lageplan.pdf");
  EXPECT_EQ(read.error.code(), lotse::v1::ERROR_CODE_UNSPECIFIED) << read.error.DebugString();
  EXPECT_TRUE(read.bytes == file) << "read back " << read.bytes.size() << " bytes, not the file";
  EXPECT_EQ(Listed(*set_, Department("bauordnung"), ref),
            std::vector<std::string>{"lageplan.pdf"});
  // The office sees it in the referral's status too.
  absl::StatusOr<IntakeReply> status = set_->Status("bb-mitte", ref);
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->referral().attachments_size(), 1);
  EXPECT_EQ(status->referral().attachments(0).sha256(), intake::Sha256Hex(file));

  // The same bytes on another referral: stored once, read back from the one copy.
  const std::string other = Submit();
  EXPECT_EQ(Blobs(*set_, "stored"), stored_before + 1);
  const double reused_before = Blobs(*set_, "reused");
  done = AttachFile(*set_, Office("bb-mitte"), other, "plan-kopie.pdf", file);
  ASSERT_FALSE(done.has_error()) << done.error().DebugString();
  EXPECT_EQ(Blobs(*set_, "stored"), stored_before + 1);
  EXPECT_EQ(Blobs(*set_, "reused"), reused_before + 1);
  EXPECT_TRUE(ReadAttachment(*set_, Department("bauordnung"), other, "plan-kopie.pdf").bytes ==
              file);

  // The audit history lists the event, with hash and size and without the bytes.
  lotse::v1::AuditRequest history;
  history.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  history.mutable_history()->set_ref(ref);
  lotse::v1::Envelope added;
  ASSERT_TRUE(set_->Eventually([&] {
    absl::StatusOr<lotse::v1::AuditReply> h = set_->Audit(history);
    if (!h.ok() || !h->has_history()) {
      return false;
    }
    for (const lotse::v1::HistoryEntry& e : h->history().entries()) {
      if (e.event().has_attachment_added()) {
        added = e.event();
        return true;
      }
    }
    return false;
  })) << "audit never listed the attachment";
  EXPECT_EQ(added.case_number(), ref);
  EXPECT_EQ(added.actor().id(), "bb-mitte");
  EXPECT_EQ(added.attachment_added().attachment().sha256(), intake::Sha256Hex(file));
  EXPECT_EQ(added.attachment_added().attachment().size(), file.size());
  EXPECT_LT(added.ByteSizeLong(), 2000u);
}

TEST_F(AttachmentTest, BadInputIsRefusedWithTheFieldAndNothingIsListed) {
  const std::string ref = Submit();
  auto expect_refused = [&](const IntakeReply& reply, const std::string& field,
                            lotse::v1::ErrorCode code) {
    EXPECT_TRUE(reply.has_error()) << reply.DebugString();
    EXPECT_EQ(reply.error().field(), field) << reply.error().DebugString();
    EXPECT_EQ(reply.error().code(), code) << reply.error().DebugString();
    EXPECT_FALSE(reply.error().message().empty());
  };
  // 11 MiB: refused at the first chunk.
  expect_refused(AttachFile(*set_, Office("bb-mitte"), ref, "gross.pdf",
                            RandomBytes(11 * kMiB, 2)),
                 "size", lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  // A wrong hash: refused at the last chunk, after every other chunk was taken.
  const std::string file = RandomBytes(kMiB + 1, 3);
  expect_refused(AttachFile(*set_, Office("bb-mitte"), ref, "falsch.pdf", file,
                            intake::Sha256Hex("something else")),
                 "sha256", lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  // Names that are paths, empty, or carry control characters.
  for (const std::string& name :
       std::vector<std::string>{"../x", "a/b", "C:\\x", "", "a\nb", std::string(256, 'n')}) {
    expect_refused(AttachFile(*set_, Office("bb-mitte"), ref, name, file), "name",
                   lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  }
  // A chunk out of order.
  IntakeRequest chunk = Office("bb-mitte");
  lotse::v1::AttachRequest* attach = chunk.mutable_attach();
  attach->set_idempotency_key(NewKey());
  attach->set_ref(ref);
  attach->set_name("reihenfolge.pdf");
  attach->set_size(file.size());
  attach->set_sha256(intake::Sha256Hex(file));
  attach->set_offset(intake::kChunkBytes);
  attach->set_data(file.substr(intake::kChunkBytes, intake::kChunkBytes));
  absl::StatusOr<IntakeReply> early = set_->Intake(chunk);
  ASSERT_TRUE(early.ok());
  expect_refused(*early, "offset", lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_TRUE(Listed(*set_, Office("bb-mitte"), ref).empty());

  // Five files of 9 MiB fit into 50 MiB; the sixth does not.
  const std::string nine = RandomBytes(9 * kMiB, 4);
  for (int i = 1; i <= 5; ++i) {
    IntakeReply ok = AttachFile(*set_, Office("bb-mitte"), ref, StrCat("teil-", i, ".pdf"), nine);
    ASSERT_FALSE(ok.has_error()) << ok.error().DebugString();
  }
  expect_refused(AttachFile(*set_, Office("bb-mitte"), ref, "teil-6.pdf", nine), "size",
                 lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED);
  // The same name twice.
  expect_refused(AttachFile(*set_, Office("bb-mitte"), ref, "teil-1.pdf", "x"), "name",
                 lotse::v1::ERROR_CODE_ALREADY_EXISTS);
  EXPECT_EQ(Listed(*set_, Office("bb-mitte"), ref).size(), 5u);
}

TEST_F(AttachmentTest, StrangersGetNotYoursAndAChangedIdReachesNothing) {
  const std::string ref = Submit("bb-mitte");
  const std::string file = RandomBytes(1000, 5);
  ASSERT_FALSE(AttachFile(*set_, Office("bb-mitte"), ref, "brief.pdf", file).has_error());
  // bb-nord's own referral, with bauordnung too.
  const std::string theirs = Submit("bb-nord");
  ASSERT_FALSE(AttachFile(*set_, Office("bb-nord"), theirs, "nord.pdf", "nord").has_error());

  // What "no such referral" looks like, to compare the refusals with.
  const ReadResult missing = ReadAttachment(*set_, Office("bb-nord"), "2020-999999", "brief.pdf");
  ASSERT_EQ(missing.error.code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  ASSERT_EQ(missing.error.field(), "ref");
  for (const IntakeRequest& stranger : {Office("bb-nord"), Department("umwelt")}) {
    const ReadResult read = ReadAttachment(*set_, stranger, ref, "brief.pdf");
    EXPECT_EQ(read.error.code(), missing.error.code()) << stranger.actor().id();
    EXPECT_EQ(read.error.field(), "ref");
    EXPECT_TRUE(read.bytes.empty());
    const IntakeReply attach = AttachFile(*set_, stranger, ref, "fremd.pdf", "fremd");
    EXPECT_EQ(attach.error().code(), lotse::v1::ERROR_CODE_NOT_FOUND) << stranger.actor().id();
    EXPECT_EQ(attach.error().field(), "ref");
    IntakeRequest list = stranger;
    list.mutable_attachment()->set_ref(ref);
    absl::StatusOr<IntakeReply> listed = set_->Intake(list);
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  }
  // Ops never reaches attachments, not even to learn whether a referral exists.
  const ReadResult ops = ReadAttachment(*set_, Ops(), ref, "brief.pdf");
  EXPECT_EQ(ops.error.code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED) << ops.error.DebugString();
  EXPECT_TRUE(ops.bytes.empty());
  EXPECT_EQ(AttachFile(*set_, Ops(), ref, "ops.pdf", "ops").error().code(),
            lotse::v1::ERROR_CODE_PERMISSION_DENIED);

  // bb-nord names its own referral with bb-mitte's attachment name, and bb-mitte's referral id:
  // neither reaches bb-mitte's document.
  const ReadResult own = ReadAttachment(*set_, Office("bb-nord"), theirs, "brief.pdf");
  EXPECT_EQ(own.error.code(), lotse::v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(own.error.field(), "name");
  absl::StatusOr<IntakeReply> mine = set_->Status("bb-mitte", ref);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(ReadAttachment(*set_, Office("bb-nord"), mine->referral().referral_id(), "brief.pdf")
                .error.field(),
            "ref");
  // An upload begun on one referral cannot be finished on another.
  const std::string two = RandomBytes(intake::kChunkBytes + 10, 6);
  IntakeRequest chunk = Office("bb-mitte");
  lotse::v1::AttachRequest* attach = chunk.mutable_attach();
  attach->set_idempotency_key(NewKey());
  attach->set_ref(ref);
  attach->set_name("zwei.pdf");
  attach->set_size(two.size());
  attach->set_sha256(intake::Sha256Hex(two));
  attach->set_data(two.substr(0, intake::kChunkBytes));
  ASSERT_FALSE(set_->Intake(chunk)->has_error());
  const std::string second = Submit("bb-mitte");
  attach->set_ref(second);
  attach->set_offset(intake::kChunkBytes);
  attach->set_data(two.substr(intake::kChunkBytes));
  absl::StatusOr<IntakeReply> moved = set_->Intake(chunk);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->error().field(), "ref") << moved->DebugString();
  EXPECT_TRUE(Listed(*set_, Office("bb-mitte"), second).empty());
  EXPECT_EQ(Listed(*set_, Office("bb-mitte"), ref), std::vector<std::string>{"brief.pdf"});
  EXPECT_EQ(Listed(*set_, Office("bb-nord"), theirs), std::vector<std::string>{"nord.pdf"});

  // A department consulted on the referral may read it from then on.
  EXPECT_EQ(ReadAttachment(*set_, Department("umwelt"), ref, "brief.pdf").error.field(), "ref");
  lotse::v1::RoutingRequest consult;
  consult.mutable_consult()->set_ref(ref);
  consult.mutable_consult()->add_departments("umwelt");
  consult.mutable_consult()->set_question("Gibt es Bedenken zum Lärmschutz?");
  absl::StatusOr<lotse::v1::RoutingReply> consulted =
      set_->Act("bauordnung", "bo-mueller", consult);
  ASSERT_TRUE(consulted.ok() && !consulted->has_error())
      << (consulted.ok() ? consulted->DebugString() : consulted.status().ToString());
  EXPECT_TRUE(set_->Eventually(
      [&] { return ReadAttachment(*set_, Department("umwelt"), ref, "brief.pdf").bytes == file; }));
}

TEST_F(AttachmentTest, TheCliAttachesListsAndSaves) {
  const std::string ref = Submit();
  const std::string file = RandomBytes(kMiB + 7, 7);
  const std::string in = StrCat(set_->dir(), "/Bauzeichnung.pdf");
  const std::string out = StrCat(set_->dir(), "/gespeichert.pdf");
  {
    std::ofstream f(in, std::ios::binary);
    f.write(file.data(), static_cast<std::streamsize>(file.size()));
  }
  auto lotse = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--port-base", std::to_string(set_->port_base()), "--timeout-ms",
                             "5000", "--keys", StrCat(set_->dir(), "/data/keys")});
    return RunCommand(LOTSE_CLI_BIN, args, {}, absl::Seconds(60));
  };
  CommandResult r = lotse({"attach", ref, in, "--office", "bb-mitte", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  lotse::v1::AttachReply attached;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &attached).ok()) << r.out;
  EXPECT_TRUE(attached.complete());
  EXPECT_EQ(attached.attachment().name(), "Bauzeichnung.pdf");

  r = lotse({"attachments", ref, "--department", "bauordnung"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Bauzeichnung.pdf"), std::string::npos) << r.out;

  r = lotse({"attachment", ref, "Bauzeichnung.pdf", "--out", out, "--department", "bauordnung"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream saved(out, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(saved)),
                          std::istreambuf_iterator<char>());
  EXPECT_TRUE(bytes == file) << "saved " << bytes.size() << " bytes";
  // An existing file stays unless --force.
  r = lotse({"attachment", ref, "Bauzeichnung.pdf", "--out", in, "--office", "bb-mitte"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  // A path as --name is refused by intake, with the field.
  r = lotse({"attach", ref, in, "--name", "../boese.pdf", "--office", "bb-mitte", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("\"field\":\"name\""), std::string::npos) << r.out;
  // Another office: refused.
  r = lotse({"attachment", ref, "Bauzeichnung.pdf", "--out", out, "--force", "--office",
             "bb-nord"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
}

}  // namespace
}  // namespace lotse::test
