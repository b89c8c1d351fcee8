// The JSON API's parts that need no services: the OpenAPI document against the routes the server
// registers and the protos of the replies it sends, request bodies and their field problems, the
// mapping of the services' errors to problems, and JSON text.
//
// To refresh the reply schemas after a proto changed: run this test with
// LOTSE_OPENAPI_SCHEMAS=/tmp/schemas.json (it writes the schemas the protos give there), then
// merge them into the document (jq 2-space indent, as the file is written):
//   jq --indent 2 --slurpfile s /tmp/schemas.json '.components.schemas += $s[0]'
//     services/web/static/openapi.json > /tmp/openapi.json
// and move /tmp/openapi.json over services/web/static/openapi.json.
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "common/client/json.h"
#include "common/format.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/web/api_schema.h"
#include "services/web/api_support.h"
#include "services/web/attachments.h"
#include "services/web/html.h"

namespace lotse::web::api {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

Struct Parse(std::string_view json) {
  Struct out;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &out);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json.substr(0, 2000);
  return out;
}

const Struct& Document() {
  static const Struct document = [] {
    const StaticFile* file = FindStaticFile("openapi.json");
    EXPECT_NE(file, nullptr) << "static/openapi.json is not built in";
    return file == nullptr ? Struct() : Parse(file->bytes);
  }();
  return document;
}

const Struct& Object(const Struct& parent, const std::string& name) {
  static const Struct kEmpty;
  const auto it = parent.fields().find(name);
  return it == parent.fields().end() ? kEmpty : it->second.struct_value();
}

TEST(WebApiDocumentTest, DescribesEveryRouteTheServerRegistersAndNoOther) {
  std::set<std::string> registered;
  for (const Route& route : Routes()) {
    EXPECT_TRUE(registered.insert(StrCat(route.method, " ", route.path)).second)
        << "registered twice: " << route.method << " " << route.path;
  }
  std::set<std::string> documented;
  for (const auto& [path, item] : Object(Document(), "paths").fields()) {
    for (const auto& [method, operation] : item.struct_value().fields()) {
      if (method == "parameters" || method == "summary" || method == "description") {
        continue;
      }
      documented.insert(StrCat(absl::AsciiStrToUpper(method), " ", path));
    }
  }
  EXPECT_EQ(documented, registered);
  EXPECT_GT(registered.size(), 25u);
}

TEST(WebApiDocumentTest, IsOpenApi31WithBearerAndCookieWithCsrf) {
  EXPECT_EQ(Document().fields().at("openapi").string_value().rfind("3.1", 0), 0u);
  const Struct& schemes = Object(Object(Document(), "components"), "securitySchemes");
  EXPECT_EQ(Object(schemes, "bearer").fields().at("scheme").string_value(), "bearer");
  EXPECT_EQ(Object(schemes, "session_cookie").fields().at("in").string_value(), "cookie");
  EXPECT_EQ(Object(schemes, "session_cookie").fields().at("name").string_value(), kSessionCookie);
  EXPECT_EQ(Object(schemes, "csrf_header").fields().at("name").string_value(), "X-CSRF-Token");
}

TEST(WebApiDocumentTest, ReplySchemasAreThoseOfTheProtos) {
  const std::map<std::string, std::string> generated = ProtoSchemas(ReplyMessages());
  if (const char* out = std::getenv("LOTSE_OPENAPI_SCHEMAS"); out != nullptr) {
    std::ofstream file(out, std::ios::trunc);
    file << "{";
    bool first = true;
    for (const auto& [name, schema] : generated) {
      file << (first ? "\n" : ",\n") << JsonString(name) << ":" << schema;
      first = false;
    }
    file << "\n}\n";
  }
  const Struct& schemas = Object(Object(Document(), "components"), "schemas");
  for (const auto& [name, schema] : generated) {
    const auto it = schemas.fields().find(name);
    if (it == schemas.fields().end()) {
      ADD_FAILURE() << "components/schemas has no " << name << "; it should be " << schema
                    << " (see the top of api_test.cc)";
      continue;
    }
    Value expected;
    *expected.mutable_struct_value() = Parse(schema);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(it->second, expected))
        << name << " differs from its proto; it should be " << schema
        << " (see the top of api_test.cc)";
  }
  // And no schema of a proto that no reply uses any more.
  for (const auto& [name, schema] : schemas.fields()) {
    if (schema.struct_value().fields().count("x-proto") > 0) {
      EXPECT_EQ(generated.count(name), 1u) << name << " is no reply's part any more";
    }
  }
}

TEST(WebApiDocumentTest, RequiredFieldsAreThoseToJsonAlwaysPrints) {
  const std::map<std::string, std::string> generated = ProtoSchemas(ReplyMessages());
  for (const google::protobuf::Descriptor* message : ReplyMessages()) {
    const google::protobuf::Message* empty =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(message);
    std::set<std::string> printed;
    const Struct json = Parse(client::ToJson(*empty).value());
    for (const auto& [name, value] : json.fields()) {
      printed.insert(name);
    }
    std::set<std::string> required;
    const Struct schema = Parse(generated.at(SchemaName(message->full_name())));
    if (schema.fields().count("required") > 0) {
      for (const Value& name : schema.fields().at("required").list_value().values()) {
        required.insert(name.string_value());
      }
    }
    EXPECT_EQ(printed, required) << message->full_name();
  }
}

TEST(WebApiDocumentTest, ListsEveryProblemType) {
  const Struct& problem = Object(Object(Object(Document(), "components"), "schemas"), "Problem");
  std::set<std::string> listed;
  for (const Value& type :
       Object(Object(problem, "properties"), "type").fields().at("enum").list_value().values()) {
    listed.insert(type.string_value());
  }
  std::set<std::string> answered;
  for (const ProblemType& type : ProblemTypes()) {
    answered.insert(StrCat("/api/v1/problems/", type.name));
  }
  EXPECT_EQ(listed, answered);
}

TEST(WebApiRoutesTest, PathParametersAreOneSegmentEach) {
  EXPECT_EQ(PathPattern("/api/v1/referrals/{ref}/attachments/{name}"),
            "/api/v1/referrals/([^/]+)/attachments/([^/]+)");
  EXPECT_EQ(PathPattern("/api/v1/openapi.json"), "/api/v1/openapi\\.json");
}

// A request to `path`, for the problems' `instance`.
httplib::Request RequestTo(const std::string& path) {
  httplib::Request request;
  request.method = "POST";
  request.path = path;
  return request;
}

TEST(WebApiBodyTest, NamesMissingWrongAndUnknownFieldsInTheirOrder) {
  std::string error;
  std::optional<JsonBody> body = JsonBody::FromText(
      R"({"rating":"fünf","text":"","contact":{"name":7,"fax":"1"},"extra":null,)"
      R"("departments":["umwelt",3]})",
      &error);
  ASSERT_TRUE(body.has_value()) << error;
  EXPECT_EQ(body->Int("rating", 1, 5, true), 0);
  EXPECT_EQ(body->String("text", true), "");
  EXPECT_EQ(body->String("subject", true), "");
  JsonBody contact = body->Object("contact");
  EXPECT_EQ(contact.String("name"), "");
  EXPECT_TRUE(body->Strings("departments").empty());
  EXPECT_FALSE(body->Bool("confirm"));  // absent and optional: no problem
  httplib::Response response;
  EXPECT_FALSE(body->Check(RequestTo("/api/v1/x"), response, Doing("Testen")));
  std::vector<std::string> fields;
  for (const FieldProblem& p : body->errors()) {
    fields.push_back(p.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"rating", "text", "subject", "contact.name",
                                              "departments", "contact.fax", "extra"}));
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.get_header_value("Content-Type"), "application/problem+json");
  const Struct problem = Parse(response.body);
  EXPECT_EQ(problem.fields().at("field").string_value(), "rating");
  EXPECT_EQ(problem.fields().at("errors").list_value().values_size(), 7);
  EXPECT_EQ(problem.fields().at("instance").string_value(), "/api/v1/x");
}

TEST(WebApiBodyTest, ReadsGoodValuesAndAnEmptyBodyAsNoFields) {
  std::string error;
  std::optional<JsonBody> body = JsonBody::FromText(
      R"({"rating":5,"resolved":true,"departments":["a","b"],"contact":{"name":"Eva"}})", &error);
  ASSERT_TRUE(body.has_value()) << error;
  EXPECT_EQ(body->Int("rating", 1, 5, true), 5);
  EXPECT_TRUE(body->Bool("resolved", true));
  EXPECT_EQ(body->Strings("departments", true), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(body->Object("contact").String("name"), "Eva");
  httplib::Response response;
  EXPECT_TRUE(body->Check(RequestTo("/"), response, Doing("Testen")));
  std::optional<JsonBody> empty = JsonBody::FromText("  ", &error);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->Int("limit", 0, 9, false, 4), 4);
  EXPECT_TRUE(empty->Check(RequestTo("/"), response, Doing("Testen")));
  EXPECT_FALSE(JsonBody::FromText("[1]", &error).has_value());
  EXPECT_FALSE(JsonBody::FromText(R"({"a":)", &error).has_value());
  EXPECT_FALSE(error.empty());
}

lotse::v1::Error ServiceError(lotse::v1::ErrorCode code, const std::string& field) {
  lotse::v1::Error error;
  error.set_code(code);
  error.set_field(field);
  error.set_message("what the service says");
  return error;
}

TEST(WebApiProblemTest, MapsTheServicesErrorsToStatusAndType) {
  const What what = OnReferral("Anfrage übernehmen", "2026-000123");
  struct Case {
    lotse::v1::ErrorCode code;
    std::string field;
    int status;
    std::string type;
    std::string problem_field;
  };
  for (const Case& c : std::vector<Case>{
           {lotse::v1::ERROR_CODE_NOT_FOUND, "ref", 404, "not-found", "ref"},
           {lotse::v1::ERROR_CODE_NOT_FOUND, "", 404, "not-found", ""},
           {lotse::v1::ERROR_CODE_NOT_FOUND, "topic", 422, "invalid-input", "topic"},
           {lotse::v1::ERROR_CODE_PERMISSION_DENIED, "actor", 403, "forbidden", "actor"},
           {lotse::v1::ERROR_CODE_INVALID_ARGUMENT, "text", 422, "invalid-input", "text"},
           {lotse::v1::ERROR_CODE_ALREADY_EXISTS, "", 409, "conflict", "idempotency_key"},
           {lotse::v1::ERROR_CODE_ALREADY_EXISTS, "departments", 409, "conflict", "departments"},
           {lotse::v1::ERROR_CODE_FAILED_PRECONDITION, "ref", 409, "conflict", "ref"},
           {lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED, "code", 429, "too-many-requests", "code"},
           {lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED, "size", 413, "too-large", "size"},
           {lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED, "", 503, "unavailable", ""},
           {lotse::v1::ERROR_CODE_UNAVAILABLE, "", 503, "unavailable", ""},
           {lotse::v1::ERROR_CODE_INTERNAL, "", 500, "internal", ""},
       }) {
    const Problem p = ServiceProblem(nullptr, what, ServiceError(c.code, c.field));
    EXPECT_EQ(p.status, c.status) << lotse::v1::ErrorCode_Name(c.code) << " " << c.field;
    EXPECT_EQ(p.type, c.type) << lotse::v1::ErrorCode_Name(c.code) << " " << c.field;
    EXPECT_EQ(p.field, c.problem_field) << lotse::v1::ErrorCode_Name(c.code);
    EXPECT_EQ(p.service_message, "what the service says");
    EXPECT_NE(FindProblemType(p.type), nullptr) << p.type;
    EXPECT_EQ(FindProblemType(p.type)->status, p.status) << p.type;
    if (p.status == 429 || p.status == 503) {
      EXPECT_GT(p.retry_after_s, 0) << p.type;
    }
  }
  // The detail names the referral and what to do; "not found" is the same whether the referral
  // does not exist or is another's.
  const Problem missing =
      ServiceProblem(nullptr, what, ServiceError(lotse::v1::ERROR_CODE_NOT_FOUND, "ref"));
  EXPECT_NE(missing.detail.find("„2026-000123“"), std::string::npos) << missing.detail;
  EXPECT_NE(missing.detail.find("Bitte prüfen Sie"), std::string::npos) << missing.detail;
  const Problem late =
      ServiceProblem(nullptr, what, ServiceError(lotse::v1::ERROR_CODE_FAILED_PRECONDITION, ""));
  EXPECT_NE(late.detail.find("GET /api/v1/referrals/2026-000123"), std::string::npos)
      << late.detail;
}

TEST(WebApiJsonTest, EscapesTextAndReplacesWhatIsNoUtf8) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01 Müller"), R"("a\"b\\c\n\u0001 Müller")");
  EXPECT_EQ(JsonString("x\xff\xc3y"), R"("x\ufffd\ufffdy")");
  EXPECT_EQ(JsonString("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_TRUE(IsUtf8("Größe 😀"));
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));  // overlong '/'
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace lotse::web::api
