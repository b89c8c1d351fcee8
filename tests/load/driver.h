#pragma once

#include "tests/load/options.h"

namespace lotse::load {

// Exit codes of lotse-load.
inline constexpr int kExitPassed = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitSetup = 2;  // the set could not be started or asked: nothing checked

// Runs one load test as `options` says: starts the set, drives load and faults, lets the set
// settle, stops it, checks its final state against the ledger, and prints the report (JSON on
// stdout with --json, a summary on stderr). Returns the exit code.
int RunLoad(const LoadOptions& options);

}  // namespace lotse::load
