// lotse-web's JSON API under /api/v1/: the same actions as the pages and the CLI, for other
// terminals and integrations. This file: the session (login, logout, role), the document and
// problem types, and what is not about one referral (directory, worklist, inbox, evaluation,
// company file, the company's own feedback); api_referrals.cc: a referral's actions. Every
// request is built by common/client/requests.h and acts as the caller's role; every reply is the
// JSON `lotse --json` prints for the same result; every refusal is a problem (api_support.h).
// The reference is static/openapi.json, served at /api/v1/openapi.json.

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/client/json.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/web/accounts.h"
#include "services/web/api_support.h"
#include "services/web/html.h"
#include "services/web/site.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace api {
namespace {

using lotse::v1::ActorKind;
constexpr ActorKind kOffice = lotse::v1::ACTOR_KIND_OFFICE;
constexpr ActorKind kDesk = lotse::v1::ACTOR_KIND_DEPARTMENT;
constexpr ActorKind kOps = lotse::v1::ACTOR_KIND_OPS;
constexpr ActorKind kAdmin = lotse::v1::ACTOR_KIND_ADMIN;

// ---------------------------------------------------------------------------------------------
// The session

// The session as the API shows it: who is logged in, the roles to choose from and the one acted
// in, and the CSRF token a browser's changing calls carry. `token` only right after the login.
std::string SessionJson(const config::Config& config, const lotse::v1::Account& account,
                        const lotse::v1::WebSession& session, const std::string& token) {
  std::string roles;
  for (int i = 0; i < account.roles_size(); ++i) {
    const lotse::v1::AccountRole& role = account.roles(i);
    roles +=
        StrCat(i > 0 ? "," : "", R"({"kind":)", JsonString(lotse::v1::ActorKind_Name(role.kind())),
               R"(,"id":)", JsonString(role.id()), R"(,"user":)", JsonString(role.user()),
               R"(,"acts_for":)", JsonString(ActsFor(config, role)), "}");
  }
  std::string json = "{";
  if (!token.empty()) {
    json += StrCat(R"("token":)", JsonString(token), ",");
  }
  json +=
      StrCat(R"("csrf_token":)", JsonString(session.csrf_token()), R"(,"login":)",
             JsonString(account.login()), R"(,"display_name":)", JsonString(account.display_name()),
             R"(,"roles":[)", roles, R"(],"role":)", session.role(), "}");
  return json;
}

void Login(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = Doing("Anmelden");
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  const std::string login = body->String("login", true);
  const std::string password = body->String("password", true);
  if (!body->Check(request, response, what)) {
    return;
  }
  // What the log may say of it: a typed login can be anything, a line break or a name too.
  const std::string logged = CheckLogin(login).ok() ? login : "(not a login)";
  const absl::Time now = absl::Now();
  if (const absl::Duration wait = site.throttle().Wait(login, request.remote_addr, now);
      wait > absl::ZeroDuration()) {
    const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1)));
    Problem p;
    p.status = 429;
    p.type = "too-many-requests";
    p.retry_after_s = static_cast<int>(seconds);
    p.detail = StrCat("Zu viele Fehlversuche. Bitte warten Sie ", seconds,
                      " Sekunden und versuchen Sie es dann erneut.");
    SendProblem(request, response, p);
    return;
  }
  absl::StatusOr<lotse::v1::Account> account = site.accounts().Authenticate(login, password);
  if (!account.ok()) {
    if (account.status().code() != absl::StatusCode::kUnauthenticated) {
      spdlog::error("API login of '{}' failed: {}", logged, account.status().message());
      SendProblem(request, response, NoReplyProblem(what));
      return;
    }
    site.throttle().Failed(login, request.remote_addr, now);
    spdlog::warn("failed API login for '{}' from {}", logged, request.remote_addr);
    Problem p;
    p.status = 401;
    p.type = "unauthenticated";
    p.detail =
        "Benutzername oder Passwort ist falsch (oder das Konto ist gesperrt). Bitte prüfen Sie "
        "beides.";
    SendProblem(request, response, p);
    return;
  }
  site.throttle().Succeeded(login);
  absl::StatusOr<NewSession> session = site.sessions().Start(login, 0, now);
  if (!session.ok()) {
    spdlog::error("no API session for '{}': {}", login, session.status().message());
    SendProblem(request, response, NoReplyProblem(what));
    return;
  }
  spdlog::info("'{}' logged in to the API from {}", login, request.remote_addr);
  SendJson(response, 201, SessionJson(site.config(), *account, session->session, session->id));
}

void ShowSession(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = ApiCaller(site, request, response, Doing("Sitzung lesen"));
  if (caller.has_value()) {
    SendJson(response, 200, SessionJson(site.config(), caller->account, caller->session, ""));
  }
}

void Logout(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = ApiCaller(site, request, response, Doing("Abmelden"));
  if (!caller.has_value()) {
    return;
  }
  (void)site.sessions().End(caller->session_id);
  if (!request.has_header("Authorization")) {  // the browser's cookie opens nothing any more
    response.set_header("Set-Cookie",
                        StrCat(kSessionCookie, "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict",
                               site.tls() ? "; Secure" : ""));
  }
  response.status = 204;
}

void ChooseRole(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = Doing("Rolle wählen");
  std::optional<Caller> caller = ApiCaller(site, request, response, what);
  if (!caller.has_value()) {
    return;
  }
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  const int roles = caller->account.roles_size();
  const auto role = static_cast<uint32_t>(body->Int("role", 0, roles - 1, true));
  if (!body->Check(request, response, what)) {
    return;
  }
  if (absl::Status set = site.sessions().SetRole(caller->session_id, role); !set.ok()) {
    SendProblem(request, response, NoReplyProblem(what));
    return;
  }
  caller->session.set_role(role);
  SendJson(response, 200, SessionJson(site.config(), caller->account, caller->session, ""));
}

// ---------------------------------------------------------------------------------------------
// The document and the problem types (no login)

void Document(Site&, const httplib::Request&, httplib::Response& response) {
  const StaticFile* file = FindStaticFile("openapi.json");
  if (file == nullptr) {  // cannot happen: the build embeds it
    response.status = 500;
    return;
  }
  response.set_header("Cache-Control", "max-age=300");
  response.set_content(std::string(file->bytes), "application/json");
}

void DescribeProblem(Site&, const httplib::Request& request, httplib::Response& response) {
  const ProblemType* type = FindProblemType(request.matches[1].str());
  if (type == nullptr) {
    Problem p;
    p.status = 404;
    p.type = "unknown-path";
    p.detail =
        "Diese Art von Problem gibt es nicht; die Liste steht im OpenAPI-Dokument "
        "(GET /api/v1/openapi.json).";
    SendProblem(request, response, p);
    return;
  }
  SendJson(response, 200,
           StrCat(R"({"type":)", JsonString(StrCat("/api/v1/problems/", type->name)),
                  R"(,"status":)", type->status, R"(,"title":)", JsonString(type->title),
                  R"(,"description":)", JsonString(type->description), "}"));
}

// ---------------------------------------------------------------------------------------------
// What is not about one referral

void Directory(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = Doing("Verzeichnis laden");
  std::optional<Caller> caller = ApiCaller(site, request, response, what);
  if (!caller.has_value()) {
    return;
  }
  lotse::v1::RoutingRequest call = client::DirectoryRequest();
  *call.mutable_actor() = ActorOf(*caller);
  absl::StatusOr<lotse::v1::RoutingReply> reply = site.services().Call(call);
  if (Answered(request, response, &*caller, what, reply, lotse::v1::RoutingReply::kDirectory)) {
    SendResult(response, 200, reply->directory());
  }
}

void Worklist(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = Doing("Arbeitsliste laden");
  std::optional<Caller> caller = ApiCaller(site, request, response, what, {kDesk, kOps, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  std::vector<FieldProblem> errors;
  client::WorklistArgs args;
  args.department = Query(request, "assignee");
  if (caller->IsDesk() && args.department.empty()) {
    args.department = caller->role.id();
  }
  if (args.department.empty()) {
    errors.push_back({"assignee",
                      "Bitte nennen Sie mit „assignee“ das Fachamt oder den Key Account Manager, "
                      "dessen Arbeitsliste Sie sehen wollen."});
  }
  args.user = Query(request, "user");
  args.limit = static_cast<uint32_t>(QueryUint(request, "limit", 1000, errors));
  args.after = Query(request, "after");
  if (!CheckQuery(request, response, what, errors)) {
    return;
  }
  lotse::v1::RoutingRequest call = client::WorklistRequest(args);
  *call.mutable_actor() = ActorOf(*caller);
  absl::StatusOr<lotse::v1::RoutingReply> reply = site.services().Call(call);
  if (Answered(request, response, &*caller, what, reply, lotse::v1::RoutingReply::kWorklist)) {
    SendResult(response, 200, reply->worklist());
  }
}

void Inbox(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = Doing("Posteingang lesen");
  std::optional<Caller> caller = ApiCaller(site, request, response, what, {kOffice, kDesk, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  std::vector<FieldProblem> errors;
  client::InboxArgs args;
  if (caller->IsOffice()) {
    args.office = caller->role.id();
  } else if (caller->IsDesk()) {
    args.department = caller->role.id();
  }
  args.inbox = Query(request, "inbox");
  if (caller->Is(kAdmin) && args.inbox.empty()) {
    errors.push_back({"inbox",
                      "Die Verwaltung hat keinen eigenen Posteingang: Bitte nennen Sie mit "
                      "„inbox“ den der Amtsleitung (head) oder einer Ansprechperson "
                      "(staff/<id>)."});
  }
  const uint64_t ack = QueryUint(request, "ack", UINT64_MAX, errors);
  if (!CheckQuery(request, response, what, errors)) {
    return;
  }
  lotse::v1::NotificationRequest call = client::InboxRequest(args);
  *call.mutable_actor() = ActorOf(*caller);
  call.mutable_inbox()->set_ack(ack);
  absl::StatusOr<lotse::v1::NotificationReply> reply = site.services().Call(call);
  if (Answered(request, response, &*caller, what, reply, lotse::v1::NotificationReply::kInbox)) {
    SendResult(response, 200, reply->inbox());
  }
}

void Evaluation(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = Doing("Auswertung laden");
  std::optional<Caller> caller = ApiCaller(site, request, response, what, {kOffice, kDesk, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  std::vector<FieldProblem> errors;
  client::EvaluationArgs args;
  args.from = Query(request, "from");
  args.to = Query(request, "to");
  for (const auto& [value, name] : {std::pair{&args.from, "from"}, std::pair{&args.to, "to"}}) {
    if (value->empty()) {
      errors.push_back({name, StrCat("Bitte nennen Sie mit „", name,
                                     "“ einen Tag (JJJJ-MM-TT): from den ersten des Zeitraums, "
                                     "to den ersten danach.")});
    }
  }
  args.department = Query(request, "department");
  args.office = Query(request, "office");
  args.rebuild = QueryBool(request, "rebuild", errors);
  if (!CheckQuery(request, response, what, errors)) {
    return;
  }
  lotse::v1::AuditRequest call = client::EvaluationRequest(args);
  *call.mutable_actor() = ActorOf(*caller);
  absl::StatusOr<lotse::v1::AuditReply> reply = site.services().Call(call);
  if (Answered(request, response, &*caller, what, reply, lotse::v1::AuditReply::kEvaluation)) {
    SendResult(response, 200, reply->evaluation());
  }
}

void CompanyFile(Site& site, const httplib::Request& request, httplib::Response& response) {
  What what =
      Doing("Unternehmensakte laden", StrCat("das Unternehmen „", request.matches[1].str(), "“"));
  what.url_fields = {"company_id"};
  std::optional<Caller> caller = ApiCaller(site, request, response, what, {kOffice, kDesk, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  std::vector<FieldProblem> errors;
  client::CompanyArgs args;
  args.company_id = request.matches[1].str();
  args.limit = static_cast<uint32_t>(QueryUint(request, "limit", 1000, errors));
  args.after = Query(request, "after");
  if (!CheckQuery(request, response, what, errors)) {
    return;
  }
  lotse::v1::RoutingRequest call = client::CompanyRequest(args);
  *call.mutable_actor() = ActorOf(*caller);
  absl::StatusOr<lotse::v1::RoutingReply> reply = site.services().Call(call);
  if (Answered(request, response, &*caller, what, reply, lotse::v1::RoutingReply::kCompany)) {
    SendResult(response, 200, reply->company());
  }
}

// The company rates the answer itself with the code from its receipt: no login
// (site.h, CompanyFeedbackCall).
void CompanyFeedback(Site& site, const httplib::Request& request, httplib::Response& response) {
  What what = Doing("Rückmeldung des Unternehmens");
  what.not_found_detail =
      "Dieser Rückmeldecode ist nicht gültig: Bitte prüfen Sie ihn anhand der "
      "Empfangsbestätigung (16 Buchstaben und Ziffern, z. B. K7QM-3XRT-9PAB-WD4E). Ein Code gilt "
      "einmal und nur für begrenzte Zeit nach der Anfrage.";
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  client::FeedbackArgs args;
  args.code = body->String("code", true);
  args.rating = static_cast<int>(body->Int("rating", 1, 5, true));
  const bool resolved = body->Bool("resolved");  // optional: left out unless given
  if (body->Has("resolved")) {
    args.resolved = resolved ? "yes" : "no";
  }
  args.comment = body->String("comment");
  args.key = IdempotencyKey(request, *body);
  if (!body->Check(request, response, what)) {
    return;
  }
  const std::string throttled = kFeedbackCodeThrottle;
  const absl::Time now = absl::Now();
  if (const absl::Duration wait = site.throttle().Wait(throttled, request.remote_addr, now);
      wait > absl::ZeroDuration()) {
    const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1)));
    Problem p;
    p.status = 429;
    p.type = "too-many-requests";
    p.retry_after_s = static_cast<int>(seconds);
    p.detail = StrCat("Zu viele falsche Codes. Bitte warten Sie ", seconds,
                      " Sekunden und prüfen Sie den Code dann anhand der Empfangsbestätigung.");
    SendProblem(request, response, p);
    return;
  }
  absl::StatusOr<lotse::v1::IntakeReply> reply =
      site.services().Call(CompanyFeedbackCall(args));
  if (reply.ok() && reply->has_error() &&
      reply->error().code() == lotse::v1::ERROR_CODE_NOT_FOUND) {
    site.throttle().Failed(throttled, request.remote_addr, now);
    spdlog::warn("wrong feedback code through the API from {}", request.remote_addr);
  }
  if (Answered(request, response, nullptr, what, reply, lotse::v1::IntakeReply::kReferral)) {
    SendResult(response, 200, reply->referral());
  }
}

// ---------------------------------------------------------------------------------------------
// Paths the API does not have

// 405 with Allow where the path exists with other methods, else 404.
void Unknown(const httplib::Request& request, httplib::Response& response) {
  std::string allow;
  for (const Route& route : Routes()) {
    if (std::regex_match(request.path, std::regex(PathPattern(route.path))) &&
        allow.find(route.method) == std::string::npos) {
      allow += StrCat(allow.empty() ? "" : ", ", route.method);
    }
  }
  Problem p;
  if (!allow.empty()) {
    p.status = 405;
    p.type = "method-not-allowed";
    p.detail = StrCat(request.method, " gibt es für diese Adresse nicht, nur ", allow, ".");
    response.set_header("Allow", allow);
  } else {
    p.status = 404;
    p.type = "unknown-path";
    p.detail =
        "Unter dieser Adresse bietet die API nichts an. Alle Adressen stehen im OpenAPI-Dokument "
        "(GET /api/v1/openapi.json).";
  }
  SendProblem(request, response, p);
}

}  // namespace

const std::vector<Route>& Routes() {
  static const std::vector<Route> kRoutes = [] {
    std::vector<Route> routes = {
        {"POST", "/api/v1/session", Login},
        {"GET", "/api/v1/session", ShowSession},
        {"DELETE", "/api/v1/session", Logout},
        {"PUT", "/api/v1/session/role", ChooseRole},
        {"GET", "/api/v1/openapi.json", Document},
        {"GET", "/api/v1/problems/{type}", DescribeProblem},
        {"GET", "/api/v1/directory", Directory},
        {"GET", "/api/v1/worklist", Worklist},
        {"GET", "/api/v1/inbox", Inbox},
        {"GET", "/api/v1/evaluation", Evaluation},
        {"GET", "/api/v1/companies/{company_id}", CompanyFile},
        {"POST", "/api/v1/company-feedback", CompanyFeedback},
    };
    for (const Route& route : ReferralRoutes()) {
      routes.push_back(route);
    }
    return routes;
  }();
  return kRoutes;
}

}  // namespace api

void AddApi(httplib::Server& server, Site& site) {
  for (const api::Route& route : api::Routes()) {
    const std::string pattern = api::PathPattern(route.path);
    const std::string method = route.method;
    httplib::Server::Handler handler = [&site, handle = route.handle](
                                           const httplib::Request& request,
                                           httplib::Response& response) {
      handle(site, request, response);
    };
    if (method == "GET") {
      server.Get(pattern, handler);
    } else if (method == "POST") {
      server.Post(pattern, handler);
    } else if (method == "PUT") {
      server.Put(pattern, handler);
    } else if (method == "DELETE") {
      server.Delete(pattern, handler);
    }
  }
  // Last: whatever else is asked under /api/v1/ is a problem, not the pages' not-found page.
  const std::string rest = "/api/v1/.*";
  server.Get(rest, api::Unknown);
  server.Post(rest, api::Unknown);
  server.Put(rest, api::Unknown);
  server.Delete(rest, api::Unknown);
  server.Patch(rest, api::Unknown);
}

}  // namespace lotse::web
