#include "common/bus/event_log.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace lotse::bus {
namespace {

// An in-memory outbox the test can write to, with the option of leaving a hole in it.
struct FakeOutbox {
  std::map<uint64_t, std::string> events;
  uint64_t head = 0;
  uint64_t replay = 0;  // also send this many events at or below the requested offset
  uint64_t first = 0;   // the oldest event still held (trimmed below it); 0: all

  void Append(uint64_t seq, uint64_t epoch) {
    lotse::v1::Envelope e;
    e.set_stream("intake");
    e.set_seq(seq);
    e.set_epoch(epoch);
    e.set_referral_id("r" + std::to_string(seq));
    events[seq] = e.SerializeAsString();
    head = std::max(head, seq);
  }
};

class EventLogTest : public ::testing::Test {
 protected:
  void StartServer(uint64_t epoch, std::set<std::string, std::less<>> known = {"routing"}) {
    LogSource source;
    source.stream = "intake";
    source.epoch = epoch;
    source.head = [this] { return outbox_.head; };
    source.first = [this] { return outbox_.first; };
    source.read = [this](uint64_t after, size_t max_events, size_t, std::vector<std::string>* out) {
      for (auto it = outbox_.events.upper_bound(after > outbox_.replay ? after - outbox_.replay : 0);
           it != outbox_.events.end() && out->size() < max_events; ++it) {
        out->push_back(it->second);
      }
      return absl::OkStatus();
    };
    LogServerOptions options;
    options.wait_bound = absl::Milliseconds(100);
    options.known_consumers = std::move(known);
    absl::StatusOr<LogServer> server =
        LogServer::Bind(context_, endpoint_, SocketOptions{}, std::move(source), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_.emplace(std::move(*server));
  }

  std::unique_ptr<LogConsumer> StartConsumer(uint64_t offset, uint64_t epoch,
                                             const std::string& name = "routing") {
    ConsumerOptions options;
    options.endpoint = endpoint_;
    options.stream = "intake";
    options.consumer = name;
    options.wait_bound = absl::Milliseconds(100);
    options.reply_timeout = absl::Milliseconds(300);
    auto consumer = std::make_unique<LogConsumer>(context_, options, offset, epoch);
    EXPECT_TRUE(consumer->Start().ok());
    return consumer;
  }

  // Runs both sides until `want` events were delivered (and committed) or `deadline` passes.
  std::vector<uint64_t> Pump(LogConsumer& consumer, size_t want,
                             absl::Duration deadline = absl::Seconds(2)) {
    std::vector<uint64_t> seqs;
    const absl::Time end = absl::Now() + deadline;
    while (absl::Now() < end && seqs.size() < want && !consumer.halted()) {
      EXPECT_TRUE(server_->HandleReadable().ok());
      server_->OnCommitted();
      server_->OnTimer();
      absl::StatusOr<std::vector<Delivery>> got = consumer.OnReadable();
      EXPECT_TRUE(got.ok()) << got.status();
      if (got.ok() && !got->empty()) {
        for (const Delivery& d : *got) {
          EXPECT_TRUE(d.envelope.has_value());
          seqs.push_back(d.seq);
        }
        EXPECT_TRUE(consumer.Committed(got->back().seq).ok());
      }
      EXPECT_TRUE(consumer.OnTimer().ok());
      absl::SleepFor(absl::Milliseconds(2));
    }
    return seqs;
  }

  Context context_;
  std::string endpoint_ = "inproc://log-test";
  FakeOutbox outbox_;
  std::optional<LogServer> server_;
};

TEST_F(EventLogTest, DeliversEventsInOrderAndResumesAfterTheOffset) {
  StartServer(9);
  for (uint64_t s = 1; s <= 5; ++s) {
    outbox_.Append(s, 9);
  }
  auto consumer = StartConsumer(/*offset=*/2, /*epoch=*/9);
  EXPECT_EQ(Pump(*consumer, 3), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(consumer->offset(), 5u);
  EXPECT_EQ(consumer->head(), 5u);
}

// Reads until the consumer hands out a batch or a second passes; the server answers meanwhile.
std::vector<uint64_t> NextBatch(LogServer& server, LogConsumer& consumer, bool serve = true) {
  const absl::Time end = absl::Now() + absl::Seconds(1);
  while (absl::Now() < end) {
    if (serve) {
      EXPECT_TRUE(server.HandleReadable().ok());
    }
    absl::StatusOr<std::vector<Delivery>> got = consumer.OnReadable();
    EXPECT_TRUE(got.ok()) << got.status();
    if (got.ok() && !got->empty()) {
      std::vector<uint64_t> seqs;
      for (const Delivery& d : *got) {
        seqs.push_back(d.seq);
      }
      return seqs;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  return {};
}

// Serves fetches until an answer waits unread in the consumer's socket (false after a second).
bool ServeUntilAnAnswerWaits(LogServer& server, LogConsumer& consumer) {
  const absl::Time end = absl::Now() + absl::Seconds(1);
  while (absl::Now() < end) {
    EXPECT_TRUE(server.HandleReadable().ok());
    if ((consumer.socket()->raw().get(zmq::sockopt::events) & ZMQ_POLLIN) != 0) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  return false;
}

TEST_F(EventLogTest, AsksForTheNextEventsWhileTheBatchIsCommitted) {
  StartServer(9);
  for (uint64_t s = 1; s <= 3; ++s) {
    outbox_.Append(s, 9);
  }
  auto consumer = StartConsumer(/*offset=*/0, /*epoch=*/9);
  ASSERT_EQ(NextBatch(*server_, *consumer), (std::vector<uint64_t>{1, 2, 3}));
  outbox_.Append(4, 9);
  outbox_.Append(5, 9);
  // The next fetch arrives before the batch is committed and is answered at once; it
  // acknowledges only what is committed.
  ASSERT_TRUE(ServeUntilAnAnswerWaits(*server_, *consumer)) << "no prefetch was answered";
  EXPECT_EQ(server_->acknowledged().at("routing"), 0u);
  EXPECT_TRUE(consumer->OnReadable()->empty());  // nothing new while the batch is out
  ASSERT_TRUE(consumer->Committed(3).ok());
  EXPECT_EQ(NextBatch(*server_, *consumer, /*serve=*/false), (std::vector<uint64_t>{4, 5}));
  const absl::Time end = absl::Now() + absl::Seconds(1);  // the fetch after 5 acknowledges 3
  while (server_->acknowledged().at("routing") != 3 && absl::Now() < end) {
    ASSERT_TRUE(server_->HandleReadable().ok());
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(server_->acknowledged().at("routing"), 3u);
}

TEST_F(EventLogTest, ALongCommitDoesNotLookLikeASilentProducer) {
  StartServer(9);
  outbox_.Append(1, 9);
  auto consumer = StartConsumer(/*offset=*/0, /*epoch=*/9);  // wait 100 ms + timeout 300 ms
  ASSERT_EQ(NextBatch(*server_, *consumer), (std::vector<uint64_t>{1}));
  outbox_.Append(2, 9);
  ASSERT_TRUE(ServeUntilAnAnswerWaits(*server_, *consumer));  // event 2, to the prefetch
  absl::SleepFor(absl::Milliseconds(600));  // a commit slower than wait + timeout
  ASSERT_TRUE(consumer->Committed(1).ok());
  ASSERT_TRUE(consumer->OnTimer().ok());  // must not reconnect and drop the waiting answer
  EXPECT_EQ(NextBatch(*server_, *consumer, /*serve=*/false), (std::vector<uint64_t>{2}));
}

TEST_F(EventLogTest, AnAbandonedBatchIsFetchedAgainNotWhatFollowsIt) {
  StartServer(9);
  for (uint64_t s = 1; s <= 3; ++s) {
    outbox_.Append(s, 9);
  }
  auto consumer = StartConsumer(/*offset=*/0, /*epoch=*/9);
  ASSERT_EQ(NextBatch(*server_, *consumer), (std::vector<uint64_t>{1, 2, 3}));
  outbox_.Append(4, 9);
  ASSERT_TRUE(ServeUntilAnAnswerWaits(*server_, *consumer));  // event 4, to the prefetch
  ASSERT_TRUE(consumer->Abandon().ok());
  EXPECT_EQ(Pump(*consumer, 4), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(consumer->offset(), 4u);
}

TEST_F(EventLogTest, DropsDuplicatesAtOrBelowTheOffset) {
  StartServer(9);
  for (uint64_t s = 1; s <= 4; ++s) {
    outbox_.Append(s, 9);
  }
  outbox_.replay = 2;  // a producer that re-sends seq 2 and 3 with every answer
  auto consumer = StartConsumer(/*offset=*/3, /*epoch=*/9);
  EXPECT_EQ(Pump(*consumer, 1), (std::vector<uint64_t>{4}));
  EXPECT_EQ(consumer->offset(), 4u);
}

TEST_F(EventLogTest, StopsAtAGapAndFetchesAgain) {
  StartServer(9);
  outbox_.Append(1, 9);
  outbox_.Append(2, 9);
  outbox_.Append(4, 9);  // 3 is missing for now
  auto consumer = StartConsumer(0, 9);
  EXPECT_EQ(Pump(*consumer, 3, absl::Milliseconds(400)), (std::vector<uint64_t>{1, 2}));
  outbox_.Append(3, 9);
  EXPECT_EQ(Pump(*consumer, 2), (std::vector<uint64_t>{3, 4}));
}

TEST_F(EventLogTest, HaltsLoudlyWhenTheEpochChanges) {
  StartServer(10);
  outbox_.Append(1, 10);
  auto consumer = StartConsumer(0, /*epoch=*/9);
  EXPECT_TRUE(Pump(*consumer, 1, absl::Milliseconds(500)).empty());
  EXPECT_TRUE(consumer->halted());
  EXPECT_NE(consumer->halt_reason().find("epoch"), std::string::npos);
  EXPECT_EQ(consumer->offset(), 0u);
}

TEST_F(EventLogTest, HaltsWhenTheProducerHeadIsBelowTheOffset) {
  StartServer(9);
  outbox_.Append(1, 9);
  auto consumer = StartConsumer(/*offset=*/5, 9);
  EXPECT_TRUE(Pump(*consumer, 1, absl::Milliseconds(500)).empty());
  EXPECT_TRUE(consumer->halted());
  EXPECT_NE(consumer->halt_reason().find("below"), std::string::npos);
}

TEST_F(EventLogTest, HaltsWhenTheProducerServesAnotherStream) {
  StartServer(9);  // serves stream "intake"
  outbox_.Append(1, 9);
  ConsumerOptions options;
  options.endpoint = endpoint_;
  options.stream = "routing";  // a misconfigured consumer
  options.consumer = "audit";
  options.wait_bound = absl::Milliseconds(100);
  options.reply_timeout = absl::Milliseconds(300);
  LogConsumer consumer(context_, options, 0, 0);
  ASSERT_TRUE(consumer.Start().ok());
  EXPECT_TRUE(Pump(consumer, 1, absl::Milliseconds(500)).empty());
  EXPECT_TRUE(consumer.halted());
  EXPECT_NE(consumer.halt_reason().find("serves stream 'intake'"), std::string::npos)
      << consumer.halt_reason();
}

TEST_F(EventLogTest, AdoptsTheEpochOnFirstContact) {
  StartServer(42);
  outbox_.Append(1, 42);
  auto consumer = StartConsumer(0, 0);
  EXPECT_EQ(Pump(*consumer, 1), (std::vector<uint64_t>{1}));
  EXPECT_EQ(consumer->epoch(), 42u);
}

TEST_F(EventLogTest, ParkedFetchIsAnsweredWhenEventsArrive) {
  StartServer(9);
  auto consumer = StartConsumer(0, 9);
  EXPECT_TRUE(Pump(*consumer, 1, absl::Milliseconds(250)).empty());  // heartbeats only
  EXPECT_FALSE(consumer->halted());
  outbox_.Append(1, 9);
  EXPECT_EQ(Pump(*consumer, 1), (std::vector<uint64_t>{1}));
}

// Any client may send any consumer name; only the configured consumers' offsets are kept, so
// the producer's memory and its metrics do not grow with the names strangers send.
TEST_F(EventLogTest, RecordsOnlyKnownConsumersButServesEveryone) {
  StartServer(9, {"routing"});
  outbox_.Append(1, 9);
  auto known = StartConsumer(0, 9, "routing");
  auto stranger = StartConsumer(0, 9, "someone-else");
  EXPECT_EQ(Pump(*known, 1), (std::vector<uint64_t>{1}));
  EXPECT_EQ(Pump(*stranger, 1), (std::vector<uint64_t>{1}));
  Pump(*known, 1, absl::Milliseconds(50));  // its next fetch acknowledges seq 1
  EXPECT_EQ(server_->acknowledged().size(), 1u);
  EXPECT_TRUE(server_->acknowledged().contains("routing"));
}

// A consumer whose offset lies below what the producer trimmed would miss events: it halts
// with a message that says so, instead of skipping them or fetching the gap again forever.
TEST_F(EventLogTest, HaltsWhenTheEventsItNeedsWereTrimmed) {
  StartServer(9);
  for (uint64_t s = 5; s <= 7; ++s) {
    outbox_.Append(s, 9);
  }
  outbox_.first = 5;
  auto behind = StartConsumer(/*offset=*/2, 9);
  EXPECT_TRUE(Pump(*behind, 1, absl::Milliseconds(500)).empty());
  EXPECT_TRUE(behind->halted());
  EXPECT_NE(behind->halt_reason().find("trimmed"), std::string::npos) << behind->halt_reason();
  EXPECT_NE(behind->halt_reason().find("3..4"), std::string::npos) << behind->halt_reason();
  EXPECT_EQ(behind->offset(), 2u);
  // One at the trim point gets everything that is left.
  auto level = StartConsumer(/*offset=*/4, 9, "audit");
  EXPECT_EQ(Pump(*level, 3), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_FALSE(level->halted());
}

// The trim point rests on acknowledged(): it must be the consumer's committed offset, not the
// end of the batch it asked for ahead while committing.
TEST_F(EventLogTest, AcknowledgesOnlyTheCommittedOffset) {
  StartServer(9, {"routing"});
  for (uint64_t s = 1; s <= 3; ++s) {
    outbox_.Append(s, 9);
  }
  auto consumer = StartConsumer(0, 9);
  absl::StatusOr<std::vector<Delivery>> got;
  const absl::Time end = absl::Now() + absl::Seconds(2);
  while (absl::Now() < end) {
    ASSERT_TRUE(server_->HandleReadable().ok());
    got = consumer->OnReadable();
    ASSERT_TRUE(got.ok());
    if (!got->empty()) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_EQ(got->size(), 3u);
  // The prefetch (after seq 3) reaches the producer while the batch is not committed yet.
  absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(server_->HandleReadable().ok());
  EXPECT_EQ(server_->acknowledged().at("routing"), 0u);
  ASSERT_TRUE(consumer->Committed(3).ok());
  Pump(*consumer, 1, absl::Milliseconds(300));  // heartbeats carry the committed offset
  EXPECT_EQ(server_->acknowledged().at("routing"), 3u);
}

// A consumer of another epoch has an offset in another log: it acknowledges nothing of ours.
TEST_F(EventLogTest, AConsumerOfAnotherEpochAcknowledgesNothing) {
  StartServer(10, {"routing"});
  outbox_.Append(1, 10);
  outbox_.Append(2, 10);
  auto consumer = StartConsumer(/*offset=*/2, /*epoch=*/9);
  Pump(*consumer, 1, absl::Milliseconds(300));
  EXPECT_TRUE(consumer->halted());
  EXPECT_EQ(server_->acknowledged().at("routing"), 0u);
}

TEST_F(EventLogTest, AnswersGarbageWithAStructuredError) {
  StartServer(9);
  absl::StatusOr<Socket> dealer = Socket::Create(context_, zmq::socket_type::dealer, {});
  ASSERT_TRUE(dealer.ok());
  ASSERT_TRUE(dealer->Connect(endpoint_).ok());
  ASSERT_TRUE(dealer->Send({std::string("\xff\xfe garbage", 10)}).ok());
  std::optional<Frames> reply;
  const absl::Time end = absl::Now() + absl::Seconds(2);
  while (!reply.has_value() && absl::Now() < end) {
    ASSERT_TRUE(server_->HandleReadable().ok());
    if (dealer->WaitReadable(absl::Milliseconds(10)).value()) {
      reply = dealer->Receive().value();
    }
  }
  ASSERT_TRUE(reply.has_value());
  lotse::v1::FetchReply parsed;
  ASSERT_TRUE(parsed.ParseFromString(reply->front()));
  EXPECT_EQ(parsed.error().code(), lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(parsed.events_size(), 0);
}

}  // namespace
}  // namespace lotse::bus

namespace lotse::bus {
namespace {

// A fetch answer larger than the consumer's max message size is dropped by libzmq without a
// word, and the consumer would stall at every reply timeout. The server caps its answers
// below the socket limit, whatever max_bytes it was given.
TEST(EventLogLimitsTest, AnswersFitTheMaxMessageSizeWhateverMaxBytesSays) {
  Context context;
  std::map<uint64_t, std::string> events;
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    lotse::v1::Envelope e;
    e.set_stream("intake");
    e.set_seq(seq);
    e.set_epoch(7);
    e.set_referral_id(std::string(20000, 'x'));  // 200 events of 20 kB: 4 MB in all
    events[seq] = e.SerializeAsString();
  }
  LogSource source;
  source.stream = "intake";
  source.epoch = 7;
  source.head = [] { return uint64_t{200}; };
  source.read = [&](uint64_t after, size_t max_events, size_t max_bytes,
                    std::vector<std::string>* out) {
    size_t bytes = 0;
    for (auto it = events.upper_bound(after); it != events.end() && out->size() < max_events;
         ++it) {
      if (!out->empty() && bytes + it->second.size() > max_bytes) {
        break;
      }
      bytes += it->second.size();
      out->push_back(it->second);
    }
    return absl::OkStatus();
  };
  LogServerOptions server_options;
  server_options.max_bytes = 16 << 20;  // far above the 1 MiB message limit
  SocketOptions socket_options;          // max_message_bytes 1 MiB
  absl::StatusOr<LogServer> server = LogServer::Bind(context, "tcp://127.0.0.1:*", socket_options,
                                                     std::move(source), server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  ConsumerOptions options;
  options.endpoint = server->socket().raw().get(zmq::sockopt::last_endpoint);
  options.stream = "intake";
  options.consumer = "routing";
  options.max_bytes = 16 << 20;
  options.wait_bound = absl::Milliseconds(100);
  options.reply_timeout = absl::Seconds(5);  // a dropped answer would show as a long stall
  LogConsumer consumer(context, options, 0, 7);
  ASSERT_TRUE(consumer.Start().ok());
  uint64_t last = 0;
  const absl::Time end = absl::Now() + absl::Seconds(3);
  while (absl::Now() < end && last < 200) {
    ASSERT_TRUE(server->HandleReadable().ok());
    server->OnTimer();
    absl::StatusOr<std::vector<Delivery>> got = consumer.OnReadable();
    ASSERT_TRUE(got.ok()) << got.status();
    if (!got->empty()) {
      last = got->back().seq;
      ASSERT_TRUE(consumer.Committed(last).ok());
    }
    ASSERT_TRUE(consumer.OnTimer().ok());
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(last, 200u) << "the consumer stalled: an answer above the message limit was dropped";
}

}  // namespace
}  // namespace lotse::bus
