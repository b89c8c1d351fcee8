#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lotse::config {

// The services of the set, in port order: service i listens for commands on
// port_base + 2*i, serves its event log on port_base + 2*i + 1, its ops HTTP (metrics, health)
// on port_base + 8 + i and publishes its live tap on port_base + 12 + i.
enum class Service { kIntake = 0, kRouting = 1, kNotification = 2, kAudit = 3 };
inline constexpr int kServiceCount = 4;
std::string_view ServiceName(Service service);  // "intake", "routing", ...

// A named contact person of a department ([[departments.staff]]): routing gives a referral on
// one of `topics` to the matching person (a keyword in subject or question makes the match
// closer); several match: the one with the fewest open items.
struct StaffMember {
  std::string id;     // e.g. "bo-mueller"; [a-z0-9-]+, unique across all departments
  std::string name;   // e.g. "Jana Müller"
  std::string email;  // optional: items also reach the person by e-mail
  std::string phone;  // shown to the office and on the receipt
  std::vector<std::string> topics;    // topic ids of the department the person answers
  std::vector<std::string> keywords;  // optional, lower case: "lagerhalle", "gaststätte"
};

struct Department {
  std::string id;            // e.g. "bauordnung"; [a-z0-9-]+
  std::string name;          // e.g. "Bauordnungsamt"
  double sla_hours = 0;      // business hours until the answer is due, > 0
  std::string office_hours;  // calendar syntax, "Mon-Thu 08:00-16:00; Fri 08:00-12:30"
  std::string email;         // optional
  // Business hours until someone reacts (claims or acts), > 0 and at most sla_hours. 0 in the
  // file: a quarter of sla_hours.
  double first_reaction_hours = 0;
  std::string lead;  // staff id of the department's lead: hears of every breach; "" = none
  std::vector<StaffMember> staff;
  const StaffMember* FindStaff(std::string_view id) const;  // nullptr if absent
  double FirstReactionHours() const {
    return first_reaction_hours > 0 ? first_reaction_hours : sla_hours / 4;
  }
};

struct Topic {
  std::string id;          // e.g. "baugenehmigung"
  std::string name;        // e.g. "Baugenehmigung und Bauvoranfrage"
  std::string department;  // a Department id
  // Days after a referral on this topic was closed until its personal data is erased; 0 in the
  // file: [retention] personal_data_days.
  int personal_data_days = 0;
};

struct Office {
  std::string id;    // e.g. "bb-mitte"
  std::string name;  // e.g. "Bürgerbüro Mitte"
  std::string email;
};

// A named staff member who is the single contact for the listed companies (Duisburg model).
// Acts as an assignee like a department: referrals of these companies go to the KAM first.
struct KeyAccount {
  std::string id;                      // e.g. "kam-schneider"; must not clash with a department id
  std::string name;                    // e.g. "Anna Schneider"
  std::string department;              // home department; its office hours and SLA apply
  std::string email;
  std::vector<std::string> companies;  // company ids as entered at intake
};

// Office-specific rule: referrals from `office` on `topic` go to `department`.
struct Override {
  std::string office;
  std::string topic;
  std::string department;
};

namespace internal {
// The zone of a City made in code: Europe/Berlin (UTC if tzdata is missing). Loaded once.
absl::TimeZone DefaultCityZone();
}  // namespace internal

struct City {
  std::string name = "Musterstadt";
  std::string state = "NW";                // calendar::ParseState code
  std::string timezone = "Europe/Berlin";  // IANA name, as the file says it
  // `timezone`, loaded once: use it instead of loading the name again. In every Config that
  // ParseConfig or Load returns it is the zone `timezone` names. A City made in code starts
  // with Europe/Berlin, like `timezone`; whoever changes one changes both.
  absl::TimeZone zone = internal::DefaultCityZone();
  std::vector<std::string> closing_days;  // "YYYY-MM-DD", extra closed days
};

// Each kind of door has its own listen address, so that a firewall or a second interface can
// keep them apart: the client command ports (terminals, the web gateway), the services' internal
// log ports, and the operators' ports (ops HTTP and live tap). Empty: `host`.
//
// Several hosts: `hosts` names where a service runs ("intake" .. "audit", "web"): the address
// (IP or DNS name) everyone else reaches all of its doors at; a service not named there is on
// this host's doors. `listen` is the address a service binds its doors to where that differs
// from the one it is reached at (a container binds "0.0.0.0" and is reached by its service
// name); empty: the address it is reached at.
struct Network {
  std::string host = "127.0.0.1";
  std::string command_host;
  std::string log_host;
  std::string ops_host;
  std::map<std::string, std::string> hosts;  // service name -> address
  std::string listen;
  int port_base = 7100;  // 1024..65000
  const std::string& CommandHost() const { return command_host.empty() ? host : command_host; }
  const std::string& LogHost() const { return log_host.empty() ? host : log_host; }
  const std::string& OpsHost() const { return ops_host.empty() ? host : ops_host; }
  // Where `service` ("web" for lotse-web) is reached through a door whose host is `door`.
  const std::string& HostOf(std::string_view service, const std::string& door) const;
  // Where to reach a service: "tcp://host:port" for its command or log endpoint (what clients
  // and consumers connect to; a service binds Bound() of its own).
  std::string CommandEndpoint(Service service) const;
  std::string LogEndpoint(Service service) const;
  int OpsPort(Service service) const;              // HTTP: /metrics, /healthz, /readyz, /status
  const std::string& OpsHostOf(Service service) const;
  std::string TapEndpoint(Service service) const;  // XPUB: every committed event, lossy
  // lotse-web's door for the admin's `lotse users` (CurveZMQ, port_base + 17), and the host of
  // its pages.
  std::string WebCommandEndpoint() const;
  const std::string& WebHost() const;
  // What a service binds for one of its own endpoints or hosts: the same with `listen` as the
  // host where it is set.
  std::string Bound(const std::string& endpoint) const;
  const std::string& BoundHost(const std::string& host_reached) const;
};
// The set uses port_base .. port_base + 31: commands and logs +0..+7, ops +8..+11, taps
// +12..+15, the web terminal +16 (kWebPortOffset) and its accounts door +17
// (kWebCommandPortOffset), the rest kept free for what comes.
inline constexpr int kPortsPerSet = 32;

struct Log {
  std::string level = "info";   // trace|debug|info|warn|error|critical
  std::string format = "text";  // text|json
};

struct Limits {
  int max_subject_bytes = 200;
  int max_text_bytes = 16 * 1024;
  int max_message_bytes = 1024 * 1024;  // ZMQ_MAXMSGSIZE on every socket
  int request_timeout_ms = 3000;         // client: one try
  int request_retries = 3;               // client: tries after the first
  int fetch_wait_ms = 1000;              // long-poll bound of a parked Fetch
  int fetch_max_events = 1000;
  int fetch_max_bytes = 512 * 1024;      // at most max_message_bytes / 2
  int commit_max_batch = 512;            // commands or events per synced commit
  int min_free_disk_mb = 256;            // refuse new work below this
  int ready_max_lag = 10000;             // /readyz: a consumer further behind is not ready
  int ready_max_silence_ms = 5000;       // /readyz: a producer silent this long is not ready
  // Days after the submit that the company's feedback code (on the receipt) stays valid. Issue
  // 17 ties it to the referral's retention.
  int feedback_code_days = 365;
};

struct Routing {
  std::string default_department;  // used when no rule matches
  int forward_limit = 3;           // forwards per referral
  double warning_share = 0.75;     // share of the SLA after which a warning is emitted, (0,1)
  int escalation_scan_ms = 1000;   // how often overdue items are looked for
  // The escalation ladder's second level: this many business hours after the due time a
  // referral still not answered reaches the head of the economic development office. 0 = off.
  double second_breach_hours = 8;
  std::string head_name;   // the head of the economic development office
  std::string head_email;  // where the second level goes by e-mail; "" = inbox "head" only
  std::vector<Override> overrides;
};

// The e-mail channel of notification. An empty smtp_url switches e-mail off.
struct Notification {
  std::string smtp_url;  // "smtp://127.0.0.1:2525" (smtp:// or smtps://); empty = e-mail off
  // "required": the mail goes only over TLS (STARTTLS on smtp://, or smtps://), else it fails
  // and is retried; "off": plain SMTP, e.g. a relay on the same host. Say "off" explicitly.
  std::string smtp_tls = "required";
  std::string mail_from = "lotse@musterstadt.example";  // envelope sender and From:
  int retry_initial_ms = 1000;  // first retry delay; doubles per failed attempt
  int retry_max_ms = 300000;    // upper bound of the retry delay
  int max_attempts = 20;        // then the mail is given up (DeliveryFailed, final)
};

// The web terminal (lotse-web): its HTTP port and sessions. With tls_cert and tls_key it speaks
// HTTPS itself; without, it is meant to run behind a reverse proxy that does (README).
struct Web {
  int port = 0;                   // 0: port_base + kWebPortOffset (16)
  int session_idle_minutes = 30;  // a session not used this long ends
  std::string tls_cert;           // PEM files; both or neither
  std::string tls_key;
  // Where reports of barriers from the accessibility statement's form go by e-mail (over
  // [notification]'s SMTP), and the address the statement names; "" = the admin reads them in
  // the terminal only.
  std::string accessibility_contact;
};
inline constexpr int kWebPortOffset = 16;
inline constexpr int kWebCommandPortOffset = 17;

// The CPU priority of each service (Linux nice value, -20..19; higher yields to lower). When
// more arrives than the machine can do at once, the offices' acknowledgements and the routing
// onto the worklists go first; notification and audit catch up as soon as there is room.
struct Scheduling {
  std::array<int, kServiceCount> nice = {0, 0, 10, 10};  // by Service
};

// Who may connect. Every principal (office, department, key account manager, ops, admin, the
// four services, each gateway) has a CurveZMQ keypair; the public keys are listed here, the
// secret keys stay in files. See common/auth.
struct Keys {
  // Secret key files (<principal>.key, 0600) of the principals that run on this host, and
  // public.toml when `public_keys` is empty. "" = data_dir + "/keys".
  std::string dir;
  // [keys.public]: principal id -> Z85 public key; "revoked" lists a principal with no access.
  // Empty: read from dir/public.toml (what `lotse keys generate` writes).
  std::map<std::string, std::string> public_keys;
  std::string Dir(const std::string& data_dir) const { return dir.empty() ? data_dir + "/keys" : dir; }
};

// A gateway (the web terminal) logs people in and acts on their behalf: as one of `acts_for`
// (office, department or key account manager ids; "*" for every one of them; "ops" and "admin"
// only where listed by name).
struct Gateway {
  std::string id;  // its principal id, e.g. "web"
  std::vector<std::string> acts_for;
};

struct Config;

// How long Lotse keeps what (DESIGN.md "Personal data", docs/datenschutz.md). Every value has a
// documented lower bound (kRetentionFields): validation refuses a shorter one.
struct Retention {
  // A closed referral's personal data (contact person, texts, attachments) is erased this many
  // days after it was closed (answered and not reopened); a topic may say otherwise.
  int personal_data_days = 730;
  // The whole referral (case number, times, outcome) is erased this many years after it was
  // closed; the evaluation keeps its aggregates. At least personal_data_days.
  int referral_years = 6;
  int idempotency_days = 7;   // a command's stored reply (a retry within gets the same answer)
  int inbox_days = 90;        // an inbox message after it was marked read
  int dead_letter_days = 90;  // an event that could not be applied, after it was dead-lettered
  // A service's outbox keeps an event at least this long, even when every consumer has it
  // (a replay for debugging stays possible); then it is trimmed below the lowest offset every
  // consumer committed.
  int log_min_hours = 168;
  int scan_minutes = 10;  // how often each service looks for what has expired
  // The personal data retention of a referral on `topic` (the topic's own or the default).
  int PersonalDataDays(const Config& config, std::string_view topic) const;
};

// Service time. speedup > 1 makes time run faster (tests, demos); start, if set, is the service
// time at process start. Both default to the real clock.
struct Clock {
  double speedup = 1.0;
  std::optional<absl::Time> start;
};

struct Config {
  City city;
  Network network;
  std::string data_dir = "./var";  // each service uses data_dir/<service>
  Log log;
  Limits limits;
  Clock clock;
  Scheduling scheduling;
  Routing routing;
  Notification notification;
  Web web;
  Keys keys;
  Retention retention;
  std::vector<Gateway> gateways;
  std::vector<Department> departments;
  std::vector<Topic> topics;
  std::vector<Office> offices;
  std::vector<KeyAccount> key_accounts;

  const Department* FindDepartment(std::string_view id) const;  // nullptr if absent
  const Topic* FindTopic(std::string_view id) const;
  const Office* FindOffice(std::string_view id) const;
  const KeyAccount* FindKeyAccount(std::string_view id) const;
  const KeyAccount* KeyAccountForCompany(std::string_view company_id) const;
  // The staff member `id` of any department, with that department; {nullptr, nullptr} if none.
  std::pair<const Department*, const StaffMember*> FindStaff(std::string_view id) const;
  // The data directory of one service: data_dir + "/" + ServiceName(service).
  std::string ServiceDataDir(Service service) const;
  std::string WebDataDir() const;  // <data_dir>/web
  int WebPort() const;             // web.port, or port_base + kWebPortOffset
};

// Every caller of Lotse is one principal with a CurveZMQ key (common/auth).
enum class PrincipalKind { kOffice, kDepartment, kKeyAccount, kOps, kAdmin, kService, kGateway };
struct PrincipalEntry {
  std::string id;  // "bb-mitte", "bauordnung", "kam-schneider", "ops", "admin", "intake", "web"
  PrincipalKind kind;
};
// Every principal `config` names, in this order: services, ops, admin, gateways, offices,
// departments, key account managers. Ids are unique across all of them (validated).
std::vector<PrincipalEntry> Principals(const Config& config);
std::string_view PrincipalKindName(PrincipalKind kind);  // "office", "department", ...
// What [keys.public] says of a principal whose access was withdrawn.
inline constexpr std::string_view kRevokedKey = "revoked";

// `url` without the credentials it may carry ("smtp://user:pass@host:25" -> "smtp://***@host:25"),
// for logs, errors and status.
std::string RedactedUrl(std::string_view url);

// The sample city that `lotse up` runs on when no file is given (TOML text).
std::string_view DefaultConfigText();

// Parses TOML text and validates it completely. On failure returns InvalidArgument whose
// message lists every problem, one per line, each naming the source, the key path and what is
// expected, e.g. "lotse.toml: departments[2].sla_hours: must be > 0, got -1".
absl::StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);

// What a process was told on its command line; unset fields are not overridden.
struct Overrides {
  std::optional<std::string> config_file;
  std::optional<std::string> data_dir;
  std::optional<int> port_base;
  std::optional<std::string> host;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<double> clock_speedup;
  std::optional<std::string> clock_start;  // RFC 3339, e.g. "2026-03-02T08:00:00+01:00"
};

// Builds the effective config: defaults < file (flags' config_file, else $LOTSE_CONFIG, else the
// embedded default) < environment (the LOTSE_* variables of the table in overrides.cc, listed in
// README.md) < flags. Validates the result and reports every problem at once (see ParseConfig).
absl::StatusOr<Config> Load(const Overrides& flags);

// One line per setting that matters to operators (no secrets), for the start-up log.
std::string Describe(const Config& config);

}  // namespace lotse::config
