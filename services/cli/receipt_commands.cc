// Case work from the citizen office's side: lotse receipt, lotse follow-up, and the company's
// own rating through `lotse feedback --code` (command_line.h).

#include <cstdio>
#include <fstream>
#include <string>

#include "common/client/requests.h"
#include "common/format.h"
#include "common/receipt/receipt.h"
#include "services/cli/command_line.h"
#include "services/cli/input.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::IntakeReply;

struct ReceiptFlags {
  std::string ref, office, format = "text", out;
};

int Receipt(Session& s, const ReceiptFlags& f) {
  return s.CallThen(client::ReceiptRequest(f.ref, f.office), IntakeReply::kReceipt,
                    [&](const IntakeReply& r) {
                      const std::string page = f.format == "html"
                                                   ? receipt::RenderHtml(r.receipt(), s.zone())
                                                   : receipt::RenderText(r.receipt(), s.zone());
                      if (f.out.empty()) {
                        return s.Print(r.receipt(), page);
                      }
                      std::ofstream file(f.out, std::ios::binary | std::ios::trunc);
                      file << page;
                      file.close();
                      if (!file) {
                        return s.Fail(kExitUsage,
                                      MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                                StrCat("cannot write ", f.out,
                                                       ": choose a file you may write (--out)"),
                                                "out"));
                      }
                      return s.Print(r.receipt(), StrCat("Receipt for ", r.receipt().case_number(),
                                                         " written to ", f.out, "\n"));
                    });
}

struct FollowUpFlags {
  std::string ref, office, text, key;
};

int FollowUp(Session& s, const FollowUpFlags& f) {
  return s.CallThen(client::FollowUpRequest(f.ref, f.office, TextOrStdin(f.text), f.key),
                    IntakeReply::kReferral, [&](const IntakeReply& r) {
                      return s.Print(r.referral(),
                                     StrCat("Follow-up question on ", r.referral().case_number(),
                                            " sent; the referral opens again with ",
                                            r.referral().assignee().empty()
                                                ? std::string("its department")
                                                : r.referral().assignee(),
                                            ".\nFollow it with: lotse status ",
                                            r.referral().case_number(), " --office ", f.office,
                                            "\n"));
                    });
}

}  // namespace

int CompanyFeedback(Session& s, const client::FeedbackArgs& args) {
  if (!args.ref.empty()) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        "with --code the code names the referral: leave out REF",
                                        "ref"));
  }
  return s.CallThen(client::CompanyFeedbackRequest(args), IntakeReply::kReferral,
                    [&](const IntakeReply& r) {
                      const lotse::v1::Feedback& f = r.referral().company_feedback();
                      return s.Print(r.referral(),
                                     StrCat("The company's rating of ", r.referral().case_number(),
                                            " is recorded: ", f.rating(), " of 5",
                                            args.resolved.empty()
                                                ? std::string()
                                                : f.resolved() ? ", resolved" : ", not resolved",
                                            ". Thank you; the code is used up now.\n"));
                    });
}

void AddReceiptCommands(CommandLine& cli) {
  {
    auto [sub, f] = cli.Add("receipt",
                            "print the receipt (Empfangsbestätigung) for the company: case "
                            "number, department, contact person, answer expected by, feedback "
                            "code",
                            Receipt);
    AddRef(sub, f->ref);
    sub->add_option("--office", f->office, "office id (without it: as admin)");
    sub->add_option("--format", f->format, "text|html (html prints on one A4 page)")
        ->check(CLI::IsMember({"text", "html"}));
    sub->add_option("--out", f->out, "write the receipt to this file instead of stdout");
  }
  {
    auto [sub, f] = cli.Add("follow-up",
                            "ask a follow-up question on an answered referral; it opens again "
                            "with the same department",
                            FollowUp);
    AddRef(sub, f->ref);
    sub->add_option("--office", f->office, "office id")->required();
    sub->add_option("--text", f->text, "the follow-up question ('-' reads it from stdin)")
        ->required();
    AddKey(sub, f->key);
  }
}

}  // namespace lotse::cli
