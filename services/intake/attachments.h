#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/intake.pb.h"
#include "services/intake/office_list.h"

namespace lotse::intake {

// Documents attached to a referral (plans, letters). Intake owns them: they are personal data,
// kept beside the referral as submitted.
//
// A file travels in chunks of at most kChunkBytes, each an AttachRequest with the whole file's
// name, size and SHA-256, and the chunks of one upload share an idempotency key. Chunks are
// staged in the uploads family under (actor, key, offset) and must come in order. The last one
// checks the SHA-256 over all bytes and, in one batch, stores the content once by its hash in
// the blob family (RocksDB blob files), appends the AttachmentRef to the referral, deletes the
// staged chunks and emits AttachmentAdded: hash and size, never the bytes. A chunk repeated
// with the same key, offset and bytes gets the reply it got before.
//
// A name is unique within a referral: a second file of the same name is refused
// (ALREADY_EXISTS); the office chooses another name. Versions would make "the plan" ambiguous
// in the history, and a new name is cheap.
//
// Who may attach and read: the referral's office, the department or key account manager it is
// with now, its company's key account manager, every department consulted on it, and admin
// (the rule routing and audit apply to the referral itself). Anyone else gets NotYours.

inline constexpr uint64_t kMaxAttachmentBytes = uint64_t{10} << 20;          // per file
inline constexpr uint64_t kMaxReferralAttachmentBytes = uint64_t{50} << 20;  // per referral
inline constexpr uint64_t kChunkBytes = uint64_t{512} << 10;  // per message, either way
inline constexpr size_t kMaxAttachmentNameBytes = 255;
// An upload without a chunk for this long is dropped with its staged chunks.
inline constexpr absl::Duration kStaleUploadAfter = absl::Hours(1);

// Checks a file name: 1..255 bytes of valid UTF-8, no path (no '/' or '\\', no drive letter
// "C:", not "." or ".."), no control characters. Errors name the field "name".
absl::Status CheckAttachmentName(std::string_view name);

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// Whether `actor` may attach to and read the attachments of the referral `state`.
bool MayUseAttachments(const lotse::v1::ReferralState& state, const lotse::v1::Actor& actor);

// Keeps intake's mirror of the referral knowing which departments were consulted on it (for
// MayUseAttachments): the departments of a ConsultationOpened, without its question.
void MirrorConsultation(const lotse::v1::Envelope& event, lotse::v1::ReferralState& state);

// The attachments of one intake store: staged uploads and stored blobs. Holds only family
// numbers and the referral table; every read and write goes through the caller's batch, and a
// failed call has written nothing to it. Used on the service thread.
class Attachments {
 public:
  Attachments(ReferralRecords referrals, store::Cf uploads, store::Cf blobs)
      : referrals_(referrals), uploads_(uploads), blobs_(blobs) {}

  // One chunk of an upload by `actor` (the effective actor of the request). `store` is the
  // batch's store: its free disk and the outbox the event goes to.
  absl::StatusOr<lotse::v1::IntakeReply> Attach(const lotse::v1::AttachRequest& request,
                                                const lotse::v1::Actor& actor,
                                                store::Batch& batch, store::Store& store,
                                                absl::Time now) const;

  // A part of an attachment, or with an empty name the list of the referral's attachments.
  absl::StatusOr<lotse::v1::IntakeReply> Read(const lotse::v1::GetAttachmentRequest& request,
                                              const lotse::v1::Actor& actor,
                                              const store::Batch& batch) const;

  // Erasure: deletes the uploads in progress for `referral_ids` and the stored contents
  // `shas` (hex; the caller keeps those another referral still carries). Writes into `batch`.
  absl::Status Erase(store::Batch& batch, const store::Store& store,
                     const std::vector<std::string>& referral_ids,
                     const std::set<std::string>& shas) const;
  // Drops uploads that had no chunk for kStaleUploadAfter (at most `max_uploads` per call),
  // reading what `store` has committed. Returns how many it dropped.
  absl::StatusOr<int> DropStale(store::Batch& batch, const store::Store& store, absl::Time now,
                                int max_uploads = 64) const;

 private:
  ReferralRecords referrals_;
  store::Cf uploads_;
  store::Cf blobs_;
};

}  // namespace lotse::intake
