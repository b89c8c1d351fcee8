#include "services/cli/output.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "common/enum_word.h"
#include "common/format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "services/cli/table.h"

namespace lotse::cli {
namespace {

using lotse::v1::ReferralState;

constexpr size_t kLabelWidth = 14;

// The words people read for enum values, by the values' proto names. A value without a word
// here (an unspecified one, or one this build does not know) reads "unknown (<number>)".
constexpr auto kEnumWords = std::to_array<std::pair<std::string_view, std::string_view>>({
    {"REFERRAL_STATUS_SUBMITTED", "submitted (not routed yet)"},
    {"REFERRAL_STATUS_ROUTED", "routed (waiting to be claimed)"},
    {"REFERRAL_STATUS_CLAIMED", "claimed (in progress)"},
    {"REFERRAL_STATUS_ANSWERED", "answered"},
    {"REFERRAL_STATUS_CLOSED", "closed (feedback given)"},
    {"PRIORITY_UNSPECIFIED", "normal"},
    {"PRIORITY_LOW", "low"},
    {"PRIORITY_NORMAL", "normal"},
    {"PRIORITY_HIGH", "high"},
    {"PRIORITY_URGENT", "urgent"},
    {"OUTCOME_RESOLVED", "resolved"},
    {"OUTCOME_PARTLY", "partly resolved"},
    {"OUTCOME_NOT_RESPONSIBLE", "not responsible"},
    {"WORK_ITEM_KIND_ASSIGNED", "assigned"},
    {"WORK_ITEM_KIND_CONSULTATION", "consultation"},
});

template <typename Enum>
std::string WordFor(Enum value) {
  const google::protobuf::EnumValueDescriptor* known =
      google::protobuf::GetEnumDescriptor<Enum>()->FindValueByNumber(value);
  for (const auto& [name, word] : kEnumWords) {
    if (known != nullptr && known->name() == name) {
      return std::string(word);
    }
  }
  return StrCat("unknown (", static_cast<int>(value), ")");
}

// "  Label         value\n"; further lines of a multi-line value are indented to the value.
void Field(std::string& out, std::string_view label, std::string_view value) {
  if (value.empty()) {
    return;
  }
  out += "  ";
  out += Pad(label, kLabelWidth);
  size_t start = 0;
  bool first = true;
  while (start <= value.size()) {
    const size_t end = value.find('\n', start);
    const std::string_view line =
        value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!first) {
      out.append(2 + kLabelWidth, ' ');
    }
    out += line;
    RightTrim(out);
    out += '\n';
    first = false;
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return StrCat(n, " ", n == 1 ? one : many);
}

std::string JoinAnd(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += i + 1 == items.size() ? " and " : ", ";
    }
    out += items[i];
  }
  return out;
}

// `items` joined by ", ". Empty items before the first non-empty one add nothing.
template <typename Strings>
std::string CommaList(const Strings& items) {
  std::string out;
  for (const std::string& item : items) {
    out += out.empty() ? item : StrCat(", ", item);
  }
  return out;
}

std::string Number(double value) { return fmt::format("{:g}", value); }

// A directory table and the line under it: "<n> <things> in <city><tail>".
std::string CountedTable(const Table& table, std::string_view one, std::string_view many,
                         const lotse::v1::DirectoryReply& directory, std::string_view tail) {
  return StrCat(table.Render(), Plural(table.rows(), one, many), " in ", directory.city(), tail);
}

// "Muster GmbH (HRB 123), 12 employees".
std::string CompanyLine(const lotse::v1::Referral& r) {
  std::string company = r.company_name();
  if (!r.company_id().empty()) {
    company += StrCat(" (", r.company_id(), ")");
  }
  if (r.employees() > 0) {
    company += StrCat(", ", Plural(r.employees(), "employee", "employees"));
  }
  return company;
}

// Where a referral is: with whom and why, when it is due, who claimed it, how often forwarded.
void AddRoutingFields(std::string& out, const ReferralState& s, const absl::TimeZone& zone) {
  if (!s.assignee().empty()) {
    std::string with = s.assignee();
    if (!s.key_account().empty() && s.key_account() == s.assignee()) {
      with += " (the company's key account manager";
      if (!s.responsible_department().empty()) {
        with += StrCat("; responsible by topic: ", s.responsible_department());
      }
      with += ")";
    } else if (!s.responsible_department().empty() && s.responsible_department() != s.assignee()) {
      with += StrCat(" (responsible by topic: ", s.responsible_department(), ")");
    }
    Field(out, "With", with);
  } else if (s.status() == lotse::v1::REFERRAL_STATUS_SUBMITTED) {
    Field(out, "With", "not routed yet; ask again in a moment");
  }
  if (!s.key_account().empty() && s.key_account() != s.assignee()) {
    Field(out, "Key account", s.key_account());
  }
  if (!s.contact_person().name().empty()) {
    std::string contact = s.contact_person().name();
    if (!s.contact_person().phone().empty()) {
      contact += StrCat(", Tel. ", s.contact_person().phone());
    }
    if (!s.stand_in_for().empty()) {
      contact += StrCat(" (standing in for ", s.stand_in_for(), ")");
    }
    Field(out, "Handled by", contact);
  }
  if (s.waiting_since_us() != 0) {
    Field(out, "Waiting",
          StrCat("on the company's reply to a question back since ",
                 LocalTime(s.waiting_since_us(), zone), " (the answer clock stands still)"));
  }
  Field(out, "Why there", s.route_reason());
  const bool open = s.status() == lotse::v1::REFERRAL_STATUS_ROUTED ||
                    s.status() == lotse::v1::REFERRAL_STATUS_CLAIMED;
  if (s.due_at_us() != 0) {
    std::string due = LocalTime(s.due_at_us(), zone);
    if (open && s.escalated()) {
      due += " (overdue, escalated)";
    } else if (open && s.warned()) {
      due += " (due soon)";
    }
    Field(out, "Due", due);
  }
  Field(out, "Claimed by", s.claimed_by());
  if (s.forward_count() > 0) {
    Field(out, "Forwarded", Plural(static_cast<size_t>(s.forward_count()), "time", "times"));
  }
}

// What came of a referral: consultations and contributions, the answer, the feedback.
void AddResultFields(std::string& out, const ReferralState& s, const absl::TimeZone& zone) {
  for (const lotse::v1::Consultation& c : s.consultations()) {
    std::string line = StrCat(c.department(), ": \"", c.question(), "\"");
    if (c.contributed_at_us() != 0) {
      line += StrCat("\n", LocalTime(c.contributed_at_us(), zone), ": ", c.contribution());
    } else {
      line += " (no contribution yet)";
    }
    Field(out, "Consulted", line);
  }
  if (s.answer().answered_at_us() != 0) {
    const lotse::v1::Answer& a = s.answer();
    Field(out, "Answered",
          StrCat(LocalTime(a.answered_at_us(), zone), " by ", a.department(),
                 a.user().empty() ? "" : StrCat(" (", a.user(), ")")));
    Field(out, "Outcome", OutcomeWord(a.outcome()));
    Field(out, "Answer", a.text());
  }
  if (s.feedback().submitted_at_us() != 0) {
    const lotse::v1::Feedback& f = s.feedback();
    Field(out, "Feedback",
          StrCat(f.rating(), " of 5, ", f.resolved() ? "resolved" : "not resolved", " (",
                 LocalTime(f.submitted_at_us(), zone), ")"));
    Field(out, "Comment", f.comment());
  }
}

std::string Hours(int64_t us) { return fmt::format("{:.1f}", static_cast<double>(us) / 3.6e9); }
std::string Percent(double share) { return fmt::format("{:.0f}%", share * 100); }

std::vector<std::string> FigureCells(const lotse::v1::EvaluationFigures& f) {
  return {std::to_string(f.received()),
          std::to_string(f.answered()),
          std::to_string(f.open()),
          Hours(f.time_to_first_action_median_us()),
          Hours(f.time_to_first_action_p90_us()),
          Hours(f.time_to_answer_median_us()),
          Hours(f.time_to_answer_p90_us()),
          f.answered() > 0 ? Percent(f.sla_share()) : "-",
          std::to_string(f.warnings()),
          std::to_string(f.escalations()),
          fmt::format("{:.2f}", f.forwards_per_referral()),
          fmt::format("{:.2f}", f.consultations_per_referral()),
          std::to_string(f.feedback()),
          f.feedback() > 0 ? fmt::format("{:.2f}", f.average_rating()) : "-",
          f.feedback() > 0 ? Percent(f.resolved_share()) : "-"};
}

// Case work's figures: the first reaction, the answer SLA counting the waiting for the company,
// the waiting, reopenings, the company's ratings, own time and the company's whole wait.
std::vector<std::string> CaseworkCells(const lotse::v1::EvaluationFigures& f) {
  return {f.first_reaction_due() > 0 ? Percent(f.first_reaction_sla_share()) : "-",
          std::to_string(f.first_reaction_breaches()),
          std::to_string(f.second_breaches()),
          f.answered() > 0 ? Percent(f.sla_share_counting_waiting()) : "-",
          std::to_string(f.waited_on_company()),
          Hours(f.waiting_business_us()),
          Hours(f.time_to_answer_net_median_us()),
          Hours(f.own_time_median_us()),
          Hours(f.company_wait_median_us()),
          std::to_string(f.reopened()),
          std::to_string(f.company_feedback()),
          f.company_feedback() > 0 ? fmt::format("{:.2f}", f.company_average_rating()) : "-",
          f.company_feedback() > 0 ? Percent(f.company_resolved_share()) : "-"};
}

constexpr std::string_view kFigureColumns[] = {"received",
                                               "answered",
                                               "open",
                                               "1st action h (median)",
                                               "1st action h (p90)",
                                               "answer h (median)",
                                               "answer h (p90)",
                                               "within SLA",
                                               "warnings",
                                               "escalations",
                                               "forwards/ref",
                                               "consultations/ref",
                                               "feedback",
                                               "rating",
                                               "resolved"};
constexpr std::string_view kCaseworkColumns[] = {"1st reaction in time",
                                                 "1st reaction breaches",
                                                 "head heard",
                                                 "within SLA incl. waiting",
                                                 "waited on company",
                                                 "waiting h",
                                                 "answer h less waiting (median)",
                                                 "own h (median)",
                                                 "company wait calendar h (median)",
                                                 "reopened",
                                                 "company feedback",
                                                 "company rating",
                                                 "company resolved"};

// The evaluation's header row, then one row per department/KAM, per office, and the total:
// with `figures` the classic figures, with `casework` case work's (both: CSV, one table).
std::vector<std::vector<std::string>> EvaluationRows(const lotse::v1::EvaluationReply& reply,
                                                     bool figures = true, bool casework = true) {
  std::vector<std::string> header = {"kind", "id"};
  if (figures) {
    header.insert(header.end(), std::begin(kFigureColumns), std::end(kFigureColumns));
  }
  if (casework) {
    header.insert(header.end(), std::begin(kCaseworkColumns), std::end(kCaseworkColumns));
  }
  std::vector<std::vector<std::string>> rows = {std::move(header)};
  auto add = [&](std::string kind, const std::string& id, const lotse::v1::EvaluationFigures& f) {
    std::vector<std::string> row = {std::move(kind), id};
    if (figures) {
      for (std::string& cell : FigureCells(f)) {
        row.push_back(std::move(cell));
      }
    }
    if (casework) {
      for (std::string& cell : CaseworkCells(f)) {
        row.push_back(std::move(cell));
      }
    }
    rows.push_back(std::move(row));
  };
  for (const lotse::v1::EvaluationGroup& g : reply.departments()) {
    add(g.home_department().empty() ? "department" : "key account", g.id(), g.figures());
  }
  for (const lotse::v1::EvaluationGroup& g : reply.offices()) {
    add("office", g.id(), g.figures());
  }
  add("total", "", reply.total());
  return rows;
}

// One CSV line: cells with a comma or a quote are quoted, quotes doubled.
std::string CsvLine(const std::vector<std::string>& cells) {
  std::string line;
  for (const std::string& c : cells) {
    std::string cell = c;
    if (cell.find_first_of(",\"") != std::string::npos) {
      std::string quoted = "\"";
      for (char ch : cell) {
        quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      }
      cell = quoted + "\"";
    }
    line += line.empty() ? cell : StrCat(",", cell);
  }
  return line + "\n";
}

// One line of the evaluation table: kind and id left-aligned, the figures right-aligned.
std::string EvaluationLine(const std::vector<std::string>& cells,
                           const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += i < 2 ? fmt::format("{:<{}}  ", cells[i], widths[i])
                  : fmt::format("{:>{}}  ", cells[i], widths[i]);
  }
  RightTrim(line);
  return line + "\n";
}

}  // namespace

std::string StatusWord(lotse::v1::ReferralStatus status) { return WordFor(status); }
std::string PriorityWord(lotse::v1::Priority priority) { return WordFor(priority); }
std::string OutcomeWord(lotse::v1::Outcome outcome) { return WordFor(outcome); }
std::string KindWord(lotse::v1::WorkItemKind kind) { return WordFor(kind); }

std::string LocalTime(int64_t micros, const absl::TimeZone& zone) {
  if (micros == 0) {
    return "-";
  }
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(micros), zone);
}

std::string RenderSubmitted(const lotse::v1::SubmitReferralReply& reply, std::string_view office) {
  std::string out = StrCat("Referral ", reply.case_number(), " submitted (id ", reply.referral_id(),
                           "); it is routed to the responsible department now.\n");
  if (!reply.possible_duplicates().empty()) {
    out += StrCat("Note: this company has an open referral on the same topic: ",
                  CommaList(reply.possible_duplicates()),
                  ". If it is the same question, tell the company that number.\n");
  }
  if (!reply.feedback_code().empty()) {
    out += StrCat("Feedback code for the company: ", reply.feedback_code(), "\n");
  }
  return StrCat(out, "Print the receipt for the company: lotse receipt ", reply.case_number(),
                " --office ", office, " [--format html]\n", "Follow it with: lotse status ",
                reply.case_number(), " --office ", office, "\n");
}

std::string RenderReferral(const ReferralState& s, const absl::TimeZone& zone) {
  const lotse::v1::Referral& r = s.referral();
  std::string out = StrCat("Referral ", s.case_number(), " (id ", s.referral_id(), ")\n");
  Field(out, "Status", StatusWord(s.status()));
  Field(out, "Company", CompanyLine(r));
  std::vector<std::string> contact;
  for (const std::string* part :
       {&r.contact().name(), &r.contact().email(), &r.contact().phone()}) {
    if (!part->empty()) {
      contact.push_back(*part);
    }
  }
  Field(out, "Contact", CommaList(contact));
  Field(out, "Topic", r.topic());
  Field(out, "Priority", PriorityWord(r.priority()));
  Field(out, "Subject", r.subject());
  Field(out, "Question", r.text());
  Field(out, "Submitted", StrCat(LocalTime(s.submitted_at_us(), zone), " at ", r.office()));
  AddRoutingFields(out, s, zone);
  AddResultFields(out, s, zone);
  return out;
}

std::string ContactCell(const lotse::v1::StaffContact& contact, const std::string& stand_in_for) {
  if (contact.id().empty()) {  // a KAM's item: the KAM is the person
    return stand_in_for.empty() ? "" : StrCat("for ", stand_in_for);
  }
  return stand_in_for.empty() ? contact.id() : StrCat(contact.id(), " (for ", stand_in_for, ")");
}

std::string RenderWorklist(const lotse::v1::WorklistReply& reply, const absl::TimeZone& zone) {
  if (reply.items().empty()) {
    return reply.total() == 0 ? StrCat("No open referrals for ", reply.assignee(), ".\n")
                              : StrCat("None shown; ", reply.assignee(), " has ", reply.total(),
                                       " open item(s) (raise --limit).\n");
  }
  Table table({{"due", 30},
               {"priority", 8},
               {"case number", 14},
               {"kind", 12},
               {"topic", 24},
               {"subject", 40},
               {"company", 30},
               {"claimed by", 16},
               {"contact", 24}});
  for (const lotse::v1::WorkItem& item : reply.items()) {
    std::string due = LocalTime(item.due_at_us(), zone);
    if (item.escalated()) {
      due += " overdue";
    } else if (item.warned()) {
      due += " soon";
    }
    table.AddRow({due, PriorityWord(item.priority()), item.case_number(), KindWord(item.kind()),
                  item.topic(), item.subject(), item.company_name(), item.claimed_by(),
                  ContactCell(item.contact_person(), item.stand_in_for())});
  }
  std::string out = table.Render();
  const auto shown = static_cast<uint32_t>(reply.items_size());
  if (shown < reply.total()) {
    out += StrCat("Showing ", shown, " of ", reply.total(), " open items for ", reply.assignee(),
                  " (raise --limit to see more).\n");
  } else {
    out += StrCat(Plural(shown, "open item", "open items"), " for ", reply.assignee(), ".\n");
  }
  return out;
}

std::string RenderReferralList(const lotse::v1::ReferralList& list, const absl::TimeZone& zone) {
  if (list.entries().empty()) {
    return list.next().empty() ? StrCat("No referrals of ", list.office(), " to show.\n")
                               : StrCat("None on this page; more may follow.\n");
  }
  Table table({{"submitted", 16},
               {"case number", 12},
               {"state", 8},
               {"subject", 36},
               {"company", 28},
               {"with", 28},
               {"contact", 20},
               {"due", 16},
               {"answered", 16},
               {"answer", 48}});
  for (const lotse::v1::ReferralListEntry& e : list.entries()) {
    const std::string& with = e.department_name().empty() ? e.department() : e.department_name();
    table.AddRow({LocalTime(e.submitted_at_us(), zone), e.case_number(), e.state(), e.subject(),
                  e.company_name(), with, e.contact_person().name(), LocalTime(e.due_at_us(), zone),
                  e.answered_at_us() == 0 ? "" : LocalTime(e.answered_at_us(), zone),
                  e.answer_excerpt()});
  }
  return StrCat(table.Render(), Plural(table.rows(), "referral", "referrals"), " of ",
                list.office(), list.next().empty() ? "" : " on this page", ", newest first.\n");
}

std::string RenderDepartments(const lotse::v1::DirectoryReply& d) {
  Table table({{"id", 24}, {"name", 44}, {"SLA", 8}, {"office hours", 60}});
  for (const auto& dep : d.departments()) {
    table.AddRow({dep.id(), dep.name(), StrCat(Number(dep.sla_hours()), " h"), dep.office_hours()});
  }
  return CountedTable(table, "department", "departments", d, " (SLA in business hours).\n");
}

std::string RenderTopics(const lotse::v1::DirectoryReply& d) {
  Table table({{"id", 24}, {"name", 52}, {"department", 24}});
  for (const auto& topic : d.topics()) {
    table.AddRow({topic.id(), topic.name(), topic.department()});
  }
  return CountedTable(table, "topic", "topics", d, "; pass the id to 'lotse submit --topic'.\n");
}

std::string RenderOffices(const lotse::v1::DirectoryReply& d) {
  Table table({{"id", 24}, {"name", 52}});
  for (const auto& office : d.offices()) {
    table.AddRow({office.id(), office.name()});
  }
  return CountedTable(table, "office", "offices", d, "; pass the id as --office.\n");
}

std::string RenderKeyAccounts(const lotse::v1::DirectoryReply& d) {
  if (d.key_accounts().empty()) {
    return StrCat("No key account managers are configured in ", d.city(), ".\n");
  }
  Table table({{"id", 24}, {"name", 32}, {"department", 24}, {"companies", 60}});
  for (const auto& kam : d.key_accounts()) {
    table.AddRow({kam.id(), kam.name(), kam.department(), CommaList(kam.companies())});
  }
  return CountedTable(table, "key account manager", "key account managers", d,
                      "; their companies' referrals go to them first.\n");
}

std::string RenderClaimed(const ReferralState& s, const absl::TimeZone& zone) {
  return StrCat("Referral ", s.case_number(), " is claimed by ", s.claimed_by(), " at ",
                s.assignee(), "; it is due ", LocalTime(s.due_at_us(), zone), ".\n");
}

std::string RenderUnclaimed(const ReferralState& s) {
  return StrCat("Referral ", s.case_number(),
                " is no longer claimed; it is back on the worklist of ", s.assignee(), ".\n");
}

std::string RenderForwarded(const ReferralState& s, std::string_view from, int forward_limit,
                            const absl::TimeZone& zone) {
  return StrCat("Referral ", s.case_number(), " is forwarded from ", from, " to ", s.assignee(),
                " (forward ", s.forward_count(), " of at most ", forward_limit, "); it is due ",
                LocalTime(s.due_at_us(), zone), ".\n");
}

std::string RenderConsulted(const ReferralState& s, const std::vector<std::string>& departments) {
  return StrCat("Referral ", s.case_number(), ": ", JoinAnd(departments),
                departments.size() == 1 ? " is" : " are",
                " asked to contribute; it is on their worklists now.\n");
}

std::string RenderContributed(const ReferralState& s, std::string_view department) {
  return StrCat("The contribution of ", department, " to referral ", s.case_number(),
                " is recorded; ", s.assignee(), " sees it with the referral.\n");
}

std::string RenderAnswered(const ReferralState& s) {
  return StrCat("Referral ", s.case_number(), " is answered (", OutcomeWord(s.answer().outcome()),
                "); the answer goes back to office ", s.referral().office(), ".\n");
}

std::string RenderFeedback(const ReferralState& s) {
  const lotse::v1::Feedback& f = s.feedback();
  return StrCat("Thank you: the feedback on referral ", s.case_number(), " is recorded (",
                f.rating(), " of 5, ", f.resolved() ? "resolved" : "not resolved",
                "); the referral is closed.\n");
}

namespace {

// " (contact bo-mueller, standing in for bo-becker)" or "".
std::string StaffPart(const lotse::v1::StaffContact& contact, std::string_view stand_in_for) {
  if (contact.id().empty()) {
    return "";
  }
  return StrCat(" (contact ", contact.id(),
                stand_in_for.empty() ? std::string() : StrCat(", standing in for ", stand_in_for),
                ")");
}

}  // namespace

std::string DescribeEvent(const lotse::v1::Envelope& e) {
  using lotse::v1::Envelope;
  switch (e.payload_case()) {
    case Envelope::kReferralSubmitted:
      return StrCat("submitted by ", e.referral_submitted().referral().office(), ": ",
                    e.referral_submitted().referral().subject(), " (topic ",
                    e.referral_submitted().referral().topic(), ")");
    case Envelope::kFeedbackSubmitted:
      return StrCat("feedback ", e.feedback_submitted().rating(), " of 5, ",
                    e.feedback_submitted().resolved() ? "resolved" : "not resolved");
    case Envelope::kReferralRouted:
      return StrCat(
          "routed to ", e.referral_routed().assignee(),
          StaffPart(e.referral_routed().contact_person(), e.referral_routed().stand_in_for()), ": ",
          e.referral_routed().reason());
    case Envelope::kClaimed:
      return StrCat("claimed by ", e.claimed().user(), " at ", e.claimed().assignee());
    case Envelope::kUnclaimed:
      return StrCat("released by ", e.unclaimed().assignee());
    case Envelope::kForwarded:
      return StrCat("forwarded from ", e.forwarded().from(), " to ", e.forwarded().to(),
                    StaffPart(e.forwarded().contact_person(), e.forwarded().stand_in_for()), ": ",
                    e.forwarded().reason());
    case Envelope::kConsultationOpened:
      return StrCat(e.consultation_opened().assignee(), " consulted ",
                    CommaList(e.consultation_opened().departments()));
    case Envelope::kContributionAdded:
      return StrCat(e.contribution_added().department(), " contributed");
    case Envelope::kAnswered:
      return StrCat("answered by ", e.answered().answer().user(), " at ",
                    e.answered().answer().department(), " (",
                    EnumWord(lotse::v1::Outcome_Name(e.answered().answer().outcome()), 8,
                             e.answered().answer().outcome()),
                    ")");
    case Envelope::kEscalated: {
      const lotse::v1::Escalated& x = e.escalated();
      const std::string_view level = x.level() == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH
                                         ? "long overdue: the head hears, at "
                                     : x.level() == lotse::v1::ESCALATION_LEVEL_BREACH
                                         ? "overdue: escalated at "
                                         : "due soon: warning to ";
      const std::string_view clock =
          x.deadline() == lotse::v1::DEADLINE_FIRST_REACTION ? "first reaction"
          : x.deadline() == lotse::v1::DEADLINE_CONSULTATION ? "contribution"
                                                             : "answer";
      std::string text = StrCat(clock, " ", level, x.assignee());
      if (x.deadline() == lotse::v1::DEADLINE_CONSULTATION && !x.department().empty()) {
        text += StrCat(" (consulted ", x.department(), ")");
      }
      if (!x.notify_staff().empty()) {
        text += StrCat("; told ", CommaList(x.notify_staff()));
      }
      return text;
    }
    case Envelope::kCompanyAsked:
      return StrCat("question back to the company by ", e.company_asked().asked_by(), " at ",
                    e.company_asked().assignee(), ", through ", e.company_asked().office(), ": ",
                    e.company_asked().question());
    case Envelope::kCompanyReplied:
      return StrCat("the company replied (entered by ", e.company_replied().replied_by(),
                    "), waited ", Hours(e.company_replied().paused_business_us()),
                    " business h: ", e.company_replied().text());
    case Envelope::kReopened:
      return StrCat("reopened (", e.reopened().reopen_count(), ". time) at ",
                    e.reopened().assignee(), StaffPart(e.reopened().contact_person(), ""), ": ",
                    e.reopened().reason());
    case Envelope::kAbsenceSet: {
      const lotse::v1::AbsenceSet& a = e.absence_set();
      return a.cancelled() ? StrCat("absence of ", a.user(), " cancelled")
                           : StrCat(a.user(), " away ", a.from_date(), " to ", a.to_date(),
                                    ", stand-in ", a.substitute());
    }
    case Envelope::kFollowUpAsked:
      return StrCat("follow-up question from ", e.follow_up_asked().office(), ": ",
                    e.follow_up_asked().text());
    case Envelope::kCompanyFeedbackSubmitted:
      return StrCat("the company's feedback ", e.company_feedback_submitted().rating(), " of 5, ",
                    e.company_feedback_submitted().resolved() ? "resolved" : "not resolved");
    case Envelope::kAttachmentAdded: {
      const lotse::v1::AttachmentRef& a = e.attachment_added().attachment();
      return StrCat("attachment added by ", a.added_by(), ": ", a.name(), " (", a.size(),
                    " bytes, sha256 ", a.sha256().substr(0, 12), ")");
    }
    case Envelope::kClosed:
      return "closed after feedback";
    case Envelope::kPersonalDataErased:
      return StrCat(e.personal_data_erased().by_retention()
                        ? "personal data erased, retention ran out"
                        : "personal data erased",
                    " (", e.personal_data_erased().reason(), ")");
    case Envelope::kReferralDeleted:
      return StrCat("referral deleted, its retention ran out (", e.referral_deleted().reason(),
                    ")");
    case Envelope::kDelivered:
      return StrCat("mailed to ", e.delivered().address(), " (", e.delivered().recipient(), ")");
    case Envelope::kDeliveryFailed:
      return StrCat(e.delivery_failed().final() ? "mail given up for " : "mail failed for ",
                    e.delivery_failed().address(), ": ", e.delivery_failed().reason());
    default:
      return "event of a newer version";
  }
}

std::string RenderHistory(const lotse::v1::HistoryReply& history, const absl::TimeZone& zone) {
  std::string out = StrCat("History of referral ", history.case_number(), " (",
                           history.referral_id(), "), ", history.entries_size(), " events:\n");
  for (const lotse::v1::HistoryEntry& h : history.entries()) {
    const lotse::v1::Envelope& e = h.event();
    const std::string who =
        e.actor().user().empty() ? e.actor().id() : StrCat(e.actor().id(), "/", e.actor().user());
    out += fmt::format("  {}  {:<8} {:<24} {}\n", LocalTime(e.occurred_at_us(), zone), e.stream(),
                       who, DescribeEvent(e));
  }
  return out;
}

std::string RenderVerify(const lotse::v1::VerifyReply& verify) {
  if (verify.ok()) {
    return StrCat("The audit chain verifies: ", verify.entries(),
                  " entries, each linked to the "
                  "one before.\n");
  }
  return StrCat("The audit chain does NOT verify at entry ", verify.first_bad_index(), ": ",
                verify.problem(),
                ". Keep the data directory as it is and inform the "
                "data-protection officer.\n");
}

std::string RenderInboxMessages(const lotse::v1::InboxReply& inbox, const absl::TimeZone& zone) {
  std::string out;
  for (const lotse::v1::InboxMessage& m : inbox.messages()) {
    std::string kind = EnumWord(lotse::v1::MessageKind_Name(m.kind()), 13, m.kind());
    std::transform(kind.begin(), kind.end(), kind.begin(),
                   [](unsigned char c) { return c == '_' ? ' ' : std::tolower(c); });
    out += fmt::format("{}  #{:<4} [{}] {}\n", LocalTime(m.created_at_us(), zone), m.seq(), kind,
                       m.title());
    if (!m.body().empty()) {
      std::string body = m.body();
      size_t pos = 0;
      while ((pos = body.find('\n', pos)) != std::string::npos) {
        body.replace(pos, 1, "\n        ");
        pos += 9;
      }
      out += StrCat("        ", body, "\n");
    }
  }
  return out;
}

std::string RenderEvaluation(const lotse::v1::EvaluationReply& reply, std::string_view format) {
  std::string out;
  if (format == "csv") {
    for (const auto& row : EvaluationRows(reply)) {
      out += CsvLine(row);
    }
    return out;
  }
  out += StrCat("Joint evaluation ", reply.from(), " to ", reply.to(), " (exclusive, ",
                reply.time_zone(), ")", reply.rebuilt() ? ", rebuilt from the audit log" : "",
                "; durations in business hours\n\n");
  auto table = [&](const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        widths[i] = std::max(widths[i], row[i].size());
      }
    }
    for (const auto& row : rows) {
      out += EvaluationLine(row, widths);
    }
  };
  table(EvaluationRows(reply, true, false));
  out +=
      "\nCase work: first reaction, waiting for the company, reopenings, the company's ratings\n\n";
  table(EvaluationRows(reply, false, true));
  return out;
}

}  // namespace lotse::cli
