#include "common/service/limits.h"

#include <string>
#include <vector>

#include "common/format.h"
#include "common/service/errors.h"
#include "lotse/v1/options.pb.h"

namespace lotse::service {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status TooLong(const std::string& path, size_t bytes, size_t wall) {
  return InvalidField(path, StrCat(path, " is ", bytes, " bytes long; at most ", wall,
                                   " are accepted: shorten it"));
}

absl::Status Check(const Message& message, const std::string& prefix) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path = prefix.empty() ? field->name() : StrCat(prefix, ".", field->name());
    const auto& options = field->options();
    if (field->is_repeated()) {
      const int items = reflection->FieldSize(message, field);
      const int max_items = options.HasExtension(lotse::v1::max_items)
                                ? static_cast<int>(options.GetExtension(lotse::v1::max_items))
                                : kDefaultMaxItems;
      if (items > max_items) {
        return InvalidField(path, StrCat(path, " has ", items, " entries; at most ", max_items,
                                         " are accepted"));
      }
    }
    const size_t wall = options.HasExtension(lotse::v1::max_bytes)
                            ? options.GetExtension(lotse::v1::max_bytes)
                            : kDefaultMaxBytes;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      std::string scratch;
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          const std::string& value = reflection->GetRepeatedStringReference(message, field, i, &scratch);
          if (value.size() > wall) {
            return TooLong(path, value.size(), wall);
          }
        }
      } else if (const std::string& value = reflection->GetStringReference(message, field, &scratch);
                 value.size() > wall) {
        return TooLong(path, value.size(), wall);
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          if (absl::Status s = Check(reflection->GetRepeatedMessage(message, field, i), path);
              !s.ok()) {
            return s;
          }
        }
      } else if (absl::Status s = Check(reflection->GetMessage(message, field), path); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFieldLimits(const Message& request) { return Check(request, ""); }

}  // namespace lotse::service
