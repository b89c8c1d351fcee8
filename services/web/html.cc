#include "services/web/html.h"

#include "common/format.h"
#include "common/receipt/receipt.h"

namespace lotse::web {

std::string Escape(std::string_view text) { return receipt::EscapeHtml(text); }

namespace {

struct MenuItem {
  std::string_view path, label;
};

// The pages a role works with, in the order of its day.
std::vector<MenuItem> Menu(lotse::v1::ActorKind kind) {
  switch (kind) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      return {{"/anfragen/neu", "Neue Anfrage"},
              {"/anfragen", "Unsere Anfragen"},
              {"/posteingang", "Posteingang"},
              {"/auswertung", "Auswertung"}};
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      return {{"/arbeitsliste", "Arbeitsliste"},
              {"/posteingang", "Posteingang"},
              {"/unternehmen", "Unternehmen"},
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
    for (const MenuItem& item : Menu(viewer->kind)) {
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

std::string InboxPage(const Viewer& viewer, std::string_view inbox_name,
                      const std::vector<lotse::v1::InboxMessage>& messages,
                      const absl::TimeZone& zone) {
  std::string items;
  for (const lotse::v1::InboxMessage& m : messages) {
    items += StrCat(
        R"(<li class="message"><p class="when">)",
        Escape(absl::FormatTime("%d.%m.%Y %H:%M", absl::FromUnixMicros(m.created_at_us()), zone)),
        R"(</p><h2>)", Escape(m.title()), "</h2>",
        m.body().empty() ? "" : StrCat("<p class=\"body\">", Escape(m.body()), "</p>"), "</li>");
  }
  std::string list = R"(<p class="empty">Keine ungelesenen Nachrichten.</p>)";
  if (!messages.empty()) {
    list = StrCat(R"(<ol class="inbox" aria-label="Nachrichten">)", items, "</ol>",
                  R"(<form method="post" action="/posteingang/gelesen">)",
                  R"(<input type="hidden" name="csrf" value=")", Escape(viewer.csrf_token),
                  R"("><input type="hidden" name="bis" value=")", messages.back().seq(),
                  R"("><button type="submit">Alle als gelesen markieren</button></form>)");
  }
  return Page("Posteingang", &viewer,
              StrCat(R"(<p class="inbox-name">Posteingang )", Escape(inbox_name), "</p>", list));
}

std::string ProblemPage(const Viewer* viewer, std::string_view title, std::string_view text) {
  return Page(title, viewer, StrCat("<p>", Escape(text), "</p>"));
}

}  // namespace lotse::web
