#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace lotse::notification {

// One mail to send: `key` identifies the job for the caller (its state_mail key).
struct MailTask {
  std::string key;
  std::string address;  // envelope recipient
  std::string text;     // the whole RFC 5322 message
};

struct MailResult {
  std::string key;
  bool ok = false;
  std::string error;  // why it failed, for people (libcurl's message and the SMTP reply)
};

// Sends mails over SMTP with libcurl on a worker thread it owns, one at a time, so a slow or
// dead SMTP server never blocks the service loop (connect timeout 2 s, whole transfer 10 s).
// Submit() queues a task; TakeResults() returns what has finished since the last call.
// Thread-safe. The destructor aborts a transfer in progress (within about a second) and joins
// the worker; tasks still queued are dropped (their jobs stay stored and are sent again later).
class MailSender {
 public:
  // Initialises libcurl (once per process) and starts the worker. `smtp_url` e.g.
  // "smtp://127.0.0.1:2525"; `from` the envelope sender. With `require_tls`, a server that
  // offers no STARTTLS gets no mail (the send fails and is retried); smtps:// is TLS anyway.
  static absl::StatusOr<std::unique_ptr<MailSender>> Start(std::string smtp_url, std::string from,
                                                           bool require_tls);
  ~MailSender();
  MailSender(const MailSender&) = delete;
  MailSender& operator=(const MailSender&) = delete;

  void Submit(MailTask task);
  std::vector<MailResult> TakeResults();

 private:
  MailSender(std::string smtp_url, std::string from, bool require_tls);
  void Loop();
  MailResult Send(const MailTask& task) const;

  const std::string smtp_url_;
  const std::string from_;
  const bool require_tls_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<MailTask> queue_;       // guarded by mu_
  std::vector<MailResult> results_;  // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::atomic<bool> aborting_{false};
  std::thread worker_;  // last: started after everything it uses
};

}  // namespace lotse::notification
