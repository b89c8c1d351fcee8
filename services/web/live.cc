#include "services/web/live.h"

#include "absl/time/clock.h"
#include "common/format.h"
#include "spdlog/spdlog.h"

namespace lotse::web {

InboxHub::InboxHub(client::Client& services, absl::Duration interval)
    : services_(services), interval_(interval), thread_([this] { Loop(); }) {}

InboxHub::~InboxHub() {
  Stop();
  thread_.join();
}

void InboxHub::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  changed_.notify_all();
}

int InboxHub::watchers() const {
  std::lock_guard lock(mu_);
  return watchers_;
}

std::string InboxHub::KeyOf(const lotse::v1::NotificationRequest& read) {
  return StrCat(static_cast<int>(read.actor().kind()), "/", read.actor().id(), "/",
                read.inbox().inbox());
}

std::vector<lotse::v1::InboxMessage> InboxHub::WaitFor(const lotse::v1::NotificationRequest& read,
                                                       uint64_t after, absl::Duration timeout) {
  const std::string key = KeyOf(read);
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::unique_lock lock(mu_);
  Inbox& inbox = inboxes_[key];
  if (inbox.watchers++ == 0 && !inbox.read_once) {
    inbox.read = read;
  }
  ++watchers_;
  std::vector<lotse::v1::InboxMessage> out;
  changed_.wait_until(lock, deadline, [&] {
    if (stopped_) {
      return true;
    }
    for (const lotse::v1::InboxMessage& m : inbox.unread) {
      if (m.seq() > after) {
        out.push_back(m);
      }
    }
    return !out.empty();
  });
  --inbox.watchers;
  --watchers_;
  return out;
}

void InboxHub::Loop() {
  std::unique_lock lock(mu_);
  while (!stopped_) {
    changed_.wait_for(lock, absl::ToChronoNanoseconds(interval_));
    if (stopped_) {
      break;
    }
    // Read each watched inbox outside the lock; an inbox nobody watches is forgotten.
    std::vector<std::pair<std::string, lotse::v1::NotificationRequest>> reads;
    for (auto it = inboxes_.begin(); it != inboxes_.end();) {
      if (it->second.watchers == 0) {
        it = inboxes_.erase(it);
      } else {
        reads.emplace_back(it->first, it->second.read);
        ++it;
      }
    }
    lock.unlock();
    std::vector<std::pair<std::string, std::vector<lotse::v1::InboxMessage>>> results;
    for (auto& [key, read] : reads) {
      read.mutable_inbox()->set_ack(0);
      read.mutable_inbox()->set_wait_ms(0);
      absl::StatusOr<lotse::v1::NotificationReply> reply = services_.Call(read);
      if (!reply.ok() || reply->has_error()) {
        spdlog::warn("live inbox {} not readable: {}", key,
                     reply.ok() ? reply->error().message() : reply.status().message());
        continue;
      }
      results.emplace_back(key,
                           std::vector<lotse::v1::InboxMessage>(reply->inbox().messages().begin(),
                                                                reply->inbox().messages().end()));
    }
    lock.lock();
    for (auto& [key, messages] : results) {
      auto it = inboxes_.find(key);
      if (it != inboxes_.end()) {
        it->second.unread = std::move(messages);
        it->second.read_once = true;
      }
    }
    changed_.notify_all();
  }
}

}  // namespace lotse::web
