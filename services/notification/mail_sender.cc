#include "services/notification/mail_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>

#include "common/format.h"

namespace lotse::notification {
namespace {

constexpr long kConnectTimeoutMs = 2000;    // NOLINT(google-runtime-int): libcurl takes long
constexpr long kTransferTimeoutMs = 10000;  // NOLINT(google-runtime-int)

// The message being uploaded: libcurl pulls it through Read().
struct Upload {
  std::string_view rest;
};

size_t Read(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

// Called by libcurl about once a second and more often during a transfer; a non-zero return
// aborts the transfer (shutdown).
int Progress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
             curl_off_t /*ulnow*/) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

std::once_flag curl_once;
CURLcode curl_init_result = CURLE_OK;

}  // namespace

absl::StatusOr<std::unique_ptr<MailSender>> MailSender::Start(std::string smtp_url,
                                                              std::string from, bool require_tls) {
  // curl_global_init is not thread-safe: it runs here, on the service thread, before any worker.
  std::call_once(curl_once, [] { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init_result != CURLE_OK) {
    return absl::InternalError(
        StrCat("libcurl cannot be initialised: ", curl_easy_strerror(curl_init_result)));
  }
  return std::unique_ptr<MailSender>(
      new MailSender(std::move(smtp_url), std::move(from), require_tls));
}

MailSender::MailSender(std::string smtp_url, std::string from, bool require_tls)
    : smtp_url_(std::move(smtp_url)),
      from_(std::move(from)),
      require_tls_(require_tls),
      worker_([this] { Loop(); }) {}

MailSender::~MailSender() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  aborting_ = true;
  wake_.notify_all();
  worker_.join();
}

void MailSender::Submit(MailTask task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

std::vector<MailResult> MailSender::TakeResults() {
  std::lock_guard lock(mu_);
  return std::exchange(results_, {});
}

void MailSender::Loop() {
  while (true) {
    MailTask task;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) {
        return;
      }
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    MailResult result = Send(task);
    std::lock_guard lock(mu_);
    results_.push_back(std::move(result));
  }
}

MailResult MailSender::Send(const MailTask& task) const {
  MailResult result;
  result.key = task.key;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    result.error = "libcurl could not create a handle";
    return result;
  }
  const std::string from = StrCat("<", from_, ">");
  curl_slist* recipients = curl_slist_append(nullptr, StrCat("<", task.address, ">").c_str());
  Upload upload{task.text};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, smtp_url_.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, Read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kTransferTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // a worker thread must not get SIGALRM
  // Required: no STARTTLS, no mail (CURLE_USE_SSL_FAILED). Off: plain, never even tried.
  curl_easy_setopt(curl, CURLOPT_USE_SSL,  // NOLINT(google-runtime-int)
                   static_cast<long>(require_tls_ ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &aborting_);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(curl);
  long response = 0;  // NOLINT(google-runtime-int)
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (code == CURLE_OK) {
    result.ok = true;
    return result;
  }
  result.error =
      StrCat(curl_easy_strerror(code), error[0] != '\0' ? ": " : "", std::string_view(error),
             response != 0 ? StrCat(" (SMTP reply ", response, ")") : "");
  return result;
}

}  // namespace lotse::notification
