// libFuzzer target: bytes as the TOML config file of a set (lotse::config::ParseConfig). See
// tests/fuzz/README.md.
//
// A config is written by people, often by copying and editing the sample: any text must give a
// config or a list of problems, never a crash or a hang. A config that passes validation must
// also start every service: the business calendars, routing's rules and audit's evaluator are
// built from it at start-up, and "validated" promises that they can be.
#include <cstddef>
#include <cstdint>

#include "common/config/calendars.h"
#include "common/config/config.h"
#include "services/audit/evaluation.h"
#include "services/routing/rules.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  lotse::fuzz::InitProcess();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<lotse::config::Config> config =
      lotse::config::ParseConfig(lotse::fuzz::AsText(data, size), "fuzz.toml");
  if (!config.ok()) {
    if (config.status().message().empty()) {
      lotse::fuzz::Fail("a config was refused without saying why");
    }
    return 0;
  }
  (void)lotse::config::Describe(*config);
  for (const auto& [what, status] :
       {std::pair{"BuildCalendars", lotse::config::BuildCalendars(*config).status()},
        std::pair{"routing::Rules::Create", lotse::routing::Rules::Create(*config).status()},
        std::pair{"audit::Evaluator::Create", lotse::audit::Evaluator::Create(*config).status()}}) {
    if (!status.ok()) {
      lotse::fuzz::Fail(what, "refused a config that ParseConfig accepted: " + status.ToString());
    }
  }
  return 0;
}
