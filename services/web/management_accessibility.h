#pragma once

// The accessibility statement (Erklärung zur Barrierefreiheit, BITV 2.0 § 7) and its feedback
// mechanism: a form anyone may send, without login, to report a barrier. Each report is kept as
// a file of its own in <data-dir>/web/barrier-reports (0600) for the admin to read in the
// terminal, and, with [web] accessibility_contact and [notification] smtp_url, mailed there.

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/config.h"
#include "services/web/html.h"

namespace lotse::web {

// The date the statement was made or last reviewed; change it with every review.
inline constexpr std::string_view kStatementDate = "06.12.2026";

// One report of a barrier, as sent with the form.
struct BarrierReport {
  std::string id;  // given when stored: "20261206T113512Z-3fa9c2d1"
  absl::Time received_at;
  std::string text;     // what does not work (required)
  std::string page;     // where: an address or a page's name (optional)
  std::string name;     // optional
  std::string contact;  // optional: e-mail or phone for an answer
};

// The report a form holds: its fields text, seite, name and kontakt.
BarrierReport ReportOf(const Form& form);
// What is wrong with a report, in German, by the form's field names; empty: it may be stored.
std::map<std::string, std::string, std::less<>> CheckBarrierReport(const BarrierReport& report);
inline constexpr size_t kMaxReportText = 5000;  // bytes
inline constexpr size_t kMaxReportField = 300;

// The reports on disk, one file each. Thread-safe.
class BarrierReports {
 public:
  explicit BarrierReports(std::string dir);
  BarrierReports(const BarrierReports&) = delete;
  BarrierReports& operator=(const BarrierReports&) = delete;
  ~BarrierReports() = default;

  // Stores `report` (giving it its id and `now` as received_at) durably: written, synced, then
  // renamed into place. ResourceExhausted when kMaxStoredReports are waiting already.
  absl::Status Add(BarrierReport& report, absl::Time now);
  // Newest first. A file that cannot be read is skipped.
  absl::StatusOr<std::vector<BarrierReport>> List() const;
  size_t Count() const;
  // Deletes the report (done with it). NotFound if there is none of that id.
  absl::Status Remove(std::string_view id);

 private:
  mutable std::mutex mu_;
  std::string dir_;
};
inline constexpr size_t kMaxStoredReports = 1000;

// The text of a report's file, and back (nullopt: not a report).
std::string FormatReport(const BarrierReport& report);
std::optional<BarrierReport> ParseReport(std::string_view id, std::string_view file);

// At most kReportsPerHour reports per client address and kAllReportsPerHour from all in an
// hour: the form needs no login. Thread-safe.
class ReportThrottle {
 public:
  bool Allow(const std::string& address, absl::Time now);

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<absl::Time>> by_address_;
  std::vector<absl::Time> all_;
};
inline constexpr size_t kReportsPerHour = 5;
inline constexpr size_t kAllReportsPerHour = 60;

// What the statement's page shows of its form: what was typed, what is wrong, or that it went.
struct ReportForm {
  Form form;            // text, seite, name, kontakt; errors by field
  std::string refused;  // the whole form refused (throttled, store full), German
  bool sent = false;
};

// The statement's main content.
std::string AccessibilityStatementMain(const config::Config& config, const ReportForm& form,
                                       bool for_admin, size_t waiting_reports);
// The admin's list of reports, each with a form that deletes it (CSRF token).
std::string BarrierReportsMain(const std::vector<BarrierReport>& reports,
                               std::string_view csrf_token, const absl::TimeZone& zone);

// The mail that tells the city's contact of a report (RFC 5322, UTF-8 text, base64).
std::string BarrierReportMail(const config::Config& config, const BarrierReport& report,
                              absl::Time now);
// Sends `message` to `to` over [notification]'s SMTP (its URL, TLS rule and sender).
absl::Status SendMail(const config::Notification& smtp, std::string_view to,
                      std::string_view message);

}  // namespace lotse::web
