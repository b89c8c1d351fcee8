#include "common/service/expiry.h"

#include <algorithm>

#include "common/format.h"
#include "common/ops/metrics.h"
#include "common/store/trim.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/events.pb.h"
#include "spdlog/spdlog.h"

namespace lotse::service {
namespace {

using google::protobuf::internal::WireFormatLite;

constexpr std::string_view kExpiredName = "lotse_expired_total";
constexpr std::string_view kExpiredHelp =
    "Keys deleted because their retention was up ([retention]), per family: outbox events "
    "every consumer had, idempotency records, dead letters, read inbox messages.";
constexpr std::string_view kIdempotencyCursor = "expiry_cursor/idempotency";
constexpr std::string_view kDeadLetterCursor = "expiry_cursor/dead_letter";

// A pass that still has work takes its next step after this pause, so commands and events
// between the steps are served promptly.
constexpr absl::Duration kStepPause = absl::Milliseconds(2);
// Between passes the service clock is looked at this often (the loop wakes at least this often
// anyway).
constexpr absl::Duration kIdleCheck = absl::Seconds(1);

}  // namespace

std::optional<absl::Time> OccurredAt(std::string_view raw) {
  // Reads only the one field, without parsing the whole envelope (texts and all).
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(raw.data()),
                                            static_cast<int>(raw.size()));
  const int field = lotse::v1::Envelope::kOccurredAtUsFieldNumber;
  while (const uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == field &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t us = 0;
      if (!in.ReadVarint64(&us)) {
        return std::nullopt;
      }
      return clock::FromMicros(static_cast<int64_t>(us));
    }
    if (!WireFormatLite::SkipField(&in, tag)) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

ExpiryOptions ExpiryOptionsFrom(const config::Retention& retention) {
  ExpiryOptions options;
  options.log_min_age = absl::Hours(retention.log_min_hours);
  options.idempotency = absl::Hours(24) * retention.idempotency_days;
  options.dead_letter = absl::Hours(24) * retention.dead_letter_days;
  options.scan_interval = absl::Minutes(retention.scan_minutes);
  return options;
}

ops::Counter& ExpiredCounter(std::string_view family) {
  return ops::DefaultRegistry().GetCounter(kExpiredName, kExpiredHelp,
                                           {{"family", std::string(family)}});
}

void CountExpired(std::string_view family, uint64_t n) { ExpiredCounter(family).Add(n); }

Expiry::Expiry(store::Store& store, const clock::Clock& clock, ExpiryOptions options)
    : store_(store), clock_(clock), options_(options) {}

absl::Status Expiry::Start() {
  absl::StatusOr<uint64_t> first = store::FirstOutboxSeq(store_);
  if (!first.ok()) {
    return first.status();
  }
  first_seq_ = *first;
  // The counters start at 0, so that increase() sees their first step.
  for (std::string_view family : {"outbox", "idempotency", "dead_letter"}) {
    CountExpired(family, 0);
  }
  return absl::OkStatus();
}

ExpiryCounts Expiry::Step(uint64_t acknowledged) {
  ExpiryCounts counts;
  const absl::Time now = clock_.Now();
  if (outbox_done_ && idempotency_done_ && dead_letters_done_) {
    if (now < next_pass_) {
      next_step_ = absl::Now() + kIdleCheck;
      return counts;
    }
    next_pass_ = now + options_.scan_interval;
    outbox_done_ = !options_.trim_outbox;
    idempotency_done_ = false;
    dead_letters_done_ = false;
  }
  if (!outbox_done_) {
    const absl::Time cutoff = now - options_.log_min_age;
    absl::StatusOr<store::TrimStep> step =
        store::TrimOutbox(store_, first_seq_, acknowledged, options_.step_keys,
                          [&](uint64_t, std::string_view value) {
                            const std::optional<absl::Time> at = OccurredAt(value);
                            return at.has_value() && *at <= cutoff;
                          });
    if (step.ok()) {
      counts.outbox = step->deleted;
      if (step->first_kept != 0) {
        first_seq_ = step->first_kept;
      }
      outbox_done_ = !step->more;
    } else {
      spdlog::error("trimming the outbox failed; trying again at the next scan: {}",
                    step.status().message());
      outbox_done_ = true;
    }
  }
  if (!idempotency_done_) {
    const int64_t cutoff_us = clock::ToMicros(now - options_.idempotency);
    absl::StatusOr<store::ExpiryStep> step = store::ExpireStep(
        store_, store::kIdempotency, kIdempotencyCursor, options_.step_keys,
        [&](std::string_view, std::string_view value) {
          lotse::v1::IdempotencyRecord record;
          return record.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
                 record.stored_at_us() != 0 && record.stored_at_us() <= cutoff_us;
        });
    if (step.ok()) {
      counts.idempotency = step->deleted;
      idempotency_done_ = step->pass_done;
    } else {
      spdlog::error("expiring idempotency records failed; trying again at the next scan: {}",
                    step.status().message());
      idempotency_done_ = true;
    }
  }
  if (!dead_letters_done_) {
    const int64_t cutoff_us = clock::ToMicros(now - options_.dead_letter);
    absl::StatusOr<store::ExpiryStep> step = store::ExpireStep(
        store_, store::kDeadLetter, kDeadLetterCursor, options_.step_keys,
        [&](std::string_view, std::string_view value) {
          lotse::v1::DeadLetter dead;
          return dead.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
                 dead.at_us() != 0 && dead.at_us() <= cutoff_us;
        });
    if (step.ok()) {
      counts.dead_letter = step->deleted;
      dead_letters_done_ = step->pass_done;
    } else {
      spdlog::error("expiring dead letters failed; trying again at the next scan: {}",
                    step.status().message());
      dead_letters_done_ = true;
    }
  }
  const bool more = !(outbox_done_ && idempotency_done_ && dead_letters_done_);
  next_step_ = absl::Now() + (more ? kStepPause : kIdleCheck);
  return counts;
}

}  // namespace lotse::service
