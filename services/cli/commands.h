#pragma once

namespace lotse::cli {

// What `lotse` exits with.
enum ExitCode : int {
  kExitOk = 0,
  kExitRefused = 1,      // the service answered with a structured error (or `up` cannot start)
  kExitUsage = 2,        // bad command line, bad option value, or a bad configuration
  kExitUnavailable = 3,  // no (usable) answer from the service
};

// Parses the command line of `lotse`, runs the command, prints its result (readable, or one
// JSON document with --json) and returns the exit code. Errors are one line on stderr:
// "lotse <command>: <what is wrong and what to do>".
int RunCommandLine(int argc, char** argv);

}  // namespace lotse::cli
