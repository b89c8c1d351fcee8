#pragma once

// Pure formatting for the `lotse` command-line client: names for enum values, parsing of the
// words people type (--priority, --outcome, --resolved), local times, aligned tables, and the
// readable renderings of replies. Nothing here talks to a service or prints; every function
// returns a string, so all of it is unit-tested (output_test.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "lotse/v1/common.pb.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"

namespace lotse::cli {

// Words for enum values, as people read them: "claimed", "urgent", "partly resolved",
// "consultation". Unknown values give "unknown (<number>)".
std::string StatusWord(lotse::v1::ReferralStatus status);
std::string PriorityWord(lotse::v1::Priority priority);
std::string OutcomeWord(lotse::v1::Outcome outcome);
std::string KindWord(lotse::v1::WorkItemKind kind);

// The words a person may type, case-insensitive. nullopt for anything else.
std::optional<lotse::v1::Priority> ParsePriority(std::string_view text);  // low|normal|high|urgent
std::optional<lotse::v1::Outcome> ParseOutcome(std::string_view text);    // resolved|partly|
                                                                          // not-responsible
std::optional<bool> ParseYesNo(std::string_view text);                    // yes|no (also ja|nein)

// "2026-03-04 14:00" in `zone`; "-" for 0 (not set).
std::string LocalTime(int64_t micros, const absl::TimeZone& zone);

// Columns a terminal needs for `text`: one per UTF-8 code point (no East Asian wide forms in a
// German administration's data). Invalid bytes count one each.
size_t DisplayWidth(std::string_view text);
// `text` on one line (newlines and tabs become spaces) and at most `max_width` columns; a cut is
// marked with "…". Never splits a UTF-8 sequence.
std::string Clip(std::string_view text, size_t max_width);

// A text table with a header row, columns aligned by display width, two spaces between columns.
// Cells are clipped to their column's maximum width. Not thread-safe.
class Table {
 public:
  struct Column {
    std::string header;
    size_t max_width = 40;
  };
  explicit Table(std::vector<Column> columns);
  // Adds a row; missing cells are empty, extra cells are ignored.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // The header, a rule of '-', and every row, each line ending in '\n'. Trailing spaces are
  // trimmed.
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// One JSON document on one line: proto field names, every field even when default, enums as
// names (int64 fields become strings, as proto JSON has them).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);
// {"error": <error as JSON>} on one line.
std::string ErrorJson(const lotse::v1::Error& error);

// Readable renderings of replies, for people at an office terminal. Each ends in '\n'.
// `office` is the submitting office, for the follow-up hint.
std::string RenderSubmitted(const lotse::v1::SubmitReferralReply& reply, std::string_view office);
// A referral's state: case number, company, topic, status, who has it, due time, claimed by,
// consultations, answer and feedback when there are any.
std::string RenderReferral(const lotse::v1::ReferralState& state, const absl::TimeZone& zone);
// A worklist as a table (due, priority, case number, kind, topic, subject, company, claimed by)
// with a total line. Overdue and warned items are marked in the due column.
std::string RenderWorklist(const lotse::v1::WorklistReply& reply, const absl::TimeZone& zone);
std::string RenderDepartments(const lotse::v1::DirectoryReply& directory);
std::string RenderTopics(const lotse::v1::DirectoryReply& directory);
std::string RenderOffices(const lotse::v1::DirectoryReply& directory);
std::string RenderKeyAccounts(const lotse::v1::DirectoryReply& directory);

// One-sentence confirmations of the changing commands, from the state the service returned.
std::string RenderClaimed(const lotse::v1::ReferralState& state, const absl::TimeZone& zone);
std::string RenderUnclaimed(const lotse::v1::ReferralState& state);
std::string RenderForwarded(const lotse::v1::ReferralState& state, std::string_view from,
                            int forward_limit, const absl::TimeZone& zone);
std::string RenderConsulted(const lotse::v1::ReferralState& state,
                            const std::vector<std::string>& departments);
std::string RenderContributed(const lotse::v1::ReferralState& state, std::string_view department);
std::string RenderAnswered(const lotse::v1::ReferralState& state);
std::string RenderFeedback(const lotse::v1::ReferralState& state);

// The audit log's story of one referral: one line per event (when, which service, who, what).
std::string RenderHistory(const lotse::v1::HistoryReply& history, const absl::TimeZone& zone);
// What an event did, in a few words ("routed to bauordnung: topic …").
std::string DescribeEvent(const lotse::v1::Envelope& event);
std::string RenderVerify(const lotse::v1::VerifyReply& verify);
// The joint evaluation as an aligned table (format "table") or CSV with a header line
// ("csv"): one row per department/KAM, per office, and the total.
std::string RenderEvaluation(const lotse::v1::EvaluationReply& reply, std::string_view format);
// Inbox messages, one block each: time, seq, kind, title, indented body.
std::string RenderInboxMessages(const lotse::v1::InboxReply& inbox, const absl::TimeZone& zone);

}  // namespace lotse::cli
