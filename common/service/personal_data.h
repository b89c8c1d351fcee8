#pragma once

#include "google/protobuf/message.h"

namespace lotse::service {

// What ops may see is flow metadata only: ids, case numbers, topics, departments, states,
// times. Clears every field marked `(lotse.v1.personal)` in the proto files (DESIGN.md
// "Personal data": the contact person, the subject and texts of question, forward reason,
// consultation, contribution, answer and feedback comment, e-mail addresses) from `message` and
// every message inside it: a referral's state, an event, a worklist item.
void KeepFlowMetadataOnly(google::protobuf::Message& message);

}  // namespace lotse::service
