#include "services/cli/commands.h"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "common/auth/keyring.h"
#include "common/config/config.h"
#include "common/format.h"
#include "services/cli/client.h"
#include "services/cli/input.h"
#include "services/cli/ops_commands.h"
#include "services/cli/output.h"
#include "services/cli/supervisor.h"
#include "services/cli/table.h"

namespace lotse::cli {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::IntakeRequest;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

// Options every command takes.
struct Globals {
  std::string config_file;
  std::string identity_file;  // --identity, else $LOTSE_IDENTITY
  std::string keys_dir;       // --keys, else $LOTSE_KEYS, else the config's keys dir
  int port_base = 0;  // 0: from the config (or $LOTSE_PORT_BASE)
  std::string host;
  int timeout_ms = 0;  // 0: limits.request_timeout_ms
  bool json = false;
};

IdentityOptions Identity(const Globals& g) {
  IdentityOptions options;
  options.identity_file = g.identity_file;
  options.keys_dir = g.keys_dir;
  if (const char* env = std::getenv("LOTSE_IDENTITY"); options.identity_file.empty() && env) {
    options.identity_file = env;
  }
  if (const char* env = std::getenv("LOTSE_KEYS"); options.keys_dir.empty() && env) {
    options.keys_dir = env;
  }
  return options;
}

lotse::v1::Error MakeError(lotse::v1::ErrorCode code, std::string message, std::string field = "") {
  lotse::v1::Error error;
  error.set_code(code);
  error.set_message(std::move(message));
  error.set_field(std::move(field));
  return error;
}

// The config's problems are one per line; the CLI reports every error on one line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "; ";
    } else {
      out += c;
    }
  }
  return out;
}

config::Overrides ToOverrides(const Globals& g) {
  config::Overrides overrides;
  if (!g.config_file.empty()) {
    overrides.config_file = g.config_file;
  }
  if (g.port_base != 0) {
    overrides.port_base = g.port_base;
  }
  if (!g.host.empty()) {
    overrides.host = g.host;
  }
  return overrides;
}

// One run of one command: its name for messages, the effective config, the city's time zone,
// and the client. Prints results and errors.
class Session {
 public:
  Session(std::string command, Globals globals)
      : command_(std::move(command)), globals_(std::move(globals)) {}

  // Loads the config and prepares the client. Returns an exit code other than 0 on failure.
  int Init() {
    absl::StatusOr<config::Config> loaded = config::Load(ToOverrides(globals_));
    if (!loaded.ok()) {
      return Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        StrCat("the configuration is not usable: ",
                                               OneLine(ToStd(loaded.status().message())))));
    }
    config_ = *std::move(loaded);
    if (!absl::LoadTimeZone(config_.city.timezone, &zone_)) {
      zone_ = absl::UTCTimeZone();  // readable still; tzdata is missing
    }
    ClientOptions options;
    options.timeout = absl::Milliseconds(
        globals_.timeout_ms > 0 ? globals_.timeout_ms : config_.limits.request_timeout_ms);
    options.retries = config_.limits.request_retries;
    options.max_message_bytes = config_.limits.max_message_bytes;
    // Keys are needed only to talk to a service: status and lag read the ops HTTP ports.
    credentials_ = Credentials::Load(config_, Identity(globals_));
    client_ = std::make_unique<Client>(config_.network, options, credentials_);
    return kExitOk;
  }

  const config::Config& config() const { return config_; }
  const absl::StatusOr<Credentials>& credentials() const { return credentials_; }
  const absl::TimeZone& zone() const { return zone_; }
  bool json() const { return globals_.json; }

  // Prints `error` (one line on stderr; {"error": ...} on stdout with --json); returns `code`.
  int Fail(int code, const lotse::v1::Error& error) {
    fmt::print(stderr, "{}: {}\n", command_, error.message());
    if (globals_.json) {
      fmt::print("{}\n", ErrorJson(error));
    }
    return code;
  }

  // Sends `request` and checks the reply: returns 0 if it carries the `expected` result,
  // otherwise prints the error and returns the exit code.
  template <typename Request, typename Reply>
  int Call(Request request, typename Reply::ResultCase expected, Reply& reply) {
    absl::StatusOr<Reply> answer = client_->Call(std::move(request));
    if (!answer.ok()) {
      const std::string message(ToStd(answer.status().message()));
      if (absl::IsPermissionDenied(answer.status())) {  // the service refused our key
        return Fail(kExitRefused, MakeError(lotse::v1::ERROR_CODE_PERMISSION_DENIED, message));
      }
      const bool unavailable = absl::IsUnavailable(answer.status());
      return Fail(kExitUnavailable, MakeError(unavailable ? lotse::v1::ERROR_CODE_UNAVAILABLE
                                                          : lotse::v1::ERROR_CODE_INTERNAL,
                                              message));
    }
    if (answer->result_case() == Reply::kError) {
      return Fail(kExitRefused, answer->error());
    }
    if (answer->result_case() != expected) {
      return Fail(kExitUnavailable,
                  MakeError(lotse::v1::ERROR_CODE_INTERNAL,
                            "the service answered with another kind of result than asked for: "
                            "are lotse and the services from the same build?"));
    }
    reply = *std::move(answer);
    return kExitOk;
  }

  // Prints `result` as JSON with --json, otherwise `text`. Returns the exit code.
  int Print(const google::protobuf::Message& result, const std::string& text) {
    if (!globals_.json) {
      fmt::print("{}", text);
      return kExitOk;
    }
    absl::StatusOr<std::string> json = ToJson(result);
    if (!json.ok()) {
      return Fail(kExitUnavailable, MakeError(lotse::v1::ERROR_CODE_INTERNAL,
                                              std::string(ToStd(json.status().message()))));
    }
    fmt::print("{}\n", *json);
    return kExitOk;
  }

 private:
  std::string command_;
  Globals globals_;
  config::Config config_;
  absl::TimeZone zone_;
  std::unique_ptr<Client> client_;
  absl::StatusOr<Credentials> credentials_;
};

// ------------------------------------------------------------------------------------------
// Flags of the commands
// ------------------------------------------------------------------------------------------

struct SubmitFlags {
  std::string office, company_id, company_name, topic, subject, text;
  uint32_t employees = 0;
  std::string contact_name, contact_email, contact_phone;
  std::string priority = "normal";
  std::string key;
};

struct StatusFlags {
  std::string ref, office, department;
};

struct InboxFlags {
  std::string office, department;
  bool follow = false;
};

struct EvaluationFlags {
  std::string from, to, department, office, format = "table";
  bool rebuild = false;
};

struct HistoryFlags {
  std::string ref, office, department;
};

struct WorklistFlags {
  std::string department, user;
  uint32_t limit = 0;
  std::string after;  // a page's `next`
};

// claim, unclaim, forward, consult, contribute, answer.
struct ChangeFlags {
  std::string ref, department, user, key;
  std::string to, reason;         // forward
  std::vector<std::string> with;  // consult
  std::string question;           // consult
  std::string text;               // contribute, answer
  std::string outcome;            // answer
};

struct FeedbackFlags {
  std::string ref, office, resolved, comment, key;
  int rating = 0;
};

struct UpFlags {
  std::string data_dir, clock_start, log_level, log_format;
  double clock_speedup = 0;
};

std::string KeyOrRandom(const std::string& key) { return key.empty() ? RandomHex(32) : key; }

// A validator for words: accepts what `parse` accepts, says what is expected otherwise.
// `choices` is shown in --help ("low|normal|high|urgent").
template <typename Parse>
CLI::Validator Words(Parse parse, const std::string& expected, std::string choices) {
  return CLI::Validator(
      [parse, expected](std::string& value) -> std::string {
        if (parse(value).has_value()) {
          return {};
        }
        return StrCat("must be ", expected, ", got '", value, "'");
      },
      std::move(choices), "");
}

// ------------------------------------------------------------------------------------------
// The commands
// ------------------------------------------------------------------------------------------

enum class DirectoryView { kDepartments, kTopics, kOffices, kKeyAccounts };

int Directory(Session& s, DirectoryView view) {
  RoutingRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
  request.mutable_directory();
  RoutingReply reply;
  if (int code = s.Call(std::move(request), RoutingReply::kDirectory, reply); code != kExitOk) {
    return code;
  }
  const lotse::v1::DirectoryReply& d = reply.directory();
  std::string text;
  switch (view) {
    case DirectoryView::kDepartments:
      text = RenderDepartments(d);
      break;
    case DirectoryView::kTopics:
      text = RenderTopics(d);
      break;
    case DirectoryView::kOffices:
      text = RenderOffices(d);
      break;
    case DirectoryView::kKeyAccounts:
      text = RenderKeyAccounts(d);
      break;
  }
  return s.Print(d, text);
}

int Submit(Session& s, const SubmitFlags& f) {
  IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id(f.office);
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(KeyOrRandom(f.key));
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office(f.office);
  r->set_company_id(f.company_id);
  r->set_company_name(f.company_name);
  r->set_employees(f.employees);
  r->mutable_contact()->set_name(f.contact_name);
  r->mutable_contact()->set_email(f.contact_email);
  r->mutable_contact()->set_phone(f.contact_phone);
  r->set_topic(f.topic);
  r->set_subject(f.subject);
  r->set_text(TextOrStdin(f.text));
  r->set_priority(ParsePriority(f.priority).value_or(lotse::v1::PRIORITY_NORMAL));
  IntakeReply reply;
  if (int code = s.Call(std::move(request), IntakeReply::kSubmitted, reply); code != kExitOk) {
    return code;
  }
  return s.Print(reply.submitted(), RenderSubmitted(reply.submitted(), f.office));
}

int Status(Session& s, const StatusFlags& f) {
  if (f.ref.empty() && f.office.empty() && f.department.empty()) {
    return ShowSetStatus(s.config(), s.zone(), s.json());
  }
  if (f.ref.empty()) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        "name the referral: lotse status REF --office O; "
                                        "without REF, 'lotse status' shows the services",
                                        "ref"));
  }
  if (f.office.empty() == f.department.empty()) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        "say who asks: --office O (or --department D); see "
                                        "'lotse status --help'",
                                        "office"));
  }
  if (!f.department.empty()) {
    RoutingRequest request;
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    request.mutable_actor()->set_id(f.department);
    request.mutable_get()->set_ref(f.ref);
    RoutingReply reply;
    if (int code = s.Call(std::move(request), RoutingReply::kReferral, reply); code != kExitOk) {
      return code;
    }
    return s.Print(reply.referral(), RenderReferral(reply.referral(), s.zone()));
  }
  IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id(f.office);
  request.mutable_get()->set_ref(f.ref);
  IntakeReply reply;
  if (int code = s.Call(std::move(request), IntakeReply::kReferral, reply); code != kExitOk) {
    return code;
  }
  return s.Print(reply.referral(), RenderReferral(reply.referral(), s.zone()));
}

int Worklist(Session& s, const WorklistFlags& f) {
  RoutingRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(f.department);
  request.mutable_actor()->set_user(f.user);
  request.mutable_worklist()->set_assignee(f.department);
  request.mutable_worklist()->set_limit(f.limit);
  request.mutable_worklist()->set_after(f.after);
  RoutingReply reply;
  if (int code = s.Call(std::move(request), RoutingReply::kWorklist, reply); code != kExitOk) {
    return code;
  }
  const lotse::v1::WorklistReply& list = reply.worklist();
  std::string text = RenderWorklist(list, s.zone());
  if (!list.next().empty()) {
    text += StrCat("More items follow: lotse worklist --department ", f.department, " --after ",
                   list.next(), "\n");
  }
  return s.Print(list, text);
}

// Reads the inbox page by page; each request acknowledges what the previous one printed. With
// --follow it keeps a request parked at the service so new messages arrive as they happen.
int Inbox(Session& s, const InboxFlags& f) {
  if (f.office.empty() && f.department.empty()) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        "say whose inbox: --office O or --department D",
                                        "office"));
  }
  lotse::v1::NotificationRequest request;
  if (!f.office.empty()) {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    request.mutable_actor()->set_id(f.office);
  } else {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    request.mutable_actor()->set_id(f.department);
  }
  lotse::v1::InboxRequest* inbox = request.mutable_inbox();
  inbox->set_wait_ms(f.follow ? 20000 : 0);
  lotse::v1::InboxReply collected;
  while (true) {
    lotse::v1::NotificationReply reply;
    if (int code = s.Call(request, lotse::v1::NotificationReply::kInbox, reply);
        code != kExitOk) {
      return code;
    }
    const lotse::v1::InboxReply& page = reply.inbox();
    collected.set_recipient(page.recipient());
    collected.set_head(page.head());
    collected.set_acknowledged(page.acknowledged());
    if (page.messages().empty() && !f.follow) {
      break;  // this request acknowledged everything printed before it
    }
    if (f.follow && s.json()) {
      for (const lotse::v1::InboxMessage& m : page.messages()) {
        fmt::print("{}\n", ToJson(m).value_or("{}"));
      }
    } else if (f.follow || !s.json()) {
      fmt::print("{}", RenderInboxMessages(page, s.zone()));
    }
    std::fflush(stdout);
    for (const lotse::v1::InboxMessage& m : page.messages()) {
      inbox->set_ack(m.seq());
      *collected.add_messages() = m;
    }
  }
  if (s.json()) {
    fmt::print("{}\n", ToJson(collected).value_or("{}"));
  } else if (collected.messages().empty()) {
    fmt::print("No new messages.\n");
  }
  return kExitOk;
}

// The joint evaluation: an office or department asks for its own figures; without either, or
// with --rebuild, the request is made as ops.
int Evaluation(Session& s, const EvaluationFlags& f) {
  lotse::v1::AuditRequest request;
  lotse::v1::EvaluationRequest* e = request.mutable_evaluation();
  e->set_from(f.from);
  e->set_to(f.to);
  e->set_rebuild(f.rebuild);
  e->set_office(f.office);
  e->set_department(f.department);
  if (!f.office.empty() && !f.rebuild) {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    request.mutable_actor()->set_id(f.office);
  } else if (!f.department.empty() && !f.rebuild) {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    request.mutable_actor()->set_id(f.department);
  } else {  // every unit, or a rebuild: admin's
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_ADMIN);
  }
  lotse::v1::AuditReply reply;
  if (int code = s.Call(std::move(request), lotse::v1::AuditReply::kEvaluation, reply);
      code != kExitOk) {
    return code;
  }
  if (s.json()) {
    return s.Print(reply.evaluation(), "");
  }
  if (f.format == "json") {
    fmt::print("{}\n", ToJson(reply.evaluation()).value_or("{}"));
    return kExitOk;
  }
  fmt::print("{}", RenderEvaluation(reply.evaluation(), f.format));
  return kExitOk;
}

int History(Session& s, const HistoryFlags& f) {
  lotse::v1::AuditRequest request;
  if (!f.office.empty()) {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    request.mutable_actor()->set_id(f.office);
  } else if (!f.department.empty()) {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    request.mutable_actor()->set_id(f.department);
  } else {
    request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
  }
  request.mutable_history()->set_ref(f.ref);
  // A long history comes in pages; the CLI shows it whole.
  lotse::v1::HistoryReply history;
  do {
    request.mutable_history()->set_after_index(history.next_index());
    lotse::v1::AuditReply reply;
    if (int code = s.Call(request, lotse::v1::AuditReply::kHistory, reply); code != kExitOk) {
      return code;
    }
    const uint64_t next = reply.history().next_index();
    history.mutable_entries()->MergeFrom(reply.history().entries());
    history.set_referral_id(reply.history().referral_id());
    history.set_case_number(reply.history().case_number());
    history.set_next_index(next);
  } while (history.next_index() != 0);
  return s.Print(history, RenderHistory(history, s.zone()));
}

int VerifyAudit(Session& s) {
  lotse::v1::AuditRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OPS);
  request.mutable_verify();
  lotse::v1::AuditReply reply;
  if (int code = s.Call(std::move(request), lotse::v1::AuditReply::kVerify, reply);
      code != kExitOk) {
    return code;
  }
  const int printed = s.Print(reply.verify(), RenderVerify(reply.verify()));
  return reply.verify().ok() ? printed : kExitRefused;
}

enum class Change { kClaim, kUnclaim, kForward, kConsult, kContribute, kAnswer };

int RunChange(Session& s, Change change, const ChangeFlags& f) {
  RoutingRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
  request.mutable_actor()->set_id(f.department);
  request.mutable_actor()->set_user(f.user);
  request.set_idempotency_key(KeyOrRandom(f.key));
  switch (change) {
    case Change::kClaim:
      request.mutable_claim()->set_ref(f.ref);
      break;
    case Change::kUnclaim:
      request.mutable_unclaim()->set_ref(f.ref);
      break;
    case Change::kForward:
      request.mutable_forward()->set_ref(f.ref);
      request.mutable_forward()->set_to(f.to);
      request.mutable_forward()->set_reason(f.reason);
      break;
    case Change::kConsult:
      request.mutable_consult()->set_ref(f.ref);
      for (const std::string& d : f.with) {
        request.mutable_consult()->add_departments(d);
      }
      request.mutable_consult()->set_question(f.question);
      break;
    case Change::kContribute:
      request.mutable_contribute()->set_ref(f.ref);
      request.mutable_contribute()->set_text(TextOrStdin(f.text));
      break;
    case Change::kAnswer:
      request.mutable_answer()->set_ref(f.ref);
      request.mutable_answer()->set_text(TextOrStdin(f.text));
      request.mutable_answer()->set_outcome(
          ParseOutcome(f.outcome).value_or(lotse::v1::OUTCOME_UNSPECIFIED));
      break;
  }
  RoutingReply reply;
  if (int code = s.Call(std::move(request), RoutingReply::kReferral, reply); code != kExitOk) {
    return code;
  }
  const lotse::v1::ReferralState& state = reply.referral();
  std::string text;
  switch (change) {
    case Change::kClaim:
      text = RenderClaimed(state, s.zone());
      break;
    case Change::kUnclaim:
      text = RenderUnclaimed(state);
      break;
    case Change::kForward:
      text = RenderForwarded(state, f.department, s.config().routing.forward_limit, s.zone());
      break;
    case Change::kConsult:
      text = RenderConsulted(state, f.with);
      break;
    case Change::kContribute:
      text = RenderContributed(state, f.department);
      break;
    case Change::kAnswer:
      text = RenderAnswered(state);
      break;
  }
  return s.Print(state, text);
}

int Feedback(Session& s, const FeedbackFlags& f) {
  IntakeRequest request;
  request.mutable_actor()->set_kind(lotse::v1::ACTOR_KIND_OFFICE);
  request.mutable_actor()->set_id(f.office);
  lotse::v1::SubmitFeedbackRequest* feedback = request.mutable_feedback();
  feedback->set_idempotency_key(KeyOrRandom(f.key));
  feedback->set_ref(f.ref);
  feedback->set_rating(f.rating);
  feedback->set_resolved(ParseYesNo(f.resolved).value_or(false));
  feedback->set_comment(f.comment);
  IntakeReply reply;
  if (int code = s.Call(std::move(request), IntakeReply::kReferral, reply); code != kExitOk) {
    return code;
  }
  return s.Print(reply.referral(), RenderFeedback(reply.referral()));
}

int GenerateKeys(const Globals& g, const std::string& out) {
  absl::StatusOr<config::Config> config = config::Load(ToOverrides(g));
  if (!config.ok()) {
    fmt::print(stderr, "lotse keys generate: the configuration is not usable: {}\n",
               OneLine(ToStd(config.status().message())));
    return kExitUsage;
  }
  absl::StatusOr<auth::GeneratedKeyring> keyring = auth::GenerateKeyring(*config, out);
  if (!keyring.ok()) {
    fmt::print(stderr, "lotse keys generate: {}\n", keyring.status().message());
    return kExitRefused;
  }
  fmt::print("{} new keypairs, {} kept, in {}\n", keyring->created.size(), keyring->kept.size(),
             out);
  fmt::print("Secret key files (mode 0600): {}/<principal>.key. Hand each terminal only its own.\n",
             out);
  fmt::print("Public keys: {}. Paste its [keys.public] table into the config, then send SIGHUP "
             "to the services (or leave it there for a config without [keys.public]).\n",
             keyring->public_list);
  return kExitOk;
}

int Up(const Globals& g, const UpFlags& f) {
  config::Overrides overrides = ToOverrides(g);
  if (!f.data_dir.empty()) {
    overrides.data_dir = f.data_dir;
  }
  if (f.clock_speedup != 0) {
    overrides.clock_speedup = f.clock_speedup;
  }
  if (!f.clock_start.empty()) {
    overrides.clock_start = f.clock_start;
  }
  if (!f.log_format.empty()) {
    overrides.log_format = f.log_format;
  }
  if (!f.log_level.empty()) {
    overrides.log_level = f.log_level;
  }
  absl::StatusOr<config::Config> config = config::Load(overrides);
  if (!config.ok()) {
    fmt::print(stderr, "lotse up: the configuration is not usable: {}\n",
               OneLine(ToStd(config.status().message())));
    return kExitUsage;
  }
  absl::StatusOr<std::string> bin_dir = OwnDirectory();
  if (!bin_dir.ok()) {
    fmt::print(stderr, "lotse up: {}\n", bin_dir.status().message());
    return kExitRefused;
  }
  SupervisorOptions options;
  options.bin_dir = *bin_dir;
  if (!g.config_file.empty()) {
    options.args.insert(options.args.end(), {"--config", g.config_file});
  }
  options.args.insert(options.args.end(), {"--data-dir", config->data_dir, "--port-base",
                                           StrCat(config->network.port_base)});
  if (!g.host.empty()) {
    options.args.insert(options.args.end(), {"--host", g.host});
  }
  if (f.clock_speedup != 0) {
    options.args.insert(options.args.end(),
                        {"--clock-speedup", fmt::format("{}", f.clock_speedup)});
  }
  if (!f.clock_start.empty()) {
    options.args.insert(options.args.end(), {"--clock-start", f.clock_start});
  }
  if (!f.log_format.empty()) {
    options.args.insert(options.args.end(), {"--log-format", f.log_format});
  }
  if (!f.log_level.empty()) {
    options.args.insert(options.args.end(), {"--log-level", f.log_level});
  }
  // A config that lists no keys runs on the keyring beside the data: made on the first start,
  // kept (and completed for new principals) on every later one.
  if (config->keys.public_keys.empty()) {
    const std::string dir = config->keys.Dir(config->data_dir);
    absl::StatusOr<auth::GeneratedKeyring> keyring = auth::GenerateKeyring(*config, dir);
    if (!keyring.ok()) {
      fmt::print(stderr, "lotse up: {}\n", keyring.status().message());
      return kExitRefused;
    }
    if (!keyring->created.empty()) {
      fmt::print("Keys: made {} new keypairs in {} (public list: {})\n", keyring->created.size(),
                 dir, keyring->public_list);
    }
  }
  Supervisor supervisor(kServiceSet, options);
  if (absl::Status checked = supervisor.Check(); !checked.ok()) {
    fmt::print(stderr, "lotse up: {}\n", checked.message());
    return kExitRefused;
  }

  std::error_code error;
  const std::filesystem::path data_dir = std::filesystem::absolute(config->data_dir, error);
  fmt::print("Lotse for {}: starting {} services from {}\n", config->city.name,
             std::size(kServiceSet), *bin_dir);
  Table table({{"service", 16}, {"commands", 40}, {"events", 40}, {"data", 80}});
  for (const ServiceBinary& service : kServiceSet) {
    table.AddRow({std::string(config::ServiceName(service.service)),
                  config->network.CommandEndpoint(service.service),
                  config->network.LogEndpoint(service.service),
                  config->ServiceDataDir(service.service)});
  }
  fmt::print("{}", table.Render());
  fmt::print("Data directory: {}\n", error ? config->data_dir : data_dir.string());
  if (config->clock.speedup != 1.0 || config->clock.start.has_value()) {
    absl::TimeZone zone = absl::UTCTimeZone();
    absl::LoadTimeZone(config->city.timezone, &zone);
    fmt::print("Service clock: {}x real time, starting at {}\n", config->clock.speedup,
               config->clock.start.has_value()
                   ? absl::FormatTime("%Y-%m-%d %H:%M %Z", *config->clock.start, zone)
                   : std::string("now"));
  }
  fmt::print("Ctrl-C stops all.\n");
  std::fflush(stdout);

  if (absl::Status run = supervisor.Run(); !run.ok()) {
    fmt::print(stderr, "lotse up: {}\n", run.message());
    return kExitRefused;
  }
  return kExitOk;
}

// ------------------------------------------------------------------------------------------
// Wiring
// ------------------------------------------------------------------------------------------

void AddConnectionOptions(CLI::App* app, Globals& g) {
  app->add_option("--config", g.config_file,
                  "TOML config file (default: $LOTSE_CONFIG, else the built-in sample city)");
  app->add_option("--port-base", g.port_base,
                  "first TCP port of the set (default: $LOTSE_PORT_BASE, else the config's)")
      ->check(CLI::Range(1024, 65000));
  app->add_option("--host", g.host, "address of the services (default: the config's)");
  app->add_option("--identity", g.identity_file,
                  "this terminal's secret key file (default: $LOTSE_IDENTITY, else the key of "
                  "the office or department the command names, from --keys)");
  app->add_option("--keys", g.keys_dir,
                  "a keyring directory, as 'lotse keys generate' writes it (default: "
                  "$LOTSE_KEYS, else <data dir>/keys, where 'lotse up' keeps it)");
}

void AddGlobalOptions(CLI::App* app, Globals& g) {
  AddConnectionOptions(app, g);
  app->add_option("--timeout-ms", g.timeout_ms,
                  "wait this long for each of the tries (default: limits.request_timeout_ms)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--json", g.json, "print one JSON document on stdout instead of text");
}

void AddRef(CLI::App* app, std::string& ref) {
  app->add_option("REF", ref, "referral id or case number, e.g. 2026-000123")->required();
}

void AddKey(CLI::App* app, std::string& key) {
  app->add_option("--key", key,
                  "idempotency key: repeating the command with the same key does not act twice "
                  "(default: a new random key)");
}

bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json") {
      return true;
    }
  }
  return false;
}

}  // namespace

int RunCommandLine(int argc, char** argv) {
  CLI::App app(
      "lotse: the command-line client of Lotse, the referral backbone between citizen "
      "offices and departments",
      "lotse");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 the service refused, 2 usage error, 3 service unreachable.\n"
      "Environment: LOTSE_CONFIG, LOTSE_PORT_BASE, LOTSE_HOST (flags win).\n"
      "Run 'lotse <command> --help' for the options of a command.");
  Globals g;
  AddGlobalOptions(&app, g);
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;
  auto command = [&](const std::string& name, std::string description,
                     std::function<int(Session&)> run) {
    CLI::App* sub = app.add_subcommand(name, std::move(description));
    AddGlobalOptions(sub, g);
    commands.emplace_back(sub, [name, run = std::move(run), &g]() {
      Session session(StrCat("lotse ", name), g);
      if (int code = session.Init(); code != kExitOk) {
        return code;
      }
      return run(session);
    });
    return sub;
  };

  // lotse up
  UpFlags up;
  {
    CLI::App* sub = app.add_subcommand(
        "up", "start the services (intake, routing, notification, audit) and keep them running; Ctrl-C stops all");
    AddConnectionOptions(sub, g);
    sub->add_option("--data-dir", up.data_dir,
                    "where the services keep their databases (default: the config's data_dir)");
    sub->add_option("--clock-speedup", up.clock_speedup,
                    "service time runs this many times faster (demos, tests)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--clock-start", up.clock_start,
                    "service time at start, RFC 3339, e.g. 2026-03-02T08:00:00+01:00");
    sub->add_option("--log-level", up.log_level, "trace|debug|info|warn|error|critical");
    sub->add_option("--log-format", up.log_format,
                    "text (default) or json: one JSON object per line for journald/Loki")
        ->check(CLI::IsMember({"text", "json"}));
    commands.emplace_back(sub, [&] { return Up(g, up); });
  }

  // lotse keys generate
  std::string keys_out;
  {
    CLI::App* keys = app.add_subcommand("keys", "CurveZMQ keys of the principals");
    keys->require_subcommand(1);
    CLI::App* sub = keys->add_subcommand(
        "generate", "give every principal of the config a keypair (keeps existing ones)");
    AddConnectionOptions(sub, g);
    sub->add_option("--out", keys_out, "the keyring directory to write")->required();
    commands.emplace_back(sub, [&] { return GenerateKeys(g, keys_out); });
  }

  // Directory
  command("departments", "list the departments (Fachämter) with SLA and office hours",
          [](Session& s) { return Directory(s, DirectoryView::kDepartments); });
  command("topics", "list the topics an office can choose and their departments",
          [](Session& s) { return Directory(s, DirectoryView::kTopics); });
  command("offices", "list the citizen offices (Bürgerbüros)",
          [](Session& s) { return Directory(s, DirectoryView::kOffices); });
  command("key-accounts", "list the key account managers and their companies",
          [](Session& s) { return Directory(s, DirectoryView::kKeyAccounts); });

  // lotse submit
  SubmitFlags submit;
  {
    CLI::App* sub = command("submit", "submit a company's question from a citizen office",
                            [&](Session& s) { return Submit(s, submit); });
    sub->add_option("--office", submit.office, "office id (see 'lotse offices')")->required();
    sub->add_option("--company-id", submit.company_id, "the company's id")->required();
    sub->add_option("--company-name", submit.company_name, "the company's name")->required();
    sub->add_option("--topic", submit.topic, "topic id (see 'lotse topics')")->required();
    sub->add_option("--subject", submit.subject, "one line: what it is about")->required();
    sub->add_option("--text", submit.text, "the question ('-' reads it from stdin)")->required();
    sub->add_option("--employees", submit.employees, "the company's employees (0 = unknown)");
    sub->add_option("--contact-name", submit.contact_name, "contact person");
    sub->add_option("--contact-email", submit.contact_email, "contact person's e-mail");
    sub->add_option("--contact-phone", submit.contact_phone, "contact person's phone");
    sub->add_option("--priority", submit.priority, "low|normal|high|urgent (default normal)")
        ->check(Words(ParsePriority, "low, normal, high or urgent", "low|normal|high|urgent"));
    AddKey(sub, submit.key);
  }

  // lotse status
  StatusFlags status;
  {
    CLI::App* sub = command("status",
                            "show where a referral is (REF --office O | --department D), or "
                            "without REF every service: up, ready, version, data, last commit",
                            [&](Session& s) { return Status(s, status); });
    sub->add_option("REF", status.ref, "referral id or case number, e.g. 2026-000123");
    auto* office = sub->add_option("--office", status.office, "ask as this office");
    auto* department =
        sub->add_option("--department", status.department, "ask as this department or KAM");
    office->excludes(department);
    department->excludes(office);
  }

  // lotse lag, lotse tap (operators)
  command("lag", "show every consumer of every stream: head, offset, lag, rate",
          [&g](Session& s) { return ShowLag(s.config(), g.json); });
  TapOptions tap;
  {
    CLI::App* sub = command("tap", "watch the live event flow across all services, one line per event",
                            [&](Session& s) {
                              tap.json = s.json();
                              return Tap(s.config(), s.zone(), s.credentials(), tap);
                            });
    sub->add_option("--referral", tap.referral, "follow one referral (id or case number)");
    sub->add_option("--stream", tap.stream, "only events of this stream (intake, routing, notification)");
    sub->add_option("--count", tap.count, "stop after this many events (default: until Ctrl-C)");
    sub->add_option("--seconds", tap.seconds, "stop after this many seconds (default: until Ctrl-C)");
  }

  // lotse worklist
  WorklistFlags worklist;
  {
    CLI::App* sub = command("worklist", "list a department's open referrals, most urgent first",
                            [&](Session& s) { return Worklist(s, worklist); });
    sub->add_option("--department", worklist.department, "department or key account id")
        ->required();
    sub->add_option("--user", worklist.user, "staff member asking");
    sub->add_option("--limit", worklist.limit,
                    "show at most this many (default: as many as fit in one reply)");
    sub->add_option("--after", worklist.after,
                    "the next page: what the previous page printed after 'More items follow'");
  }

  // The changing commands of a department.
  ChangeFlags change;
  auto change_command = [&](const std::string& name, std::string description, Change kind) {
    CLI::App* sub = command(name, std::move(description),
                            [&change, kind](Session& s) { return RunChange(s, kind, change); });
    AddRef(sub, change.ref);
    sub->add_option("--department", change.department, "acting department or key account id")
        ->required();
    AddKey(sub, change.key);
    return sub;
  };
  change_command("claim", "take a referral: you work on it now", Change::kClaim)
      ->add_option("--user", change.user, "staff member")
      ->required();
  change_command("unclaim", "give a claimed referral back to the department's worklist",
                 Change::kUnclaim)
      ->add_option("--user", change.user, "staff member")
      ->required();
  {
    CLI::App* sub =
        change_command("forward", "hand a referral to another department", Change::kForward);
    sub->add_option("--to", change.to, "department to forward to")->required();
    sub->add_option("--reason", change.reason, "why it belongs there")->required();
    sub->add_option("--user", change.user, "staff member");
  }
  {
    CLI::App* sub = change_command(
        "consult", "ask other departments to contribute before you answer", Change::kConsult);
    sub->add_option("--with", change.with, "departments to ask, comma-separated")
        ->required()
        ->delimiter(',');
    sub->add_option("--question", change.question, "what you need from them")->required();
    sub->add_option("--user", change.user, "staff member");
  }
  {
    CLI::App* sub = change_command(
        "contribute", "give your department's contribution to a consultation", Change::kContribute);
    sub->add_option("--text", change.text, "the contribution ('-' reads it from stdin)")
        ->required();
    sub->add_option("--user", change.user, "staff member");
  }
  {
    CLI::App* sub = change_command("answer", "answer a referral; the answer goes to the office",
                                   Change::kAnswer);
    sub->add_option("--user", change.user, "staff member")->required();
    sub->add_option("--text", change.text, "the answer ('-' reads it from stdin)")->required();
    sub->add_option("--outcome", change.outcome, "resolved|partly|not-responsible")
        ->required()
        ->check(Words(ParseOutcome, "resolved, partly or not-responsible",
                      "resolved|partly|not-responsible"));
  }

  // lotse feedback
  FeedbackFlags feedback;
  {
    CLI::App* sub = command("feedback", "rate the answer to a referral; this closes it",
                            [&](Session& s) { return Feedback(s, feedback); });
    AddRef(sub, feedback.ref);
    sub->add_option("--office", feedback.office, "office id")->required();
    sub->add_option("--rating", feedback.rating, "1 (poor) to 5 (excellent)")
        ->required()
        ->check(Words(ParseRating, "a whole number from 1 to 5", "1..5"));
    sub->add_option("--resolved", feedback.resolved, "yes|no: was the question resolved?")
        ->required()
        ->check(Words(ParseYesNo, "yes or no", "yes|no"));
    sub->add_option("--comment", feedback.comment, "what went well or not");
    AddKey(sub, feedback.key);
  }

  // lotse inbox
  InboxFlags inbox;
  {
    CLI::App* sub = command("inbox", "show (and acknowledge) an office's or department's messages",
                            [&](Session& s) { return Inbox(s, inbox); });
    auto* office = sub->add_option("--office", inbox.office, "read this office's inbox");
    auto* department =
        sub->add_option("--department", inbox.department, "read this department's or KAM's inbox");
    office->excludes(department);
    department->excludes(office);
    sub->add_flag("--follow", inbox.follow, "keep waiting for new messages; Ctrl-C stops");
  }

  // lotse evaluation
  EvaluationFlags evaluation;
  {
    CLI::App* sub = command("evaluation",
                            "the joint evaluation of a period: volumes, response times in "
                            "business hours, SLA share, escalations, feedback",
                            [&](Session& s) { return Evaluation(s, evaluation); });
    sub->add_option("--from", evaluation.from, "first day, YYYY-MM-DD")->required();
    sub->add_option("--to", evaluation.to, "first day after the period, YYYY-MM-DD")->required();
    auto* office = sub->add_option("--office", evaluation.office, "only this office (as it)");
    auto* department = sub->add_option("--department", evaluation.department,
                                       "only this department or KAM (as it)");
    office->excludes(department);
    department->excludes(office);
    sub->add_option("--format", evaluation.format, "table|json|csv (default table)")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    sub->add_flag("--rebuild", evaluation.rebuild,
                  "compute from the audit log alone (ops; slower, same figures)");
  }

  // lotse history
  HistoryFlags history;
  {
    CLI::App* sub = command("history", "show a referral's whole story from the audit log",
                            [&](Session& s) { return History(s, history); });
    AddRef(sub, history.ref);
    auto* office = sub->add_option("--office", history.office, "ask as this office");
    auto* department =
        sub->add_option("--department", history.department, "ask as this department or KAM");
    office->excludes(department);
    department->excludes(office);
  }

  // lotse audit verify
  {
    CLI::App* sub = command("audit", "the audit log: 'lotse audit verify' checks its hash chain",
                            [](Session& s) { return VerifyAudit(s); });
    sub->require_subcommand(1);
    sub->add_subcommand("verify", "walk the hash chain; name the first entry that does not match")
        ->fallthrough();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string name = "lotse";
    for (CLI::App* sub : app.get_subcommands()) {
      name = StrCat("lotse ", sub->get_name());
    }
    std::string message = StrCat(e.what(), "; see '", name, " --help'");
    if (name == "lotse" && argc > 1 && argv[1][0] != '-') {
      message = StrCat("'", argv[1], "' is not a command; see 'lotse --help' for the commands");
    }
    fmt::print(stderr, "{}: {}\n", name, message);
    if (WantsJson(argc, argv)) {
      fmt::print("{}\n", ErrorJson(MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT, message)));
    }
    return kExitUsage;
  }
  for (const auto& [sub, run] : commands) {
    if (sub->parsed()) {
      return run();
    }
  }
  return kExitUsage;  // require_subcommand(1) makes this unreachable
}

}  // namespace lotse::cli
