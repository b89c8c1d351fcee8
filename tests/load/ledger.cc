#include "tests/load/ledger.h"

#include "common/format.h"

namespace lotse::load {
namespace {

constexpr size_t kMaxExamples = 10;

size_t Index(Cmd cmd) { return static_cast<size_t>(cmd); }

}  // namespace

std::string_view CmdName(Cmd cmd) {
  switch (cmd) {
    case Cmd::kSubmit:
      return "submit";
    case Cmd::kFeedback:
      return "feedback";
    case Cmd::kClaim:
      return "claim";
    case Cmd::kForward:
      return "forward";
    case Cmd::kConsult:
      return "consult";
    case Cmd::kContribute:
      return "contribute";
    case Cmd::kAnswer:
      return "answer";
    case Cmd::kAskCompany:
      return "ask_company";
    case Cmd::kCompanyReplied:
      return "company_replied";
    case Cmd::kCompanyFeedback:
      return "company_feedback";
    case Cmd::kAbsence:
      return "absence";
    case Cmd::kAttach:
      return "attach";
    case Cmd::kCount:
      break;
  }
  return "?";
}

void Ledger::SubmitSent(const std::string& key, const std::string& office) {
  std::lock_guard lock(mu_);
  submits_[key].office = office;
}

void Ledger::SubmitAcknowledged(const std::string& key, const std::string& referral_id) {
  std::lock_guard lock(mu_);
  SubmitRecord& r = submits_[key];
  r.acknowledged = true;
  r.referral_id = referral_id;
  ++figures_.acknowledged[Index(Cmd::kSubmit)];
}

void Ledger::ChangeAcknowledged(ChangeRecord record) {
  std::lock_guard lock(mu_);
  ++figures_.acknowledged[Index(record.cmd)];
  changes_.push_back(std::move(record));
}

void Ledger::AnswerAcknowledged(const std::string& referral_id, const std::string& office) {
  std::lock_guard lock(mu_);
  answers_[referral_id] = office;
}

void Ledger::FeedbackAcknowledged(const std::string& referral_id) {
  std::lock_guard lock(mu_);
  ++figures_.acknowledged[Index(Cmd::kFeedback)];
  ++feedback_[referral_id];
}

void Ledger::FeedbackCode(const std::string& referral_id, const std::string& code) {
  std::lock_guard lock(mu_);
  codes_[referral_id] = code;
}

std::string Ledger::FeedbackCodeOf(const std::string& referral_id) const {
  std::lock_guard lock(mu_);
  auto it = codes_.find(referral_id);
  return it == codes_.end() ? "" : it->second;
}

void Ledger::CompanyFeedbackAcknowledged(const std::string& referral_id) {
  std::lock_guard lock(mu_);
  ++figures_.acknowledged[Index(Cmd::kCompanyFeedback)];
  ++company_feedback_[referral_id];
}

void Ledger::AbsenceAcknowledged(const std::string& user, const std::string& substitute) {
  std::lock_guard lock(mu_);
  ++figures_.acknowledged[Index(Cmd::kAbsence)];
  absences_[user] = substitute;
}

void Ledger::AttachAcknowledged(const std::string& referral_id, const std::string& name) {
  std::lock_guard lock(mu_);
  ++figures_.acknowledged[Index(Cmd::kAttach)];
  attachments_[referral_id] = name;
}

void Ledger::Refused(Cmd cmd, const lotse::v1::Error& error) {
  std::lock_guard lock(mu_);
  ++figures_.refused[Index(cmd)][lotse::v1::ErrorCode_Name(error.code())];
  if (figures_.refusal_examples.size() < kMaxExamples) {
    figures_.refusal_examples.push_back(
        StrCat(CmdName(cmd), ": ", lotse::v1::ErrorCode_Name(error.code()), ": ", error.message()));
  }
}

void Ledger::Unacknowledged(Cmd cmd, const std::string& /*key*/) {
  std::lock_guard lock(mu_);
  ++figures_.unacknowledged[Index(cmd)];
}

void Ledger::Resent(Cmd cmd, bool same, const std::string& what) {
  std::lock_guard lock(mu_);
  ++figures_.resent[Index(cmd)];
  if (!same) {
    ++figures_.resend_differs[Index(cmd)];
    if (figures_.resend_examples.size() < kMaxExamples) {
      figures_.resend_examples.push_back(what);
    }
  }
}

void Ledger::Read(const std::string& kind) {
  std::lock_guard lock(mu_);
  ++figures_.reads[kind];
}

void Ledger::SubmitLatency(int64_t micros) {
  std::lock_guard lock(mu_);
  submit_latencies_.push_back(micros);
}

Ledger::Figures Ledger::figures() const {
  std::lock_guard lock(mu_);
  return figures_;
}

std::vector<int64_t> Ledger::submit_latencies() const {
  std::lock_guard lock(mu_);
  return submit_latencies_;
}

}  // namespace lotse::load
