#pragma once

// What every handler of lotse-web's JSON API (/api/v1/, api.cc and api_referrals.cc) shares:
// who calls (a bearer token, or the browser's session cookie with the session's CSRF token in
// `X-CSRF-Token` on every changing call), the request body as JSON with its field checks, the
// answer as the JSON the CLI prints for the same result (client::ToJson), and every refusal as
// an RFC 9457 problem (application/problem+json) in German that names what was asked for and
// what to do. The OpenAPI document (static/openapi.json) describes all of it.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ops/http.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"
#include "lotse/v1/common.pb.h"
#include "services/web/site.h"

namespace lotse::web::api {

// ---------------------------------------------------------------------------------------------
// Routes

using Handler = void (*)(Site& site, const httplib::Request& request, httplib::Response& response);

// One route of the API. `path` is written as the OpenAPI document writes it; each `{name}` is
// one path segment, which the handler finds in request.matches[1], [2], ... in order.
struct Route {
  const char* method;  // "GET", "POST", "PUT" or "DELETE"
  const char* path;    // "/api/v1/referrals/{ref}/claim"
  Handler handle;
};

// Every route AddApi registers, in the order it registers them (api.cc): the OpenAPI document
// must describe exactly these (api_test.cc).
const std::vector<Route>& Routes();
// The referral routes (api_referrals.cc), part of Routes().
std::vector<Route> ReferralRoutes();
// The regular expression httplib matches `path` with: each `{name}` becomes ([^/]+).
std::string PathPattern(std::string_view path);

// ---------------------------------------------------------------------------------------------
// Problems (RFC 9457)

struct FieldProblem {
  std::string field;   // as the request names it: "rating", "contact.email", query "after"
  std::string detail;  // German
};

struct Problem {
  int status = 500;
  std::string type;    // a name of ProblemTypes(): "not-found" -> /api/v1/problems/not-found
  std::string title;   // German, short; the type's title when empty
  std::string detail;  // German: what went wrong with what, and what to do
  std::string field;   // the field at fault, if one is
  std::vector<FieldProblem> errors;
  std::string service_message;  // the service's own words (English), if a service refused
  int retry_after_s = 0;        // > 0: a Retry-After header
  // 401: the WWW-Authenticate header, `Bearer realm="lotse"` when empty.
  std::string www_authenticate;
};

// The kinds of problem the API answers with: the last segment of their type URI, their status
// and title (German), and when they occur.
struct ProblemType {
  const char* name;
  int status;
  const char* title;
  const char* description;
};
const std::vector<ProblemType>& ProblemTypes();
const ProblemType* FindProblemType(std::string_view name);

// Makes `response` the problem: status, application/problem+json, Retry-After and, for 401,
// WWW-Authenticate.
void SendProblem(const httplib::Request& request, httplib::Response& response,
                 const Problem& problem);

// What a request asks for, so that a problem can name it: `action` as a button would say it
// ("Anfrage übernehmen"), the referral it concerns, and `subject` for "not found" ("die Anfrage
// „2026-000123“"). Fields of the URL (`url_fields`): a service's NOT_FOUND naming one of them (or
// none) is 404, naming another field (an unknown topic in the body) is 422 for that field.
struct What {
  std::string action;
  std::string ref;
  std::string subject;
  std::set<std::string> url_fields = {"ref"};
  std::string not_found_detail;  // replaces the usual 404 detail (the company's feedback code)
};
// What `action` is, for problems; `subject` as What has it.
What Doing(std::string action, std::string subject = "");
// What `action` on referral `ref` is, for problems.
What OnReferral(std::string action, std::string ref);

// The problem for a service's structured error; `caller` nullptr: no one is logged in.
Problem ServiceProblem(const Caller* caller, const What& what, const lotse::v1::Error& error);
// The problem when no (usable) reply came: 503 with Retry-After.
Problem NoReplyProblem(const What& what);

// ---------------------------------------------------------------------------------------------
// Callers

// The caller of an API request: `Authorization: Bearer <token>` (a session of POST
// /api/v1/session), else the browser's session cookie, which on a changing call (POST, PUT,
// DELETE) needs the session's CSRF token in `X-CSRF-Token`. With `kinds`, a role of another kind
// is refused with 403 naming whom the action is for. nullopt: the response is the problem (401
// with WWW-Authenticate: Bearer, 403).
std::optional<Caller> ApiCaller(Site& site, const httplib::Request& request,
                                httplib::Response& response, const What& what,
                                std::initializer_list<lotse::v1::ActorKind> kinds = {});

// The actor every request made for `caller` carries: Caller::Actor(), always naming the person
// (`user`: the staff member, else the login), since the services let a gateway act for an
// office, department or KAM only on behalf of a named person (and never as ops or admin:
// common/service/commands.cc, EffectiveActor).
lotse::v1::Actor ActorOf(const Caller& caller);

// ---------------------------------------------------------------------------------------------
// Request bodies and query parameters

// A JSON object from a request body, read field by field: each accessor checks the field's
// type and records a German problem for it, and Check() adds every field nobody asked for, so
// that a misspelt field is an error rather than silently ignored. Read on one thread.
class JsonBody {
 public:
  // The request's body as a JSON object; an empty body is {}. nullopt: the response is the
  // problem (400 for malformed JSON or a body that is not an object, 415 for a body that is not
  // JSON).
  static std::optional<JsonBody> Parse(const httplib::Request& request,
                                       httplib::Response& response);
  // An object from the text `json` (Parse's parser, for tests too); nullopt with `error` if it
  // is malformed or not an object.
  static std::optional<JsonBody> FromText(std::string_view json, std::string* error);

  // A string field; "" if absent (a problem if `required`, or if empty and `required`).
  std::string String(const std::string& name, bool required = false);
  // A whole number in [min, max]; `fallback` if absent (a problem if `required`).
  int64_t Int(const std::string& name, int64_t min, int64_t max, bool required = false,
              int64_t fallback = 0);
  // true or false; `fallback` if absent (a problem if `required`).
  bool Bool(const std::string& name, bool required = false, bool fallback = false);
  // Whether the field is present (also when null).
  bool Has(const std::string& name) const;
  // A list of strings; empty if absent (a problem if `required` or if empty and `required`).
  std::vector<std::string> Strings(const std::string& name, bool required = false);
  // A nested object (fields named "<name>.<field>"); empty if absent.
  JsonBody Object(const std::string& name);

  // Records a problem with `name` (its full name is prefixed like the accessors').
  void Fail(const std::string& name, std::string detail);
  // Adds a problem for every field no accessor asked for (here and in nested objects), then, if
  // there are problems, makes the response 422 naming them and returns false.
  bool Check(const httplib::Request& request, httplib::Response& response, const What& what);
  const std::vector<FieldProblem>& errors() const { return shared_->errors; }

 private:
  // What the body and its nested objects share: the problems so far and the fields asked for.
  struct Shared {
    std::vector<FieldProblem> errors;
    std::set<std::string> asked;    // full names: "rating", "contact.name"
    std::set<std::string> objects;  // nested objects asked for with Object()
  };
  JsonBody(std::shared_ptr<const google::protobuf::Struct> root,
           const google::protobuf::Struct* object, std::string prefix,
           std::shared_ptr<Shared> shared);
  // The field's value (nullptr if absent), noted as asked for.
  const google::protobuf::Value* Find(const std::string& name);
  std::string Full(const std::string& name) const { return prefix_ + name; }
  // Adds a problem for each field of `object` (named from `prefix`) nobody asked for.
  void AddUnknown(const google::protobuf::Struct& object, const std::string& prefix);

  std::shared_ptr<const google::protobuf::Struct> root_;  // owns what object_ points into
  const google::protobuf::Struct* object_;
  std::string prefix_;  // "" or "contact."
  std::shared_ptr<Shared> shared_;
};

// The idempotency key of a changing call: the `Idempotency-Key` header, else the body's
// `idempotency_key`; both given and different is a problem of `body`. "" when neither (the
// request builder then makes a random one).
std::string IdempotencyKey(const httplib::Request& request, JsonBody& body);

// Query parameters: each records a problem in `errors` (named after the parameter) when the
// value is not what it must be.
std::string Query(const httplib::Request& request, const char* name);
uint64_t QueryUint(const httplib::Request& request, const char* name, uint64_t max,
                   std::vector<FieldProblem>& errors);
bool QueryBool(const httplib::Request& request, const char* name,
               std::vector<FieldProblem>& errors);
// With problems: makes the response 422 naming them and returns false.
bool CheckQuery(const httplib::Request& request, httplib::Response& response, const What& what,
                const std::vector<FieldProblem>& errors);

// ---------------------------------------------------------------------------------------------
// Answers

// `text` as a JSON string (quoted, escaped; invalid UTF-8 becomes U+FFFD; < > & as \u escapes,
// so that it is safe inside a page too).
std::string JsonString(std::string_view text);

// Makes `response` the JSON of `result` as `lotse --json` prints it, with `status`.
void SendResult(httplib::Response& response, int status, const google::protobuf::Message& result);
// Makes `response` `json` (already a JSON document) with `status`.
void SendJson(httplib::Response& response, int status, const std::string& json);

// True when a service's `reply` holds the `expected` result. Otherwise the response is made
// already as the problem: no reply (503), the service's error (ServiceProblem), or another
// result than asked for (500: the web and the services differ in version).
template <typename Reply>
bool Answered(const httplib::Request& request, httplib::Response& response, const Caller* caller,
              const What& what, const absl::StatusOr<Reply>& reply,
              typename Reply::ResultCase expected);
void SendNoReply(const httplib::Request& request, httplib::Response& response, const Caller* caller,
                 const What& what, const absl::Status& status);
void SendOtherResult(const httplib::Request& request, httplib::Response& response, const What& what,
                     int result, int expected);

template <typename Reply>
bool Answered(const httplib::Request& request, httplib::Response& response, const Caller* caller,
              const What& what, const absl::StatusOr<Reply>& reply,
              typename Reply::ResultCase expected) {
  if (!reply.ok()) {
    SendNoReply(request, response, caller, what, reply.status());
    return false;
  }
  if (reply->has_error()) {
    SendProblem(request, response, ServiceProblem(caller, what, reply->error()));
    return false;
  }
  if (reply->result_case() != expected) {
    SendOtherResult(request, response, what, static_cast<int>(reply->result_case()),
                    static_cast<int>(expected));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Bytes

// Whether `text` is valid UTF-8.
bool IsUtf8(std::string_view text);

}  // namespace lotse::web::api
