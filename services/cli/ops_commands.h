#pragma once

#include <string>

#include "absl/time/time.h"
#include "common/client/client.h"
#include "common/config/config.h"

namespace lotse::cli {

// The operators' commands. They read every service's ops port (HTTP) and live tap (XPUB); they
// print a table (or JSON with `json`) and return the process exit code.

// `lotse status` without a referral: every service's state. Exit 0 if all are ready, 1 if one
// is up but not ready, 3 if one does not answer.
int ShowSetStatus(const config::Config& config, const absl::TimeZone& zone, bool json);

// `lotse lag`: every consumer and stream: head, offset, lag, rate. Exit 0, or 3 if a service
// does not answer.
int ShowLag(const config::Config& config, bool json);

struct TapOptions {
  std::string referral;  // referral id or case number; empty: all
  std::string stream;    // only events of this stream; empty: all
  int count = 0;         // stop after this many lines; 0: until Ctrl-C
  double seconds = 0;    // stop after this long; 0: until Ctrl-C
  bool json = false;
};
// `lotse tap`: the live event flow across all services, one line per committed event.
int Tap(const config::Config& config, const absl::TimeZone& zone,
        const absl::StatusOr<client::Credentials>& credentials, const TapOptions& options);

}  // namespace lotse::cli
