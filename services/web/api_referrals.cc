// The JSON API's actions on one referral (/api/v1/referrals...): the office submits, reads
// intake's view, rates the answer, asks a follow-up question and prints the receipt; a
// department or key account manager reads routing's record and claims, unclaims, forwards,
// consults, contributes, asks the company and answers; both attach documents and enter the
// company's reply; everyone whom the services let reads the history. Each request is built by
// common/client/requests.h and acts as the caller's role (api.cc says more).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "common/client/requests.h"
#include "common/client/words.h"
#include "common/format.h"
#include "services/web/api_support.h"
#include "services/web/attachments.h"
#include "services/web/html.h"
#include "services/web/site.h"

namespace lotse::web::api {
namespace {

using lotse::v1::ActorKind;
using lotse::v1::IntakeReply;
using lotse::v1::RoutingReply;
constexpr ActorKind kOffice = lotse::v1::ACTOR_KIND_OFFICE;
constexpr ActorKind kDesk = lotse::v1::ACTOR_KIND_DEPARTMENT;
constexpr ActorKind kAdmin = lotse::v1::ACTOR_KIND_ADMIN;

// More than intake keeps of one referral (50 MiB): a download that grows beyond is broken.
constexpr uint64_t kMostDownloadBytes = uint64_t{64} << 20;

// The caller, as ApiCaller, of a request about the referral in the path's first segment, which
// must be text a service can take (UTF-8).
std::optional<Caller> RefCaller(Site& site, const httplib::Request& request,
                                httplib::Response& response, const What& what,
                                std::initializer_list<ActorKind> kinds = {}) {
  std::optional<Caller> caller = ApiCaller(site, request, response, what, kinds);
  if (caller.has_value() && !IsUtf8(what.ref)) {
    CheckQuery(request, response, what,
               {{"ref", "Das Aktenzeichen in der Adresse ist kein gültiger Text (UTF-8)."}});
    return std::nullopt;
  }
  return caller;
}

// The office of an office caller, the department (or KAM) of a desk caller.
std::string OfficeOf(const Caller& caller) { return caller.IsOffice() ? caller.role.id() : ""; }
std::string DepartmentOf(const Caller& caller) { return caller.IsDesk() ? caller.role.id() : ""; }

// The reply type Client::Call gives for a request type (IntakeRequest -> IntakeReply).
template <typename Request>
using ReplyTo =
    typename decltype(std::declval<client::Client&>().Call(std::declval<Request>()))::value_type;

// Sends `call` acting as `caller` and answers with its result `expected` (`status`), the JSON
// `lotse --json` prints for it.
template <typename Request, typename Reply = ReplyTo<Request>>
void CallAndSend(Site& site, const httplib::Request& request, httplib::Response& response,
                 const Caller& caller, const What& what, Request call,
                 typename Reply::ResultCase expected, int status = 200) {
  *call.mutable_actor() = ActorOf(caller);
  absl::StatusOr<Reply> reply = site.services().Call(std::move(call));
  if (!Answered(request, response, &caller, what, reply, expected)) {
    return;
  }
  const google::protobuf::Reflection* reflection = reply->GetReflection();
  const google::protobuf::FieldDescriptor* field =
      reply->GetDescriptor()->FindFieldByNumber(static_cast<int>(expected));
  SendResult(response, status, reflection->GetMessage(*reply, field));
}

// ---------------------------------------------------------------------------------------------
// The office's side

void Submit(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = Doing("Anfrage stellen");
  std::optional<Caller> caller = ApiCaller(site, request, response, what, {kOffice});
  if (!caller.has_value()) {
    return;
  }
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  client::SubmitArgs args;
  args.office = caller->role.id();
  args.company_id = body->String("company_id", true);
  args.company_name = body->String("company_name", true);
  args.employees = static_cast<uint32_t>(body->Int("employees", 0, UINT32_MAX));
  JsonBody contact = body->Object("contact");
  args.contact_name = contact.String("name");
  args.contact_email = contact.String("email");
  args.contact_phone = contact.String("phone");
  args.consent_email = contact.Bool("consent_email");
  args.topic = body->String("topic", true);
  args.subject = body->String("subject", true);
  args.text = body->String("text", true);
  const std::string priority = body->String("priority");
  if (!priority.empty() && !client::ParsePriority(priority).has_value()) {
    body->Fail("priority", "„priority“ muss low, normal, high oder urgent sein.");
  }
  args.priority = priority.empty() ? "normal" : priority;
  args.key = IdempotencyKey(request, *body);
  if (!body->Check(request, response, what)) {
    return;
  }
  lotse::v1::IntakeRequest call = client::SubmitRequest(args);
  *call.mutable_actor() = ActorOf(*caller);
  absl::StatusOr<IntakeReply> reply = site.services().Call(call);
  if (Answered(request, response, &*caller, what, reply, IntakeReply::kSubmitted)) {
    response.set_header("Location", StrCat("/api/v1/referrals/", reply->submitted().referral_id()));
    SendResult(response, 201, reply->submitted());
  }
}

// The office reads intake's view of its referral; a department, KAM, ops or admin routing's.
void Get(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Anfrage lesen", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what);
  if (!caller.has_value()) {
    return;
  }
  if (caller->IsOffice()) {
    CallAndSend(site, request, response, *caller, what,
                client::OfficeReferralRequest(what.ref, caller->role.id()), IntakeReply::kReferral);
  } else {
    CallAndSend(site, request, response, *caller, what,
                client::DepartmentReferralRequest(what.ref, DepartmentOf(*caller)),
                RoutingReply::kReferral);
  }
}

void Feedback(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Rückmeldung geben", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kOffice});
  if (!caller.has_value()) {
    return;
  }
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  client::FeedbackArgs args;
  args.ref = what.ref;
  args.office = caller->role.id();
  args.rating = static_cast<int>(body->Int("rating", 1, 5, true));
  args.resolved = body->Bool("resolved", true) ? "yes" : "no";
  args.comment = body->String("comment");
  args.key = IdempotencyKey(request, *body);
  if (body->Check(request, response, what)) {
    CallAndSend(site, request, response, *caller, what, client::FeedbackRequest(args),
                IntakeReply::kReferral);
  }
}

void FollowUp(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Nachfrage stellen", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kOffice});
  if (!caller.has_value()) {
    return;
  }
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  const std::string text = body->String("text", true);
  const std::string key = IdempotencyKey(request, *body);
  if (body->Check(request, response, what)) {
    CallAndSend(site, request, response, *caller, what,
                client::FollowUpRequest(what.ref, caller->role.id(), text, key),
                IntakeReply::kReferral);
  }
}

void Receipt(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Empfangsbestätigung laden", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kOffice, kAdmin});
  if (caller.has_value()) {
    CallAndSend(site, request, response, *caller, what,
                client::ReceiptRequest(what.ref, OfficeOf(*caller)), IntakeReply::kReceipt);
  }
}

void History(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Verlauf laden", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what);
  if (!caller.has_value()) {
    return;
  }
  std::vector<FieldProblem> errors;
  const uint64_t after = QueryUint(request, "after", UINT64_MAX, errors);
  if (!CheckQuery(request, response, what, errors)) {
    return;
  }
  client::HistoryArgs args;
  args.ref = what.ref;
  args.office = OfficeOf(*caller);
  args.department = DepartmentOf(*caller);
  lotse::v1::AuditRequest call = client::HistoryRequest(args);
  call.mutable_history()->set_after_index(after);
  CallAndSend(site, request, response, *caller, what, call, lotse::v1::AuditReply::kHistory);
}

// ---------------------------------------------------------------------------------------------
// Attachments

void Attachments(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Anhänge auflisten", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kOffice, kDesk, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  client::AttachmentArgs args;  // no name: the list
  args.ref = what.ref;
  args.office = OfficeOf(*caller);
  args.department = DepartmentOf(*caller);
  CallAndSend(site, request, response, *caller, what, client::AttachmentRequest(args),
              IntakeReply::kAttachment);
}

// A JSON body ({"name", "data": base64, and for one chunk of a larger upload "size", "sha256",
// "offset"}) or the file's bytes themselves with ?name=. A whole file goes to intake in chunks
// of 512 KiB under one idempotency key, as `lotse attach` sends it.
void Attach(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Anhang hochladen", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kOffice, kDesk, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  const std::string type = absl::AsciiStrToLower(request.get_header_value("Content-Type"));
  const std::string_view media = std::string_view(type).substr(0, type.find(';'));
  const bool json = media == "application/json" || media.ends_with("+json");
  client::AttachArgs args;
  args.ref = what.ref;
  args.office = OfficeOf(*caller);
  args.department = DepartmentOf(*caller);
  bool one_chunk = false;
  if (json) {
    std::optional<JsonBody> body = JsonBody::Parse(request, response);
    if (!body.has_value()) {
      return;
    }
    args.name = body->String("name", true);
    if (!absl::Base64Unescape(body->String("data", true), &args.data)) {
      body->Fail("data", "„data“ muss die Bytes der Datei in Base64 sein.");
    }
    one_chunk = body->Has("offset") || body->Has("size") || body->Has("sha256");
    args.offset = static_cast<uint64_t>(body->Int("offset", 0, INT64_MAX, false));
    args.size = static_cast<uint64_t>(body->Int("size", 0, INT64_MAX, one_chunk));
    args.sha256 = body->String("sha256", one_chunk);
    args.key = IdempotencyKey(request, *body);
    if (!body->Check(request, response, what)) {
      return;
    }
  } else {
    args.name = Query(request, "name");
    if (args.name.empty()) {
      CheckQuery(request, response, what,
                 {{"name",
                   "Bitte nennen Sie den Namen der Datei mit ?name=… (oder senden Sie "
                   "JSON mit „name“ und „data“)."}});
      return;
    }
    args.data = request.body;
    args.key = request.get_header_value("Idempotency-Key");
  }
  absl::StatusOr<IntakeReply> reply;
  if (one_chunk) {
    lotse::v1::IntakeRequest call = client::AttachRequest(args);
    *call.mutable_actor() = ActorOf(*caller);
    reply = site.services().Call(call);
  } else {  // a whole file, in chunks under one key (a random one without)
    const std::string content = std::move(args.data);
    reply = AttachFile(site, *caller, std::move(args), content);
  }
  if (!Answered(request, response, &*caller, what, reply, IntakeReply::kAttached)) {
    return;
  }
  SendResult(response, reply->attached().complete() ? 201 : 200, reply->attached());
}

// The attachment's bytes, read in chunks and checked against its size and SHA-256.
void Download(Site& site, const httplib::Request& request, httplib::Response& response) {
  What what = OnReferral("Anhang laden", request.matches[1].str());
  const std::string name = request.matches[2].str();
  what.subject = StrCat("der Anhang „", name, "“ der Anfrage „", what.ref, "“");
  what.url_fields = {"ref", "name"};
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kOffice, kDesk, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  client::AttachmentArgs args;
  args.ref = what.ref;
  args.office = OfficeOf(*caller);
  args.department = DepartmentOf(*caller);
  args.name = name;
  std::string content;
  lotse::v1::AttachmentRef attachment;
  while (true) {
    args.offset = content.size();
    lotse::v1::IntakeRequest call = client::AttachmentRequest(args);
    *call.mutable_actor() = ActorOf(*caller);
    absl::StatusOr<IntakeReply> reply = site.services().Call(call);
    if (!Answered(request, response, &*caller, what, reply, IntakeReply::kAttachment)) {
      return;
    }
    attachment = reply->attachment().attachment();
    content += reply->attachment().data();
    if (content.size() >= attachment.size() || reply->attachment().data().empty() ||
        content.size() > kMostDownloadBytes) {
      break;
    }
  }
  if (content.size() != attachment.size() || Sha256Hex(content) != attachment.sha256()) {
    Problem p;
    p.status = 500;
    p.type = "internal";
    p.detail = StrCat("Die empfangenen Bytes von „", attachment.name(),
                      "“ passen nicht zu Größe und SHA-256 des Anhangs. Bitte versuchen Sie es "
                      "erneut; hält es an, verständigen Sie die IT.");
    SendProblem(request, response, p);
    return;
  }
  // RFC 8187: the name as UTF-8, percent-encoded.
  response.set_header("Content-Disposition",
                      StrCat("attachment; filename*=UTF-8''", UrlEncode(attachment.name())));
  response.set_header("ETag", StrCat("\"", attachment.sha256(), "\""));
  response.status = 200;
  response.set_content(content, "application/octet-stream");
}

// ---------------------------------------------------------------------------------------------
// The department's (or key account manager's) side

const char* ActionOf(client::Change change) {
  switch (change) {
    case client::Change::kClaim:
      return "Anfrage übernehmen";
    case client::Change::kUnclaim:
      return "Anfrage zurückgeben";
    case client::Change::kForward:
      return "Anfrage weiterleiten";
    case client::Change::kConsult:
      return "Fachämter beteiligen";
    case client::Change::kContribute:
      return "Beitrag geben";
    case client::Change::kAnswer:
      return "Anfrage beantworten";
  }
  return "";
}

template <client::Change kChange>
void Change(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral(ActionOf(kChange), request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kDesk});
  if (!caller.has_value()) {
    return;
  }
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  client::ChangeArgs args;
  args.ref = what.ref;
  args.department = caller->role.id();
  args.user = caller->User();
  switch (kChange) {
    case client::Change::kClaim:
    case client::Change::kUnclaim:
      break;
    case client::Change::kForward:
      args.to = body->String("to", true);
      args.reason = body->String("reason", true);
      break;
    case client::Change::kConsult: {
      args.with = body->Strings("departments", true);
      args.question = body->String("question", true);
      args.due = body->String("due");
      absl::Time due;
      std::string error;
      if (!args.due.empty()) {
        if (absl::ParseTime(absl::RFC3339_full, args.due, &due, &error)) {
          args.due_at_us = absl::ToUnixMicros(due);
        } else {
          body->Fail("due",
                     "„due“ muss eine Zeit nach RFC 3339 sein, z. B. 2026-03-04T09:00:00+01:00.");
        }
      }
      break;
    }
    case client::Change::kContribute:
      args.text = body->String("text", true);
      break;
    case client::Change::kAnswer:
      args.text = body->String("text", true);
      args.outcome = body->String("outcome", true);
      if (!args.outcome.empty() && !client::ParseOutcome(args.outcome).has_value()) {
        body->Fail("outcome", "„outcome“ muss resolved, partly oder not-responsible sein.");
      }
      args.confirm = body->Bool("confirm_open_consultations");
      break;
  }
  args.key = IdempotencyKey(request, *body);
  if (body->Check(request, response, what)) {
    CallAndSend(site, request, response, *caller, what, client::ChangeRequest(kChange, args),
                RoutingReply::kReferral);
  }
}

void Similar(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Ähnliche Antworten suchen", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kDesk, kAdmin});
  if (!caller.has_value()) {
    return;
  }
  std::vector<FieldProblem> errors;
  client::SimilarArgs args;
  args.ref = what.ref;
  args.department = DepartmentOf(*caller);
  args.user = caller->User();
  args.limit = static_cast<uint32_t>(QueryUint(request, "limit", 20, errors));
  if (CheckQuery(request, response, what, errors)) {
    CallAndSend(site, request, response, *caller, what, client::SimilarRequest(args),
                RoutingReply::kSimilar);
  }
}

void AskCompany(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Rückfrage an das Unternehmen", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kDesk});
  if (!caller.has_value()) {
    return;
  }
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  client::AskCompanyArgs args;
  args.ref = what.ref;
  args.department = caller->role.id();
  args.user = caller->User();
  args.question = body->String("question", true);
  args.key = IdempotencyKey(request, *body);
  if (body->Check(request, response, what)) {
    CallAndSend(site, request, response, *caller, what, client::AskCompanyRequest(args),
                RoutingReply::kReferral);
  }
}

void CompanyReplied(Site& site, const httplib::Request& request, httplib::Response& response) {
  const What what = OnReferral("Antwort des Unternehmens eintragen", request.matches[1].str());
  std::optional<Caller> caller = RefCaller(site, request, response, what, {kOffice, kDesk});
  if (!caller.has_value()) {
    return;
  }
  std::optional<JsonBody> body = JsonBody::Parse(request, response);
  if (!body.has_value()) {
    return;
  }
  client::CompanyRepliedArgs args;
  args.ref = what.ref;
  args.office = OfficeOf(*caller);
  args.department = DepartmentOf(*caller);
  args.user = caller->IsDesk() ? caller->User() : "";
  args.text = body->String("text", true);
  args.key = IdempotencyKey(request, *body);
  if (body->Check(request, response, what)) {
    CallAndSend(site, request, response, *caller, what, client::CompanyRepliedRequest(args),
                RoutingReply::kReferral);
  }
}

}  // namespace

std::vector<Route> ReferralRoutes() {
  return {
      {"POST", "/api/v1/referrals", Submit},
      {"GET", "/api/v1/referrals/{ref}", Get},
      {"POST", "/api/v1/referrals/{ref}/feedback", Feedback},
      {"POST", "/api/v1/referrals/{ref}/follow-up", FollowUp},
      {"GET", "/api/v1/referrals/{ref}/receipt", Receipt},
      {"GET", "/api/v1/referrals/{ref}/history", History},
      {"GET", "/api/v1/referrals/{ref}/attachments", Attachments},
      {"POST", "/api/v1/referrals/{ref}/attachments", Attach},
      {"GET", "/api/v1/referrals/{ref}/attachments/{name}", Download},
      {"POST", "/api/v1/referrals/{ref}/claim", Change<client::Change::kClaim>},
      {"POST", "/api/v1/referrals/{ref}/unclaim", Change<client::Change::kUnclaim>},
      {"POST", "/api/v1/referrals/{ref}/forward", Change<client::Change::kForward>},
      {"POST", "/api/v1/referrals/{ref}/consult", Change<client::Change::kConsult>},
      {"POST", "/api/v1/referrals/{ref}/contribute", Change<client::Change::kContribute>},
      {"POST", "/api/v1/referrals/{ref}/answer", Change<client::Change::kAnswer>},
      {"GET", "/api/v1/referrals/{ref}/similar", Similar},
      {"POST", "/api/v1/referrals/{ref}/ask-company", AskCompany},
      {"POST", "/api/v1/referrals/{ref}/company-replied", CompanyReplied},
  };
}

}  // namespace lotse::web::api
