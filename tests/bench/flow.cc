#include "tests/bench/flow.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/config/config.h"
#include "common/format.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/ops.pb.h"
#include "lotse/v1/routing.pb.h"
#include "zmq.hpp"

namespace lotse::bench {
namespace {

int64_t NowUs() { return absl::ToUnixMicros(absl::Now()); }

// A DEALER on a command endpoint with any number of requests in flight; replies are matched
// by the request id inside them. It acts as the principal whose key `curve` holds.
class AsyncClient {
 public:
  AsyncClient(zmq::context_t& context, const std::string& endpoint, const bus::CurveOptions& curve)
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndhwm, 0);
    socket_.set(zmq::sockopt::rcvhwm, 0);
    SetCurve(socket_, curve);
    socket_.connect(endpoint);
  }
  void Send(const std::string& body) {
    socket_.send(zmq::message_t(), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(body), zmq::send_flags::none);
  }
  // Every reply body waiting now.
  template <typename Fn>
  void Drain(Fn&& on_reply) {
    while (true) {
      zmq::message_t frame;
      if (!socket_.recv(frame, zmq::recv_flags::dontwait)) {
        return;
      }
      while (frame.more()) {  // skip the empty delimiter; the body is the last frame
        (void)socket_.recv(frame, zmq::recv_flags::none);
      }
      on_reply(frame.to_string());
    }
  }
  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

struct Referral {
  std::string id;
  std::string office;
  std::string department;
  int64_t scheduled_us = 0;
  int64_t answer_sent_us = 0;
  bool claimed = false;
  bool in_work = false;  // a claim or answer is in flight or done
  bool answered = false;
  bool feedback_sent = false;
  bool completed = false;
};

enum class Kind { kSubmit, kWorklist, kClaim, kAnswer, kFeedback, kInbox };  // kWorklist: a
                                                                              // department's inbox
struct Pending {
  Kind kind = Kind::kSubmit;
  size_t referral = 0;  // index, or the department/office index for worklist/inbox
};

// Records, on its own thread, when routing made a referral visible (its ReferralRouted
// commit) and how long each event took to enter the audit chain. A tap admits ops and admin
// only, and a client pins its service's key: one SUB per tap, as ops.
class TapWatcher {
 public:
  TapWatcher(zmq::context_t& context, const BenchSet& set)
      : sockets_{zmq::socket_t(context, zmq::socket_type::sub),
                 zmq::socket_t(context, zmq::socket_type::sub)} {
    const int services[] = {1, 3};  // routing, audit
    for (int i = 0; i < 2; ++i) {
      zmq::socket_t& socket = sockets_[i];
      socket.set(zmq::sockopt::rcvhwm, 0);
      socket.set(zmq::sockopt::linger, 0);
      socket.set(zmq::sockopt::subscribe, "");
      SetCurve(socket, set.Curve("ops", services[i]));
      socket.connect(set.TapEndpoint(services[i]));
    }
    thread_ = std::thread([this] { Run(); });
  }
  ~TapWatcher() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // After Stop().
  const std::unordered_map<std::string, int64_t>& routed_us() const { return routed_us_; }
  const std::vector<double>& audit_ms() const { return audit_ms_; }

 private:
  void Run() {
    lotse::v1::TapRecord record;
    lotse::v1::Envelope event;
    while (!stop_) {
      zmq::pollitem_t items[] = {{sockets_[0].handle(), 0, ZMQ_POLLIN, 0},
                                 {sockets_[1].handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 2, std::chrono::milliseconds(50));
      for (zmq::socket_t& socket : sockets_) {
        zmq::message_t topic;
        zmq::message_t body;
        while (socket.recv(topic, zmq::recv_flags::dontwait)) {
          (void)socket.recv(body, zmq::recv_flags::none);
          if (!record.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
              !event.ParseFromString(record.event())) {
            continue;
          }
          if (record.service() == "routing" &&
              record.direction() == lotse::v1::TAP_DIRECTION_PRODUCED &&
              event.has_referral_routed()) {
            routed_us_.emplace(event.referral_id(), record.committed_at_us());
          } else if (record.service() == "audit") {
            audit_ms_.push_back(
                static_cast<double>(record.committed_at_us() - event.occurred_at_us()) / 1000.0);
          }
        }
      }
    }
  }
  zmq::socket_t sockets_[2];  // routing's tap, audit's tap
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::unordered_map<std::string, int64_t> routed_us_;
  std::vector<double> audit_ms_;
};

}  // namespace

double Stage::Percentile(double p) const {
  if (ms.empty()) {
    return 0;
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string StageJson(const Stage& s) {
  return fmt::format(
      "{{\"count\":{},\"p50_ms\":{:.6g},\"p90_ms\":{:.6g},\"p99_ms\":{:.6g},\"max_ms\":{:.6g}}}",
      s.ms.size(), s.Percentile(50), s.Percentile(90), s.Percentile(99), s.Percentile(100));
}

std::string StageLine(const Stage& s) {
  return fmt::format(
      "  {:<20} n={:<7} p50 {:>8.2f} ms  p90 {:>8.2f} ms  p99 {:>8.2f} ms  max {:>8.2f} ms\n",
      s.name, s.ms.size(), s.Percentile(50), s.Percentile(90), s.Percentile(99), s.Percentile(100));
}

FlowResult RunFlow(const BenchSet& set, const FlowOptions& options) {
  FlowResult result;
  absl::StatusOr<config::Config> parsed = config::ParseConfig(config::DefaultConfigText(), "default");
  std::vector<std::string> topics;
  std::map<std::string, std::string> department_of_topic;
  for (const config::Topic& t : parsed->topics) {
    if ((options.only_topic.empty() || t.id == options.only_topic) &&
        t.department != options.exclude_department) {
      topics.push_back(t.id);
    }
    department_of_topic[t.id] = t.department;
  }
  std::vector<std::string> departments;
  for (const config::Department& d : parsed->departments) {
    departments.push_back(d.id);
  }
  const std::vector<std::string> offices = {"bb-mitte", "bb-nord", "bb-sued"};

  zmq::context_t context(1);
  // A request acts as its connection's key: each office and each department has its own
  // clients, with its key. Per office an intake client (submits, feedback) and an inbox reader;
  // per department a routing client (claims, answers) and an inbox reader (long-poll: the
  // service pushes).
  std::vector<std::unique_ptr<AsyncClient>> intakes;
  std::vector<std::unique_ptr<AsyncClient>> inboxes;
  std::map<std::string, size_t> office_index;
  for (size_t i = 0; i < offices.size(); ++i) {
    office_index[offices[i]] = i;
    intakes.push_back(std::make_unique<AsyncClient>(context, set.CommandEndpoint(0),
                                                    set.Curve(offices[i], 0)));
    inboxes.push_back(std::make_unique<AsyncClient>(context, set.CommandEndpoint(2),
                                                    set.Curve(offices[i], 2)));
  }
  std::vector<std::unique_ptr<AsyncClient>> routings;
  std::vector<std::unique_ptr<AsyncClient>> department_inboxes;
  for (size_t i = 0; i < departments.size(); ++i) {
    routings.push_back(std::make_unique<AsyncClient>(context, set.CommandEndpoint(1),
                                                     set.Curve(departments[i], 1)));
    department_inboxes.push_back(std::make_unique<AsyncClient>(context, set.CommandEndpoint(2),
                                                               set.Curve(departments[i], 2)));
  }
  std::optional<TapWatcher> tap;
  if (options.watch_taps) {
    tap.emplace(context, set);
    absl::SleepFor(absl::Milliseconds(200));  // the SUB's subscription reaches the taps
  }

  std::vector<Referral> referrals;
  std::unordered_map<std::string, size_t> by_id;
  std::unordered_map<std::string, Pending> pending;
  std::vector<uint64_t> inbox_ack(offices.size());
  std::vector<uint64_t> department_ack(departments.size());
  // NEW_REFERRAL messages read before the submit's reply: (referral id, department).
  std::vector<std::pair<std::string, size_t>> unknown_new;
  // Feedback the intake refused because it has not seen the answer yet: sent again shortly.
  std::vector<std::pair<int64_t, size_t>> feedback_retry;
  std::map<std::string, size_t> department_index;
  for (size_t i = 0; i < departments.size(); ++i) {
    department_index[departments[i]] = i;
  }
  uint64_t next_id = 0;
  // Unique across the runs on one set (first_index differs), as the keys made from them must be.
  auto request_id = [&] { return StrCat("b", options.first_index, "-", next_id++); };

  auto send_inbox = [&](size_t office) {
    lotse::v1::NotificationRequest r;
    r.set_request_id(request_id());
    r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    r.mutable_actor()->set_id(offices[office]);
    r.mutable_inbox()->set_ack(inbox_ack[office]);
    r.mutable_inbox()->set_max_messages(1000);
    r.mutable_inbox()->set_wait_ms(1000);
    pending[r.request_id()] = {Kind::kInbox, office};
    inboxes[office]->Send(r.SerializeAsString());
  };
  auto send_department_inbox = [&](size_t department) {
    lotse::v1::NotificationRequest r;
    r.set_request_id(request_id());
    r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    r.mutable_actor()->set_id(departments[department]);
    r.mutable_inbox()->set_ack(department_ack[department]);
    r.mutable_inbox()->set_max_messages(1000);
    r.mutable_inbox()->set_wait_ms(1000);
    pending[r.request_id()] = {Kind::kWorklist, department};
    department_inboxes[department]->Send(r.SerializeAsString());
  };
  if (options.full_flow) {
    for (size_t i = 0; i < offices.size(); ++i) {
      send_inbox(i);
    }
    for (size_t i = 0; i < departments.size(); ++i) {
      if (departments[i] != options.exclude_department) {  // its backlog is not this run's
        send_department_inbox(i);
      }
    }
  }
  size_t submits_in_flight = 0;
  auto send_submit = [&](int64_t scheduled_us) {
    const size_t n = referrals.size() + static_cast<size_t>(options.first_index);
    Referral ref;
    ref.office = offices[n % offices.size()];
    const std::string& topic = topics[n % topics.size()];
    ref.department = department_of_topic[topic];
    ref.scheduled_us = scheduled_us;
    const size_t index = referrals.size();
    referrals.push_back(ref);
    lotse::v1::IntakeRequest r;
    r.set_request_id(request_id());
    r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    r.mutable_actor()->set_id(ref.office);
    r.mutable_submit()->set_idempotency_key(StrCat("bench-", n, "-", scheduled_us));
    lotse::v1::Referral* body = r.mutable_submit()->mutable_referral();
    body->set_office(ref.office);
    body->set_company_id(StrCat("B-", n));
    body->set_company_name(StrCat("Betrieb ", n, " GmbH"));
    body->set_topic(topic);
    body->set_subject("Frage zur Genehmigung einer Betriebserweiterung");
    body->set_text("Welche Unterlagen brauchen wir für die Erweiterung, und wie lange dauert die "
                   "Prüfung? Wir planen den Baubeginn im Frühjahr.");
    pending[r.request_id()] = {Kind::kSubmit, index};
    ++submits_in_flight;
    intakes[office_index.at(ref.office)]->Send(r.SerializeAsString());
  };
  auto send_routing = [&](Kind kind, size_t index) {
    Referral& ref = referrals[index];
    lotse::v1::RoutingRequest r;
    r.set_request_id(request_id());
    r.set_idempotency_key(StrCat(r.request_id(), "-", index));
    r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    r.mutable_actor()->set_id(ref.department);
    r.mutable_actor()->set_user("bench");
    if (kind == Kind::kClaim) {
      r.mutable_claim()->set_ref(ref.id);
    } else {
      r.mutable_answer()->set_ref(ref.id);
      r.mutable_answer()->set_text("Die Unterlagen finden Sie im Serviceportal; Prüfung 4 Wochen.");
      r.mutable_answer()->set_outcome(lotse::v1::OUTCOME_RESOLVED);
      ref.answer_sent_us = NowUs();
    }
    pending[r.request_id()] = {kind, index};
    routings[department_index.at(ref.department)]->Send(r.SerializeAsString());
  };
  auto send_feedback = [&](size_t index) {
    Referral& ref = referrals[index];
    ref.feedback_sent = true;
    lotse::v1::IntakeRequest r;
    r.set_request_id(request_id());
    r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    r.mutable_actor()->set_id(ref.office);
    r.mutable_feedback()->set_idempotency_key(StrCat("fb-", options.first_index, "-", index));
    r.mutable_feedback()->set_ref(ref.id);
    r.mutable_feedback()->set_rating(5);
    r.mutable_feedback()->set_resolved(true);
    pending[r.request_id()] = {Kind::kFeedback, index};
    intakes[office_index.at(ref.office)]->Send(r.SerializeAsString());
  };

  const int64_t start_us = NowUs();
  const int64_t submit_end_us = start_us + static_cast<int64_t>(options.seconds * 1e6);
  const int64_t drain_end_us = submit_end_us + absl::ToInt64Microseconds(options.drain);
  uint64_t completed = 0;
  uint64_t submitted_acked = 0;
  int64_t last_submit_us = start_us;

  // Parses a reply and takes the request it answers; false if it is not one of ours.
  auto take_reply = [&](const std::string& body, google::protobuf::Message* reply, Pending* p) {
    if (!reply->ParseFromString(body)) {
      return false;
    }
    const google::protobuf::FieldDescriptor* id = reply->GetDescriptor()->FindFieldByName("request_id");
    auto it = pending.find(reply->GetReflection()->GetString(*reply, id));
    if (it == pending.end()) {
      return false;
    }
    *p = it->second;
    pending.erase(it);
    return true;
  };
  auto on_intake = [&](const std::string& body) {
    lotse::v1::IntakeReply reply;
    Pending p;
    if (!take_reply(body, &reply, &p)) {
      return;
    }
    if (reply.has_error() && p.kind == Kind::kFeedback &&
        reply.error().code() == lotse::v1::ERROR_CODE_FAILED_PRECONDITION) {
      // The office saw the answer before intake did (they read different logs): try again.
      feedback_retry.emplace_back(NowUs() + 5000, p.referral);
      return;
    }
    if (reply.has_error()) {
      ++result.errors;
      if (result.problem.empty()) {
        result.problem = reply.error().message();
      }
    }
    if (p.kind == Kind::kSubmit) {
      --submits_in_flight;
      if (!reply.has_submitted()) {
        return;
      }
      Referral& ref = referrals[p.referral];
      ref.id = reply.submitted().referral_id();
      by_id[ref.id] = p.referral;
      ++submitted_acked;
      result.submit_ack.ms.push_back(static_cast<double>(NowUs() - ref.scheduled_us) / 1000.0);
    } else if (p.kind == Kind::kFeedback && reply.has_referral()) {
      referrals[p.referral].completed = true;
      ++completed;
    }
  };
  auto on_routing = [&](const std::string& body) {
    lotse::v1::RoutingReply reply;
    Pending p;
    if (!take_reply(body, &reply, &p)) {
      return;
    }
    if (reply.has_error()) {
      ++result.errors;
      if (result.problem.empty()) {
        result.problem = reply.error().message();
      }
      return;
    }
    if (p.kind == Kind::kClaim) {
      referrals[p.referral].claimed = true;
      send_routing(Kind::kAnswer, p.referral);
    } else if (p.kind == Kind::kAnswer) {
      referrals[p.referral].answered = true;
    }
  };
  // A department worker: every new referral on its worklist is claimed and answered.
  auto start_work = [&](const std::string& referral_id, size_t department) {
    auto found = by_id.find(referral_id);
    if (found == by_id.end()) {
      return false;
    }
    if (!referrals[found->second].in_work) {
      referrals[found->second].department = departments[department];  // the routed assignee
      referrals[found->second].in_work = true;
      send_routing(Kind::kClaim, found->second);
    }
    return true;
  };
  auto on_department_inbox = [&](const std::string& body) {
    lotse::v1::NotificationReply reply;
    Pending p;
    if (!take_reply(body, &reply, &p)) {
      return;
    }
    const size_t department = p.referral;
    for (const lotse::v1::InboxMessage& m : reply.inbox().messages()) {
      department_ack[department] = std::max(department_ack[department], m.seq());
      if (m.kind() == lotse::v1::MESSAGE_KIND_NEW_REFERRAL &&
          !start_work(m.referral_id(), department)) {
        unknown_new.emplace_back(m.referral_id(), department);
      }
    }
    if (NowUs() < drain_end_us) {
      send_department_inbox(department);
    }
  };
  auto on_inbox = [&](const std::string& body) {
    lotse::v1::NotificationReply reply;
    Pending p;
    if (!take_reply(body, &reply, &p)) {
      return;
    }
    const size_t office = p.referral;
    const int64_t now = NowUs();
    for (const lotse::v1::InboxMessage& m : reply.inbox().messages()) {
      inbox_ack[office] = std::max(inbox_ack[office], m.seq());
      if (m.kind() != lotse::v1::MESSAGE_KIND_ANSWER) {
        continue;
      }
      auto found = by_id.find(m.referral_id());
      if (found == by_id.end() || referrals[found->second].feedback_sent) {
        continue;
      }
      const Referral& ref = referrals[found->second];
      if (ref.answer_sent_us > 0) {
        result.answer_to_inbox.ms.push_back(static_cast<double>(now - ref.answer_sent_us) / 1000.0);
      }
      send_feedback(found->second);
    }
    if (now < drain_end_us) {
      send_inbox(office);
    }
  };

  uint64_t scheduled = 0;
  while (true) {
    const int64_t now = NowUs();
    const bool submitting =
        now < submit_end_us && (options.max_submits == 0 || referrals.size() < options.max_submits);
    if (submitting) {
      if (options.rate > 0) {
        // Open loop: every submit that is due is sent, whatever is in flight; latency counts
        // from the scheduled time, so a stall shows instead of being hidden.
        while (true) {
          const int64_t due = start_us + static_cast<int64_t>(static_cast<double>(scheduled) * 1e6 /
                                                              options.rate);
          if (due > now || (options.max_submits > 0 && referrals.size() >= options.max_submits)) {
            break;
          }
          send_submit(due);
          ++scheduled;
        }
      } else {
        while (submits_in_flight < static_cast<size_t>(options.window) &&
               (options.flows == 0 ||
                referrals.size() - completed < static_cast<size_t>(options.flows)) &&
               (options.max_submits == 0 || referrals.size() < options.max_submits)) {
          send_submit(NowUs());
        }
      }
      last_submit_us = now;
    } else if (!options.full_flow && submits_in_flight == 0) {
      break;
    }
    if (options.full_flow) {
      if (!unknown_new.empty()) {
        std::vector<std::pair<std::string, size_t>> retry;
        retry.swap(unknown_new);
        for (const auto& [id, department] : retry) {
          if (!start_work(id, department)) {
            unknown_new.emplace_back(id, department);
          }
        }
      }
      while (!feedback_retry.empty() && feedback_retry.front().first <= now) {
        send_feedback(feedback_retry.front().second);
        feedback_retry.erase(feedback_retry.begin());
      }
      if (!submitting && completed == submitted_acked && submits_in_flight == 0) {
        break;
      }
    }
    if (now > drain_end_us) {
      size_t in_work = 0, claimed = 0, answered = 0, feedback = 0;
      for (const Referral& ref : referrals) {
        in_work += ref.in_work;
        claimed += ref.claimed;
        answered += ref.answered;
        feedback += ref.feedback_sent;
      }
      result.problem = StrCat(result.problem.empty() ? "" : StrCat("first error: ", result.problem, "; "),
                              "only ", completed, " of ", submitted_acked,
                              " referrals completed the flow within the drain time (in work ",
                              in_work, ", claimed ", claimed, ", answered ", answered,
                              ", feedback sent ", feedback, ", errors ", result.errors, ")");
      break;
    }
    std::vector<zmq::pollitem_t> items;
    for (auto& client : intakes) {
      items.push_back({client->socket().handle(), 0, ZMQ_POLLIN, 0});
    }
    for (auto& client : routings) {
      items.push_back({client->socket().handle(), 0, ZMQ_POLLIN, 0});
    }
    for (auto& inbox : inboxes) {
      items.push_back({inbox->socket().handle(), 0, ZMQ_POLLIN, 0});
    }
    for (auto& inbox : department_inboxes) {
      items.push_back({inbox->socket().handle(), 0, ZMQ_POLLIN, 0});
    }
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(1));
    for (auto& client : intakes) {
      client->Drain(on_intake);
    }
    for (auto& client : routings) {
      client->Drain(on_routing);
    }
    for (auto& inbox : inboxes) {
      inbox->Drain(on_inbox);
    }
    for (auto& inbox : department_inboxes) {
      inbox->Drain(on_department_inbox);
    }
  }
  result.submitted = submitted_acked;
  result.completed = completed;
  result.submit_seconds = static_cast<double>(last_submit_us - start_us) / 1e6;
  (void)set.WaitQuiet(absl::Seconds(120));
  result.total_seconds = static_cast<double>(NowUs() - start_us) / 1e6;
  if (!tap.has_value()) {
    return result;
  }
  absl::SleepFor(absl::Milliseconds(100));
  tap->Stop();
  for (const Referral& ref : referrals) {
    auto it = tap->routed_us().find(ref.id);
    if (!ref.id.empty() && it != tap->routed_us().end()) {
      result.submit_to_worklist.ms.push_back(static_cast<double>(it->second - ref.scheduled_us) /
                                             1000.0);
    }
  }
  result.event_to_audit.ms = tap->audit_ms();
  return result;
}

}  // namespace lotse::bench
