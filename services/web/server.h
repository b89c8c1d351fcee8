#pragma once

// lotse-web's HTTP side: the login, the session cookie, the security headers of every answer,
// and the pages, each acting for the logged-in person through the services' command ports with
// the web's gateway key (common/client). Paths are German, as the pages are.
//
//   GET  /healthz                 "ok" (no login)
//   GET  /static/lotse.css        the style sheet (no login)
//   GET  /anmelden, POST /anmelden   the login (throttled per login and address)
//   POST /abmelden                ends the session (CSRF token)
//   GET  /                        to /posteingang, or to /anmelden without a session
//   GET  /posteingang             the unread messages of the person's office or department
//   POST /posteingang/gelesen     acknowledges them up to `bis` (CSRF token)

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/client/client.h"
#include "common/config/config.h"
#include "common/ops/http.h"
#include "services/web/accounts.h"
#include "services/web/sessions.h"
#include "services/web/throttle.h"

namespace lotse::web {

class WebServer {
 public:
  WebServer(const config::Config& config, AccountStore& accounts, SessionStore& sessions,
            client::Client& services);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds the configured address and port (HTTPS with [web] tls_cert and tls_key).
  absl::Status Bind();
  // Serves until Stop() (from another thread).
  void Serve();
  void Stop();
  bool tls() const { return tls_; }

 private:
  struct Caller;  // the session, its account and the role it acts in
  void Routes();
  // The caller of a request with a valid session cookie, else nullopt.
  std::optional<Caller> CallerOf(const httplib::Request& request);
  // The caller of a form that changes something: logged in (else sent to the login) and with
  // its session's CSRF token (else 403). nullopt: the response is made already.
  std::optional<Caller> FormCaller(const httplib::Request& request, httplib::Response& response);
  void Login(const httplib::Request& request, httplib::Response& response);
  void Logout(const httplib::Request& request, httplib::Response& response);
  // The inbox page; with `ack`, the messages up to that seq are acknowledged first.
  void Inbox(const httplib::Request& request, httplib::Response& response, uint64_t ack = 0);
  void MarkRead(const httplib::Request& request, httplib::Response& response);

  const config::Config& config_;
  AccountStore& accounts_;
  SessionStore& sessions_;
  client::Client& services_;
  LoginThrottle throttle_;
  bool tls_ = false;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace lotse::web
