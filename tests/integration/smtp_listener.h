#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace lotse::test {

// One mail as the listener received it.
struct Mail {
  std::map<std::string, std::string> headers;  // rcpt, from, subject, message-id
  std::string body;                            // decoded
  const std::string& rcpt() const { return Header("rcpt"); }
  const std::string& subject() const { return Header("subject"); }
  const std::string& Header(const std::string& name) const;
};

// A real SMTP server on 127.0.0.1 (Python's smtpd in a python3 child process), plain SMTP
// without STARTTLS: a set must be told so (LOTSE_SMTP_TLS=off). Stores every message it gets
// in its own temporary directory.
class SmtpListener {
 public:
  SmtpListener();
  int port() const { return port_; }
  std::string url() const;
  // Starts (or starts again) the server and waits until it listens.
  void Start();
  // Every mail received so far, in arrival order.
  std::vector<Mail> Mails() const;
  // The mails whose recipients contain `part`.
  std::vector<Mail> To(std::string_view part) const;
  std::string Log() const;

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

}  // namespace lotse::test
