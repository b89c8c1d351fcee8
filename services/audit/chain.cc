#include "services/audit/chain.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

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
constexpr size_t kSaltBytes = 32;

// In meta: the referral's salt for the digests of its entries; deleted by erasure.
std::string SaltKey(std::string_view referral_id) { return StrCat("salt/", referral_id); }

// What the hash of an entry covers besides its header: a sealed entry's flow form and digest;
// the event itself where it holds no personal data (or is of the old form).
std::string HashedContent(const lotse::v1::AuditEntry& entry) {
  return entry.form() == kSealedForm && !entry.flow_event().empty()
             ? entry.flow_event() + entry.digest()
             : entry.event();
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

absl::Status Chain::Append(store::Batch& batch, const lotse::v1::Envelope& event,
                           std::string_view raw, absl::Time now) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> head, batch.Get(store::kMeta, kHeadKey));
  uint64_t index = 0;
  std::string prev_hash(kHashBytes, '\0');
  if (head.has_value()) {
    if (head->size() != 8 + kHashBytes) {
      return absl::DataLossError("the stored head of the audit chain is damaged");
    }
    index = store::DecodeU64(*head);
    prev_hash = head->substr(8);
  }
  lotse::v1::AuditEntry entry;
  entry.set_index(index + 1);
  entry.set_stream(event.stream());
  entry.set_seq(event.seq());
  entry.set_form(kSealedForm);
  entry.set_event(std::string(raw));
  lotse::v1::Envelope flow = event;
  service::KeepFlowMetadataOnly(flow);
  std::string flow_bytes = flow.SerializeAsString();
  if (flow_bytes != raw) {  // the event holds personal data: seal it
    LOTSE_ASSIGN_OR_RETURN(const bool erased, service::IsErased(batch, event.referral_id()));
    std::string salt;
    if (!event.referral_id().empty() && !erased) {
      LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                             batch.Get(store::kMeta, SaltKey(event.referral_id())));
      if (stored.has_value()) {
        salt = *std::move(stored);
      } else {
        salt.resize(kSaltBytes);
        if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), kSaltBytes) != 1) {
          return absl::UnavailableError("no random bytes for the audit salt");
        }
        batch.Put(store::kMeta, SaltKey(event.referral_id()), salt);
      }
    }
    if (!salt.empty()) {  // else: no referral to erase it with; hashed as it is
      entry.set_flow_event(std::move(flow_bytes));
      entry.set_digest(service::Sha256(salt + std::string(raw)));
    }
  }
  entry.set_prev_hash(prev_hash);
  entry.set_hash(
      EntryHash(prev_hash, entry.index(), event.stream(), event.seq(), HashedContent(entry)));
  entry.set_appended_at_us(clock::ToMicros(now));
  batch.Put(kEntries, store::EncodeU64(entry.index()), entry.SerializeAsString());
  batch.Put(store::kMeta, kHeadKey, store::EncodeU64(entry.index()) + entry.hash());
  if (!event.referral_id().empty()) {
    batch.Put(kByReferral, HistoryKey(event.referral_id(), entry.index()), "");
    if (!event.case_number().empty()) {
      batch.Put(kCaseNumbers, event.case_number(), event.referral_id());
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
    // Only the two forms exist, and only an older entry is marked erased: the marks are not
    // under the hash, so anything else is an alteration.
    if ((entry.form() != 0 && entry.form() != kSealedForm) ||
        (entry.form() == kSealedForm && entry.erased())) {
      return fail(expected, StrCat("entry ", expected, " (", entry.stream(), " event ", entry.seq(),
                                   ") was altered: its form marks are not ones "
                                   "audit writes"));
    }
    // An older entry whose personal data was erased keeps only its place in the chain.
    const bool checkable = entry.form() == kSealedForm || !entry.erased();
    if (checkable && EntryHash(prev, entry.index(), entry.stream(), entry.seq(),
                               HashedContent(entry)) != entry.hash()) {
      return fail(expected, StrCat("entry ", expected, " (", entry.stream(), " event ",
                                   entry.seq(), ") was altered: its content does not match "
                                   "its hash"));
    }
    if (entry.form() == kSealedForm && !entry.flow_event().empty() && !entry.event().empty()) {
      // The personal part, while it exists, must match the digest the hash covers.
      lotse::v1::Envelope flow;
      std::optional<std::string> salt;
      if (flow.ParseFromString(entry.flow_event())) {
        absl::StatusOr<std::optional<std::string>> stored =
            store.Get(store::kMeta, SaltKey(flow.referral_id()));
        if (stored.ok()) {
          salt = *std::move(stored);
        }
      }
      if (!salt.has_value() || service::Sha256(*salt + entry.event()) != entry.digest()) {
        return fail(expected,
                    StrCat("entry ", expected, " (", entry.stream(), " event ", entry.seq(),
                           ") was altered: its event does not match "
                           "its sealed digest"));
      }
    }
    prev = entry.hash();
    ++expected;
    return true;
  }));
  reply.set_entries(expected - 1);
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
  return reply;
}

absl::Status Chain::Erase(store::Batch& batch, const store::Store& store,
                          std::string_view referral_id) {
  std::vector<uint64_t> indexes;
  const std::string prefix = StrCat(referral_id, std::string(1, '\0'));
  LOTSE_RETURN_IF_ERROR(
      store.Scan(kByReferral, prefix, "", [&](std::string_view key, std::string_view) {
        indexes.push_back(store::DecodeU64(key.substr(prefix.size())));
        return true;
      }));
  for (uint64_t index : indexes) {
    const std::string key = store::EncodeU64(index);
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value, batch.Get(kEntries, key));
    lotse::v1::AuditEntry entry;
    if (!value.has_value() || !entry.ParseFromString(*value)) {
      return absl::DataLossError(StrCat("audit entry ", index,
                                        " cannot be read: run "
                                        "'lotse audit verify'"));
    }
    if (entry.form() == kSealedForm) {
      if (entry.flow_event().empty() || entry.event().empty()) {
        continue;  // nothing personal in it, or erased already
      }
      entry.clear_event();
    } else {
      lotse::v1::Envelope event;
      if (!event.ParseFromString(entry.event())) {
        return absl::DataLossError(StrCat("audit entry ", index,
                                          " cannot be read: run "
                                          "'lotse audit verify'"));
      }
      service::KeepFlowMetadataOnly(event);
      entry.set_event(event.SerializeAsString());
      entry.set_erased(true);
    }
    batch.Put(kEntries, key, entry.SerializeAsString());
  }
  batch.Delete(store::kMeta, SaltKey(referral_id));
  return absl::OkStatus();
}

}  // namespace lotse::audit
