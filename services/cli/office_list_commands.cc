// The citizen office's list of its own referrals ("Unsere Anfragen"): lotse referrals
// (command_line.h).

#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::IntakeReply;

// `word` as a shell reads it back: as it is when it holds only safe characters, else in single
// quotes.
std::string ShellWord(std::string_view word) {
  bool safe = !word.empty();
  for (const char c : word) {
    safe = safe && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                    std::string_view("-_.,/:@").find(c) != std::string_view::npos);
  }
  if (safe) {
    return std::string(word);
  }
  std::string out = "'";
  for (const char c : word) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// The command that shows the page after this one: the same flags, `next` as --after.
std::string NextPageCommand(const client::ListReferralsArgs& args, const std::string& next) {
  std::string out = StrCat("lotse referrals --office ", ShellWord(args.office));
  if (args.admin) {
    out += " --admin";
  }
  for (const std::string& state : args.states) {
    out += StrCat(" --state ", ShellWord(state));
  }
  if (!args.search.empty()) {
    out += StrCat(" --search ", ShellWord(args.search));
  }
  if (!args.from.empty()) {
    out += StrCat(" --from ", ShellWord(args.from));
  }
  if (!args.to.empty()) {
    out += StrCat(" --to ", ShellWord(args.to));
  }
  if (args.limit != 0) {
    out += StrCat(" --limit ", args.limit);
  }
  return StrCat(out, " --after ", next);
}

int Referrals(Session& s, const client::ListReferralsArgs& args) {
  return s.CallThen(client::ListReferralsRequest(args), IntakeReply::kReferralList,
                    [&](const IntakeReply& r) {
                      const lotse::v1::ReferralList& list = r.referral_list();
                      std::string text = RenderReferralList(list, s.zone());
                      if (!list.next().empty()) {
                        text += StrCat("More follow: ", NextPageCommand(args, list.next()), "\n");
                      }
                      return s.Print(list, text);
                    });
}

}  // namespace

void AddReferralsCommand(CommandLine& cli) {
  auto [sub, f] = cli.Add("referrals",
                          "list an office's own referrals, newest first: state, department, "
                          "contact person, due time and the answer's beginning",
                          Referrals);
  sub->add_option("--office", f->office, "office id (an office sees only its own)")->required();
  sub->add_flag("--admin", f->admin, "ask as admin (any one office's list; needs admin's key)");
  sub->add_option("--state", f->states,
                  "only these states (repeat or separate by commas): open, waiting (on the "
                  "company), answered, closed")
      ->delimiter(',')
      ->check(CLI::IsMember({"open", "waiting", "answered", "closed"}, CLI::ignore_case));
  sub->add_option("--search", f->search, "only those whose subject or company contains this text");
  sub->add_option("--from", f->from, "submitted on or after this day, YYYY-MM-DD");
  sub->add_option("--to", f->to, "submitted before this day (the first day after), YYYY-MM-DD");
  sub->add_option("--limit", f->limit, "at most this many a page (default 50, at most 200)");
  sub->add_option("--after", f->after,
                  "the next page: what the previous page printed after 'More follow'");
}

}  // namespace lotse::cli
