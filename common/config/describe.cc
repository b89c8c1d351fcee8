// Describe(): the effective config in a few lines for the start-up log (declared in config.h).

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "common/config/problems.h"

namespace lotse::config {

using internal::FormatNumber;
using internal::ToAbsl;

std::string Describe(const Config& config) {
  std::string out;
  absl::StrAppend(&out, "city: ", config.city.name, " (state ", config.city.state, ", time zone ",
                  config.city.timezone, ", ", config.city.closing_days.size(), " closing days)\n");
  absl::StrAppend(&out, "data_dir: ", config.data_dir, "\n");
  for (int i = 0; i < kServiceCount; ++i) {
    const auto service = static_cast<Service>(i);
    absl::StrAppend(
        &out, ToAbsl(ServiceName(service)), ": commands ", config.network.CommandEndpoint(service),
        ", log ", config.network.LogEndpoint(service), ", ops http://",
        config.network.OpsHostOf(service), ":", config.network.OpsPort(service), ", tap ",
        config.network.TapEndpoint(service), ", data ", config.ServiceDataDir(service), "\n");
  }
  if (!config.network.listen.empty()) {
    absl::StrAppend(&out, "every door bound on ", config.network.listen, "\n");
  }
  absl::StrAppend(&out, "web: http", config.web.tls_cert.empty() ? "" : "s", "://",
                  config.network.WebHost(), ":", config.WebPort(), "/, accounts door ",
                  config.network.WebCommandEndpoint(), ", data ", config.WebDataDir(), "\n");
  size_t companies = 0;
  for (const KeyAccount& account : config.key_accounts) {
    companies += account.companies.size();
  }
  absl::StrAppend(&out, "rules: ", config.departments.size(), " departments, ",
                  config.topics.size(), " topics, ", config.offices.size(), " offices, ",
                  config.key_accounts.size(), " key accounts (", companies, " companies), ",
                  config.routing.overrides.size(), " office override(s); default department ",
                  config.routing.default_department, ", forward limit ",
                  config.routing.forward_limit, ", warning at ",
                  FormatNumber(config.routing.warning_share * 100), "% of the SLA\n");
  if (config.notification.smtp_url.empty()) {
    absl::StrAppend(&out, "e-mail: off (notification.smtp_url is empty)\n");
  } else {
    const Notification& n = config.notification;
    absl::StrAppend(&out, "e-mail: via ", RedactedUrl(n.smtp_url),
                    n.smtp_tls == "off" ? " (plain SMTP: smtp_tls = \"off\")" : " (TLS required)",
                    ", retry ", n.retry_initial_ms, "..", n.retry_max_ms, " ms, at most ",
                    n.max_attempts, " attempts\n");
  }
  absl::StrAppend(&out, "log: level ", config.log.level, ", format ", config.log.format, "\n");
  const Retention& r = config.retention;
  absl::StrAppend(&out, "retention: personal data ", r.personal_data_days,
                  " days after closing, referrals ", r.referral_years, " years, replies ",
                  r.idempotency_days, " days, read inbox messages ", r.inbox_days,
                  " days, dead letters ", r.dead_letter_days, " days, event log at least ",
                  r.log_min_hours, " hours\n");
  if (config.clock.start.has_value() || config.clock.speedup != 1.0) {
    absl::StrAppend(
        &out, "clock: speedup ", FormatNumber(config.clock.speedup), "x, start ",
        config.clock.start.has_value()
            ? absl::FormatTime(absl::RFC3339_full, *config.clock.start, config.city.zone)
            : std::string("now"),
        "\n");
  } else {
    absl::StrAppend(&out, "clock: real time\n");
  }
  const Limits& limits = config.limits;
  absl::StrAppend(&out, "limits: subject ", limits.max_subject_bytes, " B, text ",
                  limits.max_text_bytes, " B, message ", limits.max_message_bytes, " B, request ",
                  limits.request_timeout_ms, " ms x ", limits.request_retries + 1, " tries, fetch ",
                  limits.fetch_wait_ms, " ms / ", limits.fetch_max_events, " events / ",
                  limits.fetch_max_bytes, " B, commit batch ", limits.commit_max_batch,
                  ", min free disk ", limits.min_free_disk_mb, " MB");
  absl::StrAppend(&out, "\nscheduling: nice");
  for (int i = 0; i < kServiceCount; ++i) {
    absl::StrAppend(&out, i == 0 ? " " : ", ", ToAbsl(ServiceName(static_cast<Service>(i))), " ",
                    config.scheduling.nice[i]);
  }
  return out;
}

}  // namespace lotse::config
