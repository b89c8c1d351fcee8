// Waiting on the company: lotse ask-company and lotse company-replied; and the deadlines people
// type (consult --due) (command_line.h).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/input.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::RoutingReply;

// "2 h 30 min" of office time.
std::string Hours(int64_t micros) {
  const int64_t minutes = micros / (60 * 1000000);
  if (minutes < 60) {
    return StrCat(minutes, " min");
  }
  return minutes % 60 == 0 ? StrCat(minutes / 60, " h")
                           : StrCat(minutes / 60, " h ", minutes % 60, " min");
}

int AskCompany(Session& s, const client::AskCompanyArgs& flags) {
  client::AskCompanyArgs args = flags;
  args.question = TextOrStdin(flags.question);
  lotse::v1::RoutingRequest request = client::AskCompanyRequest(args);
  return s.CallThen(request, RoutingReply::kReferral, [&](const RoutingReply& r) {
    const lotse::v1::ReferralState& state = r.referral();
    return s.Print(state, StrCat("Referral ", state.case_number(),
                                 " now waits on the company. The question goes to citizen office ",
                                 state.referral().office(),
                                 ", which relays it; the answer clock is paused until the reply is "
                                 "entered with 'lotse company-replied ",
                                 state.case_number(), " --text ...'.\n"));
  });
}

int CompanyReplied(Session& s, const client::CompanyRepliedArgs& flags) {
  client::CompanyRepliedArgs args = flags;
  if (args.office.empty() && args.department.empty()) {
    lotse::v1::Error error;
    error.set_code(lotse::v1::ERROR_CODE_INVALID_ARGUMENT);
    error.set_field("office");
    error.set_message(
        "say who enters the reply: --office (the citizen office) or --department "
        "(the department that asked)");
    return s.Fail(kExitUsage, error);
  }
  args.text = TextOrStdin(args.text);
  lotse::v1::RoutingRequest request = client::CompanyRepliedRequest(args);
  return s.CallThen(request, RoutingReply::kReferral, [&](const RoutingReply& r) {
    const lotse::v1::ReferralState& state = r.referral();
    const int64_t paused = state.company_questions().empty()
                               ? 0
                               : state.company_questions().rbegin()->paused_business_us();
    return s.Print(state, StrCat("The company's reply to referral ", state.case_number(),
                                 " is recorded. The answer clock runs again: it stood still for ",
                                 Hours(paused), " of office time; the answer is now due ",
                                 LocalTime(state.due_at_us(), s.zone()), ".\n"));
  });
}

}  // namespace

std::optional<absl::Time> ParseCityTime(std::string_view text, const absl::TimeZone& zone) {
  const std::string value(text);
  std::string error;
  absl::Time t;
  if (absl::ParseTime(absl::RFC3339_full, value, &t, &error)) {
    return t;
  }
  // "YYYY-MM-DD HH:MM", the city's wall clock.
  if (absl::ParseTime("%Y-%m-%d %H:%M", value, zone, &t, &error)) {
    return t;
  }
  return std::nullopt;
}

void AddDueOption(CLI::App* app, std::string& due) {
  app->add_option("--due", due,
                  "due time, earlier than the department's own SLA: \"YYYY-MM-DD HH:MM\" in the "
                  "city's time, or RFC 3339")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (ParseCityTime(value, absl::UTCTimeZone()).has_value()) {
              return {};
            }
            return StrCat("must be \"YYYY-MM-DD HH:MM\" or RFC 3339, got '", value, "'");
          },
          "DATETIME", ""));
}

void AddCompanyQuestionCommands(CommandLine& cli) {
  {
    auto [sub, f] = cli.Add("ask-company",
                            "ask the company a question back; the answer clock pauses until "
                            "its reply",
                            AskCompany);
    AddRef(sub, f->ref);
    sub->add_option("--department", f->department, "acting department or key account id")
        ->required();
    sub->add_option("--user", f->user, "staff member")->required();
    sub->add_option("--question", f->question,
                    "the question to the company ('-' reads it from stdin)")
        ->required();
    AddKey(sub, f->key);
  }
  {
    auto [sub, f] = cli.Add("company-replied",
                            "enter the company's reply to a question back; the clock runs again",
                            CompanyReplied);
    AddRef(sub, f->ref);
    AddOfficeOrDepartment(sub, f->office, f->department, "enter it as this office",
                          "enter it as this department or KAM (the assignee)");
    sub->add_option("--user", f->user, "staff member (with --department)");
    sub->add_option("--text", f->text, "the company's reply ('-' reads it from stdin)")->required();
    AddKey(sub, f->key);
  }
}

}  // namespace lotse::cli
