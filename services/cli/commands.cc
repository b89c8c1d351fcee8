#include "services/cli/commands.h"

#include "services/cli/command_line.h"

namespace lotse::cli {

int RunCommandLine(int argc, char** argv) {
  CommandLine cli;
  // In the order of `lotse --help`; command_line.h says which file holds each.
  AddUpCommand(cli);
  AddKeysCommand(cli);
  AddDirectoryCommands(cli);
  AddSubmitCommand(cli);
  AddStatusCommand(cli);
  AddReferralsCommand(cli);
  AddLagCommand(cli);
  AddTapCommand(cli);
  AddWorklistCommand(cli);
  AddChangeCommands(cli);
  AddSimilarCommand(cli);
  AddContactsCommands(cli);
  AddCompanyQuestionCommands(cli);
  AddFeedbackCommand(cli);
  AddInboxCommand(cli);
  AddReceiptCommands(cli);
  AddErasureCommands(cli);
  AddBackupCommands(cli);
  AddAttachmentCommands(cli);
  AddEvaluationCommand(cli);
  AddHistoryCommand(cli);
  AddAuditCommand(cli);
  AddUsersCommand(cli);
  return cli.Run(argc, argv);
}

}  // namespace lotse::cli
