#include "services/web/html.h"

#include "common/format.h"
#include "common/receipt/receipt.h"

namespace lotse::web {

std::string Escape(std::string_view text) { return receipt::EscapeHtml(text); }

std::string Page(std::string_view title, const Viewer* viewer, std::string_view main_html) {
  std::string head;
  if (viewer != nullptr) {
    head =
        StrCat(R"(<nav aria-label="Hauptnavigation"><a href="/posteingang">Posteingang</a></nav>)",
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
<header><span class="brand">Lotse</span>)",
                head, R"(</header>
<main id="inhalt">
<h1>)",
                Escape(title), "</h1>\n", main_html, R"(
</main>
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

std::string_view StyleSheet() {
  return R"css(:root { --ink: #1b1f24; --muted: #4a5560; --line: #c9d1d9; --accent: #0b4f8a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: #fff; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .5rem 1rem;
         border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; color: var(--accent); }
nav a { color: var(--accent); }
.viewer { margin: 0 0 0 auto; color: var(--muted); }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
form.login { display: grid; gap: .5rem; max-width: 22rem; }
input, button { font: inherit; padding: .4rem .6rem; }
input { border: 1px solid var(--muted); border-radius: 3px; }
button { border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 3px;
         cursor: pointer; }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.error { color: #a40000; font-weight: 600; }
ol.inbox { list-style: none; padding: 0; }
.message { border: 1px solid var(--line); border-radius: 4px; padding: .5rem 1rem; margin: .5rem 0; }
.message h2 { font-size: 1.05rem; margin: .2rem 0; }
.when, .inbox-name { color: var(--muted); margin: 0; }
.body { white-space: pre-wrap; margin: .2rem 0; }
)css";
}

}  // namespace lotse::web
