#include "services/audit/chain.h"

#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace lotse::audit {
namespace {

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/chain_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::Options options;
    options.path = dir_;
    options.state_families = Chain::Families();
    auto store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Appends `count` events of referral `id` from `stream`, one commit each.
  void AppendEvents(const std::string& stream, const std::string& id, int count) {
    for (int i = 0; i < count; ++i) {
      lotse::v1::Envelope e;
      e.set_stream(stream);
      e.set_seq(++seq_[stream]);
      e.set_referral_id(id);
      e.set_case_number("2026-" + id);
      e.mutable_claimed()->set_user("u" + std::to_string(i));
      store::Batch batch(store_.get());
      ASSERT_TRUE(Chain::Append(batch, e, e.SerializeAsString(), absl::Now()).ok());
      ASSERT_TRUE(store_->Commit(batch).ok());
    }
  }

  // Rewrites stored entry `index` through `edit`.
  void Tamper(uint64_t index, const std::function<void(lotse::v1::AuditEntry&)>& edit) {
    auto value = store_->Get(Chain::kEntries, store::EncodeU64(index));
    ASSERT_TRUE(value.ok() && value->has_value());
    lotse::v1::AuditEntry entry;
    ASSERT_TRUE(entry.ParseFromString(**value));
    edit(entry);
    store::Batch batch(store_.get());
    batch.Put(Chain::kEntries, store::EncodeU64(index), entry.SerializeAsString());
    ASSERT_TRUE(store_->Commit(batch).ok());
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::map<std::string, uint64_t> seq_;
};

TEST_F(ChainTest, AnUntouchedChainVerifies) {
  AppendEvents("intake", "a", 3);
  AppendEvents("routing", "b", 4);
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->problem();
  EXPECT_EQ(verified->entries(), 7u);
  EXPECT_EQ(verified->head_hash().size(), kHashBytes);
}

TEST_F(ChainTest, AnAlteredEventIsNamed) {
  AppendEvents("intake", "a", 5);
  Tamper(3, [](lotse::v1::AuditEntry& e) { e.mutable_event()->back() ^= 1; });
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 3u);
  EXPECT_NE(verified->problem().find("altered"), std::string::npos) << verified->problem();
}

TEST_F(ChainTest, AReplacedEntryWithARecomputedHashIsCaughtByItsSuccessor) {
  AppendEvents("intake", "a", 5);
  Tamper(2, [](lotse::v1::AuditEntry& e) {
    e.set_event("forged");  // as an entry without a referral: the hash over the event itself
    e.clear_flow_digest();
    e.clear_digest();
    e.set_hash(EntryHash(e.prev_hash(), e.index(), e.stream(), e.seq(), e.event()));
  });
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 3u);
  EXPECT_NE(verified->problem().find("does not follow entry 2"), std::string::npos);
}

TEST_F(ChainTest, ARemovedLastEntryIsNoticed) {
  AppendEvents("intake", "a", 3);
  store::Batch batch(store_.get());
  batch.Delete(Chain::kEntries, store::EncodeU64(3));
  ASSERT_TRUE(store_->Commit(batch).ok());
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok());
}

TEST_F(ChainTest, HistoryListsOneReferralInChainOrderByIdOrCaseNumber) {
  AppendEvents("intake", "a", 2);
  AppendEvents("routing", "b", 1);
  AppendEvents("routing", "a", 2);
  auto history = Chain::History(*store_, "2026-a");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->entries_size(), 4);
  EXPECT_EQ(history->referral_id(), "a");
  EXPECT_EQ(history->entries(0).index(), 1u);
  EXPECT_EQ(history->entries(3).index(), 5u);
  EXPECT_EQ(history->entries(2).event().stream(), "routing");
  EXPECT_EQ(Chain::History(*store_, "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ChainTest, HistoryTellsTheStepsInTheOrderTheyHappened) {
  // Audit received routing's steps before intake's submission they follow, and intake's
  // feedback after routing had already closed; intake's clock stepped back once.
  auto append = [&](const std::string& stream, int64_t at_us, const std::string& user) {
    lotse::v1::Envelope e;
    e.set_stream(stream);
    e.set_seq(++seq_[stream]);
    e.set_referral_id("r");
    e.set_occurred_at_us(at_us);
    e.mutable_claimed()->set_user(user);
    store::Batch batch(store_.get());
    ASSERT_TRUE(Chain::Append(batch, e, e.SerializeAsString(), absl::Now()).ok());
    ASSERT_TRUE(store_->Commit(batch).ok());
  };
  append("routing", 20, "routed");
  append("intake", 10, "submitted");
  append("routing", 40, "answered");
  append("routing", 60, "closed");
  append("intake", 50, "feedback");
  append("intake", 45, "follow-up");  // written after the feedback, by a clock set back
  auto history = Chain::History(*store_, "r");
  ASSERT_TRUE(history.ok()) << history.status();
  std::vector<std::string> told;
  for (const auto& h : history->entries()) {
    told.push_back(h.event().claimed().user());
  }
  EXPECT_EQ(told, (std::vector<std::string>{"submitted", "routed", "answered", "feedback",
                                            "follow-up", "closed"}));
}

TEST_F(ChainTest, AReactionIsToldAfterItsCauseWhenTheClocksAgree) {
  // A clock that stands still: every step at the same time. Audit received routing's routing
  // before intake's submission, and routing's closing before intake's feedback.
  auto append = [&](const std::string& stream, void (*set)(lotse::v1::Envelope&)) {
    lotse::v1::Envelope e;
    e.set_stream(stream);
    e.set_seq(++seq_[stream]);
    e.set_referral_id("r");
    e.set_occurred_at_us(100);
    set(e);
    store::Batch batch(store_.get());
    ASSERT_TRUE(Chain::Append(batch, e, e.SerializeAsString(), absl::Now()).ok());
    ASSERT_TRUE(store_->Commit(batch).ok());
  };
  append("routing", [](lotse::v1::Envelope& e) { e.mutable_referral_routed(); });
  append("intake", [](lotse::v1::Envelope& e) { e.mutable_referral_submitted(); });
  append("routing", [](lotse::v1::Envelope& e) { e.mutable_claimed(); });
  append("routing", [](lotse::v1::Envelope& e) { e.mutable_answered(); });
  append("routing", [](lotse::v1::Envelope& e) { e.mutable_closed(); });
  append("intake", [](lotse::v1::Envelope& e) { e.mutable_feedback_submitted(); });
  auto history = Chain::History(*store_, "r");
  ASSERT_TRUE(history.ok()) << history.status();
  std::vector<lotse::v1::Envelope::PayloadCase> told;
  for (const auto& h : history->entries()) {
    told.push_back(h.event().payload_case());
  }
  using E = lotse::v1::Envelope;
  EXPECT_EQ(told,
            (std::vector<E::PayloadCase>{E::kReferralSubmitted, E::kReferralRouted, E::kClaimed,
                                         E::kAnswered, E::kFeedbackSubmitted, E::kClosed}));
}

TEST(HistoryPageTest, PagesFollowTheToldOrderNotTheIndexes) {
  lotse::v1::HistoryReply history;
  history.set_case_number("2026-000001");
  for (uint64_t index : {7, 3, 9, 4, 12}) {  // told order, as TellInOrder leaves it
    lotse::v1::HistoryEntry* h = history.add_entries();
    h->set_index(index);
    h->mutable_event()->mutable_claimed()->set_user(std::string(100, 'x'));
  }
  const size_t room = history.entries(0).ByteSizeLong() * 2;  // two entries a page
  std::vector<uint64_t> told;
  uint64_t after = 0;
  int pages = 0;
  do {
    const lotse::v1::HistoryReply page = HistoryPage(history, after, room);
    EXPECT_EQ(page.case_number(), "2026-000001");
    EXPECT_LE(page.entries_size(), 2);
    for (const auto& h : page.entries()) {
      told.push_back(h.index());
    }
    after = page.next_index();
  } while (after != 0 && ++pages < 10);
  EXPECT_EQ(told, (std::vector<uint64_t>{7, 3, 9, 4, 12}));
  // A cursor the history does not hold goes on after the smaller indexes.
  std::vector<uint64_t> rest;
  const lotse::v1::HistoryReply from_eight = HistoryPage(history, 8, 1 << 20);
  for (const auto& h : from_eight.entries()) {
    rest.push_back(h.index());
  }
  EXPECT_EQ(rest, (std::vector<uint64_t>{9, 12}));
  // An entry larger than a page still comes, alone.
  EXPECT_EQ(HistoryPage(history, 0, 1).entries_size(), 1);
}

TEST(EntryHashTest, DependsOnEveryPart) {
  const std::string zero(kHashBytes, '\0');
  const std::string h = EntryHash(zero, 1, "intake", 1, "e");
  EXPECT_EQ(h.size(), kHashBytes);
  EXPECT_NE(h, EntryHash(zero, 2, "intake", 1, "e"));
  EXPECT_NE(h, EntryHash(zero, 1, "routing", 1, "e"));
  EXPECT_NE(h, EntryHash(zero, 1, "intake", 2, "e"));
  EXPECT_NE(h, EntryHash(zero, 1, "intake", 1, "f"));
  EXPECT_NE(h, EntryHash(std::string(kHashBytes, '\1'), 1, "intake", 1, "e"));
}

// Appends one event of referral `id` holding personal data (`secret` as the question).
void AppendPersonal(store::Store& store, const std::string& id, uint64_t seq,
                    const std::string& secret) {
  lotse::v1::Envelope e;
  e.set_stream("intake");
  e.set_seq(seq);
  e.set_referral_id(id);
  e.set_case_number("2026-" + id);
  lotse::v1::Referral* r = e.mutable_referral_submitted()->mutable_referral();
  r->set_topic("bauantrag");
  r->set_text(secret);
  r->mutable_contact()->set_name(secret + "-name");
  store::Batch batch(&store);
  ASSERT_TRUE(Chain::Append(batch, e, e.SerializeAsString(), absl::Now()).ok());
  ASSERT_TRUE(store.Commit(batch).ok());
}

// Whether any stored entry's bytes contain `needle`.
bool EntriesHold(const store::Store& store, const std::string& needle) {
  bool found = false;
  EXPECT_TRUE(store
                  .Scan(Chain::kEntries, "", "",
                        [&](std::string_view, std::string_view value) {
                          found = found || value.find(needle) != std::string_view::npos;
                          return true;
                        })
                  .ok());
  return found;
}

TEST_F(ChainTest, SealedEntriesVerifyAfterTheirPersonalDataIsErased) {
  AppendPersonal(*store_, "a", 1, "geheim-a");
  AppendEvents("routing", "a", 2);
  AppendPersonal(*store_, "b", 2, "geheim-b");
  ASSERT_TRUE(Chain::Verify(*store_)->ok());
  ASSERT_TRUE(EntriesHold(*store_, "geheim-a"));

  store::Batch batch(store_.get());
  ASSERT_TRUE(Chain::Erase(batch, batch, *store_, "a").ok());
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_FALSE(EntriesHold(*store_, "geheim-a"));
  EXPECT_TRUE(EntriesHold(*store_, "geheim-b"));
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->problem();
  EXPECT_EQ(verified->entries(), 4u);
  // History shows the flow: the topic stays, the text is gone.
  auto history = Chain::History(*store_, "a");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->entries_size(), 3);
  const lotse::v1::Referral& shown = history->entries(0).event().referral_submitted().referral();
  EXPECT_EQ(shown.topic(), "bauantrag");
  EXPECT_EQ(shown.text(), "");
  EXPECT_FALSE(shown.has_contact());
}

TEST_F(ChainTest, TheSealedPersonalPartCannotBeAlteredUnnoticed) {
  AppendPersonal(*store_, "a", 1, "geheim-a");
  AppendEvents("routing", "a", 1);
  // The flow form and the hash are intact; only the event with the personal data is changed.
  Tamper(1, [](lotse::v1::AuditEntry& e) {
    lotse::v1::Envelope event;
    ASSERT_TRUE(event.ParseFromString(e.event()));
    event.mutable_referral_submitted()->mutable_referral()->set_text("gefälscht");
    e.set_event(event.SerializeAsString());
  });
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 1u);
  EXPECT_NE(verified->problem().find("sealed digest"), std::string::npos) << verified->problem();
}

TEST_F(ChainTest, AnOlderEntryKeepsItsPlaceAfterErasure) {
  // An entry of the form before sealing: its hash is over the whole event.
  lotse::v1::Envelope e;
  e.set_stream("intake");
  e.set_seq(1);
  e.set_referral_id("a");
  e.mutable_referral_submitted()->mutable_referral()->set_text("geheim-alt");
  lotse::v1::AuditEntry entry;
  entry.set_index(1);
  entry.set_stream("intake");
  entry.set_seq(1);
  entry.set_event(e.SerializeAsString());
  entry.set_prev_hash(std::string(kHashBytes, '\0'));
  entry.set_hash(EntryHash(entry.prev_hash(), 1, "intake", 1, entry.event()));
  store::Batch batch(store_.get());
  batch.Put(Chain::kEntries, store::EncodeU64(1), entry.SerializeAsString());
  batch.Put(Chain::kByReferral, std::string("a\0", 2) + store::EncodeU64(1), "");
  batch.Put(store::kMeta, "chain_head", store::EncodeU64(1) + entry.hash());
  ASSERT_TRUE(store_->Commit(batch).ok());
  seq_["routing"] = 0;
  AppendEvents("routing", "a", 1);
  ASSERT_TRUE(Chain::Verify(*store_)->ok());

  store::Batch erase(store_.get());
  ASSERT_TRUE(Chain::Erase(erase, erase, *store_, "a").ok());
  ASSERT_TRUE(store_->Commit(erase).ok());
  EXPECT_FALSE(EntriesHold(*store_, "geheim-alt"));
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->problem();
}

// Deletes referral `id` from the chain as audit does on ReferralDeleted (evaluation.cc's
// RecordDeletion): clears its entries, then appends the deletion naming them. One commit.
void Delete(store::Store& store, const std::string& id, uint64_t seq) {
  store::Batch batch(&store);
  auto index = Chain::NextIndex(batch);
  ASSERT_TRUE(index.ok());
  store::Batch pruned(&store);
  auto cleared = Chain::Prune(batch, pruned, store, id, *index);
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  lotse::v1::Envelope e;
  e.set_stream("intake");
  e.set_seq(seq);
  e.set_referral_id(id);
  e.set_case_number("2026-" + id);
  e.mutable_referral_deleted()->set_reason("Aufbewahrungsfrist des Vorgangs abgelaufen");
  ASSERT_TRUE(Chain::Append(batch, e, e.SerializeAsString(), absl::Now(), *cleared).ok());
  batch.Absorb(pruned);
  ASSERT_TRUE(store.Commit(batch).ok());
}

TEST_F(ChainTest, ADeletedReferralLeavesOnlyItsDeletionAndTheChainStillVerifies) {
  AppendPersonal(*store_, "a", 1, "geheim-a");
  AppendEvents("routing", "a", 2);  // claimed by u0, u1: flow data, kept by erasure
  AppendPersonal(*store_, "b", 2, "geheim-b");
  store::Batch erase(store_.get());
  ASSERT_TRUE(Chain::Erase(erase, erase, *store_, "a").ok());
  ASSERT_TRUE(store_->Commit(erase).ok());
  ASSERT_TRUE(EntriesHold(*store_, "u1"));
  ASSERT_TRUE(EntriesHold(*store_, "bauantrag"));

  Delete(*store_, "a", 3);
  EXPECT_FALSE(EntriesHold(*store_, "u1"));
  EXPECT_TRUE(EntriesHold(*store_, "geheim-b"));
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->problem();
  EXPECT_EQ(verified->entries(), 5u);
  // Its history is the record of its deletion alone, by id and by case number.
  auto history = Chain::History(*store_, "2026-a");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->entries_size(), 1);
  EXPECT_TRUE(history->entries(0).event().has_referral_deleted());
  EXPECT_EQ(history->entries(0).index(), 5u);
  auto other = Chain::History(*store_, "b");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->entries_size(), 1);
  // The deleted entries keep their header and digests, nothing else.
  auto stub = store_->Get(Chain::kEntries, store::EncodeU64(2));
  ASSERT_TRUE(stub.ok() && stub->has_value());
  lotse::v1::AuditEntry entry;
  ASSERT_TRUE(entry.ParseFromString(**stub));
  EXPECT_EQ(entry.event(), "");
  EXPECT_EQ(entry.flow_event(), "");
  EXPECT_EQ(entry.flow_digest().size(), kHashBytes);
  EXPECT_EQ(entry.deleted_by(), 5u);
}

TEST_F(ChainTest, AnEntryClearedWithoutARecordedDeletionIsNamed) {
  AppendPersonal(*store_, "a", 1, "geheim-a");
  AppendEvents("routing", "a", 1);
  AppendPersonal(*store_, "b", 2, "geheim-b");
  Delete(*store_, "a", 3);
  ASSERT_TRUE(Chain::Verify(*store_)->ok());
  // Someone clears b's entry and names a's deletion as the reason: the deletion's list (under
  // its hash) does not name it.
  Tamper(3, [](lotse::v1::AuditEntry& e) {
    e.clear_event();
    e.clear_flow_event();
    e.set_deleted_by(4);
  });
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 4u);
  EXPECT_NE(verified->problem().find("without a recorded deletion"), std::string::npos)
      << verified->problem();
}

TEST_F(ChainTest, AnEntryClearedForADeletionThatNeverCameIsNamed) {
  AppendPersonal(*store_, "a", 1, "geheim-a");
  AppendEvents("routing", "a", 2);
  Tamper(2, [](lotse::v1::AuditEntry& e) {
    e.clear_event();
    e.set_deleted_by(9);
  });
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok());
  EXPECT_NE(verified->problem().find("not in the chain"), std::string::npos) << verified->problem();
}

TEST_F(ChainTest, TheFlowFormCannotBeAlteredUnnoticed) {
  AppendEvents("routing", "a", 2);  // no personal data: the event is its own flow form
  Tamper(1, [](lotse::v1::AuditEntry& e) {
    lotse::v1::Envelope event;
    ASSERT_TRUE(event.ParseFromString(e.event()));
    event.mutable_claimed()->set_user("jemand-anderes");
    e.set_event(event.SerializeAsString());
  });
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok());
  EXPECT_EQ(verified->first_bad_index(), 1u);
  EXPECT_NE(verified->problem().find("flow form"), std::string::npos) << verified->problem();
}

TEST_F(ChainTest, ErasureAndDeletionReachEntriesOfTheirOwnBatch) {
  AppendPersonal(*store_, "a", 1, "geheim-a");
  // One batch, as audit commits a fetch: another event of the referral with personal data, its
  // erasure, then its deletion.
  store::Batch batch(store_.get());
  lotse::v1::Envelope e;
  e.set_stream("routing");
  e.set_seq(1);
  e.set_referral_id("a");
  e.set_case_number("2026-a");
  e.mutable_answered()->mutable_answer()->set_text("geheim-antwort");
  ASSERT_TRUE(Chain::Append(batch, e, e.SerializeAsString(), absl::Now()).ok());
  store::Batch erased(store_.get());
  ASSERT_TRUE(Chain::Erase(batch, erased, *store_, "a").ok());
  batch.Absorb(erased);
  auto index = Chain::NextIndex(batch);
  ASSERT_TRUE(index.ok());
  store::Batch pruned(store_.get());
  auto cleared = Chain::Prune(batch, pruned, *store_, "a", *index);
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_EQ(*cleared, (std::vector<uint64_t>{1, 2}));
  lotse::v1::Envelope deletion;
  deletion.set_stream("intake");
  deletion.set_seq(2);
  deletion.set_referral_id("a");
  deletion.set_case_number("2026-a");
  deletion.mutable_referral_deleted();
  ASSERT_TRUE(
      Chain::Append(batch, deletion, deletion.SerializeAsString(), absl::Now(), *cleared).ok());
  batch.Absorb(pruned);
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_FALSE(EntriesHold(*store_, "geheim-antwort"));
  EXPECT_FALSE(EntriesHold(*store_, "geheim-a"));
  auto verified = Chain::Verify(*store_);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok()) << verified->problem();
  auto history = Chain::History(*store_, "a");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->entries_size(), 1);
}

}  // namespace
}  // namespace lotse::audit
