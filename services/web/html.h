#pragma once

// The web terminal's pages as HTML, German, built on the server: every text that comes from a
// person or a service goes through Escape, so a question with "<script>" shows as text. No
// inline script or style (the Content-Security-Policy forbids both); the look is /static/lotse.css.

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/notification.pb.h"

namespace lotse::web {

// & < > " ' as entities (the receipt's escaping: common/receipt).
std::string Escape(std::string_view text);

// Who is logged in, for the page's head line and the logout form.
struct Viewer {
  std::string display_name;
  std::string acts_for;    // "Bürgerbüro Mitte", "Bauordnungsamt (als bo-mueller)"
  std::string csrf_token;  // for the logout form
  lotse::v1::ActorKind kind = lotse::v1::ACTOR_KIND_UNSPECIFIED;  // which pages the menu offers
  bool several_roles = false;  // the menu offers to change whom the person acts for
};

// A whole page: title, the menu for the viewer's role and the viewer's line (neither on the
// login page), the main content (HTML), and the footer with the accessibility statement.
std::string Page(std::string_view title, const Viewer* viewer, std::string_view main_html);

// The login form; `error` (already German) shows next to the fields, `login` keeps what was
// typed.
std::string LoginPage(std::string_view error, std::string_view login);

// The inbox: newest last, each message with its time, title and text, and a form that marks
// them read (up to the last one shown).
std::string InboxPage(const Viewer& viewer, std::string_view inbox_name,
                      const std::vector<lotse::v1::InboxMessage>& messages,
                      const absl::TimeZone& zone);

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
