// lotse-bench: drives the real services through the whole flow and measures them against the
// machine's own ceiling. See tests/bench/README.md.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/clock.h"
#include "common/format.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/routing.pb.h"
#include "tests/bench/bench_set.h"
#include "tests/bench/ceiling.h"
#include "tests/bench/disk.h"
#include "tests/bench/flow.h"
#include "tests/bench/scale.h"
#include "tests/bench/soak.h"
#include "tests/bench/targets.h"
#include "tests/bench/web.h"
#include "tests/support/process.h"
#include "zmq.hpp"

namespace lotse::bench {
namespace {

struct Options {
  std::string mode;
  double seconds = 10;
  double rate = 0;  // latency: one rate instead of the default list
  std::vector<double> rates = {500, 2000, 10000};
  int window = 512;
  int flows = 1024;             // saturation: referrals in the flow at once (0: unbounded)
  uint64_t referrals = 100000;  // scale: up to this many stored
  double long_seconds = 0;      // saturation: a second, long run to compare with (0: none)
  double soak_seconds = 3600;   // soak: how long
  double soak_window = 600;     // soak: seconds per window
  int live = 200;  // web: open live connections
  double every = 15;      // disk: seconds between samples
  double speedup = 2880;  // disk: the service clock (2880: a day in 30 s)
  bool json = false;
  bool keep = false;
  std::string out_dir = "bench-out";
  std::string bin_dir;
};

// The report as JSON text, assembled by hand (flat and small).
class Json {
 public:
  void Field(const std::string& name, double value) { Add(name, fmt::format("{:.6g}", value)); }
  void Field(const std::string& name, const std::string& value) {
    Add(name, StrCat("\"", value, "\""));
  }
  void Raw(const std::string& name, const std::string& json) { Add(name, json); }
  std::string Text() const { return StrCat("{", body_, "}"); }

 private:
  void Add(const std::string& name, const std::string& value) {
    StrAppend(&body_, body_.empty() ? "" : ",", "\"", name, "\":", value);
  }
  std::string body_;
};

std::string SelfBinary() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).string();
}

// A ReferralSubmitted envelope as the bench sends it, for the ceiling's event size.
size_t TypicalEventBytes() {
  lotse::v1::Envelope e;
  e.set_event_id("intake-0123456789abcdef-123456");
  e.set_stream("intake");
  e.set_seq(123456);
  e.set_epoch(0x0123456789abcdefULL);
  e.set_occurred_at_us(absl::ToUnixMicros(absl::Now()));
  e.set_referral_id("r19a8b6c5d4e0123456789abcdef");  // ms + 64 random bits, as intake makes them
  e.set_case_number("2026-123456");
  e.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  e.mutable_actor()->set_id("bb-mitte");
  lotse::v1::Referral* r = e.mutable_referral_submitted()->mutable_referral();
  r->set_office("bb-mitte");
  r->set_company_id("B-123456");
  r->set_company_name("Betrieb 123456 GmbH");
  r->set_topic("baugenehmigung");
  r->set_subject("Frage zur Genehmigung einer Betriebserweiterung");
  r->set_text("Welche Unterlagen brauchen wir für die Erweiterung, und wie lange dauert die "
              "Prüfung? Wir planen den Baubeginn im Frühjahr.");
  return e.ByteSizeLong();
}

struct ServiceFigures {
  double cpu_seconds = 0;
  double peak_rss_mb = 0;
  double commits = 0;         // lotse_commit_duration_seconds_count
  double commit_seconds = 0;  // ..._sum
  double committed_items = 0;  // lotse_commit_batch_size_sum
  uint64_t produced = 0;  // log head
  uint64_t consumed = 0;  // sum of consumer offsets
};

// The value of the first series of `name` (labels ignored), 0 if absent.
double MetricValue(const std::string& metrics, const std::string& name) {
  for (size_t at = metrics.find(name); at != std::string::npos; at = metrics.find(name, at + 1)) {
    if ((at == 0 || metrics[at - 1] == '\n') &&
        (metrics[at + name.size()] == '{' || metrics[at + name.size()] == ' ')) {
      const size_t value = metrics.find(' ', at + name.size());
      return std::stod(metrics.substr(value + 1));
    }
  }
  return 0;
}

std::vector<ServiceFigures> Figures(const BenchSet& set) {
  std::vector<ServiceFigures> out(4);
  for (int i = 0; i < 4; ++i) {
    const ProcessFigures p = ReadFigures(set.Pid(i));
    out[i].cpu_seconds = p.cpu_seconds;
    out[i].peak_rss_mb = p.peak_rss_mb;
    const std::string metrics = set.Metrics(i);
    out[i].commits = MetricValue(metrics, "lotse_commit_duration_seconds_count");
    out[i].commit_seconds = MetricValue(metrics, "lotse_commit_duration_seconds_sum");
    out[i].committed_items = MetricValue(metrics, "lotse_commit_batch_size_sum");
    if (absl::StatusOr<lotse::v1::ServiceStatus> s = set.Status(i); s.ok()) {
      out[i].produced = s->log_head();
      for (const auto& c : s->consumers()) {
        out[i].consumed += c.offset();
      }
    }
  }
  return out;
}

struct SaturationReport {
  double referrals_per_s = 0;
  double submit_ack_p50_ms = 0;
  double submit_ack_p99_ms = 0;
  double events_per_s = 0;  // produced by the four services together
  std::string json;
  std::string text;
  bool ok = false;
};

SaturationReport Saturation(const Options& o, bool plain = false, double seconds = 0) {
  SaturationReport report;
  BenchSet set(o.bin_dir, "", o.keep, plain);
  if (absl::Status s = set.Start(); !s.ok()) {
    report.text = StrCat("saturation: the set did not start: ", ToStd(s.message()), "\n");
    return report;
  }
  FlowOptions flow;
  flow.seconds = seconds > 0 ? seconds : o.seconds;
  flow.window = o.window;
  flow.flows = o.flows;
  // What was submitted beyond the flow's pace is worked off after the submits stop: the longer
  // the run, the longer that may take.
  flow.drain = std::max(absl::Seconds(60), absl::Seconds(flow.seconds * 2));
  const std::vector<ServiceFigures> before = Figures(set);
  // Where the work piles up: the largest lag of every consumer, sampled every 250 ms.
  std::map<std::string, uint64_t> max_lag;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      for (int i = 0; i < 4; ++i) {
        if (absl::StatusOr<lotse::v1::ServiceStatus> s = set.Status(i); s.ok()) {
          for (const auto& c : s->consumers()) {
            uint64_t& m = max_lag[StrCat(c.consumer(), "<-", c.stream())];
            m = std::max<uint64_t>(m, c.lag());
          }
        }
      }
      absl::SleepFor(absl::Milliseconds(250));
    }
  });
  const FlowResult r = RunFlow(set, flow);
  done = true;
  sampler.join();
  const std::vector<ServiceFigures> after = Figures(set);
  report.referrals_per_s = static_cast<double>(r.completed) / r.total_seconds;
  report.submit_ack_p50_ms = r.submit_ack.Percentile(50);
  report.submit_ack_p99_ms = r.submit_ack.Percentile(99);
  report.ok = r.problem.empty() && r.errors == 0;
  Json j;
  j.Field("referrals_per_s", report.referrals_per_s);
  j.Field("submits_per_s", static_cast<double>(r.submitted) / r.submit_seconds);
  j.Field("referrals_completed", static_cast<double>(r.completed));
  j.Field("seconds", r.total_seconds);
  j.Field("errors", static_cast<double>(r.errors));
  std::string services;
  double events_produced = 0;
  StrAppend(&report.text, "saturation: ", r.completed, " referrals through the full flow in ",
            fmt::format("{:.1f}", r.total_seconds), " s = ",
            fmt::format("{:.0f}", report.referrals_per_s), " referrals/s (submits ",
            fmt::format("{:.0f}", static_cast<double>(r.submitted) / r.submit_seconds),
            "/s while submitting)\n");
  for (int i = 0; i < 4; ++i) {
    Json s;
    const double produced = static_cast<double>(after[i].produced - before[i].produced);
    const double consumed = static_cast<double>(after[i].consumed - before[i].consumed);
    events_produced += produced;
    s.Field("events_produced_per_s", produced / r.total_seconds);
    s.Field("events_consumed_per_s", consumed / r.total_seconds);
    s.Field("cpu_seconds", after[i].cpu_seconds - before[i].cpu_seconds);
    s.Field("peak_rss_mb", after[i].peak_rss_mb);
    const double commits = after[i].commits - before[i].commits;
    const double mean_commit_ms =
        commits > 0 ? (after[i].commit_seconds - before[i].commit_seconds) / commits * 1000 : 0;
    const double mean_batch =
        commits > 0 ? (after[i].committed_items - before[i].committed_items) / commits : 0;
    s.Field("commits", commits);
    s.Field("mean_commit_ms", mean_commit_ms);
    s.Field("mean_batch", mean_batch);
    StrAppend(&services, i == 0 ? "" : ",", "\"", kServices[i], "\":", s.Text());
    StrAppend(&report.text,
              fmt::format("  {:<13} produced {:>8.0f} ev/s  consumed {:>8.0f} ev/s  cpu {:>6.1f} s  "
                          "peak RSS {:>6.1f} MB  {:>6.0f} commits of {:>5.1f} ms, {:>5.1f} items\n",
                          kServices[i], produced / r.total_seconds, consumed / r.total_seconds,
                          after[i].cpu_seconds - before[i].cpu_seconds, after[i].peak_rss_mb,
                          commits, mean_commit_ms, mean_batch));
  }
  report.events_per_s = events_produced / r.total_seconds;
  j.Field("events_per_s", report.events_per_s);
  j.Raw("services", StrCat("{", services, "}"));
  j.Raw("submit_ack", StageJson(r.submit_ack));
  std::string lags;
  StrAppend(&report.text, "  largest consumer lag (events):");
  for (const auto& [name, lag] : max_lag) {
    StrAppend(&lags, lags.empty() ? "" : ",", "\"", name, "\":", lag);
    StrAppend(&report.text, " ", name, " ", lag);
  }
  StrAppend(&report.text, "\n");
  j.Raw("max_consumer_lag", StrCat("{", lags, "}"));
  if (!r.problem.empty()) {
    j.Field("problem", r.problem);
    StrAppend(&report.text, "  PROBLEM: ", r.problem, "\n");
  }
  report.json = j.Text();
  set.Stop();
  return report;
}

struct LatencyReport {
  std::map<double, double> worklist_p99_ms;  // offered rate -> submit -> worklist p99
  std::string json;
  std::string text;
  std::string data;  // gnuplot rows: rate p50 p90 p99 per stage
};

LatencyReport Latency(const Options& o) {
  LatencyReport report;
  std::vector<double> rates = o.rate > 0 ? std::vector<double>{o.rate} : o.rates;
  std::string runs;
  for (double rate : rates) {
    BenchSet set(o.bin_dir, "", o.keep);
    if (absl::Status s = set.Start(); !s.ok()) {
      StrAppend(&report.text, "latency: the set did not start: ", ToStd(s.message()), "\n");
      continue;
    }
    FlowOptions flow;
    flow.rate = rate;
    flow.seconds = o.seconds;
    flow.watch_taps = true;
    const FlowResult r = RunFlow(set, flow);
    set.Stop();
    Json j;
    j.Field("offered_per_s", rate);
    j.Field("achieved_submits_per_s", static_cast<double>(r.submitted) / o.seconds);
    j.Field("completed", static_cast<double>(r.completed));
    for (const Stage* s : {&r.submit_ack, &r.submit_to_worklist, &r.answer_to_inbox,
                           &r.event_to_audit}) {
      j.Raw(s->name, StageJson(*s));
    }
    if (!r.problem.empty()) {
      j.Field("problem", r.problem);
    }
    StrAppend(&runs, runs.empty() ? "" : ",", j.Text());
    StrAppend(&report.text, fmt::format("latency at {:.0f} referrals/s offered ({:.0f}/s acknowledged, "
                                        "{} completed the flow){}\n",
                                        rate, static_cast<double>(r.submitted) / o.seconds,
                                        r.completed, r.problem.empty() ? "" : StrCat(": ", r.problem)));
    StrAppend(&report.data, rate);
    report.worklist_p99_ms[rate] = r.submit_to_worklist.Percentile(99);
    for (const Stage* s : {&r.submit_ack, &r.submit_to_worklist, &r.answer_to_inbox,
                           &r.event_to_audit}) {
      StrAppend(&report.text, StageLine(*s));
      StrAppend(&report.data, " ", s->Percentile(50), " ", s->Percentile(90), " ",
                s->Percentile(99));
    }
    StrAppend(&report.data, "\n");
  }
  report.json = StrCat("[", runs, "]");
  return report;
}

// Draws p50/p99 of each stage against the offered rate (gnuplot from Debian, if installed).
std::string Chart(const std::string& out_dir, const std::string& data) {
  const std::string dat = out_dir + "/latency.dat";
  const std::string png = out_dir + "/latency.png";
  std::ofstream(dat) << "# rate  submit_ack p50 p90 p99  submit_to_worklist p50 p90 p99  "
                        "answer_to_inbox p50 p90 p99  event_to_audit p50 p90 p99\n"
                     << data;
  const std::string script = StrCat(
      "set terminal png size 1000,600; set output '", png, "';",
      "set title 'Lotse latency percentiles against offered rate';",
      "set xlabel 'offered referrals/s'; set ylabel 'ms'; set logscale xy; set key left top;",
      "set grid; plot '", dat, "' u 1:2 w lp t 'submit ack p50', '' u 1:4 w lp t 'submit ack p99',",
      "'' u 1:5 w lp t 'submit->worklist p50', '' u 1:7 w lp t 'submit->worklist p99',",
      "'' u 1:10 w lp t 'answer->inbox p99', '' u 1:13 w lp t 'event->audit p99'");
  const test::CommandResult r = test::RunCommand("gnuplot", {"-e", script});
  if (r.exit_code != 0) {
    return StrCat("no chart: gnuplot is not installed (apt-get install gnuplot-nox) or failed: ",
                  r.err.substr(0, 200));
  }
  return StrCat("chart: ", png);
}

// The rows of a scale run: how the costs grew from the first level to the last up to 10^6, and
// the figures at the top level against those for 10^7.
void SetScaleTargets(const ScaleReport& s, Targets& targets) {
  if (s.levels.size() < 2) {
    return;
  }
  const ScaleLevel& a = s.levels.front();
  const ScaleLevel* b = &s.levels[1];
  for (const ScaleLevel& l : s.levels) {
    if (l.referrals <= 1000000) {
      b = &l;
    }
  }
  const std::pair<const char*, double ScaleLevel::*> costs[] = {
      {"worklist first page", &ScaleLevel::worklist_first_ms},
      {"next page", &ScaleLevel::worklist_next_ms},
      {"a staff member's page", &ScaleLevel::worklist_user_ms},
      {"inbox page", &ScaleLevel::inbox_ms},
      {"office list page", &ScaleLevel::office_list_ms},
      {"status", &ScaleLevel::status_ms}};
  std::string figure = fmt::format("{} -> {} stored, p50:", a.referrals, b->referrals);
  double worst = 0;
  for (const auto& [name, field] : costs) {
    const double ratio = a.*field > 0 ? b->*field / (a.*field) : 0;
    worst = std::max(worst, ratio);
    StrAppend(&figure,
              fmt::format(" {} x{:.2f} ({:.2f} -> {:.2f} ms);", name, ratio, a.*field, b->*field));
  }
  const bool ok = a.requests_ok && b->requests_ok;
  targets.Set(Targets::kFlatCost, figure,
              !ok || worst > 1.2        ? std::optional<bool>(false)
              : b->referrals >= 1000000 ? std::optional<bool>(true)
                                        : std::nullopt);
  const ScaleLevel& top = s.levels.back();
  const bool within = top.ok && top.worklist_first_p99_ms <= 20 &&
                      top.evaluation_month_ms <= 1000 && top.max_rss_mb <= 256 &&
                      top.ready_seconds <= 5;
  targets.Set(Targets::kTenMillion,
              fmt::format("at {} stored: worklist page p99 {:.2f} ms, evaluation of the month "
                          "holding all {:.0f} ms (of last month {:.1f} ms), largest RSS {:.0f} "
                          "MB, restart to ready {:.2f} s",
                          top.referrals, top.worklist_first_p99_ms, top.evaluation_month_ms,
                          top.evaluation_last_month_ms, top.max_rss_mb, top.ready_seconds),
              !within                     ? std::optional<bool>(false)
              : top.referrals >= 10000000 ? std::optional<bool>(true)
                                          : std::nullopt);
}

int Run(const Options& o) {
  std::filesystem::create_directories(o.out_dir);
  const bool all = o.mode == "all";
  Json report;
  report.Field("mode", o.mode);
  report.Field("seconds", o.seconds);
  report.Field("cores", static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN)));
  std::string text;
  double referrals_per_s = 0;
  double ceiling = 0;
  bool ok = true;
  Targets targets;
  const bool every_target = o.mode == "targets";
  const bool saturation = all || every_target || o.mode == "saturation" || o.mode == "soak";
  if (all || o.mode == "ceiling" || saturation) {
    const size_t bytes = TypicalEventBytes();
    absl::StatusOr<CeilingResult> c = RunCeiling(SelfBinary(), std::min(o.seconds, 10.0), bytes);
    if (c.ok()) {
      ceiling = c->events_per_s;
      report.Field("ceiling_events_per_s", ceiling);
      report.Field("ceiling_mean_batch", c->mean_batch);
      report.Field("ceiling_event_bytes", static_cast<double>(bytes));
      StrAppend(&text, fmt::format("ceiling: {:.0f} events/s through 4 processes, each commit synced "
                                   "(mean batch {:.0f}, {} B events)\n",
                                   ceiling, c->mean_batch, bytes));
    } else {
      ok = false;
      StrAppend(&text, "ceiling: ", ToStd(c.status().message()), "\n");
    }
  }
  if (saturation) {
    const SaturationReport s = Saturation(o);
    ok = ok && s.ok;
    referrals_per_s = s.referrals_per_s;
    report.Raw("saturation", s.json.empty() ? "null" : s.json);
    report.Field("referrals_per_s", referrals_per_s);
    text += s.text;
    if (ceiling > 0) {
      report.Field("ratio_to_ceiling", referrals_per_s / ceiling);
      report.Field("events_ratio_to_ceiling", s.events_per_s / ceiling);
      StrAppend(&text, fmt::format("ratio to the ceiling: {:.3f} (referrals/s through the full flow "
                                   "per event/s through the bare pipeline)\n",
                                   referrals_per_s / ceiling));
      StrAppend(&text, fmt::format("events ratio to the ceiling: {:.3f} ({:.0f} events/s through "
                                   "the set, each taken by its producer and three consumers like "
                                   "a ceiling event by its four processes; the set also answers "
                                   "four client commands per referral)\n",
                                   s.events_per_s / ceiling, s.events_per_s));
      targets.Set(Targets::kEventsRatio,
                  fmt::format("{:.3f} ({:.0f} events/s through the set over {:.0f} s, ceiling "
                              "{:.0f} events/s)",
                              s.events_per_s / ceiling, s.events_per_s, o.seconds, ceiling),
                  s.events_per_s / ceiling >= 0.5);
    }
    const double long_seconds = o.long_seconds > 0 ? o.long_seconds : every_target ? 120 : 0;
    if (long_seconds > 0) {
      const SaturationReport l = Saturation(o, false, long_seconds);
      ok = ok && l.ok;
      report.Raw("saturation_long", l.json.empty() ? "null" : l.json);
      StrAppend(&text, fmt::format("long run ({:.0f} s): ", long_seconds), l.text);
      const double ratio = s.referrals_per_s > 0 ? l.referrals_per_s / s.referrals_per_s : 0;
      report.Field("saturation_long_vs_short", ratio);
      targets.Set(Targets::kBacklog,
                  fmt::format("{:.3f} ({:.0f} referrals/s over {:.0f} s against {:.0f} over {:.0f} "
                              "s{})",
                              ratio, l.referrals_per_s, long_seconds, s.referrals_per_s, o.seconds,
                              l.ok ? "" : "; the long run did not complete"),
                  l.ok && ratio >= 0.9);
      if (ceiling > 0) {  // the machine again, after the long run
        absl::StatusOr<CeilingResult> c =
            RunCeiling(SelfBinary(), std::min(o.seconds, 10.0), TypicalEventBytes());
        if (c.ok()) {
          report.Field("ceiling_after_events_per_s", c->events_per_s);
          StrAppend(&text,
                    fmt::format("ceiling after the long run: {:.0f} events/s\n", c->events_per_s));
        }
      }
    }
    if (o.mode == "soak") {
      const double rate = o.rate > 0 ? o.rate : s.referrals_per_s / 2;
      const SoakReport soak = SoakBench(o.bin_dir, o.keep, rate, o.soak_seconds, o.soak_window);
      ok = ok && soak.ok;
      report.Raw("soak", soak.json);
      text += soak.text;
      // The last window offered as long as the first: a shorter remainder at the end would
      // compare a lighter load.
      const auto last_full =
          std::find_if(soak.windows.rbegin(), soak.windows.rend(), [&](const SoakWindow& w) {
            return w.offered_seconds + 1 >= soak.windows.front().offered_seconds;
          });
      if (soak.windows.size() >= 2 && last_full.base() - 1 != soak.windows.begin()) {
        const SoakWindow& a = soak.windows.front();
        const SoakWindow& b = *last_full;
        double offered = 0;
        for (const SoakWindow& w : soak.windows) {
          offered += w.offered_seconds;
        }
        auto ratio = [](double last, double first) { return first > 0 ? last / first : 0; };
        const double ack = ratio(b.submit_ack_p99_ms, a.submit_ack_p99_ms);
        const double inbox = ratio(b.answer_to_inbox_p99_ms, a.answer_to_inbox_p99_ms);
        const double rss = ratio(b.rss_mb, a.rss_mb);
        const bool within = ack <= 1.1 && inbox <= 1.1 && rss <= 1.1;
        targets.Set(
            Targets::kSoak,
            fmt::format("last full window against the first: submit ack p99 x{:.2f} ({:.1f} "
                        "-> {:.1f} ms), answer -> inbox p99 x{:.2f} ({:.1f} -> {:.1f} ms), "
                        "RSS x{:.2f} ({:.0f} -> {:.0f} MB); {:.0f} s offered at {:.0f}/s{}",
                        ack, a.submit_ack_p99_ms, b.submit_ack_p99_ms, inbox,
                        a.answer_to_inbox_p99_ms, b.answer_to_inbox_p99_ms, rss, a.rss_mb, b.rss_mb,
                        offered, rate,
                        soak.ok ? "" : "; flows fell behind (see the windows above)"),
            !within || !soak.ok    ? std::optional<bool>(false)
            : offered >= 3600 - 60 ? std::optional<bool>(true)
                                   : std::nullopt);
      }
    }
  }
  if (o.mode == "curve") {
    // The same saturation run with CURVE on every door and without, one after the other, twice
    // in alternation (on, off, on, off), so that drift of a shared machine shows.
    std::vector<SaturationReport> on, off;
    for (int round = 0; round < 2; ++round) {
      on.push_back(Saturation(o, /*plain=*/false));
      off.push_back(Saturation(o, /*plain=*/true));
      ok = ok && on.back().ok && off.back().ok;
    }
    auto mean = [](const std::vector<SaturationReport>& v, double SaturationReport::*field) {
      double sum = 0;
      for (const SaturationReport& r : v) {
        sum += r.*field;
      }
      return sum / static_cast<double>(v.size());
    };
    const double with = mean(on, &SaturationReport::referrals_per_s);
    const double without = mean(off, &SaturationReport::referrals_per_s);
    StrAppend(&text, "curve: saturation with and without CURVE, alternating\n");
    for (int round = 0; round < 2; ++round) {
      StrAppend(&text, fmt::format("  round {}: CURVE on {:>7.0f} referrals/s (submit ack p50 {:.2f} "
                                   "ms, p99 {:.2f} ms) | off {:>7.0f} referrals/s (p50 {:.2f} ms, "
                                   "p99 {:.2f} ms)\n",
                                   round + 1, on[round].referrals_per_s, on[round].submit_ack_p50_ms,
                                   on[round].submit_ack_p99_ms, off[round].referrals_per_s,
                                   off[round].submit_ack_p50_ms, off[round].submit_ack_p99_ms));
    }
    const double cost = without > 0 ? 1 - with / without : 0;
    StrAppend(&text, fmt::format("  mean: on {:.0f}, off {:.0f} referrals/s: CURVE costs {:.1f} % of "
                                 "the throughput\n",
                                 with, without, cost * 100));
    report.Field("curve_on_referrals_per_s", with);
    report.Field("curve_off_referrals_per_s", without);
    report.Field("curve_cost_share", cost);
    report.Field("curve_on_submit_ack_p99_ms", mean(on, &SaturationReport::submit_ack_p99_ms));
    report.Field("curve_off_submit_ack_p99_ms", mean(off, &SaturationReport::submit_ack_p99_ms));
  }
  if (all || every_target || o.mode == "latency") {
    Options at = o;
    if (every_target) {
      at.rate = 2000;
    }
    const LatencyReport l = Latency(at);
    report.Raw("latency", l.json);
    text += l.text;
    StrAppend(&text, Chart(o.out_dir, l.data), "\n");
    if (auto it = l.worklist_p99_ms.find(2000); it != l.worklist_p99_ms.end()) {
      // The same shape in the bare pipeline: an event made and committed by one process, then
      // taken and committed by a second, at the same rate.
      absl::StatusOr<CeilingResult> c =
          RunCeiling(SelfBinary(), std::min(o.seconds, 10.0), TypicalEventBytes(), 2, 2000);
      if (c.ok()) {
        report.Field("ceiling_2000_p99_ms", c->p99_ms);
        StrAppend(&text, fmt::format("ceiling pipeline of two processes at 2000 events/s: p50 "
                                     "{:.2f} ms, p99 {:.2f} ms\n",
                                     c->p50_ms, c->p99_ms));
        targets.Set(Targets::kWorklistP99,
                    fmt::format("{:.2f} ms against the pipeline's {:.2f} ms: x{:.2f}", it->second,
                                c->p99_ms, c->p99_ms > 0 ? it->second / c->p99_ms : 0),
                    it->second <= 2 * c->p99_ms);
      } else {
        StrAppend(&text, "ceiling at 2000 events/s: ", ToStd(c.status().message()), "\n");
      }
    }
  }
  if (all || every_target || o.mode == "scale") {
    const ScaleReport s = ScaleBench(
        o.bin_dir, o.keep, every_target && o.referrals == 100000 ? 1000000 : o.referrals, o.window);
    ok = ok && s.ok;
    report.Raw("scale", s.json);
    text += s.text;
    SetScaleTargets(s, targets);
  }
  if (all || o.mode == "web") {
    const WebReport w = WebBench(o.bin_dir, o.keep, o.seconds, o.rate > 0 ? o.rate : 300, o.live);
    report.Raw("web", w.json.empty() ? "null" : w.json);
    text += w.text;
    ok = ok && w.ok;
  }
  if (o.mode == "disk") {  // long by nature: not part of "all"
    const DiskReport d =
        DiskBench(o.bin_dir, o.keep, o.seconds, o.rate > 0 ? o.rate : 20, o.every, o.speedup);
    report.Raw("disk", d.json.empty() ? "null" : d.json);
    text += d.text;
    ok = ok && d.ok;
  }
  report.Raw("targets", targets.Json());
  text += targets.Table();
  std::ofstream(o.out_dir + "/report.json") << report.Text() << "\n";
  if (o.json) {
    std::fprintf(stderr, "%s", text.c_str());
    std::printf("%s\n", report.Text().c_str());
  } else {
    std::printf("%s(JSON: %s/report.json)\n", text.c_str(), o.out_dir.c_str());
  }
  return ok ? 0 : 1;  // a target missed is a figure, not a broken run
}

}  // namespace
}  // namespace lotse::bench

int main(int argc, char** argv) {
  using lotse::bench::Options;
  if (argc > 1 && std::string(argv[1]) == "ceiling-stage") {
    CLI::App app("a stage of the ceiling pipeline");
    int stage = 0;
    std::string dir, in, out;
    double seconds = 5;
    size_t bytes = 400;
    double rate = 0;
    app.add_option("--stage", stage);
    app.add_option("--dir", dir);
    app.add_option("--in", in);
    app.add_option("--out", out);
    app.add_option("--seconds", seconds);
    app.add_option("--event-bytes", bytes);
    app.add_option("--rate", rate);
    CLI11_PARSE(app, argc - 1, argv + 1);
    return lotse::bench::RunCeilingStage(stage, dir, in, out, seconds, bytes, rate);
  }
  Options o;
  CLI::App app("lotse-bench: the whole flow through the real services, against the machine's "
               "own ceiling");
  app.add_option("MODE", o.mode,
                 "saturation | latency | scale | ceiling | curve | web | all | disk | soak | "
                 "targets")
      ->required()
      ->check(CLI::IsMember({"saturation", "latency", "scale", "ceiling", "curve", "web", "all",
                             "disk", "soak", "targets"}));
  app.add_option("--seconds", o.seconds, "how long each run submits (default 10)");
  app.add_option(
      "--rate", o.rate,
      "latency: one offered rate instead of 500, 2000, 10000; web: the rate offered (300); "
      "disk: the steady rate (20)");
  app.add_option("--window", o.window, "saturation: submits in flight (default 512)");
  app.add_option("--flows", o.flows,
                 "saturation: referrals between submit and feedback at once (default 1024; 0: "
                 "no bound, the submits outrun the flow and build a backlog)");
  app.add_option("--referrals,--scale-max", o.referrals,
                 "scale: up to this many referrals stored (default 100000; targets: 1000000)");
  app.add_option("--long", o.long_seconds,
                 "saturation: a second run this long, compared with the first (targets: 120)");
  app.add_option("--soak-seconds", o.soak_seconds, "soak: how long (default 3600)");
  app.add_option("--soak-window", o.soak_window, "soak: seconds per window (default 600)");
  app.add_option("--live", o.live, "web: live connections open (default 200)");
  app.add_option("--every", o.every, "disk: seconds between samples (default 15)");
  app.add_option("--speedup", o.speedup,
                 "disk: how much faster the service clock runs (default 2880: a day in 30 s)");
  app.add_flag("--json", o.json, "print the JSON report on stdout (summary on stderr)");
  app.add_flag("--keep", o.keep, "keep the sets' data directories");
  app.add_option("--out", o.out_dir, "where report.json, latency.dat and latency.png go");
  app.add_option("--bin-dir", o.bin_dir, "where lotse-intake etc. are (default: beside lotse-bench)");
  CLI11_PARSE(app, argc, argv);
  if (o.bin_dir.empty()) {
    o.bin_dir = std::filesystem::path(lotse::bench::SelfBinary()).parent_path().string();
  }
  return lotse::bench::Run(o);
}
