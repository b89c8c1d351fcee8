#include "services/intake/attachments.h"

#include <openssl/evp.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/clock/clock.h"
#include "common/format.h"
#include "common/log/log.h"
#include "common/ops/metrics.h"
#include "common/service/commands.h"
#include "common/service/erasure.h"
#include "common/service/errors.h"
#include "common/service/runner.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace lotse::intake {
namespace {

using lotse::v1::Actor;
using lotse::v1::AttachmentRef;
using lotse::v1::AttachRequest;
using lotse::v1::IntakeReply;
using lotse::v1::ReferralState;
using service::FieldError;
using service::InvalidField;

// Keys of the uploads family. An upload is named by who sends it and its idempotency key
// ("<kind>:<actor id>\0<key>": ids and keys are printable ASCII, so \0 separates them).
// "h" + upload -> 8 bytes last chunk time (µs, big-endian) + UploadHeader;
// "c" + upload + "\0" + 8 bytes offset -> the chunk's bytes.
// Keys of the blob family: the 64 hex digits of the SHA-256 -> 8 bytes size (the content is
// stored), and hex + 8 bytes offset -> the bytes of one piece of kChunkBytes.
constexpr char kHeaderPrefix = 'h';
constexpr char kChunkPrefix = 'c';

std::string UploadId(const Actor& actor, std::string_view key) {
  return StrCat(static_cast<int>(actor.kind()), ":", actor.id(), std::string_view("\0", 1), key);
}
std::string HeaderKey(std::string_view upload) {
  return StrCat(std::string(1, kHeaderPrefix), upload);
}
std::string ChunkPrefix(std::string_view upload) {
  return StrCat(std::string(1, kChunkPrefix), upload, std::string_view("\0", 1));
}
std::string ChunkKey(std::string_view upload, uint64_t offset) {
  return ChunkPrefix(upload) + store::EncodeU64(offset);
}
std::string PieceKey(std::string_view sha256, uint64_t offset) {
  return StrCat(sha256, store::EncodeU64(offset));
}

// A staged upload: the request's file fields (ref resolved to the referral id), `offset` the
// bytes received so far, no data.
struct Upload {
  int64_t last_us = 0;
  AttachRequest header;
};

std::string EncodeUpload(const Upload& upload) {
  return store::EncodeU64(static_cast<uint64_t>(upload.last_us)) +
         upload.header.SerializeAsString();
}

absl::StatusOr<std::optional<Upload>> DecodeUpload(const std::optional<std::string>& value) {
  if (!value.has_value()) {
    return std::nullopt;
  }
  Upload upload;
  if (value->size() < 8 || !upload.header.ParseFromArray(value->data() + 8,
                                                         static_cast<int>(value->size() - 8))) {
    return absl::DataLossError("a staged upload's record is damaged");
  }
  upload.last_us = static_cast<int64_t>(store::DecodeU64(*value));
  return upload;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string Mib(uint64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

const AttachmentRef* FindByName(const ReferralState& state, std::string_view name) {
  for (const AttachmentRef& a : state.attachments()) {
    if (a.name() == name) {
      return &a;
    }
  }
  return nullptr;
}

uint64_t AttachedBytes(const ReferralState& state) {
  uint64_t total = 0;
  for (const AttachmentRef& a : state.attachments()) {
    total += a.size();
  }
  return total;
}

// The checks every chunk meets before anything is looked up.
absl::Status ValidateChunk(const AttachRequest& r) {
  LOTSE_RETURN_IF_ERROR(service::CheckId("idempotency_key", r.idempotency_key()));
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", r.ref(), 64, true));
  LOTSE_RETURN_IF_ERROR(CheckAttachmentName(r.name()));
  if (r.size() == 0) {
    return InvalidField("size", "size is 0: an empty file cannot be attached");
  }
  if (r.size() > kMaxAttachmentBytes) {
    return InvalidField("size", StrCat("the file is ", Mib(r.size()), "; at most ",
                                       Mib(kMaxAttachmentBytes),
                                       " per file are accepted: compress or split it"));
  }
  if (r.sha256().size() != 64 || !IsLowerHex(r.sha256())) {
    return InvalidField("sha256", "sha256 must be the file's SHA-256 as 64 lower-case hex digits");
  }
  if (r.data().empty()) {
    return InvalidField("data", "the chunk carries no bytes");
  }
  if (r.data().size() > kChunkBytes) {
    return InvalidField("data", StrCat("the chunk is ", r.data().size(), " bytes; at most ",
                                       kChunkBytes, " per chunk: send the file in smaller pieces"));
  }
  if (r.offset() >= r.size() || r.data().size() > r.size() - r.offset()) {
    return InvalidField("offset", StrCat("the chunk at offset ", r.offset(), " with ",
                                         r.data().size(), " bytes reaches beyond the file's ",
                                         r.size(), " bytes"));
  }
  return absl::OkStatus();
}

// Whether a name is taken or the referral's budget exceeded by a new file of `size` bytes.
absl::Status CheckRoom(const ReferralState& state, std::string_view name, uint64_t size) {
  if (FindByName(state, name) != nullptr) {
    return FieldError(absl::StatusCode::kAlreadyExists, "name",
                      StrCat("referral ", state.case_number(), " already has an attachment named '",
                             name, "': choose another name (--name)"));
  }
  const uint64_t attached = AttachedBytes(state);
  if (attached + size > kMaxReferralAttachmentBytes) {
    return FieldError(absl::StatusCode::kResourceExhausted, "size",
                      StrCat("referral ", state.case_number(), " already carries ", Mib(attached),
                             " of attachments; with this file of ", Mib(size), " it would exceed ",
                             Mib(kMaxReferralAttachmentBytes),
                             " per referral: attach a smaller file, or hand the documents over "
                             "another way"));
  }
  return absl::OkStatus();
}

ops::Counter& BlobCounter(std::string_view outcome) {
  return ops::DefaultRegistry().GetCounter(
      "lotse_attachment_blobs_total",
      "attachment contents accepted: stored (new content) or reused (the same bytes were "
      "stored already)",
      {{"outcome", std::string(outcome)}});
}

}  // namespace

absl::Status CheckAttachmentName(std::string_view name) {
  constexpr std::string_view kWhat =
      ": give the file's own name without a folder, e.g. 'lageplan.pdf' (--name)";
  LOTSE_RETURN_IF_ERROR(service::CheckText("name", name, kMaxAttachmentNameBytes, true));
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidField("name", StrCat("name contains a control character", kWhat));
    }
    if (c == '/' || c == '\\') {
      return InvalidField("name", StrCat("name '", name, "' is a path", kWhat));
    }
  }
  if (name == "." || name == "..") {
    return InvalidField("name", StrCat("name '", name, "' is a folder, not a file", kWhat));
  }
  if (name.size() >= 2 && name[1] == ':' &&
      ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z'))) {
    return InvalidField("name", StrCat("name '", name, "' begins with a drive letter", kWhat));
  }
  return absl::OkStatus();
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += absl::StrFormat("%02x", digest[i]);
  }
  return hex;
}

bool MayUseAttachments(const ReferralState& state, const Actor& actor) {
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_ADMIN:
      return true;
    case lotse::v1::ACTOR_KIND_OFFICE:
      return !actor.id().empty() && state.referral().office() == actor.id();
    case lotse::v1::ACTOR_KIND_DEPARTMENT: {
      if (actor.id().empty()) {
        return false;
      }
      if (state.assignee() == actor.id() || state.key_account() == actor.id()) {
        return true;
      }
      for (const lotse::v1::Consultation& c : state.consultations()) {
        if (c.department() == actor.id()) {
          return true;
        }
      }
      return false;
    }
    default:  // ops sees flow metadata only; services and unknown kinds nothing
      return false;
  }
}

void MirrorConsultation(const lotse::v1::Envelope& event, ReferralState& state) {
  const lotse::v1::ConsultationOpened& opened = event.consultation_opened();
  for (const std::string& department : opened.departments()) {
    const bool known = std::any_of(
        state.consultations().begin(), state.consultations().end(),
        [&](const lotse::v1::Consultation& c) { return c.department() == department; });
    if (known) {
      continue;
    }
    lotse::v1::Consultation* c = state.add_consultations();
    c->set_department(department);
    c->set_asked_by(opened.assignee());
    c->set_opened_at_us(event.occurred_at_us());
    c->set_due_at_us(opened.due_at_us());
  }
}

absl::StatusOr<IntakeReply> Attachments::Attach(const AttachRequest& request, const Actor& actor,
                                                store::Batch& batch, store::Store& store,
                                                absl::Time now) const {
  LOTSE_RETURN_IF_ERROR(ValidateChunk(request));
  // A retried chunk: the same reply. The fingerprint carries the chunk's hash, not its bytes,
  // so that the idempotency record stays small.
  const std::string key = StrCat("attach/", actor.id(), "/", request.idempotency_key(), "/",
                                 request.offset());
  AttachRequest printed = request;
  printed.set_data(Sha256Hex(request.data()));
  const std::string fingerprint = service::Fingerprint(printed);
  LOTSE_ASSIGN_OR_RETURN(std::optional<IntakeReply> stored,
                         service::FindStoredReplyAs<IntakeReply>(batch, key, fingerprint));
  if (stored.has_value()) {
    return *std::move(stored);
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, request.ref()));
  if (!found.has_value() || !MayUseAttachments(*found, actor)) {
    return service::NotYours(actor, request.ref());
  }
  ReferralState& state = *found;
  LOTSE_ASSIGN_OR_RETURN(const bool erased, service::IsErased(batch, state.referral_id()));
  if (erased) {
    return service::FieldError(absl::StatusCode::kFailedPrecondition, "ref",
                               StrCat("the personal data of referral ", state.case_number(),
                                      " was erased: it takes no documents any more"));
  }

  const std::string upload_id = UploadId(actor, request.idempotency_key());
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> header_value,
                         batch.Get(uploads_, HeaderKey(upload_id)));
  LOTSE_ASSIGN_OR_RETURN(std::optional<Upload> upload, DecodeUpload(header_value));
  if (!upload.has_value()) {
    if (request.offset() != 0) {
      return InvalidField("offset",
                          StrCat("no upload with this key has begun (or it was dropped after ",
                                 absl::FormatDuration(kStaleUploadAfter),
                                 " without a chunk): send the file from offset 0"));
    }
    LOTSE_RETURN_IF_ERROR(CheckRoom(state, request.name(), request.size()));
    upload.emplace();
    upload->header = printed;
    upload->header.clear_data();
    upload->header.set_ref(state.referral_id());
    upload->header.set_offset(0);
  } else {
    const AttachRequest& h = upload->header;
    const std::string again = " than the upload with this key began with: use a new key for "
                              "another file, or send this file's chunks unchanged";
    if (h.ref() != state.referral_id()) {
      return InvalidField("ref", StrCat("this chunk names another referral", again));
    }
    if (h.name() != request.name()) {
      return InvalidField("name", StrCat("this chunk names another file", again));
    }
    if (h.size() != request.size()) {
      return InvalidField("size", StrCat("this chunk gives another size", again));
    }
    if (h.sha256() != request.sha256()) {
      return InvalidField("sha256", StrCat("this chunk gives another sha256", again));
    }
    if (request.offset() != h.offset()) {
      return InvalidField("offset",
                          StrCat("the chunk at offset ", request.offset(),
                                 " is out of order: the upload has received ", h.offset(),
                                 " bytes, so the chunk at offset ", h.offset(),
                                 " comes next (send the chunks in order)"));
    }
  }
  const uint64_t received = request.offset() + request.data().size();
  const bool last = received == request.size();

  // The disk guard of every commit, with room for what this chunk adds (on the last chunk the
  // whole file, once more, as the stored blob).
  if (store.min_free_bytes() > 0) {
    LOTSE_ASSIGN_OR_RETURN(uint64_t free_bytes, store.FreeDiskBytes());
    const uint64_t needed =
        store.min_free_bytes() + request.data().size() + (last ? request.size() : 0);
    if (free_bytes < needed) {
      return FieldError(absl::StatusCode::kResourceExhausted, "data",
                        StrCat("the disk of intake is nearly full (", free_bytes >> 20,
                               " MiB free): attachments are refused until space is freed; try "
                               "again later or ask your administrator"));
    }
  }

  IntakeReply reply;
  lotse::v1::AttachReply* attached = reply.mutable_attached();
  attached->set_received(received);
  if (!last) {
    upload->last_us = clock::ToMicros(now);
    upload->header.set_offset(received);
    batch.Put(uploads_, ChunkKey(upload_id, request.offset()), request.data());
    batch.Put(uploads_, HeaderKey(upload_id), EncodeUpload(*upload));
    service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), now);
    return reply;
  }

  // The last chunk: the file from its staged chunks, checked against its hash.
  std::string content;
  content.reserve(request.size());
  std::vector<std::string> staged_keys;
  while (content.size() < request.offset()) {
    std::string chunk_key = ChunkKey(upload_id, content.size());
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> chunk, batch.Get(uploads_, chunk_key));
    if (!chunk.has_value() || chunk->empty()) {
      return absl::DataLossError(StrCat("the staged chunk at offset ", content.size(),
                                        " of this upload is missing: send the file again "
                                        "with a new key"));
    }
    content += *chunk;
    staged_keys.push_back(std::move(chunk_key));
  }
  if (content.size() != request.offset()) {
    return absl::DataLossError("the staged chunks of this upload overlap: send the file again "
                               "with a new key");
  }
  content += request.data();
  if (Sha256Hex(content) != request.sha256()) {
    return InvalidField("sha256",
                        StrCat("the ", content.size(), " bytes received do not have the SHA-256 ",
                               request.sha256(),
                               ": nothing was attached; send the file again with a new key"));
  }
  // Another upload to the same referral may have finished since this one began.
  LOTSE_RETURN_IF_ERROR(CheckRoom(state, request.name(), request.size()));

  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> present, batch.Get(blobs_, request.sha256()));
  if (present.has_value()) {
    BlobCounter("reused").Add();
  } else {
    for (uint64_t at = 0; at < content.size(); at += kChunkBytes) {
      batch.Put(blobs_, PieceKey(request.sha256(), at),
                std::string_view(content).substr(at, kChunkBytes));
    }
    batch.Put(blobs_, request.sha256(), store::EncodeU64(content.size()));
    BlobCounter("stored").Add();
  }
  for (const std::string& k : staged_keys) {
    batch.Delete(uploads_, k);
  }
  if (header_value.has_value()) {
    batch.Delete(uploads_, HeaderKey(upload_id));
  }

  AttachmentRef ref;
  ref.set_name(request.name());
  ref.set_sha256(request.sha256());
  ref.set_size(request.size());
  ref.set_added_by(actor.id());
  ref.set_added_at_us(clock::ToMicros(now));
  *state.add_attachments() = ref;
  state.set_updated_at_us(clock::ToMicros(now));
  referrals_.Update(batch, state);

  lotse::v1::Envelope event;
  event.set_referral_id(state.referral_id());
  event.set_case_number(state.case_number());
  *event.mutable_actor() = actor;
  *event.mutable_attachment_added()->mutable_attachment() = ref;
  service::Emit(batch, store, "intake", now, event);

  attached->set_complete(true);
  *attached->mutable_attachment() = ref;
  service::StoreReply(batch, key, fingerprint, reply.SerializeAsString(), now);
  const log::ScopedContext log_context(
      {state.referral_id(), state.case_number(), "attachment_added"});
  // The name may name a person: the log says only hash and size.
  spdlog::info("attachment {} ({} bytes) added to referral {} by {}", request.sha256(),
               request.size(), state.case_number(), actor.id());
  return reply;
}

absl::StatusOr<IntakeReply> Attachments::Read(const lotse::v1::GetAttachmentRequest& request,
                                              const Actor& actor,
                                              const store::Batch& batch) const {
  LOTSE_RETURN_IF_ERROR(service::CheckText("ref", request.ref(), 64, true));
  if (!request.name().empty()) {
    LOTSE_RETURN_IF_ERROR(CheckAttachmentName(request.name()));
  }
  if (request.length() > kChunkBytes) {
    return InvalidField("length", StrCat("length is ", request.length(), "; at most ", kChunkBytes,
                                         " bytes per request (0: as many as fit)"));
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, request.ref()));
  if (!found.has_value() || !MayUseAttachments(*found, actor)) {
    return service::NotYours(actor, request.ref());
  }
  IntakeReply reply;
  lotse::v1::AttachmentChunk* chunk = reply.mutable_attachment();
  if (request.name().empty()) {
    *chunk->mutable_attachments() = found->attachments();
    return reply;
  }
  const AttachmentRef* ref = FindByName(*found, request.name());
  if (ref == nullptr) {
    return FieldError(absl::StatusCode::kNotFound, "name",
                      StrCat("referral ", found->case_number(), " has no attachment named '",
                             request.name(), "': 'lotse attachments ", found->case_number(),
                             "' lists them"));
  }
  if (request.offset() > ref->size()) {
    return InvalidField("offset", StrCat("offset ", request.offset(), " lies beyond the end of '",
                                         ref->name(), "' (", ref->size(), " bytes)"));
  }
  const uint64_t length = request.length() == 0 ? kChunkBytes : request.length();
  const uint64_t end = std::min<uint64_t>(ref->size(), request.offset() + length);
  std::string data;
  for (uint64_t piece = request.offset() / kChunkBytes * kChunkBytes; piece < end;
       piece += kChunkBytes) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                           batch.Get(blobs_, PieceKey(ref->sha256(), piece)));
    if (!bytes.has_value()) {
      return absl::DataLossError(StrCat("the stored content of '", ref->name(), "' of referral ",
                                        found->case_number(), " is missing (", ref->sha256(),
                                        "): tell your administrator"));
    }
    const uint64_t from = std::max(piece, request.offset());
    const uint64_t to = std::min<uint64_t>(end, piece + bytes->size());
    if (to > from) {
      data.append(*bytes, from - piece, to - from);
    }
  }
  *chunk->mutable_attachment() = *ref;
  chunk->set_offset(request.offset());
  chunk->set_data(std::move(data));
  return reply;
}

absl::StatusOr<int> Attachments::DropStale(store::Batch& batch, const store::Store& store,
                                           absl::Time now, int max_uploads) const {
  const int64_t cutoff = clock::ToMicros(now - kStaleUploadAfter);
  std::vector<std::string> stale;  // upload ids
  LOTSE_RETURN_IF_ERROR(store.Scan(
      uploads_, std::string(1, kHeaderPrefix), "",
      [&](std::string_view key, std::string_view value) {
        if (value.size() >= 8 && static_cast<int64_t>(store::DecodeU64(value)) < cutoff) {
          stale.emplace_back(key.substr(1));
        }
        return static_cast<int>(stale.size()) < max_uploads;
      }));
  // Every key first, then the deletes: a failed scan leaves the batch untouched.
  std::vector<std::string> doomed;
  for (const std::string& upload : stale) {
    LOTSE_RETURN_IF_ERROR(store.Scan(uploads_, ChunkPrefix(upload), "",
                                     [&](std::string_view key, std::string_view) {
                                       doomed.emplace_back(key);
                                       return true;
                                     }));
    doomed.push_back(HeaderKey(upload));
  }
  for (const std::string& k : doomed) {
    batch.Delete(uploads_, k);
  }
  if (!stale.empty()) {
    spdlog::info("dropped {} attachment upload(s) that had no chunk for {}", stale.size(),
                 absl::FormatDuration(kStaleUploadAfter));
  }
  return static_cast<int>(stale.size());
}

absl::Status Attachments::Erase(store::Batch& batch, const store::Store& store,
                                const std::vector<std::string>& referral_ids,
                                const std::set<std::string>& shas) const {
  // Every key first, then the deletes: a failed scan leaves the batch untouched.
  std::vector<std::string> uploads;
  LOTSE_RETURN_IF_ERROR(store.Scan(uploads_, std::string(1, kHeaderPrefix), "",
                                   [&](std::string_view key, std::string_view value) {
                                     for (const std::string& id : referral_ids) {
                                       if (value.find(id) != std::string_view::npos) {
                                         uploads.emplace_back(key.substr(1));
                                         break;
                                       }
                                     }
                                     return true;
                                   }));
  std::vector<std::string> doomed_uploads;
  for (const std::string& upload : uploads) {
    LOTSE_RETURN_IF_ERROR(
        store.Scan(uploads_, ChunkPrefix(upload), "", [&](std::string_view key, std::string_view) {
          doomed_uploads.emplace_back(key);
          return true;
        }));
    doomed_uploads.push_back(HeaderKey(upload));
  }
  std::vector<std::string> doomed_blobs;
  for (const std::string& sha : shas) {
    // The content's size under the hex digest, its pieces under the digest + offset.
    LOTSE_RETURN_IF_ERROR(store.Scan(blobs_, sha, "", [&](std::string_view key, std::string_view) {
      doomed_blobs.emplace_back(key);
      return true;
    }));
  }
  for (const std::string& k : doomed_uploads) {
    batch.Delete(uploads_, k);
  }
  for (const std::string& k : doomed_blobs) {
    batch.Delete(blobs_, k);
  }
  return absl::OkStatus();
}

}  // namespace lotse::intake
