#include "services/web/management_company.h"

#include "common/format.h"
#include "services/web/charts.h"
#include "services/web/html.h"
#include "services/web/names.h"

namespace lotse::web {
namespace {

// "06.12.2026 12:35", compact for a table; "–" for 0.
std::string When(int64_t micros, const absl::TimeZone& zone) {
  return micros == 0 ? "–" : absl::FormatTime("%d.%m.%Y %H:%M", absl::FromUnixMicros(micros), zone);
}

std::string Rating(int32_t rating) { return rating != 0 ? StrCat(rating) : "–"; }

std::string CompanyLinks(const std::vector<std::string>& companies) {
  std::string out;
  for (const std::string& c : companies) {
    out += StrCat(R"(<li><a href=")", Escape(CompanyPath(c)), R"(">)", Escape(c), "</a></li>");
  }
  return out;
}

}  // namespace

std::string CompanyPath(std::string_view company_id) {
  return StrCat("/unternehmen/", UrlEncode(company_id));
}

std::string CompanySearch(std::string_view company_id, const config::Config& config,
                          const config::KeyAccount* kam, bool all_kams) {
  std::string out =
      StrCat(R"(<form method="get" action="/unternehmen" class="filters" role="search">)",
             R"(<div class="field wide"><label for="unternehmen-id">Kennung des Unternehmens )",
             R"((wie bei der Anfrage erfasst, z. B. die Handelsregisternummer)</label>)",
             R"(<input id="unternehmen-id" name="id" required maxlength="128" autocomplete="off" )",
             R"(value=")", Escape(company_id), R"("></div>)",
             R"(<div class="field"><button type="submit">Akte öffnen</button></div></form>)");
  if (kam != nullptr && !kam->companies.empty()) {
    out += StrCat(
        R"(<h2 id="ihre">Ihre Unternehmen</h2><ul class="companies" aria-labelledby="ihre">)",
        CompanyLinks(kam->companies), "</ul>");
  }
  if (all_kams) {
    for (const config::KeyAccount& k : config.key_accounts) {
      if (k.companies.empty()) {
        continue;
      }
      const std::string id = StrCat("kam-", k.id);
      out += StrCat(R"(<h2 id=")", Escape(id), R"(">Unternehmen von Key Account )", Escape(k.name),
                    R"(</h2><ul class="companies" aria-labelledby=")", Escape(id), R"(">)",
                    CompanyLinks(k.companies), "</ul>");
    }
  }
  return out;
}

std::string CompanyFileMain(const lotse::v1::CompanyReply& reply, const config::Config& config,
                            const absl::TimeZone& zone, std::string_view next_path) {
  std::string kam = "keiner";
  if (!reply.key_account().empty()) {
    const config::KeyAccount* k = config.FindKeyAccount(reply.key_account());
    kam = k != nullptr ? k->name : reply.key_account();
  }
  std::string out =
      StrCat(R"(<p><a href="/unternehmen">Andere Akte öffnen</a></p><dl class="facts">)",
             "<dt>Kennung</dt><dd>", Escape(reply.company_id()), "</dd><dt>Name</dt><dd>",
             reply.company_name().empty() ? "–" : Escape(reply.company_name()),
             "</dd><dt>Key Account Manager</dt><dd>", Escape(kam), "</dd><dt>Anfragen</dt><dd>",
             reply.total(), "</dd></dl>");
  if (reply.entries().empty()) {
    return StrCat(out, R"(<p class="empty">Zu diesem Unternehmen gibt es keine Anfragen, die )",
                  "Sie sehen dürfen.</p>");
  }
  std::string rows;
  for (const lotse::v1::CompanyFileEntry& e : reply.entries()) {
    std::string status = StatusWord(e.status(), e.waiting());
    if (e.reopen_count() > 0) {
      status += StrCat(", ", e.reopen_count(), "× wieder geöffnet");
    }
    std::string who = UnitName(config, e.assignee());
    if (!e.contact_person().name().empty()) {
      who += StrCat(" – ", e.contact_person().name());
    }
    rows += StrCat(
        R"(<tr><th scope="row">)", Escape(e.case_number()), R"(<span class="note">eingegangen )",
        Escape(When(e.submitted_at_us(), zone)), "</span></th><td>", Escape(status), "</td><td>",
        Escape(TopicName(config, e.topic())), "</td><td>", Escape(who), "</td><td>",
        Escape(UnitName(config, e.office())), "</td><td>", Escape(When(e.due_at_us(), zone)),
        "</td><td>", Escape(When(e.answered_at_us(), zone)), R"(</td><td class="num">)",
        Rating(e.rating()), " / ", Rating(e.company_rating()), "</td></tr>");
  }
  out += StrCat(
      R"(<div class="table-scroll" role="region" tabindex="0" aria-labelledby="akte">)",
      R"(<table class="figures"><caption id="akte">Anfragen des Unternehmens, neueste zuerst )",
      "(", reply.entries_size(), " von ", reply.total(), ")</caption><thead><tr>",
      R"(<th scope="col">Aktenzeichen</th><th scope="col">Stand</th><th scope="col">Thema</th>)",
      R"(<th scope="col">Bei (Fachamt, Ansprechperson)</th><th scope="col">Bürgerbüro</th>)",
      R"(<th scope="col">Fällig</th><th scope="col">Beantwortet</th>)",
      R"(<th scope="col" class="num">Bewertung Bürgerbüro / Unternehmen</th></tr></thead>)",
      "<tbody>", rows, "</tbody></table></div>");
  if (!next_path.empty()) {
    out += StrCat(R"(<p><a href=")", Escape(next_path), R"(">Ältere Anfragen</a></p>)");
  }
  return out;
}

}  // namespace lotse::web
