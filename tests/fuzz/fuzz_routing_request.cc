// libFuzzer target: bytes from the network as a request body on routing's command endpoint, through
// the real RoutingService handler on a seeded store. See tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>

#include "lotse/v1/routing.pb.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  lotse::fuzz::ServiceSet::Get();  // start-up and seeding outside the measured inputs
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lotse::fuzz::FuzzCommand<lotse::v1::RoutingRequest, lotse::v1::RoutingReply>(
      lotse::config::Service::kRouting, lotse::fuzz::AsText(data, size));
  return 0;
}
