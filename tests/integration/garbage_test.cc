// Garbage at every endpoint of a running set: the command endpoints, the event log endpoints,
// the ops HTTP ports and the live taps of all four services get random bytes, every prefix of a
// valid message, wrong multipart shapes, messages over the size limit and valid protobuf of the
// wrong type. Afterwards every service still runs, answers normally, logged nothing at critical,
// and its state is what it was before. Real binaries, real sockets.
//
// bad_input_test.cc covers field validation and a few shapes at intake and routing; this test
// covers breadth: every endpoint of every service, with many inputs each.
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/bus/socket.h"
#include "common/config/config.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "lotse/v1/ops.pb.h"
#include "tests/integration/lotse_set.h"
#include "tests/support/raw_tcp.h"

namespace lotse::test {
namespace {

using bus::Frames;

constexpr const char* kServices[] = {"intake", "routing", "notification", "audit"};
constexpr const char* kProducers[] = {"intake", "routing", "notification"};  // audit has no log
constexpr absl::Duration kReplyTimeout = absl::Seconds(3);

int IndexOf(const std::string& service) {
  for (int i = 0; i < config::kServiceCount; ++i) {
    if (service == kServices[i]) {
      return i;
    }
  }
  ADD_FAILURE() << "unknown service " << service;
  return 0;
}

// limits.max_message_bytes of the sample city the set runs on (ZMQ_MAXMSGSIZE of its sockets).
size_t MaxMessageBytes() {
  static const size_t limit = [] {
    absl::StatusOr<config::Config> c = config::ParseConfig(config::DefaultConfigText(), "builtin");
    EXPECT_TRUE(c.ok()) << c.status();
    return static_cast<size_t>(c.ok() ? c->limits.max_message_bytes : 1 << 20);
  }();
  return limit;
}

// Random bytes of each size, from a fixed seed so that a failure can be reproduced.
std::vector<std::string> RandomGarbage(uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 24; ++n) {
    sizes.push_back(n);
  }
  for (size_t n : {31, 32, 63, 64, 100, 127, 128, 255, 256, 1000, 4096, 65536, 500000}) {
    sizes.push_back(n);
  }
  std::vector<std::string> out;
  for (int round = 0; round < 2; ++round) {
    for (size_t size : sizes) {
      std::string bytes(size, '\0');
      for (char& c : bytes) {
        c = static_cast<char>(random() & 0xFF);
      }
      out.push_back(std::move(bytes));
    }
  }
  // Bytes that look like protobuf: valid tags with absurd lengths, deep nesting, varints that
  // never end.
  out.push_back(std::string("\x0a\xff\xff\xff\xff\x0f", 6));
  out.push_back(std::string("\x52\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11));
  out.push_back(std::string(2000, '\x52') + std::string("\x00", 1));
  std::string nested;
  for (int i = 0; i < 150; ++i) {
    nested = "\x52" + std::string(1, static_cast<char>(nested.size() < 128 ? nested.size() : 0)) +
             nested;
  }
  out.push_back(nested);
  out.push_back(std::string(64, '\x80'));
  return out;
}

// Every proper prefix of `bytes` (length 0 .. size-1).
std::vector<std::string> Prefixes(const std::string& bytes) {
  std::vector<std::string> out;
  for (size_t n = 0; n < bytes.size(); ++n) {
    out.push_back(bytes.substr(0, n));
  }
  return out;
}

// A DEALER connected to one endpoint of the set, for one request at a time.
class Dealer {
 public:
  Dealer(bus::Context& context, std::string endpoint, bus::CurveOptions curve)
      : context_(context), endpoint_(std::move(endpoint)), curve_(std::move(curve)) {}

  // Sends `frames` and returns what came back within `timeout`, or nullopt. After a timeout the
  // socket is replaced, so a late answer is never taken for the next request's.
  std::optional<Frames> Call(const Frames& frames, absl::Duration timeout = kReplyTimeout) {
    if (!Send(frames)) {
      return std::nullopt;
    }
    absl::StatusOr<bool> readable = socket_->WaitReadable(timeout);
    if (!readable.ok() || !*readable) {
      socket_.reset();
      return std::nullopt;
    }
    absl::StatusOr<std::optional<Frames>> reply = socket_->Receive();
    if (!reply.ok() || !reply->has_value()) {
      socket_.reset();
      return std::nullopt;
    }
    return **reply;
  }

  // Sends without waiting for an answer (the socket is dropped afterwards: whatever comes back
  // is not read).
  bool SendAndForget(const Frames& frames) {
    const bool sent = Send(frames);
    socket_.reset();
    return sent;
  }

 private:
  bool Send(const Frames& frames) {
    if (!socket_.has_value()) {
      bus::SocketOptions options;
      options.linger_ms = 0;
      options.max_message_bytes = -1;  // our side may send anything; the service must cope
      options.curve = curve_;
      absl::StatusOr<bus::Socket> s =
          bus::Socket::Create(context_, zmq::socket_type::dealer, options);
      if (!s.ok() || !s->Connect(endpoint_).ok()) {
        ADD_FAILURE() << "cannot connect a DEALER to " << endpoint_;
        return false;
      }
      socket_.emplace(*std::move(s));
    }
    return socket_->Send(frames).ok();
  }

  bus::Context& context_;
  std::string endpoint_;
  bus::CurveOptions curve_;
  std::optional<bus::Socket> socket_;
};

// What a ZMTP 3.0 SUB peer sends to subscribe to `topic`: the greeting (NULL mechanism), the
// READY command naming the socket type, and the subscription as a message (0x01 + topic), which
// 4.3 publishers accept from 3.0 peers. Written by hand so that no libzmq socket on our side
// has to hold the topic.
std::string ZmtpSubscribe(const std::string& topic) {
  std::string out("\xff\0\0\0\0\0\0\0\x01\x7f", 10);
  out += std::string("\x03\x00NULL", 6) + std::string(16, '\0');  // version 3.0, mechanism
  out += std::string(32, '\0');                                   // as-server 0, filler
  const std::string ready = std::string("\x05READY\x0bSocket-Type\0\0\0\x03SUB", 25);
  out += std::string(1, '\x04') + std::string(1, static_cast<char>(ready.size())) + ready;
  const std::string body = "\x01" + topic;
  out += '\x02';  // a message frame with a long (8-byte) size
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>((body.size() >> shift) & 0xFF);
  }
  return out + body;
}

// The parts of a referral that appear on a worklist, for comparing worklists.
std::string Describe(const lotse::v1::WorklistReply& worklist) {
  std::string out = StrCat(worklist.assignee(), ":", worklist.total());
  for (const lotse::v1::WorkItem& item : worklist.items()) {
    out += StrCat(" ", item.case_number(), "/", item.kind(), "/", item.status(), "/",
                  item.claimed_by(), "/", item.due_at_us());
  }
  return out;
}

// Everything the services hold that garbage must not change.
struct Snapshot {
  uint64_t intake_head = 0;
  uint64_t routing_head = 0;
  uint64_t notification_head = 0;
  uint64_t audit_entries = 0;
  std::string audit_head_hash;
  std::map<std::string, std::string> worklists;  // assignee -> Describe()
  std::map<std::string, uint64_t> inbox_heads;   // actor -> head
  std::map<std::string, uint64_t> inbox_acked;   // actor -> acknowledged

  bool operator==(const Snapshot&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Snapshot& s) {
  os << "heads intake " << s.intake_head << ", routing " << s.routing_head << ", notification "
     << s.notification_head << "; audit entries " << s.audit_entries << "\n";
  for (const auto& [who, list] : s.worklists) {
    os << "  worklist " << list << "\n";
  }
  for (const auto& [who, head] : s.inbox_heads) {
    os << "  inbox " << who << ": head " << head << ", acked " << s.inbox_acked.at(who) << "\n";
  }
  return os;
}

// The sample city with a short long-poll bound: LotseSet::LogHead waits for it at the head.
SetOptions Options() {
  std::string text(config::DefaultConfigText());
  if (const size_t at = text.find("fetch_wait_ms = "); at != std::string::npos) {
    text.replace(at, text.find('\n', at) - at, "fetch_wait_ms = 200");
  } else {
    ADD_FAILURE() << "the sample city has no limits.fetch_wait_ms any more";
  }
  SetOptions options;
  options.config_toml = text;
  return options;
}

class GarbageTest : public ::testing::Test {
 protected:
  GarbageTest() : set_(Options()) {}

  void SetUp() override {
    set_.StartAll(/*with_audit=*/true, /*with_notification=*/true);
    // Some state to protect: two referrals, routed, in the inboxes and the audit chain.
    for (const auto& [office, topic] :
         {std::pair{"bb-mitte", "baugenehmigung"}, std::pair{"bb-nord", "emissionsschutz"}}) {
      absl::StatusOr<lotse::v1::IntakeReply> r = set_.Submit(office, topic, "HRB-4711");
      ASSERT_TRUE(r.ok() && !r->has_error()) << (r.ok() ? r->DebugString() : r.status().ToString());
      case_numbers_.push_back(r->submitted().case_number());
    }
    ASSERT_TRUE(set_.Eventually([&] {
      const Snapshot s = Take();
      return s.routing_head == 2 &&
             s.audit_entries == s.intake_head + s.routing_head + s.notification_head;
    })) << Take();
    before_ = Take();
    std::cerr << "state before the garbage: " << before_;
  }

  // Checks what the test promises after all the garbage.
  void TearDown() override {
    for (const char* service : kServices) {
      EXPECT_TRUE(set_.Running(service)) << service << " died:\n" << set_.Log(service);
    }
    if (HasFailure() && !std::all_of(std::begin(kServices), std::end(kServices),
                                     [&](const char* s) { return set_.Running(s); })) {
      return;  // nothing more to learn from a dead set
    }
    // State: unchanged (audit has nothing left to consume, so one look is enough).
    EXPECT_EQ(Take(), before_);
    // A normal request at every command endpoint is answered normally.
    absl::StatusOr<lotse::v1::IntakeReply> status = set_.Status("bb-mitte", case_numbers_[0]);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_FALSE(status->has_error()) << status->error().message();
    EXPECT_EQ(status->referral().case_number(), case_numbers_[0]);
    absl::StatusOr<lotse::v1::RoutingReply> worklist = set_.Worklist("bauordnung");
    ASSERT_TRUE(worklist.ok()) << worklist.status();
    EXPECT_FALSE(worklist->has_error()) << worklist->error().message();
    EXPECT_EQ(worklist->worklist().total(), 1u);
    EXPECT_TRUE(Inbox("bb-mitte", lotse::v1::ACTOR_KIND_OFFICE).has_value());
    absl::StatusOr<lotse::v1::AuditReply> verify = Verify();
    ASSERT_TRUE(verify.ok()) << verify.status();
    EXPECT_TRUE(verify->verify().ok()) << verify->DebugString();
    // The ops ports still serve.
    for (int i = 0; i < config::kServiceCount; ++i) {
      httplib::Client client("127.0.0.1", OpsPort(i));
      client.set_connection_timeout(1, 0);
      client.set_read_timeout(3, 0);
      const httplib::Result health = client.Get("/healthz");
      EXPECT_TRUE(health && health->status == 200) << kServices[i] << " /healthz";
    }
    // And new work still flows: a submission is accepted and routed.
    absl::StatusOr<lotse::v1::IntakeReply> submitted =
        set_.Submit("bb-sued", "gewerbeanmeldung", "HRB-4712");
    ASSERT_TRUE(submitted.ok()) << submitted.status();
    EXPECT_FALSE(submitted->has_error()) << submitted->error().message();
    EXPECT_TRUE(set_.Eventually([&] { return set_.LogHead("routing").value_or(0) == 3; }))
        << "routing did not route a new referral after the garbage";
    for (const char* service : kServices) {
      const std::string log = set_.Log(service);
      EXPECT_EQ(log.find("critical"), std::string::npos) << service << " logged at critical:\n"
                                                         << log;
    }
  }

  std::string Endpoint(int port) const { return StrCat("tcp://127.0.0.1:", port); }
  int CommandPort(const std::string& service) const {
    return set_.port_base() + 2 * IndexOf(service);
  }
  int LogPort(const std::string& service) const {
    return set_.port_base() + 2 * IndexOf(service) + 1;
  }
  int OpsPort(int index) const { return set_.port_base() + 2 * config::kServiceCount + index; }
  int TapPort(int index) const { return set_.port_base() + 3 * config::kServiceCount + index; }

  std::optional<lotse::v1::InboxReply> Inbox(const std::string& who, lotse::v1::ActorKind kind) {
    lotse::v1::NotificationRequest request;
    request.mutable_actor()->set_kind(kind);
    request.mutable_actor()->set_id(who);
    request.mutable_inbox()->set_max_messages(1);  // ack 0: reads, never moves the position
    absl::StatusOr<lotse::v1::NotificationReply> reply = set_.Notification(request);
    if (!reply.ok() || reply->has_error()) {
      ADD_FAILURE() << who << "'s inbox: "
                    << (reply.ok() ? reply->error().message() : reply.status().ToString());
      return std::nullopt;
    }
    return reply->inbox();
  }

  absl::StatusOr<lotse::v1::AuditReply> Verify() {
    lotse::v1::AuditRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
    request.mutable_actor()->set_id("ops");
    request.mutable_verify();
    return set_.Audit(request);
  }

  Snapshot Take() {
    Snapshot s;
    s.intake_head = set_.LogHead("intake").value_or(~0ull);
    s.routing_head = set_.LogHead("routing").value_or(~0ull);
    s.notification_head = set_.LogHead("notification").value_or(~0ull);
    if (absl::StatusOr<lotse::v1::AuditReply> v = Verify(); v.ok()) {
      s.audit_entries = v->verify().entries();
      s.audit_head_hash = v->verify().head_hash();
    }
    for (const std::string& assignee : set_.Assignees()) {
      absl::StatusOr<lotse::v1::RoutingReply> w = set_.Worklist(assignee);
      s.worklists[assignee] = w.ok() ? Describe(w->worklist()) : w.status().ToString();
    }
    for (const auto& [who, kind] : {std::pair{"bb-mitte", lotse::v1::ACTOR_KIND_OFFICE},
                                    std::pair{"bb-nord", lotse::v1::ACTOR_KIND_OFFICE},
                                    std::pair{"bauordnung", lotse::v1::ACTOR_KIND_DEPARTMENT},
                                    std::pair{"umwelt", lotse::v1::ACTOR_KIND_DEPARTMENT}}) {
      std::optional<lotse::v1::InboxReply> inbox = Inbox(who, kind);
      s.inbox_heads[who] = inbox.has_value() ? inbox->head() : ~0ull;
      s.inbox_acked[who] = inbox.has_value() ? inbox->acknowledged() : ~0ull;
    }
    return s;
  }

  // The reply of a command endpoint to `payload` must be the service's reply message; bytes
  // that are not the service's request must be refused as INVALID_ARGUMENT; every error must be
  // structured (a code and a message). Bytes that happen to be a valid read (protobuf is not
  // self-describing: a routing worklist request is also a notification inbox read) may get a
  // normal answer; the state checks in TearDown show that nothing was changed.
  template <typename Request, typename Reply>
  void ExpectStructured(const std::string& service, const std::string& what,
                        const std::string& payload, const std::optional<Frames>& frames) {
    ASSERT_TRUE(frames.has_value() && !frames->empty())
        << service << " did not answer " << what << " (" << payload.size() << " bytes)";
    const google::protobuf::LogSilencer quiet;  // our own parses of the garbage
    Reply reply;
    ASSERT_TRUE(reply.ParseFromString(frames->back()))
        << service << "'s answer to " << what << " is not a " << Reply::descriptor()->full_name();
    Request request;
    const bool is_request = payload.size() <= MaxMessageBytes() &&
                            request.ParseFromString(payload) &&
                            request.command_case() != Request::COMMAND_NOT_SET;
    if (!is_request) {
      ASSERT_TRUE(reply.has_error())
          << service << " accepted " << what << ": " << reply.ShortDebugString();
      EXPECT_EQ(reply.error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT)
          << service << ", " << what << ": " << reply.error().ShortDebugString();
    }
    if (reply.has_error()) {
      EXPECT_NE(reply.error().code(), lotse::v1::ERROR_CODE_UNSPECIFIED) << service << ", " << what;
      EXPECT_NE(reply.error().code(), lotse::v1::ERROR_CODE_INTERNAL)
          << service << ", " << what << ": " << reply.error().message();
      EXPECT_FALSE(reply.error().message().empty()) << service << ", " << what;
    } else {
      ++normal_answers_;
    }
  }

  void ExpectCommandAnswer(const std::string& service, const std::string& what,
                           const std::string& payload, const std::optional<Frames>& frames) {
    if (service == "intake") {
      ExpectStructured<lotse::v1::IntakeRequest, lotse::v1::IntakeReply>(service, what, payload,
                                                                         frames);
    } else if (service == "routing") {
      ExpectStructured<lotse::v1::RoutingRequest, lotse::v1::RoutingReply>(service, what, payload,
                                                                           frames);
    } else if (service == "notification") {
      ExpectStructured<lotse::v1::NotificationRequest, lotse::v1::NotificationReply>(
          service, what, payload, frames);
    } else {
      ExpectStructured<lotse::v1::AuditRequest, lotse::v1::AuditReply>(service, what, payload,
                                                                       frames);
    }
  }

  // A log endpoint answers every message with a FetchReply about its own stream: refused as
  // INVALID_ARGUMENT if it is not one FetchRequest frame, NOT_FOUND for another stream.
  void ExpectFetchAnswer(const std::string& service, const std::string& what, const Frames& sent,
                         const std::optional<Frames>& frames) {
    ASSERT_TRUE(frames.has_value() && frames->size() == 1)
        << service << "'s log endpoint did not answer " << what;
    const google::protobuf::LogSilencer quiet;
    lotse::v1::FetchReply reply;
    ASSERT_TRUE(reply.ParseFromString(frames->front()))
        << service << "'s log endpoint answered " << what << " with something else";
    EXPECT_EQ(reply.stream(), service) << what;
    lotse::v1::FetchRequest request;
    if (sent.size() != 1 || sent[0].size() > MaxMessageBytes() ||
        !request.ParseFromString(sent[0])) {
      EXPECT_EQ(reply.error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT)
          << service << ", " << what << ": " << reply.ShortDebugString();
    } else if (request.stream() != service) {
      EXPECT_EQ(reply.error().code(), lotse::v1::ERROR_CODE_NOT_FOUND)
          << service << ", " << what << ": " << reply.ShortDebugString();
    }
    if (reply.has_error()) {
      EXPECT_FALSE(reply.error().message().empty()) << service << ", " << what;
    }
  }

  // Valid protobuf of every other type Lotse speaks.
  std::vector<std::pair<std::string, std::string>> WrongTypes() const {
    std::vector<std::pair<std::string, std::string>> out;
    lotse::v1::Actor ops;
    ops.set_kind(lotse::v1::ACTOR_KIND_OPS);
    ops.set_id("ops");
    lotse::v1::IntakeRequest intake;
    *intake.mutable_actor() = ops;
    intake.mutable_get()->set_ref(case_numbers_[0]);
    out.emplace_back("an IntakeRequest", intake.SerializeAsString());
    lotse::v1::RoutingRequest routing;
    *routing.mutable_actor() = ops;
    routing.set_idempotency_key("k-wrong-type");
    routing.mutable_claim()->set_ref(case_numbers_[0]);
    out.emplace_back("a RoutingRequest", routing.SerializeAsString());
    lotse::v1::NotificationRequest notification;
    *notification.mutable_actor() = ops;
    notification.mutable_inbox()->set_ack(1);
    out.emplace_back("a NotificationRequest", notification.SerializeAsString());
    lotse::v1::AuditRequest audit;
    *audit.mutable_actor() = ops;
    audit.mutable_evaluation()->set_from("2026-01-01");
    audit.mutable_evaluation()->set_to("2027-01-01");
    out.emplace_back("an AuditRequest", audit.SerializeAsString());
    lotse::v1::Envelope event;
    event.set_stream("intake");
    event.set_seq(1);
    event.set_referral_id(case_numbers_[0]);
    event.mutable_referral_submitted()->mutable_referral()->set_office("bb-mitte");
    out.emplace_back("an Envelope", event.SerializeAsString());
    lotse::v1::FetchRequest fetch;
    fetch.set_stream("intake");
    fetch.set_consumer("admin");  // the only name the admin key may fetch under
    out.emplace_back("a FetchRequest", fetch.SerializeAsString());
    lotse::v1::FetchReply fetched;
    fetched.set_stream("routing");
    fetched.add_events(event.SerializeAsString());
    out.emplace_back("a FetchReply", fetched.SerializeAsString());
    lotse::v1::IntakeReply reply;
    reply.mutable_error()->set_code(lotse::v1::ERROR_CODE_NOT_FOUND);
    reply.mutable_error()->set_message("nope");
    out.emplace_back("an IntakeReply", reply.SerializeAsString());
    lotse::v1::TapRecord tap;
    tap.set_service("intake");
    tap.set_event(event.SerializeAsString());
    out.emplace_back("a TapRecord", tap.SerializeAsString());
    return out;
  }

  // A valid request that would change state; only its proper prefixes are sent.
  std::string ChangingRequest(const std::string& service) const {
    if (service == "intake") {
      lotse::v1::IntakeRequest r;
      r.set_request_id("garbage-prefix");
      r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
      r.mutable_actor()->set_id("bb-mitte");
      r.mutable_submit()->set_idempotency_key("k-prefix");
      lotse::v1::Referral* referral = r.mutable_submit()->mutable_referral();
      referral->set_office("bb-mitte");
      referral->set_company_id("HRB-1");
      referral->set_company_name("Firma");
      referral->set_topic("baugenehmigung");
      referral->set_subject("Betreff");
      referral->set_text("Text");
      return r.SerializeAsString();
    }
    if (service == "routing") {
      lotse::v1::RoutingRequest r;
      r.set_request_id("garbage-prefix");
      r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
      r.mutable_actor()->set_id("bauordnung");
      r.mutable_actor()->set_user("mueller");
      r.set_idempotency_key("k-prefix");
      r.mutable_claim()->set_ref(case_numbers_[0]);
      return r.SerializeAsString();
    }
    if (service == "notification") {
      lotse::v1::NotificationRequest r;
      r.set_request_id("garbage-prefix");
      r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
      r.mutable_actor()->set_id("bb-mitte");
      r.mutable_inbox()->set_ack(1);
      r.mutable_inbox()->set_max_messages(5);
      return r.SerializeAsString();
    }
    lotse::v1::AuditRequest r;  // audit changes nothing on request; a costly one then
    r.set_request_id("garbage-prefix");
    r.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
    r.mutable_actor()->set_id("admin");
    r.mutable_evaluation()->set_from("2026-01-01");
    r.mutable_evaluation()->set_to("2027-01-01");
    r.mutable_evaluation()->set_rebuild(true);
    return r.SerializeAsString();
  }

  std::string ValidFetch(const std::string& service) const {
    lotse::v1::FetchRequest fetch;
    fetch.set_stream(service);
    // Behind the head of intake's and routing's logs: answered at once. Notification's log is
    // empty (no e-mail configured), so its fetches are answered after the wait bound.
    fetch.set_after_seq(0);
    fetch.set_max_events(10);
    fetch.set_max_bytes(1 << 20);
    fetch.set_consumer("admin");  // the only name the admin key may fetch under
    fetch.set_fetch_id(42);
    return fetch.SerializeAsString();
  }

  LotseSet set_;
  bus::Context context_;  // for the test's own sockets
  std::vector<std::string> case_numbers_;
  Snapshot before_;
  int normal_answers_ = 0;
};

TEST_F(GarbageTest, EveryEndpointSurvivesGarbageAndNothingChanges) {
  const std::vector<std::string> garbage = RandomGarbage(20260302);

  // --- Command endpoints of all four services -------------------------------------------------
  for (const char* service : kServices) {
    SCOPED_TRACE(service);
    Dealer dealer(context_, Endpoint(CommandPort(service)), set_.Curve("admin", service));
    for (size_t i = 0; i < garbage.size(); ++i) {
      ExpectCommandAnswer(service, StrCat("garbage #", i), garbage[i], dealer.Call({garbage[i]}));
      // The same behind a REQ socket's empty delimiter.
      ExpectCommandAnswer(service, StrCat("garbage #", i, " after a delimiter"), garbage[i],
                          dealer.Call({"", garbage[i]}));
    }
    for (const std::string& prefix : Prefixes(ChangingRequest(service))) {
      ExpectCommandAnswer(service, StrCat("a ", prefix.size(), "-byte prefix of a request"), prefix,
                          dealer.Call({prefix}));
    }
    for (const auto& [what, bytes] : WrongTypes()) {
      ExpectCommandAnswer(service, what, bytes, dealer.Call({bytes}));
    }
    // Wrong multipart shapes: the runner answers each with INVALID_ARGUMENT. (ZeroMQ cannot send
    // a message of 0 frames; a connection that sends nothing stands in for it below.)
    const std::string valid = ChangingRequest(service);
    for (const Frames& shape : std::vector<Frames>{{"", ""},
                                                   {"a", "b"},
                                                   {"", "", ""},
                                                   {"", "a", "b"},
                                                   {"a", "b", "c"},
                                                   {valid, valid},
                                                   {"", valid, ""},
                                                   {"a", "", "c", "", "e"},
                                                   {"", "", "", "", ""},
                                                   {garbage[40], garbage[41], garbage[42]}}) {
      std::optional<Frames> reply = dealer.Call(shape);
      ExpectCommandAnswer(service, StrCat(shape.size(), " frames"), "\xff" /* never a request */,
                          reply);
    }
    // Over limits.max_message_bytes: libzmq drops the connection; nothing is answered.
    for (const Frames& big : std::vector<Frames>{{std::string(MaxMessageBytes() + 1, 'x')},
                                                 {"", std::string(2 * MaxMessageBytes(), '\x0a')},
                                                 {"a", std::string(MaxMessageBytes() + 1, 'b')}}) {
      Dealer once(context_, Endpoint(CommandPort(service)), set_.Curve("admin", service));
      const std::optional<Frames> answer = once.Call(big, absl::Milliseconds(150));
      EXPECT_FALSE(answer.has_value())
          << "a message over the size limit was answered: "
          << (answer.has_value() ? absl::CHexEscape(answer->back().substr(0, 200)) : "");
    }
    // Raw bytes that are not even ZMTP, and a connection that says nothing.
    for (size_t i = 0; i < garbage.size(); i += 7) {
      RawTcp(CommandPort(service), garbage[i], absl::Milliseconds(20));
    }
    RawTcp(CommandPort(service), "", absl::Milliseconds(20));
    // The endpoint still answers a well-formed request after all of it.
    ExpectCommandAnswer(service, "garbage after the storm", garbage[30],
                        Dealer(context_, Endpoint(CommandPort(service)), set_.Curve("admin", service)).Call({garbage[30]}));
  }

  // --- Event log endpoints (intake, routing, notification; audit produces no log) ------------
  for (const char* service : kProducers) {
    SCOPED_TRACE(StrCat(service, " log"));
    Dealer dealer(context_, Endpoint(LogPort(service)), set_.Curve("admin", service));
    for (size_t i = 0; i < garbage.size(); ++i) {
      ExpectFetchAnswer(service, StrCat("garbage #", i), {garbage[i]}, dealer.Call({garbage[i]}));
    }
    for (const std::string& prefix : Prefixes(ValidFetch(service))) {
      ExpectFetchAnswer(service, StrCat("a ", prefix.size(), "-byte prefix of a fetch"), {prefix},
                        dealer.Call({prefix}));
    }
    for (const auto& [what, bytes] : WrongTypes()) {
      ExpectFetchAnswer(service, what, {bytes}, dealer.Call({bytes}));
    }
    const std::string fetch = ValidFetch(service);
    for (const Frames& shape : std::vector<Frames>{{"", fetch},
                                                   {fetch, ""},
                                                   {fetch, fetch},
                                                   {"", "", ""},
                                                   {"a", "b", "c", "d", "e"},
                                                   {"", "", "", "", ""}}) {
      ExpectFetchAnswer(service, StrCat(shape.size(), " frames"), shape, dealer.Call(shape));
    }
    for (const Frames& big :
         std::vector<Frames>{{std::string(MaxMessageBytes() + 1, 'x')},
                             {fetch, std::string(2 * MaxMessageBytes(), 'y')}}) {
      Dealer once(context_, Endpoint(LogPort(service)), set_.Curve("admin", service));
      EXPECT_FALSE(once.Call(big, absl::Milliseconds(150)).has_value())
          << "a message over the size limit was answered";
    }
    // A fetch at the head is parked; its client goes away before the answer.
    lotse::v1::FetchRequest parked;
    parked.ParseFromString(fetch);
    parked.set_after_seq(1000000);
    EXPECT_TRUE(
        Dealer(context_, Endpoint(LogPort(service)), set_.Curve("admin", service)).SendAndForget({parked.SerializeAsString()}));
    for (size_t i = 0; i < garbage.size(); i += 7) {
      RawTcp(LogPort(service), garbage[i], absl::Milliseconds(20));
    }
    ExpectFetchAnswer(service, "a fetch after the storm", {fetch},
                      Dealer(context_, Endpoint(LogPort(service)), set_.Curve("admin", service)).Call({fetch}));
  }

  // --- Ops HTTP ports --------------------------------------------------------------------------
  const std::string big_header =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Garbage: " + std::string(1 << 20, 'a') + "\r\n\r\n";
  std::string many_headers = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 5000; ++i) {
    many_headers += StrCat("X-", i, ": ", i, "\r\n");
  }
  many_headers += "\r\n";
  const std::vector<std::string> http_garbage = {
      big_header,
      many_headers,
      "GET /" + std::string(1 << 20, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "GET /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
      "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
      "BREW /healthz HTCPCP/1.0\r\n\r\n",
      "GET /healthz HTTP/9.9\r\n\r\n",
      "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /metrics?%zz%00=%ff HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz\r\n\r\n",
      std::string("GET /\0\0\0 HTTP/1.1\r\n\r\n", 22),
      "\r\n\r\n\r\n",
      ""};
  for (int i = 0; i < config::kServiceCount; ++i) {
    SCOPED_TRACE(StrCat(kServices[i], " ops port"));
    for (const std::string& request : http_garbage) {
      RawTcp(OpsPort(i), request, absl::Milliseconds(200));
    }
    for (size_t g = 0; g < garbage.size(); g += 3) {
      RawTcp(OpsPort(i), garbage[g], absl::Milliseconds(50));
    }
    // A request that is well formed gets its normal answer right after.
    const std::string answer = RawTcp(OpsPort(i),
                                      "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                      "Connection: close\r\n\r\n",
                                      absl::Seconds(3), /*half_close=*/false);
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  }

  // --- Live taps -------------------------------------------------------------------------------
  // The tap's XPUB reads subscriptions and hands them to the service, which skips anything that
  // is not one: garbage topics from SUBs, raw messages from an XSUB (which may send anything),
  // long and oversized subscriptions, other socket types and raw TCP.
  // Long topics go over a hand-written ZMTP connection (ZmtpSubscribe): libzmq 4.3.4 keeps a
  // SUB's or XSUB's own subscriptions in a recursive trie that overflows the stack of this test
  // process when such a socket is closed with a topic of some 100 KB (the service's XPUB side
  // copes: checked below). So the test's own SUB and XSUB only get short topics.
  constexpr size_t kOwnTopicLimit = 1000;
  std::vector<bus::Socket> subscribers;  // kept connected until the end of the test
  for (int i = 0; i < config::kServiceCount; ++i) {
    SCOPED_TRACE(StrCat(kServices[i], " tap"));
    const std::string endpoint = Endpoint(TapPort(i));
    bus::SocketOptions options;
    options.linger_ms = 0;
    options.max_message_bytes = -1;
    options.curve = set_.Curve("ops", kServices[i]);
    absl::StatusOr<bus::Socket> sub = bus::Socket::Create(context_, zmq::socket_type::sub, options);
    ASSERT_TRUE(sub.ok() && sub->Connect(endpoint).ok());
    for (size_t g = 0; g < garbage.size(); g += 2) {
      if (garbage[g].size() <= kOwnTopicLimit) {
        sub->raw().set(zmq::sockopt::subscribe, garbage[g]);
      }
    }
    for (size_t g = 0; g < garbage.size(); g += 4) {
      if (garbage[g].size() <= kOwnTopicLimit) {
        sub->raw().set(zmq::sockopt::unsubscribe, garbage[g]);
      }
    }
    subscribers.push_back(*std::move(sub));
    absl::StatusOr<bus::Socket> xsub =
        bus::Socket::Create(context_, zmq::socket_type::xsub, options);
    ASSERT_TRUE(xsub.ok() && xsub->Connect(endpoint).ok());
    for (const std::string& g : garbage) {
      // An XSUB remembers what starts with 0x00 or 0x01 as an (un)subscription.
      if (g.size() <= kOwnTopicLimit || (g[0] != '\x00' && g[0] != '\x01')) {
        (void)xsub->Send({g});
      }
    }
    (void)xsub->Send({"a", "b", "c"});
    (void)xsub->Send({std::string(2 * MaxMessageBytes(), 'z')});  // over the limit: dropped
    subscribers.push_back(*std::move(xsub));
    for (zmq::socket_type type : {zmq::socket_type::dealer, zmq::socket_type::router,
                                  zmq::socket_type::pub, zmq::socket_type::push}) {
      absl::StatusOr<bus::Socket> wrong = bus::Socket::Create(context_, type, options);
      ASSERT_TRUE(wrong.ok() && wrong->Connect(endpoint).ok());
      (void)wrong->Send({garbage[33]});
      subscribers.push_back(*std::move(wrong));
    }
    for (size_t topic : {size_t{100000}, MaxMessageBytes() - 1, 2 * MaxMessageBytes()}) {
      RawTcp(TapPort(i), ZmtpSubscribe(std::string(topic, 'T')), absl::Milliseconds(100),
             /*half_close=*/false);
    }
    for (size_t g = 0; g < garbage.size(); g += 7) {
      RawTcp(TapPort(i), garbage[g], absl::Milliseconds(20));
    }
  }
  absl::SleepFor(absl::Milliseconds(300));  // let the taps take in what was sent
  RecordProperty("normal_answers_to_garbage", normal_answers_);
}

}  // namespace
}  // namespace lotse::test
