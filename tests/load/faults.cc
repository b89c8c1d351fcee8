#include "tests/load/faults.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/format.h"

namespace lotse::load {
namespace {

constexpr absl::Duration kTermBound = absl::Seconds(2);        // DESIGN.md: exit 0 within 2 s
constexpr absl::Duration kRecoveryBound = absl::Seconds(120);  // then "unrecovered"
constexpr int kNotification = 2;
constexpr int kAudit = 3;

// The streams each service consumes, as producer indexes (services/*: MakeRunnerOptions).
std::vector<int> Producers(int service) {
  switch (service) {
    case 0:
      return {1};
    case 1:
      return {0};
    case 2:
      return {0, 1};
    default:
      return {0, 1, 2};
  }
}

Json Summary(std::vector<double> values) {
  Json j = Json::MakeObject();
  j["measured"] = static_cast<int64_t>(values.size());
  if (values.empty()) {
    j["median"] = Json();
    j["worst"] = Json();
    return j;
  }
  std::sort(values.begin(), values.end());
  j["median"] = std::round(values[(values.size() - 1) / 2]);
  j["worst"] = std::round(values.back());
  return j;
}

}  // namespace

// --- LagSampler ------------------------------------------------------------------------------

void LagSampler::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LagSampler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

void LagSampler::Run() {
  while (true) {
    const absl::Time next = absl::Now() + absl::Milliseconds(200);
    std::array<std::optional<lotse::v1::ServiceStatus>, kServiceCount> status;
    for (int i = 0; i < kServiceCount; ++i) {
      absl::StatusOr<lotse::v1::ServiceStatus> s =
          FetchStatus(set_.OpsPort(i), absl::Milliseconds(150));
      if (s.ok()) {
        status[i] = *std::move(s);
      }
    }
    {
      std::lock_guard lock(mu_);
      for (int i = 0; i < kServiceCount; ++i) {
        if (status[i].has_value()) {
          heads_[i] = std::max(heads_[i], status[i]->log_head());
        }
      }
      // A consumer knows its producer's head only as of its last fetch reply; the producer's
      // own head (this round, or the last one it told) gives the lag people mean.
      for (int i = 0; i < kServiceCount; ++i) {
        if (!status[i].has_value()) {
          continue;
        }
        for (const lotse::v1::ConsumerStatus& c : status[i]->consumers()) {
          const int producer = ServiceIndex(c.stream());
          const uint64_t head = producer >= 0 ? std::max(heads_[producer], c.head()) : c.head();
          const uint64_t lag = head > c.offset() ? head - c.offset() : 0;
          uint64_t& max = max_by_consumer_[StrCat(kServiceNames[i], " <- ", c.stream())];
          max = std::max(max, lag);
        }
      }
      ++samples_;
      if (stop_) {
        return;
      }
    }
    absl::SleepFor(std::max(next - absl::Now(), absl::ZeroDuration()));
  }
}

uint64_t LagSampler::max_lag() const {
  std::lock_guard lock(mu_);
  uint64_t max = 0;
  for (const auto& [k, v] : max_by_consumer_) {
    max = std::max(max, v);
  }
  return max;
}

std::map<std::string, uint64_t> LagSampler::max_lag_by_consumer() const {
  std::lock_guard lock(mu_);
  return max_by_consumer_;
}

uint64_t LagSampler::log_head(int service) const {
  std::lock_guard lock(mu_);
  return heads_[service];
}

uint64_t LagSampler::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

// --- FaultInjector ---------------------------------------------------------------------------

FaultInjector::FaultInjector(ServiceSet& set, bus::Context& context, const LagSampler& sampler,
                             const LoadOptions& options, uint64_t near_zero_lag)
    : set_(set),
      context_(context),
      sampler_(sampler),
      options_(options),
      near_zero_lag_(near_zero_lag),
      random_(options.seed * 7919 + 17) {
  for (const std::string& fault : options_.faults) {
    stats_[fault];
  }
}

absl::Duration FaultInjector::Jitter(double mean_ms) {
  return absl::Milliseconds(mean_ms * std::uniform_real_distribution<double>(0.5, 1.5)(random_));
}

bool FaultInjector::Recovering(int service) const {
  return std::any_of(recoveries_.begin(), recoveries_.end(),
                     [&](const Recovery& r) { return r.service == service && !r.done; });
}

int FaultInjector::PickFree(const std::vector<int>& candidates,
                            const std::array<int, kServiceCount>* counts) {
  std::vector<int> free;
  for (int i : candidates) {
    if (state_[i].phase == Phase::kUp && set_.Running(i) && !Recovering(i)) {
      free.push_back(i);
    }
  }
  if (free.empty()) {
    return -1;
  }
  if (counts != nullptr) {
    int least = INT32_MAX;
    for (int i : free) {
      least = std::min(least, (*counts)[i]);
    }
    std::erase_if(free, [&](int i) { return (*counts)[i] != least; });
  }
  return free[random_() % free.size()];
}

void FaultInjector::Restart(int service) {
  if (absl::Status s = set_.Start(service); !s.ok()) {
    unexpected_.push_back(StrCat(kServiceNames[service], " could not be restarted: ", s.message()));
  }
}

int FaultInjector::BeginRecovery(const std::string& fault, const std::vector<int>& services) {
  const int id = next_group_++;
  const absl::Time now = absl::Now();
  Group& g = groups_[id];
  g.fault = fault;
  g.from = now;
  g.last = now;
  g.open = static_cast<int>(services.size());
  for (int s : services) {
    Recovery r;
    r.group = id;
    r.service = s;
    r.from = now;
    for (int p : Producers(s)) {
      r.need_head[kServiceNames[p]] = sampler_.log_head(p);
    }
    recoveries_.push_back(std::move(r));
  }
  return id;
}

void FaultInjector::Supersede(int service) {
  for (Recovery& r : recoveries_) {
    if (r.service != service || r.done) {
      continue;
    }
    r.done = true;
    Group& g = groups_[r.group];
    g.superseded = true;
    if (--g.open == 0) {
      ++stats_[g.fault].superseded;
      if (r.group == slow_group_) {
        slow_group_ = -1;
        next_["slow-consumer"] = absl::Now() + Jitter(3500);
      }
      groups_.erase(r.group);
    }
  }
  std::erase_if(recoveries_, [](const Recovery& r) { return r.done; });
}

void FaultInjector::Supervise(absl::Time now) {
  for (int i = 0; i < kServiceCount; ++i) {
    ServiceState& st = state_[i];
    switch (st.phase) {
      case Phase::kStopped:
        if (now >= st.until) {
          set_.Continue(i);
          st.phase = Phase::kUp;
          const int g = BeginRecovery(st.stopped_by, {i});
          if (st.stopped_by == "slow-consumer") {
            slow_group_ = g;
          }
        } else if (!set_.Running(i)) {
          st.phase = Phase::kUp;  // died while stopped: handled below on the next step
        }
        continue;
      case Phase::kTerminating: {
        const bool exited = !set_.Running(i);
        if (!exited && now < st.until) {
          continue;
        }
        const double ms = absl::ToDoubleMilliseconds(absl::Now() - st.since);
        if (exited) {
          sigterm_worst_ms_ = std::max(sigterm_worst_ms_, ms);
          const int code = set_.ExitCode(i).value_or(-1);
          if (code != 0) {
            ++sigterm_violations_;
            sigterm_notes_.push_back(StrCat(kServiceNames[i], " exited with code ", code,
                                            " after SIGTERM (", static_cast<int>(ms), " ms)"));
          }
        } else {
          ++sigterm_violations_;
          sigterm_notes_.push_back(StrCat(kServiceNames[i], " still ran 2 s after SIGTERM"));
          set_.Kill(i);
        }
        st.phase = Phase::kUp;
        Restart(i);
        BeginRecovery("sigterm", {i});
        continue;
      }
      case Phase::kUp:
        if (!set_.Running(i)) {
          unexpected_.push_back(
              StrCat(absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone()),
                     " UTC: ", kServiceNames[i], " exited by itself with code ",
                     set_.ExitCode(i).value_or(-1), " (see its log)"));
          Supersede(i);
          Restart(i);
          BeginRecovery("unexpected-exit", {i});
        }
        continue;
    }
  }
}

void FaultInjector::Inject(absl::Time now) {
  const double interval = options_.kill_interval_ms;
  const std::map<std::string, double> means = {{"kill9", interval},
                                               {"kill9-all", 5 * interval},
                                               {"sigstop", 2 * interval},
                                               {"sigterm", 3 * interval},
                                               {"slow-consumer", 3500}};
  for (const std::string& fault : options_.faults) {
    if (!next_.count(fault)) {
      next_[fault] = now + Jitter(means.at(fault));
    }
    if (now < next_[fault]) {
      continue;
    }
    const std::vector<int> all = {0, 1, 2, 3};
    Stats& stats = stats_[fault];
    if (fault == "kill9-all") {
      for (int i = 0; i < kServiceCount; ++i) {
        Supersede(i);
        if (state_[i].stopped_by == "slow-consumer" && state_[i].phase == Phase::kStopped) {
          next_["slow-consumer"] = now + Jitter(3500);
        }
        state_[i].phase = Phase::kUp;
        set_.Kill(i);
        ++kills_[i];
        ++stats.per_service[i];
      }
      for (int i = 0; i < kServiceCount; ++i) {
        Restart(i);
      }
      ++stats.count;
      BeginRecovery(fault, all);
      next_[fault] = now + Jitter(means.at(fault));
      continue;
    }
    if (fault == "slow-consumer") {
      const bool busy =
          slow_group_ >= 0 || std::any_of(state_.begin(), state_.end(), [](const ServiceState& s) {
            return s.phase == Phase::kStopped && s.stopped_by == "slow-consumer";
          });
      if (busy) {
        next_[fault] = now + absl::Milliseconds(500);
        continue;
      }
    }
    const int target = fault == "kill9"           ? PickFree(all, &kills_)
                       : fault == "slow-consumer" ? PickFree({kNotification, kAudit}, nullptr)
                                                  : PickFree(all, nullptr);
    if (target < 0) {
      next_[fault] = now + absl::Milliseconds(100);
      continue;
    }
    ++stats.count;
    ++stats.per_service[target];
    ServiceState& st = state_[target];
    if (fault == "kill9") {
      set_.Kill(target);
      ++kills_[target];
      Restart(target);
      BeginRecovery(fault, {target});
    } else if (fault == "sigstop" || fault == "slow-consumer") {
      set_.Stop(target);
      st.phase = Phase::kStopped;
      st.stopped_by = fault;
      const double seconds = fault == "sigstop"
                                 ? std::uniform_real_distribution<double>(1, 3)(random_)
                                 : std::uniform_real_distribution<double>(5, 10)(random_);
      st.until = now + absl::Seconds(seconds);
    } else if (fault == "sigterm") {
      set_.SendTerm(target);
      st.phase = Phase::kTerminating;
      st.since = absl::Now();
      st.until = st.since + kTermBound;
    }
    // slow-consumer is rescheduled when its recovery completes.
    next_[fault] =
        fault == "slow-consumer" ? absl::InfiniteFuture() : now + Jitter(means.at(fault));
  }
}

void FaultInjector::Follow(absl::Time now) {
  for (Recovery& r : recoveries_) {
    if (r.done) {
      continue;
    }
    Group& g = groups_[r.group];
    bool recovered = false;
    if (now - r.from > kRecoveryBound) {
      r.done = true;
      g.superseded = true;  // not a measurement
      ++stats_[g.fault].unrecovered;
    } else {
      if (!r.answered.has_value()) {
        if (!set_.Running(r.service) ||
            !Answers(context_, set_.CommandEndpoint(r.service), set_.Curve("ops", r.service),
                     absl::Milliseconds(50))) {
          continue;
        }
        r.answered = absl::Now();
        stats_[g.fault].answer_ms.push_back(absl::ToDoubleMilliseconds(*r.answered - r.from));
      }
      absl::StatusOr<lotse::v1::ServiceStatus> status =
          FetchStatus(set_.OpsPort(r.service), absl::Milliseconds(150));
      if (!status.ok()) {
        continue;
      }
      recovered = true;
      for (const lotse::v1::ConsumerStatus& c : status->consumers()) {
        const int producer = ServiceIndex(c.stream());
        const uint64_t head =
            std::max(c.head(), producer >= 0 ? sampler_.log_head(producer) : uint64_t{0});
        const uint64_t lag = head > c.offset() ? head - c.offset() : 0;
        recovered = recovered && !c.halted() && lag <= near_zero_lag_ &&
                    c.head() >= r.need_head[c.stream()];
      }
      if (!recovered) {
        continue;
      }
      r.done = true;
      g.last = std::max(g.last, absl::Now());
    }
    if (--g.open == 0) {
      if (!g.superseded) {
        stats_[g.fault].recovery_ms.push_back(absl::ToDoubleMilliseconds(g.last - g.from));
      }
      if (r.group == slow_group_) {
        slow_group_ = -1;
        next_["slow-consumer"] = absl::Now() + Jitter(3500);
      }
      groups_.erase(r.group);
    }
  }
  std::erase_if(recoveries_, [](const Recovery& r) { return r.done; });
}

void FaultInjector::Step(bool inject) {
  const absl::Time now = absl::Now();
  Supervise(now);
  if (inject) {
    Inject(now);
  }
  Follow(absl::Now());
}

void FaultInjector::Finish(absl::Duration timeout) {
  for (int i = 0; i < kServiceCount; ++i) {
    if (state_[i].phase == Phase::kStopped) {
      state_[i].until = absl::InfinitePast();  // resumed by Supervise
    }
  }
  const absl::Time deadline = absl::Now() + timeout;
  do {
    Step(/*inject=*/false);
    absl::SleepFor(absl::Milliseconds(50));
  } while (!quiet() && absl::Now() < deadline);
}

bool FaultInjector::quiet() const {
  return recoveries_.empty() &&
         std::all_of(state_.begin(), state_.end(),
                     [](const ServiceState& s) { return s.phase == Phase::kUp; });
}

Json FaultInjector::ToJson() const {
  Json j = Json::MakeObject();
  for (const auto& [fault, s] : stats_) {
    Json f = Json::MakeObject();
    f["count"] = s.count;
    Json per = Json::MakeObject();
    for (int i = 0; i < kServiceCount; ++i) {
      per[kServiceNames[i]] = s.per_service[i];
    }
    if (fault != "unexpected-exit") {
      f["per_service"] = per;
    }
    f["recovery_ms"] = Summary(s.recovery_ms);
    f["first_answer_ms"] = Summary(s.answer_ms);
    f["superseded"] = s.superseded;
    f["unrecovered"] = s.unrecovered;
    if (fault == "sigterm") {
      f["violations"] = sigterm_violations_;
      f["slowest_exit_ms"] = std::round(sigterm_worst_ms_);
      Json notes = Json::MakeArray();
      for (const std::string& n : sigterm_notes_) {
        notes.Push(n);
      }
      f["notes"] = notes;
    }
    j[fault] = f;
  }
  return j;
}

}  // namespace lotse::load
