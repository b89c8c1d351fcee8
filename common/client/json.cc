#include "common/client/json.h"

#include "common/format.h"
#include "google/protobuf/util/json_util.h"

namespace lotse::client {

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InternalError(
        StrCat("cannot convert ", message.GetTypeName(), " to JSON: ", status.ToString()));
  }
  return out;
}

std::string ErrorJson(const lotse::v1::Error& error) {
  absl::StatusOr<std::string> json = ToJson(error);
  if (!json.ok()) {
    // Cannot happen for this message; keep the document valid anyway.
    return R"({"error":{"code":"ERROR_CODE_INTERNAL","message":"","field":""}})";
  }
  return StrCat(R"({"error":)", *json, "}");
}

}  // namespace lotse::client
