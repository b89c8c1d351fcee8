#include "services/web/server.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/web/html.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace {

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

// The first page of a role's day.
std::string HomeOf(lotse::v1::ActorKind kind) {
  switch (kind) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      return "/anfragen/neu";
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      return "/arbeitsliste";
    case lotse::v1::ACTOR_KIND_OPS:
      return "/betrieb";
    case lotse::v1::ACTOR_KIND_ADMIN:
      return "/auswertung";
    default:
      return "/posteingang";
  }
}

std::string HomeOf(const Caller& caller) { return HomeOf(caller.role.kind()); }

}  // namespace

WebServer::WebServer(const config::Config& config, AccountStore& accounts, SessionStore& sessions,
                     client::Client& services)
    : config_(config),
      tls_(!config.web.tls_cert.empty() && !config.web.tls_key.empty()),
      site_(config, accounts, sessions, services, tls_) {
  if (tls_) {
    server_ = std::make_unique<httplib::SSLServer>(config.web.tls_cert.c_str(),
                                                   config.web.tls_key.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  Routes();
}

WebServer::~WebServer() { Stop(); }

absl::Status WebServer::Bind() {
  if (!server_->is_valid()) {
    return absl::FailedPreconditionError(
        StrCat("the TLS certificate ", config_.web.tls_cert, " or key ", config_.web.tls_key,
               " cannot be read: check the paths in [web] and that lotse-web may read them"));
  }
  const std::string& host = config_.network.CommandHost();
  if (!server_->bind_to_port(host, config_.WebPort())) {
    return absl::UnavailableError(StrCat("cannot listen on ", host, ":", config_.WebPort(),
                                         ": is another program using the port? Set [web] port "
                                         "or --port-base"));
  }
  return absl::OkStatus();
}

void WebServer::Serve() { server_->listen_after_bind(); }

void WebServer::Stop() {
  if (server_ != nullptr) {
    server_->stop();
  }
}

void WebServer::Routes() {
  server_->set_payload_max_length(1 << 20);
  // A form posted from another site is refused before anything runs (the login too, so that no
  // other site can log a browser in to an account of its choosing): the browser names the
  // page's origin, whose host must be this server's as the browser addressed it (Host; behind a
  // reverse proxy that speaks HTTPS the scheme differs, the host does not).
  server_->set_pre_routing_handler([this](const httplib::Request& request,
                                          httplib::Response& response) {
    if (request.method != "POST" || !request.has_header("Origin")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    const std::string origin_header = request.get_header_value("Origin");
    std::string_view origin = origin_header;
    for (std::string_view scheme : {"https://", "http://"}) {
      if (origin.starts_with(scheme)) {
        origin.remove_prefix(scheme.size());
        break;
      }
    }
    if (!origin.empty() && origin == request.get_header_value("Host")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    spdlog::warn("refused a form from another site ({}) for {}", request.get_header_value("Origin"),
                 request.path);
    Html(response, 403,
         ProblemPage(nullptr, "Formular von einer anderen Seite",
                     "Dieses Formular kam nicht von Lotse selbst und wurde nicht ausgeführt. Bitte "
                     "öffnen Sie Lotse direkt über seine Adresse."));
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->set_post_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        response.set_header("Content-Security-Policy", kContentSecurityPolicy);
        response.set_header("X-Content-Type-Options", "nosniff");
        response.set_header("X-Frame-Options", "DENY");
        // No address of a page goes to another site; "no-referrer" would also make the browser
        // send `Origin: null` with the site's own forms, which the check above refuses.
        response.set_header("Referrer-Policy", "same-origin");
        if (!request.path.starts_with("/static/")) {
          response.set_header("Cache-Control", "no-store");  // pages hold personal data
        }
        if (tls_) {
          response.set_header("Strict-Transport-Security", "max-age=31536000");
        }
      });
  // A path no route knows: the not-found page, with the menu for a logged-in person.
  server_->set_error_handler([this](const httplib::Request& request, httplib::Response& response) {
    if (response.body.empty()) {
      const std::optional<Caller> caller = site_.CallerOf(request);
      NotFound(response, caller.has_value() ? &caller->viewer : nullptr);
    }
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server_->Get(R"(/static/([a-z0-9.-]+))",
               [](const httplib::Request& request, httplib::Response& response) {
                 const StaticFile* file = FindStaticFile(request.matches[1].str());
                 if (file == nullptr) {
                   NotFound(response, nullptr);
                   return;
                 }
                 response.set_header("Cache-Control", "max-age=300");
                 response.set_content(std::string(file->bytes), std::string(file->content_type));
               });
  server_->Get("/anmelden", [](const httplib::Request&, httplib::Response& response) {
    Html(response, 200, LoginPage("", ""));
  });
  server_->Post("/anmelden", [this](const httplib::Request& request, httplib::Response& response) {
    Login(request, response);
  });
  server_->Post("/abmelden", [this](const httplib::Request& request, httplib::Response& response) {
    Logout(request, response);
  });
  server_->Get("/", [this](const httplib::Request& request, httplib::Response& response) {
    std::optional<Caller> caller = site_.CallerOf(request);
    SeeOther(response, caller.has_value() ? HomeOf(*caller) : "/anmelden");
  });
  server_->Get("/rolle", [this](const httplib::Request& request, httplib::Response& response) {
    ChooseRole(request, response);
  });
  server_->Post("/rolle", [this](const httplib::Request& request, httplib::Response& response) {
    ChooseRole(request, response);
  });
  server_->Get("/posteingang", [this](const httplib::Request& request,
                                      httplib::Response& response) { Inbox(request, response); });
  server_->Post("/posteingang/gelesen",
                [this](const httplib::Request& request, httplib::Response& response) {
                  MarkRead(request, response);
                });
  AddOfficePages(*server_, site_);
  AddDeskPages(*server_, site_);
  AddManagementPages(*server_, site_);
  AddApi(*server_, site_);
}

void WebServer::Login(const httplib::Request& request, httplib::Response& response) {
  const std::string login = request.get_param_value("login");
  // What the log may say of it: a typed login can be anything, a line break or a name too.
  const std::string logged = CheckLogin(login).ok() ? login : "(not a login)";
  const std::string password = request.get_param_value("password");
  const absl::Time now = absl::Now();
  if (const absl::Duration wait = site_.throttle().Wait(login, request.remote_addr, now);
      wait > absl::ZeroDuration()) {
    const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1)));
    response.set_header("Retry-After", std::to_string(seconds));
    Html(response, 429,
         LoginPage(StrCat("Zu viele Fehlversuche. Bitte warten Sie ", seconds,
                          " Sekunden und versuchen Sie es dann erneut."),
                   login));
    return;
  }
  absl::StatusOr<lotse::v1::Account> account = site_.accounts().Authenticate(login, password);
  if (!account.ok()) {
    if (account.status().code() != absl::StatusCode::kUnauthenticated) {
      spdlog::error("login of '{}' failed: {}", logged, account.status().message());
      Html(response, 503,
           LoginPage("Die Anmeldung ist gerade nicht möglich. Bitte versuchen Sie es in einer "
                     "Minute erneut; hält es an, verständigen Sie die IT.",
                     login));
      return;
    }
    site_.throttle().Failed(login, request.remote_addr, now);
    spdlog::warn("failed login for '{}' from {}", logged, request.remote_addr);
    Html(response, 401,
         LoginPage("Benutzername oder Passwort ist falsch (oder das Konto ist gesperrt). Bitte "
                   "prüfen Sie beides.",
                   login));
    return;
  }
  site_.throttle().Succeeded(login);
  absl::StatusOr<NewSession> session = site_.sessions().Start(login, 0, now);
  if (!session.ok()) {
    spdlog::error("no session for '{}': {}", login, session.status().message());
    Html(response, 503,
         LoginPage("Die Anmeldung ist gerade nicht möglich: der Speicher des Web-Terminals "
                   "antwortet nicht. Bitte verständigen Sie die IT.",
                   login));
    return;
  }
  spdlog::info("'{}' logged in from {}", login, request.remote_addr);
  response.set_header(
      "Set-Cookie", StrCat(kSessionCookie, "=", session->id, "; Path=/; HttpOnly; SameSite=Strict",
                           tls_ ? "; Secure" : ""));
  SeeOther(response, account->roles_size() > 1 ? "/rolle" : HomeOf(account->roles(0).kind()));
}

void WebServer::ChooseRole(const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = request.method == "POST" ? site_.FormCaller(request, response)
                                                          : site_.PageCaller(request, response);
  if (!caller.has_value()) {
    return;
  }
  const int roles = caller->account.roles_size();
  if (request.method == "POST") {
    uint32_t role = 0;
    if (!absl::SimpleAtoi(request.get_param_value("rolle"), &role) ||
        role >= static_cast<uint32_t>(roles)) {
      Html(response, 400,
           ProblemPage(&caller->viewer, "Rolle wählen",
                       "Diese Rolle gibt es für Ihr Konto nicht. Bitte wählen Sie eine aus der "
                       "Liste."));
      return;
    }
    if (absl::Status set = site_.sessions().SetRole(caller->session_id, role); !set.ok()) {
      SeeOther(response, "/anmelden");
      return;
    }
    SeeOther(response, HomeOf(caller->account.roles(static_cast<int>(role)).kind()));
    return;
  }
  std::string options;
  for (int i = 0; i < roles; ++i) {
    options += StrCat(R"(<li><label><input type="radio" name="rolle" value=")", i, "\"",
                      static_cast<uint32_t>(i) == caller->session.role() ? " checked" : "", "> ",
                      Escape(ActsFor(config_, caller->account.roles(i))), "</label></li>");
  }
  Html(response, 200,
       Page("Rolle wählen", &caller->viewer,
            StrCat(R"(<form method="post" action="/rolle"><fieldset><legend>Für wen arbeiten )",
                   R"(Sie jetzt?</legend><ul class="choices">)", options, "</ul></fieldset>",
                   R"(<input type="hidden" name="csrf" value=")",
                   Escape(caller->session.csrf_token()),
                   R"("><button type="submit">Weiter</button></form>)")));
}

void WebServer::Logout(const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site_.FormCaller(request, response);
  if (!caller.has_value()) {
    return;
  }
  (void)site_.sessions().End(caller->session_id);
  response.set_header("Set-Cookie", StrCat(kSessionCookie,
                                           "=; Path=/; Max-Age=0; HttpOnly; "
                                           "SameSite=Strict",
                                           tls_ ? "; Secure" : ""));
  SeeOther(response, "/anmelden");
}

void WebServer::Inbox(const httplib::Request& request, httplib::Response& response, uint64_t ack) {
  std::optional<Caller> caller = site_.PageCaller(request, response);
  if (!caller.has_value()) {
    return;
  }
  client::InboxArgs args;
  if (caller->role.kind() == lotse::v1::ACTOR_KIND_OFFICE) {
    args.office = caller->role.id();
  } else if (caller->role.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT) {
    args.department = caller->role.id();
  } else {
    Html(response, 200,
         ProblemPage(&caller->viewer, "Posteingang",
                     StrCat(caller->viewer.acts_for,
                            " hat keinen eigenen Posteingang: Nachrichten gehen an Bürgerbüros, "
                            "Fachämter, ihre Ansprechpersonen und die Key Account Manager.")));
    return;
  }
  lotse::v1::NotificationRequest inbox = client::InboxRequest(args);
  inbox.mutable_actor()->set_user(caller->account.login());
  inbox.mutable_inbox()->set_ack(ack);
  absl::StatusOr<lotse::v1::NotificationReply> reply = site_.services().Call(inbox);
  if (!reply.ok()) {
    spdlog::error("inbox of {} for '{}': {}", caller->viewer.acts_for, caller->account.login(),
                  reply.status().message());
    Html(response, 503,
         ProblemPage(&caller->viewer, "Posteingang nicht erreichbar",
                     "Der Benachrichtigungsdienst antwortet gerade nicht. Bitte versuchen Sie es "
                     "in einer Minute erneut; hält es an, verständigen Sie die IT."));
    return;
  }
  if (reply->has_error()) {
    const bool refused = reply->error().code() == lotse::v1::ERROR_CODE_PERMISSION_DENIED;
    Html(response, refused ? 403 : 400,
         ProblemPage(&caller->viewer, "Posteingang nicht verfügbar", reply->error().message()));
    return;
  }
  const std::vector<lotse::v1::InboxMessage> messages(reply->inbox().messages().begin(),
                                                      reply->inbox().messages().end());
  Html(response, 200,
       InboxPage(caller->viewer, caller->viewer.acts_for, messages, config_.city.zone));
}

void WebServer::MarkRead(const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site_.FormCaller(request, response);
  if (!caller.has_value()) {
    return;
  }
  uint64_t ack = 0;
  if (!absl::SimpleAtoi(request.get_param_value("bis"), &ack)) {
    Html(response, 400,
         ProblemPage(&caller->viewer, "Unvollständiges Formular",
                     "Es fehlt, bis zu welcher Nachricht gelesen wurde. Bitte laden Sie den "
                     "Posteingang neu."));
    return;
  }
  // Acknowledging is a read with `ack`: the inbox after it is what the next page shows.
  Inbox(request, response, ack);
  if (response.status == 200) {
    response.body.clear();
    SeeOther(response, "/posteingang");
  }
}

}  // namespace lotse::web
