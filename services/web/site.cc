#include "services/web/site.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/format.h"
#include "spdlog/spdlog.h"

namespace lotse::web {

lotse::v1::Actor Caller::Actor() const {
  lotse::v1::Actor actor;
  actor.set_kind(role.kind());
  actor.set_id(role.id());
  actor.set_user(User());
  return actor;
}

std::string Caller::User() const { return role.user().empty() ? account.login() : role.user(); }

Site::Site(const config::Config& config, AccountStore& accounts, SessionStore& sessions,
           client::Client& services, bool tls)
    : config_(config), accounts_(accounts), sessions_(sessions), services_(services), tls_(tls) {}

std::optional<Caller> Site::CallerOf(const httplib::Request& request) {
  Caller caller;
  caller.session_id = CookieValue(request, kSessionCookie);
  absl::StatusOr<std::optional<lotse::v1::WebSession>> session =
      sessions_.Use(caller.session_id, absl::Now());
  if (!session.ok() || !session->has_value()) {
    return std::nullopt;
  }
  caller.session = **session;
  absl::StatusOr<std::optional<lotse::v1::Account>> account =
      accounts_.Find(caller.session.login());
  if (!account.ok() || !account->has_value() || (*account)->disabled() ||
      caller.session.created_at_us() < (*account)->password_changed_at_us() ||
      caller.session.role() >= static_cast<uint32_t>((*account)->roles_size())) {
    // A disabled account's sessions end at once, and so do those from before a new password.
    (void)sessions_.End(caller.session_id);
    return std::nullopt;
  }
  caller.account = **account;
  caller.role = caller.account.roles(static_cast<int>(caller.session.role()));
  caller.viewer = Viewer{caller.account.display_name(),
                         ActsFor(config_, caller.role),
                         caller.session.csrf_token(),
                         caller.role.kind(),
                         caller.account.roles_size() > 1,
                         caller.role.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT &&
                             config_.FindKeyAccount(caller.role.id()) != nullptr};
  return caller;
}

std::optional<Caller> Site::PageCaller(const httplib::Request& request, httplib::Response& response,
                                       std::initializer_list<lotse::v1::ActorKind> kinds) {
  std::optional<Caller> caller = CallerOf(request);
  if (!caller.has_value()) {
    SeeOther(response, "/anmelden");
    return std::nullopt;
  }
  if (kinds.size() > 0 &&
      std::find(kinds.begin(), kinds.end(), caller->role.kind()) == kinds.end()) {
    NotFound(response, &caller->viewer);
    return std::nullopt;
  }
  return caller;
}

std::optional<Caller> Site::FormCaller(const httplib::Request& request, httplib::Response& response,
                                       std::initializer_list<lotse::v1::ActorKind> kinds) {
  std::optional<Caller> caller = PageCaller(request, response, kinds);
  if (!caller.has_value()) {
    return std::nullopt;
  }
  if (!CsrfMatches(caller->session, Param(request, "csrf"))) {  // urlencoded or multipart
    Html(response, 403,
         ProblemPage(&caller->viewer, "Formular abgelaufen",
                     "Dieses Formular gehört nicht zu Ihrer Sitzung. Bitte laden Sie die Seite neu "
                     "und versuchen Sie es noch einmal."));
    return std::nullopt;
  }
  return caller;
}

std::string CookieValue(const httplib::Request& request, std::string_view name) {
  for (size_t i = 0; i < request.get_header_value_count("Cookie"); ++i) {
    for (absl::string_view part : absl::StrSplit(request.get_header_value("Cookie", i), ';')) {
      part = absl::StripAsciiWhitespace(part);
      const size_t eq = part.find('=');
      if (eq != absl::string_view::npos &&
          part.substr(0, eq) == absl::string_view(name.data(), name.size())) {
        return std::string(part.substr(eq + 1));
      }
    }
  }
  return "";
}

std::string Param(const httplib::Request& request, const std::string& name) {
  if (request.has_param(name)) {
    return request.get_param_value(name);
  }
  if (request.has_file(name)) {
    return request.get_file_value(name).content;
  }
  return "";
}

std::string Trimmed(const httplib::Request& request, const std::string& name) {
  return std::string(absl::StripAsciiWhitespace(Param(request, name)));
}

lotse::v1::IntakeRequest CompanyFeedbackCall(const client::FeedbackArgs& args) {
  client::FeedbackArgs as_admin = args;
  as_admin.office.clear();
  lotse::v1::IntakeRequest request = client::CompanyFeedbackRequest(as_admin);
  request.mutable_actor()->set_user("rueckmeldung");
  return request;
}

void Html(httplib::Response& response, int status, const std::string& body) {
  response.status = status;
  response.set_content(body, "text/html; charset=utf-8");
}

void SeeOther(httplib::Response& response, const std::string& path) {
  response.status = 303;
  response.set_header("Location", path);
}

void NotFound(httplib::Response& response, const Viewer* viewer) {
  Html(response, 404,
       Page("Nicht gefunden", viewer,
            "<p>Diese Seite gibt es nicht, oder sie ist nicht für Sie bestimmt.</p>"
            R"(<p><a href="/">Zur Startseite</a></p>)"));
}

std::string ActsFor(const config::Config& config, const lotse::v1::AccountRole& role) {
  switch (role.kind()) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      if (const config::Office* o = config.FindOffice(role.id())) {
        return o->name;
      }
      break;
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      if (const config::Department* d = config.FindDepartment(role.id())) {
        if (const config::StaffMember* m = d->FindStaff(role.user())) {
          return StrCat(d->name, " (als ", m->name, ")");
        }
        return d->name;
      }
      if (const config::KeyAccount* k = config.FindKeyAccount(role.id())) {
        return StrCat("Key Account ", k->name);
      }
      break;
    case lotse::v1::ACTOR_KIND_OPS:
      return "Betrieb";
    case lotse::v1::ACTOR_KIND_ADMIN:
      return "Verwaltung";
    default:
      break;
  }
  return role.id();
}

void ShowStatusProblem(httplib::Response& response, const Caller& caller, std::string_view what,
                       const absl::Status& status) {
  spdlog::error("{} for '{}' ({}): {}", what, caller.account.login(), caller.viewer.acts_for,
                status.message());
  Html(response, 503,
       ProblemPage(&caller.viewer, "Dienst nicht erreichbar",
                   StrCat(what,
                          " kann gerade nicht geladen werden: ein Dienst von Lotse "
                          "antwortet nicht. Bitte versuchen Sie es in einer Minute erneut; "
                          "hält es an, verständigen Sie die IT.")));
}

void ShowErrorProblem(httplib::Response& response, const Caller& caller, std::string_view what,
                      const lotse::v1::Error& error) {
  switch (error.code()) {
    case lotse::v1::ERROR_CODE_NOT_FOUND:
      NotFound(response, &caller.viewer);
      return;
    case lotse::v1::ERROR_CODE_PERMISSION_DENIED:
      Html(response, 403,
           ProblemPage(&caller.viewer, "Nicht erlaubt",
                       StrCat(what, " ist für ", caller.viewer.acts_for, " nicht freigegeben. ",
                              error.message())));
      return;
    default:
      Html(response, 400, ProblemPage(&caller.viewer, "Nicht möglich", error.message()));
      return;
  }
}

}  // namespace lotse::web
