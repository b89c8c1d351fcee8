#include "tests/bench/scale.h"

#include <algorithm>
#include <functional>

#include "absl/time/clock.h"
#include "common/format.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"
#include "tests/bench/bench_set.h"
#include "tests/bench/flow.h"
#include "zmq.hpp"

namespace lotse::bench {
namespace {

constexpr int kCalls = 100;  // requests per cost and level

// One REQ socket per (service, principal), as a terminal keeps its connection.
class Caller {
 public:
  Caller(zmq::context_t& context, const BenchSet& set, int service, std::string_view principal)
      : socket_(context, zmq::socket_type::req) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvtimeo, 120000);
    SetCurve(socket_, set.Curve(principal, service));
    socket_.connect(set.CommandEndpoint(service));
  }
  // The reply, or "" if none came.
  std::string Call(const std::string& body) {
    socket_.send(zmq::buffer(body), zmq::send_flags::none);
    zmq::message_t reply;
    return socket_.recv(reply, zmq::recv_flags::none) ? reply.to_string() : "";
  }

 private:
  zmq::socket_t socket_;
};

// `call` timed `n` times; a call that returns false counts as a failure.
Stage Time(const std::string& name, int n, const std::function<bool()>& call, int* failures) {
  Stage stage(name);
  for (int i = 0; i < n; ++i) {
    const absl::Time t0 = absl::Now();
    const bool ok = call();
    stage.ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    *failures += ok ? 0 : 1;
  }
  return stage;
}

lotse::v1::Actor ActorOf(lotse::v1::ActorKind kind, const std::string& id) {
  lotse::v1::Actor actor;
  actor.set_kind(kind);
  actor.set_id(id);
  actor.set_user("bench");
  return actor;
}

// Submits (no further flow) until `level` referrals are stored, `window` in flight.
uint64_t LoadUpTo(const BenchSet& set, uint64_t stored, uint64_t level, int window) {
  FlowOptions load;
  load.full_flow = false;
  load.window = window;
  while (stored < level) {
    load.seconds = 30;
    load.first_index = static_cast<int>(stored);
    load.max_submits = level - stored;
    const uint64_t submitted = RunFlow(set, load).submitted;
    if (submitted == 0) {
      break;  // the set refuses: reported by the level's figures
    }
    stored += submitted;
  }
  return stored;
}

}  // namespace

ScaleReport ScaleBench(const std::string& bin_dir, bool keep, uint64_t referrals, int window) {
  ScaleReport report;
  BenchSet set(bin_dir, "", keep);
  if (absl::Status s = set.Start(); !s.ok()) {
    report.text = StrCat("scale: the set did not start: ", ToStd(s.message()), "\n");
    return report;
  }
  std::vector<uint64_t> levels;
  for (uint64_t level = 1000; level < referrals; level *= 10) {
    levels.push_back(level);
  }
  levels.push_back(referrals);
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilMonth month = absl::ToCivilMonth(absl::Now(), utc);
  const std::string month_from = absl::FormatCivilTime(absl::CivilDay(month));
  const std::string month_to = absl::FormatCivilTime(absl::CivilDay(month + 1));
  const std::string last_month_from = absl::FormatCivilTime(absl::CivilDay(month - 1));
  uint64_t stored = 0;
  std::string levels_json;
  report.ok = true;
  for (size_t level_index = 0; level_index < levels.size(); ++level_index) {
    const uint64_t level = levels[level_index];
    const absl::Time load_start = absl::Now();
    stored = LoadUpTo(set, stored, level, window);
    if (absl::Status quiet = set.WaitQuiet(absl::Seconds(3600)); !quiet.ok()) {
      StrAppend(&report.text, "scale: the set did not catch up: ", ToStd(quiet.message()), "\n");
      report.ok = false;
      break;
    }
    const double load_seconds = absl::ToDoubleSeconds(absl::Now() - load_start);
    zmq::context_t context(1);
    Caller routing(context, set, 1, "umwelt");
    Caller inbox(context, set, 2, "umwelt");
    Caller intake(context, set, 0, "bb-mitte");
    Caller audit(context, set, 3, "admin");
    int failures = 0;
    int id = 0;
    ScaleLevel figures;
    figures.referrals = stored;
    // The department's worklist: its first page, and the page after it.
    std::string next;
    auto worklist = [&](const std::string& after, const std::string& user = "") {
      lotse::v1::RoutingRequest r;
      r.set_request_id(StrCat("w", id++));
      *r.mutable_actor() = ActorOf(lotse::v1::ACTOR_KIND_DEPARTMENT, "umwelt");
      r.mutable_worklist()->set_assignee("umwelt");
      r.mutable_worklist()->set_limit(50);
      r.mutable_worklist()->set_after(after);
      r.mutable_worklist()->set_user(user);
      lotse::v1::RoutingReply reply;
      if (!reply.ParseFromString(routing.Call(r.SerializeAsString())) || !reply.has_worklist() ||
          reply.worklist().items_size() == 0) {
        return false;
      }
      if (user.empty()) {
        figures.worklist_total = reply.worklist().total();
      }
      if (after.empty() && user.empty()) {
        next = reply.worklist().next();
      }
      return true;
    };
    const Stage first = Time(
        "worklist_first_page", kCalls, [&] { return worklist(""); }, &failures);
    const Stage second = Time(
        "worklist_next_page", kCalls, [&] { return !next.empty() && worklist(next); }, &failures);
    // The desk's default view: one staff member's items (umwelt's only contact person).
    const Stage user_page = Time(
        "worklist_user_page", kCalls, [&] { return worklist("", "um-wagner"); }, &failures);
    const Stage inbox_page = Time(
        "inbox_page", kCalls,
        [&] {
          lotse::v1::NotificationRequest r;
          r.set_request_id(StrCat("i", id++));
          *r.mutable_actor() = ActorOf(lotse::v1::ACTOR_KIND_DEPARTMENT, "umwelt");
          r.mutable_inbox()->set_max_messages(50);
          lotse::v1::NotificationReply reply;
          return reply.ParseFromString(inbox.Call(r.SerializeAsString())) && reply.has_inbox() &&
                 reply.inbox().messages_size() > 0;
        },
        &failures);
    // An office's list of its referrals (newest first), and the status of one of them.
    std::string ref;
    const Stage office_list = Time(
        "office_list_page", kCalls,
        [&] {
          lotse::v1::IntakeRequest r;
          r.set_request_id(StrCat("l", id++));
          *r.mutable_actor() = ActorOf(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte");
          r.mutable_list_referrals()->set_limit(50);
          lotse::v1::IntakeReply reply;
          if (!reply.ParseFromString(intake.Call(r.SerializeAsString())) ||
              !reply.has_referral_list() || reply.referral_list().entries_size() == 0) {
            return false;
          }
          ref = reply.referral_list().entries(0).referral_id();
          return true;
        },
        &failures);
    const Stage status = Time(
        "status", kCalls,
        [&] {
          lotse::v1::IntakeRequest r;
          r.set_request_id(StrCat("g", id++));
          *r.mutable_actor() = ActorOf(lotse::v1::ACTOR_KIND_OFFICE, "bb-mitte");
          r.mutable_get()->set_ref(ref);
          lotse::v1::IntakeReply reply;
          return reply.ParseFromString(intake.Call(r.SerializeAsString())) && reply.has_referral();
        },
        &failures);
    auto evaluate = [&](const std::string& from, const std::string& to) {
      lotse::v1::AuditRequest r;
      r.set_request_id(StrCat("e", id++));
      *r.mutable_actor() = ActorOf(lotse::v1::ACTOR_KIND_ADMIN, "admin");
      r.mutable_evaluation()->set_from(from);
      r.mutable_evaluation()->set_to(to);
      lotse::v1::AuditReply reply;
      return reply.ParseFromString(audit.Call(r.SerializeAsString())) && reply.has_evaluation();
    };
    // This month holds every referral stored; the last month none: its cost is what a month
    // costs that is not the one being filled.
    const Stage evaluation = Time(
        "evaluation_month", 3, [&] { return evaluate(month_from, month_to); }, &failures);
    const Stage last_month = Time(
        "evaluation_last_month", 3, [&] { return evaluate(last_month_from, month_from); },
        &failures);
    figures.worklist_first_ms = first.Percentile(50);
    figures.worklist_first_p99_ms = first.Percentile(99);
    figures.worklist_next_ms = second.Percentile(50);
    figures.worklist_user_ms = user_page.Percentile(50);
    figures.inbox_ms = inbox_page.Percentile(50);
    figures.status_ms = status.Percentile(50);
    figures.office_list_ms = office_list.Percentile(50);
    figures.evaluation_month_ms = evaluation.Percentile(50);
    figures.evaluation_last_month_ms = last_month.Percentile(50);
    std::string services;
    std::string rss_text;
    for (int i = 0; i < 4; ++i) {
      const ProcessFigures p = ReadFigures(set.Pid(i));
      figures.max_rss_mb = std::max(figures.max_rss_mb, p.rss_mb);
      const double disk_mb = static_cast<double>(set.DataBytes(i)) / (1 << 20);
      StrAppend(&services, i == 0 ? "" : ",", "\"", kServices[i],
                "\":{\"rss_mb\":", fmt::format("{:.1f}", p.rss_mb),
                ",\"disk_mb\":", fmt::format("{:.1f}", disk_mb), "}");
      StrAppend(&rss_text, fmt::format("  {:<13} RSS {:>7.1f} MB  disk {:>9.1f} MB\n", kServices[i],
                                       p.rss_mb, disk_mb));
    }
    figures.requests_ok = failures == 0;
    if (level_index + 1 == levels.size()) {  // the top level: how long a restart takes
      absl::StatusOr<std::vector<double>> ready = set.Restart();
      if (ready.ok()) {
        figures.ready_seconds = *std::max_element(ready->begin(), ready->end());
        StrAppend(&rss_text, fmt::format("  restart: every service ready after {:.2f} s "
                                         "(intake {:.2f}, routing {:.2f}, notification {:.2f}, "
                                         "audit {:.2f})\n",
                                         figures.ready_seconds, (*ready)[0], (*ready)[1],
                                         (*ready)[2], (*ready)[3]));
      } else {
        ++failures;
        StrAppend(&rss_text, "  restart failed: ", ToStd(ready.status().message()), "\n");
      }
    }
    figures.ok = failures == 0 && stored == level;
    report.ok = report.ok && figures.ok;
    StrAppend(&report.text,
              fmt::format("scale with {} referrals stored (loaded in {:.0f} s; umwelt's worklist "
                          "{} items){}:\n",
                          stored, load_seconds, figures.worklist_total,
                          figures.ok ? "" : StrCat(", ", failures, " requests FAILED")),
              StageLine(first), StageLine(second), StageLine(user_page), StageLine(inbox_page),
              StageLine(office_list), StageLine(status), StageLine(evaluation),
              StageLine(last_month), rss_text);
    StrAppend(
        &levels_json, levels_json.empty() ? "" : ",",
        fmt::format("{{\"referrals_stored\":{},\"load_seconds\":{:.1f},\"worklist_total\":{},"
                    "\"failures\":{},",
                    stored, load_seconds, figures.worklist_total, failures),
        "\"worklist_first_page\":", StageJson(first), ",\"worklist_next_page\":", StageJson(second),
        ",\"worklist_user_page\":", StageJson(user_page), ",\"inbox_page\":", StageJson(inbox_page),
        ",\"office_list_page\":", StageJson(office_list), ",\"status\":", StageJson(status),
        ",\"evaluation_month\":", StageJson(evaluation),
        ",\"evaluation_last_month\":", StageJson(last_month),
        fmt::format(",\"ready_seconds\":{:.3f},\"services\":{{", figures.ready_seconds), services,
        "}}");
    report.levels.push_back(figures);
    if (!figures.ok && stored < level) {
      break;
    }
  }
  set.Stop();
  report.json = StrCat("[", levels_json, "]");
  return report;
}

}  // namespace lotse::bench
