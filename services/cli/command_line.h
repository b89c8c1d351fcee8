#pragma once

// How `lotse` is assembled from its subcommands. CommandLine holds the CLI11 app, the options
// every command takes and what to run for each subcommand; RunCommandLine (commands.cc) makes
// one, calls the Add*Command functions below in the order of `lotse --help`, then parses argv
// and runs the subcommand named. Each Add* function declares one subcommand's flags and says
// what it runs; the run builds its request (requests.h), sends it through the Session
// (session.h) and prints the reply (output.h).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/session.h"

namespace lotse::cli {

// The command line of one `lotse` run. Neither copied nor moved: CLI11 writes the flags into
// its members and the registered runs hold on to them. One thread.
class CommandLine {
 public:
  // The app with its description, footer and global options, and no subcommands yet.
  CommandLine();

  // A subcommand that talks to the services. It takes every global option; `run` gets a Session
  // with the config loaded (a config that does not load ends the command with exit 2).
  // `parent`: a group such as `users` (lotse users add), else the top level.
  CLI::App* Add(const std::string& name, std::string description, std::function<int(Session&)> run,
                CLI::App* parent = nullptr);
  // The same for a subcommand with flags of its own: returns the subcommand and the `Flags`
  // to declare its options on; `run` gets them as CLI11 filled them. They live as long as the
  // command line.
  template <typename Flags>
  std::pair<CLI::App*, Flags*> Add(const std::string& name, std::string description,
                                   int (*run)(Session&, const Flags&), CLI::App* parent = nullptr) {
    auto flags = std::make_shared<Flags>();
    CLI::App* sub = Add(
        name, std::move(description),
        [flags, run](Session& session) { return run(session, *flags); }, parent);
    return {sub, flags.get()};
  }
  // A subcommand of `parent` that runs without a Session (`up`, `keys generate`). It takes the
  // connection options (--config, --port-base, --host, --identity, --keys) and no --json.
  CLI::App* AddLocal(CLI::App* parent, const std::string& name, std::string description,
                     std::function<int(const Globals&)> run);

  // The top-level app, for a group of subcommands such as `keys`.
  CLI::App* app() { return &app_; }

  // Parses argv and runs the subcommand named. A parse error is one line on stderr
  // ("lotse <command>: <error>; see 'lotse <command> --help'") and exit 2.
  int Run(int argc, char** argv);

  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;
  ~CommandLine() = default;

 private:
  CLI::App app_;
  Globals globals_;
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands_;
};

// Flags several subcommands share.
// REF, required: "referral id or case number".
void AddRef(CLI::App* app, std::string& ref);
// --key: the idempotency key of a changing command.
void AddKey(CLI::App* app, std::string& key);
// --office and --department, each excluding the other; `office_help` and `department_help`
// say what asking as them means.
void AddOfficeOrDepartment(CLI::App* app, std::string& office, std::string& department,
                           const std::string& office_help, const std::string& department_help);
// --office "ask as this office" and --department "ask as this department or KAM".
void AddAskAs(CLI::App* app, std::string& office, std::string& department);

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

// The subcommands, in the order of `lotse --help`, by the file that holds them.
// setup_commands.cc: starting the set and making its keys.
void AddUpCommand(CommandLine& cli);    // lotse up
void AddKeysCommand(CommandLine& cli);  // lotse keys generate
// referral_commands.cc: the directory, and a referral from the citizen office's side.
void AddDirectoryCommands(CommandLine& cli);  // lotse departments | topics | offices | key-accounts
void AddSubmitCommand(CommandLine& cli);      // lotse submit
void AddStatusCommand(CommandLine& cli);      // lotse status [REF]
// office_list_commands.cc: the office's list of its own referrals.
void AddReferralsCommand(CommandLine& cli);  // lotse referrals
// ops_commands.cc: the operators' view of the running set.
void AddLagCommand(CommandLine& cli);  // lotse lag
void AddTapCommand(CommandLine& cli);  // lotse tap
// worklist_commands.cc: a department's work.
void AddWorklistCommand(CommandLine& cli);  // lotse worklist
void AddChangeCommands(CommandLine& cli);   // lotse claim | unclaim | forward | consult |
                                            //       contribute | answer
// similar_commands.cc: earlier answers like a referral.
void AddSimilarCommand(CommandLine& cli);  // lotse similar
// contacts_commands.cc: named contact persons, stand-ins, the company file.
void AddContactsCommands(CommandLine& cli);  // lotse contacts | absence | company
// casework_commands.cc: waiting on the company, and deadlines typed by people.
void AddCompanyQuestionCommands(CommandLine& cli);  // lotse ask-company | company-replied
// A time as people type it: RFC 3339 ("2026-03-04T09:00:00+01:00") or "YYYY-MM-DD HH:MM" in
// `zone` (the city's). nullopt for anything else.
std::optional<absl::Time> ParseCityTime(std::string_view text, const absl::TimeZone& zone);
// --due DATETIME (consult): checked by ParseCityTime when parsed.
void AddDueOption(CLI::App* app, std::string& due);

// referral_commands.cc
void AddFeedbackCommand(CommandLine& cli);  // lotse feedback
void AddInboxCommand(CommandLine& cli);     // lotse inbox
// receipt_commands.cc: the receipt, the company's feedback code, follow-up questions.
void AddReceiptCommands(CommandLine& cli);  // lotse receipt | follow-up
void AddErasureCommands(CommandLine& cli);  // lotse erase | personal-data
void AddBackupCommands(CommandLine& cli);   // lotse backup | restore
// lotse feedback --code: the company's own rating (the feedback command's other half).
int CompanyFeedback(Session& s, const client::FeedbackArgs& args);
// attachment_commands.cc: documents attached to a referral.
void AddAttachmentCommands(CommandLine& cli);  // lotse attach | attachment | attachments
// audit_commands.cc: what the audit log knows.
void AddEvaluationCommand(CommandLine& cli);  // lotse evaluation
void AddHistoryCommand(CommandLine& cli);     // lotse history
void AddAuditCommand(CommandLine& cli);       // lotse audit verify
// users_commands.cc: the web terminal's accounts, as admin.
void AddUsersCommand(CommandLine& cli);  // lotse users add | passwd | disable | enable | list

}  // namespace lotse::cli
