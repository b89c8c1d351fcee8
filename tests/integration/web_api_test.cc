// lotse-web's JSON API (/api/v1/) over real HTTP against the real services: a whole referral
// (submitted twice with one Idempotency-Key, worked by the department, answered, rated by the
// office and by the company with its code), the same JSON as `lotse --json`, another office's
// referral not found exactly like a made-up one, the session cookie needing X-CSRF-Token,
// invalid input naming its field and changing nothing, 401 without a token, roles kept to their
// own actions, attachments up and down, and the document and problems of paths it does not have.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/integration/lotse_set.h"
#include "tests/integration/web_client.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace lotse::test {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// A JSON document as a tree (an empty Struct, with a test failure, if it is not one).
Struct Parse(const std::string& json) {
  Struct out;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &out);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return out;
}

// The value at a dotted path ("referral.contact.name"), or a null Value.
Value At(const Struct& root, const std::string& path) {
  Value value;
  *value.mutable_struct_value() = root;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (value.kind_case() != Value::kStructValue) {
      return Value();
    }
    const auto& fields = value.struct_value().fields();
    auto it = fields.find(std::string(part));
    if (it == fields.end()) {
      return Value();
    }
    Value next = it->second;
    value = std::move(next);
  }
  return value;
}

// The items of the list at `path` (none if it is no list).
std::vector<Value> List(const Struct& root, const std::string& path) {
  const Value list = At(root, path);
  return {list.list_value().values().begin(), list.list_value().values().end()};
}

std::string Str(const Struct& root, const std::string& path) {
  return At(root, path).string_value();
}

class WebApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_.StartAll(/*with_audit=*/true, /*with_notification=*/true);
    set_.Start("web");
    passwords_ = InitialPasswords(set_);
    ASSERT_FALSE(passwords_.empty()) << "no initial passwords in " << set_.dir();
  }

  httplib::Client Http() {
    httplib::Client client("127.0.0.1", set_.WebPort());
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(15, 0);
    return client;
  }

  // The bearer token of a fresh API session of `login`.
  std::string TokenOf(const std::string& login) {
    httplib::Result r =
        Http().Post("/api/v1/session",
                    StrCat(R"({"login":")", login, R"(","password":")", passwords_[login], "\"}"),
                    "application/json");
    EXPECT_TRUE(r) << "no answer";
    if (!r) {
      return "";
    }
    EXPECT_EQ(r->status, 201) << r->body;
    return Str(Parse(r->body), "token");
  }

  // `method` `path` with the bearer `token` ("" = none) and a JSON `body`.
  httplib::Result Call(const std::string& method, const std::string& path, const std::string& token,
                       const std::string& body = "", httplib::Headers headers = {}) {
    if (!token.empty()) {
      headers.emplace("Authorization", StrCat("Bearer ", token));
    }
    httplib::Client http = Http();
    if (method == "GET") {
      return http.Get(path.c_str(), headers);
    }
    if (method == "DELETE") {
      return http.Delete(path.c_str(), headers, body, "application/json");
    }
    if (method == "PUT") {
      return http.Put(path.c_str(), headers, body, "application/json");
    }
    return http.Post(path.c_str(), headers, body, "application/json");
  }

  // A referral submitted through the API as office `token`; its reply.
  Struct Submit(const std::string& token, const std::string& key = "",
                const std::string& company = "HRB-55001") {
    httplib::Headers headers;
    if (!key.empty()) {
      headers.emplace("Idempotency-Key", key);
    }
    httplib::Result r =
        Call("POST", "/api/v1/referrals", token,
             StrCat(R"({"company_id":")", company, R"(","company_name":"Metallbau Krause GmbH",)",
                    R"("contact":{"name":"Eva Krause","email":"eva@krause.example"},)",
                    R"("topic":"baugenehmigung","subject":"Neue Lagerhalle",)",
                    R"("text":"Welche Unterlagen brauchen wir?","priority":"high"})"),
             headers);
    EXPECT_TRUE(r);
    if (!r) {
      return Struct();
    }
    EXPECT_EQ(r->status, 201) << r->body;
    EXPECT_EQ(r->get_header_value("Location"),
              StrCat("/api/v1/referrals/", Str(Parse(r->body), "referral_id")));
    return Parse(r->body);
  }

  // The events intake has logged: a refused request adds none.
  uint64_t IntakeHead() {
    absl::StatusOr<uint64_t> head = set_.LogHead("intake");
    EXPECT_TRUE(head.ok()) << head.status();
    return head.value_or(0);
  }

  // Checks that `r` is a problem of `status` and `type`; returns it.
  static Struct ProblemOf(const httplib::Result& r, int status, const std::string& type) {
    EXPECT_TRUE(r) << "no answer";
    if (!r) {
      return Struct();
    }
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/problem+json") << r->body;
    Struct problem = Parse(r->body);
    EXPECT_EQ(Str(problem, "type"), StrCat("/api/v1/problems/", type)) << r->body;
    EXPECT_EQ(At(problem, "status").number_value(), status) << r->body;
    EXPECT_FALSE(Str(problem, "title").empty()) << r->body;
    EXPECT_FALSE(Str(problem, "detail").empty()) << r->body;
    return problem;
  }

  LotseSet set_;
  std::map<std::string, std::string> passwords_;
};

TEST_F(WebApiTest, AReferralGoesAllTheWayThroughTheApi) {
  const std::string office = TokenOf("bb-mitte");
  // Submitted twice with one key (a terminal that did not see the first answer): one referral.
  const Struct first = Submit(office, "api-test-key-0001");
  const Struct again = Submit(office, "api-test-key-0001");
  const std::string id = Str(first, "referral_id");
  const std::string case_number = Str(first, "case_number");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Str(again, "referral_id"), id);
  EXPECT_EQ(Str(again, "case_number"), case_number);

  // The department finds it on its worklist, once.
  const std::string bo = TokenOf("bo-mueller");
  std::string worklist;
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result r = Call("GET", "/api/v1/worklist?limit=50", bo);
    worklist = r ? r->body : "";
    return r && r->status == 200 && worklist.find(case_number) != std::string::npos;
  })) << worklist;
  int found = 0;
  for (const Value& item : List(Parse(worklist), "items")) {
    found += item.struct_value().fields().at("case_number").string_value() == case_number;
  }
  EXPECT_EQ(found, 1) << worklist;

  // Claimed and answered by Jana Müller; the replies are routing's record.
  httplib::Result claimed = Call("POST", StrCat("/api/v1/referrals/", case_number, "/claim"), bo);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->status, 200) << claimed->body;
  EXPECT_EQ(Str(Parse(claimed->body), "status"), "REFERRAL_STATUS_CLAIMED") << claimed->body;
  EXPECT_EQ(Str(Parse(claimed->body), "claimed_by"), "bo-mueller") << claimed->body;
  httplib::Result answered =
      Call("POST", StrCat("/api/v1/referrals/", id, "/answer"), bo,
           R"({"text":"Bauantrag mit Lageplan und Statik.","outcome":"resolved"})");
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->status, 200) << answered->body;
  EXPECT_EQ(Str(Parse(answered->body), "status"), "REFERRAL_STATUS_ANSWERED");

  // The office sees the answer (intake's view) and gets a message about it.
  std::string seen;
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result r = Call("GET", StrCat("/api/v1/referrals/", case_number), office);
    seen = r ? r->body : "";
    return r && r->status == 200 &&
           Str(Parse(seen), "answer.text") == "Bauantrag mit Lageplan und Statik.";
  })) << seen;
  std::string inbox;
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result r = Call("GET", "/api/v1/inbox", office);
    inbox = r ? r->body : "";
    return r && r->status == 200 && inbox.find("MESSAGE_KIND_ANSWER") != std::string::npos;
  })) << inbox;
  const std::vector<Value> messages = List(Parse(inbox), "messages");
  ASSERT_FALSE(messages.empty());
  const std::string last = messages.back().struct_value().fields().at("seq").string_value();
  httplib::Result acked = Call("GET", StrCat("/api/v1/inbox?ack=", last), office);
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->status, 200) << acked->body;
  EXPECT_EQ(Str(Parse(acked->body), "acknowledged"), last) << acked->body;

  // The office rates the answer; the company rates it too, with its code and without a login.
  httplib::Result rated = Call("POST", StrCat("/api/v1/referrals/", id, "/feedback"), office,
                               R"({"rating":5,"resolved":true,"comment":"Schnell und klar."})");
  ASSERT_TRUE(rated);
  ASSERT_EQ(rated->status, 200) << rated->body;
  EXPECT_EQ(At(Parse(rated->body), "feedback.rating").number_value(), 5) << rated->body;
  const std::string code = Str(first, "feedback_code");
  ASSERT_FALSE(code.empty());
  httplib::Result wrong =
      Call("POST", "/api/v1/company-feedback", "", R"({"code":"AAAA-BBBB-CCCC-DDDD","rating":4})");
  EXPECT_EQ(Str(ProblemOf(wrong, 422, "invalid-input"), "field"), "code");
  httplib::Result company = Call("POST", "/api/v1/company-feedback", "",
                                 StrCat(R"({"code":")", code, R"(","rating":4,"resolved":true})"));
  ASSERT_TRUE(company);
  ASSERT_EQ(company->status, 200) << company->body;
  EXPECT_EQ(Str(Parse(company->body), "case_number"), case_number);
  EXPECT_EQ(At(Parse(company->body), "company_feedback.rating").number_value(), 4);

  // The JSON is the one `lotse --json` prints for the same referral.
  std::string api;
  std::string cli;
  EXPECT_TRUE(set_.Eventually([&] {
    httplib::Result r = Call("GET", StrCat("/api/v1/referrals/", case_number), office);
    api = r ? r->body : "";
    cli = RunCommand(LOTSE_CLI_BIN,
                     {"status", case_number, "--office", "bb-mitte", "--json", "--port-base",
                      std::to_string(set_.port_base()), "--keys", set_.dir() + "/data/keys"})
              .out;
    return !api.empty() && cli == api + "\n";
  })) << "API: "
      << api << "\nCLI: " << cli;

  // The history tells it from the audit log, to the office too.
  std::string history;
  EXPECT_TRUE(set_.Eventually([&] {
    httplib::Result r = Call("GET", StrCat("/api/v1/referrals/", id, "/history"), office);
    history = r ? r->body : "";
    return r && r->status == 200 && history.find("answered") != std::string::npos;
  })) << history;
}

TEST_F(WebApiTest, AnotherOfficesReferralIsNotFoundExactlyLikeAMadeUpOne) {
  const std::string mitte = TokenOf("bb-mitte");
  const std::string id = Str(Submit(mitte), "referral_id");
  ASSERT_FALSE(id.empty());
  const std::string nord = TokenOf("bb-nord");
  const std::string made_up = "2099-999999";
  for (const auto& [method, suffix, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "", ""},
           {"GET", "/receipt", ""},
           {"GET", "/attachments", ""},
           {"POST", "/feedback", R"({"rating":1,"resolved":false})"},
           {"POST", "/follow-up", R"({"text":"Und?"})"}}) {
    httplib::Result theirs = Call(method, StrCat("/api/v1/referrals/", id, suffix), nord, body);
    httplib::Result none = Call(method, StrCat("/api/v1/referrals/", made_up, suffix), nord, body);
    ProblemOf(theirs, 404, "not-found");
    ProblemOf(none, 404, "not-found");
    ASSERT_TRUE(theirs && none);
    EXPECT_EQ(absl::StrReplaceAll(theirs->body, {{id, "REF"}}),
              absl::StrReplaceAll(none->body, {{made_up, "REF"}}))
        << method << " " << suffix;
  }
  // Bürgerbüro Mitte still sees its own.
  httplib::Result own = Call("GET", StrCat("/api/v1/referrals/", id), mitte);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
}

TEST_F(WebApiTest, TheBrowsersCookieChangesNothingWithoutTheCsrfHeader) {
  // Logged in through the page, as a browser is.
  httplib::Result login = Http().Post(
      "/anmelden", httplib::Params{{"login", "bb-mitte"}, {"password", passwords_["bb-mitte"]}});
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 303) << login->body;
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const httplib::Headers cookie = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  httplib::Result session = Call("GET", "/api/v1/session", "", "", cookie);
  ASSERT_TRUE(session);
  ASSERT_EQ(session->status, 200) << session->body;
  const std::string csrf = Str(Parse(session->body), "csrf_token");
  ASSERT_FALSE(csrf.empty());
  EXPECT_TRUE(Str(Parse(session->body), "token").empty()) << "the cookie's id stays in the cookie";

  const std::string body =
      R"({"company_id":"HRB-1","company_name":"X GmbH","topic":"baugenehmigung",)"
      R"("subject":"S","text":"T"})";
  const uint64_t before = IntakeHead();
  for (const std::string& token : {std::string(), std::string("falsch"), csrf.substr(1)}) {
    httplib::Headers headers = cookie;
    if (!token.empty()) {
      headers.emplace("X-CSRF-Token", token);
    }
    ProblemOf(Call("POST", "/api/v1/referrals", "", body, headers), 403, "csrf");
  }
  ProblemOf(Call("DELETE", "/api/v1/session", "", "", cookie), 403, "csrf");
  EXPECT_EQ(IntakeHead(), before);
  // Reading needs no token; with it, the change goes through.
  EXPECT_EQ(Call("GET", "/api/v1/directory", "", "", cookie)->status, 200);
  httplib::Headers with = cookie;
  with.emplace("X-CSRF-Token", csrf);
  httplib::Result made = Call("POST", "/api/v1/referrals", "", body, with);
  ASSERT_TRUE(made);
  EXPECT_EQ(made->status, 201) << made->body;
  httplib::Result out = Call("DELETE", "/api/v1/session", "", "", with);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204) << out->body;
  ProblemOf(Call("GET", "/api/v1/session", "", "", cookie), 401, "unauthenticated");
}

TEST_F(WebApiTest, InvalidInputNamesItsFieldAndCreatesNothing) {
  const std::string office = TokenOf("bb-mitte");
  const uint64_t before = IntakeHead();
  // Fields missing, of the wrong type, misspelt or with words the API does not know.
  Struct problem =
      ProblemOf(Call("POST", "/api/v1/referrals", office,
                     R"({"company_id":"HRB-1","company_name":"X GmbH","topic":"baugenehmigung",)"
                     R"("text":"T","priority":"sofort","employees":"viele","subjekt":"S"})"),
                422, "invalid-input");
  std::vector<std::string> fields;
  for (const Value& e : List(problem, "errors")) {
    fields.push_back(e.struct_value().fields().at("field").string_value());
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"employees", "subject", "priority", "subjekt"}));
  EXPECT_EQ(Str(problem, "field"), "employees");
  // A topic the city does not have: the service says so, naming the field.
  problem = ProblemOf(Call("POST", "/api/v1/referrals", office,
                           R"({"company_id":"HRB-1","company_name":"X GmbH","topic":"raumfahrt",)"
                           R"("subject":"S","text":"T"})"),
                      422, "invalid-input");
  EXPECT_EQ(Str(problem, "field"), "topic");
  EXPECT_NE(Str(problem, "service_message").find("raumfahrt"), std::string::npos);
  // An e-mail address that is none.
  problem =
      ProblemOf(Call("POST", "/api/v1/referrals", office,
                     R"({"company_id":"HRB-1","company_name":"X GmbH","topic":"baugenehmigung",)"
                     R"("subject":"S","text":"T","contact":{"email":"keine-adresse","fax":"1"}})"),
                422, "invalid-input");
  EXPECT_EQ(Str(problem, "field"), "contact.fax");  // the API's own check comes first
  problem =
      ProblemOf(Call("POST", "/api/v1/referrals", office,
                     R"({"company_id":"HRB-1","company_name":"X GmbH","topic":"baugenehmigung",)"
                     R"("subject":"S","text":"T","contact":{"email":"keine-adresse"}})"),
                422, "invalid-input");
  EXPECT_EQ(Str(problem, "field"), "contact.email");
  // JSON that is none, and a body that is not JSON.
  problem = ProblemOf(Call("POST", "/api/v1/referrals", office, R"({"company_id": )"), 400,
                      "malformed-request");
  ProblemOf(Call("POST", "/api/v1/referrals", office, "[1,2]"), 400, "malformed-request");
  httplib::Headers auth = {{"Authorization", StrCat("Bearer ", office)}};
  ProblemOf(Http().Post("/api/v1/referrals", auth, "company_id=HRB-1",
                        "application/x-www-form-urlencoded"),
            415, "unsupported-media-type");
  // A rating out of range on a referral that exists.
  const std::string id = Str(Submit(office), "referral_id");
  const uint64_t with_one = IntakeHead();
  EXPECT_GT(with_one, before);
  problem = ProblemOf(Call("POST", StrCat("/api/v1/referrals/", id, "/feedback"), office,
                           R"({"rating":7,"resolved":"ja"})"),
                      422, "invalid-input");
  EXPECT_EQ(Str(problem, "field"), "rating");
  EXPECT_NE(Str(problem, "detail").find(id), std::string::npos) << Str(problem, "detail");
  // A query parameter that is no number.
  const std::string bo = TokenOf("bo-mueller");
  EXPECT_EQ(Str(ProblemOf(Call("GET", "/api/v1/worklist?limit=viele", bo), 422, "invalid-input"),
                "field"),
            "limit");
  EXPECT_EQ(IntakeHead(), with_one);  // nothing but the one good submit was stored
}

TEST_F(WebApiTest, NothingWithoutALoginButTheDocumentAndTheCompanysFeedback) {
  for (const char* path : {"/api/v1/worklist", "/api/v1/referrals/2026-000001", "/api/v1/directory",
                           "/api/v1/session"}) {
    httplib::Result r = Http().Get(path);
    ProblemOf(r, 401, "unauthenticated");
    EXPECT_EQ(r->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u) << path;
  }
  httplib::Result forged = Call("GET", "/api/v1/worklist", "erfundenes-token");
  ProblemOf(forged, 401, "unauthenticated");
  EXPECT_NE(forged->get_header_value("WWW-Authenticate").find("invalid_token"), std::string::npos);
  ProblemOf(Call("POST", "/api/v1/referrals", "", "{}"), 401, "unauthenticated");
  // A wrong password: 401, and nothing to use.
  httplib::Result wrong =
      Http().Post("/api/v1/session", R"({"login":"bb-mitte","password":"falsch-falsch-falsch"})",
                  "application/json");
  EXPECT_TRUE(Str(ProblemOf(wrong, 401, "unauthenticated"), "token").empty());

  // The document: OpenAPI 3.1, no login.
  httplib::Result doc = Http().Get("/api/v1/openapi.json");
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->status, 200);
  EXPECT_EQ(doc->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Str(Parse(doc->body), "openapi").rfind("3.1", 0), 0u);
  // Problems of paths and methods the API does not have, and what a problem type means.
  const std::string office = TokenOf("bb-mitte");
  ProblemOf(Call("GET", "/api/v1/gibt-es-nicht", office), 404, "unknown-path");
  httplib::Result method = Call("PUT", "/api/v1/referrals", office, "{}");
  ProblemOf(method, 405, "method-not-allowed");
  EXPECT_EQ(method->get_header_value("Allow"), "POST");
  httplib::Result type = Http().Get("/api/v1/problems/not-found");
  ASSERT_TRUE(type);
  EXPECT_EQ(type->status, 200);
  EXPECT_EQ(At(Parse(type->body), "status").number_value(), 404);

  // The session: who, the roles, and a token that ends with the logout.
  httplib::Result session = Call("GET", "/api/v1/session", office);
  ASSERT_TRUE(session);
  ASSERT_EQ(session->status, 200) << session->body;
  EXPECT_EQ(List(Parse(session->body), "roles").size(), 1);
  EXPECT_EQ(Str(ProblemOf(Call("PUT", "/api/v1/session/role", office, R"({"role":1})"), 422,
                          "invalid-input"),
                "field"),
            "role");
  httplib::Result role = Call("PUT", "/api/v1/session/role", office, R"({"role":0})");
  ASSERT_TRUE(role);
  EXPECT_EQ(role->status, 200) << role->body;
  httplib::Result out = Call("DELETE", "/api/v1/session", office);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  ProblemOf(Call("GET", "/api/v1/directory", office), 401, "unauthenticated");
}

TEST_F(WebApiTest, EachRoleKeepsToItsOwnActions) {
  const std::string office = TokenOf("bb-mitte");
  const std::string id = Str(Submit(office), "referral_id");
  ASSERT_FALSE(id.empty());
  const std::string bo = TokenOf("bo-mueller");
  const uint64_t before = IntakeHead();
  // A department cannot submit, rate or ask a follow-up question: those are an office's.
  Struct refused = ProblemOf(Call("POST", "/api/v1/referrals", bo,
                                  R"({"company_id":"HRB-1","company_name":"X","topic":)"
                                  R"("baugenehmigung","subject":"S","text":"T"})"),
                             403, "forbidden");
  EXPECT_NE(Str(refused, "detail").find("Bauordnungsamt (als Jana Müller)"), std::string::npos)
      << Str(refused, "detail");
  ProblemOf(Call("POST", StrCat("/api/v1/referrals/", id, "/feedback"), bo,
                 R"({"rating":5,"resolved":true})"),
            403, "forbidden");
  EXPECT_EQ(IntakeHead(), before);
  // An office cannot claim or answer; ops cannot read an inbox.
  ProblemOf(Call("POST", StrCat("/api/v1/referrals/", id, "/claim"), office), 403, "forbidden");
  ProblemOf(Call("GET", "/api/v1/inbox", TokenOf("ops")), 403, "forbidden");
  // Another department does not find the referral at all.
  const std::string umwelt = TokenOf("um-wagner");
  ProblemOf(Call("POST", StrCat("/api/v1/referrals/", id, "/claim"), umwelt), 404, "not-found");
  // The directory is for everyone who is logged in.
  httplib::Result directory = Call("GET", "/api/v1/directory", bo);
  ASSERT_TRUE(directory);
  ASSERT_EQ(directory->status, 200) << directory->body;
  EXPECT_FALSE(List(Parse(directory->body), "topics").empty());
}

TEST_F(WebApiTest, AttachmentsGoUpAsBytesOrBase64AndComeBackTheSame) {
  const std::string office = TokenOf("bb-mitte");
  const std::string id = Str(Submit(office), "referral_id");
  ASSERT_FALSE(id.empty());
  std::string plan(size_t{700} * 1024, 'p');  // more than one chunk
  for (size_t i = 0; i < plan.size(); i += 997) {
    plan[i] = static_cast<char>(i % 251);
  }
  httplib::Headers auth = {{"Authorization", StrCat("Bearer ", office)}};
  httplib::Result up = Http().Post(
      StrCat("/api/v1/referrals/", id, "/attachments?name=Lageplan%20Halle.pdf").c_str(), auth,
      plan, "application/pdf");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  EXPECT_EQ(At(Parse(up->body), "complete").bool_value(), true) << up->body;
  httplib::Result note = Call("POST", StrCat("/api/v1/referrals/", id, "/attachments"), office,
                              R"({"name":"notiz.txt","data":"SGFsbG8gV2VsdA=="})");
  ASSERT_TRUE(note);
  ASSERT_EQ(note->status, 201) << note->body;
  ProblemOf(Call("POST", StrCat("/api/v1/referrals/", id, "/attachments"), office,
                 R"({"name":"kaputt.txt","data":"%%%"})"),
            422, "invalid-input");

  // The department reads both once the referral is routed to it.
  const std::string bo = TokenOf("bo-mueller");
  std::string list;
  ASSERT_TRUE(set_.Eventually([&] {
    httplib::Result r = Call("GET", StrCat("/api/v1/referrals/", id, "/attachments"), bo);
    list = r ? r->body : "";
    return r && r->status == 200 && list.find("notiz.txt") != std::string::npos;
  })) << list;
  httplib::Result down =
      Call("GET", StrCat("/api/v1/referrals/", id, "/attachments/Lageplan%20Halle.pdf"), bo);
  ASSERT_TRUE(down);
  ASSERT_EQ(down->status, 200) << down->body.substr(0, 500);
  EXPECT_TRUE(down->body == plan) << down->body.size() << " bytes";
  // (httplib's client percent-decodes header values: on the wire it is Lageplan%20Halle.pdf.)
  EXPECT_EQ(down->get_header_value("Content-Disposition"),
            "attachment; filename*=UTF-8''Lageplan Halle.pdf");
  httplib::Result text =
      Call("GET", StrCat("/api/v1/referrals/", id, "/attachments/notiz.txt"), bo);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->body, "Hallo Welt");
  ProblemOf(Call("GET", StrCat("/api/v1/referrals/", id, "/attachments/fehlt.txt"), bo), 404,
            "not-found");
}

}  // namespace
}  // namespace lotse::test
