// The desk of a department, a key account manager and a named contact person: the worklist,
// due first, and a referral with everything needed to answer it — the question, attachments,
// earlier similar answers, the history — and the actions.
//
//   GET  /arbeitsliste                 the person's own items (`alle=1`: the whole department's;
//                                      a KAM's is always whole), paged with `nach`
//   GET  /vorgaenge/<ref>              the referral as the department sees it
//   POST /vorgaenge/<ref>/<aktion>     uebernehmen, freigeben, abgeben (an, grund), beteiligen
//                                      (mit…, frage), beitragen (text), rueckfrage (frage),
//                                      unternehmen-antwort (text), antworten (ergebnis, text,
//                                      trotzdem); each form carries its own key, so a double
//                                      submit acts once
//   GET  /vorgaenge/<ref>/anhang?name= an attachment (also /anfragen/<ref>/anhang for the office)
//
// A referral the department has nothing to do with is "not found", as one that does not exist.

#include <algorithm>
#include <initializer_list>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/client/requests.h"
#include "common/client/words.h"
#include "common/clock/clock.h"
#include "common/format.h"
#include "services/web/attachments.h"
#include "services/web/history.h"
#include "services/web/site.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace {

using lotse::v1::ACTOR_KIND_DEPARTMENT;
using lotse::v1::ACTOR_KIND_OFFICE;

constexpr uint32_t kWorklistPage = 50;

// The name of the person who acts as `user` (a staff id, a key account manager's id), as the
// department's people know each other; any other login as it is.
std::string PersonName(const config::Config& config, const std::string& user) {
  if (const config::StaffMember* member = config.FindStaff(user).second) {
    return member->name;
  }
  if (const config::KeyAccount* kam = config.FindKeyAccount(user)) {
    return kam->name;
  }
  return user;
}

// The worklist's table; its own element so that the page's script can swap in a fresh one.
std::string WorklistTable(const config::Config& config, const lotse::v1::WorklistReply& list,
                          absl::Time now) {
  if (list.items().empty()) {
    return R"(<p class="empty">Nichts zu tun: keine offenen Vorgänge.</p>)";
  }
  std::string rows;
  for (const lotse::v1::WorkItem& item : list.items()) {
    std::string marks;
    if (item.due_at_us() != 0 && absl::FromUnixMicros(item.due_at_us()) < now) {
      marks += R"( <span class="tag overdue">überfällig</span>)";
    } else if (item.warned()) {
      marks += R"( <span class="tag soon">bald fällig</span>)";
    }
    if (item.waiting()) {
      marks += R"( <span class="tag waiting">wartet auf Unternehmen</span>)";
    }
    if (item.kind() == lotse::v1::WORK_ITEM_KIND_CONSULTATION) {
      marks += R"( <span class="tag">Beteiligung</span>)";
    }
    const config::Topic* topic = config.FindTopic(item.topic());
    std::string who = item.claimed_by().empty()
                          ? item.contact_person().name()
                          : StrCat("bearbeitet: ", PersonName(config, item.claimed_by()));
    if (!item.stand_in_for().empty()) {
      who += StrCat(" (Vertretung für ", PersonName(config, item.stand_in_for()), ")");
    }
    rows += StrCat("<tr><td>", Escape(DateTime(item.due_at_us(), config.city.zone)), marks,
                   R"(</td><td><a href="/vorgaenge/)", Escape(item.referral_id()), R"(">)",
                   Escape(item.case_number()), "</a></td><td>", Escape(item.subject()), "</td><td>",
                   Escape(item.company_name()), "</td><td>",
                   Escape(topic != nullptr ? topic->name : item.topic()), "</td><td>",
                   Escape(StatusWord(item.status(), item.waiting())), "</td><td>",
                   Escape(PriorityWord(item.priority())), "</td><td>", Escape(who), "</td></tr>");
  }
  return StrCat(R"(<table><caption>)", list.total(),
                R"( offene Vorgänge, der früheste fällige zuerst</caption><thead><tr>)",
                R"(<th scope="col">Fällig</th><th scope="col">Vorgang</th>)",
                R"(<th scope="col">Betreff</th><th scope="col">Unternehmen</th>)",
                R"(<th scope="col">Thema</th><th scope="col">Stand</th>)",
                R"(<th scope="col">Dringlichkeit</th><th scope="col">Bei</th></tr></thead><tbody>)",
                rows, "</tbody></table>");
}

void Worklist(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.PageCaller(request, response, {ACTOR_KIND_DEPARTMENT});
  if (!caller.has_value()) {
    return;
  }
  const bool whole = request.get_param_value("alle") == "1" || caller->role.user().empty();
  client::WorklistArgs args;
  args.department = caller->role.id();
  args.user = whole ? "" : caller->role.user();
  args.limit = kWorklistPage;
  args.after = request.get_param_value("nach");
  absl::StatusOr<lotse::v1::RoutingReply> reply = site.Call(*caller, client::WorklistRequest(args));
  if (!GotResult(response, *caller, "Die Arbeitsliste", reply)) {
    return;
  }
  const lotse::v1::WorklistReply& list = reply->worklist();
  std::string switcher;
  if (!caller->role.user().empty()) {
    switcher = whole ? R"(<a href="/arbeitsliste">Nur meine Vorgänge</a>)"
                     : R"(<a href="/arbeitsliste?alle=1">Alle Vorgänge des Amtes</a>)";
  }
  std::string pager;
  if (!list.next().empty()) {
    pager = StrCat(R"(<a href="/arbeitsliste?)", whole ? "alle=1&amp;" : "",
                   "nach=", Escape(list.next()), R"(">Weitere Vorgänge</a>)");
  }
  if (!args.after.empty()) {
    pager =
        StrCat(R"(<a href="/arbeitsliste)", whole ? "?alle=1" : "", R"(">Zum Anfang</a> )", pager);
  }
  // The script reloads this very URL every few seconds and swaps the table (data-live).
  Html(response, 200,
       Page("Arbeitsliste", &caller->viewer,
            StrCat(R"(<p class="actions">)", switcher,
                   R"( <span class="live" data-live-status aria-live="polite"></span></p>)",
                   R"(<div id="arbeitsliste" data-live="15">)",
                   WorklistTable(site.config(), list, absl::Now()), "</div>",
                   R"(<nav class="pager" aria-label="Seiten">)", pager, "</nav>")));
}

// The targets a referral can be handed to or a department asked: every department and KAM but
// the caller's own unit.
std::vector<std::pair<std::string, std::string>> Units(const config::Config& config,
                                                       const std::string& own, bool with_kams) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const config::Department& d : config.departments) {
    if (d.id != own) {
      out.emplace_back(d.id, d.name);
    }
  }
  if (with_kams) {
    for (const config::KeyAccount& k : config.key_accounts) {
      if (k.id != own) {
        out.emplace_back(k.id, StrCat("Key Account ", k.name));
      }
    }
  }
  return out;
}

std::string ActionForm(const Caller& caller, const std::string& ref, std::string_view action,
                       std::string_view inner, std::string_view button,
                       std::string_view button_class = "") {
  return StrCat(R"(<form method="post" action="/vorgaenge/)", Escape(ref), "/", action,
                R"(" class="stack">)", CsrfField(caller.viewer),
                Hidden("key", client::RandomHex(32)), inner, R"(<button type="submit")",
                button_class.empty() ? "" : StrCat(R"( class=")", button_class, "\""), ">", button,
                "</button></form>");
}

// The start of a folded part of the actions, unfolded while one of its `fields` has an error.
std::string Details(const Form& form, std::string_view summary,
                    std::initializer_list<std::string_view> fields) {
  const bool open = std::any_of(fields.begin(), fields.end(),
                                [&](std::string_view f) { return !form.Error(f).empty(); });
  return StrCat("<details", open ? " open" : "", "><summary>", summary, "</summary>");
}

std::string SimilarSection(Site& site, const Caller& caller, const std::string& ref) {
  client::SimilarArgs args;
  args.ref = ref;
  args.department = caller.role.id();
  args.limit = 3;
  absl::StatusOr<lotse::v1::RoutingReply> reply = site.Call(caller, client::SimilarRequest(args));
  if (!reply.ok() || reply->has_error() || reply->similar().matches().empty()) {
    return "";
  }
  std::string items;
  for (const lotse::v1::SimilarReply::Match& m : reply->similar().matches()) {
    items += StrCat(R"(<li><p><a href="/vorgaenge/)", Escape(m.referral_id()), R"(">)",
                    Escape(m.case_number()), "</a> ", Escape(m.subject()), " (",
                    Escape(DateTime(m.answered_at_us(), site.config().city.zone)),
                    R"()</p><p class="body">)", Escape(m.answer()), "</p></li>");
  }
  return StrCat(R"(<section><h2>Frühere ähnliche Antworten</h2><ol>)", items, "</ol></section>");
}

// The referral's attachments as intake keeps them: routing's record has none, so the department
// asks intake for the list. Nothing when there are none.
std::string DeskAttachments(Site& site, const Caller& caller, const std::string& ref) {
  client::AttachmentArgs list;  // no name: the list
  list.ref = ref;
  list.department = caller.role.id();
  absl::StatusOr<lotse::v1::IntakeReply> reply = site.Call(caller, client::AttachmentRequest(list));
  if (!reply.ok() || reply->has_error()) {
    spdlog::warn("the attachments of {} for '{}' ({}): {}", ref, caller.account.login(),
                 caller.viewer.acts_for,
                 reply.ok() ? reply->error().message() : reply.status().message());
    return R"(<section id="anhaenge"><h2>Anhänge</h2><p>Die Anhänge können gerade nicht )"
           "geladen werden. Bitte laden Sie die Seite in einer Minute neu.</p></section>";
  }
  return AttachmentsSection(site, StrCat("/vorgaenge/", Escape(ref)),
                            reply->attachment().attachments());
}

std::string DeskReferralPage(Site& site, const Caller& caller, const lotse::v1::ReferralState& r,
                             const Form& form) {
  const config::Config& config = site.config();
  const absl::TimeZone& zone = config.city.zone;
  const std::string& ref = r.referral_id();
  const lotse::v1::Referral& q = r.referral();
  const config::Topic* topic = config.FindTopic(q.topic());
  const config::Office* office = config.FindOffice(q.office());
  const bool mine = r.assignee() == caller.role.id();
  const bool open = r.status() == lotse::v1::REFERRAL_STATUS_ROUTED ||
                    r.status() == lotse::v1::REFERRAL_STATUS_CLAIMED;
  std::string facts = StrCat(
      R"(<dl class="facts"><dt>Aktenzeichen</dt><dd>)", Escape(r.case_number()),
      "</dd><dt>Stand</dt><dd>", Escape(StatusWord(r.status(), r.waiting_since_us() != 0)),
      r.claimed_by().empty() ? "" : StrCat(" (", Escape(PersonName(config, r.claimed_by())), ")"),
      "</dd><dt>Unternehmen</dt><dd>", Escape(q.company_name()), " (", Escape(q.company_id()),
      ")</dd><dt>Ansprechperson im Unternehmen</dt><dd>",
      Escape(q.contact().name().empty() ? "–" : q.contact().name()),
      q.contact().phone().empty() ? "" : StrCat(", Tel. ", Escape(q.contact().phone())),
      "</dd><dt>Bürgerbüro</dt><dd>", Escape(office != nullptr ? office->name : q.office()),
      "</dd><dt>Thema</dt><dd>", Escape(topic != nullptr ? topic->name : q.topic()),
      "</dd><dt>Dringlichkeit</dt><dd>", Escape(PriorityWord(q.priority())), "</dd>");
  if (open && r.due_at_us() != 0) {
    const bool overdue = absl::FromUnixMicros(r.due_at_us()) < absl::Now();
    facts += StrCat("<dt>Antwort fällig</dt><dd>", Escape(DateTime(r.due_at_us(), zone)),
                    overdue ? R"( <span class="tag overdue">überfällig</span>)" : "", "</dd>");
  }
  if (!r.contact_person().name().empty()) {
    facts +=
        StrCat("<dt>Ansprechperson im Amt</dt><dd>", Escape(r.contact_person().name()),
               r.stand_in_for().empty()
                   ? ""
                   : StrCat(" (Vertretung für ", Escape(PersonName(config, r.stand_in_for())), ")"),
               "</dd>");
  }
  facts += "</dl>";
  std::string body =
      StrCat(facts, R"(<section><h2>Frage</h2><p class="subject">)", Escape(q.subject()),
             R"(</p><p class="body">)", Escape(q.text()), "</p></section>");
  body += DeskAttachments(site, caller, ref);
  for (const lotse::v1::CompanyQuestion& cq : r.company_questions()) {
    body += StrCat(R"(<section class="question-back"><h2>Rückfrage an das Unternehmen</h2><p>)",
                   Escape(DateTime(cq.asked_at_us(), zone)), R"(</p><p class="body">)",
                   Escape(cq.question()), "</p>",
                   cq.replied_at_us() == 0
                       ? "<p><em>Noch keine Antwort.</em></p>"
                       : StrCat("<p><strong>Antwort:</strong></p><p class=\"body\">",
                                Escape(cq.reply()), "</p>"),
                   "</section>");
  }
  bool consulted_open = false;  // the caller's own contribution is asked for
  bool any_open = false;        // a contribution is still to come
  for (const lotse::v1::Consultation& c : r.consultations()) {
    const config::Department* d = config.FindDepartment(c.department());
    consulted_open |= c.department() == caller.role.id() && c.contributed_at_us() == 0;
    any_open |= c.contributed_at_us() == 0;
    body += StrCat(R"(<section><h2>Beteiligung: )", Escape(d != nullptr ? d->name : c.department()),
                   R"(</h2><p class="body">)", Escape(c.question()), "</p>",
                   c.contributed_at_us() == 0
                       ? StrCat("<p><em>Beitrag offen, fällig ",
                                Escape(DateTime(c.due_at_us(), zone)), "</em></p>")
                       : StrCat("<p><strong>Beitrag:</strong></p><p class=\"body\">",
                                Escape(c.contribution()), "</p>"),
                   "</section>");
  }
  if (r.status() >= lotse::v1::REFERRAL_STATUS_ANSWERED) {
    body += StrCat(R"(<section class="answer"><h2>Antwort</h2><p>)",
                   Escape(OutcomeWord(r.answer().outcome())), " – ",
                   Escape(DateTime(r.answer().answered_at_us(), zone)), R"(</p><p class="body">)",
                   Escape(r.answer().text()), "</p></section>");
  }
  // The actions this unit can take now.
  std::string actions;
  if (consulted_open) {
    actions += ActionForm(caller, ref, "beitragen",
                          TextArea(form, "beitrag", "Ihr Beitrag", R"( required rows="5")"),
                          "Beitrag senden");
  }
  if (mine && open) {
    if (r.claimed_by().empty()) {
      actions += ActionForm(caller, ref, "uebernehmen", "", "Übernehmen");
    } else if (r.claimed_by() == caller.User()) {
      actions += ActionForm(caller, ref, "freigeben", "", "Freigeben", "secondary");
    }
    actions += ActionForm(
        caller, ref, "antworten",
        StrCat(
            Select(form, "ergebnis", "Ergebnis",
                   {{"resolved", "geklärt"},
                    {"partly", "teilweise geklärt"},
                    {"not-responsible", "nicht zuständig"}}),
            TextArea(form, "antwort", "Antwort an das Unternehmen", R"( required rows="8")"),
            any_open
                ? R"(<div class="field check"><input type="checkbox" id="f-trotzdem" name="trotzdem" value="ja"><label for="f-trotzdem">Auch wenn Beteiligungen noch offen sind</label></div>)"
                : ""),
        "Antwort senden");
    actions += Details(form, "Rückfrage an das Unternehmen", {"frage"});
    actions += ActionForm(caller, ref, "rueckfrage",
                          TextArea(form, "frage", "Frage an das Unternehmen (über das Bürgerbüro)",
                                   R"( required rows="4")"),
                          "Rückfrage stellen", "secondary");
    actions += "</details>";
    if (r.waiting_since_us() != 0) {
      actions +=
          ActionForm(caller, ref, "unternehmen-antwort",
                     TextArea(form, "text", "Antwort des Unternehmens (telefonisch erhalten)",
                              R"( required rows="4")"),
                     "Antwort eintragen", "secondary");
    }
    actions += Details(form, "Abgeben an ein anderes Amt", {"an", "grund"});
    actions += ActionForm(caller, ref, "abgeben",
                          StrCat(Select(form, "an", "An", Units(config, caller.role.id(), true)),
                                 TextArea(form, "grund", "Grund", R"( required rows="3")")),
                          "Abgeben", "secondary");
    actions += "</details>";
    std::string boxes;
    for (const auto& [id, name] : Units(config, caller.role.id(), false)) {
      boxes += StrCat(R"(<label><input type="checkbox" name="mit" value=")", Escape(id), "\"> ",
                      Escape(name), "</label>");
    }
    actions += Details(form, "Andere Ämter beteiligen", {"mit", "frage_beteiligung"});
    actions += ActionForm(
        caller, ref, "beteiligen",
        StrCat(R"(<fieldset class="radios" id="f-mit")",
               form.Error("mit").empty() ? "" : R"( aria-describedby="f-mit-fehler")",
               "><legend>Welche Ämter?</legend>", boxes,
               form.Error("mit").empty() ? ""
                                         : StrCat(R"(<span class="error" id="f-mit-fehler">)",
                                                  Escape(form.Error("mit")), "</span>"),
               "</fieldset>",
               TextArea(form, "frage_beteiligung", "Frage an die beteiligten Ämter",
                        R"( required rows="3")")),
        "Beteiligen", "secondary");
    actions += "</details>";
  }
  if (!actions.empty()) {
    body += StrCat(R"(<section class="no-print"><h2>Bearbeiten</h2>)", ErrorSummary(form), actions,
                   "</section>");
  }
  body += SimilarSection(site, caller, ref);
  body += ReferralHistory(site, caller, ref);
  return Page(StrCat("Vorgang ", r.case_number(), ": ", q.subject()), &caller.viewer, body);
}

void ShowDeskReferral(Site& site, const Caller& caller, const std::string& ref,
                      httplib::Response& response, const Form& form, int status) {
  absl::StatusOr<lotse::v1::RoutingReply> reply =
      site.Call(caller, client::DepartmentReferralRequest(ref, caller.role.id()));
  if (!GotResult(response, caller, "Der Vorgang", reply)) {
    return;
  }
  Html(response, status, DeskReferralPage(site, caller, reply->referral(), form));
}

void DeskReferral(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.PageCaller(request, response, {ACTOR_KIND_DEPARTMENT});
  if (!caller.has_value()) {
    return;
  }
  ShowDeskReferral(site, *caller, request.matches[1].str(), response, Form{}, 200);
}

// One action of the desk: the form's fields, checked, into one routing request.
void DeskAction(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = site.FormCaller(request, response, {ACTOR_KIND_DEPARTMENT});
  if (!caller.has_value()) {
    return;
  }
  const std::string ref = request.matches[1].str();
  const std::string action = request.matches[2].str();
  client::ChangeArgs args;
  args.ref = ref;
  args.department = caller->role.id();
  args.user = caller->User();
  args.key = Trimmed(request, "key");
  if (args.key.size() != 32) {
    args.key = client::RandomHex(32);
  }
  Form form;
  auto required = [&](const char* field, const char* message) -> std::string {
    form.values[field] = Param(request, field);
    if (Trimmed(request, field).empty()) {
      form.errors[field] = message;
    }
    return form.values[field];
  };
  lotse::v1::RoutingRequest change;
  std::string error_field = "antwort";
  std::string next = StrCat("/vorgaenge/", ref);
  if (action == "uebernehmen") {
    change = client::ChangeRequest(client::Change::kClaim, args);
  } else if (action == "freigeben") {
    change = client::ChangeRequest(client::Change::kUnclaim, args);
  } else if (action == "abgeben") {
    form.values["an"] = args.to = Trimmed(request, "an");
    args.reason = required("grund", "Bitte nennen Sie den Grund für die Abgabe.");
    error_field = "grund";
    change = client::ChangeRequest(client::Change::kForward, args);
    next = "/arbeitsliste";
  } else if (action == "beteiligen") {
    for (size_t i = 0; i < request.get_param_value_count("mit"); ++i) {
      args.with.push_back(request.get_param_value("mit", i));
    }
    if (args.with.empty()) {
      form.errors["mit"] = "Bitte wählen Sie mindestens ein Amt.";
    }
    args.question = required("frage_beteiligung", "Bitte stellen Sie den Ämtern Ihre Frage.");
    error_field = "frage_beteiligung";
    change = client::ChangeRequest(client::Change::kConsult, args);
  } else if (action == "beitragen") {
    args.text = required("beitrag", "Bitte schreiben Sie Ihren Beitrag.");
    error_field = "beitrag";
    change = client::ChangeRequest(client::Change::kContribute, args);
  } else if (action == "antworten") {
    args.text = required("antwort", "Bitte schreiben Sie die Antwort.");
    form.values["ergebnis"] = args.outcome = Trimmed(request, "ergebnis");
    if (!client::ParseOutcome(args.outcome).has_value()) {
      form.errors["ergebnis"] = "Bitte wählen Sie ein Ergebnis aus der Liste.";
    }
    args.confirm = Trimmed(request, "trotzdem") == "ja";
    change = client::ChangeRequest(client::Change::kAnswer, args);
    next = "/arbeitsliste";
  } else if (action == "rueckfrage") {
    client::AskCompanyArgs ask;
    ask.ref = ref;
    ask.department = args.department;
    ask.user = args.user;
    ask.key = args.key;
    ask.question = required("frage", "Bitte stellen Sie die Frage.");
    error_field = "frage";
    change = client::AskCompanyRequest(ask);
  } else if (action == "unternehmen-antwort") {
    client::CompanyRepliedArgs replied;
    replied.ref = ref;
    replied.department = args.department;
    replied.user = args.user;
    replied.key = args.key;
    replied.text = required("text", "Bitte tragen Sie die Antwort des Unternehmens ein.");
    error_field = "text";
    change = client::CompanyRepliedRequest(replied);
  } else {
    NotFound(response, &caller->viewer);
    return;
  }
  if (!form.ok()) {
    ShowDeskReferral(site, *caller, ref, response, form, 422);
    return;
  }
  absl::StatusOr<lotse::v1::RoutingReply> reply = site.Call(*caller, change);
  if (reply.ok() && reply->has_error() &&
      (reply->error().code() == lotse::v1::ERROR_CODE_INVALID_ARGUMENT ||
       reply->error().code() == lotse::v1::ERROR_CODE_FAILED_PRECONDITION ||
       reply->error().code() == lotse::v1::ERROR_CODE_ALREADY_EXISTS)) {
    form.errors[error_field] =
        reply->error().field() == "confirm_open_consultations"
            ? "Eine Beteiligung ist noch offen. Warten Sie auf den Beitrag, oder kreuzen Sie "
              "„Auch wenn Beteiligungen noch offen sind“ an und senden Sie die Antwort erneut."
            : StrCat("Nicht möglich: ", reply->error().message());
    ShowDeskReferral(site, *caller, ref, response, form, 422);
    return;
  }
  if (!GotResult(response, *caller, "Der Vorgang", reply)) {
    return;
  }
  SeeOther(response, next);
}

// An attachment's bytes, chunk by chunk from intake, as a download.
void Attachment(Site& site, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller =
      site.PageCaller(request, response, {ACTOR_KIND_OFFICE, ACTOR_KIND_DEPARTMENT});
  if (!caller.has_value()) {
    return;
  }
  const std::string ref = request.matches[1].str();
  const std::string name = request.get_param_value("name");
  std::string bytes;
  lotse::v1::AttachmentRef attachment;
  for (;;) {
    client::AttachmentArgs get;
    get.ref = ref;
    (caller->IsOffice() ? get.office : get.department) = caller->role.id();
    get.name = name;
    get.offset = bytes.size();
    absl::StatusOr<lotse::v1::IntakeReply> reply =
        site.Call(*caller, client::AttachmentRequest(get));
    if (!GotResult(response, *caller, "Der Anhang", reply)) {
      return;
    }
    attachment = reply->attachment().attachment();
    bytes += reply->attachment().data();
    if (reply->attachment().data().empty() || bytes.size() >= attachment.size()) {
      break;
    }
  }
  response.set_header("Content-Disposition",
                      StrCat("attachment; filename*=UTF-8''",
                             httplib::detail::encode_query_param(attachment.name())));
  response.set_content(bytes, "application/octet-stream");
}

}  // namespace

void AddDeskPages(httplib::Server& server, Site& site) {
  auto route = [&site](void (*handler)(Site&, const httplib::Request&, httplib::Response&)) {
    return [&site, handler](const httplib::Request& request, httplib::Response& response) {
      handler(site, request, response);
    };
  };
  server.Get("/arbeitsliste", route(Worklist));
  server.Get(StrCat("/vorgaenge/", kRefPattern), route(DeskReferral));
  server.Post(StrCat("/vorgaenge/", kRefPattern, "/([a-z-]{1,32})"), route(DeskAction));
  server.Get(StrCat("/vorgaenge/", kRefPattern, "/anhang"), route(Attachment));
  server.Get(StrCat("/anfragen/", kRefPattern, "/anhang"), route(Attachment));
}

}  // namespace lotse::web
