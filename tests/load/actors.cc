#include "tests/load/actors.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/format.h"
#include "services/intake/attachments.h"

namespace lotse::load {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;
using lotse::v1::NotificationReply;
using lotse::v1::NotificationRequest;
using lotse::v1::ReferralState;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;
using lotse::v1::WorkItem;

constexpr std::string_view kSubjectPrefix = "Lastprobe ";
constexpr size_t kMaxExamples = 10;
constexpr double kCompanyFeedbackShare = 0.3;  // of first answers, rated by the company too
constexpr double kAttachShare = 0.1;           // of acknowledged submissions, with a document

// A client of `service` ("intake", at `endpoint`) that acts as `principal` (its key).
std::unique_ptr<bus::CommandClient> MakeClient(const Shared& shared, const std::string& endpoint,
                                               std::string_view service, std::string_view principal,
                                               absl::Duration timeout, int retries) {
  bus::SocketOptions options;
  options.linger_ms = 0;  // a request nobody answered is not worth waiting for at exit
  options.curve = shared.keys->Client(principal, service);
  return std::make_unique<bus::CommandClient>(*shared.context, endpoint, options, timeout, retries,
                                              std::string(service));
}

// One request with Lazy Pirate retries; nullopt when no reply (of this request) came.
template <typename Reply, typename Request>
std::optional<Reply> Call(bus::CommandClient& client, Request& request, std::string id) {
  request.set_request_id(std::move(id));
  absl::StatusOr<std::string> bytes = client.Call(request.SerializeAsString());
  if (!bytes.ok()) {
    return std::nullopt;
  }
  Reply reply;
  if (!reply.ParseFromString(*bytes) || reply.request_id() != request.request_id()) {
    return std::nullopt;
  }
  return reply;
}

// True if two replies say the same (their request ids aside).
template <typename Reply>
bool SameReply(Reply a, Reply b) {
  a.clear_request_id();
  b.clear_request_id();
  return a.SerializeAsString() == b.SerializeAsString();
}

double Uniform(std::mt19937_64& random) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(random);
}

template <typename T>
const T& Pick(std::mt19937_64& random, const std::vector<T>& from) {
  return from[random() % from.size()];
}

std::string RefOf(const RoutingRequest& r) {
  switch (r.command_case()) {
    case RoutingRequest::kClaim:
      return r.claim().ref();
    case RoutingRequest::kForward:
      return r.forward().ref();
    case RoutingRequest::kConsult:
      return r.consult().ref();
    case RoutingRequest::kContribute:
      return r.contribute().ref();
    case RoutingRequest::kAnswer:
      return r.answer().ref();
    case RoutingRequest::kAskCompany:
      return r.ask_company().ref();
    case RoutingRequest::kCompanyReplied:
      return r.company_replied().ref();
    default:
      return "";
  }
}

}  // namespace

std::string KeyFromSubject(const std::string& subject) {
  if (subject.rfind(kSubjectPrefix, 0) != 0) {
    return "";
  }
  const size_t end = subject.find(':', kSubjectPrefix.size());
  return subject.substr(kSubjectPrefix.size(),
                        end == std::string::npos ? std::string::npos : end - kSubjectPrefix.size());
}

// --- Submitters ------------------------------------------------------------------------------

Submitters::Submitters(const Shared& shared, int threads, double rate)
    : shared_(shared), threads_(threads), rate_(rate) {}

void Submitters::Start(absl::Time start) {
  for (int i = 0; i < threads_; ++i) {
    workers_.emplace_back([this, i, start] { Run(i, start); });
  }
}

void Submitters::Stop() {
  stop_ = true;
  for (std::thread& t : workers_) {
    if (t.joinable()) {
      t.join();
    }
  }
  workers_.clear();
}

void Submitters::Run(int index, absl::Time start) {
  std::mt19937_64 random(shared_.seed * 1000003 + static_cast<uint64_t>(index));
  // One client per office (made on its first submission): a request acts as its key's office.
  std::map<std::string, std::unique_ptr<bus::CommandClient>> clients;
  Ledger& ledger = *shared_.ledger;
  const lotse::v1::Priority priorities[] = {lotse::v1::PRIORITY_LOW, lotse::v1::PRIORITY_NORMAL,
                                            lotse::v1::PRIORITY_NORMAL, lotse::v1::PRIORITY_HIGH,
                                            lotse::v1::PRIORITY_URGENT};
  uint64_t requests = 0;
  for (uint64_t n = 0; !stop_; ++n) {
    const double at =
        static_cast<double>(n * static_cast<uint64_t>(threads_) + static_cast<uint64_t>(index)) /
        rate_;
    const absl::Time due = start + absl::Seconds(at);
    for (absl::Time now = absl::Now(); !stop_ && now < due; now = absl::Now()) {
      absl::SleepFor(std::min(due - now, absl::Milliseconds(50)));
    }
    if (stop_) {
      break;
    }
    const int64_t slip = absl::ToInt64Microseconds(absl::Now() - due);
    for (int64_t seen = max_slip_us_.load(); slip > seen;) {
      if (max_slip_us_.compare_exchange_weak(seen, slip)) {
        break;
      }
    }
    ++sent_;
    const std::string key = StrCat("s", index, "-", n);
    const std::string& office = Pick(random, shared_.city.offices);
    const std::string& topic = Pick(random, shared_.city.topics);
    IntakeRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    request.mutable_actor()->set_id(office);
    lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
    submit->set_idempotency_key(key);
    lotse::v1::Referral* r = submit->mutable_referral();
    r->set_office(office);
    const bool kam = !shared_.city.kam_companies.empty() && Uniform(random) < 0.05;
    r->set_company_id(kam ? Pick(random, shared_.city.kam_companies)
                          : StrCat("HRB-", 10000 + random() % 90000));
    r->set_company_name(StrCat("Firma ", r->company_id(), " GmbH"));
    r->set_topic(topic);
    r->set_subject(StrCat(kSubjectPrefix, key, ": Frage zu ", topic));
    r->set_text("Welche Unterlagen brauchen wir, und wie lange dauert es? (Lastprobe)");
    r->set_priority(priorities[random() % 5]);
    r->mutable_contact()->set_name("Erika Mustermann");
    r->mutable_contact()->set_email("erika.mustermann@example.org");
    std::unique_ptr<bus::CommandClient>& client = clients[office];
    if (client == nullptr) {
      client = MakeClient(shared_, shared_.intake, "intake", office, absl::Milliseconds(1500), 3);
    }
    ledger.SubmitSent(key, office);
    const absl::Time sent_at = absl::Now();
    std::optional<IntakeReply> reply =
        Call<IntakeReply>(*client, request, StrCat("sub", index, "-", ++requests));
    if (!reply.has_value()) {
      ledger.Unacknowledged(Cmd::kSubmit, key);
      continue;
    }
    ledger.SubmitLatency(absl::ToInt64Microseconds(absl::Now() - sent_at));
    if (reply->has_error()) {
      ledger.Refused(Cmd::kSubmit, reply->error());
      continue;
    }
    ledger.SubmitAcknowledged(key, reply->submitted().referral_id());
    ledger.FeedbackCode(reply->submitted().referral_id(), reply->submitted().feedback_code());
    if (Uniform(random) < kAttachShare) {
      // A site plan, in one chunk, with the same key on every retry.
      const std::string plan = StrCat("Lageplan zu ", key, "\n", std::string(2048, 'x'), "\n");
      IntakeRequest attach;
      *attach.mutable_actor() = request.actor();
      lotse::v1::AttachRequest* a = attach.mutable_attach();
      a->set_idempotency_key(StrCat("att-", key));
      a->set_ref(reply->submitted().referral_id());
      a->set_name("Lageplan.txt");
      a->set_size(plan.size());
      a->set_sha256(intake::Sha256Hex(plan));
      a->set_data(plan);
      std::optional<IntakeReply> attached =
          Call<IntakeReply>(*client, attach, StrCat("sub", index, "-", ++requests));
      if (!attached.has_value()) {
        ledger.Unacknowledged(Cmd::kAttach, a->idempotency_key());
      } else if (attached->has_error()) {
        ledger.Refused(Cmd::kAttach, attached->error());
      } else if (attached->attached().complete()) {
        ledger.AttachAcknowledged(a->ref(), a->name());
      }
    }
    if (Uniform(random) < shared_.resend_share) {
      // As a terminal would after a lost reply: the same request, the same key.
      std::optional<IntakeReply> again =
          Call<IntakeReply>(*client, request, StrCat("sub", index, "-", ++requests));
      if (again.has_value()) {
        ledger.Resent(Cmd::kSubmit, SameReply(*reply, *again),
                      StrCat("submit key ", key, " from ", office, ": first referral ",
                             reply->submitted().referral_id(), ", again ",
                             again->has_error() ? again->error().message()
                                                : again->submitted().referral_id()));
      }
    }
  }
}

// --- Department ------------------------------------------------------------------------------

struct Department::Worker {
  struct Pending {
    Cmd cmd;
    RoutingRequest request;
  };
  int index = 0;
  std::string user;
  std::unique_ptr<bus::CommandClient> client;
  std::mt19937_64 random;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<WorkItem> queue;              // under mu
  std::set<std::string> queued;            // referral ids queued or being handled, under mu
  std::map<std::string, Pending> pending;  // "<ref>/<cmd>" -> command without reply
  std::atomic<size_t> pending_count{0};
  // Referrals waiting for contributions: when to look again, and how often we looked (the
  // wait doubles, so a backlog of waiting referrals does not become a flood of reads).
  struct Wait {
    absl::Time next;
    int looks = 0;
  };
  std::unordered_map<std::string, Wait> waiting;
  // Referrals this worker just finished here (answered, forwarded, contributed to): a worklist
  // read from before that may still show them; skip them for a while.
  std::unordered_map<std::string, absl::Time> finished;
  absl::Time last_prune = absl::InfinitePast();
  absl::Time last_sweep = absl::InfinitePast();
  uint64_t next_key = 0;
  uint64_t next_id = 0;
  std::thread thread;
};

Department::Department(const Shared& shared, std::string assignee, int staff)
    : shared_(shared), assignee_(std::move(assignee)) {
  for (int i = 0; i < staff; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->user = StrCat(assignee_, ".sb", i + 1);
    w->random.seed(shared_.seed ^ std::hash<std::string>{}(w->user));
    workers_.push_back(std::move(w));
  }
}

Department::~Department() { Stop(); }

void Department::Start() {
  for (auto& w : workers_) {
    w->client =
        MakeClient(shared_, shared_.routing, "routing", assignee_, absl::Milliseconds(1500), 3);
    Worker* worker = w.get();
    w->thread = std::thread([this, worker] { Work(*worker); });
  }
  poller_ = std::thread([this] { Poll(); });
}

void Department::Stop() {
  stop_ = true;
  if (poller_.joinable()) {
    poller_.join();
  }
  for (auto& w : workers_) {
    w->cv.notify_all();
    if (w->thread.joinable()) {
      w->thread.join();
      for (const auto& [k, p] : w->pending) {
        shared_.ledger->Unacknowledged(p.cmd, p.request.idempotency_key());
      }
      w->pending.clear();
    }
  }
}

void Department::Poll() {
  std::unique_ptr<bus::CommandClient> client =
      MakeClient(shared_, shared_.routing, "routing", assignee_, absl::Milliseconds(2000), 2);
  const int items_limit = 1000;
  uint64_t id = 0;
  while (!stop_) {
    RoutingRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    request.mutable_actor()->set_id(assignee_);
    request.mutable_worklist()->set_assignee(assignee_);
    request.mutable_worklist()->set_limit(items_limit);
    std::optional<RoutingReply> reply =
        Call<RoutingReply>(*client, request, StrCat(assignee_, "-poll-", ++id));
    if (!reply.has_value() || reply->has_error()) {
      idle_ = false;
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    shared_.ledger->Read("worklist");
    backlog_ = reply->worklist().total();
    // A referral that waits on the company's reply is not the department's work until the
    // office enters the reply: it is neither handed to the staff nor counted as work left. If a
    // deliberately broken service lost the question, it waits for good, and the set must still
    // settle so that the checker can name the loss.
    uint32_t waiting = 0;
    for (const WorkItem& item : reply->worklist().items()) {
      if (item.waiting() && item.kind() == lotse::v1::WORK_ITEM_KIND_ASSIGNED) {
        ++waiting;
        continue;
      }
      Worker& w = *workers_[std::hash<std::string>{}(item.referral_id()) % workers_.size()];
      std::lock_guard lock(w.mu);
      if (w.queued.insert(item.referral_id()).second) {
        w.queue.push_back(item);
        w.cv.notify_one();
      }
    }
    auto busy = [&] {
      for (auto& w : workers_) {
        std::lock_guard lock(w->mu);
        if (!w->queued.empty()) {
          return true;
        }
      }
      return false;
    };
    bool pending = false;
    for (auto& w : workers_) {
      pending = pending || w->pending_count > 0;
    }
    idle_ = reply->worklist().total() == waiting && !pending && !busy();
    if (static_cast<uint32_t>(reply->worklist().items_size()) == waiting) {
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    // Let the staff work through what they got before reading the list again (routing scans
    // the whole worklist for every read): a short list is read again soon, a full one when the
    // staff are through with it.
    const bool full = reply->worklist().total() > static_cast<uint32_t>(items_limit);
    const absl::Time until = absl::Now() + (full ? absl::Seconds(5) : absl::Milliseconds(250));
    do {
      absl::SleepFor(absl::Milliseconds(5));
    } while (!stop_ && busy() && absl::Now() < until);
  }
}

void Department::Work(Worker& w) {
  while (!stop_) {
    WorkItem item;
    {
      std::unique_lock lock(w.mu);
      w.cv.wait_for(lock, std::chrono::milliseconds(200),
                    [&] { return stop_ || !w.queue.empty(); });
      if (stop_) {
        break;
      }
      if (w.queue.empty()) {
        lock.unlock();
        RetryPending(w, "");
        continue;
      }
      item = std::move(w.queue.front());
      w.queue.pop_front();
    }
    Handle(w, item);
    std::lock_guard lock(w.mu);
    w.queued.erase(item.referral_id());
  }
}

void Department::RetryPending(Worker& w, const std::string& only_ref) {
  if (only_ref.empty()) {
    if (absl::Now() - w.last_sweep < absl::Milliseconds(500)) {
      return;
    }
    w.last_sweep = absl::Now();
  }
  std::vector<Worker::Pending> todo;
  for (const auto& [k, p] : w.pending) {
    if (only_ref.empty() || RefOf(p.request) == only_ref) {
      todo.push_back(p);
    }
  }
  for (Worker::Pending& p : todo) {
    if (stop_ || !Act(w, p.cmd, p.request).has_value()) {
      return;  // still no reply: the service is away
    }
  }
}

std::optional<RoutingReply> Department::Act(Worker& w, Cmd cmd, RoutingRequest request) {
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(assignee_);
  request.mutable_actor()->set_user(w.user);
  if (request.idempotency_key().empty()) {
    request.set_idempotency_key(StrCat(w.user, "-", ++w.next_key));
  }
  const std::string ref = RefOf(request);
  const std::string pending_key = StrCat(ref, "/", CmdName(cmd));
  std::optional<RoutingReply> reply =
      Call<RoutingReply>(*w.client, request, StrCat(w.user, "-", ++w.next_id));
  if (!reply.has_value()) {
    w.pending[pending_key] = Worker::Pending{cmd, request};
    w.pending_count = w.pending.size();
    return std::nullopt;
  }
  w.pending.erase(pending_key);
  w.pending_count = w.pending.size();
  Ledger& ledger = *shared_.ledger;
  if (reply->has_error()) {
    ledger.Refused(cmd, reply->error());
    return reply;
  }
  const ReferralState& s = reply->referral();
  ChangeRecord record{cmd, s.referral_id(), s.updated_at_us(), ""};
  switch (cmd) {
    case Cmd::kClaim:
      record.detail = w.user;
      break;
    case Cmd::kForward:
      record.detail = request.forward().to();
      break;
    case Cmd::kConsult:
      record.detail = absl::StrJoin(request.consult().departments(), ",");
      break;
    default:
      record.detail = assignee_;
  }
  ledger.ChangeAcknowledged(std::move(record));
  if (cmd == Cmd::kAnswer) {
    ledger.AnswerAcknowledged(s.referral_id(), s.referral().office());
  }
  if (Uniform(w.random) < shared_.resend_share) {
    std::optional<RoutingReply> again =
        Call<RoutingReply>(*w.client, request, StrCat(w.user, "-", ++w.next_id));
    if (again.has_value()) {
      ledger.Resent(cmd, SameReply(*reply, *again),
                    StrCat(CmdName(cmd), " of referral ", s.case_number(), " by ", w.user, " (key ",
                           request.idempotency_key(), "): again ",
                           again->has_error() ? again->error().message() : "a different result"));
    }
  }
  return reply;
}

std::optional<ReferralState> Department::GetState(Worker& w, const std::string& ref) {
  RoutingRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(assignee_);
  request.mutable_actor()->set_user(w.user);
  request.mutable_get()->set_ref(ref);
  std::optional<RoutingReply> reply =
      Call<RoutingReply>(*w.client, request, StrCat(w.user, "-", ++w.next_id));
  if (!reply.has_value() || reply->has_error()) {
    return std::nullopt;
  }
  shared_.ledger->Read("get");
  return reply->referral();
}

void Department::Handle(Worker& w, const WorkItem& item) {
  const std::string& ref = item.referral_id();
  const absl::Time now = absl::Now();
  if (now - w.last_prune > absl::Seconds(5)) {
    std::erase_if(w.finished, [&](const auto& f) { return now - f.second > absl::Seconds(5); });
    w.last_prune = now;
  }
  const std::string finished_key = StrCat(ref, "/", item.kind());
  if (w.finished.count(finished_key)) {
    return;
  }
  auto finish = [&](const std::optional<RoutingReply>& reply) {
    if (reply.has_value()) {
      w.finished[finished_key] = absl::Now();
    }
  };
  RetryPending(w, ref);
  for (const auto& [k, p] : w.pending) {
    if (RefOf(p.request) == ref) {
      return;  // the last command on it still has no reply
    }
  }
  if (item.kind() == lotse::v1::WORK_ITEM_KIND_CONSULTATION) {
    RoutingRequest r;
    r.mutable_contribute()->set_ref(ref);
    r.mutable_contribute()->set_text(StrCat("Aus Sicht von ", assignee_, ": keine Bedenken."));
    finish(Act(w, Cmd::kContribute, r));
    return;
  }
  std::optional<ReferralState> state;
  if (item.status() == lotse::v1::REFERRAL_STATUS_ROUTED) {
    RoutingRequest r;
    r.mutable_claim()->set_ref(ref);
    std::optional<RoutingReply> reply = Act(w, Cmd::kClaim, r);
    if (!reply.has_value() || reply->has_error()) {
      return;
    }
    state = reply->referral();
  } else if (item.status() != lotse::v1::REFERRAL_STATUS_CLAIMED || item.claimed_by() != w.user) {
    return;
  }
  // What this department does with the referral, the same on every look at it.
  const uint64_t plan =
      std::hash<std::string>{}(StrCat(shared_.seed, "/", ref, "/", assignee_)) % 100;
  const std::vector<std::string>& departments = shared_.city.departments;
  if (plan < 10) {  // forward, once per referral
    if (!state.has_value()) {
      state = GetState(w, ref);
    }
    if (!state.has_value()) {
      return;
    }
    if (state->forward_count() == 0 && departments.size() > 1) {
      std::string to = assignee_;
      while (to == assignee_) {
        to = Pick(w.random, departments);
      }
      RoutingRequest r;
      r.mutable_forward()->set_ref(ref);
      r.mutable_forward()->set_to(to);
      r.mutable_forward()->set_reason(StrCat("Zuständigkeit liegt bei ", to));
      finish(Act(w, Cmd::kForward, r));
      return;
    }
  } else if (plan < 25 && departments.size() > 2) {  // consult, then answer
    if (!state.has_value()) {
      Worker::Wait& wait = w.waiting[ref];  // new: look now
      if (absl::Now() < wait.next) {
        return;
      }
      wait.looks = std::min(wait.looks + 1, 5);
      wait.next = absl::Now() + absl::Milliseconds(250) * (1 << wait.looks);  // up to 8 s
      state = GetState(w, ref);
      if (!state.has_value()) {
        return;
      }
    }
    bool asked = false;
    bool open = false;
    for (const lotse::v1::Consultation& c : state->consultations()) {
      if (c.asked_by() == assignee_) {
        asked = true;
        open = open || c.contributed_at_us() == 0;
      }
    }
    if (!asked) {
      std::set<std::string> with;
      const size_t count = 1 + w.random() % 2;
      while (with.size() < count) {
        const std::string& d = Pick(w.random, departments);
        if (d != assignee_) {
          with.insert(d);
        }
      }
      RoutingRequest r;
      r.mutable_consult()->set_ref(ref);
      for (const std::string& d : with) {
        r.mutable_consult()->add_departments(d);
      }
      r.mutable_consult()->set_question("Bestehen aus Ihrer Sicht Bedenken?");
      Act(w, Cmd::kConsult, r);
      w.waiting[ref] = Worker::Wait{absl::Now() + absl::Milliseconds(250), 0};
      return;
    }
    if (open) {
      return;  // the contributions are not all in yet
    }
  } else if (plan < 35) {  // a question back to the company, answered once it replied
    // The poller hands the item over only while it does not wait on the company.
    if (!state.has_value()) {
      state = GetState(w, ref);
    }
    if (!state.has_value() || state->waiting_since_us() != 0) {
      return;
    }
    if (state->company_questions_size() == 0) {
      RoutingRequest r;
      r.mutable_ask_company()->set_ref(ref);
      r.mutable_ask_company()->set_question("Bitte nennen Sie die Flurstücksnummer.");
      Act(w, Cmd::kAskCompany, r);
      return;
    }
  }
  RoutingRequest r;
  r.mutable_answer()->set_ref(ref);
  r.mutable_answer()->set_text(
      StrCat("Antwort von ", assignee_, ": Bitte reichen Sie die Unterlagen laut Merkblatt ein."));
  const lotse::v1::Outcome outcomes[] = {lotse::v1::OUTCOME_RESOLVED, lotse::v1::OUTCOME_RESOLVED,
                                         lotse::v1::OUTCOME_PARTLY,
                                         lotse::v1::OUTCOME_NOT_RESPONSIBLE};
  r.mutable_answer()->set_outcome(outcomes[w.random() % 4]);
  std::optional<RoutingReply> reply = Act(w, Cmd::kAnswer, r);
  if (reply.has_value()) {
    w.waiting.erase(ref);
  }
  finish(reply);
}

// --- OfficeReader ----------------------------------------------------------------------------

OfficeReader::OfficeReader(const Shared& shared, std::string office, double feedback_share,
                           int feedback_threads)
    : shared_(shared),
      office_(std::move(office)),
      feedback_share_(feedback_share),
      feedback_threads_(feedback_threads),
      random_(shared.seed ^ std::hash<std::string>{}(office_)) {
  findings_.office = office_;
}

void OfficeReader::Start() {
  thread_ = std::thread([this] { Run(); });
  for (int i = 0; i < feedback_threads_; ++i) {
    feedback_workers_.emplace_back([this, i] { GiveFeedback(i); });
  }
}

void OfficeReader::Stop() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  for (std::thread& t : feedback_workers_) {
    if (t.joinable()) {
      t.join();
    }
  }
  feedback_workers_.clear();
  std::lock_guard lock(mu_);
  for (const PendingFeedback& f : feedback_) {
    if (f.company_reply.has_value()) {
      shared_.ledger->Unacknowledged(Cmd::kCompanyReplied, f.company_reply->idempotency_key());
    } else if (f.request.has_company_feedback()) {
      shared_.ledger->Unacknowledged(Cmd::kCompanyFeedback,
                                     f.request.company_feedback().idempotency_key());
    } else {
      shared_.ledger->Unacknowledged(Cmd::kFeedback, f.request.feedback().idempotency_key());
    }
  }
  feedback_.clear();
}

bool OfficeReader::idle(absl::Time since) const {
  std::lock_guard lock(mu_);
  return drained_ && drained_request_us_ >= absl::ToUnixMicros(since) && feedback_.empty() &&
         in_flight_ == 0;
}

void OfficeReader::Run() {
  constexpr uint32_t kWaitMs = 1000;
  std::unique_ptr<bus::CommandClient> inbox =
      MakeClient(shared_, shared_.notification, "notification", office_,
                 absl::Milliseconds(kWaitMs + 2000), 1);
  while (!stop_) {
    NotificationRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    request.mutable_actor()->set_id(office_);
    request.mutable_inbox()->set_ack(ack_);
    request.mutable_inbox()->set_max_messages(1000);
    request.mutable_inbox()->set_wait_ms(kWaitMs);
    const int64_t sent_us = absl::ToUnixMicros(absl::Now());
    std::optional<NotificationReply> reply =
        Call<NotificationReply>(*inbox, request, StrCat(office_, "-inbox-", ++next_id_));
    if (!reply.has_value()) {
      drained_ = false;
      absl::SleepFor(absl::Milliseconds(20));
    } else if (reply->has_error()) {
      drained_ = false;
      if (findings_.examples.size() < kMaxExamples) {
        findings_.examples.push_back(StrCat("office ", office_, ": inbox read refused with ack ",
                                            ack_, ": ", reply->error().message()));
      }
      if (reply->error().field() == "ack") {
        // The service no longer has what we acknowledged: read from its stored position.
        ++findings_.ack_went_back;
        ack_ = 0;
      }
      absl::SleepFor(absl::Milliseconds(100));
    } else {
      shared_.ledger->Read("inbox");
      Receive(reply->inbox());
      drained_ = reply->inbox().messages().empty() &&
                 reply->inbox().acknowledged() >= reply->inbox().head();
      if (drained_) {
        drained_request_us_ = sent_us;
      }
    }
  }
}

void OfficeReader::Receive(const lotse::v1::InboxReply& reply) {
  const uint64_t acknowledged = reply.acknowledged();
  const uint64_t confirmed_before = confirmed_;
  auto example = [&](std::string text) {
    if (findings_.examples.size() < kMaxExamples) {
      findings_.examples.push_back(StrCat("office ", office_, ": ", text));
    }
  };
  if (acknowledged < confirmed_) {
    ++findings_.ack_went_back;
    example(StrCat("the inbox position went back from ", confirmed_, " to ", acknowledged));
  }
  confirmed_ = std::max(confirmed_, acknowledged);
  uint64_t expected = acknowledged + 1;
  std::vector<PendingFeedback> fresh;
  for (const lotse::v1::InboxMessage& m : reply.messages()) {
    if (m.seq() != expected) {
      ++findings_.order_violations;
      example(StrCat("expected message ", expected, " after position ", acknowledged, ", got ",
                     m.seq()));
    }
    expected = m.seq() + 1;
    if (m.seq() <= confirmed_before) {
      ++findings_.redelivered_after_ack;
      example(StrCat("message ", m.seq(), " (", m.title(),
                     ") came again after it was "
                     "acknowledged (position ",
                     confirmed_before, ")"));
      continue;
    }
    if (m.seq() <= max_seen_) {
      continue;  // not acknowledged yet: redelivery is the promise
    }
    max_seen_ = m.seq();
    ++findings_.messages;
    if (m.kind() == lotse::v1::MESSAGE_KIND_ANSWER) {
      if (++findings_.answers[m.referral_id()] == 1 && Uniform(random_) < feedback_share_) {
        PendingFeedback f;
        f.request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
        f.request.mutable_actor()->set_id(office_);
        lotse::v1::SubmitFeedbackRequest* fb = f.request.mutable_feedback();
        fb->set_idempotency_key(StrCat("fb-", office_, "-", m.seq()));
        fb->set_ref(m.referral_id());
        fb->set_rating(1 + static_cast<int>(random_() % 5));
        fb->set_resolved(random_() % 4 != 0);
        fb->set_comment("Rückmeldung aus der Lastprobe.");
        f.due = absl::Now() + absl::Milliseconds(static_cast<int64_t>(random_() % 1000));
        fresh.push_back(std::move(f));
      }
      // The company rates a share of the first answers itself, with the code from its receipt,
      // which the office enters for it (as the web page will).
      const std::string code = shared_.ledger->FeedbackCodeOf(m.referral_id());
      if (findings_.answers[m.referral_id()] == 1 && !code.empty() &&
          Uniform(random_) < kCompanyFeedbackShare) {
        PendingFeedback f;
        f.ref = m.referral_id();
        f.request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
        f.request.mutable_actor()->set_id(office_);
        lotse::v1::CompanyFeedbackRequest* cf = f.request.mutable_company_feedback();
        cf->set_idempotency_key(StrCat("cf-", office_, "-", m.seq()));
        cf->set_code(code);
        cf->set_rating(1 + static_cast<int>(random_() % 5));
        cf->set_resolved(true);
        cf->set_comment("Bewertung der Firma aus der Lastprobe.");
        f.due = absl::Now() + absl::Milliseconds(static_cast<int64_t>(random_() % 2000));
        fresh.push_back(std::move(f));
      }
    } else if (m.kind() == lotse::v1::MESSAGE_KIND_COMPANY_QUESTION) {
      // The office relays the question and, a moment later, enters the company's reply.
      PendingFeedback f;
      lotse::v1::RoutingRequest& r = f.company_reply.emplace();
      r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
      r.mutable_actor()->set_id(office_);
      r.set_idempotency_key(StrCat("cr-", office_, "-", m.seq()));
      r.mutable_company_replied()->set_ref(m.referral_id());
      r.mutable_company_replied()->set_text("Flurstück 112/4, Gemarkung Mitte.");
      f.due = absl::Now() + absl::Milliseconds(static_cast<int64_t>(random_() % 1000));
      fresh.push_back(std::move(f));
    }
  }
  if (!reply.messages().empty()) {
    ack_ = std::max(ack_, reply.messages(reply.messages_size() - 1).seq());
  }
  if (!fresh.empty()) {
    std::lock_guard lock(mu_);
    for (PendingFeedback& f : fresh) {
      feedback_.push_back(std::move(f));
    }
    cv_.notify_all();
  }
}

void OfficeReader::GiveFeedback(int index) {
  constexpr int kMaxRefusals = 120;  // "not answered yet" while intake catches up: ~60 s
  std::unique_ptr<bus::CommandClient> intake =
      MakeClient(shared_, shared_.intake, "intake", office_, absl::Milliseconds(1500), 2);
  std::unique_ptr<bus::CommandClient> routing =
      MakeClient(shared_, shared_.routing, "routing", office_, absl::Milliseconds(1500), 2);
  std::mt19937_64 random(shared_.seed ^ std::hash<std::string>{}(StrCat(office_, index)));
  Ledger& ledger = *shared_.ledger;
  uint64_t next_id = 0;
  while (!stop_) {
    PendingFeedback f;
    {
      std::unique_lock lock(mu_);
      if (stop_) {
        return;
      }
      // The first due one (the queue is only roughly ordered: look at a few).
      const absl::Time now = absl::Now();
      auto due = feedback_.end();
      absl::Time earliest = now + absl::Milliseconds(50);
      for (auto it = feedback_.begin(); it != feedback_.end() && it - feedback_.begin() < 64;
           ++it) {
        if (it->due <= now) {
          due = it;
          break;
        }
        earliest = std::min(earliest, it->due);
      }
      if (due == feedback_.end()) {
        // Nothing due: sleep until the earliest is, or new feedback arrives.
        cv_.wait_for(lock, absl::ToChronoNanoseconds(earliest - now));
        continue;
      }
      f = std::move(*due);
      feedback_.erase(due);
      ++in_flight_;
    }
    auto requeue = [&](absl::Duration after) {
      f.due = absl::Now() + after;
      std::lock_guard lock(mu_);
      feedback_.push_back(std::move(f));
      --in_flight_;
    };
    auto done = [&] {
      std::lock_guard lock(mu_);
      --in_flight_;
    };
    if (f.company_reply.has_value()) {
      std::optional<lotse::v1::RoutingReply> replied = Call<lotse::v1::RoutingReply>(
          *routing, *f.company_reply, StrCat(office_, "-cr", index, "-", ++next_id));
      if (!replied.has_value()) {
        requeue(absl::Milliseconds(200));  // routing is away; the same key goes again later
        continue;
      }
      if (replied->has_error()) {
        ledger.Refused(Cmd::kCompanyReplied, replied->error());
      } else {
        const lotse::v1::ReferralState& s = replied->referral();
        ledger.ChangeAcknowledged(
            ChangeRecord{Cmd::kCompanyReplied, s.referral_id(), s.updated_at_us(), office_});
      }
      done();
      continue;
    }
    std::optional<IntakeReply> reply =
        Call<IntakeReply>(*intake, f.request, StrCat(office_, "-fb", index, "-", ++next_id));
    if (!reply.has_value()) {
      requeue(absl::Milliseconds(200));  // intake is away; the same key goes again later
      continue;
    }
    const Cmd cmd = f.request.has_company_feedback() ? Cmd::kCompanyFeedback : Cmd::kFeedback;
    if (reply->has_error()) {
      if (reply->error().code() == lotse::v1::ERROR_CODE_FAILED_PRECONDITION &&
          ++f.refusals < kMaxRefusals) {
        requeue(absl::Milliseconds(500));  // intake has not seen the answer yet
        continue;
      }
      ledger.Refused(cmd, reply->error());
      done();
      continue;
    }
    if (cmd == Cmd::kCompanyFeedback) {
      ledger.CompanyFeedbackAcknowledged(f.ref);
      done();
      continue;
    }
    ledger.FeedbackAcknowledged(f.request.feedback().ref());
    if (Uniform(random) < shared_.resend_share) {
      std::optional<IntakeReply> again =
          Call<IntakeReply>(*intake, f.request, StrCat(office_, "-fb", index, "-", ++next_id));
      if (again.has_value()) {
        ledger.Resent(Cmd::kFeedback, SameReply(*reply, *again),
                      StrCat("feedback on referral ", reply->referral().case_number(), " from ",
                             office_, ": again ",
                             again->has_error() ? again->error().message() : "a different result"));
      }
    }
    done();
  }
}

}  // namespace lotse::load
