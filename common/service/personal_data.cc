#include "common/service/personal_data.h"

#include <vector>

#include "lotse/v1/options.pb.h"

namespace lotse::service {

void KeepFlowMetadataOnly(google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->options().GetExtension(lotse::v1::personal)) {
      reflection->ClearField(&message, field);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          KeepFlowMetadataOnly(*reflection->MutableRepeatedMessage(&message, field, i));
        }
      } else {
        KeepFlowMetadataOnly(*reflection->MutableMessage(&message, field));
      }
    }
  }
}

}  // namespace lotse::service
