#include "tests/load/options.h"

#include <cstdlib>
#include <random>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "common/format.h"

namespace lotse::load {
namespace {

// The command line as a shell would take it back: arguments with special characters quoted.
std::string Quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_=./,:@+%") == std::string::npos) {
    return arg;
  }
  std::string out = "'";
  for (char c : arg) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

}  // namespace

absl::StatusOr<LoadOptions> ParseOptions(int argc, char** argv) {
  LoadOptions o;
  std::vector<std::string> faults;
  std::vector<std::string> env;
  CLI::App app(
      "lotse-load: starts the four Lotse services, puts them under load from simulated citizen "
      "offices and departments while injecting faults, then checks that nothing acknowledged was "
      "lost or duplicated and that the audit chain holds every event once, in order.");
  app.add_option("--seconds", o.seconds, "duration of the load phase")->check(CLI::Range(1, 86400));
  app.add_option("--rate", o.rate, "referrals submitted per second (open loop)")
      ->check(CLI::Range(0.1, 100000.0));
  app.add_option("--fault", faults,
                 "faults to inject (repeat or comma-separate): kill9, kill9-all, sigstop, "
                 "slow-consumer, sigterm")
      ->delimiter(',')
      ->check(CLI::IsMember({"kill9", "kill9-all", "sigstop", "slow-consumer", "sigterm"}));
  app.add_option("--kill-interval-ms", o.kill_interval_ms,
                 "mean time between two kill -9 of a service; sigstop comes every 2x, sigterm "
                 "every 3x, kill9-all every 5x this interval")
      ->check(CLI::Range(200, 3600000));
  app.add_option("--seed", o.seed, "seed of every random choice of the driver (0 = random)");
  app.add_flag("--json", o.json, "print the report as JSON on stdout");
  app.add_flag("--keep-dir", o.keep_dir, "keep the data directory and the service logs");
  app.add_option("--bin-dir", o.bin_dir,
                 "directory of lotse-intake, lotse-routing, lotse-notification, lotse-audit "
                 "(default: beside lotse-load)");
  app.add_option("--env", env, "NAME=VALUE added to the services' environment (repeatable)");
  app.add_flag("--expect-violations", o.expect_violations,
               "negative control: exit 0 only if the checker finds losses, duplicates, order "
               "violations or an audit chain that does not verify");
  app.add_option("--min-kills-per-service", o.min_kills_per_service,
                 "fail the run if kill9 hit some service fewer times than this");
  app.add_option("--resend-share", o.resend_share,
                 "share of acknowledged commands sent again with the same idempotency key")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--staff", o.staff, "worker threads per department (0 = from the rate)")
      ->check(CLI::Range(0, 64));
  app.add_option("--quiesce-timeout-s", o.quiesce_timeout_s,
                 "how long the set may take to settle after the load")
      ->check(CLI::Range(5, 7200));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  o.faults.insert(faults.begin(), faults.end());
  for (const std::string& e : env) {
    const size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          StrCat("--env ", e, ": write NAME=VALUE, e.g. --env LOTSE_UNSAFE_FAULT=no-dedup"));
    }
    o.env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
  }
  if (o.seed == 0) {
    o.seed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
  }
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) {
    words.push_back(Quote(argv[i]));
  }
  o.command_line = absl::StrJoin(words, " ");
  return o;
}

}  // namespace lotse::load
