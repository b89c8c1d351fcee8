#include "services/audit/chain.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "common/clock/clock.h"
#include "common/format.h"
#include "common/service/erasure.h"
#include "common/service/personal_data.h"
#include "common/status_macros.h"

namespace lotse::audit {
namespace {

constexpr std::string_view kHeadKey = "chain_head";  // in meta: index (8) + hash (32)

void AppendU64(std::string& out, uint64_t v) { out += store::EncodeU64(v); }

std::string HistoryKey(std::string_view referral_id, uint64_t index) {
  return StrCat(referral_id, std::string(1, '\0'), store::EncodeU64(index));
}

constexpr int kSealedForm = 2;
constexpr int kDeletableForm = 3;
constexpr size_t kSaltBytes = 32;

// In meta: the referral's salt for the digests of its entries; deleted by erasure.
std::string SaltKey(std::string_view referral_id) { return StrCat("salt/", referral_id); }
// In meta: the referral's salt for the digests of its entries' flow forms; deleted with the
// referral.
std::string FlowSaltKey(std::string_view referral_id) { return StrCat("flow_salt/", referral_id); }

// What the hash of an entry covers besides its header: a form 3 entry's flow digest and digest;
// a form 2 entry's flow form and digest; the event itself where it has no referral (or is of
// the oldest form).
std::string HashedContent(const lotse::v1::AuditEntry& entry) {
  std::string content;
  if (entry.form() == kDeletableForm && !entry.flow_digest().empty()) {
    content = entry.flow_digest() + entry.digest();
  } else if (entry.form() == kSealedForm && !entry.flow_event().empty()) {
    content = entry.flow_event() + entry.digest();
  } else {
    content = entry.event();
  }
  for (const uint64_t index : entry.pruned()) {  // a deletion's list of what it cleared
    AppendU64(content, index);
  }
  return content;
}

// The salt stored under `key` in meta, or a new random one put there through `batch`.
absl::StatusOr<std::string> SaltFor(store::Batch& batch, const std::string& key) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(store::kMeta, key));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), kSaltBytes) != 1) {
    return absl::UnavailableError("no random bytes for the audit salt");
  }
  batch.Put(store::kMeta, key, salt);
  return salt;
}

// Where the sealed parts of `entry` still exist, whether they match the digests its hash
// covers: the flow form against its flow digest (form 3, until the referral is deleted), the
// whole event against its digest (forms 2 and 3, until its personal data is erased). Returns
// what does not match, or "" if all does.
std::string CheckSealedContent(const store::Store& store, const lotse::v1::AuditEntry& entry) {
  auto salt_of = [&](const std::string& flow_bytes,
                     std::string (*key)(std::string_view)) -> std::optional<std::string> {
    lotse::v1::Envelope flow;
    if (!flow.ParseFromString(flow_bytes) || flow.referral_id().empty()) {
      return std::nullopt;
    }
    absl::StatusOr<std::optional<std::string>> stored =
        store.Get(store::kMeta, key(flow.referral_id()));
    return stored.ok() ? *std::move(stored) : std::nullopt;
  };
  const std::string& flow_bytes = entry.flow_event().empty() ? entry.event() : entry.flow_event();
  if (entry.form() == kDeletableForm && !entry.flow_digest().empty() && entry.deleted_by() == 0) {
    const std::optional<std::string> salt = salt_of(flow_bytes, FlowSaltKey);
    if (!salt.has_value() || service::Sha256(*salt + flow_bytes) != entry.flow_digest()) {
      return "its flow form does not match its sealed digest";
    }
  }
  if (entry.form() != 0 && !entry.flow_event().empty() && !entry.event().empty()) {
    const std::optional<std::string> salt = salt_of(entry.flow_event(), SaltKey);
    if (!salt.has_value() || service::Sha256(*salt + entry.event()) != entry.digest()) {
      return "its event does not match its sealed digest";
    }
  }
  return "";
}

absl::Status Unreadable(uint64_t index) {
  return absl::DataLossError(
      StrCat("audit entry ", index, " cannot be read: run 'lotse audit verify'"));
}

// Entry `index` as `batch` sees it.
absl::StatusOr<lotse::v1::AuditEntry> ReadEntry(const store::Batch& batch, uint64_t index) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value,
                         batch.Get(Chain::kEntries, store::EncodeU64(index)));
  lotse::v1::AuditEntry entry;
  if (!value.has_value() || !entry.ParseFromString(*value)) {
    return Unreadable(index);
  }
  return entry;
}

}  // namespace

std::string EntryHash(std::string_view prev_hash, uint64_t index, std::string_view stream,
                      uint64_t seq, std::string_view event) {
  std::string header(prev_hash);
  AppendU64(header, index);
  const auto length = static_cast<uint32_t>(stream.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    header.push_back(static_cast<char>((length >> shift) & 0xff));
  }
  header += stream;
  AppendU64(header, seq);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, header.data(), header.size());
  EVP_DigestUpdate(ctx, event.data(), event.size());
  EVP_DigestFinal_ex(ctx, digest, &size);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

const std::string& Chain::EventBytes(const lotse::v1::AuditEntry& entry) {
  return entry.event().empty() ? entry.flow_event() : entry.event();
}

std::vector<std::string> Chain::Families() {
  return {"state_entries", "state_by_referral", "state_case_numbers"};
}

absl::StatusOr<uint64_t> Chain::NextIndex(const store::Batch& batch) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> head, batch.Get(store::kMeta, kHeadKey));
  if (!head.has_value()) {
    return 1;
  }
  if (head->size() != 8 + kHashBytes) {
    return absl::DataLossError("the stored head of the audit chain is damaged");
  }
  return store::DecodeU64(*head) + 1;
}

absl::Status Chain::Append(store::Batch& batch, const lotse::v1::Envelope& event,
                           std::string_view raw, absl::Time now,
                           const std::vector<uint64_t>& pruned) {
  LOTSE_ASSIGN_OR_RETURN(const uint64_t index, NextIndex(batch));
  std::string prev_hash(kHashBytes, '\0');
  if (index > 1) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> head, batch.Get(store::kMeta, kHeadKey));
    prev_hash = head->substr(8);
  }
  lotse::v1::AuditEntry entry;
  entry.set_index(index);
  entry.set_stream(event.stream());
  entry.set_seq(event.seq());
  entry.set_form(kDeletableForm);
  entry.set_event(std::string(raw));
  for (const uint64_t index : pruned) {
    entry.add_pruned(index);
  }
  // The record of a deletion stays whole: it is hashed as it is, like an event without a
  // referral.
  const std::string& id = event.referral_id();
  if (!id.empty() && !event.has_referral_deleted()) {
    lotse::v1::Envelope flow = event;
    service::KeepFlowMetadataOnly(flow);
    std::string flow_bytes = flow.SerializeAsString();
    LOTSE_ASSIGN_OR_RETURN(const std::string flow_salt, SaltFor(batch, FlowSaltKey(id)));
    entry.set_flow_digest(service::Sha256(flow_salt + flow_bytes));
    if (flow_bytes != raw) {  // the event holds personal data: seal it
      LOTSE_ASSIGN_OR_RETURN(const bool erased, service::IsErased(batch, id));
      if (erased) {
        entry.set_event(std::move(flow_bytes));  // what the Runner left of it is all there is
      } else {
        LOTSE_ASSIGN_OR_RETURN(const std::string salt, SaltFor(batch, SaltKey(id)));
        entry.set_digest(service::Sha256(salt + std::string(raw)));
        entry.set_flow_event(std::move(flow_bytes));
      }
    }
  }
  entry.set_prev_hash(prev_hash);
  entry.set_hash(
      EntryHash(prev_hash, entry.index(), event.stream(), event.seq(), HashedContent(entry)));
  entry.set_appended_at_us(clock::ToMicros(now));
  batch.Put(kEntries, store::EncodeU64(entry.index()), entry.SerializeAsString());
  batch.Put(store::kMeta, kHeadKey, store::EncodeU64(entry.index()) + entry.hash());
  if (!id.empty()) {
    batch.Put(kByReferral, HistoryKey(id, entry.index()), "");
    if (!event.case_number().empty()) {
      batch.Put(kCaseNumbers, event.case_number(), id);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<lotse::v1::VerifyReply> Chain::Verify(const store::Store& store) {
  lotse::v1::VerifyReply reply;
  uint64_t expected = 1;
  std::string prev(kHashBytes, '\0');
  auto fail = [&](uint64_t index, std::string problem) {
    reply.set_first_bad_index(index);
    reply.set_problem(std::move(problem));
    return false;
  };
  std::map<uint64_t, std::vector<uint64_t>> deletions;  // deletion index -> entries it cleared
  LOTSE_RETURN_IF_ERROR(store.Scan(kEntries, "", "", [&](std::string_view key,
                                                          std::string_view value) {
    lotse::v1::AuditEntry entry;
    const uint64_t at = key.size() == 8 ? store::DecodeU64(key) : 0;
    if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return fail(at, StrCat("entry ", at, " cannot be read: its bytes were changed"));
    }
    if (at != expected || entry.index() != expected) {
      return fail(expected, StrCat("entry ", expected, " is missing or out of place (found ",
                                   at, ")"));
    }
    if (entry.prev_hash() != prev) {
      return fail(expected, StrCat("entry ", expected, " does not follow entry ", expected - 1,
                                   ": one of them was replaced"));
    }
    // Only the three forms exist, and only the oldest is marked erased: the marks are not
    // under the hash, so anything else is an alteration.
    const bool known_form =
        entry.form() == 0 || entry.form() == kSealedForm || entry.form() == kDeletableForm;
    if (!known_form || (entry.form() != 0 && entry.erased()) ||
        (entry.deleted_by() != 0 && entry.deleted_by() <= entry.index())) {
      return fail(expected, StrCat("entry ", expected, " (", entry.stream(), " event ", entry.seq(),
                                   ") was altered: its form marks are not ones "
                                   "audit writes"));
    }
    // Entries cleared by a deletion and the deletion's list of them must match exactly.
    if (entry.deleted_by() != 0) {
      deletions[entry.deleted_by()].push_back(expected);
    }
    std::vector<uint64_t> cleared;
    if (auto it = deletions.find(expected); it != deletions.end()) {
      cleared = std::move(it->second);
      deletions.erase(it);
    }
    if (!cleared.empty() || entry.pruned_size() > 0) {
      lotse::v1::Envelope deletion;
      const std::vector<uint64_t> listed(entry.pruned().begin(), entry.pruned().end());
      if (!deletion.ParseFromString(entry.event()) || !deletion.has_referral_deleted() ||
          listed != cleared) {
        return fail(expected,
                    StrCat("entry ", expected, " (", entry.stream(), " event ", entry.seq(),
                           ") and the entries cleared in its name do "
                           "not match: an entry was cleared without a recorded "
                           "deletion"));
      }
    }
    // An oldest-form entry whose personal data was erased keeps only its place in the chain.
    const bool checkable = entry.form() != 0 || !entry.erased();
    if (checkable && EntryHash(prev, entry.index(), entry.stream(), entry.seq(),
                               HashedContent(entry)) != entry.hash()) {
      return fail(expected, StrCat("entry ", expected, " (", entry.stream(), " event ",
                                   entry.seq(), ") was altered: its content does not match "
                                   "its hash"));
    }
    if (std::string problem = CheckSealedContent(store, entry); !problem.empty()) {
      return fail(expected, StrCat("entry ", expected, " (", entry.stream(), " event ", entry.seq(),
                                   ") was altered: ", problem));
    }
    prev = entry.hash();
    ++expected;
    return true;
  }));
  reply.set_entries(expected - 1);
  if (reply.first_bad_index() == 0 && !deletions.empty()) {
    reply.set_first_bad_index(expected - 1);
    reply.set_problem(StrCat("entries were cleared for a deletion (entry ",
                             deletions.begin()->first, ") that is not in the chain"));
  }
  if (reply.first_bad_index() == 0) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> head, store.Get(store::kMeta, kHeadKey));
    const std::string want = store::EncodeU64(expected - 1) + prev;
    if (expected > 1 && (!head.has_value() || *head != want)) {
      reply.set_first_bad_index(expected - 1);
      reply.set_problem("the chain head does not match the last entry: entries were removed");
    }
  }
  reply.set_ok(reply.first_bad_index() == 0);
  reply.set_head_hash(prev);
  return reply;
}

absl::StatusOr<lotse::v1::HistoryReply> Chain::History(const store::Store& store,
                                                       std::string_view ref) {
  std::string id(ref);
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> by_case, store.Get(kCaseNumbers, ref));
  if (by_case.has_value()) {
    id = *by_case;
  }
  lotse::v1::HistoryReply reply;
  reply.set_referral_id(id);
  std::vector<uint64_t> indexes;
  const std::string prefix = StrCat(id, std::string(1, '\0'));
  LOTSE_RETURN_IF_ERROR(store.Scan(kByReferral, prefix, "", [&](std::string_view key,
                                                                 std::string_view) {
    indexes.push_back(store::DecodeU64(key.substr(prefix.size())));
    return true;
  }));
  if (indexes.empty()) {
    return absl::NotFoundError(StrCat("the audit log has no referral '", ref, "'"));
  }
  for (uint64_t index : indexes) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           store.Get(kEntries, store::EncodeU64(index)));
    lotse::v1::AuditEntry entry;
    lotse::v1::HistoryEntry* out = reply.add_entries();
    out->set_index(index);
    if (!value.has_value() || !entry.ParseFromString(*value) ||
        !out->mutable_event()->ParseFromString(EventBytes(entry))) {
      return absl::DataLossError(StrCat("audit entry ", index, " cannot be read: run "
                                        "'lotse audit verify'"));
    }
    if (reply.case_number().empty()) {
      reply.set_case_number(out->event().case_number());
    }
  }
  TellInOrder(reply);
  return reply;
}

namespace {

// True if `reaction` is what another service did in reply to `cause`: told after it whatever
// the clocks say (two hosts' clocks differ a little, a test clock may stand still). Nothing
// happens to a referral before its submission; the feedback closes it; a follow-up question
// reopens it.
bool Causes(const lotse::v1::Envelope& cause, const lotse::v1::Envelope& reaction) {
  return cause.has_referral_submitted() ||
         (cause.has_feedback_submitted() && reaction.has_closed()) ||
         (cause.has_follow_up_asked() && reaction.has_reopened());
}

}  // namespace

void TellInOrder(lotse::v1::HistoryReply& history) {
  auto& entries = *history.mutable_entries();
  // Each stream's positions in chain order; a referral's history has a handful of streams.
  std::vector<std::pair<std::string_view, std::vector<int>>> streams;
  for (int i = 0; i < entries.size(); ++i) {
    const std::string_view stream = entries[i].event().stream();
    auto it = std::find_if(streams.begin(), streams.end(),
                           [&](const auto& s) { return s.first == stream; });
    if (it == streams.end()) {
      it = streams.insert(streams.end(), {stream, {}});
    }
    it->second.push_back(i);
  }
  // Merges the streams: the earliest of their next entries, by time, then chain index; a
  // reaction never before its cause.
  std::vector<size_t> next(streams.size(), 0);
  std::vector<int> order;
  order.reserve(entries.size());
  while (order.size() < static_cast<size_t>(entries.size())) {
    const lotse::v1::HistoryEntry* best = nullptr;
    size_t from = 0;
    for (size_t s = 0; s < streams.size(); ++s) {
      if (next[s] == streams[s].second.size()) {
        continue;
      }
      const lotse::v1::HistoryEntry& e = entries[streams[s].second[next[s]]];
      const bool earlier = best == nullptr || Causes(e.event(), best->event()) ||
                           (!Causes(best->event(), e.event()) &&
                            std::pair(e.event().occurred_at_us(), e.index()) <
                                std::pair(best->event().occurred_at_us(), best->index()));
      if (earlier) {
        best = &e;
        from = s;
      }
    }
    order.push_back(streams[from].second[next[from]++]);
  }
  google::protobuf::RepeatedPtrField<lotse::v1::HistoryEntry> told;
  for (int i : order) {
    *told.Add() = std::move(entries[i]);
  }
  entries.Swap(&told);
}

lotse::v1::HistoryReply HistoryPage(lotse::v1::HistoryReply history, uint64_t after_index,
                                    size_t room) {
  auto& entries = *history.mutable_entries();
  auto start = std::find_if(entries.begin(), entries.end(),
                            [&](const auto& h) { return h.index() == after_index; });
  const bool known = start != entries.end();
  start = known ? std::next(start) : entries.begin();
  lotse::v1::HistoryReply page;
  page.set_referral_id(history.referral_id());
  page.set_case_number(history.case_number());
  size_t bytes = 0;
  for (auto h = start; h != entries.end(); ++h) {
    if (!known && h->index() <= after_index) {
      continue;
    }
    const size_t size = h->ByteSizeLong();
    if (page.entries_size() > 0 && bytes + size > room) {
      page.set_next_index(page.entries(page.entries_size() - 1).index());
      break;
    }
    bytes += size;
    *page.add_entries() = std::move(*h);
  }
  return page;
}

absl::StatusOr<std::vector<uint64_t>> Chain::EntriesOf(const store::Batch& batch,
                                                       const store::Store& store,
                                                       std::string_view referral_id,
                                                       uint64_t before) {
  std::vector<uint64_t> indexes;
  const std::string prefix = StrCat(referral_id, std::string(1, '\0'));
  LOTSE_RETURN_IF_ERROR(
      store.Scan(kByReferral, prefix, "", [&](std::string_view key, std::string_view) {
        const uint64_t index = store::DecodeU64(key.substr(prefix.size()));
        if (index < before) {
          indexes.push_back(index);
        }
        return true;
      }));
  // Entries appended in `batch` and not committed yet: after the committed head.
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> head, store.Get(store::kMeta, kHeadKey));
  const uint64_t committed =
      head.has_value() && head->size() == 8 + kHashBytes ? store::DecodeU64(*head) : 0;
  for (uint64_t index = committed + 1; index < before; ++index) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           batch.Get(kEntries, store::EncodeU64(index)));
    lotse::v1::AuditEntry entry;
    lotse::v1::Envelope event;
    if (value.has_value() && entry.ParseFromString(*value) &&
        event.ParseFromString(EventBytes(entry)) && event.referral_id() == referral_id) {
      indexes.push_back(index);
    }
  }
  return indexes;
}

absl::Status Chain::Erase(const store::Batch& reads, store::Batch& writes,
                          const store::Store& store, std::string_view referral_id) {
  LOTSE_ASSIGN_OR_RETURN(const uint64_t next, NextIndex(reads));
  LOTSE_ASSIGN_OR_RETURN(const std::vector<uint64_t> indexes,
                         EntriesOf(reads, store, referral_id, next));
  for (uint64_t index : indexes) {
    const std::string key = store::EncodeU64(index);
    LOTSE_ASSIGN_OR_RETURN(lotse::v1::AuditEntry entry, ReadEntry(reads, index));
    if (entry.form() == kSealedForm || entry.form() == kDeletableForm) {
      if (entry.flow_event().empty() || entry.event().empty()) {
        continue;  // nothing personal in it, or erased already
      }
      entry.clear_event();
    } else {
      lotse::v1::Envelope event;
      if (!event.ParseFromString(entry.event())) {
        return Unreadable(index);
      }
      service::KeepFlowMetadataOnly(event);
      entry.set_event(event.SerializeAsString());
      entry.set_erased(true);
    }
    writes.Put(kEntries, key, entry.SerializeAsString());
  }
  writes.Delete(store::kMeta, SaltKey(referral_id));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> Chain::Prune(const store::Batch& reads, store::Batch& writes,
                                                   const store::Store& store,
                                                   std::string_view referral_id,
                                                   uint64_t deletion_index) {
  std::vector<uint64_t> pruned;
  LOTSE_ASSIGN_OR_RETURN(const std::vector<uint64_t> indexes,
                         EntriesOf(reads, store, referral_id, deletion_index));
  for (uint64_t index : indexes) {
    const std::string key = store::EncodeU64(index);
    LOTSE_ASSIGN_OR_RETURN(lotse::v1::AuditEntry entry, ReadEntry(reads, index));
    if (entry.form() == kDeletableForm && !entry.flow_digest().empty()) {
      entry.clear_event();  // header and digests stay: the hash still verifies
      entry.clear_flow_event();
    } else if (entry.form() == kSealedForm && !entry.flow_event().empty()) {
      entry.clear_event();  // the flow form stays: the hash covers it
    }
    entry.set_deleted_by(deletion_index);
    writes.Put(kEntries, key, entry.SerializeAsString());
    writes.Delete(kByReferral, HistoryKey(referral_id, index));
    pruned.push_back(index);
  }
  writes.Delete(store::kMeta, SaltKey(referral_id));
  writes.Delete(store::kMeta, FlowSaltKey(referral_id));
  return pruned;
}

}  // namespace lotse::audit
