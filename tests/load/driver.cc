#include "tests/load/driver.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/bus/command.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/status_macros.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/routing.pb.h"
#include "tests/load/actors.h"
#include "tests/load/checker.h"
#include "tests/load/faults.h"
#include "tests/load/json.h"
#include "tests/load/ledger.h"
#include "tests/load/service_set.h"
#include "tests/support/wait.h"

namespace lotse::load {
namespace {

namespace fs = std::filesystem;

// How many ZeroMQ sockets this process holds: each has a mailbox, an eventfd (a few more belong
// to the context's threads); about 360 in a normal run. Shown in the progress notes, so that a
// set that cannot settle because the harness's sockets pile up (a stuck I/O thread frees none;
// ZeroMQ allows 1023) says so.
int OpenMailboxes() {
  int n = 0;
  std::error_code ec;
  for (fs::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    if (fs::read_symlink(it->path(), link_ec).string() == "anon_inode:[eventfd]") {
      ++n;
    }
  }
  return n;
}

constexpr double kFeedbackShare = 0.9;

void Say(const std::string& line) { std::fprintf(stderr, "lotse-load: %s\n", line.c_str()); }

std::string DefaultBinDir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (fs::exists(self / "lotse-intake", ec)) {
    return self.string();
  }
  return (self.parent_path() / "bin").string();
}

std::string MakeWorkDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/lotse-load-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return "";
  }
  return pattern;
}

// The last `lines` lines of a file, for error messages.
std::string Tail(const std::string& path, size_t lines) {
  const std::string text = test::ReadFile(path);
  size_t at = text.size();
  for (size_t n = 0; n <= lines && at > 0; ++n) {
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) {
      return text;
    }
  }
  return text.substr(at + 1);
}

// One routing request as `principal` (ops or a department) before the load, with retries.
absl::StatusOr<lotse::v1::RoutingReply> AskRouting(bus::Context& context, const ServiceSet& set,
                                                   std::string_view principal,
                                                   lotse::v1::RoutingRequest& request) {
  bus::SocketOptions options;
  options.linger_ms = 0;
  options.curve = set.Curve(principal, 1);
  bus::CommandClient client(context, set.CommandEndpoint(1), options, absl::Seconds(2), 3,
                            kServiceNames[1]);
  absl::StatusOr<std::string> bytes = client.Call(request.SerializeAsString());
  lotse::v1::RoutingReply reply;
  if (!bytes.ok()) {
    return bytes.status();
  }
  if (!reply.ParseFromString(*bytes)) {
    return absl::DataLossError("routing's reply cannot be read");
  }
  if (reply.has_error()) {
    return absl::FailedPreconditionError(reply.error().message());
  }
  return reply;
}

// Asks routing for the city's departments, topics, offices and key account managers (as ops).
absl::StatusOr<City> ReadCity(bus::Context& context, const ServiceSet& set) {
  lotse::v1::RoutingRequest request;
  request.set_request_id("directory");
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
  request.mutable_actor()->set_id("ops");  // an ops actor is "ops" (or empty), as its key
  request.mutable_actor()->set_user("lotse-load");
  request.mutable_directory();
  absl::StatusOr<lotse::v1::RoutingReply> reply = AskRouting(context, set, "ops", request);
  if (!reply.ok()) {
    return absl::UnavailableError(StrCat(
        "routing did not tell its directory (departments, topics): ", reply.status().message()));
  }
  City city;
  for (const auto& d : reply->directory().departments()) {
    city.departments.push_back(d.id());
  }
  for (const auto& t : reply->directory().topics()) {
    city.topics.push_back(t.id());
  }
  for (const auto& o : reply->directory().offices()) {
    city.offices.push_back(o.id());
  }
  for (const auto& k : reply->directory().key_accounts()) {
    city.key_accounts.push_back(k.id());
    city.kam_companies.insert(city.kam_companies.end(), k.companies().begin(), k.companies().end());
  }
  if (city.departments.empty() || city.topics.empty() || city.offices.empty()) {
    return absl::FailedPreconditionError("the city has no departments, topics or offices");
  }
  return city;
}

// Stand-ins under load: in every department with two or more staff, the first is away for two
// weeks from today (in the sample city's time zone) and the second stands in; so is the second
// key account manager, for whom the first stands in. The checker then finds no referral routed
// or forwarded to an absent person.
absl::Status RecordAbsences(bus::Context& context, const ServiceSet& set, const City& city,
                            Ledger& ledger) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Europe/Berlin", &zone)) {
    return absl::FailedPreconditionError("the time zone Europe/Berlin is not installed (tzdata)");
  }
  const absl::Time now = absl::Now();
  // `principal` records that `user` is away and `substitute` stands in.
  auto away = [&](const std::string& principal, const std::string& user,
                  const std::string& substitute) -> absl::Status {
    lotse::v1::RoutingRequest request;
    request.set_request_id(StrCat("absence-", user));
    request.set_idempotency_key(StrCat("absence-", user));
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    request.mutable_actor()->set_id(principal);
    request.mutable_actor()->set_user("lotse-load");
    lotse::v1::AbsenceRequest* a = request.mutable_absence();
    a->set_user(user);
    a->set_substitute(substitute);
    a->set_from_date(absl::FormatTime("%Y-%m-%d", now, zone));
    a->set_to_date(absl::FormatTime("%Y-%m-%d", now + absl::Hours(24 * 14), zone));
    absl::StatusOr<lotse::v1::RoutingReply> reply = AskRouting(context, set, principal, request);
    if (!reply.ok()) {
      return absl::Status(reply.status().code(),
                          StrCat("routing did not record the absence of ", user, " (", principal,
                                 "): ", reply.status().message()));
    }
    ledger.AbsenceAcknowledged(user, substitute);
    return absl::OkStatus();
  };
  for (const std::string& department : city.departments) {
    lotse::v1::RoutingRequest contacts;
    contacts.set_request_id(StrCat("contacts-", department));
    contacts.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
    contacts.mutable_actor()->set_id("ops");
    contacts.mutable_contacts()->set_department(department);
    LOTSE_ASSIGN_OR_RETURN(lotse::v1::RoutingReply staff,
                           AskRouting(context, set, "ops", contacts));
    if (staff.contacts().entries_size() >= 2) {
      LOTSE_RETURN_IF_ERROR(away(department, staff.contacts().entries(0).contact().id(),
                                 staff.contacts().entries(1).contact().id()));
    }
  }
  if (city.key_accounts.size() >= 2) {
    LOTSE_RETURN_IF_ERROR(away(city.key_accounts[1], city.key_accounts[1], city.key_accounts[0]));
  }
  return absl::OkStatus();
}

// Whether every consumer of every service has applied its producer's whole log.
struct Settledness {
  bool settled = false;
  std::vector<std::string> why_not;
};
Settledness LagsSettled(const ServiceSet& set) {
  Settledness out;
  std::array<std::optional<lotse::v1::ServiceStatus>, kServiceCount> status;
  for (int i = 0; i < kServiceCount; ++i) {
    absl::StatusOr<lotse::v1::ServiceStatus> s = FetchStatus(set.OpsPort(i), absl::Seconds(1));
    if (!s.ok()) {
      out.why_not.push_back(StrCat(kServiceNames[i], " does not answer on its ops port"));
      return out;
    }
    status[i] = *std::move(s);
  }
  for (int i = 0; i < kServiceCount; ++i) {
    for (const lotse::v1::ConsumerStatus& c : status[i]->consumers()) {
      const int producer = ServiceIndex(c.stream());
      const uint64_t head = producer >= 0 ? status[producer]->log_head() : c.head();
      if (c.halted()) {
        out.why_not.push_back(
            StrCat(kServiceNames[i], "'s consumer of ", c.stream(), " halted: ", c.halt_reason()));
      } else if (c.offset() < head) {  // (read after the producer: may be ahead of it)
        out.why_not.push_back(StrCat(kServiceNames[i], " stands at ", c.offset(), " of ",
                                     c.stream(), "'s ", head, " events"));
      }
    }
  }
  out.settled = out.why_not.empty();
  return out;
}

Json Percentiles(std::vector<int64_t> micros) {
  Json j = Json::MakeObject();
  if (micros.empty()) {
    return j;
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double p) {
    const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(micros.size())));
    return std::round(static_cast<double>(micros[std::clamp<size_t>(rank, 1, micros.size()) - 1]) /
                      100.0) /
           10.0;
  };
  j["p50"] = at(0.5);
  j["p99"] = at(0.99);
  j["max"] = std::round(static_cast<double>(micros.back()) / 100.0) / 10.0;
  return j;
}

Json Strings(const std::vector<std::string>& v) {
  Json j = Json::MakeArray();
  for (const std::string& s : v) {
    j.Push(s);
  }
  return j;
}

}  // namespace

int RunLoad(const LoadOptions& o) {
  const std::string bin_dir = o.bin_dir.empty() ? DefaultBinDir() : o.bin_dir;
  const std::string dir = MakeWorkDir();
  if (dir.empty()) {
    Say("cannot create a working directory under $TMPDIR or /tmp");
    return kExitSetup;
  }
  bus::Context context;  // before every socket
  absl::StatusOr<std::unique_ptr<ServiceSet>> created = ServiceSet::Create(bin_dir, dir, o.env);
  if (!created.ok()) {
    Say(std::string(created.status().message()));
    return kExitSetup;
  }
  ServiceSet& set = **created;
  Say(StrCat("set on ports ", set.port_base(), "..", set.port_base() + config::kPortsPerSet - 1,
             ", data and logs in ", dir, ", seed ", o.seed));
  for (int i = 0; i < kServiceCount; ++i) {
    if (absl::Status s = set.Start(i); !s.ok()) {
      Say(StrCat("cannot start ", kServiceNames[i], ": ", s.message()));
      return kExitSetup;
    }
  }
  for (int i = 0; i < kServiceCount; ++i) {
    const bool up = test::WaitUntil(
        [&] {
          return !set.Running(i) || Answers(context, set.CommandEndpoint(i), set.Curve("ops", i),
                                            absl::Milliseconds(200));
        },
        absl::Seconds(30));
    if (!up || !set.Running(i)) {
      Say(StrCat(kServiceNames[i], " did not come up. The end of its log (", set.LogPath(i), "):\n",
                 Tail(set.LogPath(i), 20)));
      return kExitSetup;
    }
  }
  absl::StatusOr<City> city = ReadCity(context, set);
  if (!city.ok()) {
    Say(std::string(city.status().message()));
    return kExitSetup;
  }

  Ledger ledger;
  if (absl::Status absences = RecordAbsences(context, set, *city, ledger); !absences.ok()) {
    Say(std::string(absences.message()));
    return kExitSetup;
  }
  Shared shared;
  shared.context = &context;
  shared.keys = &set.keys();
  shared.intake = set.CommandEndpoint(0);
  shared.routing = set.CommandEndpoint(1);
  shared.notification = set.CommandEndpoint(2);
  shared.ledger = &ledger;
  shared.city = *city;
  shared.seed = o.seed;
  shared.resend_share = o.resend_share;

  LagSampler sampler(set);
  sampler.Start();
  // Enough simulated people that the driver is not what limits the flow: a worker or terminal
  // does one round trip at a time.
  // The busiest department (two topics, forwards and consultations) gets about a fifth of the
  // work, and a worker's round trip grows with the set's load.
  const int staff =
      o.staff > 0 ? o.staff : std::clamp(static_cast<int>(std::ceil(o.rate / 25)), 1, 48);
  const int terminals = std::clamp(static_cast<int>(std::ceil(o.rate / 150)), 1, 16);
  std::vector<std::unique_ptr<Department>> departments;
  std::vector<std::string> assignees = city->departments;
  assignees.insert(assignees.end(), city->key_accounts.begin(), city->key_accounts.end());
  for (const std::string& a : assignees) {
    departments.push_back(std::make_unique<Department>(shared, a, staff));
    departments.back()->Start();
  }
  std::vector<std::unique_ptr<OfficeReader>> readers;
  for (const std::string& office : city->offices) {
    readers.push_back(std::make_unique<OfficeReader>(shared, office, kFeedbackShare, terminals));
    readers.back()->Start();
  }
  const int submitter_threads = std::clamp(static_cast<int>(std::ceil(o.rate / 50)), 4, 48);
  Submitters submitters(shared, submitter_threads, o.rate);
  const uint64_t near_zero_lag = std::max<uint64_t>(20, static_cast<uint64_t>(o.rate / 10));
  FaultInjector faults(set, context, sampler, o, near_zero_lag);

  // The load phase.
  Say(StrCat("load: ", o.rate, " referrals/s for ", o.seconds, " s from ", city->offices.size(),
             " offices (", terminals, " feedback terminals each), ", assignees.size(),
             " departments with ", staff,
             " staff each; faults: ", o.faults.empty() ? "none" : absl::StrJoin(o.faults, ", ")));
  const absl::Time start = absl::Now() + absl::Milliseconds(100);
  submitters.Start(start);
  const absl::Time end = start + absl::Seconds(o.seconds);
  absl::Time next_note = start + absl::Seconds(10);
  for (absl::Time now = absl::Now(); now < end; now = absl::Now()) {
    faults.Step(/*inject=*/!o.faults.empty());
    if (now >= next_note) {
      const Ledger::Figures f = ledger.figures();
      uint64_t backlog = 0;
      for (const auto& d : departments) {
        backlog += d->backlog();
      }
      Say(StrCat(static_cast<int>(absl::ToDoubleSeconds(now - start)), " s: ", f.acknowledged[0],
                 " referrals acknowledged, worklists hold ", backlog, ", max lag so far ",
                 sampler.max_lag(), ", kills ", absl::StrJoin(faults.kills(), "/"), ", sockets ",
                 OpenMailboxes()));
      next_note = now + absl::Seconds(o.seconds > 300 ? 60 : 10);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  submitters.Stop();
  const double load_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  uint64_t backlog_at_end = 0;
  for (const auto& d : departments) {
    backlog_at_end += d->backlog();
  }

  // Let the set settle: faults over, lags zero, worklists and inboxes empty.
  Say("load over: ending the faults and letting the set settle");
  faults.Finish(absl::Seconds(90));
  const absl::Time settle_start = absl::Now();
  bool quiesced = false;
  int stable = 0;
  Settledness last;
  // Since when every consumer has stood at its producer's head: an office is idle only once it
  // has read its inbox empty with a request sent after that.
  std::optional<absl::Time> settled_since;
  while (absl::Now() - settle_start < absl::Seconds(o.quiesce_timeout_s)) {
    faults.Step(/*inject=*/false);
    last = LagsSettled(set);
    if (!last.settled) {
      settled_since.reset();
    } else if (!settled_since.has_value()) {
      settled_since = absl::Now();  // after every status was read
    }
    bool actors_idle = true;
    for (const auto& d : departments) {
      if (!d->idle()) {
        actors_idle = false;
        last.why_not.push_back(StrCat("department ", d->assignee(), " still works"));
      }
    }
    for (const auto& r : readers) {
      actors_idle = actors_idle && settled_since.has_value() && r->idle(*settled_since);
    }
    if (faults.quiet() && last.settled && actors_idle) {
      if (++stable >= 3) {
        quiesced = true;
        break;
      }
    } else {
      stable = 0;
    }
    absl::SleepFor(absl::Milliseconds(300));
  }
  const double quiesce_ms = absl::ToDoubleMilliseconds(absl::Now() - settle_start);
  if (!quiesced) {
    Say(StrCat("the set did not settle within ", o.quiesce_timeout_s, " s (", OpenMailboxes(),
               " sockets open in this harness): ",
               last.why_not.empty() ? "actors still busy" : absl::StrJoin(last.why_not, "; ")));
  }
  for (auto& d : departments) {
    d->Stop();
  }
  std::vector<InboxFindings> inboxes;
  for (auto& r : readers) {
    r->Stop();
    inboxes.push_back(r->findings());
  }

  // The audit chain, as its own command sees it (verify is for ops and admin).
  Json audit_command = Json::MakeObject();
  bool audit_command_ok = false;
  {
    bus::SocketOptions options;
    options.linger_ms = 0;
    options.curve = set.Curve("ops", 3);
    bus::CommandClient client(context, set.CommandEndpoint(3), options, absl::Minutes(30), 0,
                              kServiceNames[3]);
    lotse::v1::AuditRequest request;
    request.set_request_id("verify");
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
    request.mutable_actor()->set_id("ops");
    request.mutable_actor()->set_user("lotse-load");
    request.mutable_verify();
    absl::StatusOr<std::string> bytes = client.Call(request.SerializeAsString());
    lotse::v1::AuditReply reply;
    if (bytes.ok() && reply.ParseFromString(*bytes) && reply.has_verify()) {
      audit_command_ok = reply.verify().ok();
      audit_command["ok"] = reply.verify().ok();
      audit_command["entries"] = reply.verify().entries();
      audit_command["problem"] = reply.verify().problem();
    } else {
      audit_command["ok"] = false;
      audit_command["problem"] =
          bytes.ok() ? (reply.has_error() ? reply.error().message() : "unreadable reply")
                     : "audit did not answer the verify command";
    }
  }
  sampler.Stop();

  // Stop the set the way an operator does: SIGTERM, exit 0 within 2 s.
  Json final_stop = Json::MakeObject();
  int final_stop_violations = 0;
  for (int i = 0; i < kServiceCount; ++i) {
    set.SendTerm(i);
  }
  const absl::Time term_sent = absl::Now();
  for (int i = 0; i < kServiceCount; ++i) {
    const absl::Duration left =
        std::max(absl::Seconds(2) - (absl::Now() - term_sent), absl::Milliseconds(1));
    absl::StatusOr<int> code = set.Terminate(i, left);
    const int ms = static_cast<int>(absl::ToDoubleMilliseconds(absl::Now() - term_sent));
    if (!code.ok()) {
      ++final_stop_violations;
      final_stop[kServiceNames[i]] = "did not exit within 2 s of SIGTERM (killed)";
    } else {
      final_stop_violations += *code != 0 ? 1 : 0;
      final_stop[kServiceNames[i]] = StrCat("exit ", *code, " within ", ms, " ms");
    }
  }

  // The final state against the ledger.
  Say("checking the final state of every service against the ledger");
  absl::StatusOr<CheckResult> checked = Check(set.DataDir(), ledger, inboxes);
  if (!checked.ok()) {
    Say(StrCat("the check could not run: ", checked.status().message(), " (data kept in ", dir,
               ")"));
    return kExitSetup;
  }
  const CheckResult& c = *checked;
  const Ledger::Figures figures = ledger.figures();
  const bool audit_verified = audit_command_ok && c.chain_verified;
  std::array<int, kServiceCount> kills = faults.kills();
  const bool kill_schedule_short =
      o.min_kills_per_service > 0 &&
      *std::min_element(kills.begin(), kills.end()) < o.min_kills_per_service;
  const bool violations =
      c.lost.total() > 0 || c.duplicated.total() > 0 || c.order.total() > 0 || !audit_verified;
  const bool passed = o.expect_violations ? violations : (!violations && !kill_schedule_short);

  Json report = Json::MakeObject();
  report["command_line"] = o.command_line;
  report["result"] = passed ? "passed" : "failed";
  report["violations_found"] = violations;
  report["expect_violations"] = o.expect_violations;
  report["seed"] = StrCat(o.seed);
  report["seconds"] = std::round(load_seconds * 10) / 10;
  report["rate_offered"] = o.rate;
  report["referrals_per_s"] =
      std::round(static_cast<double>(figures.acknowledged[0]) / load_seconds * 10) / 10;
  report["submitted"] = submitters.sent();
  report["max_schedule_slip_ms"] = absl::ToInt64Milliseconds(submitters.max_slip());
  report["submit_latency_ms"] = Percentiles(ledger.submit_latencies());
  Json acked = Json::MakeObject();
  Json unacked = Json::MakeObject();
  Json resent = Json::MakeObject();
  Json refused = Json::MakeObject();
  uint64_t acked_total = 0, unacked_total = 0, resent_total = 0;
  for (int i = 0; i < kCmdCount; ++i) {
    const std::string name(CmdName(static_cast<Cmd>(i)));
    acked[name] = figures.acknowledged[i];
    unacked[name] = figures.unacknowledged[i];
    resent[name] = figures.resent[i];
    acked_total += figures.acknowledged[i];
    unacked_total += figures.unacknowledged[i];
    resent_total += figures.resent[i];
    if (!figures.refused[i].empty()) {
      Json r = Json::MakeObject();
      for (const auto& [code, n] : figures.refused[i]) {
        r[code] = n;
      }
      refused[name] = r;
    }
  }
  acked["total"] = acked_total;
  unacked["total"] = unacked_total;
  resent["total"] = resent_total;
  report["acknowledged"] = acked;
  report["unacknowledged"] = unacked;
  report["resent_same_key"] = resent;
  report["refused"] = refused;
  report["refusal_examples"] = Strings(figures.refusal_examples);
  Json reads = Json::MakeObject();
  for (const auto& [k, n] : figures.reads) {
    reads[k] = n;
  }
  report["reads"] = reads;
  report["lost"] = c.lost.ToJson();
  report["duplicated"] = c.duplicated.ToJson();
  report["order_violations"] = c.order.ToJson();
  report["audit_verified"] = audit_verified;
  Json audit = Json::MakeObject();
  audit["verify_command"] = audit_command;
  Json recomputed = Json::MakeObject();
  recomputed["ok"] = c.chain_verified;
  recomputed["entries"] = c.chain_entries;
  recomputed["problem"] = c.chain_problem;
  audit["recomputed"] = recomputed;
  report["audit"] = audit;
  report["faults"] = faults.ToJson();
  Json kills_json = Json::MakeObject();
  for (int i = 0; i < kServiceCount; ++i) {
    kills_json[kServiceNames[i]] = kills[i];
  }
  report["kills_per_service"] = kills_json;
  if (o.min_kills_per_service > 0) {
    report["min_kills_per_service"] = o.min_kills_per_service;
    report["kill_schedule_too_short"] = kill_schedule_short;
  }
  report["sigterm_violations"] = faults.sigterm_violations();
  report["final_stop"] = final_stop;
  report["final_stop_violations"] = final_stop_violations;
  report["unexpected_exits"] = Strings(faults.unexpected());
  report["worklist_backlog_at_end_of_load"] = backlog_at_end;
  report["max_consumer_lag"] = sampler.max_lag();
  Json lag_by = Json::MakeObject();
  for (const auto& [k, v] : sampler.max_lag_by_consumer()) {
    lag_by[k] = v;
  }
  report["max_consumer_lag_by_consumer"] = lag_by;
  report["lag_samples"] = sampler.samples();
  report["recovery_definition"] = StrCat(
      "from the restart (kill9, kill9-all, sigterm, unexpected exit) or the SIGCONT (sigstop, "
      "slow-consumer) until the service answers a command again and each of its consumers has "
      "reached its producer's head as of that moment with a lag of at most ",
      near_zero_lag,
      " events; first_answer_ms is until the first answer alone. kill9-all counts "
      "until the last of the four has recovered. A recovery cut short by the next fault on the "
      "same service is 'superseded' and not measured");
  report["quiesced"] = quiesced;
  report["quiesce_ms"] = std::round(quiesce_ms);
  if (!quiesced) {
    report["not_settled"] = Strings(last.why_not);
  }
  Json referrals = Json::MakeObject();
  for (const auto& [k, n] : c.referrals) {
    referrals[k] = n;
  }
  report["referrals"] = referrals;
  Json heads = Json::MakeObject();
  for (const auto& [k, n] : c.log_heads) {
    heads[k] = n;
  }
  report["log_heads"] = heads;
  Json dead = Json::MakeObject();
  for (const auto& [k, n] : c.dead_letters) {
    dead[k] = n;
  }
  report["dead_letters"] = dead;
  report["notes"] = Strings(c.notes);
  Json env = Json::MakeArray();
  for (const auto& [k, v] : o.env) {
    env.Push(StrCat(k, "=", v));
  }
  report["service_env"] = env;
  const bool keep = o.keep_dir || (!passed);
  report["data_dir"] = keep ? dir : "";

  if (o.json) {
    std::printf("%s\n", report.Dump().c_str());
    std::fflush(stdout);
  }
  // The summary for people.
  std::string faults_line;
  for (const std::string& f : o.faults) {
    faults_line += StrCat(faults_line.empty() ? "" : ", ", f);
  }
  Say(StrCat("----- report -----"));
  Say(StrCat("command:      ", o.command_line));
  Say(StrCat("load:         ", figures.acknowledged[0], " referrals acknowledged in ",
             static_cast<int>(load_seconds), " s = ",
             static_cast<double>(figures.acknowledged[0]) / load_seconds, "/s (offered ", o.rate,
             "/s); ", acked_total, " commands acknowledged, ", unacked_total, " without reply"));
  Say(StrCat("faults:       ", faults_line.empty() ? "none" : faults_line, "; kills per service ",
             absl::StrJoin(kills, "/"),
             " (intake/routing/notification/audit); SIGTERM "
             "violations ",
             faults.sigterm_violations(), "; unexpected exits ", faults.unexpected().size()));
  Say(StrCat("settled:      ", quiesced ? "yes" : "NO", " after ", static_cast<int>(quiesce_ms),
             " ms; max consumer lag ", sampler.max_lag(), "; worklists held ", backlog_at_end,
             " items when the load ended"));
  Say(StrCat("lost:         ", c.lost.total()));
  Say(StrCat("duplicated:   ", c.duplicated.total()));
  Say(StrCat("out of order: ", c.order.total()));
  Say(StrCat("audit chain:  ", audit_verified ? "verified" : "DOES NOT VERIFY", " (",
             c.chain_entries, " entries)"));
  for (const auto* findings : {&c.lost, &c.duplicated, &c.order}) {
    for (const auto& [k, n] : findings->counts()) {
      Say(StrCat("  ", k, ": ", n));
    }
  }
  if (kill_schedule_short) {
    Say(StrCat("too few kills: some service was killed fewer than ", o.min_kills_per_service,
               " times; run longer or shorten --kill-interval-ms"));
  }
  Say(StrCat("result:       ", passed ? "PASSED" : "FAILED",
             o.expect_violations ? " (negative control: violations were expected)" : ""));
  if (keep) {
    Say(StrCat("data and service logs kept in ", dir));
  } else {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return passed ? kExitPassed : kExitFailed;
}

}  // namespace lotse::load
