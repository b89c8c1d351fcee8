// The directory and a referral from the citizen office's side: lotse departments, topics,
// offices, key-accounts, submit, status, feedback and inbox (command_line.h).

#include <cstdio>
#include <string>
#include <tuple>

#include "common/client/json.h"
#include "common/client/requests.h"
#include "common/client/words.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/input.h"
#include "services/cli/ops_commands.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::IntakeReply;
using lotse::v1::RoutingReply;

// The directory, shown by `render` (one of its lists).
int Directory(Session& s, std::string (*render)(const lotse::v1::DirectoryReply&)) {
  return s.CallThen(
      client::DirectoryRequest(), RoutingReply::kDirectory,
      [&](const RoutingReply& r) { return s.Print(r.directory(), render(r.directory())); });
}

int Submit(Session& s, const client::SubmitArgs& flags) {
  client::SubmitArgs args = flags;
  args.text = TextOrStdin(flags.text);
  return s.CallThen(client::SubmitRequest(args), IntakeReply::kSubmitted,
                    [&](const IntakeReply& r) {
                      return s.Print(r.submitted(), RenderSubmitted(r.submitted(), args.office));
                    });
}

struct StatusFlags {
  std::string ref, office, department;
};

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
  auto show = [&](const auto& reply) {
    return s.Print(reply.referral(), RenderReferral(reply.referral(), s.zone()));
  };
  if (!f.department.empty()) {
    return s.CallThen(client::DepartmentReferralRequest(f.ref, f.department),
                      RoutingReply::kReferral, show);
  }
  return s.CallThen(client::OfficeReferralRequest(f.ref, f.office), IntakeReply::kReferral, show);
}

int Feedback(Session& s, const client::FeedbackArgs& args) {
  if (!args.code.empty()) {
    return CompanyFeedback(s, args);  // receipt_commands.cc
  }
  for (const auto& [value, what, field] :
       {std::tuple{&args.ref, "name the referral: lotse feedback REF --office O", "ref"},
        std::tuple{&args.office, "say which office rates: --office O", "office"},
        std::tuple{&args.resolved, "say whether it was resolved: --resolved yes|no",
                   "resolved"}}) {
    if (value->empty()) {
      return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                          StrCat(what, " (or give the company's --code)"),
                                          field));
    }
  }
  return s.CallThen(
      client::FeedbackRequest(args), IntakeReply::kReferral,
      [&](const IntakeReply& r) { return s.Print(r.referral(), RenderFeedback(r.referral())); });
}

// Reads the inbox page by page; each request acknowledges what the previous one printed. With
// --follow it keeps a request parked at the service so new messages arrive as they happen.
int Inbox(Session& s, const client::InboxArgs& args) {
  if (args.office.empty() && args.department.empty() && args.inbox.empty()) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        "say whose inbox: --office O, --department D, or as admin "
                                        "--inbox staff/<id> or --inbox head",
                                        "office"));
  }
  lotse::v1::NotificationRequest request = client::InboxRequest(args);
  lotse::v1::InboxReply collected;
  while (true) {
    lotse::v1::NotificationReply reply;
    if (int code = s.Call(request, lotse::v1::NotificationReply::kInbox, reply); code != kExitOk) {
      return code;
    }
    const lotse::v1::InboxReply& page = reply.inbox();
    collected.set_recipient(page.recipient());
    collected.set_head(page.head());
    collected.set_acknowledged(page.acknowledged());
    if (page.messages().empty() && !args.follow) {
      break;  // this request acknowledged everything printed before it
    }
    if (args.follow && s.json()) {
      for (const lotse::v1::InboxMessage& m : page.messages()) {
        fmt::print("{}\n", client::ToJson(m).value_or("{}"));
      }
    } else if (args.follow || !s.json()) {
      fmt::print("{}", RenderInboxMessages(page, s.zone()));
    }
    std::fflush(stdout);
    for (const lotse::v1::InboxMessage& m : page.messages()) {
      request.mutable_inbox()->set_ack(m.seq());
      *collected.add_messages() = m;
    }
  }
  if (s.json()) {
    fmt::print("{}\n", client::ToJson(collected).value_or("{}"));
  } else if (collected.messages().empty()) {
    fmt::print("No new messages.\n");
  }
  return kExitOk;
}

}  // namespace

void AddDirectoryCommands(CommandLine& cli) {
  cli.Add("departments", "list the departments (Fachämter) with SLA and office hours",
          [](Session& s) { return Directory(s, RenderDepartments); });
  cli.Add("topics", "list the topics an office can choose and their departments",
          [](Session& s) { return Directory(s, RenderTopics); });
  cli.Add("offices", "list the citizen offices (Bürgerbüros)",
          [](Session& s) { return Directory(s, RenderOffices); });
  cli.Add("key-accounts", "list the key account managers and their companies",
          [](Session& s) { return Directory(s, RenderKeyAccounts); });
}

void AddSubmitCommand(CommandLine& cli) {
  auto [sub, f] = cli.Add("submit", "submit a company's question from a citizen office", Submit);
  sub->add_option("--office", f->office, "office id (see 'lotse offices')")->required();
  sub->add_option("--company-id", f->company_id, "the company's id")->required();
  sub->add_option("--company-name", f->company_name, "the company's name")->required();
  sub->add_option("--topic", f->topic, "topic id (see 'lotse topics')")->required();
  sub->add_option("--subject", f->subject, "one line: what it is about")->required();
  sub->add_option("--text", f->text, "the question ('-' reads it from stdin)")->required();
  sub->add_option("--employees", f->employees, "the company's employees (0 = unknown)");
  sub->add_option("--contact-name", f->contact_name, "contact person");
  sub->add_option("--contact-email", f->contact_email, "contact person's e-mail");
  sub->add_option("--contact-phone", f->contact_phone, "contact person's phone");
  sub->add_flag("--consent-email", f->consent_email,
                "the contact person agreed to get the answer by e-mail (needs --contact-email)");
  sub->add_option("--priority", f->priority, "low|normal|high|urgent (default normal)")
      ->check(
          Words(client::ParsePriority, "low, normal, high or urgent", "low|normal|high|urgent"));
  AddKey(sub, f->key);
}

void AddStatusCommand(CommandLine& cli) {
  auto [sub, f] = cli.Add("status",
                          "show where a referral is (REF --office O | --department D), or "
                          "without REF every service: up, ready, version, data, last commit",
                          Status);
  sub->add_option("REF", f->ref, "referral id or case number, e.g. 2026-000123");
  AddAskAs(sub, f->office, f->department);
}

void AddFeedbackCommand(CommandLine& cli) {
  auto [sub, f] = cli.Add("feedback",
                          "rate the answer to a referral (REF --office O; this closes it), or "
                          "pass on the company's own rating (--code C from its receipt)",
                          Feedback);
  sub->add_option("REF", f->ref, "referral id or case number, e.g. 2026-000123");
  sub->add_option("--office", f->office,
                  "office id (with --code: the terminal's office; without it, as admin)");
  sub->add_option("--code", f->code, "the company's feedback code from its receipt");
  sub->add_option("--rating", f->rating, "1 (poor) to 5 (excellent)")
      ->required()
      ->check(Words(client::ParseRating, "a whole number from 1 to 5", "1..5"));
  sub->add_option("--resolved", f->resolved, "yes|no: was the question resolved?")
      ->check(Words(client::ParseYesNo, "yes or no", "yes|no"));
  sub->add_option("--comment", f->comment, "what went well or not");
  AddKey(sub, f->key);
}

void AddInboxCommand(CommandLine& cli) {
  auto [sub, f] =
      cli.Add("inbox", "show (and acknowledge) an office's or department's messages", Inbox);
  AddOfficeOrDepartment(sub, f->office, f->department, "read this office's inbox",
                        "read this department's or KAM's inbox");
  sub->add_flag("--follow", f->follow, "keep waiting for new messages; Ctrl-C stops");
  sub->add_option("--inbox", f->inbox,
                  "another inbox: staff/<id> (a named contact person's, with --department of "
                  "that person or as admin) or head (the head's, as admin)");
}

}  // namespace lotse::cli
