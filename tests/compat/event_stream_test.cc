// The committed event streams of fixture-v1 (README.md): every event a service wrote to its
// outbox then still parses with today's protos, carries no field today's protos do not know,
// serializes back to the very same bytes, and is the event it was (stream, seq, kind).
#include "tests/compat/event_stream.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "common/format.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lotse/v1/events.pb.h"
#include "tests/support/temp_dir.h"

namespace lotse::compat {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The fields (by path) of `message` and its sub-messages that today's protos do not know.
void CollectUnknown(const Message& message, const std::string& path,
                    std::vector<std::string>* out) {
  const Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) {
    out->push_back(path.empty() ? "(envelope)" : path);
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    const std::string at = path.empty() ? field->name() : path + "." + field->name();
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        CollectUnknown(reflection->GetRepeatedMessage(message, field, i), at, out);
      }
    } else {
      CollectUnknown(reflection->GetMessage(message, field), at, out);
    }
  }
}

std::string PayloadName(const lotse::v1::Envelope& envelope) {
  const FieldDescriptor* payload = envelope.GetReflection()->GetOneofFieldDescriptor(
      envelope, lotse::v1::Envelope::descriptor()->FindOneofByName("payload"));
  return payload == nullptr ? "" : payload->name();
}

struct Stream {
  std::string name;
  // The kinds of its events in seq order, as fixture-v1 has them (made.txt).
  std::vector<std::string> kinds;
};

class EventStreamTest : public ::testing::TestWithParam<Stream> {};

TEST_P(EventStreamTest, EveryEventParsesAndSerializesToTheSameBytes) {
  const Stream& stream = GetParam();
  absl::StatusOr<std::vector<std::string>> events =
      ReadEventStream(StrCat(LOTSE_COMPAT_FIXTURE, "/events/", stream.name, ".events"));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), stream.kinds.size());
  uint64_t epoch = 0;
  for (size_t i = 0; i < events->size(); ++i) {
    const std::string& bytes = (*events)[i];
    SCOPED_TRACE(StrCat(stream.name, " event ", i + 1));
    lotse::v1::Envelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(bytes));
    std::vector<std::string> unknown;
    CollectUnknown(envelope, "", &unknown);
    EXPECT_TRUE(unknown.empty()) << "fields today's protos do not know, in: " << unknown.front();
    EXPECT_EQ(envelope.SerializeAsString(), bytes) << envelope.DebugString();
    lotse::v1::Envelope again;
    ASSERT_TRUE(again.ParseFromString(envelope.SerializeAsString()));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(envelope, again));

    EXPECT_EQ(envelope.stream(), stream.name);
    EXPECT_EQ(envelope.seq(), i + 1);
    EXPECT_EQ(PayloadName(envelope), stream.kinds[i]);
    EXPECT_NE(envelope.epoch(), 0u);
    if (i == 0) {
      epoch = envelope.epoch();
    }
    EXPECT_EQ(envelope.epoch(), epoch);
    EXPECT_FALSE(envelope.event_id().empty());
    // Service time of the fixture: Monday 2 March 2026, 08:00-15:00 in Berlin (07:00-14:00 UTC).
    EXPECT_GE(envelope.occurred_at_us(), int64_t{1772434800} * 1000000);
    EXPECT_LE(envelope.occurred_at_us(), int64_t{1772460000} * 1000000);
  }
}

TEST(EventStreamFileTest, ATruncatedRecordIsDataLoss) {
  test::TempDir dir;
  const std::string path = dir.Join("cut.events");
  ASSERT_TRUE(WriteEventStream(path, {"abc", "defgh"}).ok());
  absl::StatusOr<std::vector<std::string>> whole = ReadEventStream(path);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(*whole, (std::vector<std::string>{"abc", "defgh"}));
  ASSERT_EQ(truncate(path.c_str(), 8), 0);
  EXPECT_EQ(ReadEventStream(path).status().code(), absl::StatusCode::kDataLoss);
}

INSTANTIATE_TEST_SUITE_P(
    FixtureV1, EventStreamTest,
    // fixture-v1's streams as make_fixture.sh listed them (made.txt, README.md's timeline); the
    // notification stream is 25 mails delivered.
    ::testing::Values(Stream{"intake",
                             {"referral_submitted", "attachment_added", "referral_submitted",
                              "referral_submitted", "feedback_submitted",
                              "company_feedback_submitted"}},
                      Stream{"routing",
                             {"referral_routed", "referral_routed", "referral_routed", "claimed",
                              "forwarded", "consultation_opened", "contribution_added", "escalated",
                              "escalated", "answered", "claimed", "answered", "claimed", "closed"}},
                      Stream{"notification", std::vector<std::string>(25, "delivered")}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lotse::compat
