#pragma once

// lotse-web's HTTP side: the login, the session cookie, the security headers of every answer,
// and the pages, each acting for the logged-in person through the services' command ports with
// the web's gateway key (common/client). Paths are German, as the pages are.
//
//   GET  /healthz                 "ok" (no login)
//   GET  /static/<file>           the style sheet and script (no login; static/)
//   GET  /anmelden, POST /anmelden   the login (throttled per login and address)
//   POST /abmelden                ends the session (CSRF token)
//   GET  /                        to the first page of the caller's role, else to /anmelden
//   GET, POST /rolle              whom a person with several roles acts for now (CSRF token)
//   GET  /posteingang             the unread messages of the person's office or department
//   GET  /posteingang/live        new messages as server-sent events (live.h)
//   POST /posteingang/gelesen     acknowledges them up to `bis` (CSRF token)
//
// and the pages of each area, which site.h lists.

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/client/client.h"
#include "common/config/config.h"
#include "common/ops/http.h"
#include "services/web/accounts.h"
#include "services/web/live.h"
#include "services/web/sessions.h"
#include "services/web/site.h"
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
  // Whether Serve() takes requests: a Stop() before it does would go unheard (cpp-httplib's stop
  // acts on a running server only), so main waits for it before it says ready.
  bool Serving() const;
  void Stop();
  bool tls() const { return tls_; }

 private:
  void Routes();
  void Login(const httplib::Request& request, httplib::Response& response);
  // GET: the roles of the person's account to choose from; POST: the session acts in the chosen
  // one (`rolle`, its index) from now on.
  void ChooseRole(const httplib::Request& request, httplib::Response& response);
  void Logout(const httplib::Request& request, httplib::Response& response);
  // The inbox page; with `ack`, the messages up to that seq are acknowledged first.
  void Inbox(const httplib::Request& request, httplib::Response& response, uint64_t ack = 0);
  // GET /posteingang/live: server-sent events, one per new message of the caller's inbox (as
  // the page's list item), from the live hub.
  void LiveInbox(const httplib::Request& request, httplib::Response& response);
  void MarkRead(const httplib::Request& request, httplib::Response& response);

  const config::Config& config_;
  const bool tls_;
  Site site_;
  InboxHub hub_;
  // Live pages open now; beyond kMaxLive a page gets none and reloads itself instead.
  static constexpr int kMaxLive = 256;
  std::atomic<int> live_ = 0;
  std::atomic<bool> stopping_ = false;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace lotse::web
