#pragma once

// The company's feedback code (item 7 of the case work): printed on the receipt, it lets the
// company rate the answer itself without an account. 80 random bits from the OS's CSPRNG,
// written as 16 Crockford base32 characters in four groups ("K7QM-3XRT-9PAB-WD4E"): no I, L,
// O or U, and what a person may mistype for them (o -> 0, i/l -> 1, lower case, missing or extra
// dashes and spaces) is read as meant. Intake finds a code by the SHA-256 of its normal form.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/store.h"

namespace lotse::intake {

inline constexpr size_t kFeedbackCodeChars = 16;  // 80 bits

// A new random code, "XXXX-XXXX-XXXX-XXXX". Fails only if the OS has no randomness to give.
absl::StatusOr<std::string> NewFeedbackCode();

// The code as stored: 16 upper-case Crockford characters, lookalikes mapped, separators
// dropped. nullopt if it cannot be a code (wrong length or character).
std::optional<std::string> NormalizeFeedbackCode(std::string_view code);

// The index key of a normalized code: its SHA-256, 64 hex digits.
std::string FeedbackCodeKey(std::string_view normalized);

// What the index holds for one code.
struct FeedbackCodeRecord {
  std::string referral_id;
  int64_t expires_at_us = 0;
  int64_t used_at_us = 0;  // 0 while unused
  // Usable at `now`: not used and not expired.
  bool Usable(absl::Time now) const;
};
std::string EncodeFeedbackCodeRecord(const FeedbackCodeRecord& record);
std::optional<FeedbackCodeRecord> DecodeFeedbackCodeRecord(std::string_view bytes);

// The codes of intake's referrals in one column family: "h/<sha256 hex>" -> record, and
// "r/<referral id>" -> the printable code, so the office can print the receipt again. Holds only
// the family number; every read and write goes through the caller's batch. Thread-compatible.
class FeedbackCodes {
 public:
  explicit FeedbackCodes(store::Cf cf) : cf_(cf) {}
  // Stores a new code for `referral_id`.
  void Issue(store::Batch& batch, std::string_view referral_id, std::string_view code,
             int64_t expires_at_us) const;
  // The record of `code` (as a person typed it); nullopt if there is none or it cannot be a code.
  absl::StatusOr<std::optional<FeedbackCodeRecord>> Find(const store::Batch& batch,
                                                         std::string_view code) const;
  // Marks `code` (which Find found) as used at `now`.
  void MarkUsed(store::Batch& batch, std::string_view code, FeedbackCodeRecord record,
                absl::Time now) const;
  // The printable code of a referral, "" if it has none (referrals from before codes existed).
  absl::StatusOr<std::string> CodeOf(const store::Batch& batch,
                                     std::string_view referral_id) const;

 private:
  store::Cf cf_;
};

// Counts wrong codes per caller in memory: after `max_wrong` wrong codes within `window` the
// caller's further tries are refused until the oldest falls out of the window. In memory only:
// a restart forgives (80 bits leave nothing to gain from that). One thread.
class GuessLimiter {
 public:
  GuessLimiter(int max_wrong, absl::Duration window) : max_wrong_(max_wrong), window_(window) {}
  // True if `caller` may not try another code now.
  bool Blocked(std::string_view caller, absl::Time now);
  void RecordWrong(std::string_view caller, absl::Time now);

 private:
  void Expire(std::deque<absl::Time>& times, absl::Time now) const;
  int max_wrong_;
  absl::Duration window_;
  absl::flat_hash_map<std::string, std::deque<absl::Time>> wrong_;
};

}  // namespace lotse::intake
