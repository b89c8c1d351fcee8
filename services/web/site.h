#pragma once

// What every page and API handler of lotse-web shares: who is calling (the session, its account
// and the role it acts in), the city's config, the client to the services, and the answers every
// handler gives the same way. Each area of the terminal adds its own routes with an Add*
// function (pages_office.cc, pages_desk.cc, pages_management.cc, api.cc), so that a newcomer
// finds a page's handler, its permission check and its HTML in one file.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/client/client.h"
#include "common/client/requests.h"
#include "common/config/config.h"
#include "common/ops/http.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/web.pb.h"
#include "services/web/accounts.h"
#include "services/web/html.h"
#include "services/web/sessions.h"
#include "services/web/throttle.h"

namespace lotse::web {

// The logged-in person of a request and whom they act for now.
struct Caller {
  std::string session_id;
  lotse::v1::WebSession session;
  lotse::v1::Account account;
  lotse::v1::AccountRole role;
  Viewer viewer;

  bool Is(lotse::v1::ActorKind kind) const { return role.kind() == kind; }
  bool IsOffice() const { return Is(lotse::v1::ACTOR_KIND_OFFICE); }
  // A department (as one of its staff where the role names one) or a key account manager.
  bool IsDesk() const { return Is(lotse::v1::ACTOR_KIND_DEPARTMENT); }
  // The actor a request made for this caller carries: the office, the department (or KAM), ops
  // or admin, with the person as user (User()).
  lotse::v1::Actor Actor() const;
  // Who acts, as requests name them in `user`: the staff id where the role names one
  // ("bo-mueller"), else the login.
  std::string User() const;
};

class Site {
 public:
  Site(const config::Config& config, AccountStore& accounts, SessionStore& sessions,
       client::Client& services, bool tls);
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  const config::Config& config() const { return config_; }
  AccountStore& accounts() { return accounts_; }
  SessionStore& sessions() { return sessions_; }
  client::Client& services() { return services_; }
  // Failed logins, of the page's form and the API alike.
  LoginThrottle& throttle() { return throttle_; }
  bool tls() const { return tls_; }

  // Sends `request` on the caller's behalf: its actor names the person (actor.user), as the
  // services require of a gateway. The reply as client::Client::Call returns it.
  template <typename Request>
  auto Call(const Caller& caller, Request request) {
    request.mutable_actor()->set_user(caller.User());
    return services_.Call(std::move(request));
  }

  // The caller of a request with a valid session cookie, else nullopt.
  std::optional<Caller> CallerOf(const httplib::Request& request);
  // The caller of a page: without a session the response sends the browser to the login; with
  // `kinds`, a role of another kind gets the not-found page (what is not theirs does not exist
  // for them). nullopt: the response is made already.
  std::optional<Caller> PageCaller(const httplib::Request& request, httplib::Response& response,
                                   std::initializer_list<lotse::v1::ActorKind> kinds = {});
  // As PageCaller, for a form that changes something: its CSRF token (form field `csrf`) must
  // be the session's, else 403.
  std::optional<Caller> FormCaller(const httplib::Request& request, httplib::Response& response,
                                   std::initializer_list<lotse::v1::ActorKind> kinds = {});

 private:
  const config::Config& config_;
  AccountStore& accounts_;
  SessionStore& sessions_;
  client::Client& services_;
  LoginThrottle throttle_;
  bool tls_;
};

// A path part that names a referral: its id or case number (letters, digits, '-'); anything else
// matches no route and is "not found".
inline constexpr char kRefPattern[] = R"(([A-Za-z0-9-]{1,64}))";

// A form field from a urlencoded or a multipart body ("" if absent); Trimmed without the
// surrounding white space.
std::string Param(const httplib::Request& request, const std::string& name);
std::string Trimmed(const httplib::Request& request, const std::string& name);

// The company's own rating with the code from its receipt, as lotse-web passes it on for the
// feedback page and the API alike: no one is logged in, so it acts as admin (the gateway's config
// names admin) with "rueckmeldung" as the person; the code, which intake checks, is the
// authority. Wrong codes count against the caller's address in the login throttle under
// kFeedbackCodeThrottle, before intake's own limit for all of the web's callers together.
lotse::v1::IntakeRequest CompanyFeedbackCall(const client::FeedbackArgs& args);
inline constexpr char kFeedbackCodeThrottle[] = "#rueckmeldecode";

// The session cookie's name.
inline constexpr char kSessionCookie[] = "lotse_session";

// The value of cookie `name` in the request's Cookie header(s), "" if none.
std::string CookieValue(const httplib::Request& request, std::string_view name);

void Html(httplib::Response& response, int status, const std::string& body);
void SeeOther(httplib::Response& response, const std::string& path);
void NotFound(httplib::Response& response, const Viewer* viewer);

// What a role acts for, in the words of the city's config: "Bürgerbüro Mitte",
// "Bauordnungsamt (als Jana Müller)", "Key Account Anna Schneider".
std::string ActsFor(const config::Config& config, const lotse::v1::AccountRole& role);

// True when a service's answer to a page's request holds a result to show. Otherwise the response
// is made already as a page that says what went wrong: no reply (503, "try again in a minute"),
// NOT_FOUND (404, as for anything not the caller's), PERMISSION_DENIED (403), anything else
// (400 with the service's message). `what` names what was asked for, in German ("die Anfrage",
// "die Arbeitsliste").
template <typename Reply>
bool GotResult(httplib::Response& response, const Caller& caller, std::string_view what,
               const absl::StatusOr<Reply>& reply);
void ShowStatusProblem(httplib::Response& response, const Caller& caller, std::string_view what,
                       const absl::Status& status);
void ShowErrorProblem(httplib::Response& response, const Caller& caller, std::string_view what,
                      const lotse::v1::Error& error);

template <typename Reply>
bool GotResult(httplib::Response& response, const Caller& caller, std::string_view what,
               const absl::StatusOr<Reply>& reply) {
  if (!reply.ok()) {
    ShowStatusProblem(response, caller, what, reply.status());
    return false;
  }
  if (reply->has_error()) {
    ShowErrorProblem(response, caller, what, reply->error());
    return false;
  }
  return true;
}

// The areas of the terminal; each adds its routes to `server`.
void AddOfficePages(httplib::Server& server, Site& site);      // pages_office.cc
void AddDeskPages(httplib::Server& server, Site& site);        // pages_desk.cc
void AddManagementPages(httplib::Server& server, Site& site);  // pages_management.cc
void AddApi(httplib::Server& server, Site& site);              // api.cc

}  // namespace lotse::web
