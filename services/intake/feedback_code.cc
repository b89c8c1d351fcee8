#include "services/intake/feedback_code.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>

#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::intake {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford
constexpr std::string_view kHashPrefix = "h/";
constexpr std::string_view kReferralPrefix = "r/";

std::string HashKey(std::string_view normalized) {
  return StrCat(kHashPrefix, FeedbackCodeKey(normalized));
}

}  // namespace

absl::StatusOr<std::string> NewFeedbackCode() {
  std::array<unsigned char, kFeedbackCodeChars * 5 / 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return absl::UnavailableError("no randomness for a feedback code: the OS gave none");
  }
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      if (!out.empty() && (out.size() + 1) % 5 == 0) {
        out += '-';
      }
      out += kAlphabet[(buffer >> bits) & 31];
    }
  }
  return out;
}

std::optional<std::string> NormalizeFeedbackCode(std::string_view code) {
  std::string out;
  for (const char raw : code) {
    if (raw == '-' || raw == ' ') {
      continue;
    }
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    if (c == 'O') {
      c = '0';
    } else if (c == 'I' || c == 'L') {
      c = '1';
    }
    if (kAlphabet.find(c) == std::string_view::npos || out.size() == kFeedbackCodeChars) {
      return std::nullopt;
    }
    out += c;
  }
  if (out.size() != kFeedbackCodeChars) {
    return std::nullopt;
  }
  return out;
}

std::string FeedbackCodeKey(std::string_view normalized) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(),
         digest.data());
  std::string hex;
  for (const unsigned char b : digest) {
    hex += fmt::format("{:02x}", b);
  }
  return hex;
}

bool FeedbackCodeRecord::Usable(absl::Time now) const {
  return used_at_us == 0 && absl::ToUnixMicros(now) < expires_at_us;
}

std::string EncodeFeedbackCodeRecord(const FeedbackCodeRecord& record) {
  return StrCat(store::EncodeU64(static_cast<uint64_t>(record.expires_at_us)),
                store::EncodeU64(static_cast<uint64_t>(record.used_at_us)), record.referral_id);
}

std::optional<FeedbackCodeRecord> DecodeFeedbackCodeRecord(std::string_view bytes) {
  if (bytes.size() < 16) {
    return std::nullopt;
  }
  FeedbackCodeRecord record;
  record.expires_at_us = static_cast<int64_t>(store::DecodeU64(bytes.substr(0, 8)));
  record.used_at_us = static_cast<int64_t>(store::DecodeU64(bytes.substr(8, 8)));
  record.referral_id = std::string(bytes.substr(16));
  return record;
}

void FeedbackCodes::Issue(store::Batch& batch, std::string_view referral_id, std::string_view code,
                          int64_t expires_at_us) const {
  const std::optional<std::string> normalized = NormalizeFeedbackCode(code);
  FeedbackCodeRecord record;
  record.referral_id = std::string(referral_id);
  record.expires_at_us = expires_at_us;
  batch.Put(cf_, HashKey(normalized.value_or(std::string(code))),
            EncodeFeedbackCodeRecord(record));
  batch.Put(cf_, StrCat(kReferralPrefix, referral_id), code);
}

absl::StatusOr<std::optional<FeedbackCodeRecord>> FeedbackCodes::Find(
    const store::Batch& batch, std::string_view code) const {
  const std::optional<std::string> normalized = NormalizeFeedbackCode(code);
  if (!normalized.has_value()) {
    return std::nullopt;
  }
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value, batch.Get(cf_, HashKey(*normalized)));
  if (!value.has_value()) {
    return std::nullopt;
  }
  return DecodeFeedbackCodeRecord(*value);
}

void FeedbackCodes::MarkUsed(store::Batch& batch, std::string_view code,
                             FeedbackCodeRecord record, absl::Time now) const {
  record.used_at_us = absl::ToUnixMicros(now);
  batch.Put(cf_, HashKey(NormalizeFeedbackCode(code).value_or(std::string(code))),
            EncodeFeedbackCodeRecord(record));
}

absl::StatusOr<std::string> FeedbackCodes::CodeOf(const store::Batch& batch,
                                                  std::string_view referral_id) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> value,
                         batch.Get(cf_, StrCat(kReferralPrefix, referral_id)));
  return value.value_or("");
}

void GuessLimiter::Expire(std::deque<absl::Time>& times, absl::Time now) const {
  while (!times.empty() && times.front() <= now - window_) {
    times.pop_front();
  }
}

bool GuessLimiter::Blocked(std::string_view caller, absl::Time now) {
  auto it = wrong_.find(std::string(caller));
  if (it == wrong_.end()) {
    return false;
  }
  Expire(it->second, now);
  if (it->second.empty()) {
    wrong_.erase(it);
    return false;
  }
  return static_cast<int>(it->second.size()) >= max_wrong_;
}

void GuessLimiter::RecordWrong(std::string_view caller, absl::Time now) {
  std::deque<absl::Time>& times = wrong_[std::string(caller)];
  Expire(times, now);
  times.push_back(now);
}

}  // namespace lotse::intake
