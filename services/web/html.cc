#include "services/web/html.h"

#include <cctype>

#include "common/format.h"
#include "common/receipt/receipt.h"
#include "lotse/v1/common.pb.h"

namespace lotse::web {

std::string Escape(std::string_view text) { return receipt::EscapeHtml(text); }

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

namespace {

struct MenuItem {
  std::string_view path, label;
};

// The pages a role works with, in the order of its day.
std::vector<MenuItem> Menu(const Viewer& viewer) {
  switch (viewer.kind) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      return {{"/anfragen/neu", "Neue Anfrage"},
              {"/anfragen", "Unsere Anfragen"},
              {"/posteingang", "Posteingang"},
              {"/auswertung", "Auswertung"}};
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      if (viewer.key_account) {
        return {{"/arbeitsliste", "Arbeitsliste"},
                {"/posteingang", "Posteingang"},
                {"/unternehmen", "Unternehmen"},
                {"/auswertung", "Auswertung"}};
      }
      return {{"/arbeitsliste", "Arbeitsliste"},
              {"/posteingang", "Posteingang"},
              {"/auswertung", "Auswertung"}};
    case lotse::v1::ACTOR_KIND_OPS:
      return {{"/betrieb", "Betrieb"}};
    case lotse::v1::ACTOR_KIND_ADMIN:
      return {{"/auswertung", "Auswertung"}, {"/unternehmen", "Unternehmen"}};
    default:
      return {};
  }
}

}  // namespace

std::string Page(std::string_view title, const Viewer* viewer, std::string_view main_html) {
  std::string head;
  if (viewer != nullptr) {
    std::string links;
    for (const MenuItem& item : Menu(*viewer)) {
      links += StrCat(R"(<a href=")", item.path, R"(">)", item.label, "</a>");
    }
    if (viewer->several_roles) {
      links += R"(<a href="/rolle">Rolle wechseln</a>)";
    }
    head = StrCat(R"(<nav aria-label="Hauptnavigation">)", links, "</nav>",
                  R"(<p class="viewer">Angemeldet: <strong>)", Escape(viewer->display_name),
                  "</strong> für ", Escape(viewer->acts_for), "</p>",
                  R"(<form method="post" action="/abmelden" class="logout">)",
                  R"(<input type="hidden" name="csrf" value=")", Escape(viewer->csrf_token),
                  R"("><button type="submit">Abmelden</button></form>)");
  }
  return StrCat(R"(<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)",
                Escape(title), R"( – Lotse</title>
<link rel="stylesheet" href="/static/lotse.css">
</head>
<body>
<a class="skip" href="#inhalt">Zum Inhalt springen</a>
<header><span class="brand">Lotse</span>)",
                head, R"(</header>
<main id="inhalt">
<h1>)",
                Escape(title), "</h1>\n", main_html, R"(
</main>
<footer><a href="/barrierefreiheit">Erklärung zur Barrierefreiheit</a></footer>
<script src="/static/lotse.js" defer></script>
</body>
</html>
)");
}

std::string LoginPage(std::string_view error, std::string_view login) {
  std::string error_html;
  if (!error.empty()) {
    error_html =
        StrCat(R"(<p class="error" id="login-fehler" role="alert">)", Escape(error), "</p>");
  }
  const std::string described = error.empty() ? "" : R"( aria-describedby="login-fehler")";
  return Page(
      "Anmelden", nullptr,
      StrCat(R"(<form method="post" action="/anmelden" class="login">)", error_html,
             R"(<label for="login">Benutzername</label>)",
             R"(<input id="login" name="login" autocomplete="username" required value=")",
             Escape(login), "\"", described, R"(>)", R"(<label for="password">Passwort</label>)",
             R"(<input id="password" name="password" type="password" )",
             R"(autocomplete="current-password" required)", described, R"(>)",
             R"(<button type="submit">Anmelden</button></form>)"));
}

std::string InboxMessageHtml(const lotse::v1::InboxMessage& m, std::string_view link_base,
                             const absl::TimeZone& zone) {
  std::string title = Escape(m.title());
  if (!m.referral_id().empty() && !link_base.empty()) {
    title = StrCat(R"(<a href=")", link_base, Escape(m.referral_id()), R"(">)", title, "</a>");
  }
  return StrCat(R"(<li class="message" data-seq=")", m.seq(), R"("><p class="when">)",
                Escape(DateTime(m.created_at_us(), zone)), "</p><h2>", title, "</h2>",
                m.body().empty() ? "" : StrCat(R"(<p class="body">)", Escape(m.body()), "</p>"),
                "</li>");
}

std::string InboxPage(const Viewer& viewer, std::string_view inbox_name,
                      const std::vector<lotse::v1::InboxMessage>& messages,
                      std::string_view link_base, const absl::TimeZone& zone) {
  std::string items;
  for (const lotse::v1::InboxMessage& m : messages) {
    items += InboxMessageHtml(m, link_base, zone);
  }
  const uint64_t last = messages.empty() ? 0 : messages.back().seq();
  // The script opens /posteingang/live after the last message shown and adds each new one to
  // the list; without script, a reload shows them.
  return Page(
      "Posteingang", &viewer,
      StrCat(R"(<div class="inbox-head"><p class="inbox-name">Posteingang )", Escape(inbox_name),
             R"(</p><p class="live" data-live-status aria-live="polite"></p></div>)",
             R"(<p class="empty")", messages.empty() ? "" : " hidden",
             R"(>Keine ungelesenen Nachrichten.</p>)",
             R"(<ol class="inbox" aria-label="Nachrichten" aria-live="polite" data-inbox-live )",
             R"(data-link-base=")", Escape(link_base), R"(" data-after=")", last, R"(">)", items,
             "</ol>", R"(<form method="post" action="/posteingang/gelesen")",
             messages.empty() ? " hidden" : "", ">", CsrfField(viewer),
             R"(<input type="hidden" name="bis" value=")", last,
             R"("><button type="submit">Alle als gelesen markieren</button></form>)"));
}

const std::string& Form::Value(std::string_view name) const {
  static const std::string kNone;
  auto it = values.find(name);
  return it == values.end() ? kNone : it->second;
}

const std::string& Form::Error(std::string_view name) const {
  static const std::string kNone;
  auto it = errors.find(name);
  return it == errors.end() ? kNone : it->second;
}

namespace {

// The label, the hint and the error of a control, and the attributes that tie them to it.
struct Labelled {
  std::string before;  // <label>…</label> and the hint
  std::string attrs;   // id, name, aria-*
  std::string after;   // the error message
};

Labelled Label(const Form& form, std::string_view name, std::string_view label,
               std::string_view hint) {
  Labelled l;
  const std::string id = StrCat("f-", name);
  l.before = StrCat(R"(<label for=")", id, R"(">)", Escape(label), "</label>");
  std::string described;
  if (!hint.empty()) {
    l.before += StrCat(R"(<span class="hint" id=")", id, R"(-hinweis">)", Escape(hint), "</span>");
    described = StrCat(id, "-hinweis");
  }
  l.attrs = StrCat(R"( id=")", id, R"(" name=")", Escape(name), "\"");
  const std::string& error = form.Error(name);
  if (!error.empty()) {
    l.after = StrCat(R"(<span class="error" id=")", id, R"(-fehler">)", Escape(error), "</span>");
    described += StrCat(described.empty() ? "" : " ", id, "-fehler");
    l.attrs += R"( aria-invalid="true")";
  }
  if (!described.empty()) {
    l.attrs += StrCat(R"( aria-describedby=")", described, "\"");
  }
  return l;
}

}  // namespace

std::string TextField(const Form& form, std::string_view name, std::string_view label,
                      std::string_view attrs, std::string_view hint) {
  const Labelled l = Label(form, name, label, hint);
  return StrCat(R"(<div class="field">)", l.before, "<input", l.attrs, R"( value=")",
                Escape(form.Value(name)), "\"", attrs, ">", l.after, "</div>");
}

std::string TextArea(const Form& form, std::string_view name, std::string_view label,
                     std::string_view attrs, std::string_view hint) {
  const Labelled l = Label(form, name, label, hint);
  return StrCat(R"(<div class="field">)", l.before, "<textarea", l.attrs, attrs, ">",
                Escape(form.Value(name)), "</textarea>", l.after, "</div>");
}

std::string FileField(const Form& form, std::string_view name, std::string_view label,
                      std::string_view attrs, std::string_view hint) {
  const Labelled l = Label(form, name, label, hint);
  return StrCat(R"(<div class="field">)", l.before, R"(<input type="file")", l.attrs, attrs, ">",
                l.after, "</div>");
}

std::string Select(const Form& form, std::string_view name, std::string_view label,
                   const std::vector<std::pair<std::string, std::string>>& options,
                   std::string_view attrs) {
  const Labelled l = Label(form, name, label, "");
  std::string out = StrCat(R"(<div class="field">)", l.before, "<select", l.attrs, attrs, ">");
  for (const auto& [value, text] : options) {
    out += StrCat(R"(<option value=")", Escape(value), "\"",
                  value == form.Value(name) ? " selected" : "", ">", Escape(text), "</option>");
  }
  return StrCat(out, "</select>", l.after, "</div>");
}

std::string Radios(const Form& form, std::string_view name, std::string_view legend,
                   const std::vector<std::pair<std::string, std::string>>& options) {
  const std::string& error = form.Error(name);
  std::string out =
      StrCat(R"(<fieldset class="radios")",
             error.empty() ? "" : StrCat(R"( aria-describedby="f-)", name, R"(-fehler")"),
             "><legend>", Escape(legend), "</legend>");
  for (size_t i = 0; i < options.size(); ++i) {
    const auto& [value, text] = options[i];
    out += StrCat(R"(<label><input type="radio" name=")", Escape(name), R"(" id="f-)", name,
                  i == 0 ? "" : StrCat("-", i), R"(" value=")", Escape(value), "\"",
                  value == form.Value(name) ? " checked" : "", "> ", Escape(text), "</label>");
  }
  if (!error.empty()) {
    out += StrCat(R"(<span class="error" id="f-)", name, R"(-fehler">)", Escape(error), "</span>");
  }
  return StrCat(out, "</fieldset>");
}

std::string Hidden(std::string_view name, std::string_view value) {
  return StrCat(R"(<input type="hidden" name=")", Escape(name), R"(" value=")", Escape(value),
                R"(">)");
}

std::string CsrfField(const Viewer& viewer) { return Hidden("csrf", viewer.csrf_token); }

std::string ErrorSummary(const Form& form) {
  if (form.ok()) {
    return "";
  }
  std::string items;
  for (const auto& [name, error] : form.errors) {
    items += StrCat(R"(<li><a href="#f-)", Escape(name), R"(">)", Escape(error), "</a></li>");
  }
  return StrCat(R"(<div class="error-summary" role="alert"><p>Bitte prüfen Sie:</p><ul>)", items,
                "</ul></div>");
}

std::string DateTime(int64_t micros, const absl::TimeZone& zone) {
  return micros == 0 ? "" : receipt::GermanDateTime(micros, zone);
}

std::string StatusWord(lotse::v1::ReferralStatus status, bool waiting) {
  if (waiting && (status == lotse::v1::REFERRAL_STATUS_ROUTED ||
                  status == lotse::v1::REFERRAL_STATUS_CLAIMED)) {
    return "wartet auf das Unternehmen";
  }
  switch (status) {
    case lotse::v1::REFERRAL_STATUS_SUBMITTED:
      return "eingegangen";
    case lotse::v1::REFERRAL_STATUS_ROUTED:
      return "beim Fachamt";
    case lotse::v1::REFERRAL_STATUS_CLAIMED:
      return "in Bearbeitung";
    case lotse::v1::REFERRAL_STATUS_ANSWERED:
      return "beantwortet";
    case lotse::v1::REFERRAL_STATUS_CLOSED:
      return "abgeschlossen";
    default:
      return "unbekannt";
  }
}

std::string PriorityWord(lotse::v1::Priority priority) {
  switch (priority) {
    case lotse::v1::PRIORITY_LOW:
      return "niedrig";
    case lotse::v1::PRIORITY_HIGH:
      return "hoch";
    case lotse::v1::PRIORITY_URGENT:
      return "dringend";
    default:
      return "normal";
  }
}

std::string OutcomeWord(lotse::v1::Outcome outcome) {
  switch (outcome) {
    case lotse::v1::OUTCOME_RESOLVED:
      return "geklärt";
    case lotse::v1::OUTCOME_PARTLY:
      return "teilweise geklärt";
    case lotse::v1::OUTCOME_NOT_RESPONSIBLE:
      return "nicht zuständig";
    default:
      return "";
  }
}

std::string ProblemPage(const Viewer* viewer, std::string_view title, std::string_view text) {
  return Page(title, viewer, StrCat("<p>", Escape(text), "</p>"));
}

}  // namespace lotse::web
