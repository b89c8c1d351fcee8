#include "services/web/api_schema.h"

#include <set>

#include "common/format.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"
#include "services/web/api_support.h"

namespace lotse::web::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

std::string Ref(const std::string& full_name) {
  return StrCat(R"({"$ref":)", JsonString(StrCat("#/components/schemas/", SchemaName(full_name))),
                "}");
}

// The schema of one value of `field` (an item, for a repeated field); queues the message or
// enum it names.
std::string ValueSchema(const FieldDescriptor* field, std::vector<const Descriptor*>& messages,
                        std::vector<const EnumDescriptor*>& enums) {
  switch (field->type()) {
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return R"({"type":"integer","format":"int32"})";
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return R"({"type":"integer","minimum":0,"maximum":4294967295})";
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      return R"({"type":"string","format":"int64","pattern":"^-?[0-9]+$"})";
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return R"({"type":"string","format":"uint64","pattern":"^[0-9]+$"})";
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT:
      return R"({"type":"number"})";
    case FieldDescriptor::TYPE_BOOL:
      return R"({"type":"boolean"})";
    case FieldDescriptor::TYPE_STRING:
      return R"({"type":"string"})";
    case FieldDescriptor::TYPE_BYTES:
      return R"({"type":"string","contentEncoding":"base64"})";
    case FieldDescriptor::TYPE_ENUM:
      enums.push_back(field->enum_type());
      return Ref(field->enum_type()->full_name());
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      messages.push_back(field->message_type());
      return Ref(field->message_type()->full_name());
  }
  return "{}";
}

std::string MessageSchema(const Descriptor* message, std::vector<const Descriptor*>& messages,
                          std::vector<const EnumDescriptor*>& enums) {
  std::string properties;
  std::string required;
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    std::string schema;
    if (field->is_map()) {
      schema = StrCat(R"({"type":"object","additionalProperties":)",
                      ValueSchema(field->message_type()->map_value(), messages, enums), "}");
    } else if (field->is_repeated()) {
      schema = StrCat(R"({"type":"array","items":)", ValueSchema(field, messages, enums), "}");
    } else {
      schema = ValueSchema(field, messages, enums);
    }
    properties += StrCat(properties.empty() ? "" : ",", JsonString(field->name()), ":", schema);
    // ToJson prints every field but those with presence (messages, oneof members, `optional`)
    // that are not set.
    if (!field->has_presence()) {
      required += StrCat(required.empty() ? "" : ",", JsonString(field->name()));
    }
  }
  std::string out = StrCat(R"({"type":"object","x-proto":)", JsonString(message->full_name()),
                           R"(,"properties":{)", properties, "}");
  if (!required.empty()) {
    out += StrCat(R"(,"required":[)", required, "]");
  }
  return out + "}";
}

std::string EnumSchema(const EnumDescriptor* type) {
  std::string names;
  for (int i = 0; i < type->value_count(); ++i) {
    names += StrCat(i > 0 ? "," : "", JsonString(type->value(i)->name()));
  }
  return StrCat(R"({"type":"string","x-proto":)", JsonString(type->full_name()), R"(,"enum":[)",
                names, "]}");
}

}  // namespace

std::vector<const Descriptor*> ReplyMessages() {
  return {
      lotse::v1::SubmitReferralReply::descriptor(),
      lotse::v1::ReferralState::descriptor(),
      lotse::v1::Receipt::descriptor(),
      lotse::v1::AttachReply::descriptor(),
      lotse::v1::AttachmentChunk::descriptor(),
      lotse::v1::WorklistReply::descriptor(),
      lotse::v1::DirectoryReply::descriptor(),
      lotse::v1::CompanyReply::descriptor(),
      lotse::v1::SimilarReply::descriptor(),
      lotse::v1::InboxReply::descriptor(),
      lotse::v1::HistoryReply::descriptor(),
      lotse::v1::EvaluationReply::descriptor(),
  };
}

std::string SchemaName(const std::string& full_name) {
  constexpr std::string_view kPackage = "lotse.v1.";
  return full_name.starts_with(kPackage) ? full_name.substr(kPackage.size()) : full_name;
}

std::map<std::string, std::string> ProtoSchemas(const std::vector<const Descriptor*>& roots) {
  std::map<std::string, std::string> out;
  std::vector<const Descriptor*> messages = roots;
  std::vector<const EnumDescriptor*> enums;
  std::set<const Descriptor*> done;
  while (!messages.empty()) {
    const Descriptor* message = messages.back();
    messages.pop_back();
    if (!done.insert(message).second) {
      continue;
    }
    out[SchemaName(message->full_name())] = MessageSchema(message, messages, enums);
  }
  for (const EnumDescriptor* type : enums) {
    out[SchemaName(type->full_name())] = EnumSchema(type);
  }
  return out;
}

}  // namespace lotse::web::api
