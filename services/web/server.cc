#include "services/web/server.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "common/receipt/receipt.h"
#include "services/web/attachments.h"
#include "services/web/html.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace {

constexpr char kTooLargeText[] =
    "Das Gesendete ist zu groß (höchstens 1 MB je Formular; Dateien höchstens 10 MB, über "
    "„Neue Anfrage“ oder „Anhang nachreichen“). Bitte kürzen Sie den Text.";

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
      site_(config, accounts, sessions, services, tls_),
      hub_(services, absl::Milliseconds(500)) {
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
  const std::string& host = config_.network.BoundHost(config_.network.WebHost());
  if (!server_->bind_to_port(host, config_.WebPort())) {
    return absl::UnavailableError(StrCat("cannot listen on ", host, ":", config_.WebPort(),
                                         ": is another program using the port? Set [web] port "
                                         "or --port-base"));
  }
  return absl::OkStatus();
}

void WebServer::Serve() { server_->listen_after_bind(); }

bool WebServer::Serving() const { return server_->is_running(); }

void WebServer::Stop() {
  stopping_ = true;
  hub_.Stop();
  if (server_ != nullptr) {
    server_->stop();
  }
}

void WebServer::Routes() {
  // A form with files (attachments.h, TakesFiles) may send up to kMaxUploadBytes, read as it
  // arrives; every other request at most kMaxFormBytes, refused below before its body is read.
  server_->set_payload_max_length(kMaxUploadBytes);
  // One thread per request being served: every open live page holds one.
  server_->new_task_queue = [] { return new httplib::ThreadPool(kMaxLive + 32); };
  // A form posted from another site is refused before anything runs (the login too, so that no
  // other site can log a browser in to an account of its choosing): the browser names the
  // page's origin, whose host must be this server's as the browser addressed it (Host; behind a
  // reverse proxy that speaks HTTPS the scheme differs, the host does not).
  server_->set_pre_routing_handler([this](const httplib::Request& request,
                                          httplib::Response& response) {
    // A body beyond kMaxFormBytes is refused unread where no form with files goes (a client
    // that reads the answer while it sends, as curl does, gets the page; a browser may only see
    // the connection closed, but no other form of lotse-web's comes near 1 MiB).
    if (uint64_t length = 0;
        absl::SimpleAtoi(request.get_header_value("Content-Length"), &length) &&
        length > kMaxFormBytes && !(request.method == "POST" && TakesFiles(request.path))) {
      const std::optional<Caller> caller = site_.CallerOf(request);
      response.set_header("Connection", "close");  // the body is not read
      Html(response, 413,
           ProblemPage(caller.has_value() ? &caller->viewer : nullptr, "Zu groß", kTooLargeText));
      return httplib::Server::HandlerResponse::Handled;
    }
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
    if (!response.body.empty()) {
      return;
    }
    const std::optional<Caller> caller = site_.CallerOf(request);
    const Viewer* viewer = caller.has_value() ? &caller->viewer : nullptr;
    if (response.status == 404) {
      NotFound(response, viewer);
    } else if (response.status == 413) {
      Html(response, 413, ProblemPage(viewer, "Zu groß", kTooLargeText));
    } else if (response.status >= 400) {
      Html(response, response.status,
           ProblemPage(viewer, "Nicht verstanden",
                       "Diese Anfrage konnte Lotse nicht lesen. Bitte laden Sie die Seite neu und "
                       "versuchen Sie es noch einmal."));
    }
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server_->Get(
      R"(/static/([a-z0-9.-]+))", [](const httplib::Request& request, httplib::Response& response) {
        response.set_header("Cache-Control", "max-age=300");
        if (request.matches[1].str() == "receipt.css") {  // the receipt's own
          response.set_content(std::string(receipt::StyleSheet()), "text/css; charset=utf-8");
          return;
        }
        const StaticFile* file = FindStaticFile(request.matches[1].str());
        if (file == nullptr) {
          NotFound(response, nullptr);
          return;
        }
        response.set_content(std::string(file->bytes), std::string(file->content_type));
      });
  server_->Get("/favicon.ico", [](const httplib::Request&, httplib::Response& response) {
    response.status = 204;  // no icon; answered so that browsers do not log a 404 on every page
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
  server_->Get("/posteingang/live",
               [this](const httplib::Request& request, httplib::Response& response) {
                 LiveInbox(request, response);
               });
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

namespace {

// The read of the caller's own inbox (an office's or a department's, a KAM's included); nullopt
// for ops and admin, who have none.
std::optional<lotse::v1::NotificationRequest> InboxRead(const Caller& caller) {
  client::InboxArgs args;
  if (caller.IsOffice()) {
    args.office = caller.role.id();
  } else if (caller.IsDesk()) {
    args.department = caller.role.id();
  } else {
    return std::nullopt;
  }
  lotse::v1::NotificationRequest read = client::InboxRequest(args);
  read.mutable_actor()->set_user(caller.User());
  return read;
}

std::string_view LinkBase(const Caller& caller) {
  return caller.IsOffice() ? "/anfragen/" : "/vorgaenge/";
}

}  // namespace

void WebServer::Inbox(const httplib::Request& request, httplib::Response& response, uint64_t ack) {
  std::optional<Caller> caller = site_.PageCaller(request, response);
  if (!caller.has_value()) {
    return;
  }
  std::optional<lotse::v1::NotificationRequest> inbox = InboxRead(*caller);
  if (!inbox.has_value()) {
    Html(response, 200,
         ProblemPage(&caller->viewer, "Posteingang",
                     StrCat(caller->viewer.acts_for,
                            " hat keinen eigenen Posteingang: Nachrichten gehen an Bürgerbüros, "
                            "Fachämter, ihre Ansprechpersonen und die Key Account Manager.")));
    return;
  }
  inbox->mutable_inbox()->set_ack(ack);
  absl::StatusOr<lotse::v1::NotificationReply> reply = site_.Call(*caller, *inbox);
  if (!GotResult(response, *caller, "Der Posteingang", reply)) {
    return;
  }
  const std::vector<lotse::v1::InboxMessage> messages(reply->inbox().messages().begin(),
                                                      reply->inbox().messages().end());
  Html(response, 200,
       InboxPage(caller->viewer, caller->viewer.acts_for, messages, LinkBase(*caller),
                 config_.city.zone));
}

void WebServer::LiveInbox(const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site_.CallerOf(request);
  std::optional<lotse::v1::NotificationRequest> read;
  if (caller.has_value()) {
    read = InboxRead(*caller);
  }
  if (!read.has_value()) {
    response.status = caller.has_value() ? 404 : 401;  // EventSource: an error, no retry loop
    return;
  }
  if (live_ >= kMaxLive) {
    spdlog::warn("{} live pages open already: '{}' gets none (the page reloads instead)",
                 live_.load(), caller->account.login());
    response.status = 503;
    return;
  }
  // After the last message the page shows, or after the last one this stream sent before the
  // browser reconnected.
  uint64_t after = 0;
  (void)absl::SimpleAtoi(request.get_param_value("nach"), &after);
  if (uint64_t last = 0; absl::SimpleAtoi(request.get_header_value("Last-Event-ID"), &last)) {
    after = std::max(after, last);
  }
  ++live_;
  const std::string link_base(LinkBase(*caller));
  response.set_header("X-Accel-Buffering", "no");  // a reverse proxy passes each event at once
  response.set_chunked_content_provider(
      "text/event-stream",
      [this, read = *read, after, link_base](size_t, httplib::DataSink& sink) mutable {
        std::vector<lotse::v1::InboxMessage> fresh = hub_.WaitFor(read, after, absl::Seconds(15));
        std::string out;
        for (const lotse::v1::InboxMessage& m : fresh) {
          out += StrCat("id: ", m.seq(), "\nevent: message\n");
          for (absl::string_view line :
               absl::StrSplit(InboxMessageHtml(m, link_base, config_.city.zone), '\n')) {
            out += StrCat("data: ", line, "\n");
          }
          out += "\n";
          after = std::max(after, m.seq());
        }
        if (out.empty()) {
          out = ": noch da\n\n";  // a comment keeps proxies from closing an idle stream
        }
        return !stopping_ && sink.write(out.data(), out.size());
      },
      [this](bool) { --live_; });
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
