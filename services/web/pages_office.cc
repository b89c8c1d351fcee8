// The citizen office's pages: a company's question in a minute and its receipt, the office's
// referrals with their answers, the office's rating and follow-up question, and the company's
// own feedback page behind the receipt's code.
//
//   GET  /anfragen/neu                 the form (office)
//   POST /anfragen/neu                 schritt=pruefen: the company's earlier referrals, the form
//                                      again as typed; else submits (one referral per form:
//                                      its hidden key makes a double submit the same one) and
//                                      attaches its files (`anhang`, multipart; each once)
//   GET  /anfragen/<ref>/bestaetigung  the receipt, printable on one A4 page
//   GET  /anfragen                     the office's referrals with filters and pages (intake)
//   GET  /anfragen/<ref>               the referral: question, attachments, answer, questions
//                                      back, history
//   POST /anfragen/<ref>/anhaenge      more files for the referral (`anhang`, multipart)
//   POST /anfragen/<ref>/rueckmeldung  the office's rating (closes the referral)
//   POST /anfragen/<ref>/nachfrage     a follow-up question on the answer
//   POST /anfragen/<ref>/unternehmen-antwort   the company's reply to a question back
//   GET, POST /rueckmeldung            the company's own rating with its code (no login)
//
// Another office's referral is "not found", exactly as one that does not exist.

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/client/requests.h"
#include "common/client/words.h"
#include "common/format.h"
#include "common/receipt/receipt.h"
#include "services/web/attachments.h"
#include "services/web/history.h"
#include "services/web/site.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace {

using lotse::v1::ACTOR_KIND_OFFICE;

const char* const kSubmitFields[] = {
    "company_id",    "company_name", "employees", "contact_name", "contact_email", "contact_phone",
    "consent_email", "topic",        "subject",   "text",         "priority",      "key"};

// The form field a service's error names ("contact.email" is the form's "contact_email").
std::string FormField(std::string field) {
  std::replace(field.begin(), field.end(), '.', '_');
  if (field.starts_with("referral_")) {
    field.erase(0, 9);
  }
  return field;
}

// What the office must fix before the form goes to intake, in German, next to each field.
void CheckSubmitForm(const config::Config& config, Form& form) {
  auto required = [&](const char* name, const char* what) {
    if (form.Value(name).empty()) {
      form.errors[name] = StrCat("Bitte geben Sie ", what, " an.");
    }
  };
  auto at_most = [&](const char* name, size_t bytes) {
    if (form.Value(name).size() > bytes && form.Error(name).empty()) {
      form.errors[name] = StrCat("Höchstens ", bytes, " Zeichen, bitte kürzen.");
    }
  };
  required("company_id", "die Unternehmensnummer");
  required("company_name", "den Namen des Unternehmens");
  required("subject", "einen Betreff");
  required("text", "die Frage des Unternehmens");
  at_most("company_id", 64);
  at_most("company_name", 200);
  at_most("contact_name", 200);
  at_most("contact_email", 200);
  at_most("contact_phone", 50);
  at_most("subject", config.limits.max_subject_bytes);
  at_most("text", config.limits.max_text_bytes);
  if (config.FindTopic(form.Value("topic")) == nullptr) {
    form.errors["topic"] = "Bitte wählen Sie das Anliegen aus der Liste.";
  }
  const std::string& email = form.Value("contact_email");
  if (!email.empty() &&
      (email.find('@') == std::string::npos || email.find(' ') != std::string::npos)) {
    form.errors["contact_email"] = "Das ist keine E-Mail-Adresse (name@beispiel.de).";
  }
  if (form.Value("consent_email") == "ja" && email.empty()) {
    form.errors["contact_email"] =
        "Für die Antwort per E-Mail braucht es die E-Mail-Adresse der Ansprechperson.";
  }
  uint32_t employees = 0;
  if (!form.Value("employees").empty() && !absl::SimpleAtoi(form.Value("employees"), &employees)) {
    form.errors["employees"] = "Bitte eine ganze Zahl (oder leer lassen).";
  }
  if (!client::ParsePriority(form.Value("priority")).has_value()) {
    form.errors["priority"] = "Bitte wählen Sie eine Dringlichkeit aus der Liste.";
  }
}

std::vector<std::pair<std::string, std::string>> TopicOptions(const config::Config& config) {
  std::vector<std::pair<std::string, std::string>> options = {{"", "– bitte wählen –"}};
  for (const config::Topic& t : config.topics) {
    const config::Department* d = config.FindDepartment(t.department);
    options.emplace_back(t.id, StrCat(t.name, " → ", d != nullptr ? d->name : t.department));
  }
  return options;
}

// The company's earlier referrals as the office may see them (routing's company file).
std::string EarlierReferrals(Site& site, const Caller& caller, const std::string& company_id) {
  if (company_id.empty()) {
    return "";
  }
  client::CompanyArgs args;
  args.company_id = company_id;
  args.office = caller.role.id();
  absl::StatusOr<lotse::v1::RoutingReply> reply = site.Call(caller, client::CompanyRequest(args));
  if (!reply.ok() || reply->has_error()) {
    return StrCat(
        R"(<section class="earlier" aria-live="polite"><h2>Frühere Anfragen</h2>)", "<p>Zu ",
        Escape(company_id),
        " sind keine früheren Anfragen bekannt oder gerade nicht abrufbar.</p></section>");
  }
  const lotse::v1::CompanyReply& company = reply->company();
  std::string rows;
  for (const lotse::v1::CompanyFileEntry& e : company.entries()) {
    const config::Topic* topic = site.config().FindTopic(e.topic());
    rows += StrCat("<tr><td>", Escape(e.case_number()), "</td><td>",
                   Escape(topic != nullptr ? topic->name : e.topic()), "</td><td>",
                   Escape(StatusWord(e.status(), e.waiting())), "</td><td>",
                   Escape(DateTime(e.submitted_at_us(), site.config().city.zone)), "</td></tr>");
  }
  std::string kam;
  if (!company.key_account().empty()) {
    const config::KeyAccount* k = site.config().FindKeyAccount(company.key_account());
    kam = StrCat("<p>Key Account Manager: <strong>",
                 Escape(k != nullptr ? k->name : company.key_account()),
                 "</strong> – die Anfrage geht zuerst dorthin.</p>");
  }
  if (rows.empty()) {
    return StrCat(R"(<section class="earlier" aria-live="polite"><h2>Frühere Anfragen</h2>)", kam,
                  "<p>Keine früheren Anfragen von ", Escape(company_id), ".</p></section>");
  }
  return StrCat(R"(<section class="earlier" aria-live="polite"><h2>Frühere Anfragen</h2>)", kam,
                R"(<table><caption>Frühere Anfragen von )", Escape(company_id),
                R"(</caption><thead><tr><th scope="col">Vorgang</th><th scope="col">Betreff</th>)",
                R"(<th scope="col">Stand</th><th scope="col">Eingegangen</th></tr></thead><tbody>)",
                rows, "</tbody></table></section>");
}

std::string NewReferralPage(Site& site, const Caller& caller, const Form& form,
                            const std::string& earlier) {
  const config::Config& config = site.config();
  const std::vector<std::pair<std::string, std::string>> priorities = {
      {"normal", "normal"}, {"high", "hoch"}, {"urgent", "dringend"}, {"low", "niedrig"}};
  return Page(
      "Neue Anfrage", &caller.viewer,
      StrCat(
          ErrorSummary(form),
          R"(<form method="post" action="/anfragen/neu" enctype="multipart/form-data" )",
          R"(class="stack" novalidate>)", CsrfField(caller.viewer),
          Hidden("key", form.Value("key")), R"(<fieldset><legend>Unternehmen</legend>)",
          TextField(form, "company_id", "Unternehmensnummer", R"( required maxlength="64")",
                    "z. B. die Handelsregisternummer"),
          R"(<button type="submit" name="schritt" value="pruefen" class="secondary">)",
          "Frühere Anfragen zeigen</button>", earlier,
          TextField(form, "company_name", "Name des Unternehmens",
                    R"( required maxlength="200" autocomplete="organization")"),
          TextField(form, "employees", "Beschäftigte", R"( inputmode="numeric")", "freiwillig"),
          "</fieldset>", R"(<fieldset><legend>Ansprechperson im Unternehmen</legend>)",
          TextField(form, "contact_name", "Name", R"( maxlength="200" autocomplete="name")"),
          TextField(form, "contact_email", "E-Mail",
                    R"( type="email" maxlength="200" autocomplete="email")"),
          TextField(form, "contact_phone", "Telefon", R"( type="tel" maxlength="50")"),
          R"(<div class="field check"><input type="checkbox" id="f-consent_email" )",
          R"(name="consent_email" value="ja")",
          form.Value("consent_email") == "ja" ? " checked" : "",
          R"(><label for="f-consent_email">Die Ansprechperson möchte die Antwort auch )",
          "direkt per E-Mail erhalten (Einwilligung liegt vor).</label></div>", "</fieldset>",
          R"(<fieldset><legend>Anliegen</legend>)",
          Select(form, "topic", "Thema (und wohin es geht)", TopicOptions(config), " required"),
          TextField(form, "subject", "Betreff",
                    StrCat(R"( required maxlength=")", config.limits.max_subject_bytes, "\"")),
          TextArea(form, "text", "Frage des Unternehmens",
                   StrCat(R"( required rows="8" maxlength=")", config.limits.max_text_bytes, "\"")),
          Select(form, "priority", "Dringlichkeit", priorities),
          FileField(form, "anhang", "Unterlagen des Unternehmens (freiwillig)", " multiple",
                    kFileHint),
          "</fieldset>",
          R"(<button type="submit" name="schritt" value="senden">Anfrage weiterleiten</button>)",
          "</form>"));
}

Form SubmitForm(const httplib::Request& request) {
  Form form;
  for (const char* name : kSubmitFields) {
    form.values[name] =
        name == std::string_view("text") ? Param(request, name) : Trimmed(request, name);
  }
  if (form.values["priority"].empty()) {
    form.values["priority"] = "normal";
  }
  return form;
}

// A form that comes back cannot keep the files chosen for it: its error says which to choose
// again.
void ChooseFilesAgain(Form& form, const std::vector<PostedFile>& files) {
  if (!files.empty()) {
    form.errors["anhang"] =
        StrCat("Bitte wählen Sie ", files.size() == 1 ? "die Datei" : "die Dateien",
               " noch einmal: ", FileNames(files),
               ". Ein Formular, das zurückkommt, kann keine Dateien behalten.");
  }
}

// The body of a POST with files as it arrives (ReadPostedForm: the files kept only for an office
// logged in), then `handler` with its fields and files. A body too large: a page that says so
// (nothing is done); a broken one: the server's "not understood".
void WithFiles(Site& site, const httplib::Request& request, httplib::Response& response,
               const httplib::ContentReader& reader,
               void (*handler)(Site&, const httplib::Request&, httplib::Response&,
                               const std::vector<PostedFile>&)) {
  const std::optional<Caller> caller = site.CallerOf(request);
  std::optional<PostedForm> posted =
      ReadPostedForm(request, response, reader, "anhang", caller.has_value() && caller->IsOffice());
  if (!posted.has_value()) {
    spdlog::info("a form with files to {} was not read ({}, {} bytes)", request.path,
                 response.status, request.get_header_value("Content-Length"));
    if (response.status == 413) {
      Html(response, 413,
           ProblemPage(caller.has_value() ? &caller->viewer : nullptr, "Zu groß",
                       "Das Formular war zu groß für Lotse: je Datei höchstens 10 MB, je Anfrage "
                       "höchstens 50 MB, alles zusammen höchstens 100 MB und der Text bis 1 MB. "
                       "Es wurde nichts gesendet und nichts angelegt. Bitte gehen Sie im Browser "
                       "zurück, wählen Sie weniger oder kleinere Dateien und senden Sie erneut."));
    }
    return;
  }
  handler(site, posted->request, response, posted->files);
}

// The receipt of `ref` with `notice` (HTML, not printed) above it.
void ShowReceipt(Site& site, const Caller& caller, const std::string& ref,
                 httplib::Response& response, std::string_view notice) {
  absl::StatusOr<lotse::v1::IntakeReply> reply =
      site.Call(caller, client::ReceiptRequest(ref, caller.role.id()));
  if (!GotResult(response, caller, "Die Empfangsbestätigung", reply)) {
    return;
  }
  const lotse::v1::Receipt& receipt = reply->receipt();
  Html(response, 200,
       Page(StrCat("Empfangsbestätigung ", receipt.case_number()), &caller.viewer,
            StrCat(
                R"(<link rel="stylesheet" href="/static/receipt.css">)", notice,
                R"(<p class="no-print actions"><button type="button" data-print>Drucken</button> )",
                R"(<a href="/anfragen/)", Escape(receipt.referral_id()),
                R"(">Zur Anfrage</a> <a href="/anfragen/neu">Nächste Anfrage</a></p>)",
                receipt::RenderSheet(receipt, site.config().city.zone))));
}

// What the receipt says when not every file of the form is attached: which are, which are not
// and why, and where to attach them later.
std::string NotAttachedNotice(
    const std::string& ref, const std::vector<PostedFile>& attached,
    const std::vector<std::pair<const PostedFile*, NotAttached>>& refused) {
  std::string items;
  for (const auto& [file, why] : refused) {
    items += StrCat("<li><strong>", Escape(file->name), "</strong>: ", Escape(NotAttachedText(why)),
                    "</li>");
  }
  return StrCat(
      R"(<div class="error-summary no-print" role="alert" id="nicht-angehaengt">)",
      "<p>Die Anfrage ist angelegt, aber nicht jede Datei hängt an ihr.</p>",
      "<p>Nicht angehängt:</p><ul>", items,
      "</ul><p>Angehängt: ", attached.empty() ? "keine Datei" : Escape(FileNames(attached)),
      R"(.</p><p>Fehlende Unterlagen können Sie auf der <a href="/anfragen/)", Escape(ref),
      R"(#anhaenge">Seite der Anfrage</a> unter „Anhang nachreichen“ anhängen, sobald sie )",
      "passen; das Fachamt sieht sie dort auch.</p></div>");
}

void NewReferral(Site& site, const httplib::Request& request, httplib::Response& response,
                 const std::vector<PostedFile>& files) {
  const bool post = request.method == "POST";
  std::optional<Caller> caller = post ? site.FormCaller(request, response, {ACTOR_KIND_OFFICE})
                                      : site.PageCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  Form form = post ? SubmitForm(request) : Form{};
  if (!post) {
    form.values["priority"] = "normal";
  }
  if (form.Value("key").size() != 32) {  // one key per form shown: a double submit is one
    form.values["key"] = client::RandomHex(32);
  }
  if (!post || Param(request, "schritt") == "pruefen") {
    ChooseFilesAgain(form, files);
    Html(response, 200,
         NewReferralPage(site, *caller, form,
                         EarlierReferrals(site, *caller, form.Value("company_id"))));
    return;
  }
  CheckSubmitForm(site.config(), form);
  if (!form.ok()) {
    ChooseFilesAgain(form, files);
    Html(response, 422, NewReferralPage(site, *caller, form, ""));
    return;
  }
  client::SubmitArgs args;
  args.office = caller->role.id();
  args.company_id = form.Value("company_id");
  args.company_name = form.Value("company_name");
  (void)absl::SimpleAtoi(form.Value("employees"), &args.employees);
  args.contact_name = form.Value("contact_name");
  args.contact_email = form.Value("contact_email");
  args.contact_phone = form.Value("contact_phone");
  args.consent_email = form.Value("consent_email") == "ja";
  args.topic = form.Value("topic");
  args.subject = form.Value("subject");
  args.text = form.Value("text");
  args.priority = form.Value("priority");
  args.key = form.Value("key");
  absl::StatusOr<lotse::v1::IntakeReply> reply = site.Call(*caller, client::SubmitRequest(args));
  if (reply.ok() && reply->has_error() &&
      reply->error().code() == lotse::v1::ERROR_CODE_INVALID_ARGUMENT) {
    const std::string field = FormField(reply->error().field());
    form.errors[form.values.contains(field) ? field : "text"] =
        StrCat("Das nimmt Lotse so nicht an: ", reply->error().message());
    ChooseFilesAgain(form, files);
    Html(response, 422, NewReferralPage(site, *caller, form, ""));
    return;
  }
  if (!GotResult(response, *caller, "Die Anfrage", reply)) {
    return;
  }
  const std::string ref = reply->submitted().referral_id();
  // The files, each once however often the form comes (their keys are made from the form's).
  std::vector<PostedFile> attached;  // their names
  std::vector<std::pair<const PostedFile*, NotAttached>> refused;
  for (const PostedFile& file : files) {
    if (const std::optional<NotAttached> why =
            AttachPostedFile(site, *caller, ref, form.Value("key"), file)) {
      refused.emplace_back(&file, *why);
    } else {
      attached.emplace_back().name = file.name;
    }
  }
  spdlog::info("{} submitted {} with {} of {} files for '{}'", caller->role.id(), ref,
               attached.size(), files.size(), caller->account.login());
  if (refused.empty()) {
    SeeOther(response, StrCat("/anfragen/", ref, "/bestaetigung"));
    return;
  }
  // The receipt at once, with what was not attached (sent again, the form does the same).
  ShowReceipt(site, *caller, ref, response, NotAttachedNotice(ref, attached, refused));
}

void ReceiptPage(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.PageCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  ShowReceipt(site, *caller, request.matches[1].str(), response, "");
}

// The German words of intake's list states, in the order the filter offers them.
const std::vector<std::pair<std::string, std::string>>& ListStates() {
  static const auto* states = new std::vector<std::pair<std::string, std::string>>{
      {"", "alle"},
      {"open", "offen"},
      {"waiting", "wartet auf das Unternehmen"},
      {"answered", "beantwortet"},
      {"closed", "abgeschlossen"}};
  return *states;
}

std::string ListStateWord(const std::string& state) {
  for (const auto& [value, word] : ListStates()) {
    if (value == state) {
      return word;
    }
  }
  return state;
}

// The query string of the list's filters (for the next page's link).
std::string FilterQuery(const Form& form) {
  std::string query;
  for (const char* name : {"stand", "suche", "von", "bis"}) {
    if (!form.Value(name).empty()) {
      query +=
          StrCat("&amp;", name, "=", Escape(httplib::detail::encode_query_param(form.Value(name))));
    }
  }
  return query;
}

// "Unsere Anfragen": the office's referrals, newest first, with filters and pages; a field
// opens one by its case number.
void OfficeList(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.PageCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  Form form;
  for (const char* name : {"vorgang", "stand", "suche", "von", "bis", "nach"}) {
    form.values[name] = Trimmed(request, name);
  }
  const std::string& ref = form.Value("vorgang");
  if (!ref.empty() && ref.size() <= 64 && std::all_of(ref.begin(), ref.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '-';
      })) {
    SeeOther(response, StrCat("/anfragen/", ref));
    return;
  }
  if (!ref.empty()) {
    form.errors["vorgang"] = "Ein Aktenzeichen besteht aus Buchstaben, Ziffern und Bindestrichen.";
  }
  client::ListReferralsArgs args;
  args.office = caller->role.id();
  if (!form.Value("stand").empty()) {
    args.states.push_back(form.Value("stand"));
  }
  args.search = form.Value("suche");
  args.from = form.Value("von");
  args.to = form.Value("bis");
  args.after = form.Value("nach");
  args.limit = 50;
  absl::StatusOr<lotse::v1::IntakeReply> reply =
      site.Call(*caller, client::ListReferralsRequest(args));
  std::string table;
  if (reply.ok() && reply->has_error() &&
      reply->error().code() == lotse::v1::ERROR_CODE_INVALID_ARGUMENT) {
    const std::string field = reply->error().field();
    const std::string name = field == "states"           ? "stand"
                             : field == "submitted_from" ? "von"
                             : field == "submitted_to"   ? "bis"
                                                         : "suche";
    form.errors[name] = "Dieser Filter passt nicht: bitte prüfen (Daten als JJJJ-MM-TT).";
  } else if (!GotResult(response, *caller, "Die Liste Ihrer Anfragen", reply)) {
    return;
  } else {
    const absl::TimeZone& zone = site.config().city.zone;
    std::string rows;
    for (const lotse::v1::ReferralListEntry& e : reply->referral_list().entries()) {
      rows += StrCat(
          "<tr><td>", Escape(DateTime(e.submitted_at_us(), zone)),
          R"(</td><td><a href="/anfragen/)", Escape(e.referral_id()), R"(">)",
          Escape(e.case_number()), "</a></td><td>", Escape(e.subject()), "</td><td>",
          Escape(e.company_name()), "</td><td>", Escape(ListStateWord(e.state())), "</td><td>",
          Escape(e.department_name().empty() ? e.department() : e.department_name()),
          e.contact_person().name().empty() ? ""
                                            : StrCat("<br>", Escape(e.contact_person().name())),
          "</td><td>", Escape(e.answered_at_us() != 0 ? "" : DateTime(e.due_at_us(), zone)),
          "</td><td>", Escape(e.answer_excerpt()), "</td></tr>");
    }
    table =
        rows.empty()
            ? R"(<p class="empty">Keine Anfragen, die zu diesen Filtern passen.</p>)"
            : StrCat(R"(<table><caption>Ihre Anfragen, die neuesten zuerst</caption><thead><tr>)",
                     R"(<th scope="col">Eingegangen</th><th scope="col">Vorgang</th>)",
                     R"(<th scope="col">Betreff</th><th scope="col">Unternehmen</th>)",
                     R"(<th scope="col">Stand</th><th scope="col">Bei</th>)",
                     R"(<th scope="col">Fällig</th><th scope="col">Antwort</th></tr></thead>)",
                     "<tbody>", rows, "</tbody></table>");
    if (!reply->referral_list().next().empty()) {
      table += StrCat(R"(<nav class="pager" aria-label="Seiten"><a href="/anfragen?nach=)",
                      Escape(reply->referral_list().next()), FilterQuery(form),
                      R"(">Weitere Anfragen</a></nav>)");
    }
  }
  Html(response, form.ok() ? 200 : 422,
       Page("Unsere Anfragen", &caller->viewer,
            StrCat(ErrorSummary(form), R"(<form method="get" action="/anfragen" class="inline">)",
                   TextField(form, "vorgang", "Vorgang öffnen",
                             R"( placeholder="Aktenzeichen, z. B. 2026-000001")"),
                   R"(<button type="submit">Öffnen</button></form>)",
                   R"(<form method="get" action="/anfragen" class="inline filters">)",
                   Select(form, "stand", "Stand", ListStates()),
                   TextField(form, "suche", "Betreff oder Unternehmen", R"( maxlength="200")"),
                   TextField(form, "von", "Eingegangen ab", R"( type="date")"),
                   TextField(form, "bis", "bis vor", R"( type="date")"),
                   R"(<button type="submit" class="secondary">Filtern</button></form>)", table)));
}

}  // namespace

namespace {

// The form that attaches more files to `ref`, with the error of a refused one next to the field.
std::string AttachForm(const Caller& caller, const std::string& ref, const Form& form) {
  Form own;  // the file field's error only: the page's other forms have theirs
  if (!form.Error("anhang").empty()) {
    own.errors["anhang"] = form.Error("anhang");
  }
  return StrCat(ErrorSummary(own), R"(<form method="post" action="/anfragen/)", Escape(ref),
                R"(/anhaenge#anhaenge" enctype="multipart/form-data" class="stack">)",
                CsrfField(caller.viewer), Hidden("key", form.Value("key")),
                FileField(form, "anhang", "Anhang nachreichen", " multiple", kFileHint),
                R"(<button type="submit" class="secondary">Anhängen</button></form>)");
}

std::string OfficeReferralPage(Site& site, const Caller& caller, const lotse::v1::ReferralState& r,
                               const Form& form) {
  const absl::TimeZone& zone = site.config().city.zone;
  const std::string ref = r.referral_id();
  const lotse::v1::Referral& q = r.referral();
  const config::Topic* topic = site.config().FindTopic(q.topic());
  // The office's rating closes the referral: routing's close follows a moment later.
  const bool rated = r.feedback().submitted_at_us() != 0;
  std::string facts = StrCat(
      R"(<dl class="facts"><dt>Aktenzeichen</dt><dd>)", Escape(r.case_number()),
      "</dd><dt>Stand</dt><dd>",
      Escape(rated ? StatusWord(lotse::v1::REFERRAL_STATUS_CLOSED, false)
                   : StatusWord(r.status(), r.waiting_since_us() != 0)),
      "</dd><dt>Unternehmen</dt><dd>", Escape(q.company_name()), " (", Escape(q.company_id()),
      ")</dd><dt>Thema</dt><dd>", Escape(topic != nullptr ? topic->name : q.topic()),
      "</dd><dt>Eingegangen</dt><dd>", Escape(DateTime(r.submitted_at_us(), zone)), "</dd>");
  if (!r.contact_person().name().empty()) {
    facts += StrCat("<dt>Ansprechperson im Fachamt</dt><dd>", Escape(r.contact_person().name()),
                    r.contact_person().phone().empty()
                        ? ""
                        : StrCat(", Tel. ", Escape(r.contact_person().phone())),
                    "</dd>");
  }
  if (r.due_at_us() != 0 && r.status() < lotse::v1::REFERRAL_STATUS_ANSWERED) {
    facts += StrCat("<dt>Antwort fällig</dt><dd>", Escape(DateTime(r.due_at_us(), zone)), "</dd>");
  }
  facts += "</dl>";
  std::string body =
      StrCat(facts, R"(<section><h2>Frage</h2><p class="subject">)", Escape(q.subject()),
             R"(</p><p class="body">)", Escape(q.text()), "</p></section>");
  const bool closed = rated || r.status() == lotse::v1::REFERRAL_STATUS_CLOSED;
  body += AttachmentsSection(site, StrCat("/anfragen/", Escape(ref)), r.attachments(),
                             "Keine Anhänge.", closed ? "" : AttachForm(caller, ref, form));
  // Questions back from the department, and the form for the company's reply to an open one.
  for (const lotse::v1::CompanyQuestion& cq : r.company_questions()) {
    body += StrCat(R"(<section class="question-back"><h2>Rückfrage des Fachamts</h2><p>)",
                   Escape(DateTime(cq.asked_at_us(), zone)), "</p><p class=\"body\">",
                   Escape(cq.question()), "</p>");
    if (cq.replied_at_us() != 0) {
      body += StrCat("<p><strong>Antwort des Unternehmens:</strong></p><p class=\"body\">",
                     Escape(cq.reply()), "</p>");
    } else {
      body += StrCat(R"(<form method="post" action="/anfragen/)", Escape(ref),
                     R"(/unternehmen-antwort" class="stack">)", CsrfField(caller.viewer),
                     TextArea(form, "reply", "Antwort des Unternehmens", R"( required rows="4")"),
                     R"(<button type="submit">Antwort an das Fachamt geben</button></form>)");
    }
    body += "</section>";
  }
  if (r.status() >= lotse::v1::REFERRAL_STATUS_ANSWERED) {
    const lotse::v1::Answer& a = r.answer();
    body +=
        StrCat(R"(<section class="answer"><h2>Antwort</h2><p>)", Escape(OutcomeWord(a.outcome())),
               " – ", Escape(DateTime(a.answered_at_us(), zone)), R"(</p><p class="body">)",
               Escape(a.text()), "</p></section>");
  }
  if (r.status() == lotse::v1::REFERRAL_STATUS_ANSWERED && !rated) {
    Form others = form;  // the file field's error is with the attachments
    others.errors.erase("anhang");
    body += StrCat(
        R"(<section><h2>Rückmeldung des Bürgerbüros</h2>)", ErrorSummary(others),
        R"(<form method="post" action="/anfragen/)", Escape(ref),
        R"(/rueckmeldung" class="stack">)", CsrfField(caller.viewer),
        Radios(form, "rating", "Wie gut war die Antwort? (1 = sehr schlecht, 5 = sehr gut)",
               {{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}, {"5", "5"}}),
        Radios(form, "resolved", "Ist das Anliegen des Unternehmens geklärt?",
               {{"ja", "ja"}, {"nein", "nein"}}),
        TextArea(form, "comment", "Bemerkung (freiwillig)", R"( rows="3")"),
        Hidden("key", form.Value("key")),
        R"(<button type="submit">Rückmeldung senden und abschließen</button></form>)",
        R"(<form method="post" action="/anfragen/)", Escape(ref), R"(/nachfrage" class="stack">)",
        CsrfField(caller.viewer),
        TextArea(form, "followup", "Oder: Nachfrage an das Fachamt", R"( rows="3")"),
        R"(<button type="submit" class="secondary">Nachfrage senden</button></form></section>)");
  }
  if (rated) {
    body += StrCat(R"(<section><h2>Rückmeldung</h2><p>Bewertung )", r.feedback().rating(),
                   " von 5, ", r.feedback().resolved() ? "geklärt" : "nicht geklärt", "</p>",
                   r.feedback().comment().empty()
                       ? ""
                       : StrCat("<p class=\"body\">", Escape(r.feedback().comment()), "</p>"),
                   "</section>");
  }
  body += ReferralHistory(site, caller, ref);
  body += StrCat(R"(<p class="no-print"><a href="/anfragen/)", Escape(ref),
                 R"(/bestaetigung">Empfangsbestätigung drucken</a></p>)");
  return Page(StrCat("Anfrage ", r.case_number(), ": ", q.subject()), &caller.viewer, body);
}

// Loads the office's view of `ref` and shows it with `form` (values and errors of a refused
// form); `status` is the page's HTTP status.
void ShowOfficeReferral(Site& site, const Caller& caller, const std::string& ref,
                        httplib::Response& response, const Form& form, int status) {
  absl::StatusOr<lotse::v1::IntakeReply> reply =
      site.Call(caller, client::OfficeReferralRequest(ref, caller.role.id()));
  if (!GotResult(response, caller, "Die Anfrage", reply)) {
    return;
  }
  Html(response, status, OfficeReferralPage(site, caller, reply->referral(), form));
}

void OfficeReferral(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.PageCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  Form form;
  form.values["key"] = client::RandomHex(32);
  ShowOfficeReferral(site, *caller, request.matches[1].str(), response, form, 200);
}

// After a changing request of an office form: back to the referral, or the form again with the
// service's refusal next to `field`.
template <typename Reply>
void AfterOfficeChange(Site& site, const Caller& caller, const std::string& ref,
                       httplib::Response& response, Form& form, const std::string& field,
                       const absl::StatusOr<Reply>& reply) {
  if (reply.ok() && reply->has_error() &&
      (reply->error().code() == lotse::v1::ERROR_CODE_INVALID_ARGUMENT ||
       reply->error().code() == lotse::v1::ERROR_CODE_FAILED_PRECONDITION)) {
    form.errors[field] = StrCat("Nicht möglich: ", reply->error().message());
    ShowOfficeReferral(site, caller, ref, response, form, 422);
    return;
  }
  if (!GotResult(response, caller, "Die Anfrage", reply)) {
    return;
  }
  SeeOther(response, StrCat("/anfragen/", ref));
}

// More files for the referral: back to its attachments once all are attached, else the page with
// what was not attached (and why) next to the file field.
void AttachMore(Site& site, const httplib::Request& request, httplib::Response& response,
                const std::vector<PostedFile>& files) {
  std::optional<Caller> caller = site.FormCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  const std::string ref = request.matches[1].str();
  Form form;
  form.values["key"] = Param(request, "key");
  if (form.Value("key").size() != 32) {
    form.values["key"] = client::RandomHex(32);
  }
  if (files.empty()) {
    form.errors["anhang"] = "Bitte wählen Sie die Datei, die Sie anhängen möchten.";
    ShowOfficeReferral(site, *caller, ref, response, form, 422);
    return;
  }
  std::string attached;
  std::string refused;
  for (const PostedFile& file : files) {
    if (const std::optional<NotAttached> why =
            AttachPostedFile(site, *caller, ref, form.Value("key"), file)) {
      refused += StrCat(refused.empty() ? "" : " ", file.name, ": ", NotAttachedText(*why), ".");
    } else {
      attached += StrCat(attached.empty() ? "" : ", ", file.name);
    }
  }
  if (refused.empty()) {
    SeeOther(response, StrCat("/anfragen/", ref, "#anhaenge"));
    return;
  }
  form.errors["anhang"] = StrCat("Nicht angehängt: ", refused,
                                 attached.empty() ? "" : StrCat(" Angehängt: ", attached, "."));
  ShowOfficeReferral(site, *caller, ref, response, form, 422);
}

void OfficeFeedback(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.FormCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  const std::string ref = request.matches[1].str();
  Form form;
  for (const char* name : {"rating", "resolved", "comment", "key"}) {
    form.values[name] = Param(request, name);
  }
  if (!client::ParseRating(form.Value("rating")).has_value()) {
    form.errors["rating"] = "Bitte wählen Sie eine Bewertung von 1 bis 5.";
  }
  if (!client::ParseYesNo(form.Value("resolved")).has_value()) {
    form.errors["resolved"] = "Bitte wählen Sie ja oder nein.";
  }
  if (form.Value("key").size() != 32) {
    form.values["key"] = client::RandomHex(32);
  }
  if (!form.ok()) {
    ShowOfficeReferral(site, *caller, ref, response, form, 422);
    return;
  }
  client::FeedbackArgs args;
  args.ref = ref;
  args.office = caller->role.id();
  args.rating = *client::ParseRating(form.Value("rating"));
  args.resolved = *client::ParseYesNo(form.Value("resolved")) ? "yes" : "no";
  args.comment = form.Value("comment");
  args.key = form.Value("key");
  AfterOfficeChange(site, *caller, ref, response, form, "rating",
                    site.Call(*caller, client::FeedbackRequest(args)));
}

void FollowUp(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.FormCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  const std::string ref = request.matches[1].str();
  Form form;
  form.values["followup"] = Param(request, "followup");
  form.values["key"] = client::RandomHex(32);
  if (absl::StripAsciiWhitespace(form.Value("followup")).empty()) {
    form.errors["followup"] = "Bitte schreiben Sie die Nachfrage.";
    ShowOfficeReferral(site, *caller, ref, response, form, 422);
    return;
  }
  AfterOfficeChange(
      site, *caller, ref, response, form, "followup",
      site.Call(*caller, client::FollowUpRequest(ref, caller->role.id(), form.Value("followup"),
                                                 client::RandomHex(32))));
}

void CompanyReply(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.FormCaller(request, response, {ACTOR_KIND_OFFICE});
  if (!caller.has_value()) {
    return;
  }
  const std::string ref = request.matches[1].str();
  Form form;
  form.values["reply"] = Param(request, "reply");
  if (absl::StripAsciiWhitespace(form.Value("reply")).empty()) {
    form.errors["reply"] = "Bitte tragen Sie die Antwort des Unternehmens ein.";
    ShowOfficeReferral(site, *caller, ref, response, form, 422);
    return;
  }
  client::CompanyRepliedArgs replied;
  replied.ref = ref;
  replied.office = caller->role.id();
  replied.text = form.Value("reply");
  AfterOfficeChange(site, *caller, ref, response, form, "reply",
                    site.Call(*caller, client::CompanyRepliedRequest(replied)));
}

// The company's own page: the code from the receipt, a rating, done. No login; guessing codes
// is slowed down per address like a login.
std::string CompanyFeedbackPage(const Form& form, std::string_view done) {
  if (!done.empty()) {
    return Page("Rückmeldung", nullptr,
                StrCat(R"(<p class="done" role="status">)", Escape(done), "</p>"));
  }
  return Page(
      "Rückmeldung zu Ihrer Anfrage", nullptr,
      StrCat(
          "<p>Mit dem Rückmeldecode von Ihrer Empfangsbestätigung können Sie uns sagen, wie "
          "gut Ihnen geholfen wurde. Ihre Angaben gehen an die Verwaltung, nicht an "
          "Dritte.</p>",
          ErrorSummary(form), R"(<form method="post" action="/rueckmeldung" class="stack">)",
          TextField(form, "code", "Rückmeldecode",
                    R"( required autocomplete="off" autocapitalize="characters")"),
          Radios(form, "rating", "Wie zufrieden sind Sie? (1 = gar nicht, 5 = sehr)",
                 {{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}, {"5", "5"}}),
          Radios(form, "resolved", "Ist Ihr Anliegen geklärt?", {{"ja", "ja"}, {"nein", "nein"}}),
          TextArea(form, "comment", "Was möchten Sie uns noch sagen? (freiwillig)",
                   R"( rows="4" maxlength="4000")"),
          Hidden("key", form.Value("key")),
          R"(<button type="submit">Rückmeldung senden</button></form>)"));
}

void CompanyFeedback(Site& site, const httplib::Request& request, httplib::Response& response) {
  Form form;
  if (request.method == "GET") {
    form.values["code"] = Trimmed(request, "code");
    form.values["key"] = client::RandomHex(32);
    Html(response, 200, CompanyFeedbackPage(form, ""));
    return;
  }
  for (const char* name : {"code", "rating", "resolved", "comment", "key"}) {
    form.values[name] = Trimmed(request, name);
  }
  if (form.Value("key").size() != 32) {
    form.values["key"] = client::RandomHex(32);
  }
  const absl::Time now = absl::Now();
  // The throttle's "login" for codes: one key for every code, so the count is per address.
  if (const absl::Duration wait = site.throttle().Wait(kFeedbackCodeThrottle, request.remote_addr, now);
      wait > absl::ZeroDuration()) {
    form.errors["code"] =
        StrCat("Zu viele falsche Codes. Bitte warten Sie ",
               absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))), " Sekunden.");
    Html(response, 429, CompanyFeedbackPage(form, ""));
    return;
  }
  if (form.Value("code").empty()) {
    form.errors["code"] = "Bitte geben Sie den Code von Ihrer Empfangsbestätigung ein.";
  }
  if (!client::ParseRating(form.Value("rating")).has_value()) {
    form.errors["rating"] = "Bitte wählen Sie 1 bis 5.";
  }
  if (!form.ok()) {
    Html(response, 422, CompanyFeedbackPage(form, ""));
    return;
  }
  client::FeedbackArgs args;
  args.code = absl::AsciiStrToUpper(form.Value("code"));
  args.rating = *client::ParseRating(form.Value("rating"));
  if (const std::optional<bool> resolved = client::ParseYesNo(form.Value("resolved"))) {
    args.resolved = *resolved ? "yes" : "no";
  }
  args.comment = form.Value("comment");
  args.key = form.Value("key");
  absl::StatusOr<lotse::v1::IntakeReply> reply =
      site.services().Call(CompanyFeedbackCall(args));
  if (!reply.ok()) {
    Html(response, 503,
         CompanyFeedbackPage(form,
                             "Ihre Rückmeldung kann gerade nicht angenommen werden. Bitte "
                             "versuchen Sie es später noch einmal."));
    return;
  }
  if (reply->has_error()) {
    const auto code = reply->error().code();
    spdlog::info("company feedback from {} refused: {} ({})", request.remote_addr,
                 lotse::v1::ErrorCode_Name(code), reply->error().message());
    if (code == lotse::v1::ERROR_CODE_NOT_FOUND || code == lotse::v1::ERROR_CODE_INVALID_ARGUMENT) {
      site.throttle().Failed(kFeedbackCodeThrottle, request.remote_addr, now);
      // Intake tells an unknown code and a used one apart to nobody.
      form.errors["code"] =
          "Diesen Code kennen wir nicht, oder er wurde schon verwendet: ein Code gilt für eine "
          "Rückmeldung. Bitte prüfen Sie ihn auf Ihrer Empfangsbestätigung.";
    } else if (code == lotse::v1::ERROR_CODE_FAILED_PRECONDITION) {
      form.errors["code"] =
          "Ihre Anfrage ist noch nicht beantwortet. Der Code bleibt gültig: geben Sie Ihre "
          "Rückmeldung, sobald die Antwort vorliegt.";
    } else {
      form.errors["code"] =
          "Ihre Rückmeldung kann gerade nicht angenommen werden. Bitte versuchen Sie es später "
          "noch einmal.";
    }
    Html(response, 422, CompanyFeedbackPage(form, ""));
    return;
  }
  Html(response, 200,
       CompanyFeedbackPage(form,
                           "Vielen Dank! Ihre Rückmeldung ist angekommen. Sie hilft der "
                           "Verwaltung, besser zu werden."));
}

}  // namespace

void AddOfficePages(httplib::Server& server, Site& site) {
  auto route = [&site](void (*handler)(Site&, const httplib::Request&, httplib::Response&)) {
    return [&site, handler](const httplib::Request& request, httplib::Response& response) {
      handler(site, request, response);
    };
  };
  // The forms with files read their bodies as they arrive (WithFiles).
  auto with_files = [&site](void (*handler)(Site&, const httplib::Request&, httplib::Response&,
                                            const std::vector<PostedFile>&)) {
    return [&site, handler](const httplib::Request& request, httplib::Response& response,
                            const httplib::ContentReader& reader) {
      WithFiles(site, request, response, reader, handler);
    };
  };
  server.Get("/anfragen/neu",
             [&site](const httplib::Request& request, httplib::Response& response) {
               NewReferral(site, request, response, {});
             });
  server.Post("/anfragen/neu", with_files(NewReferral));
  server.Get("/anfragen", route(OfficeList));
  server.Get(StrCat("/anfragen/", kRefPattern, "/bestaetigung"), route(ReceiptPage));
  server.Get(StrCat("/anfragen/", kRefPattern), route(OfficeReferral));
  server.Post(StrCat("/anfragen/", kRefPattern, "/anhaenge"), with_files(AttachMore));
  server.Post(StrCat("/anfragen/", kRefPattern, "/rueckmeldung"), route(OfficeFeedback));
  server.Post(StrCat("/anfragen/", kRefPattern, "/nachfrage"), route(FollowUp));
  server.Post(StrCat("/anfragen/", kRefPattern, "/unternehmen-antwort"), route(CompanyReply));
  server.Get("/rueckmeldung", route(CompanyFeedback));
  server.Post("/rueckmeldung", route(CompanyFeedback));
}

}  // namespace lotse::web
