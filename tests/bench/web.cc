#include "tests/bench/web.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/format.h"
#include "httplib.h"
#include "tests/bench/bench_set.h"
#include "tests/bench/flow.h"
#include "tests/support/wait.h"

namespace lotse::bench {
namespace {

constexpr int kWorklistItems = 10000;
constexpr int kSamples = 100;  // requests per page or call measured

// Every login's password from lotse-web's first start.
std::map<std::string, std::string> Passwords(const BenchSet& set) {
  std::map<std::string, std::string> out;
  const std::string file = test::ReadFile(set.dir() + "/data/web/initial-passwords");
  for (absl::string_view line : absl::StrSplit(file, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> cells = absl::StrSplit(line, '\t');
    if (cells.size() == 3) {
      out[cells[0]] = cells[1];
    }
  }
  return out;
}

httplib::Client Http(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(60, 0);
  return client;
}

// The session cookie ("lotse_session=…") of a page login; "" if refused.
std::string LoginCookie(int port, const std::string& login, const std::string& password) {
  const httplib::Result r =
      Http(port).Post("/anmelden", httplib::Params{{"login", login}, {"password", password}});
  if (!r || r->status != 303) {
    return "";
  }
  const std::string set_cookie = r->get_header_value("Set-Cookie");
  return set_cookie.substr(0, set_cookie.find(';'));
}

// The bearer token of an API session; "" if refused.
std::string ApiToken(int port, const std::string& login, const std::string& password) {
  const httplib::Result r = Http(port).Post(
      "/api/v1/session", StrCat(R"({"login":")", login, R"(","password":")", password, "\"}"),
      "application/json");
  if (!r || r->status != 201) {
    return "";
  }
  const std::string key = R"("token":")";
  const size_t at = r->body.find(key);
  if (at == std::string::npos) {
    return "";
  }
  const size_t from = at + key.size();
  return r->body.substr(from, r->body.find('"', from) - from);
}

// The value of `name=` in the first link of `page` that has one, up to the next quote or &.
std::string LinkParam(const std::string& page, const std::string& name) {
  const size_t at = page.find(StrCat(name, "="));
  if (at == std::string::npos) {
    return "";
  }
  const size_t from = at + name.size() + 1;
  return page.substr(from, page.find_first_of("\"&", from) - from);
}

// Opens /posteingang/live as a browser does and keeps it open: the socket, or -1 unless the
// answer's head said 200 and text/event-stream.
int OpenLive(int port, const std::string& cookie) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request =
      StrCat("GET /posteingang/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n",
             "Cookie: ", cookie, "\r\n\r\n");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    head.append(buffer, static_cast<size_t>(n));
  }
  if (!head.starts_with("HTTP/1.1 200") || head.find("text/event-stream") == std::string::npos) {
    close(fd);
    return -1;
  }
  return fd;
}

// Browsers with the inbox open: `n` live connections over `cookies` in turn, read on one
// thread as a browser reads them (what arrives is counted and dropped).
class LiveConnections {
 public:
  LiveConnections(int port, const std::vector<std::string>& cookies, int n) {
    for (int i = 0; i < n; ++i) {
      const int fd = OpenLive(port, cookies[static_cast<size_t>(i) % cookies.size()]);
      if (fd >= 0) {
        fds_.push_back(fd);
      } else {
        ++refused_;
      }
    }
    reader_ = std::thread([this] { Read(); });
  }
  ~LiveConnections() {
    stop_ = true;
    reader_.join();
    for (const int fd : fds_) {
      close(fd);
    }
  }
  LiveConnections(const LiveConnections&) = delete;
  LiveConnections& operator=(const LiveConnections&) = delete;

  int open() const { return static_cast<int>(fds_.size()); }
  int refused() const { return refused_; }
  uint64_t bytes() const { return bytes_; }
  // How many are still open: a connection the server ended reads 0.
  int still_open() const { return static_cast<int>(fds_.size()) - closed_; }

 private:
  void Read() {
    std::vector<pollfd> polled;
    for (const int fd : fds_) {
      polled.push_back(pollfd{fd, POLLIN, 0});
    }
    char buffer[16384];
    while (!stop_) {
      if (poll(polled.data(), polled.size(), 100) <= 0) {
        continue;
      }
      for (pollfd& p : polled) {
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
          continue;
        }
        const ssize_t n = recv(p.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n > 0) {
          bytes_ += static_cast<uint64_t>(n);
        } else if (n == 0) {
          ++closed_;
          p.fd = -1;  // poll skips it from now on
        }
      }
    }
  }

  std::vector<int> fds_;
  int refused_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<int> closed_{0};
  std::thread reader_;
};

// The first referral a worklist page links to ("2026-000123"), "" if none.
std::string FirstReferral(const std::string& page) {
  const std::string key = "/vorgaenge/";
  const size_t at = page.find(key);
  if (at == std::string::npos) {
    return "";
  }
  const size_t from = at + key.size();
  return page.substr(from, page.find('"', from) - from);
}

// `n` sequential calls of `call` (true: the answer was right); the times of the right ones.
Stage Measure(const std::string& name, const std::function<bool()>& call, int* failures) {
  Stage stage(name);
  for (int i = 0; i < kSamples; ++i) {
    const absl::Time start = absl::Now();
    if (call()) {
      stage.ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    } else {
      ++*failures;
    }
  }
  return stage;
}

struct Throughput {
  double referrals_per_s = 0;  // whole flows completed per second
  double submit_ack_p99_ms = 0;
  double answer_to_inbox_p99_ms = 0;
  bool ok = false;
};

// `rate` referrals/s offered for `seconds` (open loop) on every department but umwelt, each
// through the whole flow: submit, claim, answer, the office's inbox, feedback.
Throughput Offer(const BenchSet& set, double seconds, double rate, int first_index) {
  FlowOptions flow;
  flow.seconds = seconds;
  flow.rate = rate;
  flow.first_index = first_index;
  flow.exclude_department = "umwelt";  // its 10,000 stay as they are
  const FlowResult r = RunFlow(set, flow);
  Throughput t;
  t.referrals_per_s =
      r.total_seconds > 0 ? static_cast<double>(r.completed) / r.total_seconds : 0;
  t.submit_ack_p99_ms = r.submit_ack.Percentile(99);
  t.answer_to_inbox_p99_ms = r.answer_to_inbox.Percentile(99);
  t.ok = r.problem.empty() && r.errors == 0 && r.completed > 0;
  fmt::print(stderr, "web: a run: {:.0f} referrals/s, answer to inbox p99 {:.1f} ms{}{}\n",
             t.referrals_per_s, t.answer_to_inbox_p99_ms, r.problem.empty() ? "" : ", ", r.problem);
  return t;
}

std::string Fixed(double value, int digits) { return fmt::format("{:.{}f}", value, digits); }

}  // namespace

WebReport WebBench(const std::string& bin_dir, bool keep, double seconds, double rate, int live) {
  WebReport report;
  const absl::Time began = absl::Now();
  auto note = [&](const std::string& what) {  // progress on stderr: the whole run takes minutes
    fmt::print(stderr, "web: {} ({:.0f} s)\n", what, absl::ToDoubleSeconds(absl::Now() - began));
  };
  BenchSet set(bin_dir, "", keep);
  if (absl::Status s = set.Start(/*with_web=*/true); !s.ok()) {
    report.text = StrCat("web: the set did not start: ", std::string(s.message()), "\n");
    return report;
  }
  const int port = set.WebPort();
  std::map<std::string, std::string> passwords = Passwords(set);

  // 10,000 open referrals on the environment office's worklist.
  FlowOptions umwelt;
  umwelt.full_flow = false;
  umwelt.only_topic = "emissionsschutz";
  int stored = 0;
  while (stored < kWorklistItems) {
    umwelt.seconds = 5;
    umwelt.max_submits = static_cast<uint64_t>(kWorklistItems - stored);
    umwelt.first_index = stored;
    stored += static_cast<int>(RunFlow(set, umwelt).submitted);
  }
  note(StrCat(stored, " open referrals on umwelt's worklist"));
  (void)set.WaitQuiet(absl::Seconds(300));
  note("the set is quiet");
  int next_index = stored;

  // The set's throughput before any live connection, as the first of the "without" runs.
  std::vector<Throughput> without, with;
  without.push_back(Offer(set, seconds, rate, next_index));
  next_index += 1000000;

  // The live connections: the offices' inboxes, as many browsers as asked, round-robin over
  // the offices' sessions (each office watched by many pages, as at a busy counter).
  std::vector<std::string> office_cookies;
  for (const char* office : {"bb-mitte", "bb-nord", "bb-sued"}) {
    office_cookies.push_back(LoginCookie(port, office, passwords[office]));
  }
  auto streams = std::make_unique<LiveConnections>(port, office_cookies, live);
  int refused_streams = streams->refused();
  note(StrCat(streams->open(), " live connections open"));

  // The department's pages and API calls with the live connections open.
  const std::string cookie = LoginCookie(port, "um-wagner", passwords["um-wagner"]);
  const std::string token = ApiToken(port, "um-wagner", passwords["um-wagner"]);
  int failures = 0;
  httplib::Client client = Http(port);
  const httplib::Headers session = {{"Cookie", cookie}};
  const httplib::Headers bearer = {{"Authorization", StrCat("Bearer ", token)}};
  std::string first_page;
  if (const httplib::Result r = client.Get("/arbeitsliste?alle=1", session);
      r && r->status == 200) {
    first_page = r->body;
  }
  const std::string next = LinkParam(first_page, "nach");
  const std::string ref = FirstReferral(first_page);
  std::string api_next;
  if (const httplib::Result r = client.Get("/api/v1/worklist?limit=50", bearer);
      r && r->status == 200) {
    const std::string key = R"("next":")";
    if (const size_t at = r->body.find(key); at != std::string::npos) {
      const size_t from = at + key.size();
      api_next = r->body.substr(from, r->body.find('"', from) - from);
    }
  }
  auto page = [&](const std::string& path, const std::string& must_have) {
    return [&, path, must_have] {
      const httplib::Result r = client.Get(path, session);
      return r && r->status == 200 && r->body.find(must_have) != std::string::npos;
    };
  };
  auto api = [&](const std::string& path) {
    return [&, path] {
      const httplib::Result r = client.Get(path, bearer);
      return r && r->status == 200;
    };
  };
  std::vector<Stage> stages;
  stages.push_back(Measure("page_worklist_first_50",
                           page("/arbeitsliste?alle=1", "Weitere Vorgänge"), &failures));
  stages.push_back(Measure("page_worklist_next_50",
                           page(StrCat("/arbeitsliste?alle=1&nach=", next), "Zum Anfang"),
                           &failures));
  stages.push_back(Measure("page_referral",
                           page(StrCat("/vorgaenge/", ref), "Betriebserweiterung"), &failures));
  stages.push_back(Measure("page_inbox", page("/posteingang", "Posteingang"), &failures));
  stages.push_back(Measure("api_worklist_first_50", api("/api/v1/worklist?limit=50"), &failures));
  stages.push_back(Measure("api_worklist_next_50",
                           api(StrCat("/api/v1/worklist?limit=50&after=", api_next)), &failures));
  const ProcessFigures web = ReadFigures(set.WebPid());
  note("pages and API measured");

  // Throughput with the connections open, then without again, alternating. The answers reach
  // the offices' open inboxes: what the live connections read shows they were live.
  with.push_back(Offer(set, seconds, rate, next_index));
  next_index += 1000000;
  uint64_t live_bytes = streams->bytes();
  int live_ended = streams->open() - streams->still_open();
  streams.reset();
  without.push_back(Offer(set, seconds, rate, next_index));
  next_index += 1000000;
  streams = std::make_unique<LiveConnections>(port, office_cookies, live);
  refused_streams += streams->refused();
  with.push_back(Offer(set, seconds, rate, next_index));
  live_bytes += streams->bytes();
  live_ended += streams->open() - streams->still_open();
  streams.reset();
  (void)set.Stop();

  auto mean = [](const std::vector<Throughput>& runs) {
    double sum = 0;
    for (const Throughput& t : runs) {
      sum += t.referrals_per_s;
    }
    return runs.empty() ? 0 : sum / static_cast<double>(runs.size());
  };
  const double rate_without = mean(without);
  const double rate_with = mean(with);
  bool flows_ok = true;
  for (const auto* runs : {&without, &with}) {
    for (const Throughput& t : *runs) {
      flows_ok = flows_ok && t.ok;
    }
  }
  report.ok = failures == 0 && refused_streams == 0 && live_ended == 0 && live_bytes > 0 &&
              flows_ok && !next.empty() && !ref.empty();

  std::string stages_json;
  StrAppend(&report.text,
            fmt::format("web: {} open referrals on umwelt's worklist (pages of 50), {} live "
                        "connections open ({} refused); {} requests each, one after another\n",
                        kWorklistItems, live, refused_streams, kSamples));
  for (const Stage& s : stages) {
    StrAppend(&report.text, fmt::format("  {:<24} p50 {:>7.2f} ms   p99 {:>7.2f} ms   ({} of {})\n",
                                        s.name, s.Percentile(50), s.Percentile(99), s.ms.size(),
                                        kSamples));
    StrAppend(&stages_json, stages_json.empty() ? "" : ",", "\"", s.name, R"(":{"p50_ms":)",
              Fixed(s.Percentile(50), 3), R"(,"p99_ms":)", Fixed(s.Percentile(99), 3),
              R"(,"count":)", s.ms.size(), "}");
  }
  StrAppend(&report.text,
            fmt::format("  live connections: {} KiB of events read during the runs with them, {} "
                        "ended by the server\n",
                        live_bytes / 1024, live_ended));
  StrAppend(&report.text,
            fmt::format("  lotse-web: RSS {:.1f} MiB (peak {:.1f}), {:.1f} s CPU so far\n",
                        web.rss_mb, web.peak_rss_mb, web.cpu_seconds));
  StrAppend(&report.text,
            fmt::format("  set throughput at {:.0f} referrals/s offered, whole flows (alternating; "
                        "answer to the office's inbox p99 in brackets):",
                        rate));
  for (size_t i = 0; i < without.size(); ++i) {
    StrAppend(&report.text, fmt::format(" without {:.0f} ({:.0f} ms)", without[i].referrals_per_s,
                                        without[i].answer_to_inbox_p99_ms));
    if (i < with.size()) {
      StrAppend(&report.text, fmt::format(" | with {:.0f} ({:.0f} ms)", with[i].referrals_per_s,
                                          with[i].answer_to_inbox_p99_ms));
    }
  }
  StrAppend(&report.text, fmt::format("\n  mean: without {:.0f}, with {} live connections {:.0f} "
                                      "referrals/s: ratio {:.3f}\n",
                                      rate_without, live, rate_with,
                                      rate_without > 0 ? rate_with / rate_without : 0));
  if (!report.ok) {
    StrAppend(&report.text,
              fmt::format("  PROBLEM: {} requests failed, {} live connections refused, {} ended, "
                          "flows {}, paging {}\n",
                          failures, refused_streams, live_ended,
                          flows_ok ? "complete" : "incomplete",
                          next.empty() || ref.empty() ? "not found" : "found"));
  }
  report.json = StrCat(
      R"({"worklist_items":)", kWorklistItems, R"(,"live_connections":)", live,
      R"(,"live_refused":)", refused_streams, R"(,"live_ended":)", live_ended, R"(,"live_bytes":)",
      live_bytes, R"(,"failures":)", failures, R"(,"latency":{)", stages_json, R"(},"web_rss_mb":)",
      Fixed(web.rss_mb, 1), R"(,"offered_per_s":)", Fixed(rate, 0),
      R"(,"referrals_per_s_without_live":)", Fixed(rate_without, 1),
      R"(,"referrals_per_s_with_live":)", Fixed(rate_with, 1), R"(,"ratio_with_to_without":)",
      Fixed(rate_without > 0 ? rate_with / rate_without : 0, 4), "}");
  return report;
}

}  // namespace lotse::bench
