#include "tests/integration/smtp_listener.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_split.h"
#include "common/format.h"
#include "gtest/gtest.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

// Stores every received message as "<pid>-<n>.mail" in the directory: a few header lines
// (rcpt, from, decoded subject, message-id), an empty line, the decoded body.
constexpr std::string_view kListenerScript = R"py(
import asyncore, email, email.header, os, smtpd, sys
port, outdir = int(sys.argv[1]), sys.argv[2]

class Listener(smtpd.SMTPServer):
    count = 0
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        Listener.count += 1
        msg = email.message_from_bytes(data)
        subject = str(email.header.make_header(email.header.decode_header(msg['Subject'])))
        body = msg.get_payload(decode=True).decode('utf-8')
        name = os.path.join(outdir, '%d-%04d' % (os.getpid(), Listener.count))
        with open(name + '.tmp', 'w', encoding='utf-8') as f:
            f.write('rcpt: %s\nfrom: %s\nsubject: %s\nmessage-id: %s\n\n%s' % (
                ','.join(rcpttos), mailfrom, subject, msg['Message-ID'], body))
        os.rename(name + '.tmp', name + '.mail')

Listener(('127.0.0.1', port), None, decode_data=False)
open(os.path.join(outdir, 'ready'), 'w').close()
asyncore.loop()
)py";

}  // namespace

const std::string& Mail::Header(const std::string& name) const {
  static const std::string* const kNone = new std::string;
  auto it = headers.find(name);
  return it == headers.end() ? *kNone : it->second;
}

SmtpListener::SmtpListener() : port_(FindFreePortBase(1)) {
  EXPECT_TRUE(WriteFile(dir_.Join("listener.py"), kListenerScript).ok());
}

std::string SmtpListener::url() const { return StrCat("smtp://127.0.0.1:", port_); }

void SmtpListener::Start() {
  std::remove(dir_.Join("ready").c_str());
  absl::StatusOr<std::unique_ptr<Process>> p =
      Process::Start("python3", {dir_.Join("listener.py"), std::to_string(port_), dir_.path()}, {},
                     dir_.Join("listener.log"));
  ASSERT_TRUE(p.ok()) << p.status();
  process_ = std::move(*p);
  const std::string ready = dir_.Join("ready");
  ASSERT_TRUE(WaitUntil([&] { return access(ready.c_str(), F_OK) == 0; }, absl::Seconds(10)))
      << "the SMTP listener did not come up:\n"
      << ReadFile(dir_.Join("listener.log"));
}

std::vector<Mail> SmtpListener::Mails() const {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir_.path().c_str())) {
    while (const dirent* entry = readdir(d)) {
      const std::string name = entry->d_name;
      if (name.size() > 5 && name.ends_with(".mail")) {
        names.push_back(name);
      }
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::vector<Mail> mails;
  for (const std::string& name : names) {
    const std::string text = ReadFile(dir_.Join(name));
    Mail& mail = mails.emplace_back();
    const size_t split = text.find("\n\n");
    for (const absl::string_view line :
         absl::StrSplit(absl::string_view(text.data(), std::min(split, text.size())), '\n')) {
      const size_t colon = line.find(": ");
      if (colon != absl::string_view::npos) {
        mail.headers[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
      }
    }
    mail.body = split == std::string::npos ? "" : text.substr(split + 2);
  }
  return mails;
}

std::vector<Mail> SmtpListener::To(std::string_view part) const {
  std::vector<Mail> out;
  for (Mail& m : Mails()) {
    if (m.rcpt().find(part) != std::string::npos) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

std::string SmtpListener::Log() const { return ReadFile(dir_.Join("listener.log")); }

}  // namespace lotse::test
