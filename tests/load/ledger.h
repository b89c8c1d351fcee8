#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lotse/v1/common.pb.h"

namespace lotse::load {

// The changing commands the simulated offices and departments send.
enum class Cmd {
  kSubmit,
  kFeedback,
  kClaim,
  kForward,
  kConsult,
  kContribute,
  kAnswer,
  kAskCompany,       // a department's question back to the company
  kCompanyReplied,   // the office enters the company's reply
  kCompanyFeedback,  // the company rates the answer with the code from its receipt
  kAbsence,          // a department records a staff member's absence and substitute
  kAttach,           // the office attaches a document to its referral
  kCount
};
inline constexpr int kCmdCount = static_cast<int>(Cmd::kCount);
std::string_view CmdName(Cmd cmd);

// One submission as the office saw it.
struct SubmitRecord {
  std::string office;
  bool acknowledged = false;
  std::string referral_id;  // from the reply, if acknowledged
};

// An acknowledged routing command: the event it must have produced is
// (referral_id, cmd, occurred_at_us == the reply's updated_at_us, detail).
struct ChangeRecord {
  Cmd cmd = Cmd::kClaim;
  std::string referral_id;
  int64_t at_us = 0;
  std::string detail;  // claim: user; forward: to; consult: departments; contribute: department;
                       // answer, ask-company: department; company-replied: office
};

// The ledger of one run: every request that got a reply (command, key, reply), and every
// request that got none after all retries. Thread-safe.
class Ledger {
 public:
  // A submission with `key` is about to be sent for the first time.
  void SubmitSent(const std::string& key, const std::string& office);
  void SubmitAcknowledged(const std::string& key, const std::string& referral_id);
  // An acknowledged routing change.
  void ChangeAcknowledged(ChangeRecord record);
  // An acknowledged answer: the office that must receive it exactly once.
  void AnswerAcknowledged(const std::string& referral_id, const std::string& office);
  void FeedbackAcknowledged(const std::string& referral_id);
  // The feedback code of an acknowledged submission (from its reply), for the company's rating.
  void FeedbackCode(const std::string& referral_id, const std::string& code);
  std::string FeedbackCodeOf(const std::string& referral_id) const;  // "" if none is known
  void CompanyFeedbackAcknowledged(const std::string& referral_id);
  // An acknowledged absence of `user`, standing in `substitute`.
  void AbsenceAcknowledged(const std::string& user, const std::string& substitute);
  // An acknowledged, complete attachment named `name` on the referral.
  void AttachAcknowledged(const std::string& referral_id, const std::string& name);
  // A structured error reply (the service refused): counted per command and error code.
  void Refused(Cmd cmd, const lotse::v1::Error& error);
  // No reply after all retries (the command may or may not have happened).
  void Unacknowledged(Cmd cmd, const std::string& key);
  // A deliberate re-send of an acknowledged command with the same key; `same` = the service
  // answered exactly as the first time.
  void Resent(Cmd cmd, bool same, const std::string& what);
  // A read (worklist, get, inbox) that got a reply.
  void Read(const std::string& kind);
  void SubmitLatency(int64_t micros);

  // The figures, for the checker and the report (call after the actors stopped).
  struct Figures {
    std::array<uint64_t, kCmdCount> acknowledged{};
    std::array<uint64_t, kCmdCount> unacknowledged{};
    std::array<uint64_t, kCmdCount> resent{};
    std::array<uint64_t, kCmdCount> resend_differs{};
    std::array<std::map<std::string, uint64_t>, kCmdCount> refused;  // error code -> count
    std::map<std::string, uint64_t> reads;
    std::vector<std::string> refusal_examples;
    std::vector<std::string> resend_examples;
  };
  Figures figures() const;
  const std::unordered_map<std::string, SubmitRecord>& submits() const { return submits_; }
  const std::vector<ChangeRecord>& changes() const { return changes_; }
  const std::unordered_map<std::string, std::string>& answers() const { return answers_; }
  const std::unordered_map<std::string, int>& feedback() const { return feedback_; }
  const std::unordered_map<std::string, int>& company_feedback() const { return company_feedback_; }
  const std::map<std::string, std::string>& absences() const { return absences_; }
  const std::unordered_map<std::string, std::string>& attachments() const { return attachments_; }
  std::vector<int64_t> submit_latencies() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, SubmitRecord> submits_;  // by idempotency key
  std::vector<ChangeRecord> changes_;
  std::unordered_map<std::string, std::string> answers_;   // referral id -> office
  std::unordered_map<std::string, int> feedback_;          // referral id -> acknowledged count
  std::unordered_map<std::string, std::string> codes_;     // referral id -> feedback code
  std::unordered_map<std::string, int> company_feedback_;  // referral id -> acknowledged count
  std::map<std::string, std::string> absences_;            // absent user -> substitute
  std::unordered_map<std::string, std::string> attachments_;  // referral id -> file name
  std::vector<int64_t> submit_latencies_;
  Figures figures_;
};

}  // namespace lotse::load
