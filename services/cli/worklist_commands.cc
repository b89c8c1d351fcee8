// A department's work: lotse worklist, and the changing commands claim, unclaim, forward,
// consult, contribute and answer (command_line.h).

#include <memory>
#include <string>

#include "common/client/requests.h"
#include "common/client/words.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/input.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::RoutingReply;

int Worklist(Session& s, const client::WorklistArgs& args) {
  return s.CallThen(client::WorklistRequest(args), RoutingReply::kWorklist,
                    [&](const RoutingReply& r) {
                      const lotse::v1::WorklistReply& list = r.worklist();
                      std::string text = RenderWorklist(list, s.zone());
                      if (!list.next().empty()) {
                        text += StrCat("More items follow: lotse worklist --department ",
                                       args.department, " --after ", list.next(), "\n");
                      }
                      return s.Print(list, text);
                    });
}

// The confirmation of a change, from the state the service returned.
std::string RenderChange(const Session& s, client::Change change, const client::ChangeArgs& args,
                         const lotse::v1::ReferralState& state) {
  switch (change) {
    case client::Change::kClaim:
      return RenderClaimed(state, s.zone());
    case client::Change::kUnclaim:
      return RenderUnclaimed(state);
    case client::Change::kForward:
      return RenderForwarded(state, args.department, s.config().routing.forward_limit, s.zone());
    case client::Change::kConsult:
      return RenderConsulted(state, args.with);
    case client::Change::kContribute:
      return RenderContributed(state, args.department);
    case client::Change::kAnswer:
      return RenderAnswered(state);
  }
  return "";
}

int RunChange(Session& s, client::Change change, client::ChangeArgs args) {
  args.text = TextOrStdin(args.text);  // contribute, answer: `--text -`
  if (!args.due.empty()) {             // consult --due, in the city's time (checked when parsed)
    args.due_at_us = absl::ToUnixMicros(ParseCityTime(args.due, s.zone()).value_or(absl::Time()));
  }
  return s.CallThen(client::ChangeRequest(change, args), RoutingReply::kReferral,
                    [&](const RoutingReply& r) {
                      return s.Print(r.referral(), RenderChange(s, change, args, r.referral()));
                    });
}

}  // namespace

void AddWorklistCommand(CommandLine& cli) {
  auto [sub, f] =
      cli.Add("worklist", "list a department's open referrals, most urgent first", Worklist);
  sub->add_option("--department", f->department, "department or key account id")->required();
  sub->add_option("--user", f->user, "staff member asking");
  sub->add_option("--limit", f->limit,
                  "show at most this many (default: as many as fit in one reply)");
  sub->add_option("--after", f->after,
                  "the next page: what the previous page printed after 'More items follow'");
}

void AddChangeCommands(CommandLine& cli) {
  // One set of flags for all six: only the subcommand that is parsed fills them.
  auto f = std::make_shared<client::ChangeArgs>();
  auto add = [&](const std::string& name, std::string description, client::Change change) {
    CLI::App* sub = cli.Add(name, std::move(description),
                            [f, change](Session& s) { return RunChange(s, change, *f); });
    AddRef(sub, f->ref);
    sub->add_option("--department", f->department, "acting department or key account id")
        ->required();
    AddKey(sub, f->key);
    return sub;
  };
  add("claim", "take a referral: you work on it now", client::Change::kClaim)
      ->add_option("--user", f->user, "staff member")
      ->required();
  add("unclaim", "give a claimed referral back to the department's worklist",
      client::Change::kUnclaim)
      ->add_option("--user", f->user, "staff member")
      ->required();
  CLI::App* forward =
      add("forward", "hand a referral to another department", client::Change::kForward);
  forward->add_option("--to", f->to, "department to forward to")->required();
  forward->add_option("--reason", f->reason, "why it belongs there")->required();
  forward->add_option("--user", f->user, "staff member");
  CLI::App* consult = add("consult", "ask other departments to contribute before you answer",
                          client::Change::kConsult);
  consult->add_option("--with", f->with, "departments to ask, comma-separated")
      ->required()
      ->delimiter(',');
  consult->add_option("--question", f->question, "what you need from them")->required();
  consult->add_option("--user", f->user, "staff member");
  AddDueOption(consult, f->due);
  CLI::App* contribute = add("contribute", "give your department's contribution to a consultation",
                             client::Change::kContribute);
  contribute->add_option("--text", f->text, "the contribution ('-' reads it from stdin)")
      ->required();
  contribute->add_option("--user", f->user, "staff member");
  CLI::App* answer =
      add("answer", "answer a referral; the answer goes to the office", client::Change::kAnswer);
  answer->add_option("--user", f->user, "staff member")->required();
  answer->add_option("--text", f->text, "the answer ('-' reads it from stdin)")->required();
  answer->add_option("--outcome", f->outcome, "resolved|partly|not-responsible")
      ->required()
      ->check(Words(client::ParseOutcome, "resolved, partly or not-responsible",
                    "resolved|partly|not-responsible"));
  answer->add_flag("--confirm", f->confirm,
                   "answer although consulted departments have not contributed yet");
}

}  // namespace lotse::cli
