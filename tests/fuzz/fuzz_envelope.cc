// libFuzzer target: bytes as an event (lotse.v1.Envelope) that a consumer fetched from a
// producer's log, and everything a consumer does with it. See tests/fuzz/README.md.
//
// The bytes come from another service, but the log endpoints are reachable by anyone who can
// reach the set, and a producer's bug or a damaged disk can put anything into an outbox. So an
// event that parses must be applied or refused with a Status (the runner dead-letters it), by
// every service, without a crash and without a partial write.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/format.h"
#include "common/service/errors.h"
#include "common/service/telemetry.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/notification.pb.h"
#include "services/audit/evaluation.h"
#include "services/notification/messages.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using lotse::config::Service;
using lotse::fuzz::Fail;

// The services and the streams they consume (services/*/README.md).
struct Consumer {
  Service service;
  bool consumes_intake;
  bool consumes_routing;
  bool consumes_notification;
};
constexpr Consumer kConsumers[] = {
    {Service::kIntake, false, true, false},
    {Service::kRouting, true, false, false},
    {Service::kNotification, true, true, false},
    {Service::kAudit, true, true, true},
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  lotse::fuzz::ServiceSet::Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw = lotse::fuzz::AsText(data, size);
  lotse::v1::Envelope event;
  if (!event.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    // LogConsumer hands it on as unparsable and the runner dead-letters it. Protobuf's complaint
    // is dropped so that no input leaves state behind for the next.
    (void)lotse::service::TakeProtobufLog();
    return 0;
  }
  // Reserializing is stable: audit keeps the raw bytes, everyone else the parsed message.
  const std::string once = event.SerializeAsString();
  lotse::v1::Envelope again;
  if (!again.ParseFromString(once) || again.SerializeAsString() != once) {
    Fail("an Envelope does not survive reserialization", event.ShortDebugString());
  }
  // The tap and the metrics name the event by its payload.
  if (lotse::service::EventType(event.payload_case()).empty()) {
    Fail("EventType returned an empty name");
  }

  // Pure logic first: what notification would write, what audit would count.
  lotse::v1::ReferralNote note;
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    (void)absl::LoadTimeZone("Europe/Berlin", &tz);
    return tz;
  }();
  for (const lotse::notification::Outgoing& m :
       lotse::notification::MessagesFor(event, note, zone)) {
    if (m.recipient.empty()) {
      Fail("notification addresses a message to nobody", event.ShortDebugString());
    }
  }
  lotse::v1::ReferralFacts facts;
  lotse::audit::ApplyToFacts(event, facts);
  lotse::audit::ApplyToFacts(event, facts);  // a redelivery must not break anything either

  // Each consumer's real apply path, on the seeded store, as if the event came from each stream
  // the consumer reads. Never committed (see FuzzCommand).
  lotse::fuzz::ServiceSet& set = lotse::fuzz::ServiceSet::Get();
  for (const Consumer& c : kConsumers) {
    for (const auto& [stream, consumed] :
         {std::pair{"intake", c.consumes_intake}, std::pair{"routing", c.consumes_routing},
          std::pair{"notification", c.consumes_notification}}) {
      if (!consumed) {
        continue;
      }
      event.set_stream(stream);
      const std::string bytes = event.SerializeAsString();
      lotse::store::Batch batch(&set.store(c.service));
      const absl::Status status =
          set.handler(c.service).ApplyEvent(event, bytes, batch, lotse::fuzz::FixedNow());
      if (!status.ok() && !batch.empty()) {
        Fail("ApplyEvent failed but wrote to the batch",
             lotse::StrCat(lotse::config::ServiceName(c.service), ": ", status.ToString()));
      }
    }
  }
  return 0;
}
