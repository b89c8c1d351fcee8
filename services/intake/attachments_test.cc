#include "services/intake/attachments.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/format.h"
#include "gtest/gtest.h"

namespace lotse::intake {
namespace {

using lotse::v1::Actor;
using lotse::v1::AttachRequest;
using lotse::v1::IntakeReply;
using lotse::v1::ReferralState;

std::string FieldOf(const absl::Status& s) {
  if (s.ok()) {
    return "ok";
  }
  auto field = s.GetPayload("lotse.field");
  return field.has_value() ? std::string(*field) : "(none)";
}

TEST(AttachmentNameTest, AcceptsPlainFileNames) {
  EXPECT_TRUE(CheckAttachmentName("lageplan.pdf").ok());
  EXPECT_TRUE(CheckAttachmentName("Bauantrag Müller (2).docx").ok());
  EXPECT_TRUE(CheckAttachmentName("..hidden").ok());
  EXPECT_TRUE(CheckAttachmentName(std::string(255, 'a')).ok());
}

TEST(AttachmentNameTest, RefusesPathsEmptyControlAndLongNames) {
  for (const std::string& name : std::vector<std::string>{
           "../x", "a/b", "C:\\x", "c:x", "a\\b", "/etc/passwd", ".", "..", "", "a\nb", "a\tb",
        "a\x01" "b", "a\x7f" "b", std::string(256, 'a'), std::string("\xff\xfe.pdf")}) {
    const absl::Status s = CheckAttachmentName(name);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "name '" << name << "'";
    EXPECT_EQ(FieldOf(s), "name") << "name '" << name << "'";
  }
}

TEST(AttachmentNameTest, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Actor MakeActor(lotse::v1::ActorKind kind, const std::string& id) {
  Actor a;
  a.set_kind(kind);
  a.set_id(id);
  return a;
}

TEST(MayUseAttachmentsTest, OfficeAssigneeKeyAccountConsultedAndAdminOnly) {
  ReferralState s;
  s.mutable_referral()->set_office("bb-mitte");
  s.set_assignee("bauordnung");
  s.set_key_account("kam-schulz");
  s.add_consultations()->set_department("umweltamt");
  EXPECT_TRUE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte")));
  EXPECT_FALSE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_OFFICE, "bb-nord")));
  EXPECT_TRUE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung")));
  EXPECT_TRUE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "kam-schulz")));
  EXPECT_TRUE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "umweltamt")));
  EXPECT_FALSE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "ordnungsamt")));
  // An office id is no department, even if the names were the same.
  EXPECT_FALSE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "bb-mitte")));
  EXPECT_FALSE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_OPS, "ops")));
  EXPECT_TRUE(MayUseAttachments(s, MakeActor(lotse::v1::ACTOR_KIND_ADMIN, "admin")));
  ReferralState unrouted;
  unrouted.mutable_referral()->set_office("bb-mitte");
  EXPECT_FALSE(MayUseAttachments(unrouted, MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "")));
}

TEST(MirrorConsultationTest, AddsEachDepartmentOnceWithoutTheQuestion) {
  lotse::v1::Envelope e;
  e.set_occurred_at_us(42);
  e.mutable_consultation_opened()->set_assignee("bauordnung");
  e.mutable_consultation_opened()->add_departments("umweltamt");
  e.mutable_consultation_opened()->add_departments("umweltamt");
  e.mutable_consultation_opened()->set_question("geheim");
  ReferralState s;
  MirrorConsultation(e, s);
  MirrorConsultation(e, s);
  ASSERT_EQ(s.consultations_size(), 1);
  EXPECT_EQ(s.consultations(0).department(), "umweltamt");
  EXPECT_EQ(s.consultations(0).opened_at_us(), 42);
  EXPECT_TRUE(s.consultations(0).question().empty());
}

// Chunk assembly against a real store, as intake opens it.
class AttachTest : public ::testing::Test {
 protected:
  static constexpr store::Cf kReferrals = store::kFirstStateFamily;
  static constexpr store::Cf kCases = store::kFirstStateFamily + 1;
  static constexpr store::Cf kUploads = store::kFirstStateFamily + 2;
  static constexpr store::Cf kBlobs = store::kFirstStateFamily + 3;
  static constexpr store::Cf kOfficeList = store::kFirstStateFamily + 4;

  void SetUp() override {
    dir_ = StrCat(::testing::TempDir(), "/attach_test_",
                  ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::Options options;
    options.path = dir_;
    options.state_families = {"state_referrals", "state_case_numbers", "state_attachment_uploads",
                              "state_blobs", "state_office_list"};
    absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (const auto& [id, number] :
         {std::pair{"r1", "2026-000001"}, std::pair{"r2", "2026-000002"}}) {
      ReferralState s;
      s.set_referral_id(id);
      s.set_case_number(number);
      s.mutable_referral()->set_office("bb-mitte");
      s.set_assignee("bauordnung");
      store::Batch batch(store_.get());
      table_.Insert(batch, s);
      ASSERT_TRUE(store_->Commit(batch).ok());
    }
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One chunk, committed if accepted.
  absl::StatusOr<IntakeReply> Send(const AttachRequest& r, const Actor& actor,
                                   absl::Time now = absl::FromUnixSeconds(1'800'000'000)) {
    store::Batch batch(store_.get());
    absl::StatusOr<IntakeReply> reply = attachments_.Attach(r, actor, batch, *store_, now);
    if (reply.ok()) {
      absl::Status committed = store_->Commit(batch);
      if (!committed.ok()) {
        return committed;
      }
    } else {
      EXPECT_TRUE(batch.empty()) << "a refused chunk wrote to the batch";
    }
    return reply;
  }

  static AttachRequest Chunk(const std::string& file, uint64_t offset, uint64_t length,
                             const std::string& key = "up-1", const std::string& ref = "r1",
                             const std::string& name = "plan.pdf") {
    AttachRequest r;
    r.set_idempotency_key(key);
    r.set_ref(ref);
    r.set_name(name);
    r.set_size(file.size());
    r.set_sha256(Sha256Hex(file));
    r.set_offset(offset);
    r.set_data(file.substr(offset, length));
    return r;
  }

  // The whole attachment `name` of `ref`, read in pieces of `length` bytes.
  std::string ReadAll(const std::string& ref, const std::string& name, uint32_t length,
                      const Actor& actor) {
    std::string out;
    while (true) {
      lotse::v1::GetAttachmentRequest r;
      r.set_ref(ref);
      r.set_name(name);
      r.set_offset(out.size());
      r.set_length(length);
      store::Batch batch(store_.get());
      absl::StatusOr<IntakeReply> reply = attachments_.Read(r, actor, batch);
      EXPECT_TRUE(reply.ok()) << reply.status();
      if (!reply.ok() || reply->attachment().data().empty()) {
        return out;
      }
      out += reply->attachment().data();
    }
  }

  int Count(store::Cf cf) {
    int n = 0;
    EXPECT_TRUE(store_->Scan(cf, "", "", [&](std::string_view, std::string_view) {
                        ++n;
                        return true;
                      }).ok());
    return n;
  }

  std::string File(size_t size, char seed) {
    std::string f(size, '\0');
    for (size_t i = 0; i < size; ++i) {
      f[i] = static_cast<char>(seed + i * 7 + (i >> 9));
    }
    return f;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  ReferralRecords table_{kReferrals, kCases, kOfficeList};
  Attachments attachments_{table_, kUploads, kBlobs};
  Actor office_ = MakeActor(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte");
  Actor department_ = MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "bauordnung");
};

TEST_F(AttachTest, AssemblesChunksInOrderAndReadsBackAtAnyOffset) {
  const std::string file = File(kChunkBytes * 2 + 1000, 'a');
  const uint64_t step = 300'000;  // not a multiple of the stored pieces
  for (uint64_t at = 0; at < file.size(); at += step) {
    absl::StatusOr<IntakeReply> reply = Send(Chunk(file, at, step), office_);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->attached().received(), std::min<uint64_t>(at + step, file.size()));
    EXPECT_EQ(reply->attached().complete(), at + step >= file.size());
  }
  EXPECT_EQ(Count(kUploads), 0) << "the staged chunks are gone";
  EXPECT_EQ(ReadAll("r1", "plan.pdf", 0, department_), file);
  EXPECT_EQ(ReadAll("2026-000001", "plan.pdf", 100'001, office_), file);
  // The event names hash and size, not the bytes.
  std::vector<std::string> events;
  ASSERT_TRUE(store_->ReadOutbox(0, 10, 1 << 20, &events).ok());
  ASSERT_EQ(events.size(), 1u);
  lotse::v1::Envelope e;
  ASSERT_TRUE(e.ParseFromString(events[0]));
  EXPECT_EQ(e.referral_id(), "r1");
  EXPECT_EQ(e.case_number(), "2026-000001");
  EXPECT_EQ(e.actor().id(), "bb-mitte");
  EXPECT_EQ(e.attachment_added().attachment().sha256(), Sha256Hex(file));
  EXPECT_EQ(e.attachment_added().attachment().size(), file.size());
  EXPECT_LT(events[0].size(), 1000u);
}

TEST_F(AttachTest, ARetriedChunkGetsTheSameReplyAndStoresNothingTwice) {
  const std::string file = File(1000, 'b');
  ASSERT_TRUE(Send(Chunk(file, 0, 600), office_).ok());
  absl::StatusOr<IntakeReply> again = Send(Chunk(file, 0, 600), office_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->attached().received(), 600u);
  absl::StatusOr<IntakeReply> last = Send(Chunk(file, 600, 400), office_);
  ASSERT_TRUE(last.ok()) << last.status();
  absl::StatusOr<IntakeReply> last_again = Send(Chunk(file, 600, 400), office_);
  ASSERT_TRUE(last_again.ok()) << last_again.status();
  EXPECT_TRUE(last_again->attached().complete());
  std::vector<std::string> events;
  ASSERT_TRUE(store_->ReadOutbox(0, 10, 1 << 20, &events).ok());
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(AttachTest, RefusesAChunkOutOfOrder) {
  const std::string file = File(3000, 'c');
  absl::StatusOr<IntakeReply> early = Send(Chunk(file, 1000, 1000), office_);
  EXPECT_EQ(FieldOf(early.status()), "offset");
  ASSERT_TRUE(Send(Chunk(file, 0, 1000), office_).ok());
  absl::StatusOr<IntakeReply> skipped = Send(Chunk(file, 2000, 1000), office_);
  EXPECT_EQ(FieldOf(skipped.status()), "offset");
  EXPECT_NE(skipped.status().message().find("offset 1000"), absl::string_view::npos)
      << skipped.status();
  // A chunk of another file under the same key.
  AttachRequest other = Chunk(file, 1000, 1000);
  other.set_name("other.pdf");
  EXPECT_EQ(FieldOf(Send(other, office_).status()), "name");
  ASSERT_TRUE(Send(Chunk(file, 1000, 1000), office_).ok());
  ASSERT_TRUE(Send(Chunk(file, 2000, 1000), office_).ok());
  EXPECT_EQ(ReadAll("r1", "plan.pdf", 0, office_), file);
}

TEST_F(AttachTest, RefusesAWrongHashAndListsNothing) {
  const std::string file = File(2000, 'd');
  AttachRequest first = Chunk(file, 0, 1000);
  AttachRequest last = Chunk(file, 1000, 1000);
  first.set_sha256(Sha256Hex("something else"));
  last.set_sha256(first.sha256());
  ASSERT_TRUE(Send(first, office_).ok());
  absl::StatusOr<IntakeReply> refused = Send(last, office_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(refused.status()), "sha256");
  EXPECT_EQ(Count(kBlobs), 0);
  lotse::v1::GetAttachmentRequest list;
  list.set_ref("r1");
  store::Batch batch(store_.get());
  absl::StatusOr<IntakeReply> listed = attachments_.Read(list, office_, batch);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->attachment().attachments_size(), 0);
}

TEST_F(AttachTest, RefusesOversizeFilesAndAFullReferral) {
  AttachRequest big = Chunk(File(100, 'e'), 0, 100);
  big.set_size(kMaxAttachmentBytes + 1);
  EXPECT_EQ(FieldOf(Send(big, office_).status()), "size");
  // Five files of 10 MiB fill the referral: pretend they are there.
  store::Batch batch(store_.get());
  absl::StatusOr<std::optional<ReferralState>> s = table_.Find(batch, "r1");
  ASSERT_TRUE(s.ok() && s->has_value());
  for (int i = 0; i < 5; ++i) {
    lotse::v1::AttachmentRef* a = (*s)->add_attachments();
    a->set_name(StrCat("f", i));
    a->set_size(kMaxAttachmentBytes);
  }
  table_.Update(batch, **s);
  ASSERT_TRUE(store_->Commit(batch).ok());
  absl::StatusOr<IntakeReply> over = Send(Chunk(File(10, 'f'), 0, 10), office_);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(FieldOf(over.status()), "size");
  // The same name twice.
  absl::StatusOr<IntakeReply> twice =
      Send(Chunk(File(10, 'f'), 0, 10, "k2", "r1", "f0"), office_);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Count(kUploads), 0);
}

TEST_F(AttachTest, TheSameBytesOnTwoReferralsAreStoredOnce) {
  const std::string file = File(kChunkBytes + 10, 'g');
  ASSERT_TRUE(Send(Chunk(file, 0, kChunkBytes, "a", "r1"), office_).ok());
  ASSERT_TRUE(Send(Chunk(file, kChunkBytes, 10, "a", "r1"), office_).ok());
  const int blobs = Count(kBlobs);
  EXPECT_EQ(blobs, 3);  // the size record and two pieces
  ASSERT_TRUE(Send(Chunk(file, 0, kChunkBytes, "b", "r2"), office_).ok());
  ASSERT_TRUE(Send(Chunk(file, kChunkBytes, 10, "b", "r2"), office_).ok());
  EXPECT_EQ(Count(kBlobs), blobs);
  EXPECT_EQ(ReadAll("r2", "plan.pdf", 0, office_), file);
}

TEST_F(AttachTest, StrangersGetNotYoursForAttachAndRead) {
  const std::string file = File(100, 'h');
  for (const Actor& stranger : {MakeActor(lotse::v1::ACTOR_KIND_OFFICE, "bb-nord"),
                                MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, "ordnungsamt"),
                                MakeActor(lotse::v1::ACTOR_KIND_OPS, "ops")}) {
    absl::StatusOr<IntakeReply> attach = Send(Chunk(file, 0, 100), stranger);
    EXPECT_EQ(attach.status().code(), absl::StatusCode::kNotFound) << stranger.id();
    EXPECT_EQ(FieldOf(attach.status()), "ref");
  }
  ASSERT_TRUE(Send(Chunk(file, 0, 100), office_).ok());
  lotse::v1::GetAttachmentRequest r;
  r.set_ref("r1");
  r.set_name("plan.pdf");
  store::Batch batch(store_.get());
  absl::StatusOr<IntakeReply> read =
      attachments_.Read(r, MakeActor(lotse::v1::ACTOR_KIND_OFFICE, "bb-nord"), batch);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  r.set_ref("no-such-referral");
  absl::StatusOr<IntakeReply> missing = attachments_.Read(r, office_, batch);
  EXPECT_EQ(missing.status().code(), read.status().code());
  EXPECT_EQ(FieldOf(missing.status()), FieldOf(read.status()));
}

TEST_F(AttachTest, DropsStaleUploads) {
  const std::string file = File(2000, 'i');
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  ASSERT_TRUE(Send(Chunk(file, 0, 1000, "old"), office_, t0).ok());
  ASSERT_TRUE(Send(Chunk(file, 0, 1000, "new"), office_, t0 + absl::Minutes(50)).ok());
  EXPECT_EQ(Count(kUploads), 4);
  store::Batch batch(store_.get());
  absl::StatusOr<int> dropped =
      attachments_.DropStale(batch, *store_, t0 + kStaleUploadAfter + absl::Minutes(1));
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 1);
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(Count(kUploads), 2);
  // The dropped upload cannot go on; the other can.
  EXPECT_EQ(FieldOf(Send(Chunk(file, 1000, 1000, "old"), office_).status()), "offset");
  EXPECT_TRUE(Send(Chunk(file, 1000, 1000, "new"), office_).ok());
}

}  // namespace
}  // namespace lotse::intake
