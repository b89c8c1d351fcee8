// Earlier answers (Wissensbasis): lotse similar REF (command_line.h). The department's answered
// referrals most like REF, each with its answer, so that a good answer is reused.

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"
#include "services/cli/table.h"

namespace lotse::cli {
namespace {

using lotse::v1::RoutingReply;

constexpr size_t kWidth = 76;
constexpr char kIndent[] = "    ";

// `text` in lines of at most kWidth columns (words longer than that on their own line), each
// indented; the text's own line breaks are kept.
std::string Wrapped(const std::string& text) {
  std::string out;
  for (absl::string_view paragraph : absl::StrSplit(text, '\n')) {
    std::string line;
    for (absl::string_view word : absl::StrSplit(paragraph, ' ', absl::SkipEmpty())) {
      const std::string w(word.data(), word.size());
      if (!line.empty() && DisplayWidth(line) + 1 + DisplayWidth(w) > kWidth) {
        out += StrCat(kIndent, line, "\n");
        line.clear();
      }
      line += line.empty() ? w : StrCat(" ", w);
    }
    out += StrCat(kIndent, line, "\n");
  }
  return out;
}

std::string RenderSimilar(const lotse::v1::SimilarReply& reply, const std::string& ref,
                          const absl::TimeZone& zone) {
  if (reply.matches().empty()) {
    return StrCat("No earlier answers like ", ref, " yet.\n");
  }
  std::string out = StrCat("Earlier answers like ", ref, ", most alike first:\n");
  int n = 0;
  for (const lotse::v1::SimilarReply::Match& m : reply.matches()) {
    out += StrCat("\n", ++n, ". ", m.case_number(), "  topic ", m.topic(),
                  m.same_topic() ? " (same topic)" : "", "  score ", fmt::format("{:.2f}", m.score()),
                  "\n");
    out += StrCat("   Subject:  ", m.subject(), "\n");
    out += StrCat("   Answered: ", LocalTime(m.answered_at_us(), zone), ", ",
                  OutcomeWord(m.outcome()), "\n");
    out += Wrapped(m.answer());
  }
  return out;
}

int Similar(Session& s, const client::SimilarArgs& args) {
  const lotse::v1::RoutingRequest request = client::SimilarRequest(args);
  return s.CallThen(request, RoutingReply::kSimilar, [&](const RoutingReply& r) {
    return s.Print(r.similar(), RenderSimilar(r.similar(), args.ref, s.zone()));
  });
}

}  // namespace

void AddSimilarCommand(CommandLine& cli) {
  auto [sub, f] = cli.Add(
      "similar", "show the department's earlier answers to questions like a referral's", Similar);
  AddRef(sub, f->ref);
  sub->add_option("--department", f->department,
                  "ask as this department or KAM (its own answers); without it, as admin");
  sub->add_option("--user", f->user, "staff member asking");
  sub->add_option("--limit", f->limit, "show at most this many (default 5, at most 20)");
}

}  // namespace lotse::cli
