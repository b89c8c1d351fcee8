#include "services/web/api_support.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/client/json.h"
#include "common/format.h"
#include "google/protobuf/util/json_util.h"
#include "services/web/sessions.h"
#include "spdlog/spdlog.h"

namespace lotse::web::api {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kProblemBase[] = "/api/v1/problems/";
constexpr int kRetryAfterNoReplyS = 30;
// Intake forgets wrong feedback codes after this long (IntakeService::kGuessWindow).
constexpr int kRetryAfterWrongCodesS = 600;

// The next code point of `text` at `*at` (advanced past it), or -1 for a byte that does not
// start a valid UTF-8 sequence (advanced by one): overlong forms, surrogates and values above
// U+10FFFF are invalid.
int32_t NextCodePoint(std::string_view text, size_t* at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char first = byte(*at);
  if (first < 0x80) {
    ++*at;
    return first;
  }
  int length = 0;
  int32_t min = 0;
  int32_t cp = 0;
  if ((first & 0xE0) == 0xC0) {
    length = 2, min = 0x80, cp = first & 0x1F;
  } else if ((first & 0xF0) == 0xE0) {
    length = 3, min = 0x800, cp = first & 0x0F;
  } else if ((first & 0xF8) == 0xF0) {
    length = 4, min = 0x10000, cp = first & 0x07;
  } else {
    ++*at;
    return -1;
  }
  if (*at + length > text.size()) {
    ++*at;
    return -1;
  }
  for (int i = 1; i < length; ++i) {
    const unsigned char next = byte(*at + i);
    if ((next & 0xC0) != 0x80) {
      ++*at;
      return -1;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*at;
    return -1;
  }
  *at += length;
  return cp;
}

// "die Anfrage" -> "Die Anfrage".
std::string Capitalized(std::string text) {
  if (!text.empty()) {
    text[0] = absl::ascii_toupper(static_cast<unsigned char>(text[0]));
  }
  return text;
}

// " (Anfrage „2026-000123“)", or "" without a referral.
std::string OnRef(const What& what) {
  return what.ref.empty() ? "" : StrCat(" (Anfrage „", what.ref, "“)");
}

// „rating“, „text“ und „outcome“
std::string FieldList(const std::vector<FieldProblem>& errors) {
  std::string out;
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) {
      out += i + 1 == errors.size() ? " und " : ", ";
    }
    out += StrCat("„", errors[i].field, "“");
  }
  return out;
}

// Whom an action is for, in the genitive: "der Bürgerbüros oder der Verwaltung".
std::string KindsOf(std::initializer_list<lotse::v1::ActorKind> kinds) {
  std::vector<std::string> names;
  for (lotse::v1::ActorKind kind : kinds) {
    switch (kind) {
      case lotse::v1::ACTOR_KIND_OFFICE:
        names.emplace_back("der Bürgerbüros");
        break;
      case lotse::v1::ACTOR_KIND_DEPARTMENT:
        names.emplace_back("der Fachämter und Key Account Manager");
        break;
      case lotse::v1::ACTOR_KIND_OPS:
        names.emplace_back("des Betriebs");
        break;
      case lotse::v1::ACTOR_KIND_ADMIN:
        names.emplace_back("der Verwaltung");
        break;
      default:
        break;
    }
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += i + 1 == names.size() ? " oder " : ", ";
    }
    out += names[i];
  }
  return out;
}

// A session id as sessions.h makes them (base64url), and nothing that could carry more into a
// cookie header.
bool IsToken(std::string_view token) {
  return !token.empty() && token.size() <= 128 &&
         std::all_of(token.begin(), token.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

const char* KindName(Value::KindCase kind) {
  switch (kind) {
    case Value::kStringValue:
      return "ein Text";
    case Value::kNumberValue:
      return "eine Zahl";
    case Value::kBoolValue:
      return "ein Wahrheitswert";
    case Value::kStructValue:
      return "ein Objekt";
    case Value::kListValue:
      return "eine Liste";
    default:
      return "null";
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Routes

std::string PathPattern(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      i = path.find('}', i);
      out += "([^/]+)";
    } else if (path[i] == '.') {
      out += "\\.";
    } else {
      out += path[i];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Problems

const std::vector<ProblemType>& ProblemTypes() {
  static const std::vector<ProblemType> kTypes = {
      {"malformed-request", 400, "Anfrage nicht lesbar",
       "Der Körper der Anfrage ist kein JSON-Objekt (oder kein gültiges JSON)."},
      {"unauthenticated", 401, "Anmeldung nötig",
       "Ohne gültige Sitzung: kein Token (Authorization: Bearer), ein unbekannter oder "
       "abgelaufener, oder ein falsches Passwort bei der Anmeldung."},
      {"forbidden", 403, "Nicht erlaubt",
       "Die Rolle, für die Sie handeln, darf das nicht (oder ein Dienst hat es abgelehnt)."},
      {"csrf", 403, "CSRF-Token fehlt",
       "Eine Änderung mit dem Sitzungs-Cookie braucht den Header X-CSRF-Token mit dem Token der "
       "Sitzung."},
      {"not-found", 404, "Nicht gefunden",
       "Was die Adresse nennt, gibt es nicht, oder es ist nicht für Sie bestimmt; beides sieht "
       "gleich aus."},
      {"unknown-path", 404, "Unbekannte Adresse", "Unter dieser Adresse bietet die API nichts an."},
      {"method-not-allowed", 405, "Methode nicht erlaubt",
       "Die Adresse gibt es, aber nicht mit dieser Methode (siehe Allow)."},
      {"conflict", 409, "Im jetzigen Stand nicht möglich",
       "Der Vorgang ist in einem Stand, in dem das nicht geht, es gibt das schon, oder der "
       "Idempotency-Key gehört zu einer anderen Anfrage."},
      {"too-large", 413, "Zu groß", "Die Datei oder der Körper der Anfrage ist zu groß."},
      {"unsupported-media-type", 415, "Kein JSON",
       "Der Körper muss JSON sein (Content-Type: application/json)."},
      {"invalid-input", 422, "Ungültige Angaben",
       "Eine oder mehrere Angaben fehlen oder sind ungültig; `field` und `errors` nennen sie."},
      {"too-many-requests", 429, "Zu viele Versuche",
       "Zu viele Fehlversuche; Retry-After sagt, wie lange zu warten ist."},
      {"internal", 500, "Interner Fehler", "Ein Fehler in Lotse; bitte verständigen Sie die IT."},
      {"unavailable", 503, "Dienst nicht erreichbar",
       "Ein Dienst von Lotse antwortet gerade nicht; Retry-After sagt, wann es sich lohnt, es "
       "erneut zu versuchen."},
  };
  return kTypes;
}

const ProblemType* FindProblemType(std::string_view name) {
  for (const ProblemType& type : ProblemTypes()) {
    if (name == type.name) {
      return &type;
    }
  }
  return nullptr;
}

void SendProblem(const httplib::Request& request, httplib::Response& response,
                 const Problem& problem) {
  const ProblemType* type = FindProblemType(problem.type);
  std::string json =
      StrCat(R"({"type":)", JsonString(StrCat(kProblemBase, problem.type)), R"(,"title":)",
             JsonString(problem.title.empty() && type != nullptr ? type->title : problem.title),
             R"(,"status":)", problem.status, R"(,"detail":)", JsonString(problem.detail),
             R"(,"instance":)", JsonString(request.path));
  if (!problem.field.empty()) {
    json += StrCat(R"(,"field":)", JsonString(problem.field));
  }
  if (!problem.errors.empty()) {
    json += R"(,"errors":[)";
    for (size_t i = 0; i < problem.errors.size(); ++i) {
      json += StrCat(i > 0 ? "," : "", R"({"field":)", JsonString(problem.errors[i].field),
                     R"(,"detail":)", JsonString(problem.errors[i].detail), "}");
    }
    json += "]";
  }
  if (!problem.service_message.empty()) {
    json += StrCat(R"(,"service_message":)", JsonString(problem.service_message));
  }
  json += "}";
  response.status = problem.status;
  if (problem.retry_after_s > 0) {
    response.set_header("Retry-After", std::to_string(problem.retry_after_s));
  }
  if (problem.status == 401) {
    response.set_header("WWW-Authenticate", problem.www_authenticate.empty()
                                                ? std::string(R"(Bearer realm="lotse")")
                                                : problem.www_authenticate);
  }
  response.set_content(json, "application/problem+json");
}

What Doing(std::string action, std::string subject) {
  What what;
  what.action = std::move(action);
  what.subject = std::move(subject);
  return what;
}

What OnReferral(std::string action, std::string ref) {
  What what;
  what.action = std::move(action);
  what.subject = StrCat("die Anfrage „", ref, "“");
  what.ref = std::move(ref);
  return what;
}

Problem ServiceProblem(const Caller* caller, const What& what, const lotse::v1::Error& error) {
  const std::string who = caller != nullptr ? caller->viewer.acts_for : "Sie";
  const std::string action = StrCat("„", what.action, "“", OnRef(what));
  Problem p;
  p.field = error.field();
  p.service_message = error.message();
  const auto invalid = [&](std::string detail) {
    p.status = 422;
    p.type = "invalid-input";
    p.detail = std::move(detail);
    if (!p.field.empty()) {
      p.errors = {{p.field, "Diese Angabe ist ungültig; service_message sagt, warum."}};
    }
  };
  switch (error.code()) {
    case lotse::v1::ERROR_CODE_NOT_FOUND:
      if (p.field.empty() || what.url_fields.count(p.field) > 0) {
        p.status = 404;
        p.type = "not-found";
        p.detail = !what.not_found_detail.empty()
                       ? what.not_found_detail
                       : StrCat(Capitalized(what.subject), " wurde für ", who,
                                " nicht gefunden: Entweder gibt es das nicht, oder es ist nicht "
                                "für Sie bestimmt. Bitte prüfen Sie die Angabe in der Adresse.");
      } else {  // the body names something that does not exist (a topic, a department)
        invalid(!what.not_found_detail.empty()
                    ? what.not_found_detail
                    : StrCat(action, " ist so nicht möglich: Die Angabe „", p.field,
                             "“ nennt etwas, das es in Lotse nicht gibt. Bitte prüfen Sie sie "
                             "(das Verzeichnis: GET /api/v1/directory); es wurde nichts "
                             "geändert."));
      }
      break;
    case lotse::v1::ERROR_CODE_PERMISSION_DENIED:
      p.status = 403;
      p.type = "forbidden";
      p.detail = StrCat(action, " ist für ", who,
                        " nicht erlaubt. Handeln Sie auch für eine andere Stelle, wählen Sie "
                        "diese Rolle (PUT /api/v1/session/role); sonst wenden Sie sich an die "
                        "zuständige Stelle.");
      break;
    case lotse::v1::ERROR_CODE_INVALID_ARGUMENT:
      invalid(StrCat(action, " ist so nicht möglich: ",
                     p.field.empty() ? std::string("Die Angaben sind")
                                     : StrCat("Die Angabe „", p.field, "“ ist"),
                     " ungültig (service_message sagt, warum). Bitte korrigieren Sie das und "
                     "senden Sie erneut; es wurde nichts geändert."));
      break;
    case lotse::v1::ERROR_CODE_ALREADY_EXISTS:
      p.status = 409;
      p.type = "conflict";
      if (p.field.empty()) {  // the idempotency key of another request
        p.field = "idempotency_key";
        p.detail = StrCat(action,
                          ": Dieser Idempotency-Key gehört schon zu einer anderen Anfrage. Für "
                          "einen neuen Vorgang nehmen Sie einen neuen Schlüssel; eine "
                          "Wiederholung senden Sie unverändert. Es wurde nichts geändert.");
      } else {
        p.detail = StrCat(action, ": Das gibt es schon (Angabe „", p.field,
                          "“, service_message sagt, was). Es wurde nichts geändert.");
      }
      break;
    case lotse::v1::ERROR_CODE_FAILED_PRECONDITION:
      p.status = 409;
      p.type = "conflict";
      p.detail =
          StrCat(action,
                 " ist im jetzigen Stand nicht möglich (service_message sagt, warum). "
                 "Bitte laden Sie ",
                 what.ref.empty() ? std::string("die Daten")
                                  : StrCat("die Anfrage (GET /api/v1/referrals/", what.ref, ")"),
                 " neu und prüfen Sie ihren Stand; es wurde nichts geändert.");
      break;
    case lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED:
      if (p.field == "code") {
        p.status = 429;
        p.type = "too-many-requests";
        p.retry_after_s = kRetryAfterWrongCodesS;
        p.detail =
            "Zu viele falsche Rückmeldecodes. Bitte warten Sie 10 Minuten und prüfen Sie den Code "
            "dann anhand der Empfangsbestätigung.";
      } else if (!p.field.empty()) {
        p.status = 413;
        p.type = "too-large";
        p.detail = StrCat(action, ": zu groß (Angabe „", p.field,
                          "“, service_message sagt, wie groß es sein darf). Bitte verkleinern "
                          "Sie die Datei; es wurde nichts geändert.");
      } else {
        p.status = 503;
        p.type = "unavailable";
        p.retry_after_s = 300;
        p.detail = StrCat(action,
                          " ist gerade nicht möglich: Lotse nimmt keine neuen Daten an, weil der "
                          "Speicher fast voll ist. Bitte verständigen Sie die IT.");
      }
      break;
    case lotse::v1::ERROR_CODE_UNAVAILABLE:
      p.status = 503;
      p.type = "unavailable";
      p.retry_after_s = kRetryAfterNoReplyS;
      p.detail = StrCat(action,
                        " ist gerade nicht möglich: Ein Dienst von Lotse ist nicht bereit. Bitte "
                        "versuchen Sie es in einer Minute erneut; hält es an, verständigen Sie "
                        "die IT.");
      break;
    default:
      p.status = 500;
      p.type = "internal";
      p.detail = StrCat(action,
                        " ist fehlgeschlagen: Ein Dienst meldet einen internen Fehler. Bitte "
                        "verständigen Sie die IT und nennen Sie die Uhrzeit.");
      break;
  }
  return p;
}

Problem NoReplyProblem(const What& what) {
  Problem p;
  p.status = 503;
  p.type = "unavailable";
  p.retry_after_s = kRetryAfterNoReplyS;
  p.detail = StrCat("„", what.action, "“", OnRef(what),
                    " ist gerade nicht möglich: Ein Dienst von Lotse antwortet nicht. Bitte "
                    "versuchen Sie es in einer Minute erneut; hält es an, verständigen Sie die "
                    "IT.");
  return p;
}

void SendNoReply(const httplib::Request& request, httplib::Response& response, const Caller* caller,
                 const What& what, const absl::Status& status) {
  spdlog::error("API {} {} for '{}': {}", request.method, request.path,
                caller != nullptr ? caller->account.login() : "(no login)", status.message());
  SendProblem(request, response, NoReplyProblem(what));
}

void SendOtherResult(const httplib::Request& request, httplib::Response& response, const What& what,
                     int result, int expected) {
  spdlog::error(
      "API {} {}: the service answered with result {}, not {}: are lotse-web and the "
      "services of one version?",
      request.method, request.path, result, expected);
  Problem p;
  p.status = 500;
  p.type = "internal";
  p.detail = StrCat("„", what.action, "“", OnRef(what),
                    " ist fehlgeschlagen: Ein Dienst antwortet mit etwas anderem als erwartet "
                    "(verschiedene Versionen?). Bitte verständigen Sie die IT.");
  SendProblem(request, response, p);
}

// ---------------------------------------------------------------------------------------------
// Callers

std::optional<Caller> ApiCaller(Site& site, const httplib::Request& request,
                                httplib::Response& response, const What& what,
                                std::initializer_list<lotse::v1::ActorKind> kinds) {
  std::optional<Caller> caller;
  if (request.has_header("Authorization")) {
    const std::string header = request.get_header_value("Authorization");
    std::string token;
    if (header.size() > 7 && absl::EqualsIgnoreCase(header.substr(0, 7), "Bearer ")) {
      token = std::string(absl::StripAsciiWhitespace(header.substr(7)));
    }
    if (IsToken(token)) {
      // The token is the session's id, which the cookie carries otherwise: one check for both.
      httplib::Request by_token;
      by_token.set_header("Cookie", StrCat(kSessionCookie, "=", token));
      caller = site.CallerOf(by_token);
    }
    if (!caller.has_value()) {
      Problem p;
      p.status = 401;
      p.type = "unauthenticated";
      p.detail =
          "Dieser Token gilt nicht (mehr): Die Sitzung ist abgelaufen oder beendet, oder der "
          "Header ist nicht „Authorization: Bearer <token>“. Bitte melden Sie sich neu an "
          "(POST /api/v1/session).";
      p.www_authenticate = R"(Bearer realm="lotse", error="invalid_token")";
      SendProblem(request, response, p);
      return std::nullopt;
    }
  } else {
    caller = site.CallerOf(request);
    if (!caller.has_value()) {
      Problem p;
      p.status = 401;
      p.type = "unauthenticated";
      p.detail = StrCat("„", what.action,
                        "“ braucht eine Anmeldung: POST /api/v1/session gibt einen Token, den "
                        "jeder Aufruf als „Authorization: Bearer <token>“ mitschickt.");
      SendProblem(request, response, p);
      return std::nullopt;
    }
    const bool changing = request.method != "GET" && request.method != "HEAD";
    if (changing && !CsrfMatches(caller->session, request.get_header_value("X-CSRF-Token"))) {
      spdlog::warn("API {} {} for '{}' with the session cookie but without its CSRF token",
                   request.method, request.path, caller->account.login());
      Problem p;
      p.status = 403;
      p.type = "csrf";
      p.detail =
          "Eine Änderung mit dem Sitzungs-Cookie braucht den Header X-CSRF-Token mit dem "
          "CSRF-Token der Sitzung (GET /api/v1/session nennt ihn). Es wurde nichts geändert.";
      SendProblem(request, response, p);
      return std::nullopt;
    }
  }
  if (kinds.size() > 0 &&
      std::find(kinds.begin(), kinds.end(), caller->role.kind()) == kinds.end()) {
    Problem p;
    p.status = 403;
    p.type = "forbidden";
    p.detail = StrCat("„", what.action, "“", OnRef(what), " ist Sache ", KindsOf(kinds),
                      "; Sie handeln für ", caller->viewer.acts_for,
                      ". Hat Ihr Konto eine passende Rolle, wählen Sie sie mit PUT "
                      "/api/v1/session/role. Es wurde nichts geändert.");
    SendProblem(request, response, p);
    return std::nullopt;
  }
  return caller;
}

lotse::v1::Actor ActorOf(const Caller& caller) {
  lotse::v1::Actor actor = caller.Actor();
  if (actor.user().empty()) {
    actor.set_user(caller.User());
  }
  return actor;
}

// ---------------------------------------------------------------------------------------------
// Request bodies

JsonBody::JsonBody(std::shared_ptr<const Struct> root, const Struct* object, std::string prefix,
                   std::shared_ptr<Shared> shared)
    : root_(std::move(root)),
      object_(object),
      prefix_(std::move(prefix)),
      shared_(std::move(shared)) {}

std::optional<JsonBody> JsonBody::FromText(std::string_view json, std::string* error) {
  auto root = std::make_shared<Struct>();
  if (!absl::StripAsciiWhitespace(absl::string_view(json.data(), json.size())).empty()) {
    google::protobuf::util::JsonParseOptions options;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(json.data(), json.size()), root.get(), options);
    if (!status.ok()) {
      *error = std::string(status.message());
      return std::nullopt;
    }
  }
  const Struct* object = root.get();
  return JsonBody(std::move(root), object, "", std::make_shared<Shared>());
}

std::optional<JsonBody> JsonBody::Parse(const httplib::Request& request,
                                        httplib::Response& response) {
  const std::string type = absl::AsciiStrToLower(request.get_header_value("Content-Type"));
  const std::string_view media = std::string_view(type).substr(0, type.find(';'));
  if (!request.body.empty() && !media.empty() && media != "application/json" &&
      !media.ends_with("+json")) {
    Problem p;
    p.status = 415;
    p.type = "unsupported-media-type";
    p.detail = StrCat("Der Körper ist „", media,
                      "“; diese Adresse nimmt JSON (Content-Type: application/json).");
    SendProblem(request, response, p);
    return std::nullopt;
  }
  std::string error;
  std::optional<JsonBody> body = FromText(request.body, &error);
  if (!body.has_value()) {
    Problem p;
    p.status = 400;
    p.type = "malformed-request";
    p.detail = StrCat(
        "Der Körper der Anfrage ist kein gültiges JSON-Objekt (", error,
        "). Bitte senden Sie ein Objekt wie {\"feld\": \"wert\"}; es wurde nichts geändert.");
    SendProblem(request, response, p);
  }
  return body;
}

const Value* JsonBody::Find(const std::string& name) {
  shared_->asked.insert(Full(name));
  const auto it = object_->fields().find(name);
  return it == object_->fields().end() ? nullptr : &it->second;
}

bool JsonBody::Has(const std::string& name) const {
  return object_->fields().find(name) != object_->fields().end();
}

void JsonBody::Fail(const std::string& name, std::string detail) {
  shared_->errors.push_back({Full(name), std::move(detail)});
}

std::string JsonBody::String(const std::string& name, bool required) {
  const Value* v = Find(name);
  if (v == nullptr || v->kind_case() == Value::kNullValue) {
    if (required) {
      Fail(name, StrCat("„", Full(name), "“ fehlt; bitte geben Sie es an."));
    }
    return "";
  }
  if (v->kind_case() != Value::kStringValue) {
    Fail(name,
         StrCat("„", Full(name), "“ muss ein Text sein, nicht ", KindName(v->kind_case()), "."));
    return "";
  }
  if (required && absl::StripAsciiWhitespace(v->string_value()).empty()) {
    Fail(name, StrCat("„", Full(name), "“ ist leer; bitte geben Sie es an."));
  }
  return v->string_value();
}

int64_t JsonBody::Int(const std::string& name, int64_t min, int64_t max, bool required,
                      int64_t fallback) {
  const Value* v = Find(name);
  if (v == nullptr || v->kind_case() == Value::kNullValue) {
    if (required) {
      Fail(name, StrCat("„", Full(name), "“ fehlt: eine ganze Zahl von ", min, " bis ", max, "."));
    }
    return fallback;
  }
  const double d = v->number_value();
  if (v->kind_case() != Value::kNumberValue || std::floor(d) != d || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    Fail(name, StrCat("„", Full(name), "“ muss eine ganze Zahl von ", min, " bis ", max, " sein."));
    return fallback;
  }
  return static_cast<int64_t>(d);
}

bool JsonBody::Bool(const std::string& name, bool required, bool fallback) {
  const Value* v = Find(name);
  if (v == nullptr || v->kind_case() == Value::kNullValue) {
    if (required) {
      Fail(name, StrCat("„", Full(name), "“ fehlt: true oder false."));
    }
    return fallback;
  }
  if (v->kind_case() != Value::kBoolValue) {
    Fail(name, StrCat("„", Full(name), "“ muss true oder false sein, nicht ",
                      KindName(v->kind_case()), "."));
    return fallback;
  }
  return v->bool_value();
}

std::vector<std::string> JsonBody::Strings(const std::string& name, bool required) {
  const Value* v = Find(name);
  std::vector<std::string> out;
  if (v == nullptr || v->kind_case() == Value::kNullValue) {
    if (required) {
      Fail(name, StrCat("„", Full(name), "“ fehlt: eine Liste von Texten."));
    }
    return out;
  }
  bool ok = v->kind_case() == Value::kListValue;
  if (ok) {
    for (const Value& item : v->list_value().values()) {
      ok = ok && item.kind_case() == Value::kStringValue;
      if (ok) {
        out.push_back(item.string_value());
      }
    }
  }
  if (!ok) {
    Fail(name, StrCat("„", Full(name), "“ muss eine Liste von Texten sein."));
    return {};
  }
  if (required && out.empty()) {
    Fail(name, StrCat("„", Full(name), "“ ist leer; bitte nennen Sie mindestens einen Eintrag."));
  }
  return out;
}

JsonBody JsonBody::Object(const std::string& name) {
  static const Struct kEmpty;
  const Value* v = Find(name);
  if (v != nullptr && v->kind_case() == Value::kStructValue) {
    shared_->objects.insert(Full(name));
    return JsonBody(root_, &v->struct_value(), Full(name) + ".", shared_);
  }
  if (v != nullptr && v->kind_case() != Value::kNullValue) {
    Fail(name,
         StrCat("„", Full(name), "“ muss ein Objekt sein, nicht ", KindName(v->kind_case()), "."));
  }
  return JsonBody(root_, &kEmpty, Full(name) + ".", shared_);
}

void JsonBody::AddUnknown(const Struct& object, const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& [name, value] : object.fields()) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string full = prefix + name;
    if (shared_->asked.count(full) == 0) {
      std::string known;
      for (const std::string& asked : shared_->asked) {
        if (asked.starts_with(prefix) && asked.find('.', prefix.size()) == std::string::npos) {
          known += StrCat(known.empty() ? "" : ", ", asked.substr(prefix.size()));
        }
      }
      shared_->errors.push_back(
          {full, StrCat("„", full, "“ gibt es hier nicht; bitte prüfen Sie die Schreibweise",
                        known.empty() ? std::string(" (hier gibt es keine Felder)")
                                      : StrCat(" (erlaubt: ", known, ")"),
                        ".")});
    } else if (shared_->objects.count(full) > 0) {
      AddUnknown(object.fields().at(name).struct_value(), full + ".");
    }
  }
}

bool JsonBody::Check(const httplib::Request& request, httplib::Response& response,
                     const What& what) {
  AddUnknown(*root_, "");
  return CheckQuery(request, response, what, shared_->errors);
}

std::string IdempotencyKey(const httplib::Request& request, JsonBody& body) {
  const std::string header = request.get_header_value("Idempotency-Key");
  const std::string in_body = body.String("idempotency_key");
  if (!header.empty() && !in_body.empty() && header != in_body) {
    body.Fail("idempotency_key",
              "„idempotency_key“ ist ein anderer als im Header Idempotency-Key; bitte geben Sie "
              "den Schlüssel nur einmal an.");
  }
  return header.empty() ? in_body : header;
}

// ---------------------------------------------------------------------------------------------
// Query parameters

std::string Query(const httplib::Request& request, const char* name) {
  return request.get_param_value(name);
}

uint64_t QueryUint(const httplib::Request& request, const char* name, uint64_t max,
                   std::vector<FieldProblem>& errors) {
  if (!request.has_param(name)) {
    return 0;
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(request.get_param_value(name), &value) || value > max) {
    errors.push_back({name, StrCat("Der Parameter „", name, "“ muss eine ganze Zahl von 0 bis ",
                                   max, " sein.")});
    return 0;
  }
  return value;
}

bool QueryBool(const httplib::Request& request, const char* name,
               std::vector<FieldProblem>& errors) {
  const std::string value = request.get_param_value(name);
  if (value == "true" || value == "1") {
    return true;
  }
  if (value.empty() || value == "false" || value == "0") {
    return false;
  }
  errors.push_back({name, StrCat("Der Parameter „", name, "“ muss true oder false sein.")});
  return false;
}

bool CheckQuery(const httplib::Request& request, httplib::Response& response, const What& what,
                const std::vector<FieldProblem>& errors) {
  if (errors.empty()) {
    return true;
  }
  Problem p;
  p.status = 422;
  p.type = "invalid-input";
  p.field = errors.front().field;
  p.errors = errors;
  p.detail =
      StrCat("„", what.action, "“", OnRef(what), " ist so nicht möglich: Bitte korrigieren Sie ",
             errors.size() == 1 ? "die Angabe " : "die Angaben ", FieldList(errors),
             " (errors sagt, was daran nicht stimmt); es wurde nichts geändert.");
  SendProblem(request, response, p);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Answers

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  size_t at = 0;
  while (at < text.size()) {
    const size_t start = at;
    const int32_t cp = NextCodePoint(text, &at);
    if (cp < 0) {
      out += "\\ufffd";
    } else if (cp == '"') {
      out += "\\\"";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029 || cp == '<' || cp == '>' ||
               cp == '&') {
      out += fmt::format("\\u{:04x}", cp);
    } else {
      out.append(text.substr(start, at - start));
    }
  }
  out += "\"";
  return out;
}

void SendJson(httplib::Response& response, int status, const std::string& json) {
  response.status = status;
  response.set_content(json, "application/json");
}

void SendResult(httplib::Response& response, int status, const google::protobuf::Message& result) {
  absl::StatusOr<std::string> json = client::ToJson(result);
  if (!json.ok()) {  // cannot happen for our messages; say so rather than send half a document
    spdlog::error("API: {}", json.status().message());
    SendJson(response, 500, R"({"title":"Interner Fehler","status":500})");
    return;
  }
  SendJson(response, status, *json);
}

// ---------------------------------------------------------------------------------------------
// Bytes

bool IsUtf8(std::string_view text) {
  size_t at = 0;
  while (at < text.size()) {
    if (NextCodePoint(text, &at) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace lotse::web::api
