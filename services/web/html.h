#pragma once

// The web terminal's pages as HTML, German, built on the server: every text that comes from a
// person or a service goes through Escape, so a question with "<script>" shows as text. No
// inline script or style (the Content-Security-Policy forbids both); the look is /static/lotse.css.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/notification.pb.h"

namespace lotse::web {

// & < > " ' as entities (the receipt's escaping: common/receipt).
std::string Escape(std::string_view text);
// Letters, digits and -._~ as they are, every other byte %-encoded: a safe URL path segment or
// query value.
std::string UrlEncode(std::string_view text);

// Who is logged in, for the page's head line and the logout form.
struct Viewer {
  std::string display_name;
  std::string acts_for;    // "Bürgerbüro Mitte", "Bauordnungsamt (als bo-mueller)"
  std::string csrf_token;  // for the logout form
  lotse::v1::ActorKind kind = lotse::v1::ACTOR_KIND_UNSPECIFIED;  // which pages the menu offers
  bool several_roles = false;  // the menu offers to change whom the person acts for
  bool key_account = false;    // a KAM: the menu offers the company files
};

// A whole page: title, the menu for the viewer's role and the viewer's line (neither on the
// login page), the main content (HTML), and the footer with the accessibility statement.
std::string Page(std::string_view title, const Viewer* viewer, std::string_view main_html);

// The login form; `error` (already German) shows next to the fields, `login` keeps what was
// typed.
std::string LoginPage(std::string_view error, std::string_view login);

// The inbox: newest last, each message with its time, title (a link to its referral under
// `link_base`, "/anfragen/" or "/vorgaenge/", where it names one) and text, and a form that
// marks them read (up to the last one shown); the list takes new messages live.
std::string InboxPage(const Viewer& viewer, std::string_view inbox_name,
                      const std::vector<lotse::v1::InboxMessage>& messages,
                      std::string_view link_base, const absl::TimeZone& zone);
// One message of the list, as the page shows it and the live stream sends it.
std::string InboxMessageHtml(const lotse::v1::InboxMessage& message, std::string_view link_base,
                             const absl::TimeZone& zone);

// A form as typed and its errors by field name, German, so that a refused form comes back with
// every value kept and each error next to its field.
struct Form {
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, std::string, std::less<>> errors;
  const std::string& Value(std::string_view name) const;
  const std::string& Error(std::string_view name) const;
  bool ok() const { return errors.empty(); }
};

// Form controls, each with its <label>, the typed value and its error (aria-invalid,
// aria-describedby pointing at the message). `attrs` are more attributes, already HTML
// (" required maxlength=\"4096\""); `hint` a line of help under the label.
std::string TextField(const Form& form, std::string_view name, std::string_view label,
                      std::string_view attrs = "", std::string_view hint = "");
std::string TextArea(const Form& form, std::string_view name, std::string_view label,
                     std::string_view attrs = "", std::string_view hint = "");
// A file chooser (<input type="file">) with its label, hint and error as above. A browser cannot
// be given files back, so a form that returns says in the error which files to choose again.
std::string FileField(const Form& form, std::string_view name, std::string_view label,
                      std::string_view attrs = "", std::string_view hint = "");
// A <select> of (value, label) pairs; the typed value is selected.
std::string Select(const Form& form, std::string_view name, std::string_view label,
                   const std::vector<std::pair<std::string, std::string>>& options,
                   std::string_view attrs = "");
// Radio buttons in a <fieldset> with `legend`.
std::string Radios(const Form& form, std::string_view name, std::string_view legend,
                   const std::vector<std::pair<std::string, std::string>>& options);
std::string Hidden(std::string_view name, std::string_view value);
// The session's CSRF token as the hidden field `csrf` every changing form carries.
std::string CsrfField(const Viewer& viewer);
// A list of the form's errors at its top, each a link to its field (role="alert").
std::string ErrorSummary(const Form& form);

// "05.12.2026 14:30" in the city's time; "" for 0.
std::string DateTime(int64_t micros, const absl::TimeZone& zone);
// A referral's state as the office and the department say it: "beim Fachamt",
// "in Bearbeitung", "wartet auf das Unternehmen", "beantwortet", "abgeschlossen".
std::string StatusWord(lotse::v1::ReferralStatus status, bool waiting);
std::string PriorityWord(lotse::v1::Priority priority);
std::string OutcomeWord(lotse::v1::Outcome outcome);

// A page that says what went wrong and what to do, for 403, 404 and 503.
std::string ProblemPage(const Viewer* viewer, std::string_view title, std::string_view text);

// A file under /static/ (static/ in the source, built in): its bytes and content type, or
// nullptr for an unknown name.
struct StaticFile {
  std::string_view name;  // "lotse.css"
  std::string_view content_type;
  std::string_view bytes;
};
const StaticFile* FindStaticFile(std::string_view name);

}  // namespace lotse::web
