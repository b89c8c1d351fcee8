#pragma once

// Replies as people read them: words for enum values, local times, the readable renderings of
// the services' replies (sentences, labelled fields, tables) and the same replies as proto JSON.
// Nothing here talks to a service, parses input or prints; every function returns a string
// (output_test.cc). Layout helpers (tables, UTF-8 widths) are in table.h, input parsing in
// input.h.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/common.pb.h"
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

// "2026-03-04 14:00" in `zone`; "-" for 0 (not set).
std::string LocalTime(int64_t micros, const absl::TimeZone& zone);

// The worklist's contact column: whose item it is, "bo-kaya (for bo-mueller)" for a stand-in.
std::string ContactCell(const lotse::v1::StaffContact& contact, const std::string& stand_in_for);

// Readable renderings of replies, for people at an office terminal. Each ends in '\n'.
// `office` is the submitting office, for the follow-up hint.
std::string RenderSubmitted(const lotse::v1::SubmitReferralReply& reply, std::string_view office);
// A referral's state: case number, company, topic, status, who has it, due time, claimed by,
// consultations, answer and feedback when there are any.
std::string RenderReferral(const lotse::v1::ReferralState& state, const absl::TimeZone& zone);
// A worklist as a table (due, priority, case number, kind, topic, subject, company, claimed by,
// contact) with a total line. Overdue and warned items are marked in the due column.
std::string RenderWorklist(const lotse::v1::WorklistReply& reply, const absl::TimeZone& zone);
// One page of an office's referrals as a table (submitted, case number, state, subject, company,
// with whom, contact person, due, answered, the answer's beginning) and a count line.
std::string RenderReferralList(const lotse::v1::ReferralList& list, const absl::TimeZone& zone);
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
