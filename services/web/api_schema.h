#pragma once

// The JSON Schemas of the services' replies as the API sends them (client::ToJson: the proto3
// JSON mapping with the proto's field names, every field without presence printed, enums as their
// names, 64-bit integers as strings, bytes as base64), made from the messages' descriptors. The
// OpenAPI document (static/openapi.json) holds them under components/schemas; api_test.cc checks
// that they match the protos, so the document cannot drift from what the API sends.

#include <map>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace lotse::web::api {

// The messages whose JSON the API answers with: every reply it sends is one of them.
std::vector<const google::protobuf::Descriptor*> ReplyMessages();

// The schema's name in components/schemas: the full name without "lotse.v1."
// ("ReferralState", "DirectoryReply.Department", "Priority").
std::string SchemaName(const std::string& full_name);

// The schema of each message in `roots` and of every message and enum they use, by SchemaName,
// each as one JSON object (OpenAPI 3.1 / JSON Schema 2020-12) with "x-proto" naming the proto.
std::map<std::string, std::string> ProtoSchemas(
    const std::vector<const google::protobuf::Descriptor*>& roots);

}  // namespace lotse::web::api
