#include "common/service/erasure.h"

#include <sodium.h>

#include <memory>

#include "common/clock/clock.h"
#include "common/format.h"
#include "common/service/personal_data.h"
#include "common/status_macros.h"
#include "lotse/v1/common.pb.h"

namespace lotse::service {
namespace {

constexpr std::string_view kErasedPrefix = "erased/";  // meta: + referral id -> 8 bytes time

bool NamesAny(std::string_view bytes, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (!id.empty() && bytes.find(id) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

bool IsOneOf(std::string_view id, const std::vector<std::string>& ids) {
  for (const std::string& candidate : ids) {
    if (candidate == id) {
      return true;
    }
  }
  return false;
}

// The same message without its personal fields, serialized; nullopt if `bytes` do not parse.
std::optional<std::string> Scrubbed(const google::protobuf::Message& prototype,
                                    std::string_view bytes) {
  std::unique_ptr<google::protobuf::Message> message(prototype.New());
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return std::nullopt;
  }
  KeepFlowMetadataOnly(*message);
  return message->SerializeAsString();
}

}  // namespace

std::string Sha256(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

absl::StatusOr<bool> IsErased(const store::Batch& batch, std::string_view referral_id) {
  if (referral_id.empty()) {
    return false;
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> mark,
                         batch.Get(store::kMeta, StrCat(kErasedPrefix, referral_id)));
  return mark.has_value();
}

absl::StatusOr<bool> StripIfErased(const store::Batch& batch, lotse::v1::Envelope& event,
                                   std::string& raw) {
  LOTSE_ASSIGN_OR_RETURN(const bool erased, IsErased(batch, event.referral_id()));
  if (!erased) {
    return false;
  }
  KeepFlowMetadataOnly(event);
  raw = event.SerializeAsString();
  return true;
}

absl::Status EraseFromCommonFamilies(store::Batch& batch, const store::Store& store,
                                     const std::vector<std::string>& referral_ids,
                                     const std::vector<std::string>& names,
                                     const google::protobuf::Message& reply_prototype,
                                     absl::Time now) {
  std::vector<std::string> needles = referral_ids;
  needles.insert(needles.end(), names.begin(), names.end());
  absl::Status problem;
  // Outbox: seq -> Envelope.
  LOTSE_RETURN_IF_ERROR(
      store.Scan(store::kOutbox, "", "", [&](std::string_view key, std::string_view value) {
        if (!NamesAny(value, referral_ids)) {
          return true;
        }
        lotse::v1::Envelope event;
        if (!event.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          problem = absl::DataLossError("an event in the outbox cannot be read");
          return false;
        }
        if (IsOneOf(event.referral_id(), referral_ids)) {
          KeepFlowMetadataOnly(event);
          batch.Put(store::kOutbox, key, event.SerializeAsString());
        }
        return true;
      }));
  LOTSE_RETURN_IF_ERROR(problem);
  // Dead letters: DeadLetter{event: raw Envelope}.
  LOTSE_RETURN_IF_ERROR(
      store.Scan(store::kDeadLetter, "", "", [&](std::string_view key, std::string_view value) {
        if (!NamesAny(value, referral_ids)) {
          return true;
        }
        lotse::v1::DeadLetter dead;
        lotse::v1::Envelope event;
        if (!dead.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
            !event.ParseFromString(dead.event())) {
          batch.Delete(store::kDeadLetter, key);  // unreadable and naming the referral: gone
          return true;
        }
        KeepFlowMetadataOnly(event);
        dead.set_event(event.SerializeAsString());
        batch.Put(store::kDeadLetter, key, dead.SerializeAsString());
        return true;
      }));
  // Stored replies: IdempotencyRecord.
  LOTSE_RETURN_IF_ERROR(
      store.Scan(store::kIdempotency, "", "", [&](std::string_view key, std::string_view value) {
        if (!NamesAny(value, needles)) {
          return true;
        }
        lotse::v1::IdempotencyRecord record;
        if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          batch.Delete(store::kIdempotency, key);
          return true;
        }
        std::optional<std::string> reply = Scrubbed(reply_prototype, record.reply());
        record.set_reply(reply.value_or(""));
        if (record.request_fingerprint().size() != 32) {  // from before fingerprints were hashed
          record.set_request_fingerprint(Sha256(record.request_fingerprint()));
        }
        batch.Put(store::kIdempotency, key, record.SerializeAsString());
        return true;
      }));
  for (const std::string& id : referral_ids) {
    batch.Put(store::kMeta, StrCat(kErasedPrefix, id),
              store::EncodeU64(static_cast<uint64_t>(clock::ToMicros(now))));
  }
  OweCompaction(batch);
  return absl::OkStatus();
}

void OweCompaction(store::Batch& batch) { batch.Put(store::kMeta, store::kCompactionOwedKey, ""); }

absl::Status EraseFromFamily(store::Batch& batch, const store::Store& store, store::Cf cf,
                             const std::vector<std::string>& referral_ids,
                             const google::protobuf::Message* prototype) {
  absl::Status problem;
  LOTSE_RETURN_IF_ERROR(store.Scan(cf, "", "", [&](std::string_view key, std::string_view value) {
    if (prototype == nullptr) {
      if (NamesAny(key, referral_ids) || NamesAny(value, referral_ids)) {
        batch.Delete(cf, key);
      }
      return true;
    }
    if (!NamesAny(key, referral_ids) && !NamesAny(value, referral_ids)) {
      return true;
    }
    std::optional<std::string> scrubbed = Scrubbed(*prototype, value);
    if (!scrubbed.has_value()) {
      problem = absl::DataLossError(StrCat("an entry of family ", cf, " cannot be read"));
      return false;
    }
    batch.Put(cf, key, *scrubbed);
    return true;
  }));
  return problem;
}

}  // namespace lotse::service
