// Erasure of personal data (issue 17), from the outside: unique strings planted in every kind of
// personal field flow through all four services; `erase` (and the retention running out) must
// leave no byte of them in any data directory or log, while the audit chain still verifies, the
// evaluation does not change and the history shows the erasure.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "common/format.h"
#include "common/store/store.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/intake/attachments.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;

// One referral's planted strings: each a single lower-case word, so that every copy of it
// (including the similarity index's terms) is the same bytes.
struct Planted {
  explicit Planted(const std::string& tag)
      : name("qzxname" + tag),
        email("qzxmail" + tag + "@firma.example"),
        phone("0391" + tag + "77"),
        subject("qzxsubject" + tag),
        question("qzxquestion" + tag),
        contribution("qzxcontribution" + tag),
        answer("qzxanswer" + tag),
        comment("qzxcomment" + tag),
        file_name("qzxfile" + tag + ".txt"),
        file_word("qzxdocument" + tag),
        company_number(std::to_string(std::hash<std::string>{}(tag) % 90000000 + 10000000)) {}
  std::vector<std::string> All() const {
    return {name,         email,  phone,   subject,   question,
            contribution, answer, comment, file_name, file_word};
  }
  std::string name, email, phone, subject, question, contribution, answer, comment, file_name,
      file_word;
  // The company's register number: not personal, so erasure keeps it; the referral's deletion
  // does not.
  std::string company_number;
};

// Where each planted string occurs in the files under `dir`: "file: string" per hit.
std::vector<std::string> Hits(const std::string& dir, const std::vector<std::string>& needles) {
  std::vector<std::string> hits;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string content = bytes.str();
    for (const std::string& needle : needles) {
      if (content.find(needle) != std::string::npos) {
        hits.push_back(StrCat(entry.path().string(), ": ", needle));
      }
    }
  }
  return hits;
}

// The same, read through RocksDB (every key and value of every column family of every store
// under `data`, decompressed): a table file compresses what it holds, so a byte scan alone
// could miss a string. The services must be stopped.
std::vector<std::string> StoredHits(const std::string& data,
                                    const std::vector<std::string>& needles) {
  std::vector<std::string> hits;
  for (const char* service : {"intake", "routing", "notification", "audit"}) {
    store::Options options;
    options.path = data + "/" + service;
    options.open_other_families = true;
    if (std::string_view(service) == "intake") {
      options.state_families = {"state_blobs"};  // opened as a blob family: its values readable
    }
    absl::StatusOr<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    if (!opened.ok()) {
      hits.push_back(StrCat(service, ": cannot open: ", opened.status().message()));
      continue;
    }
    const std::vector<std::string> families = (*opened)->FamilyNames();
    for (size_t cf = 0; cf < families.size(); ++cf) {
      absl::Status scanned = (*opened)->Scan(
          static_cast<store::Cf>(cf), "", "", [&](std::string_view key, std::string_view value) {
            for (const std::string& needle : needles) {
              if (key.find(needle) != std::string_view::npos ||
                  value.find(needle) != std::string_view::npos) {
                hits.push_back(StrCat(service, "/", families[cf], ": ", needle));
              }
            }
            return true;
          });
      if (!scanned.ok()) {
        hits.push_back(StrCat(service, "/", families[cf], ": ", scanned.message()));
      }
    }
  }
  return hits;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    out += line + "\n";
  }
  return out;
}

class ErasureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin_));
    clock_file_ = clock_dir_.Join("now");
    At(2026, 3, 2, 9, 0);
    setenv("LOTSE_CLOCK_FILE", clock_file_.c_str(), 1);  // inherited by the services
    set_ = std::make_unique<LotseSet>();
    set_->StartAll(/*with_audit=*/true, /*with_notification=*/true);
  }
  void TearDown() override {
    set_.reset();
    unsetenv("LOTSE_CLOCK_FILE");
  }

  void At(int year, int month, int day, int hh, int mm) {
    const absl::Time t = absl::FromCivil(absl::CivilMinute(year, month, day, hh, mm), berlin_);
    ASSERT_TRUE(WriteFile(clock_file_, std::to_string(absl::ToUnixMicros(t))).ok());
  }

  void Do(const std::string& department, const std::string& user,
          lotse::v1::RoutingRequest request) {
    auto r = set_->Act(department, user, std::move(request));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_FALSE(r->has_error()) << r->error().message();
  }

  // Submits a referral carrying `p` everywhere, attaches a document, routes it through a
  // consultation to an answer and the office's feedback. Returns its case number.
  std::string Flow(const Planted& p) {
    IntakeRequest submit;
    submit.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    submit.mutable_actor()->set_id("bb-mitte");
    submit.mutable_submit()->set_idempotency_key(NewKey());
    lotse::v1::Referral* r = submit.mutable_submit()->mutable_referral();
    r->set_office("bb-mitte");
    r->set_company_id("HRB " + p.company_number);
    r->set_company_name("Firma Beispiel GmbH");
    r->set_topic("emissionsschutz");
    r->set_subject(p.subject);
    r->set_text("Welche Unterlagen? " + p.question);
    r->mutable_contact()->set_name(p.name);
    r->mutable_contact()->set_email(p.email);
    r->mutable_contact()->set_phone(p.phone);
    absl::StatusOr<IntakeReply> submitted = set_->Intake(submit);
    EXPECT_TRUE(submitted.ok() && submitted->has_submitted())
        << (submitted.ok() ? submitted->DebugString() : std::string(submitted.status().message()));
    if (!submitted.ok() || !submitted->has_submitted()) {
      return "";
    }
    const std::string ref = submitted->submitted().case_number();

    // A document of 16 KiB (stored in a blob file): the word, over and over.
    std::string content;
    while (content.size() < 16 * 1024) {
      content += p.file_word + " ";
    }
    IntakeRequest attach;
    attach.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    attach.mutable_actor()->set_id("bb-mitte");
    lotse::v1::AttachRequest* a = attach.mutable_attach();
    a->set_idempotency_key(NewKey());
    a->set_ref(ref);
    a->set_name(p.file_name);
    a->set_size(content.size());
    a->set_sha256(intake::Sha256Hex(content));
    a->set_data(content);
    absl::StatusOr<IntakeReply> attached = set_->Intake(attach);
    EXPECT_TRUE(attached.ok() && !attached->has_error())
        << (attached.ok() ? attached->DebugString() : std::string(attached.status().message()));

    EXPECT_TRUE(set_->Eventually([&] {
      auto s = set_->Status("bb-mitte", ref);
      return s.ok() && s->referral().status() == lotse::v1::REFERRAL_STATUS_ROUTED;
    }));
    lotse::v1::RoutingRequest consult;
    consult.mutable_consult()->set_ref(ref);
    consult.mutable_consult()->add_departments("bauordnung");
    consult.mutable_consult()->set_question("Genehmigung? " + p.question);
    Do("umwelt", "k.schulz", consult);
    lotse::v1::RoutingRequest contribute;
    contribute.mutable_contribute()->set_ref(ref);
    contribute.mutable_contribute()->set_text(p.contribution);
    Do("bauordnung", "t.braun", contribute);
    lotse::v1::RoutingRequest answer;
    answer.mutable_answer()->set_ref(ref);
    answer.mutable_answer()->set_text("Antwort: " + p.answer);
    answer.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
    Do("umwelt", "k.schulz", answer);
    EXPECT_TRUE(set_->Eventually([&] {
      auto s = set_->Status("bb-mitte", ref);
      return s.ok() && s->referral().status() == lotse::v1::REFERRAL_STATUS_ANSWERED;
    }));
    IntakeRequest feedback;
    feedback.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    feedback.mutable_actor()->set_id("bb-mitte");
    feedback.mutable_feedback()->set_idempotency_key(NewKey());
    feedback.mutable_feedback()->set_ref(ref);
    feedback.mutable_feedback()->set_rating(4);
    feedback.mutable_feedback()->set_resolved(true);
    feedback.mutable_feedback()->set_comment(p.comment);
    absl::StatusOr<IntakeReply> rated = set_->Intake(feedback);
    EXPECT_TRUE(rated.ok() && !rated->has_error());
    return ref;
  }

  // Waits until audit has chained the referral's closing (after the feedback); returns how many
  // entries its history has then.
  int AwaitClosed(const std::string& ref) {
    int count = 0;
    EXPECT_TRUE(set_->Eventually([&] {
      auto h = set_->Audit(History(ref));
      if (!h.ok() || !h->has_history()) {
        return false;
      }
      count = h->history().entries_size();
      for (const auto& entry : h->history().entries()) {
        if (entry.event().has_closed()) {
          return true;
        }
      }
      return false;
    })) << set_->Log("audit");
    absl::SleepFor(absl::Milliseconds(300));  // notification's deliveries, if any
    auto h = set_->Audit(History(ref));
    return h.ok() && h->has_history() ? h->history().entries_size() : count;
  }

  // Waits until audit has chained `count` events of the referral `ref` at least.
  void AwaitHistory(const std::string& ref, int count) {
    ASSERT_TRUE(set_->Eventually([&] {
      auto h = set_->Audit(History(ref));
      return h.ok() && h->has_history() && h->history().entries_size() >= count;
    })) << set_->Log("audit");
  }

  static lotse::v1::AuditRequest History(const std::string& ref) {
    lotse::v1::AuditRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    request.mutable_history()->set_ref(ref);
    return request;
  }

  // March 2026's evaluation, as maintained or (`rebuild`) replayed from the chain.
  lotse::v1::EvaluationReply Evaluate(bool rebuild = false) {
    lotse::v1::AuditRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    request.mutable_evaluation()->set_from("2026-03-01");
    request.mutable_evaluation()->set_to("2026-04-01");
    request.mutable_evaluation()->set_rebuild(rebuild);
    auto r = set_->Audit(request);
    EXPECT_TRUE(r.ok() && r->has_evaluation()) << (r.ok() ? r->DebugString() : "no answer");
    lotse::v1::EvaluationReply reply = r.ok() ? r->evaluation() : lotse::v1::EvaluationReply{};
    reply.clear_rebuilt();
    return reply;
  }

  // How often each service has rewritten its files after an erasure.
  double Compactions(const std::string& service) {
    return MetricValue(HttpGet(set_->OpsPort(service), "/metrics").body,
                       StrCat("lotse_erasure_compactions_total{service=\"", service, "\"}"));
  }
  void AwaitCompactions(double at_least) {
    for (const char* service : {"intake", "routing", "notification", "audit"}) {
      ASSERT_TRUE(
          set_->Eventually([&] { return Compactions(service) >= at_least; }, absl::Seconds(20)))
          << service << " did not rewrite its files after the erasure:\n"
          << set_->Log(service);
    }
  }

  // Stops the set, scans its files byte by byte and its stores key by key for `gone`'s strings
  // (none may be left) and `kept`'s (all must be: the scans see what is stored), and starts it
  // again.
  void ExpectGone(const std::vector<Planted>& gone, const Planted& kept) {
    std::vector<std::string> strings;
    for (const Planted& p : gone) {
      for (const std::string& s : p.All()) {
        strings.push_back(s);
      }
    }
    ExpectStringsGone(strings, kept.All());
  }
  void ExpectStringsGone(const std::vector<std::string>& strings,
                         const std::vector<std::string>& kept) {
    for (const char* service : {"intake", "routing", "notification", "audit"}) {
      EXPECT_EQ(set_->Terminate(service), 0) << service;
    }
    EXPECT_EQ(Joined(Hits(set_->dir(), strings)), "");
    EXPECT_EQ(Joined(StoredHits(set_->dir() + "/data", strings)), "");
    const std::string kept_hits = Joined(StoredHits(set_->dir() + "/data", kept));
    for (const std::string& s : kept) {
      EXPECT_NE(kept_hits.find(s), std::string::npos)
          << s << " of the other referral is gone; found:\n"
          << kept_hits;
    }
    set_->StartAll(/*with_audit=*/true, /*with_notification=*/true);
  }

  void ExpectChainVerifies() {
    lotse::v1::AuditRequest verify;
    verify.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    verify.mutable_verify();
    auto v = set_->Audit(verify);
    ASSERT_TRUE(v.ok() && v->has_verify()) << (v.ok() ? v->DebugString() : "no answer");
    EXPECT_TRUE(v->verify().ok()) << v->verify().problem();
  }

  // The erasure entry of the referral's history, and no planted string in any entry.
  void ExpectHistoryShowsErasure(const std::string& ref, const Planted& p, bool by_retention) {
    auto h = set_->Audit(History(ref));
    ASSERT_TRUE(h.ok() && h->has_history()) << (h.ok() ? h->DebugString() : "no answer");
    int erasures = 0;
    for (const auto& entry : h->history().entries()) {
      const std::string text = entry.DebugString();
      for (const std::string& s : p.All()) {
        EXPECT_EQ(text.find(s), std::string::npos) << "history still shows " << s << ":\n" << text;
      }
      if (entry.event().has_personal_data_erased()) {
        ++erasures;
        EXPECT_EQ(entry.event().personal_data_erased().by_retention(), by_retention);
      }
    }
    EXPECT_EQ(erasures, 1) << h->DebugString();
  }

  absl::TimeZone berlin_;
  TempDir clock_dir_;
  std::string clock_file_;
  std::unique_ptr<LotseSet> set_;
};

TEST_F(ErasureTest, AnErasedReferralLeavesNoByteOnDiskAndTheChainStillVerifies) {
  const Planted kept("keep81");
  const Planted gone("gone42");
  const std::string kept_ref = Flow(kept);
  const std::string ref = Flow(gone);
  ASSERT_FALSE(ref.empty());
  const int chained = AwaitClosed(ref);
  const lotse::v1::EvaluationReply before = Evaluate();
  // The scans see what is stored: every planted string is there before the erasure.
  const std::vector<std::string> planted = Hits(set_->dir(), gone.All());
  for (const std::string& s : gone.All()) {
    EXPECT_NE(Joined(planted).find(s), std::string::npos) << s << " was never stored";
  }

  IntakeRequest erase;
  erase.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  erase.mutable_erase()->set_idempotency_key(NewKey());
  erase.mutable_erase()->set_ref(ref);
  erase.mutable_erase()->set_reason("Antrag auf Löschung vom 2026-03-20");
  absl::StatusOr<IntakeReply> erased = set_->Intake(erase);
  ASSERT_TRUE(erased.ok() && erased->has_erased())
      << (erased.ok() ? erased->DebugString() : std::string(erased.status().message()));
  ASSERT_EQ(erased->erased().erased_size(), 1);
  EXPECT_EQ(erased->erased().erased(0).case_number(), ref);
  // A retry with the same key gets the same reply; a new erasure is refused, nothing changes.
  absl::StatusOr<IntakeReply> retried = set_->Intake(erase);
  ASSERT_TRUE(retried.ok() && retried->has_erased()) << retried->DebugString();
  erase.mutable_erase()->set_idempotency_key(NewKey());
  absl::StatusOr<IntakeReply> again = set_->Intake(erase);
  ASSERT_TRUE(again.ok() && again->has_error());
  EXPECT_EQ(again->error().code(), lotse::v1::ERROR_CODE_FAILED_PRECONDITION)
      << again->DebugString();
  erase.mutable_erase()->set_ref("2026-999999");
  absl::StatusOr<IntakeReply> unknown = set_->Intake(erase);
  ASSERT_TRUE(unknown.ok() && unknown->has_error());
  EXPECT_EQ(unknown->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND) << unknown->DebugString();
  // Only the admin may erase.
  erase.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  erase.mutable_actor()->set_id("bb-mitte");
  erase.mutable_erase()->set_ref(kept_ref);
  absl::StatusOr<IntakeReply> office = set_->Intake(erase);
  ASSERT_TRUE(office.ok() && office->has_error());
  EXPECT_EQ(office->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED);

  AwaitHistory(ref, chained + 1);  // ... and the erasure
  AwaitCompactions(1);
  // Every byte of every file, and every key and value the stores hold: none of it is left.
  ExpectGone({gone}, kept);
  ExpectChainVerifies();
  ExpectHistoryShowsErasure(ref, gone, /*by_retention=*/false);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(before, Evaluate()))
      << "before:\n"
      << before.DebugString() << "after:\n"
      << Evaluate().DebugString();
  // The office still sees its referral, without the personal data.
  auto status = set_->Status("bb-mitte", ref);
  ASSERT_TRUE(status.ok() && status->has_referral());
  EXPECT_EQ(status->referral().status(), lotse::v1::REFERRAL_STATUS_CLOSED);
  EXPECT_EQ(status->referral().referral().text(), "");

  // The other referral keeps everything.
  auto other = set_->Status("bb-mitte", kept_ref);
  ASSERT_TRUE(other.ok() && other->has_referral());
  EXPECT_EQ(other->referral().referral().contact().name(), kept.name);
  IntakeRequest read;
  read.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  read.mutable_attachment()->set_ref(kept_ref);
  read.mutable_attachment()->set_name(kept.file_name);
  auto document = set_->Intake(read);
  ASSERT_TRUE(document.ok());
  EXPECT_TRUE(document->has_attachment()) << document->DebugString();
  EXPECT_NE(other->referral().answer().text().find(kept.answer), std::string::npos);
}

TEST_F(ErasureTest, RetentionErasesWhatIsDueAndOnlyThat) {
  const Planted old_one("old317");
  const std::string ref = Flow(old_one);
  ASSERT_FALSE(ref.empty());
  const int chained = AwaitClosed(ref);
  const lotse::v1::EvaluationReply before = Evaluate();
  // 700 days later (the default keeps personal data 730 days after closing): nothing happens.
  At(2028, 1, 31, 9, 0);
  const Planted young("young55");
  const std::string young_ref = Flow(young);
  ASSERT_FALSE(young_ref.empty());
  AwaitClosed(young_ref);
  absl::SleepFor(absl::Seconds(2));     // two retention scans
  EXPECT_LT(Compactions("intake"), 1);  // -1: not yet counted at all
  // 731 days after the first was closed: its personal data goes, the young one's stays.
  At(2028, 3, 3, 9, 0);
  AwaitHistory(ref, chained + 1);
  AwaitCompactions(1);
  ExpectGone({old_one}, young);
  ExpectChainVerifies();
  ExpectHistoryShowsErasure(ref, old_one, /*by_retention=*/true);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(before, Evaluate()))
      << "before:\n"
      << before.DebugString() << "after:\n"
      << Evaluate().DebugString();
  ASSERT_NE(Joined(Hits(set_->dir() + "/data", {old_one.company_number})), "")
      << "erasure keeps the company's number: the scan below must be able to fail";

  // Six years after it was answered the whole referral goes (the young one's personal data is
  // due by then too): no service knows it, no file holds its company's number, the audit keeps
  // the record of its deletion alone, the chain verifies, and March 2026's evaluation, kept
  // and rebuilt from the chain, does not change.
  // Killed while the deletion is under way (intake's scan runs every second), each service
  // holds it whole or not yet, and applies it once.
  At(2032, 3, 3, 9, 0);
  std::mt19937 random(std::random_device{}());
  for (const char* victim : {"intake", "audit", "routing"}) {
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 700)(random)));
    set_->Kill(victim);
    set_->Start(victim);
  }
  ASSERT_TRUE(set_->Eventually(
      [&] {
        auto h = set_->Audit(History(ref));
        return h.ok() && h->has_history() && h->history().entries_size() == 1 &&
               h->history().entries(0).event().has_referral_deleted();
      },
      absl::Seconds(20)))
      << set_->Log("audit");
  ASSERT_TRUE(set_->Eventually([&] {
    auto r = set_->Status("bb-mitte", young_ref);
    return r.ok() && r->has_referral() && r->referral().referral().text().empty();
  }));
  // Every consumer has applied all of intake's log; a start rewrites the files if a kill came
  // between a commit and its rewrite.
  auto head = set_->LogHead("intake");
  ASSERT_TRUE(head.ok());
  for (const char* consumer : {"routing", "notification", "audit"}) {
    ASSERT_TRUE(set_->Eventually([&] {
      return MetricValue(HttpGet(set_->OpsPort(consumer), "/metrics").body,
                         StrCat("lotse_consumer_offset_seq{service=\"", consumer,
                                "\",stream=\"intake\"}")) >= static_cast<double>(*head);
    })) << consumer;
  }
  for (const char* service : {"intake", "routing", "notification", "audit"}) {
    EXPECT_EQ(set_->Terminate(service), 0) << service;
  }
  set_->StartAll(/*with_audit=*/true, /*with_notification=*/true);
  ExpectStringsGone({old_one.company_number}, {young.company_number});
  auto status = set_->Status("bb-mitte", ref);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->error().code(), lotse::v1::ERROR_CODE_NOT_FOUND) << status->DebugString();
  lotse::v1::RoutingRequest get;
  get.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  get.mutable_get()->set_ref(ref);
  auto routed = set_->Routing(get);
  ASSERT_TRUE(routed.ok());
  EXPECT_FALSE(routed->has_referral()) << routed->DebugString();
  ExpectChainVerifies();
  auto history = set_->Audit(History(ref));
  ASSERT_TRUE(history.ok() && history->has_history());
  ASSERT_EQ(history->history().entries_size(), 1) << history->DebugString();
  EXPECT_EQ(history->history().entries(0).event().referral_deleted().reason(),
            "Aufbewahrungsfrist des Vorgangs abgelaufen");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(before, Evaluate()))
      << "before:\n"
      << before.DebugString() << "after:\n"
      << Evaluate().DebugString();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(before, Evaluate(true)))
      << "before:\n"
      << before.DebugString() << "rebuilt:\n"
      << Evaluate(true).DebugString();
}

TEST_F(ErasureTest, AKillDuringErasureLeavesTheDataOrItsErasureWholeNeverHalf) {
  std::mt19937 random(std::random_device{}());
  const char* victims[] = {"intake", "routing", "notification", "audit"};
  std::vector<Planted> planted;
  for (int round = 0; round < 4; ++round) {
    planted.emplace_back(StrCat("kill", round, "x"));
    const Planted& p = planted.back();
    const std::string ref = Flow(p);
    ASSERT_FALSE(ref.empty());
    AwaitClosed(ref);
    const std::string victim = victims[round];
    const std::string key = NewKey();
    std::vector<std::string> erase_args = {"erase",       ref,
                                           "--reason",    "Antrag auf Löschung",
                                           "--key",       key,
                                           "--port-base", std::to_string(set_->port_base()),
                                           "--keys",      set_->dir() + "/data/keys"};
    // The erasure is sent and the victim killed a few milliseconds later, while it commits or
    // applies it; the client retries with the same key.
    std::future<CommandResult> erasing = std::async(std::launch::async, [&] {
      return RunCommand(LOTSE_CLI_BIN, erase_args, {}, absl::Seconds(60));
    });
    absl::SleepFor(absl::Microseconds(std::uniform_int_distribution<int>(0, 20000)(random)));
    set_->Kill(victim);
    // Intake, restarted before any retry arrives, holds either the whole referral or none of
    // its personal data: record and document together.
    set_->Start(victim);
    if (victim == "intake") {
      IntakeRequest get;
      get.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
      get.mutable_get()->set_ref(ref);
      auto state = set_->Intake(get);
      ASSERT_TRUE(state.ok() && state->has_referral()) << state->DebugString();
      const bool erased = state->referral().referral().text().empty();
      IntakeRequest read;
      read.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
      read.mutable_attachment()->set_ref(ref);
      read.mutable_attachment()->set_name(p.file_name);
      auto document = set_->Intake(read);
      ASSERT_TRUE(document.ok());
      EXPECT_EQ(document->has_attachment(), !erased)
          << "half erased: the record says " << (erased ? "erased" : "kept") << ", the document "
          << (document->has_attachment() ? "is there" : "is gone");
      EXPECT_EQ(state->referral().referral().has_contact(), !erased);
    }
    const CommandResult result = erasing.get();
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  }
  // (A restarted service's counters start at 0: the files themselves are the proof.)
  for (const Planted& p : planted) {
    ASSERT_TRUE(
        set_->Eventually([&] { return Hits(set_->dir(), p.All()).empty(); }, absl::Seconds(20)))
        << Joined(Hits(set_->dir(), p.All()));
  }
  const Planted kept("killkept");
  ASSERT_FALSE(Flow(kept).empty());
  ExpectGone(planted, kept);
  ExpectChainVerifies();
}

TEST_F(ErasureTest, AnAccessRequestGivesEveryReferralOfThePersonWithItsHistoryToTheAdminOnly) {
  const Planted first("access1");
  Planted second("access2");
  second.email = absl::AsciiStrToUpper(first.email);  // the same person, written otherwise
  const Planted other("access3");
  const std::string ref1 = Flow(first);
  const std::string ref2 = Flow(second);
  const std::string ref3 = Flow(other);
  ASSERT_FALSE(ref1.empty() || ref2.empty() || ref3.empty());
  AwaitClosed(ref1);
  AwaitClosed(ref2);

  const CommandResult r =
      RunCommand(LOTSE_CLI_BIN,
                 {"personal-data", "--contact-email", first.email, "--port-base",
                  std::to_string(set_->port_base()), "--keys", set_->dir() + "/data/keys"},
                 {}, absl::Seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  google::protobuf::Struct document;  // a JSON document
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &document).ok()) << r.out;
  ASSERT_EQ(document.fields().at("referrals").list_value().values_size(), 2) << r.out;
  // Both referrals with what they hold about the person and what happened to them (the
  // comment is in the history only); not the other person's.
  for (const std::string& s : {ref1, ref2, first.name, first.question, first.answer, first.comment,
                               first.file_name, second.name, second.contribution, second.comment}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " is missing:\n" << r.out;
  }
  for (const std::string& s : {ref3, other.name, other.question}) {
    EXPECT_EQ(r.out.find(s), std::string::npos) << s << " is another person's:\n" << r.out;
  }
  // A person Lotse holds nothing about gets that answer: an empty list.
  const CommandResult none =
      RunCommand(LOTSE_CLI_BIN,
                 {"personal-data", "--contact-email", "niemand@example.org", "--port-base",
                  std::to_string(set_->port_base()), "--keys", set_->dir() + "/data/keys"},
                 {}, absl::Seconds(30));
  ASSERT_EQ(none.exit_code, 0) << none.out << none.err;
  google::protobuf::Struct empty;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(none.out, &empty).ok()) << none.out;
  EXPECT_EQ(empty.fields().at("referrals").list_value().values_size(), 0) << none.out;
  // Only the admin may ask: an office and ops are refused, and learn nothing.
  for (const lotse::v1::ActorKind kind :
       {lotse::v1::ACTOR_KIND_OFFICE, lotse::v1::ACTOR_KIND_OPS}) {
    IntakeRequest ask;
    ask.mutable_actor()->set_kind(kind);
    ask.mutable_actor()->set_id(kind == lotse::v1::ACTOR_KIND_OFFICE ? "bb-mitte" : "ops");
    ask.mutable_personal_data()->set_contact_email(first.email);
    auto refused = set_->Intake(ask);
    ASSERT_TRUE(refused.ok());
    EXPECT_EQ(refused->error().code(), lotse::v1::ERROR_CODE_PERMISSION_DENIED)
        << refused->DebugString();
    EXPECT_EQ(refused->DebugString().find(first.name), std::string::npos);
  }
}

}  // namespace
}  // namespace lotse::test
