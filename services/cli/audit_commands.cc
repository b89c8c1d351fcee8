// What the audit log knows: lotse evaluation, history and audit verify (command_line.h).

#include <string>

#include "common/client/json.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::AuditReply;

struct EvaluationFlags {
  client::EvaluationArgs args;
  std::string format = "table";
};

int Evaluation(Session& s, const EvaluationFlags& f) {
  return s.CallThen(client::EvaluationRequest(f.args), AuditReply::kEvaluation,
                    [&](const AuditReply& r) -> int {
                      if (s.json()) {
                        return s.Print(r.evaluation(), "");
                      }
                      if (f.format == "json") {
                        fmt::print("{}\n", client::ToJson(r.evaluation()).value_or("{}"));
                        return kExitOk;
                      }
                      fmt::print("{}", RenderEvaluation(r.evaluation(), f.format));
                      return kExitOk;
                    });
}

int History(Session& s, const client::HistoryArgs& args) {
  lotse::v1::AuditRequest request = client::HistoryRequest(args);
  // A long history comes in pages; the CLI shows it whole.
  lotse::v1::HistoryReply history;
  do {
    request.mutable_history()->set_after_index(history.next_index());
    AuditReply reply;
    if (int code = s.Call(request, AuditReply::kHistory, reply); code != kExitOk) {
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
  return s.CallThen(client::VerifyRequest(), AuditReply::kVerify, [&](const AuditReply& r) -> int {
    const int printed = s.Print(r.verify(), RenderVerify(r.verify()));
    return r.verify().ok() ? printed : kExitRefused;
  });
}

}  // namespace

void AddEvaluationCommand(CommandLine& cli) {
  auto [sub, f] = cli.Add("evaluation",
                          "the joint evaluation of a period: volumes, response times in "
                          "business hours, SLA share, escalations, feedback",
                          Evaluation);
  sub->add_option("--from", f->args.from, "first day, YYYY-MM-DD")->required();
  sub->add_option("--to", f->args.to, "first day after the period, YYYY-MM-DD")->required();
  AddOfficeOrDepartment(sub, f->args.office, f->args.department, "only this office (as it)",
                        "only this department or KAM (as it)");
  sub->add_option("--format", f->format, "table|json|csv (default table)")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  sub->add_flag("--rebuild", f->args.rebuild,
                "compute from the audit log alone (ops; slower, same figures)");
}

void AddHistoryCommand(CommandLine& cli) {
  auto [sub, f] = cli.Add("history", "show a referral's whole story from the audit log", History);
  AddRef(sub, f->ref);
  AddAskAs(sub, f->office, f->department);
}

void AddAuditCommand(CommandLine& cli) {
  CLI::App* sub = cli.Add("audit", "the audit log: 'lotse audit verify' checks its hash chain",
                          [](Session& s) { return VerifyAudit(s); });
  sub->require_subcommand(1);
  sub->add_subcommand("verify", "walk the hash chain; name the first entry that does not match")
      ->fallthrough();
}

}  // namespace lotse::cli
