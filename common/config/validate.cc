#include "common/config/validate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/calendar/calendar.h"
#include "common/config/schema.h"

namespace lotse::config::internal {
namespace {

constexpr size_t kMaxIdLength = 64;

constexpr auto kLogLevels =
    std::to_array<absl::string_view>({"trace", "debug", "info", "warn", "error", "critical"});
constexpr auto kLogFormats = std::to_array<absl::string_view>({"text", "json", "journal"});

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return false;
  }
  const auto lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!lower_or_digit(id.front())) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [&](char c) { return lower_or_digit(c) || c == '-'; });
}

bool IsPlausibleEmail(absl::string_view email) {
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0 ||
      email.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  const absl::string_view domain = email.substr(at + 1);
  const size_t dot = domain.find('.');
  if (dot == absl::string_view::npos || dot == 0 || domain.back() == '.') {
    return false;
  }
  return std::none_of(email.begin(), email.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7F || c == '"' || c == ',' || c == ';' || c == '<' ||
           c == '>' || c == '(' || c == ')' || c == '[' || c == ']';
  });
}

// "YYYY-MM-DD" and a real calendar day.
bool IsIsoDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return false;
  }
  constexpr auto kDigitPositions = std::to_array<size_t>({0, 1, 2, 3, 5, 6, 8, 9});
  for (size_t i : kDigitPositions) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  absl::CivilDay day;
  return absl::ParseCivilTime(text, &day);
}

using IdIndex = std::map<std::string, size_t, std::less<>>;

void CheckNotEmpty(absl::string_view value, const std::string& path, Problems* problems) {
  if (value.empty()) {
    problems->Add(path, "must not be empty");
  }
}

void CheckId(absl::string_view id, const std::string& path, Problems* problems) {
  if (id.empty()) {
    problems->Add(path, "must not be empty");
  } else if (!IsValidId(id)) {
    problems->Add(path, absl::StrCat("must match [a-z0-9][a-z0-9-]* (lower-case letters, digits "
                                     "and '-', at most ",
                                     kMaxIdLength, " characters), got ", Quote(id)));
  }
}

void CheckEmail(absl::string_view email, const std::string& path, Problems* problems) {
  if (!email.empty() && !IsPlausibleEmail(email)) {
    problems->Add(path, absl::StrCat("expected an e-mail address like \"name@example.org\", got ",
                                     Quote(email)));
  }
}

// Records `id` of element `index` of `kind` ("departments") and reports a repeated id.
void IndexId(absl::string_view id, absl::string_view kind, size_t index, IdIndex* ids,
             Problems* problems) {
  if (id.empty()) {
    return;
  }
  const auto [it, inserted] = ids->emplace(std::string(id), index);
  if (!inserted) {
    problems->Add(JoinPath(IndexPath(kind, index), "id"),
                  absl::StrCat(Quote(id), " is already used by ", IndexPath(kind, it->second),
                               "; ids must be unique"));
  }
}

// Reports `value` at `path` unless it is an id in `ids` (of `kind`, e.g. "department").
void CheckReference(absl::string_view value, const std::string& path, absl::string_view kind,
                    const IdIndex& ids, Problems* problems) {
  if (value.empty()) {
    problems->Add(path, absl::StrCat("must not be empty; expected a ", kind, " id"));
    return;
  }
  if (ids.find(value) != ids.end()) {
    return;
  }
  std::vector<absl::string_view> known;
  for (const auto& [id, index] : ids) {
    known.emplace_back(id);
  }
  std::string hint = DidYouMean(value, known);
  if (hint.empty()) {
    hint = known.empty() ? absl::StrCat("; no ", kind, " is defined")
                         : absl::StrCat("; known: ", absl::StrJoin(known, ", "));
  }
  problems->Add(path, absl::StrCat("no ", kind, " with id ", Quote(value), hint));
}

void CheckIntRange(int value, int min, int max, const std::string& path, Problems* problems) {
  if (value < min || value > max) {
    problems->Add(path, absl::StrCat("must be in ", min, "..", max, ", got ", value));
  }
}

void CheckOneOf(absl::string_view value, std::span<const absl::string_view> allowed,
                const std::string& path, Problems* problems) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) {
    return;
  }
  problems->Add(path, absl::StrCat("must be one of ", absl::StrJoin(allowed, ", "), ", got ",
                                   Quote(value), DidYouMean(value, allowed)));
}

// Also resolves the time zone: city->zone is the zone city->timezone names.
void ValidateCity(City* city, Problems* problems) {
  CheckNotEmpty(city->name, "city.name", problems);
  if (const auto state = calendar::ParseState(city->state); !state.ok()) {
    problems->Add("city.state", state.status().message());
  }
  if (absl::TimeZone zone; !city->timezone.empty() && absl::LoadTimeZone(city->timezone, &zone)) {
    city->zone = zone;
  } else {
    problems->Add("city.timezone",
                  absl::StrCat("unknown time zone ", Quote(city->timezone),
                               "; expected an IANA name such as \"Europe/Berlin\" (is tzdata "
                               "installed?)"));
  }
  for (size_t i = 0; i < city->closing_days.size(); ++i) {
    if (!IsIsoDate(city->closing_days[i])) {
      problems->Add(
          IndexPath("city.closing_days", i),
          absl::StrCat("expected a date \"YYYY-MM-DD\", got ", Quote(city->closing_days[i])));
    }
  }
}

void ValidateHost(const std::string& host, const std::string& path, Problems* problems) {
  if (host.empty()) {
    problems->Add(path, "must not be empty; expected a host name or IP address");
  } else if (absl::StrContains(host, "://") || absl::StrContains(host, "/") ||
             std::any_of(host.begin(), host.end(), [](char c) {
               return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
             })) {
    problems->Add(path,
                  absl::StrCat("expected a bare host name or IP address such as \"127.0.0.1\" "
                               "(no scheme, port or spaces), got ",
                               Quote(host)));
  } else if (absl::StrContains(host, ":") && !(host.front() == '[' && host.back() == ']')) {
    problems->Add(path, absl::StrCat("an IPv6 address must be in brackets, e.g. \"[::1]\"; a port "
                                     "belongs in network.port_base; got ",
                                     Quote(host)));
  }
}

void ValidateNetwork(const Network& network, Problems* problems) {
  ValidateHost(network.host, "network.host", problems);
  for (const auto& [host, key] :
       {std::pair{&network.command_host, "command_host"}, std::pair{&network.log_host, "log_host"},
        std::pair{&network.ops_host, "ops_host"}}) {
    if (!host->empty()) {
      ValidateHost(*host, JoinPath("network", key), problems);
    }
  }
  for (const auto& [service, address] : network.hosts) {
    const std::string path = JoinPath("network.hosts", service);
    bool known = service == "web";
    for (int i = 0; i < kServiceCount; ++i) {
      known = known || ServiceName(static_cast<Service>(i)) == service;
    }
    if (!known) {
      problems->Add(path, "not a service: name intake, routing, notification, audit or web");
    }
    ValidateHost(address, path, problems);
  }
  if (!network.listen.empty()) {
    ValidateHost(network.listen, "network.listen", problems);
  }
  if (network.port_base < 1024 || network.port_base > 65000) {
    problems->Add(
        "network.port_base",
        absl::StrCat("must be in 1024..65000, got ", network.port_base,
                     " (the services use ports port_base..port_base+", kPortsPerSet - 1, ")"));
  }
}

void ValidateLimits(const Limits& limits, Problems* problems) {
  bool all_valid = true;
  for (const LimitField& field : kLimitFields) {
    const int value = limits.*field.field;
    if (value < field.min) {
      all_valid = false;
      problems->Add(JoinPath("limits", field.key),
                    absl::StrCat(field.min == 0 ? "must be >= 0" : "must be > 0", ", got ", value));
    }
  }
  // The walls every request field meets at the command boundary (proto/lotse/v1/options.proto).
  constexpr int kSubjectWall = 4096;
  constexpr int kTextWall = 65536;
  if (limits.max_subject_bytes > kSubjectWall) {
    problems->Add("limits.max_subject_bytes", absl::StrCat("must be at most ", kSubjectWall,
                                                           ", got ", limits.max_subject_bytes));
  }
  if (limits.max_text_bytes > kTextWall) {
    problems->Add("limits.max_text_bytes",
                  absl::StrCat("must be at most ", kTextWall, ", got ", limits.max_text_bytes));
  }
  if (all_valid) {
    const std::int64_t referral_bytes =
        static_cast<std::int64_t>(limits.max_subject_bytes) + limits.max_text_bytes;
    if (limits.max_message_bytes <= referral_bytes) {
      problems->Add(
          "limits.max_message_bytes",
          absl::StrCat("must be larger than max_subject_bytes + max_text_bytes (", referral_bytes,
                       ") so that a referral fits in one message, got ", limits.max_message_bytes));
    }
    // A fetch answer is one message: larger than max_message_bytes, libzmq drops it silently
    // and the consumer stalls until its reply timeout, again and again.
    if (limits.fetch_max_bytes > limits.max_message_bytes / 2) {
      problems->Add(
          "limits.fetch_max_bytes",
          absl::StrCat("must be at most half of max_message_bytes (", limits.max_message_bytes / 2,
                       ") so that a fetch answer fits in one message, got ",
                       limits.fetch_max_bytes));
    }
  }
}

// The checks every kind of [[block]] with an id and a name shares: at least one block (unless
// the key already has a problem), each id valid and unique among its kind, each name not empty.
// `check` adds what is particular to the kind, for each block at its path ("topics[2]").
// Returns the index of the ids.
template <typename Block, typename CheckBlock>
IdIndex ValidateBlocks(const std::vector<Block>& blocks, absl::string_view kind, Problems* problems,
                       CheckBlock check) {
  if (blocks.empty() && !problems->HasProblemAt(kind)) {
    problems->Add(kind, absl::StrCat("at least one [[", kind, "]] block is required"));
  }
  IdIndex ids;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string path = IndexPath(kind, i);
    CheckId(blocks[i].id, JoinPath(path, "id"), problems);
    IndexId(blocks[i].id, kind, i, &ids, problems);
    CheckNotEmpty(blocks[i].name, JoinPath(path, "name"), problems);
    check(blocks[i], path);
  }
  return ids;
}

// What a department needs beyond id and name: a plausible SLA, office hours that open.
void CheckDepartment(const Department& department, const std::string& path, Problems* problems) {
  const std::string sla_path = JoinPath(path, "sla_hours");
  if (!std::isfinite(department.sla_hours) || department.sla_hours <= 0) {
    problems->Add(sla_path, absl::StrCat("must be > 0, got ", FormatNumber(department.sla_hours)));
  } else if (department.sla_hours > 2000) {
    problems->Add(sla_path, absl::StrCat("must be at most 2000 business hours, got ",
                                         FormatNumber(department.sla_hours)));
  }
  const std::string hours_path = JoinPath(path, "office_hours");
  if (department.office_hours.empty()) {
    problems->Add(hours_path, "must not be empty, e.g. \"Mon-Thu 08:00-16:00; Fri 08:00-12:30\"");
  } else if (const auto hours = calendar::ParseWeeklyHours(department.office_hours); !hours.ok()) {
    absl::string_view message = hours.status().message();
    absl::ConsumePrefix(&message, "office hours: ");
    problems->Add(hours_path, message);
  } else if (calendar::WeeklyDuration(*hours) <= absl::ZeroDuration()) {
    problems->Add(hours_path, absl::StrCat("has no opening hours, so the SLA would never run; "
                                           "expected e.g. \"Mon-Fri 08:00-16:00\", got ",
                                           Quote(department.office_hours)));
  }
  CheckEmail(department.email, JoinPath(path, "email"), problems);
  const std::string first_path = JoinPath(path, "first_reaction_hours");
  const double first = department.first_reaction_hours;
  if (!std::isfinite(first) || first < 0) {
    problems->Add(first_path, absl::StrCat("must be >= 0 (0: a quarter of sla_hours), got ",
                                           FormatNumber(first)));
  } else if (first > department.sla_hours && department.sla_hours > 0) {
    problems->Add(first_path, absl::StrCat("must be at most sla_hours (",
                                           FormatNumber(department.sla_hours), "), got ",
                                           FormatNumber(first)));
  }
}

// The staff of every department: ids valid and unique across all departments (a staff id names
// one person in the whole city), names given, topics that exist, the lead one of the
// department's own staff.
void ValidateStaff(const Config& config, Problems* problems) {
  std::map<std::string, std::string, std::less<>> path_of;  // staff id -> where it was first
  for (size_t d = 0; d < config.departments.size(); ++d) {
    const Department& department = config.departments[d];
    const std::string dep_path = IndexPath("departments", d);
    for (size_t i = 0; i < department.staff.size(); ++i) {
      const StaffMember& member = department.staff[i];
      const std::string path = IndexPath(JoinPath(dep_path, "staff"), i);
      CheckId(member.id, JoinPath(path, "id"), problems);
      CheckNotEmpty(member.name, JoinPath(path, "name"), problems);
      CheckEmail(member.email, JoinPath(path, "email"), problems);
      if (!member.id.empty()) {
        const auto [it, inserted] = path_of.emplace(member.id, path);
        if (!inserted) {
          problems->Add(JoinPath(path, "id"),
                        absl::StrCat(Quote(member.id), " is already used by ", it->second,
                                     "; staff ids must be unique across all departments"));
        }
        if (config.FindDepartment(member.id) != nullptr ||
            config.FindKeyAccount(member.id) != nullptr || config.FindOffice(member.id) != nullptr) {
          problems->Add(JoinPath(path, "id"),
                        absl::StrCat(Quote(member.id), " is already the id of an office, department "
                                                       "or key account; choose another staff id"));
        }
      }
      for (size_t t = 0; t < member.topics.size(); ++t) {
        const Topic* topic = config.FindTopic(member.topics[t]);
        const std::string topic_path = absl::StrCat(JoinPath(path, "topics"), "[", t, "]");
        if (topic == nullptr) {
          problems->Add(topic_path, absl::StrCat(Quote(member.topics[t]),
                                                 " is not a topic id; see [[topics]]"));
        }
      }
      for (size_t k = 0; k < member.keywords.size(); ++k) {
        if (member.keywords[k].empty()) {
          problems->Add(absl::StrCat(JoinPath(path, "keywords"), "[", k, "]"),
                        "must not be empty");
        }
      }
    }
    if (!department.lead.empty() && department.FindStaff(department.lead) == nullptr) {
      problems->Add(JoinPath(dep_path, "lead"),
                    absl::StrCat(Quote(department.lead), " is not one of the department's staff; "
                                                         "add it to [[departments.staff]] or "
                                                         "leave lead empty"));
    }
  }
}

void ValidateRouting(const Config& config, const IdIndex& departments, const IdIndex& topics,
                     const IdIndex& offices, Problems* problems) {
  const Routing& routing = config.routing;
  if (routing.default_department.empty()) {
    problems->Add("routing.default_department",
                  "missing; required: the department that takes referrals no rule matches, e.g. "
                  "default_department = \"wirtschaftsfoerderung\" in [routing]");
  } else {
    CheckReference(routing.default_department, "routing.default_department", "department",
                   departments, problems);
  }
  CheckIntRange(routing.forward_limit, 0, 20, "routing.forward_limit", problems);
  if (!(routing.warning_share > 0 && routing.warning_share < 1)) {
    problems->Add("routing.warning_share",
                  absl::StrCat("must be between 0 and 1 (exclusive), e.g. 0.75, got ",
                               FormatNumber(routing.warning_share)));
  }
  if (routing.escalation_scan_ms <= 0) {
    problems->Add("routing.escalation_scan_ms",
                  absl::StrCat("must be > 0, got ", routing.escalation_scan_ms));
  }
  if (!std::isfinite(routing.second_breach_hours) || routing.second_breach_hours < 0 ||
      routing.second_breach_hours > 2000) {
    problems->Add("routing.second_breach_hours",
                  absl::StrCat("must be 0 (off) .. 2000 business hours after the due time, got ",
                               FormatNumber(routing.second_breach_hours)));
  }
  CheckEmail(routing.head_email, "routing.head_email", problems);
  std::map<std::pair<std::string, std::string>, size_t> rules;
  for (size_t i = 0; i < routing.overrides.size(); ++i) {
    const Override& rule = routing.overrides[i];
    const std::string path = IndexPath("routing.overrides", i);
    CheckReference(rule.office, JoinPath(path, "office"), "office", offices, problems);
    CheckReference(rule.topic, JoinPath(path, "topic"), "topic", topics, problems);
    CheckReference(rule.department, JoinPath(path, "department"), "department", departments,
                   problems);
    const auto [it, inserted] = rules.emplace(std::make_pair(rule.office, rule.topic), i);
    if (!inserted && !rule.office.empty() && !rule.topic.empty()) {
      problems->Add(path, absl::StrCat("office ", Quote(rule.office), " and topic ",
                                       Quote(rule.topic), " already have a rule in ",
                                       IndexPath("routing.overrides", it->second)));
    }
  }
}

void ValidateNotification(const Notification& n, Problems* problems) {
  const absl::string_view url = n.smtp_url;
  if (!url.empty()) {
    const bool scheme = absl::StartsWith(url, "smtp://") || absl::StartsWith(url, "smtps://");
    const bool clean = std::none_of(url.begin(), url.end(), [](char c) {
      return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
    });
    if (!scheme || !clean || url.size() <= 8) {
      problems->Add("notification.smtp_url",
                    absl::StrCat("expected \"smtp://host:port\" or \"smtps://host:port\" (empty "
                                 "= e-mail off), got ",
                                 Quote(RedactedUrl(std::string_view(url.data(), url.size())))));
    }
  }
  if (n.smtp_tls != "required" && n.smtp_tls != "off") {
    problems->Add("notification.smtp_tls",
                  absl::StrCat("expected \"required\" (mail only over TLS) or \"off\" (plain "
                               "SMTP), got ",
                               Quote(n.smtp_tls)));
  }
  if (n.mail_from.empty() || !IsPlausibleEmail(n.mail_from)) {
    problems->Add("notification.mail_from",
                  absl::StrCat("expected an e-mail address like \"lotse@example.org\", got ",
                               Quote(n.mail_from)));
  }
  CheckIntRange(n.retry_initial_ms, 1, 3600000, "notification.retry_initial_ms", problems);
  if (n.retry_max_ms < n.retry_initial_ms || n.retry_max_ms > 86400000) {
    problems->Add("notification.retry_max_ms",
                  absl::StrCat("must be in retry_initial_ms (", n.retry_initial_ms,
                               ")..86400000, got ", n.retry_max_ms));
  }
  CheckIntRange(n.max_attempts, 1, 1000, "notification.max_attempts", problems);
}

void ValidateWeb(const Web& w, Problems* problems) {
  if (w.port != 0) {
    CheckIntRange(w.port, 1, 65535, "web.port", problems);
  }
  CheckIntRange(w.session_idle_minutes, 1, 24 * 60, "web.session_idle_minutes", problems);
  if (w.tls_cert.empty() != w.tls_key.empty()) {
    problems->Add(w.tls_cert.empty() ? "web.tls_cert" : "web.tls_key",
                  "HTTPS needs both tls_cert and tls_key (PEM files); leave both empty to run "
                  "behind a reverse proxy that speaks HTTPS");
  }
  CheckEmail(w.accessibility_contact, "web.accessibility_contact", problems);
}

void ValidateKeyAccounts(const Config& config, const IdIndex& departments, Problems* problems) {
  IdIndex accounts;
  // Normalized company id -> (key account index, company index).
  std::map<std::string, std::pair<size_t, size_t>> companies;
  for (size_t i = 0; i < config.key_accounts.size(); ++i) {
    const KeyAccount& account = config.key_accounts[i];
    const std::string path = IndexPath("key_accounts", i);
    CheckId(account.id, JoinPath(path, "id"), problems);
    IndexId(account.id, "key_accounts", i, &accounts, problems);
    if (const auto it = departments.find(account.id); it != departments.end()) {
      problems->Add(JoinPath(path, "id"),
                    absl::StrCat(Quote(account.id), " is already the id of ",
                                 IndexPath("departments", it->second),
                                 "; key account ids must differ from department ids"));
    }
    CheckNotEmpty(account.name, JoinPath(path, "name"), problems);
    CheckReference(account.department, JoinPath(path, "department"), "department", departments,
                   problems);
    CheckEmail(account.email, JoinPath(path, "email"), problems);
    const std::string companies_path = JoinPath(path, "companies");
    if (account.companies.empty()) {
      problems->Add(companies_path, "must list at least one company id, e.g. [\"HRB-20417\"]");
    }
    for (size_t j = 0; j < account.companies.size(); ++j) {
      const std::string company_path = IndexPath(companies_path, j);
      const std::string company = NormalizeCompany(account.companies[j]);
      if (company.empty()) {
        problems->Add(company_path, "must not be empty");
        continue;
      }
      const auto [it, inserted] = companies.emplace(company, std::make_pair(i, j));
      if (inserted) {
        continue;
      }
      const auto [other_account, other_company] = it->second;
      if (other_account == i) {
        problems->Add(company_path, absl::StrCat("company ", Quote(account.companies[j]),
                                                 " is listed twice (also ",
                                                 IndexPath(companies_path, other_company), ")"));
      } else {
        problems->Add(
            company_path,
            absl::StrCat("company ", Quote(account.companies[j]), " is already assigned to ",
                         IndexPath("key_accounts", other_account), " (",
                         Quote(config.key_accounts[other_account].id),
                         "); a company can have only one key account manager"));
      }
    }
  }
}

bool LooksLikeZ85Key(absl::string_view key) {
  constexpr absl::string_view kZ85 =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return key.size() == 40 &&
         std::all_of(key.begin(), key.end(), [&](char c) { return absl::StrContains(kZ85, c); });
}

void ValidatePrincipals(const Config& config, Problems* problems) {
  std::map<std::string, PrincipalKind, std::less<>> kinds;
  for (const PrincipalEntry& p : Principals(config)) {
    const auto [it, inserted] = kinds.emplace(p.id, p.kind);
    // Offices, departments and key accounts report their own duplicates; a clash between kinds
    // (an office named like a department, a gateway named "ops") is reported here.
    if (!inserted && it->second != p.kind) {
      problems->Add(
          "keys", absl::StrCat("'", p.id, "' names both a ", ToAbsl(PrincipalKindName(it->second)),
                               " and a ", ToAbsl(PrincipalKindName(p.kind)),
                               "; every principal needs its own id"));
    }
  }
  std::map<std::string, std::string, std::less<>> owner_of_key;
  for (const auto& [id, key] : config.keys.public_keys) {
    const std::string path = JoinPath("keys.public", id);
    if (!kinds.contains(id)) {
      problems->Add(path, absl::StrCat("'", id,
                                       "' is no principal of this config (offices, "
                                       "departments, key accounts, gateways, ops, admin, intake, "
                                       "routing, notification, audit)"));
      continue;
    }
    if (key == kRevokedKey) {
      continue;
    }
    if (!LooksLikeZ85Key(key)) {
      problems->Add(path, absl::StrCat("expected a CurveZMQ public key (40 characters of Z85, "
                                       "as 'lotse keys generate' writes) or \"revoked\", got ",
                                       Quote(key)));
      continue;
    }
    const auto [it, inserted] = owner_of_key.emplace(key, id);
    if (!inserted) {
      problems->Add(path, absl::StrCat("this key is already the key of '", it->second,
                                       "': one key belongs to one principal only"));
    }
  }
  std::set<std::string, std::less<>> gateway_ids;
  for (size_t i = 0; i < config.gateways.size(); ++i) {
    const Gateway& gateway = config.gateways[i];
    const std::string path = IndexPath("gateways", i);
    CheckId(gateway.id, JoinPath(path, "id"), problems);
    if (!gateway_ids.insert(gateway.id).second) {
      problems->Add(JoinPath(path, "id"), absl::StrCat("gateway ", Quote(gateway.id),
                                                       " is listed twice; list it once "
                                                       "with every principal it acts for"));
    }
    for (size_t j = 0; j < gateway.acts_for.size(); ++j) {
      const std::string& id = gateway.acts_for[j];
      const auto it = kinds.find(id);
      const bool person_unit = it != kinds.end() && (it->second == PrincipalKind::kOffice ||
                                                     it->second == PrincipalKind::kDepartment ||
                                                     it->second == PrincipalKind::kKeyAccount);
      if (id != "*" && id != "ops" && id != "admin" && !person_unit) {
        problems->Add(IndexPath(JoinPath(path, "acts_for"), j),
                      absl::StrCat("expected an office, department or key account id, \"*\" "
                                   "(all of them), \"ops\" or \"admin\"; got ",
                                   Quote(id)));
      }
    }
  }
}


void ValidateRetention(const Retention& retention, Problems* problems) {
  for (const RetentionField& field : kRetentionFields) {
    const int value = retention.*field.field;
    if (value < field.min || value > field.max) {
      problems->Add(JoinPath("retention", field.key),
                    absl::StrCat("must be in ", field.min, "..", field.max, ", got ", value,
                                 " (docs/datenschutz.md gives the reasons for the bounds)"));
    }
  }
  if (static_cast<int64_t>(retention.referral_years) * 365 < retention.personal_data_days) {
    problems->Add("retention.referral_years",
                  absl::StrCat("must be at least personal_data_days (", retention.personal_data_days,
                               " days): a referral is erased after its personal data, got ",
                               retention.referral_years, " years"));
  }
}

}  // namespace

void Validate(Config* config, Problems* problems) {
  ValidateCity(&config->city, problems);
  ValidateNetwork(config->network, problems);
  CheckNotEmpty(config->data_dir, "data_dir", problems);
  CheckOneOf(config->log.level, kLogLevels, "log.level", problems);
  CheckOneOf(config->log.format, kLogFormats, "log.format", problems);
  ValidateLimits(config->limits, problems);
  ValidateRetention(config->retention, problems);
  for (int i = 0; i < kServiceCount; ++i) {
    const int nice = config->scheduling.nice[i];
    if (nice < -20 || nice > 19) {
      problems->Add(JoinPath("scheduling", kSchedulingKeys[i]),
                    absl::StrCat("must be a nice value in -20..19, got ", nice));
    }
  }
  if (!std::isfinite(config->clock.speedup) || config->clock.speedup <= 0) {
    problems->Add("clock.speedup", absl::StrCat("must be > 0 (1 = real time), got ",
                                                FormatNumber(config->clock.speedup)));
  }
  const IdIndex departments =
      ValidateBlocks(config->departments, "departments", problems,
                     [&](const Department& department, const std::string& path) {
                       CheckDepartment(department, path, problems);
                     });
  const IdIndex topics = ValidateBlocks(
      config->topics, "topics", problems, [&](const Topic& topic, const std::string& path) {
        CheckReference(topic.department, JoinPath(path, "department"), "department", departments,
                       problems);
        if (topic.personal_data_days != 0 &&
            (topic.personal_data_days < kRetentionFields[0].min ||
             topic.personal_data_days > kRetentionFields[0].max)) {
          problems->Add(JoinPath(path, "personal_data_days"),
                        absl::StrCat("must be 0 ([retention] personal_data_days) or in ",
                                     kRetentionFields[0].min, "..", kRetentionFields[0].max,
                                     ", got ", topic.personal_data_days));
        }
      });
  const IdIndex offices = ValidateBlocks(
      config->offices, "offices", problems, [&](const Office& office, const std::string& path) {
        CheckEmail(office.email, JoinPath(path, "email"), problems);
      });
  ValidateRouting(*config, departments, topics, offices, problems);
  ValidateNotification(config->notification, problems);
  ValidateWeb(config->web, problems);
  ValidateKeyAccounts(*config, departments, problems);
  ValidateStaff(*config, problems);
  ValidatePrincipals(*config, problems);
}

std::string NormalizeCompany(absl::string_view company) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(company));
}

}  // namespace lotse::config::internal
