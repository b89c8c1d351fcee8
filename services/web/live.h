#pragma once

// Live inboxes for the pages' server-sent events: one read of notification per watched inbox
// every `interval`, however many pages watch it, so that 200 open pages cost the services what
// a handful of inboxes cost. A page waits here for messages newer than the last it has.
// Thread-safe.

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/client/client.h"
#include "lotse/v1/notification.pb.h"

namespace lotse::web {

class InboxHub {
 public:
  InboxHub(client::Client& services, absl::Duration interval);
  ~InboxHub();
  InboxHub(const InboxHub&) = delete;
  InboxHub& operator=(const InboxHub&) = delete;

  // The unread messages of the inbox `read` reads (its actor and inbox; no ack) with a seq
  // above `after`, as soon as there are any, else an empty list after `timeout` or at Stop().
  std::vector<lotse::v1::InboxMessage> WaitFor(const lotse::v1::NotificationRequest& read,
                                               uint64_t after, absl::Duration timeout);
  // Wakes every waiter with nothing and lets no one wait again (the server stops).
  void Stop();
  // Pages waiting now (for the benchmark and /metrics).
  int watchers() const;

 private:
  struct Inbox {
    lotse::v1::NotificationRequest read;
    std::vector<lotse::v1::InboxMessage> unread;  // as of the last read
    int watchers = 0;
    bool read_once = false;
  };
  void Loop();
  static std::string KeyOf(const lotse::v1::NotificationRequest& read);

  client::Client& services_;
  const absl::Duration interval_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Inbox> inboxes_;  // guarded by mu_
  int watchers_ = 0;                      // guarded by mu_
  bool stopped_ = false;                  // guarded by mu_
  std::thread thread_;                    // last: starts after everything above
};

}  // namespace lotse::web
