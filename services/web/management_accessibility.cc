#include "services/web/management_accessibility.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>

#include "absl/strings/escaping.h"
#include "common/client/client.h"
#include "common/format.h"
#include "services/web/html.h"

namespace lotse::web {
namespace {

constexpr std::string_view kFileSuffix = ".txt";

bool ValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    if (c < 0x80) {
      n = 0;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      n = 1;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      n = 3;
    } else {
      return false;
    }
    if (n > 0 && i + n >= text.size()) {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += n + 1;
  }
  return true;
}

bool HasControl(std::string_view text, bool allow_newlines) {
  return std::any_of(text.begin(), text.end(), [allow_newlines](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) {
      return false;
    }
    return u < 0x20 || u == 0x7F;
  });
}

std::string FieldProblem(std::string_view value, std::string_view what) {
  if (value.size() > kMaxReportField) {
    return StrCat(what, " ist zu lang: höchstens ", kMaxReportField, " Zeichen.");
  }
  if (!ValidUtf8(value) || HasControl(value, false)) {
    return StrCat(what, " enthält Zeichen, die wir nicht speichern können.");
  }
  return "";
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

bool IsReportId(std::string_view id) {
  // 20261206T113512Z-3fa9c2d1
  if (id.size() != 25 || id[8] != 'T' || id[15] != 'Z' || id[16] != '-') {
    return false;
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 15 || i == 16) {
      continue;
    }
    const char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

absl::Status WriteDurably(const std::string& dir, const std::string& name,
                          const std::string& bytes) {
  const std::string tmp = StrCat(dir, "/.", name, ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::InternalError(StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), StrCat(dir, "/", name).c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(StrCat("cannot store ", name, " in ", dir));
  }
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

std::string ReportFormHtml(const ReportForm& report) {
  if (report.sent) {
    return R"(<p class="done" role="status">Vielen Dank: Ihre Meldung ist angekommen und )"
           R"(gespeichert. Wenn Sie eine Kontaktmöglichkeit angegeben haben, melden wir uns bei )"
           R"(Ihnen.</p>)";
  }
  const Form& form = report.form;
  std::string refused;
  if (!report.refused.empty()) {
    refused = StrCat(R"(<div class="error-summary" role="alert"><p>)", Escape(report.refused),
                     "</p></div>");
  }
  return StrCat(
      refused, ErrorSummary(form), R"(<form method="post" action="/barrierefreiheit" )",
      R"(class="stack report">)",
      TextArea(form, "text", "Was funktioniert nicht? (Pflichtfeld)",
               StrCat(R"( rows="6" required maxlength=")", kMaxReportText, "\"")),
      TextField(form, "seite", "Auf welcher Seite? (freiwillig)",
                StrCat(R"( maxlength=")", kMaxReportField, "\""),
                "Zum Beispiel „Auswertung“ oder die Adresse aus der Adresszeile."),
      TextField(form, "name", "Ihr Name (freiwillig)",
                StrCat(R"( autocomplete="name" maxlength=")", kMaxReportField, "\"")),
      TextField(form, "kontakt", "E-Mail-Adresse oder Telefon für eine Antwort (freiwillig)",
                StrCat(R"( autocomplete="email" maxlength=")", kMaxReportField, "\"")),
      R"(<p class="hint">Wir verwenden Ihre Angaben nur, um die Barriere zu beheben und Ihnen )",
      R"(zu antworten, und löschen die Meldung, wenn sie erledigt ist.</p>)",
      R"(<button type="submit">Meldung senden</button></form>)");
}

std::once_flag curl_once;
CURLcode curl_init_result = CURLE_OK;

struct Upload {
  std::string_view rest;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

}  // namespace

BarrierReport ReportOf(const Form& form) {
  BarrierReport report;
  report.text = form.Value("text");
  report.page = form.Value("seite");
  report.name = form.Value("name");
  report.contact = form.Value("kontakt");
  return report;
}

std::map<std::string, std::string, std::less<>> CheckBarrierReport(const BarrierReport& report) {
  std::map<std::string, std::string, std::less<>> errors;
  if (report.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    errors["text"] = "Bitte beschreiben Sie, was nicht funktioniert.";
  } else if (report.text.size() > kMaxReportText) {
    errors["text"] =
        StrCat("Die Beschreibung ist zu lang: höchstens ", kMaxReportText, " Zeichen.");
  } else if (!ValidUtf8(report.text) || HasControl(report.text, true)) {
    errors["text"] = "Die Beschreibung enthält Zeichen, die wir nicht speichern können.";
  }
  for (const auto& [field, value, what] :
       {std::tuple{"seite", &report.page, "Die Seite"},
        std::tuple{"name", &report.name, "Der Name"},
        std::tuple{"kontakt", &report.contact, "Die Kontaktangabe"}}) {
    if (std::string problem = FieldProblem(*value, what); !problem.empty()) {
      errors[field] = std::move(problem);
    }
  }
  return errors;
}

std::string FormatReport(const BarrierReport& report) {
  std::string text = report.text;
  text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
  return StrCat(
      "Eingang: ", absl::FormatTime(absl::RFC3339_sec, report.received_at, absl::UTCTimeZone()),
      "\nSeite: ", OneLine(report.page), "\nName: ", OneLine(report.name),
      "\nKontakt: ", OneLine(report.contact), "\n\n", text);
}

std::optional<BarrierReport> ParseReport(std::string_view id, std::string_view file) {
  BarrierReport report;
  report.id = std::string(id);
  const size_t blank = file.find("\n\n");
  if (blank == std::string_view::npos) {
    return std::nullopt;
  }
  report.text = std::string(file.substr(blank + 2));
  std::string_view head = file.substr(0, blank + 1);
  bool dated = false;
  while (!head.empty()) {
    const size_t end = head.find('\n');
    const std::string_view line = head.substr(0, end);
    head.remove_prefix(end + 1);
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos) {
      continue;
    }
    const std::string_view key = line.substr(0, colon);
    const std::string value(line.substr(colon + 2));
    if (key == "Eingang") {
      std::string error;
      dated = absl::ParseTime(absl::RFC3339_full, value, &report.received_at, &error);
    } else if (key == "Seite") {
      report.page = value;
    } else if (key == "Name") {
      report.name = value;
    } else if (key == "Kontakt") {
      report.contact = value;
    }
  }
  if (!dated) {
    return std::nullopt;
  }
  return report;
}

BarrierReports::BarrierReports(std::string dir) : dir_(std::move(dir)) {}

absl::Status BarrierReports::Add(BarrierReport& report, absl::Time now) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  size_t stored = 0;
  for (auto it = std::filesystem::directory_iterator(dir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    stored += it->path().extension() == kFileSuffix ? 1 : 0;
  }
  if (stored >= kMaxStoredReports) {
    return absl::ResourceExhaustedError(StrCat(stored, " reports wait in ", dir_));
  }
  report.received_at = now;
  report.id = StrCat(absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()), "-",
                     client::RandomHex(8));
  return WriteDurably(dir_, StrCat(report.id, kFileSuffix), FormatReport(report));
}

absl::StatusOr<std::vector<BarrierReport>> BarrierReports::List() const {
  std::lock_guard lock(mu_);
  std::vector<BarrierReport> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) {
    return out;
  }
  for (auto it = std::filesystem::directory_iterator(dir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::filesystem::path& path = it->path();
    const std::string id = path.stem().string();
    if (path.extension() != kFileSuffix || !IsReportId(id)) {
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (std::optional<BarrierReport> report = ParseReport(id, bytes.str())) {
      out.push_back(std::move(*report));
    }
  }
  if (ec) {
    return absl::InternalError(StrCat("cannot read ", dir_, ": ", ec.message()));
  }
  std::sort(out.begin(), out.end(),
            [](const BarrierReport& a, const BarrierReport& b) { return a.id > b.id; });
  return out;
}

size_t BarrierReports::Count() const {
  absl::StatusOr<std::vector<BarrierReport>> all = List();
  return all.ok() ? all->size() : 0;
}

absl::Status BarrierReports::Remove(std::string_view id) {
  if (!IsReportId(id)) {
    return absl::NotFoundError("no such report");
  }
  std::lock_guard lock(mu_);
  const std::string path = StrCat(dir_, "/", id, kFileSuffix);
  if (::unlink(path.c_str()) != 0) {
    return errno == ENOENT
               ? absl::NotFoundError("no such report")
               : absl::InternalError(StrCat("cannot delete ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

bool ReportThrottle::Allow(const std::string& address, absl::Time now) {
  std::lock_guard lock(mu_);
  const absl::Time hour_ago = now - absl::Hours(1);
  auto recent = [hour_ago](std::vector<absl::Time>& times) {
    times.erase(std::remove_if(times.begin(), times.end(),
                               [hour_ago](absl::Time t) { return t < hour_ago; }),
                times.end());
  };
  recent(all_);
  for (auto it = by_address_.begin(); it != by_address_.end();) {
    recent(it->second);
    it = it->second.empty() ? by_address_.erase(it) : std::next(it);
  }
  std::vector<absl::Time>& mine = by_address_[address];
  if (mine.size() >= kReportsPerHour || all_.size() >= kAllReportsPerHour) {
    return false;
  }
  mine.push_back(now);
  all_.push_back(now);
  return true;
}

std::string AccessibilityStatementMain(const config::Config& config, const ReportForm& form,
                                       bool for_admin, size_t waiting_reports) {
  const std::string& city = config.city.name;
  const std::string& contact = config.web.accessibility_contact;
  std::string admin;
  if (for_admin) {
    admin = StrCat(
        R"(<p class="notice">Für die Verwaltung: )",
        waiting_reports == 0
            ? std::string("Es liegen keine Meldungen vor.")
            : StrCat(R"(<a href="/barrierefreiheit/meldungen">)", waiting_reports,
                     waiting_reports == 1 ? " Meldung liegt" : " Meldungen liegen", " vor</a>."),
        "</p>");
  }
  const std::string contact_line =
      contact.empty() ? StrCat("Die Meldungen erreichen die Verwaltung der Stadt ", Escape(city),
                               ", die für dieses Web-Terminal zuständig ist.")
                      : StrCat("Sie erreichen die zuständige Stelle der Stadt ", Escape(city),
                               R"( auch per E-Mail: <a href="mailto:)", Escape(contact), R"(">)",
                               Escape(contact), "</a>.");
  return StrCat(
      admin, R"(<p>Die Stadt )", Escape(city),
      R"( ist bemüht, ihr Web-Terminal „Lotse“ im Einklang mit dem )",
      R"(Behindertengleichstellungsgesetz (BGG) und der Barrierefreie-Informationstechnik-)",
      R"(Verordnung (BITV 2.0) barrierefrei zugänglich zu machen. Diese Erklärung gilt für alle )",
      R"(Seiten des Web-Terminals unter dieser Adresse: die Anmeldung, die Seiten der )",
      R"(Bürgerbüros und Fachämter, die Auswertung, den Betrieb und die Unternehmensakten.</p>)",

      R"(<h2>Stand der Vereinbarkeit mit den Anforderungen</h2>)",
      R"(<p>Das Web-Terminal ist mit den Anforderungen der BITV 2.0 <strong>teilweise )",
      R"(vereinbar</strong>. Maßstab sind die Web Content Accessibility Guidelines (WCAG) 2.1, )",
      R"(Konformitätsstufe AA, wie die europäische Norm EN 301 549 sie verlangt.</p>)",
      R"(<p>So prüfen wir: Automatische Browsertests, die bei jeder Änderung der Software )",
      R"(laufen, öffnen die Seiten in einem Browser (Chromium) und prüfen sie mit dem )",
      R"(Prüfwerkzeug axe-core auf Verstöße gegen WCAG 2.1 A und AA. Außerdem bedienen wir die )",
      R"(Seiten mit der Tastatur allein. Automatische Prüfungen finden )",
      R"(aber nur einen Teil der möglichen Barrieren. Eine Prüfung durch eine unabhängige )",
      R"(Prüfstelle (BITV-Test) und Tests mit Menschen, die Screenreader, Vergrößerung oder )",
      R"(Sprachsteuerung nutzen, stehen noch aus.</p>)",

      R"(<h2>Nicht barrierefreie Inhalte</h2><p>Die folgenden Inhalte sind nicht oder nicht )",
      R"(vollständig barrierefrei:</p><ul>)", R"(<li>Die Sitzung endet nach )",
      config.web.session_idle_minutes,
      R"( Minuten ohne Aktivität, ohne vorher zu warnen und ohne die Möglichkeit, sie zu )",
      R"(verlängern. Was in ein nicht abgesendetes Formular eingegeben war, geht dann )",
      R"(verloren (WCAG 2.2.1, Zeitbegrenzungen anpassbar).</li>)",
      R"(<li>Nach mehreren falschen Anmeldeversuchen muss man eine Zeit lang warten, bevor man )",
      R"(es erneut versuchen kann. Das schützt die Konten; die Wartezeit wird angezeigt.</li>)",
      R"(<li>Die Grafiken der Auswertung sind Bilder mit einer kurzen Beschreibung. Alle Werte )",
      R"(stehen zusätzlich in Tabellen („Zahlen zur Grafik“); die einzelnen Balken selbst )",
      R"(sind nicht mit der Tastatur oder dem Screenreader erreichbar.</li>)",
      R"(<li>Die Seite „Betrieb“ aktualisiert sich alle fünf Sekunden selbst. Das lässt sich )",
      R"(auf der Seite abschalten; Screenreader melden nur, wenn sich der Zustand der Dienste )",
      R"(ändert. Technische Hinweise der Dienste erscheinen dort auf Englisch.</li>)",
      R"(<li>Es gibt noch keine Erläuterungen in Leichter Sprache und in Deutscher )",
      R"(Gebärdensprache (§ 4 BITV 2.0).</li></ul>)",

      R"(<h2>Erstellung dieser Erklärung</h2><p>Diese Erklärung wurde am )", kStatementDate,
      R"( erstellt. Sie beruht auf einer Selbstbewertung: den automatischen Prüfungen mit )",
      R"(axe-core und der Bedienung mit der Tastatur, wie oben beschrieben. Sie wird bei jeder )",
      R"(wesentlichen Änderung des Web-Terminals überprüft.</p>)",

      R"(<h2 id="feedback">Barrieren melden: Feedback und Kontakt</h2>)",
      R"(<p>Sind Ihnen Mängel beim barrierefreien Zugang aufgefallen, oder brauchen Sie Inhalte )",
      R"(in einer anderen, für Sie zugänglichen Form? Dann schreiben Sie uns. Sie müssen dafür )",
      R"(nicht angemeldet sein. )", contact_line, "</p>", ReportFormHtml(form),

      R"(<h2>Schlichtungsverfahren</h2>)",
      R"(<p>Wenn auch nach Ihrer Meldung an die oben genannte Stelle keine zufriedenstellende )",
      R"(Lösung gefunden wurde, können Sie sich an die Schlichtungsstelle nach § 16 BGG wenden. )",
      R"(Sie unterstützt dabei, Konflikte zur Barrierefreiheit zwischen Menschen mit )",
      R"(Behinderungen und öffentlichen Stellen ohne Gericht beizulegen. Das Verfahren ist )",
      R"(kostenlos; Sie brauchen keinen Rechtsbeistand. Die Schlichtungsstelle ist für )",
      R"(öffentliche Stellen des Bundes zuständig; für Stellen der Länder und Kommunen nennt sie )",
      R"(Ihnen die Stelle Ihres Landes, die Ihnen weiterhilft.</p>)",
      R"(<address class="postal">Schlichtungsstelle nach dem Behindertengleichstellungsgesetz )",
      R"(bei dem Beauftragten der Bundesregierung für die Belange von Menschen mit )",
      R"(Behinderungen<br>Mauerstraße 53<br>10117 Berlin<br>)",
      R"(Telefon: 030 18 527-2805<br>E-Mail: info@schlichtungsstelle-bgg.de<br>)",
      R"(Internet: www.schlichtungsstelle-bgg.de</address>)");
}

std::string BarrierReportsMain(const std::vector<BarrierReport>& reports,
                               std::string_view csrf_token, const absl::TimeZone& zone) {
  std::string out = R"(<p><a href="/barrierefreiheit">Zur Erklärung zur Barrierefreiheit</a></p>)";
  if (reports.empty()) {
    return out + R"(<p class="empty">Es liegen keine Meldungen vor.</p>)";
  }
  out += StrCat(
      R"(<p>)", reports.size(), reports.size() == 1 ? " Meldung liegt" : " Meldungen liegen",
      R"( vor, neueste zuerst. Löschen Sie eine Meldung, wenn sie erledigt ist: )",
      R"(sie kann Name und Kontakt der meldenden Person enthalten.</p><ol class="reports">)");
  for (const BarrierReport& r : reports) {
    auto line = [](std::string_view label, const std::string& value) {
      return value.empty() ? std::string()
                           : StrCat("<dt>", label, "</dt><dd>", Escape(value), "</dd>");
    };
    out += StrCat(R"(<li class="message"><h2>Meldung vom )",
                  Escape(absl::FormatTime("%d.%m.%Y %H:%M", r.received_at, zone)),
                  "</h2><dl class=\"facts\">", line("Seite", r.page), line("Name", r.name),
                  line("Kontakt", r.contact), "</dl>", R"(<p class="body">)", Escape(r.text),
                  "</p>", R"(<form method="post" action="/barrierefreiheit/meldungen/erledigt">)",
                  R"(<input type="hidden" name="csrf" value=")", Escape(csrf_token),
                  R"("><input type="hidden" name="id" value=")", Escape(r.id),
                  R"("><button type="submit">Erledigt – Meldung löschen</button></form></li>)");
  }
  return out + "</ol>";
}

std::string BarrierReportMail(const config::Config& config, const BarrierReport& report,
                              absl::Time now) {
  const std::string body = StrCat(
      "Über die Erklärung zur Barrierefreiheit des Web-Terminals Lotse ist eine Meldung "
      "eingegangen.\r\n\r\nEingang: ",
      absl::FormatTime("%d.%m.%Y %H:%M", report.received_at, config.city.zone),
      "\r\nSeite: ", OneLine(report.page), "\r\nName: ", OneLine(report.name),
      "\r\nKontakt: ", OneLine(report.contact), "\r\n\r\nBeschreibung:\r\n", report.text,
      "\r\n\r\nDie Meldung ist auch im Web-Terminal gespeichert "
      "(/barrierefreiheit/meldungen, als Verwaltung angemeldet).\r\n");
  std::string encoded = absl::Base64Escape(body);
  std::string lines;
  for (size_t at = 0; at < encoded.size(); at += 76) {
    lines += StrCat(encoded.substr(at, 76), "\r\n");
  }
  return StrCat("From: Lotse <", config.notification.mail_from, ">\r\n", "To: <",
                config.web.accessibility_contact, ">\r\n",
                "Subject: Lotse: Meldung einer Barriere\r\n",
                "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", now, absl::UTCTimeZone()),
                "\r\n", "Message-ID: <barriere.", report.id, "@lotse>\r\n", "MIME-Version: 1.0\r\n",
                "Content-Type: text/plain; charset=utf-8\r\n",
                "Content-Transfer-Encoding: base64\r\n\r\n", lines);
}

absl::Status SendMail(const config::Notification& smtp, std::string_view to,
                      std::string_view message) {
  std::call_once(curl_once, [] { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_init_result != CURLE_OK) {
    return absl::InternalError(
        StrCat("libcurl cannot be initialised: ", curl_easy_strerror(curl_init_result)));
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return absl::InternalError("libcurl could not create a handle");
  }
  const std::string from = StrCat("<", smtp.mail_from, ">");
  curl_slist* recipients = curl_slist_append(nullptr, StrCat("<", to, ">").c_str());
  Upload upload{message};
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, smtp.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // an HTTP worker thread must not get SIGALRM
  curl_easy_setopt(curl, CURLOPT_USE_SSL,        // NOLINT(google-runtime-int)
                   static_cast<long>(smtp.smtp_tls == "off" ? CURLUSESSL_NONE : CURLUSESSL_ALL));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        StrCat(curl_easy_strerror(code), error[0] != '\0' ? ": " : "", std::string_view(error)));
  }
  return absl::OkStatus();
}

}  // namespace lotse::web
