// libFuzzer target: bytes from the network as a request body on notification's command endpoint,
// through the real NotificationService handler on a seeded store. See tests/fuzz/README.md.
//
// Notification is the one service that parks requests (an inbox read with wait_ms on an empty
// inbox), so every input also goes through HandleCommand with a client route, as the runner calls it:
// a parked request is then answered by AfterCommit() once its wait passes. Inputs without a
// route never park and are checked like the other services' replies.
#include <cstddef>
#include <cstdint>

#include "lotse/v1/notification.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using lotse::v1::NotificationReply;
using lotse::v1::NotificationRequest;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  lotse::fuzz::ServiceSet::Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = lotse::fuzz::AsText(data, size);
  lotse::fuzz::FuzzCommand<NotificationRequest, NotificationReply>(
      lotse::config::Service::kNotification, body);

  // With a route, as the runner calls it. One fixed client identity, so at most one request is
  // parked at a time (a client's new request replaces its parked one); the reply to it goes to
  // a peer that is not connected, which the ROUTER reports and the runner ignores.
  lotse::fuzz::ServiceSet& set = lotse::fuzz::ServiceSet::Get();
  lotse::store::Batch batch(&set.store(lotse::config::Service::kNotification));
  NotificationRequest request;
  (void)request.ParseFromArray(body.data(), static_cast<int>(body.size()));
  const std::optional<std::string> reply = set.notification().HandleCommand(
      set.Arriving(body, request.actor(), {"fuzz-client"}), set.directory(), batch,
      lotse::fuzz::FixedNow());
  if (reply.has_value()) {
    lotse::fuzz::CheckReply<NotificationRequest, NotificationReply>(body, *reply, batch);
  }
  set.notification().AfterCommit();
  return 0;
}
