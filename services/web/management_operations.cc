#include "services/web/management_operations.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <tuple>

#include "absl/strings/numbers.h"
#include "common/format.h"
#include "common/ops/http.h"
#include "google/protobuf/util/json_util.h"
#include "services/web/api_support.h"
#include "services/web/charts.h"
#include "services/web/html.h"

namespace lotse::web {
namespace {

constexpr config::Service kServices[] = {config::Service::kIntake, config::Service::kRouting,
                                         config::Service::kNotification, config::Service::kAudit};

// Reads a label value after its opening quote; `*at` ends after the closing quote.
std::optional<std::string> LabelValue(std::string_view line, size_t* at) {
  std::string value;
  for (size_t i = *at; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      *at = i + 1;
      return value;
    }
    if (c == '\\' && i + 1 < line.size()) {
      const char next = line[++i];
      value += next == 'n' ? '\n' : next;
      continue;
    }
    value += c;
  }
  return std::nullopt;
}

std::optional<MetricSample> ParseLine(std::string_view line) {
  MetricSample sample;
  size_t at = 0;
  while (at < line.size() && line[at] != '{' && line[at] != ' ') {
    ++at;
  }
  sample.name = std::string(line.substr(0, at));
  if (sample.name.empty()) {
    return std::nullopt;
  }
  if (at < line.size() && line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const size_t eq = line.find('=', at);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        return std::nullopt;
      }
      std::string name(line.substr(at, eq - at));
      at = eq + 2;
      std::optional<std::string> value = LabelValue(line, &at);
      if (!value.has_value()) {
        return std::nullopt;
      }
      sample.labels.emplace_back(std::move(name), std::move(*value));
      if (at < line.size() && line[at] == ',') {
        ++at;
      }
    }
    if (at >= line.size()) {
      return std::nullopt;
    }
    ++at;  // '}'
  }
  std::string_view rest = line.substr(at);
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  rest = rest.substr(0, rest.find(' '));  // a timestamp may follow
  const std::string number(rest);
  char* end = nullptr;
  sample.value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size()) {
    return std::nullopt;
  }
  return sample;
}

std::string SeriesKey(std::string_view service, const MetricSample& s) {
  std::string key = StrCat(service, "\t", s.name);
  for (const auto& [name, value] : s.labels) {
    key += StrCat("\t", name, "=", value);
  }
  return key;
}

std::string ErrorName(std::string_view code) {
  static const std::map<std::string_view, std::string_view> names = {
      {"invalid_argument", "ungültige Eingabe"},
      {"not_found", "nicht gefunden"},
      {"permission_denied", "nicht erlaubt"},
      {"failed_precondition", "nicht möglich im Zustand"},
      {"already_exists", "gibt es schon"},
      {"resource_exhausted", "überlastet oder Platte voll"},
      {"unavailable", "nicht verfügbar"},
      {"internal", "interner Fehler"}};
  auto it = names.find(code);
  return StrCat("Fehlerantwort: ", it == names.end() ? code : it->second);
}

std::string LevelName(std::string_view level) {
  if (level == "warning") {
    return "Fristwarnung";
  }
  if (level == "breach") {
    return "Frist überschritten";
  }
  if (level == "second_breach") {
    return "Leitung informiert (lange überfällig)";
  }
  return StrCat("Eskalation ", level);
}

// The kind and detail of a counter whose growth is an event people look at; nullopt for others.
std::optional<std::pair<std::string, std::string>> EventOf(const MetricSample& s) {
  if (s.name == "lotse_events_produced_total") {
    const std::string type = s.Label("type");
    if (type == "escalated") {
      return std::nullopt;  // counted with its department below
    }
    return std::make_pair(EventKindName(type), std::string());
  }
  if (s.name == "lotse_escalations_total") {
    return std::make_pair(LevelName(s.Label("level")), s.Label("department"));
  }
  if (s.name == "lotse_errors_total") {
    return std::make_pair(ErrorName(s.Label("code")), std::string());
  }
  if (s.name == "lotse_dead_letters_total") {
    return std::make_pair(std::string("Nicht anwendbares Ereignis (Dead Letter)"), std::string());
  }
  return std::nullopt;
}

std::string Clock(absl::Time t, const absl::TimeZone& zone) {
  return absl::FormatTime("%H:%M:%S", t, zone);
}

// The time of `micros`, with its date if that is not the day of `now`.
std::string ClockOrDay(int64_t micros, absl::Time now, const absl::TimeZone& zone) {
  if (micros == 0) {
    return "–";
  }
  const absl::Time t = absl::FromUnixMicros(micros);
  return absl::FormatTime(
      absl::ToCivilDay(t, zone) == absl::ToCivilDay(now, zone) ? "%H:%M:%S" : "%d.%m. %H:%M", t,
      zone);
}

std::string Bytes(uint64_t n) {
  if (n >= (1ULL << 30)) {
    return StrCat(GermanNumber(static_cast<double>(n) / (1ULL << 30), 1), " GiB");
  }
  if (n >= (1ULL << 20)) {
    return StrCat(GermanNumber(static_cast<double>(n) / (1ULL << 20), 1), " MiB");
  }
  return StrCat(GermanNumber(std::ceil(static_cast<double>(n) / 1024), 0), " KiB");
}

std::string Uptime(double seconds) {
  const auto s = static_cast<int64_t>(seconds);
  if (s >= 86400) {
    return StrCat(s / 86400, " T ", s % 86400 / 3600, " Std");
  }
  if (s >= 3600) {
    return StrCat(s / 3600, " Std ", s % 3600 / 60, " Min");
  }
  return StrCat(s / 60, " Min ", s % 60, " s");
}

std::string Rate(const std::optional<double>& per_minute) {
  return per_minute.has_value() ? GermanNumber(*per_minute, 1) : "–";
}

std::string StateCell(const ServiceState& s) {
  if (!s.up) {
    return StrCat(R"(<td class="state bad"><span aria-hidden="true">✗ </span>nicht erreichbar)",
                  R"(<span class="note">)", Escape(s.problem), "</span></td>");
  }
  if (!s.status.ready()) {
    std::string reasons;
    for (const std::string& r : s.status.not_ready_reasons()) {
      reasons += StrCat("<li>", Escape(r), "</li>");
    }
    return StrCat(R"(<td class="state warn"><span aria-hidden="true">⚠ </span>läuft, )",
                  R"(nicht bereit<ul class="reasons">)", reasons, "</ul></td>");
  }
  return R"(<td class="state ok"><span aria-hidden="true">✓ </span>läuft, bereit</td>)";
}

double MetricOr(const ServiceState& s, std::string_view name, std::string_view label,
                std::string_view value, double fallback) {
  for (const MetricSample& m : s.metrics) {
    if (m.name == name && m.Label(label) == value) {
      return m.value;
    }
  }
  return fallback;
}

std::string ServicesTable(const OpsSnapshot& snapshot, const absl::TimeZone& zone) {
  std::string rows;
  for (const ServiceState& s : snapshot.services) {
    const lotse::v1::ServiceStatus& st = s.status;
    rows += StrCat(R"(<tr><th scope="row">)", Escape(s.service), "</th>", StateCell(s));
    if (!s.up) {
      rows += R"(<td colspan="7" class="note">keine Angaben</td></tr>)";
      continue;
    }
    rows += StrCat(
        R"(<td class="num">)", Escape(Uptime(st.uptime_s())), R"(</td><td class="num">)",
        Escape(ClockOrDay(st.last_commit_at_us(), snapshot.at, zone)), R"(</td><td class="num">)",
        Rate(s.commands_per_minute), R"(</td><td class="num">)", Rate(s.events_per_minute),
        R"(</td><td class="num">)", GermanNumber(static_cast<double>(st.dead_letters()), 0),
        R"(</td><td class="num">)", Escape(Bytes(st.disk_free_bytes())), R"(</td><td class="num">)",
        Escape(Bytes(st.rss_bytes())), "</td></tr>");
  }
  return StrCat(
      R"(<section aria-labelledby="dienste"><h2 id="dienste">Dienste</h2>)",
      R"(<div class="table-scroll" role="region" tabindex="0" aria-labelledby="dienste">)",
      R"(<table class="figures" aria-labelledby="dienste"><thead><tr>)",
      R"(<th scope="col">Dienst</th><th scope="col">Zustand</th>)",
      R"(<th scope="col" class="num">Laufzeit</th>)",
      R"(<th scope="col" class="num">Letzte Speicherung</th>)",
      R"(<th scope="col" class="num">Befehle je Minute</th>)",
      R"(<th scope="col" class="num">Ereignisse je Minute</th>)",
      R"(<th scope="col" class="num">Nicht anwendbar</th>)",
      R"(<th scope="col" class="num">Platte frei</th>)",
      R"(<th scope="col" class="num">Speicher</th></tr></thead><tbody>)", rows,
      "</tbody></table></div></section>");
}

std::string QueuesTable(const OpsSnapshot& snapshot) {
  std::string rows;
  auto row = [&rows](std::string_view service, const std::string& what, uint64_t length,
                     const std::string& rate, const std::string& state) {
    rows += StrCat(R"(<tr><th scope="row">)", Escape(service), "</th><td>", Escape(what),
                   R"(</td><td class="num">)", GermanNumber(static_cast<double>(length), 0),
                   R"(</td><td class="num">)", rate, "</td><td>", state, "</td></tr>");
  };
  for (const ServiceState& s : snapshot.services) {
    if (!s.up) {
      continue;
    }
    for (const lotse::v1::ConsumerStatus& c : s.status.consumers()) {
      std::string state = c.halted()      ? StrCat("angehalten: ", Escape(c.halt_reason()))
                          : c.connected() ? "verbunden"
                                          : "keine Antwort vom Erzeuger";
      row(s.service, StrCat("Ereignisse von ", c.stream(), ", noch nicht verarbeitet"), c.lag(),
          GermanNumber(c.rate_per_s(), 1), state);
    }
    for (const lotse::v1::LogConsumerStatus& c : s.status.log_consumers()) {
      row(s.service, StrCat("Eigene Ereignisse, von ", c.consumer(), " noch nicht bestätigt"),
          c.lag(), "–", "");
    }
    const double mails = MetricOr(s, "lotse_rocksdb_estimated_keys", "family", "state_mail", -1);
    if (mails >= 0) {
      row(s.service, "E-Mails in der Warteschlange (geschätzt)", static_cast<uint64_t>(mails), "–",
          "");
    }
  }
  const std::string heading =
      R"(<section aria-labelledby="rueckstaende"><h2 id="rueckstaende">Rückstände und )"
      R"(Warteschlangen</h2>)";
  if (rows.empty()) {
    return StrCat(heading, R"(<p class="empty">Kein Dienst erreichbar: keine Warteschlangen )",
                  R"(zu zeigen.</p></section>)");
  }
  return StrCat(
      heading,
      R"(<div class="table-scroll" role="region" tabindex="0" aria-labelledby="rueckstaende">)",
      R"(<table class="figures" aria-labelledby="rueckstaende"><thead><tr>)",
      R"(<th scope="col">Dienst</th><th scope="col">Was wartet</th>)",
      R"(<th scope="col" class="num">Länge</th><th scope="col" class="num">Ereignisse je )",
      R"(Sekunde</th><th scope="col">Verbindung</th></tr></thead><tbody>)", rows,
      "</tbody></table></div></section>");
}

std::string RecentTable(const OpsSnapshot& snapshot, const absl::TimeZone& zone,
                        const UnitNamer& name_of) {
  if (snapshot.recent.empty()) {
    return StrCat(R"(<p class="empty">Seit Beginn der Beobachtung um )",
                  Clock(snapshot.watching_since, zone), " Uhr ist nichts geschehen.</p>");
  }
  std::string rows;
  for (const OpsEvent& e : snapshot.recent) {
    rows += StrCat(R"(<tr><td class="num">)", Clock(e.from, zone), "–", Clock(e.to, zone),
                   "</td><td>", Escape(e.service), "</td><td>", Escape(e.kind), "</td><td>",
                   e.detail.empty() ? "" : Escape(name_of(e.detail)), R"(</td><td class="num">)",
                   e.count, "</td></tr>");
  }
  return StrCat(R"(<div class="table-scroll" role="region" tabindex="0" aria-labelledby="letzte">)",
                R"(<table class="figures"><caption id="letzte">Letzte Ereignisse, neueste zuerst )",
                R"((seit )", Clock(snapshot.watching_since, zone), R"( Uhr)</caption><thead><tr>)",
                R"(<th scope="col" class="num">Zeitraum</th><th scope="col">Dienst</th>)",
                R"(<th scope="col">Art</th><th scope="col">Fachamt</th>)",
                R"(<th scope="col" class="num">Anzahl</th></tr></thead><tbody>)", rows,
                "</tbody></table></div>");
}

std::string TotalsTable(const OpsSnapshot& snapshot) {
  std::string rows;
  for (const ServiceState& s : snapshot.services) {
    for (const MetricSample& m : s.metrics) {
      if (m.name == "lotse_events_produced_total" && m.value > 0) {
        rows += StrCat(R"(<tr><th scope="row">)", Escape(s.service), "</th><td>",
                       Escape(EventKindName(m.Label("type"))), R"(</td><td class="num">)",
                       GermanNumber(m.value, 0), "</td></tr>");
      }
    }
  }
  if (rows.empty()) {
    return R"(<p class="empty">Seit dem Start der Dienste wurde kein Ereignis geschrieben.</p>)";
  }
  return StrCat(
      R"(<div class="table-scroll" role="region" tabindex="0" aria-labelledby="seit-start">)",
      R"(<table class="figures"><caption id="seit-start">Geschriebene Ereignisse seit dem )",
      R"(Start des jeweiligen Dienstes</caption><thead><tr><th scope="col">Dienst</th>)",
      R"(<th scope="col">Art</th><th scope="col" class="num">Anzahl</th></tr></thead><tbody>)",
      rows, "</tbody></table></div>");
}

}  // namespace

std::string MetricSample::Label(std::string_view name) const {
  for (const auto& [n, v] : labels) {
    if (n == name) {
      return v;
    }
  }
  return "";
}

std::vector<MetricSample> ParseMetrics(std::string_view exposition) {
  std::vector<MetricSample> out;
  size_t start = 0;
  while (start < exposition.size()) {
    size_t end = exposition.find('\n', start);
    if (end == std::string_view::npos) {
      end = exposition.size();
    }
    std::string_view line = exposition.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (std::optional<MetricSample> sample = ParseLine(line)) {
      out.push_back(std::move(*sample));
    }
  }
  return out;
}

OpsFetch HttpOpsFetch(const config::Config& config) {
  return [network = config.network](config::Service service, std::string_view path) {
    httplib::Client client(network.OpsHostOf(service), network.OpsPort(service));
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(2, 0);
    OpsAnswer answer;
    const httplib::Result result = client.Get(std::string(path).c_str());
    if (!result) {
      answer.error =
          StrCat("keine Antwort auf http://", network.OpsHostOf(service), ":",
                 network.OpsPort(service), " (", httplib::to_string(result.error()), ")");
      return answer;
    }
    answer.status = result->status;
    answer.body = result->body;
    return answer;
  };
}

OpsWatch::OpsWatch(OpsFetch fetch, absl::Duration min_interval)
    : fetch_(std::move(fetch)), min_interval_(min_interval) {}

OpsSnapshot OpsWatch::Look(absl::Time now) {
  std::lock_guard lock(mu_);
  if (last_.has_value() && now - last_->at < min_interval_) {
    return *last_;
  }
  OpsSnapshot snapshot;
  snapshot.at = now;
  snapshot.watching_since = last_.has_value() ? last_->watching_since : now;
  const double minutes = last_.has_value() ? absl::ToDoubleSeconds(now - last_->at) / 60 : 0;
  std::vector<OpsEvent> found;
  for (const config::Service service : kServices) {
    ServiceState s;
    s.service = std::string(config::ServiceName(service));
    const OpsAnswer status = fetch_(service, "/status");
    if (status.status == 200) {
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = true;
      s.up = google::protobuf::util::JsonStringToMessage(status.body, &s.status, options).ok();
      if (!s.up) {
        s.problem = "die Antwort ist kein Lotse-Status: läuft dort ein anderes Programm?";
      }
    } else {
      s.problem = status.status == 0 ? status.error : StrCat("HTTP ", status.status);
    }
    if (s.up) {
      const OpsAnswer metrics = fetch_(service, "/metrics");
      if (metrics.status == 200) {
        s.metrics = ParseMetrics(metrics.body);
      }
    }
    double commands = 0, events = 0;
    for (const MetricSample& m : s.metrics) {
      if (m.name == "lotse_command_duration_seconds_count") {
        commands += m.value;
      } else if (m.name == "lotse_events_produced_total") {
        events += m.value;
      }
      const std::optional<std::pair<std::string, std::string>> event = EventOf(m);
      if (!event.has_value()) {
        continue;
      }
      const std::string key = SeriesKey(s.service, m);
      auto it = counters_.find(key);
      const double before = it == counters_.end() ? 0 : it->second;
      // Below the last value: the service started again, and counts from 0.
      const double grown = m.value >= before ? m.value - before : m.value;
      if (last_.has_value() && grown >= 1) {
        found.push_back({last_->at, now, s.service, event->first, event->second,
                         static_cast<uint64_t>(std::llround(grown))});
      }
      counters_[key] = m.value;
    }
    if (!s.metrics.empty()) {
      for (auto& [name, value, rate] : {std::tuple{"commands", commands, &s.commands_per_minute},
                                        std::tuple{"events", events, &s.events_per_minute}}) {
        const std::string key = StrCat(s.service, "\t#", name);
        auto it = counters_.find(key);
        if (minutes > 0 && it != counters_.end()) {
          *rate = (value >= it->second ? value - it->second : value) / minutes;
        }
        counters_[key] = value;
      }
    }
    snapshot.services.push_back(std::move(s));
  }
  for (OpsEvent& e : found) {
    events_.push_front(std::move(e));
  }
  while (events_.size() > kMaxOpsEvents) {
    events_.pop_back();
  }
  snapshot.recent.assign(events_.begin(), events_.end());
  last_ = snapshot;
  return snapshot;
}

std::string EventKindName(std::string_view type) {
  static const std::map<std::string_view, std::string_view> names = {
      {"referral_submitted", "Anfrage eingegangen"},
      {"feedback_submitted", "Rückmeldung des Bürgerbüros"},
      {"referral_routed", "Anfrage zugewiesen"},
      {"claimed", "Übernommen"},
      {"unclaimed", "Zurückgegeben"},
      {"forwarded", "Weitergeleitet"},
      {"consultation_opened", "Beteiligung eröffnet"},
      {"contribution_added", "Beitrag zur Beteiligung"},
      {"answered", "Beantwortet"},
      {"escalated", "Frist-Eskalation"},
      {"closed", "Abgeschlossen"},
      {"delivered", "E-Mail zugestellt"},
      {"delivery_failed", "E-Mail nicht zugestellt"},
      {"follow_up_asked", "Nachfrage des Bürgerbüros"},
      {"company_feedback_submitted", "Rückmeldung des Unternehmens"},
      {"attachment_added", "Anlage hinzugefügt"},
      {"company_asked", "Rückfrage an das Unternehmen"},
      {"company_replied", "Antwort des Unternehmens"},
      {"reopened", "Wieder geöffnet"},
      {"absence_set", "Abwesenheit eingetragen"}};
  auto it = names.find(type);
  return it == names.end() ? StrCat("Ereignis ", type) : std::string(it->second);
}

std::string OpsSummary(const OpsSnapshot& snapshot) {
  size_t down = 0, not_ready = 0, halted = 0;
  for (const ServiceState& s : snapshot.services) {
    if (!s.up) {
      ++down;
      continue;
    }
    not_ready += s.status.ready() ? 0 : 1;
    for (const lotse::v1::ConsumerStatus& c : s.status.consumers()) {
      halted += c.halted() ? 1 : 0;
    }
  }
  const size_t n = snapshot.services.size();
  if (down == 0 && not_ready == 0) {
    return StrCat("Alle ", n, " Dienste laufen und sind bereit.");
  }
  std::string out;
  if (down > 0) {
    out += StrCat(down, " von ", n, down == 1 ? " Diensten ist" : " Diensten sind",
                  " nicht erreichbar. ");
  }
  if (not_ready > 0) {
    out += StrCat(not_ready, not_ready == 1 ? " Dienst ist" : " Dienste sind", " nicht bereit",
                  halted > 0 ? StrCat(" (", halted, " Verbraucher angehalten)") : "", ". ");
  }
  out.pop_back();
  return out;
}

std::string OpsLiveHtml(const OpsSnapshot& snapshot, const absl::TimeZone& zone,
                        const UnitNamer& name_of) {
  return StrCat(
      R"(<p class="updated">Stand: )", Clock(snapshot.at, zone), " Uhr</p>",
      ServicesTable(snapshot, zone), QueuesTable(snapshot),
      R"(<section aria-labelledby="ereignisse"><h2 id="ereignisse">Ereignisse</h2>)",
      R"(<p class="hint">Nur Art, Fachamt, Anzahl und Zeit, wie die Zähler der Dienste sie )",
      R"(zeigen; keine Inhalte und keine Personen.</p>)", RecentTable(snapshot, zone, name_of),
      TotalsTable(snapshot), "</section>");
}

std::string OpsMain(const OpsSnapshot& snapshot, const absl::TimeZone& zone,
                    const UnitNamer& name_of) {
  return StrCat(
      R"(<p class="live-status" id="betrieb-zusammenfassung" role="status">)",
      Escape(OpsSummary(snapshot)), "</p>",
      R"(<p class="live-controls"><a href="/betrieb">Jetzt neu laden</a>)",
      R"(<span id="betrieb-steuerung" hidden> · <label><input type="checkbox" )",
      R"(id="betrieb-live" checked> alle 5 Sekunden selbst aktualisieren</label></span></p>)",
      R"(<div id="betrieb-daten" data-quelle="/betrieb.json">)",
      OpsLiveHtml(snapshot, zone, name_of), "</div>",
      R"(<script src="/static/management.js" defer></script>)");
}

std::string OpsJson(const OpsSnapshot& snapshot, const absl::TimeZone& zone,
                    const UnitNamer& name_of) {
  return StrCat(R"({"stand":)", api::JsonString(Clock(snapshot.at, zone)), R"(,"zusammenfassung":)",
                api::JsonString(OpsSummary(snapshot)), R"(,"html":)",
                api::JsonString(OpsLiveHtml(snapshot, zone, name_of)), "}\n");
}

}  // namespace lotse::web
