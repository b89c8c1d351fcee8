// lotse-compat: what tests/compat/make_fixture.sh needs beside the lotse client.
//   lotse-compat events DATA_DIR OUT_DIR
// writes the event stream of every producing service (intake, routing, notification) from its
// stopped store under DATA_DIR to OUT_DIR/<service>.events (event_stream.h), read-only, and
// lists them: seq, kind, case number.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "common/format.h"
#include "lotse/v1/events.pb.h"
#include "tests/compat/event_stream.h"

namespace lotse::compat {
namespace {

int Events(const std::string& data_dir, const std::string& out_dir) {
  for (const std::string service : {"intake", "routing", "notification", "audit"}) {
    absl::StatusOr<std::vector<std::string>> events = ReadOutbox(StrCat(data_dir, "/", service));
    if (!events.ok()) {
      std::fprintf(stderr, "lotse-compat: %s\n", events.status().ToString().c_str());
      return 1;
    }
    std::vector<std::string> lines;
    for (const std::string& bytes : *events) {
      lotse::v1::Envelope envelope;
      if (!envelope.ParseFromString(bytes)) {
        std::fprintf(stderr, "lotse-compat: %s: an event does not parse\n", service.c_str());
        return 1;
      }
      const google::protobuf::FieldDescriptor* payload =
          envelope.GetReflection()->GetOneofFieldDescriptor(
              envelope, envelope.GetDescriptor()->FindOneofByName("payload"));
      lines.push_back(StrCat("  ", envelope.seq(), " ",
                             payload == nullptr ? "(none)" : payload->name(), " ",
                             envelope.case_number().empty() ? "-" : envelope.case_number()));
    }
    if (service == "audit") {  // consumes only
      if (!events->empty()) {
        std::fprintf(stderr, "lotse-compat: audit's outbox is not empty\n");
        return 1;
      }
      continue;
    }
    const std::string path = StrCat(out_dir, "/", service, ".events");
    if (absl::Status s = WriteEventStream(path, *events); !s.ok()) {
      std::fprintf(stderr, "lotse-compat: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("%s: %zu events -> %s\n", service.c_str(), events->size(), path.c_str());
    for (const std::string& line : lines) {
      std::printf("%s\n", line.c_str());
    }
  }
  return 0;
}

}  // namespace
}  // namespace lotse::compat

int main(int argc, char** argv) {
  try {
    if (argc == 4 && std::string(argv[1]) == "events") {
      return lotse::compat::Events(argv[2], argv[3]);
    }
    std::fprintf(stderr, "usage: lotse-compat events DATA_DIR OUT_DIR\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotse-compat: %s\n", e.what());
    return 1;
  }
}
