// lotse: the command-line client of Lotse; `lotse up` runs the set of services.
#include <cstdio>
#include <exception>

#include "services/cli/commands.h"

int main(int argc, char** argv) {
  try {
    return lotse::cli::RunCommandLine(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse: unexpected failure: %s\n", e.what());
    return 1;
  }
}
