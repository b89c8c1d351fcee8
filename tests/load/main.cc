// lotse-load: the four services under open-loop load and injected faults, then a check that
// nothing acknowledged was lost or duplicated. See tests/load/README.md.
#include <csignal>
#include <cstdio>
#include <exception>

#include "tests/load/driver.h"
#include "tests/load/options.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    absl::StatusOr<lotse::load::LoadOptions> options = lotse::load::ParseOptions(argc, argv);
    if (!options.ok()) {
      std::fprintf(stderr, "lotse-load: %s\n", std::string(options.status().message()).c_str());
      return lotse::load::kExitSetup;
    }
    return lotse::load::RunLoad(*options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse-load failed: %s\n", e.what());
    return lotse::load::kExitSetup;
  }
}
