// libFuzzer target: bytes on both sides of the event log protocol (lotse.v1.FetchRequest to a
// LogServer, lotse.v1.FetchReply to a LogConsumer), over real ZeroMQ sockets on inproc://
// endpoints in this process. See tests/fuzz/README.md.
//
// Input layout: byte 0 steers the shape, the rest is the payload.
//   bits 0-1  the payload goes to the LogServer as 1..4 frames (split evenly); 1 = well formed
//   bits 2-3  the consumer's committed offset: 0, 1, 2 or 1000
//   bit  4    the consumer knows the producer's epoch (else 0: first contact)
//   bit  5    the payload reaches the consumer as two frames instead of one
// The same payload is both the FetchRequest and the FetchReply: seeds hold valid ones of each.
//
// Checks, beyond "no crash": the server answers every message exactly once with a FetchReply
// that echoes the fetch id and serves contiguous events after the asked offset, or refuses with
// an error; the consumer hands out only contiguous events after its offset, each with the seq
// it parsed with, and its offset moves to what was committed.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bus/event_log.h"
#include "common/bus/socket.h"
#include "common/format.h"
#include "common/service/errors.h"
#include "lotse/v1/log.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using lotse::StrCat;
using lotse::bus::Frames;
using lotse::fuzz::Fail;

constexpr uint64_t kEpoch = 0x5eed;
constexpr uint64_t kHead = 3;  // the served log holds seq 1..3
constexpr uint32_t kServerMaxEvents = 2;
constexpr absl::Duration kWait =
    absl::Seconds(2);  // inproc answers at once; this only bounds a bug

// The producer's log: kHead events of stream "intake".
const std::vector<std::string>& Log() {
  static const std::vector<std::string> log = [] {
    std::vector<std::string> out;
    for (uint64_t seq = 1; seq <= kHead; ++seq) {
      lotse::v1::Envelope e;
      e.set_stream("intake");
      e.set_seq(seq);
      e.set_epoch(kEpoch);
      e.set_event_id(StrCat("intake-5eed-", seq));
      e.set_referral_id(StrCat("r", seq));
      e.mutable_referral_submitted()->mutable_referral()->set_office("bb-mitte");
      out.push_back(e.SerializeAsString());
    }
    return out;
  }();
  return log;
}

template <typename T>
T OrFail(absl::StatusOr<T> value, std::string_view what) {
  if (!value.ok()) {
    Fail(what, value.status().ToString());
  }
  return *std::move(value);
}

void OrFail(const absl::Status& status, std::string_view what) {
  if (!status.ok()) {
    Fail(what, status.ToString());
  }
}

lotse::bus::SocketOptions Options() {
  lotse::bus::SocketOptions options;
  options.linger_ms = 0;
  return options;
}

// A LogServer on inproc and a DEALER connected to it, for the whole run: what the server keeps
// between fetches (the parked fetch, the known consumers' offsets) must stay bounded whatever
// it is sent (README, finding 3).
class ServerSide {
 public:
  explicit ServerSide(lotse::bus::Context& context) : context_(context) {}

  void Run(const Frames& frames) {
    if (!server_.has_value()) {
      Create();
    }
    OrFail(dealer_->Send(frames), "the DEALER cannot send");
    if (!OrFail(server_->socket().WaitReadable(kWait), "polling the server")) {
      Fail("the message did not reach the LogServer");
    }
    OrFail(server_->HandleReadable(), "LogServer::HandleReadable");
    server_->OnTimer();  // the wait bound is 0: a parked fetch is answered now
    std::optional<Frames> reply = Next();
    if (!reply.has_value()) {
      Fail("the LogServer did not answer");
    }
    Check(frames, *reply);
    if (std::optional<Frames> extra = Next(); extra.has_value()) {
      Fail("the LogServer answered one message twice");
    }
    if (server_->acknowledged().size() > 3) {
      Fail("the LogServer records offsets of consumers it does not know");
    }
  }

 private:
  void Create() {
    const std::string endpoint = "inproc://fuzz-log-server";
    lotse::bus::LogSource source;
    source.stream = "intake";
    source.epoch = kEpoch;
    source.head = [] { return kHead; };
    source.read = [](uint64_t after, size_t max_events, size_t max_bytes,
                     std::vector<std::string>* out) {
      size_t bytes = 0;
      for (uint64_t seq = after + 1; seq <= kHead && out->size() < max_events; ++seq) {
        const std::string& e = Log()[seq - 1];
        if (!out->empty() && bytes + e.size() > max_bytes) {
          break;
        }
        bytes += e.size();
        out->push_back(e);
      }
      return absl::OkStatus();
    };
    lotse::bus::LogServerOptions options;
    options.wait_bound = absl::ZeroDuration();
    options.max_events = kServerMaxEvents;
    options.known_consumers = {"routing", "notification", "audit"};
    server_.emplace(OrFail(
        lotse::bus::LogServer::Bind(context_, endpoint, Options(), std::move(source), options),
        "binding the LogServer"));
    dealer_.emplace(OrFail(
        lotse::bus::Socket::Create(context_, zmq::socket_type::dealer, Options()), "a DEALER"));
    OrFail(dealer_->Connect(endpoint), "connecting the DEALER");
  }

  std::optional<Frames> Next() {
    if (!OrFail(dealer_->WaitReadable(absl::ZeroDuration()), "polling the DEALER")) {
      return std::nullopt;
    }
    return OrFail(dealer_->Receive(), "receiving a fetch reply");
  }

  static void Check(const Frames& sent, const Frames& got) {
    lotse::v1::FetchReply reply;
    if (got.size() != 1 || !reply.ParseFromString(got[0])) {
      Fail("the LogServer's answer is not one FetchReply frame");
    }
    if (reply.stream() != "intake" || reply.epoch() != kEpoch || reply.head_seq() != kHead) {
      Fail("the FetchReply does not describe the served log", reply.ShortDebugString());
    }
    lotse::v1::FetchRequest request;
    if (sent.size() != 1 || !request.ParseFromString(sent[0])) {
      if (reply.error().code() != lotse::v1::ERROR_CODE_INVALID_ARGUMENT) {
        Fail("a malformed fetch was not refused", reply.ShortDebugString());
      }
      return;
    }
    (void)lotse::service::TakeProtobufLog();
    if (reply.fetch_id() != request.fetch_id()) {
      Fail("the FetchReply does not echo the fetch id", reply.ShortDebugString());
    }
    if (request.stream() != "intake") {
      if (reply.error().code() != lotse::v1::ERROR_CODE_NOT_FOUND) {
        Fail("a fetch for another stream was not refused", reply.ShortDebugString());
      }
      return;
    }
    if (reply.has_error()) {
      Fail("a well-formed fetch was refused", reply.ShortDebugString());
    }
    const size_t max_events = std::clamp<uint32_t>(request.max_events(), 1, kServerMaxEvents);
    if (static_cast<size_t>(reply.events_size()) > max_events) {
      Fail("the FetchReply holds more events than allowed", reply.ShortDebugString());
    }
    uint64_t expected = request.after_seq() + 1;
    for (const std::string& raw : reply.events()) {
      lotse::v1::Envelope e;
      if (!e.ParseFromString(raw) || e.seq() != expected++) {
        Fail("the FetchReply's events are not the contiguous ones after the offset",
             reply.ShortDebugString());
      }
    }
    if (request.after_seq() < kHead && reply.events().empty()) {
      Fail("a fetch behind the head got no events", reply.ShortDebugString());
    }
  }

  lotse::bus::Context& context_;
  std::optional<lotse::bus::LogServer> server_;  // before dealer_: destroyed after it
  std::optional<lotse::bus::Socket> dealer_;
};

// A ROUTER that plays the producer, and a fresh LogConsumer per input (a consumer's state
// depends on what it saw before; a fresh one keeps inputs independent).
class ConsumerSide {
 public:
  explicit ConsumerSide(lotse::bus::Context& context) : context_(context) {
    router_.emplace(OrFail(
        lotse::bus::Socket::Create(context_, zmq::socket_type::router, Options()), "a ROUTER"));
    OrFail(router_->Bind(kEndpoint), "binding the ROUTER");
  }

  void Run(uint8_t control, const std::string& payload) {
    static constexpr uint64_t kOffsets[] = {0, 1, 2, 1000};
    const uint64_t offset = kOffsets[(control >> 2) & 3];
    const uint64_t epoch = (control & 0x10) != 0 ? kEpoch : 0;
    lotse::bus::ConsumerOptions options;
    options.endpoint = kEndpoint;
    options.stream = "intake";
    options.consumer = "fuzz";
    lotse::bus::LogConsumer consumer(context_, options, offset, epoch);
    OrFail(consumer.Start(), "LogConsumer::Start");
    const Frames fetch = Receive("the consumer's first fetch");
    Frames reply = {fetch[0]};
    if ((control & 0x20) != 0) {
      reply.push_back(payload.substr(0, payload.size() / 2));
      reply.push_back(payload.substr(payload.size() / 2));
    } else {
      reply.push_back(payload);
    }
    OrFail(router_->Send(reply), "the ROUTER cannot answer");
    if (!OrFail(consumer.socket()->WaitReadable(kWait), "polling the consumer")) {
      Fail("the reply did not reach the consumer");
    }
    const std::vector<lotse::bus::Delivery> deliveries =
        OrFail(consumer.OnReadable(), "LogConsumer::OnReadable");
    (void)lotse::service::TakeProtobufLog();
    uint64_t expected = offset + 1;
    for (const lotse::bus::Delivery& d : deliveries) {
      if (d.seq != expected++ || (d.envelope.has_value() && d.envelope->seq() != d.seq)) {
        Fail("the consumer handed out events that are not contiguous after its offset",
             StrCat("offset ", offset, ", delivery seq ", d.seq));
      }
    }
    if (consumer.halted() && !deliveries.empty()) {
      Fail("a halted consumer handed out events");
    }
    if (!deliveries.empty()) {
      OrFail(consumer.Committed(deliveries.back().seq), "LogConsumer::Committed");
      if (consumer.offset() != deliveries.back().seq) {
        Fail("the consumer's offset is not what was committed");
      }
    } else {
      OrFail(consumer.OnTimer(), "LogConsumer::OnTimer");
    }
    // Whatever the consumer asked next is read off, so nothing piles up in the ROUTER.
    while (OrFail(router_->WaitReadable(absl::ZeroDuration()), "polling the ROUTER")) {
      (void)OrFail(router_->Receive(), "draining the ROUTER");
    }
  }

 private:
  static constexpr const char* kEndpoint = "inproc://fuzz-log-producer";

  Frames Receive(std::string_view what) {
    if (!OrFail(router_->WaitReadable(kWait), "polling the ROUTER")) {
      Fail(what, "did not arrive");
    }
    std::optional<Frames> frames = OrFail(router_->Receive(), "receiving at the ROUTER");
    if (!frames.has_value() || frames->size() != 2) {
      Fail(what, "is not [identity, FetchRequest]");
    }
    return *std::move(frames);
  }

  lotse::bus::Context& context_;
  std::optional<lotse::bus::Socket> router_;
};

struct Fixture {
  lotse::bus::Context context;  // first: outlives every socket
  ServerSide server{context};
  ConsumerSide consumer{context};
};

Fixture& TheFixture() {
  static Fixture fixture;
  return fixture;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  lotse::fuzz::InitProcess();
  TheFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const uint8_t control = data[0];
  const std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  Frames frames;
  const size_t parts = 1 + (control & 3);
  for (size_t i = 0; i < parts; ++i) {
    const size_t begin = payload.size() * i / parts;
    const size_t end = payload.size() * (i + 1) / parts;
    frames.push_back(payload.substr(begin, end - begin));
  }
  Fixture& fixture = TheFixture();
  fixture.server.Run(frames);
  fixture.consumer.Run(control, payload);
  return 0;
}
