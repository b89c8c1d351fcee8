#include "services/audit/evaluation.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/config/calendars.h"
#include "common/format.h"
#include "common/service/erasure.h"
#include "common/service/errors.h"
#include "common/status_macros.h"

namespace lotse::audit {
namespace {

using lotse::v1::Envelope;
using lotse::v1::EvaluationFigures;
using lotse::v1::EvaluationGroup;
using lotse::v1::EvaluationReply;
using lotse::v1::EvaluationRequest;
using lotse::v1::ReferralFacts;
using service::FieldError;
using service::InvalidField;

// In meta: present once the facts hold every chain entry (BackfillFacts).
constexpr std::string_view kFactsMarker = "evaluation_facts";
// In meta: how many facts a period cannot find by their key (Placeable; 8 bytes): under an id
// intake did not make, or starting far from the id's time. While there are any, or before the
// count exists, StoredFacts reads every fact for a period.
constexpr std::string_view kOtherIdsKey = "evaluation_other_ids";

// Whether `id` is one intake makes: "r", the submission's millisecond (11 hex digits) and 64
// random bits (16 hex digits), so that ids sort by submission time.
bool IsIntakeId(std::string_view id) {
  return id.size() == 28 && id[0] == 'r' && std::all_of(id.begin() + 1, id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The first key of the referrals intake made at `us` (clamped to what 11 hex digits hold).
std::string IntakeIdAt(int64_t us) {
  const int64_t ms = std::clamp<int64_t>(us / 1000, 0, (int64_t{1} << 44) - 1);
  return absl::StrFormat("r%011x", ms);
}

// At most this much of a bad value is quoted back in an error.
constexpr size_t kMaxQuoted = 40;

std::string Quoted(std::string_view text) {
  if (text.empty()) {
    return "nothing";
  }
  if (text.size() > kMaxQuoted) {
    return StrCat("\"", text.substr(0, kMaxQuoted), "...\"");
  }
  return StrCat("\"", text, "\"");
}

void MarkAction(ReferralFacts& f, int64_t at_us) {
  if (at_us != 0 && (f.first_action_at_us() == 0 || at_us < f.first_action_at_us())) {
    f.set_first_action_at_us(at_us);
  }
}

void SetFeedback(ReferralFacts& f, int32_t rating, bool resolved, int64_t at_us) {
  if (f.has_feedback()) {
    return;  // FeedbackSubmitted (intake) and Closed (routing) carry the same rating
  }
  lotse::v1::Feedback* feedback = f.mutable_feedback();
  feedback->set_rating(rating);
  feedback->set_resolved(resolved);
  feedback->set_submitted_at_us(at_us);
}

// The moment a referral's clocks start and its period is decided: submission, or routing if
// intake's event was not seen (yet); 0 if neither.
int64_t StartOf(const ReferralFacts& f) {
  return f.submitted_at_us() != 0 ? f.submitted_at_us() : f.routed_at_us();
}

// A period reads the facts of the referrals submitted within this margin of it.
constexpr int64_t kPlacementMarginUs = int64_t{86400} * 1000000;

// Whether a period finds the facts of `id` by their key: intake made the id, and the clocks
// start within the margin of its millisecond (or have not started yet). Routing more than a
// day after the submission, with intake's event not seen, would put them elsewhere.
bool Placeable(std::string_view id, const ReferralFacts& f) {
  if (!IsIntakeId(id)) {
    return false;
  }
  const int64_t start = StartOf(f);
  int64_t id_ms = 0;
  for (char c : id.substr(1, 11)) {
    id_ms = id_ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return start == 0 || std::abs(start - id_ms * 1000) < kPlacementMarginUs;
}

// The encoded count of facts a period cannot place after adding `delta`, read through the batch.
absl::StatusOr<std::string> OtherIdsAfter(const store::Batch& batch, int64_t delta) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(store::kMeta, kOtherIdsKey));
  const int64_t now = stored.has_value() && stored->size() == 8
                          ? static_cast<int64_t>(store::DecodeU64(*stored))
                          : 0;
  return store::EncodeU64(static_cast<uint64_t>(std::max<int64_t>(0, now + delta)));
}

// The department or key account manager a referral counts for.
const std::string& HandlerOf(const ReferralFacts& f) {
  return f.answered_by().empty() ? f.assignee() : f.answered_by();
}

int64_t BusinessMicros(const calendar::BusinessCalendar& cal, int64_t from_us, int64_t to_us) {
  return absl::ToInt64Microseconds(
      cal.BusinessTimeBetween(absl::FromUnixMicros(from_us), absl::FromUnixMicros(to_us)));
}

// Nearest rank: the value at rank ceil(p/100 * n) of the sorted values; 0 for none.
int64_t Percentile(const std::vector<int64_t>& sorted, int p) {
  if (sorted.empty()) {
    return 0;
  }
  const size_t n = sorted.size();
  const size_t rank = (static_cast<size_t>(p) * n + 99) / 100;
  return sorted[std::clamp<size_t>(rank, 1, n) - 1];
}

double Share(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

// The sums behind one group's figures.
class Tally {
 public:
  void Add(const ReferralFacts& f, int64_t start_us, const calendar::BusinessCalendar* cal) {
    ++received_;
    if (f.first_action_at_us() != 0 && cal != nullptr) {
      first_action_.push_back(BusinessMicros(*cal, start_us, f.first_action_at_us()));
    }
    if (f.answered_at_us() != 0) {
      ++answered_;
      if (cal != nullptr) {
        answer_.push_back(BusinessMicros(*cal, start_us, f.answered_at_us()));
      }
      within_sla_ += f.answered_within_sla() ? 1 : 0;
      within_unpaused_sla_ += f.answered_within_unpaused_sla() ? 1 : 0;
      if (cal != nullptr) {
        answer_net_.push_back(std::max<int64_t>(
            0, BusinessMicros(*cal, start_us, f.answered_at_us()) - f.paused_business_us()));
      }
    }
    if (f.last_answered_at_us() != 0) {
      company_wait_.push_back(std::max<int64_t>(0, f.last_answered_at_us() - start_us));
      const int64_t since = f.last_answer_since_us() != 0 ? f.last_answer_since_us() : start_us;
      if (cal != nullptr && since <= f.last_answered_at_us()) {
        own_time_.push_back(BusinessMicros(*cal, since, f.last_answered_at_us()));
      }
    }
    // The first reaction counts once it happened or its due time was breached.
    if (f.first_reaction_due_at_us() != 0 &&
        (f.first_action_at_us() != 0 || f.first_reaction_breaches() > 0)) {
      ++first_reaction_due_;
      first_reaction_in_time_ +=
          f.first_action_at_us() != 0 && f.first_action_at_us() <= f.first_reaction_due_at_us() ? 1
                                                                                                : 0;
    }
    first_reaction_breaches_ += f.first_reaction_breaches();
    second_breaches_ += f.second_breaches();
    questions_to_company_ += f.questions_to_company();
    waited_on_company_ += f.questions_to_company() > 0 ? 1 : 0;
    waiting_business_us_ += f.paused_business_us();
    reopenings_ += f.reopenings();
    reopened_ += f.reopenings() > 0 ? 1 : 0;
    if (f.has_company_feedback()) {
      ++company_feedback_;
      company_rating_sum_ += f.company_feedback().rating();
      company_resolved_ += f.company_feedback().resolved() ? 1 : 0;
    }
    warnings_ += f.warnings();
    escalations_ += f.escalations();
    forwards_ += f.forwards();
    consultations_ += static_cast<uint32_t>(f.consulted_size());
    if (f.has_feedback()) {
      ++feedback_;
      rating_sum_ += f.feedback().rating();
      resolved_ += f.feedback().resolved() ? 1 : 0;
    }
  }

  EvaluationFigures Figures() const {
    std::vector<int64_t> first_action = first_action_;
    std::vector<int64_t> answer = answer_;
    std::sort(first_action.begin(), first_action.end());
    std::sort(answer.begin(), answer.end());
    EvaluationFigures out;
    out.set_received(received_);
    out.set_answered(answered_);
    out.set_open(received_ - answered_);
    out.set_acted_on(static_cast<uint32_t>(first_action.size()));
    out.set_time_to_first_action_median_us(Percentile(first_action, 50));
    out.set_time_to_first_action_p90_us(Percentile(first_action, 90));
    out.set_time_to_answer_median_us(Percentile(answer, 50));
    out.set_time_to_answer_p90_us(Percentile(answer, 90));
    out.set_answered_within_sla(within_sla_);
    out.set_sla_share(Share(within_sla_, answered_));
    out.set_warnings(warnings_);
    out.set_escalations(escalations_);
    out.set_forwards(forwards_);
    out.set_forwards_per_referral(Share(forwards_, received_));
    out.set_consultations(consultations_);
    out.set_consultations_per_referral(Share(consultations_, received_));
    out.set_feedback(feedback_);
    out.set_average_rating(
        feedback_ == 0 ? 0.0 : static_cast<double>(rating_sum_) / static_cast<double>(feedback_));
    out.set_resolved(resolved_);
    out.set_resolved_share(Share(resolved_, feedback_));
    std::vector<int64_t> answer_net = answer_net_;
    std::vector<int64_t> own_time = own_time_;
    std::vector<int64_t> company_wait = company_wait_;
    std::sort(answer_net.begin(), answer_net.end());
    std::sort(own_time.begin(), own_time.end());
    std::sort(company_wait.begin(), company_wait.end());
    out.set_first_reaction_due(first_reaction_due_);
    out.set_first_reaction_in_time(first_reaction_in_time_);
    out.set_first_reaction_sla_share(Share(first_reaction_in_time_, first_reaction_due_));
    out.set_first_reaction_breaches(first_reaction_breaches_);
    out.set_second_breaches(second_breaches_);
    out.set_answered_within_sla_counting_waiting(within_unpaused_sla_);
    out.set_sla_share_counting_waiting(Share(within_unpaused_sla_, answered_));
    out.set_waited_on_company(waited_on_company_);
    out.set_questions_to_company(questions_to_company_);
    out.set_waiting_business_us(waiting_business_us_);
    out.set_time_to_answer_net_median_us(Percentile(answer_net, 50));
    out.set_time_to_answer_net_p90_us(Percentile(answer_net, 90));
    out.set_reopened(reopened_);
    out.set_reopenings(reopenings_);
    out.set_company_feedback(company_feedback_);
    out.set_company_average_rating(company_feedback_ == 0
                                       ? 0.0
                                       : static_cast<double>(company_rating_sum_) /
                                             static_cast<double>(company_feedback_));
    out.set_company_resolved(company_resolved_);
    out.set_company_resolved_share(Share(company_resolved_, company_feedback_));
    out.set_own_time_median_us(Percentile(own_time, 50));
    out.set_own_time_p90_us(Percentile(own_time, 90));
    out.set_company_wait_median_us(Percentile(company_wait, 50));
    out.set_company_wait_p90_us(Percentile(company_wait, 90));
    return out;
  }

 private:
  uint32_t received_ = 0;
  uint32_t answered_ = 0;
  uint32_t within_sla_ = 0;
  uint32_t warnings_ = 0;
  uint32_t escalations_ = 0;
  uint32_t forwards_ = 0;
  uint32_t consultations_ = 0;
  uint32_t feedback_ = 0;
  uint32_t resolved_ = 0;
  int64_t rating_sum_ = 0;
  std::vector<int64_t> first_action_;
  std::vector<int64_t> answer_;
  // Case work.
  uint32_t within_unpaused_sla_ = 0;
  uint32_t first_reaction_due_ = 0;
  uint32_t first_reaction_in_time_ = 0;
  uint32_t first_reaction_breaches_ = 0;
  uint32_t second_breaches_ = 0;
  uint32_t questions_to_company_ = 0;
  uint32_t waited_on_company_ = 0;
  int64_t waiting_business_us_ = 0;
  uint32_t reopenings_ = 0;
  uint32_t reopened_ = 0;
  uint32_t company_feedback_ = 0;
  uint32_t company_resolved_ = 0;
  int64_t company_rating_sum_ = 0;
  std::vector<int64_t> answer_net_;
  std::vector<int64_t> own_time_;
  std::vector<int64_t> company_wait_;
};

// A local date "YYYY-MM-DD" exactly (no other form, no overflowing day such as 2026-02-30).
absl::StatusOr<absl::CivilDay> ParseDay(std::string_view field, std::string_view text) {
  absl::CivilDay day;
  bool ok = text.size() == 10 && text[4] == '-' && text[7] == '-';
  for (size_t i = 0; ok && i < text.size(); ++i) {
    ok = i == 4 || i == 7 || (text[i] >= '0' && text[i] <= '9');
  }
  ok = ok && absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &day) &&
       absl::FormatCivilTime(day) == text;
  if (!ok) {
    return InvalidField(field, StrCat(field, ": expected YYYY-MM-DD, got ", Quoted(text)));
  }
  return day;
}

}  // namespace

std::vector<std::string> StateFamilies() {
  std::vector<std::string> families = Chain::Families();
  LOTSE_CHECK(families.size() == static_cast<size_t>(kFacts - store::kFirstStateFamily));
  families.emplace_back("state_facts");
  return families;
}

void ApplyToFacts(const Envelope& e, ReferralFacts& f) {
  if (f.referral_id().empty()) {
    f.set_referral_id(e.referral_id());
  }
  if (f.case_number().empty()) {
    f.set_case_number(e.case_number());
  }
  f.set_events(f.events() + 1);
  const int64_t at = e.occurred_at_us();
  switch (e.payload_case()) {
    case Envelope::kReferralSubmitted: {
      const lotse::v1::Referral& r = e.referral_submitted().referral();
      f.set_office(r.office());
      f.set_topic(r.topic());
      f.set_submitted_at_us(e.referral_submitted().submitted_at_us() != 0
                                ? e.referral_submitted().submitted_at_us()
                                : at);
      break;
    }
    case Envelope::kReferralRouted: {
      const lotse::v1::ReferralRouted& r = e.referral_routed();
      if (f.routed_at_us() != 0) {
        break;  // a referral is routed once; later changes come as Forwarded
      }
      if (f.office().empty()) {
        f.set_office(r.office());
      }
      if (f.topic().empty()) {
        f.set_topic(r.topic());
      }
      f.set_routed_at_us(at);
      f.set_first_assignee(r.assignee());
      f.set_key_account(r.key_account());
      f.set_responsible_department(r.responsible_department());
      f.set_assignee(r.assignee());
      f.set_due_at_us(r.due_at_us());
      f.set_unpaused_due_at_us(r.due_at_us());
      f.set_first_reaction_due_at_us(r.first_reaction_due_at_us());
      f.set_assignee_since_us(at);
      break;
    }
    case Envelope::kClaimed:
      MarkAction(f, at);
      break;
    case Envelope::kUnclaimed:
      break;
    case Envelope::kForwarded:
      MarkAction(f, at);
      f.set_assignee(e.forwarded().to());
      f.set_forwards(f.forwards() + 1);
      if (e.forwarded().due_at_us() != 0) {
        f.set_due_at_us(e.forwarded().due_at_us());
        f.set_unpaused_due_at_us(e.forwarded().due_at_us());
      }
      f.set_assignee_since_us(at);
      break;
    case Envelope::kConsultationOpened:
      MarkAction(f, at);
      for (const std::string& d : e.consultation_opened().departments()) {
        f.add_consulted(d);
      }
      break;
    case Envelope::kContributionAdded:
      f.set_contributions(f.contributions() + 1);
      break;
    case Envelope::kAnswered: {
      const lotse::v1::Answer& a = e.answered().answer();
      const int64_t answered_at = a.answered_at_us() != 0 ? a.answered_at_us() : at;
      // A reopened referral is answered again: the last answer ends the company's wait and the
      // answering department's own time.
      if (answered_at >= f.last_answered_at_us()) {
        f.set_last_answered_at_us(answered_at);
        f.set_last_answer_since_us(f.assignee_since_us() != 0 ? f.assignee_since_us()
                                                              : f.routed_at_us());
      }
      if (f.answered_at_us() != 0) {
        break;  // the first answer decides the answer figures
      }
      MarkAction(f, answered_at);
      const int64_t unpaused_due =
          f.unpaused_due_at_us() != 0 ? f.unpaused_due_at_us() : f.due_at_us();
      f.set_answered_within_unpaused_sla(unpaused_due != 0 && answered_at <= unpaused_due);
      f.set_answered_at_us(answered_at);
      f.set_answered_by(a.department().empty() ? f.assignee() : a.department());
      f.set_outcome(a.outcome());
      f.set_answered_within_sla(f.due_at_us() != 0 && answered_at <= f.due_at_us());
      break;
    }
    case Envelope::kEscalated:
      if (e.escalated().level() == lotse::v1::ESCALATION_LEVEL_WARNING) {
        f.set_warnings(f.warnings() + 1);
      } else if (e.escalated().level() == lotse::v1::ESCALATION_LEVEL_BREACH) {
        f.set_escalations(f.escalations() + 1);
        if (e.escalated().deadline() == lotse::v1::DEADLINE_FIRST_REACTION) {
          f.set_first_reaction_breaches(f.first_reaction_breaches() + 1);
        }
      } else if (e.escalated().level() == lotse::v1::ESCALATION_LEVEL_SECOND_BREACH) {
        f.set_second_breaches(f.second_breaches() + 1);
      }
      break;
    case Envelope::kCompanyAsked:
      MarkAction(f, at);  // a question back is a first reaction
      f.set_questions_to_company(f.questions_to_company() + 1);
      break;
    case Envelope::kCompanyReplied: {
      const lotse::v1::CompanyReplied& c = e.company_replied();
      f.set_paused_business_us(f.paused_business_us() +
                               std::max<int64_t>(0, c.paused_business_us()));
      if (c.due_at_us() != 0) {
        f.set_due_at_us(c.due_at_us());  // moved by the pause; unpaused_due_at_us is not
      }
      break;
    }
    case Envelope::kReopened: {
      const lotse::v1::Reopened& r = e.reopened();
      f.set_reopenings(f.reopenings() + 1);
      if (!r.assignee().empty()) {
        f.set_assignee(r.assignee());
      }
      if (r.due_at_us() != 0) {
        f.set_due_at_us(r.due_at_us());
        f.set_unpaused_due_at_us(r.due_at_us());
      }
      f.set_assignee_since_us(at);
      break;
    }
    case Envelope::kCompanyFeedbackSubmitted: {
      const lotse::v1::CompanyFeedbackSubmitted& c = e.company_feedback_submitted();
      lotse::v1::Feedback* feedback = f.mutable_company_feedback();  // the latest counts
      feedback->set_rating(c.rating());
      feedback->set_resolved(c.resolved());
      feedback->set_submitted_at_us(at);
      break;
    }
    case Envelope::kFeedbackSubmitted:
      SetFeedback(f, e.feedback_submitted().rating(), e.feedback_submitted().resolved(), at);
      break;
    case Envelope::kClosed: {
      const lotse::v1::Feedback& fb = e.closed().feedback();
      SetFeedback(f, fb.rating(), fb.resolved(),
                  fb.submitted_at_us() != 0 ? fb.submitted_at_us() : at);
      if (f.closed_at_us() == 0) {
        f.set_closed_at_us(at);
      }
      break;
    }
    default:  // delivery events and payloads of newer versions change no figure
      break;
  }
}

void PutFacts(store::Batch& batch, const ReferralFacts& facts) {
  batch.Put(kFacts, facts.referral_id(), facts.SerializeAsString());
}

absl::Status RecordEvent(store::Batch& batch, const Envelope& event, std::string_view raw,
                         absl::Time now) {
  // The facts and the count of those a period cannot place are computed first and written last,
  // so a failure writes nothing.
  const std::string& id = event.referral_id();
  std::optional<ReferralFacts> facts;
  std::optional<std::string> others;  // the count's new value, if it changes
  if (!id.empty()) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(kFacts, id));
    ReferralFacts before;
    if (stored.has_value() && !before.ParseFromString(*stored)) {
      return absl::DataLossError(
          StrCat("the evaluation facts of referral ", id, " cannot be read: the store is damaged"));
    }
    facts = before;
    ApplyToFacts(event, *facts);
    const int delta =
        (Placeable(id, *facts) ? 0 : 1) - (stored.has_value() && !Placeable(id, before) ? 1 : 0);
    if (delta != 0) {
      LOTSE_ASSIGN_OR_RETURN(others, OtherIdsAfter(batch, delta));
    }
  }
  LOTSE_RETURN_IF_ERROR(Chain::Append(batch, event, raw, now));
  if (facts.has_value()) {
    PutFacts(batch, *facts);
  }
  if (others.has_value()) {
    batch.Put(store::kMeta, kOtherIdsKey, *others);
  }
  return absl::OkStatus();
}

std::string DeletedFactsKey(uint64_t deletion_index) {
  return StrCat("deleted/", store::EncodeU64(deletion_index));
}

absl::Status RecordDeletion(store::Batch& batch, store::Store& store, const Envelope& event,
                            std::string_view raw, absl::Time now) {
  const std::string& id = event.referral_id();
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> stored, batch.Get(kFacts, id));
  ReferralFacts facts;
  if (stored.has_value() && !facts.ParseFromString(*stored)) {
    return absl::DataLossError(
        StrCat("the evaluation facts of referral ", id, " cannot be read: the store is damaged"));
  }
  // Everything that can fail is prepared first: the deletion lands whole or not at all.
  LOTSE_ASSIGN_OR_RETURN(const uint64_t index, Chain::NextIndex(batch));
  store::Batch pruned(&store);
  LOTSE_ASSIGN_OR_RETURN(const std::vector<uint64_t> cleared,
                         Chain::Prune(batch, pruned, store, id, index));
  std::optional<std::string> others;  // the count's new value, if it changes
  if (stored.has_value() && !Placeable(id, facts)) {
    LOTSE_ASSIGN_OR_RETURN(others, OtherIdsAfter(batch, -1));
  }
  LOTSE_RETURN_IF_ERROR(Chain::Append(batch, event, raw, now, cleared));
  batch.Absorb(pruned);
  if (others.has_value()) {
    batch.Put(store::kMeta, kOtherIdsKey, *others);
  }
  if (stored.has_value()) {
    facts.clear_referral_id();
    facts.clear_case_number();
    batch.Put(kFacts, DeletedFactsKey(index), facts.SerializeAsString());
    batch.Delete(kFacts, id);
  }
  service::OweCompaction(batch);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, ReferralFacts>> ReplayChain(const store::Store& store) {
  std::map<std::string, ReferralFacts> facts;
  absl::Status bad;
  LOTSE_RETURN_IF_ERROR(
      store.Scan(Chain::kEntries, "", "", [&](std::string_view key, std::string_view value) {
        lotse::v1::AuditEntry entry;
        Envelope event;
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
            !event.ParseFromString(Chain::EventBytes(entry))) {
          bad = absl::DataLossError(StrCat("audit entry ",
                                           key.size() == 8 ? store::DecodeU64(key) : 0,
                                           " cannot be read: run 'lotse audit verify'"));
          return false;
        }
        if (entry.deleted_by() != 0) {
          return true;  // a deleted referral's: its figures come with its deletion
        }
        if (event.has_referral_deleted()) {
          facts.erase(event.referral_id());
          absl::StatusOr<std::optional<std::string>> kept =
              store.Get(kFacts, DeletedFactsKey(entry.index()));
          ReferralFacts f;
          if (!kept.ok() || (kept->has_value() && !f.ParseFromString(**kept))) {
            bad =
                absl::DataLossError(StrCat("the figures kept for the referral deleted by audit "
                                           "entry ",
                                           entry.index(), " cannot be read"));
            return false;
          }
          if (kept->has_value()) {
            facts[DeletedFactsKey(entry.index())] = std::move(f);
          }
          return true;
        }
        if (!event.referral_id().empty()) {
          ApplyToFacts(event, facts[event.referral_id()]);
        }
        return true;
      }));
  LOTSE_RETURN_IF_ERROR(bad);
  return facts;
}

absl::Status BackfillFacts(store::Store& store) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> marker, store.Get(store::kMeta, kFactsMarker));
  if (marker.has_value()) {
    return absl::OkStatus();
  }
  LOTSE_ASSIGN_OR_RETURN(auto facts, ReplayChain(store));
  store::Batch batch(&store);
  uint64_t others = 0;
  for (const auto& [key, f] : facts) {
    batch.Put(kFacts, key, f.SerializeAsString());
    others += !Placeable(key, f) && !key.starts_with("deleted/") ? 1 : 0;
  }
  batch.Put(store::kMeta, kFactsMarker, "1");
  batch.Put(store::kMeta, kOtherIdsKey, store::EncodeU64(others));
  return store.Commit(batch);
}

absl::Status CountOtherIdsOnce(store::Store& store) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> counted, store.Get(store::kMeta, kOtherIdsKey));
  if (counted.has_value()) {
    return absl::OkStatus();
  }
  uint64_t others = 0;
  LOTSE_RETURN_IF_ERROR(store.Scan(kFacts, "", "", [&](std::string_view key, std::string_view v) {
    ReferralFacts f;  // an unreadable record cannot be placed either
    const bool read = f.ParseFromArray(v.data(), static_cast<int>(v.size()));
    others += (!read || !Placeable(key, f)) && !key.starts_with("deleted/") ? 1 : 0;
    return true;
  }));
  store::Batch batch(&store);
  batch.Put(store::kMeta, kOtherIdsKey, store::EncodeU64(others));
  return store.Commit(batch);
}

FactsSource StoredFacts(const store::Store& store, int64_t from_us, int64_t to_us) {
  return [&store, from_us, to_us](const FactsVisitor& visit) -> absl::Status {
    absl::Status bad;
    auto each = [&](std::string_view key, std::string_view value) {
      ReferralFacts facts;
      if (!facts.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        bad = absl::DataLossError(
            StrCat("the evaluation facts of referral ", key,
                   " cannot be read: ask with rebuild to compute from the audit log"));
        return false;
      }
      visit(facts);
      return true;
    };
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> others,
                           store.Get(store::kMeta, kOtherIdsKey));
    const bool by_time = from_us != INT64_MIN && others.has_value() && others->size() == 8 &&
                         store::DecodeU64(*others) == 0;
    if (!by_time) {
      LOTSE_RETURN_IF_ERROR(store.Scan(kFacts, "", "", each));
      return bad;
    }
    // A referral's clocks start at its submission, or at its routing while audit has not seen
    // intake's event yet: the margin covers both (further off, Placeable counts it as other).
    const int64_t day_us = kPlacementMarginUs;
    LOTSE_RETURN_IF_ERROR(store.Scan(kFacts, "deleted/", "", each));
    LOTSE_RETURN_IF_ERROR(bad);
    LOTSE_RETURN_IF_ERROR(
        store.ScanRange(kFacts, IntakeIdAt(from_us - day_us),
                        to_us > INT64_MAX - day_us ? "s" : IntakeIdAt(to_us + day_us), each));
    return bad;
  };
}

FactsSource FactsIn(const std::map<std::string, ReferralFacts>& facts) {
  return [&facts](const FactsVisitor& visit) -> absl::Status {
    for (const auto& [id, f] : facts) {
      visit(f);
    }
    return absl::OkStatus();
  };
}

absl::StatusOr<Evaluator> Evaluator::Create(const config::Config& config) {
  LOTSE_ASSIGN_OR_RETURN(config::Calendars calendars, config::BuildCalendars(config));
  if (config.departments.empty()) {
    return absl::InvalidArgumentError("the evaluation needs at least one department");
  }
  Evaluator evaluator(calendars.zone, config.city.timezone);
  evaluator.calendars_ = std::move(calendars.by_department);
  for (const config::Department& d : config.departments) {
    evaluator.units_.push_back(Unit{d.id, d.name, "", d.id});
  }
  for (const config::KeyAccount& k : config.key_accounts) {
    evaluator.units_.push_back(Unit{k.id, k.name, k.department, k.department});
  }
  for (const config::Office& o : config.offices) {
    evaluator.offices_.push_back(Unit{o.id, o.name, "", ""});
  }
  evaluator.default_department_ =
      config.FindDepartment(config.routing.default_department) != nullptr
          ? config.routing.default_department
          : config.departments.front().id;
  return evaluator;
}

const Evaluator::Unit* Evaluator::FindUnit(std::string_view id) const {
  for (const Unit& u : units_) {
    if (u.id == id) {
      return &u;
    }
  }
  return nullptr;
}

const Evaluator::Unit* Evaluator::FindOffice(std::string_view id) const {
  for (const Unit& o : offices_) {
    if (o.id == id) {
      return &o;
    }
  }
  return nullptr;
}

const calendar::BusinessCalendar* Evaluator::CalendarFor(std::string_view unit) const {
  const Unit* u = FindUnit(unit);
  const std::string& department = u != nullptr ? u->calendar : default_department_;
  auto it = calendars_.find(department);
  return it == calendars_.end() ? nullptr : &it->second;
}

absl::StatusOr<EvaluationRequest> Evaluator::Authorize(const lotse::v1::Actor& actor,
                                                       const EvaluationRequest& request) const {
  EvaluationRequest out = request;
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_OPS:
    case lotse::v1::ACTOR_KIND_ADMIN:
      return out;
    case lotse::v1::ACTOR_KIND_OFFICE:
    case lotse::v1::ACTOR_KIND_DEPARTMENT:
      break;
    default:
      return FieldError(absl::StatusCode::kPermissionDenied, "actor",
                        "only offices, departments, key account managers, ops and admin may "
                        "read the evaluation");
  }
  if (actor.id().empty()) {
    return FieldError(absl::StatusCode::kPermissionDenied, "actor",
                      "the request does not say which office or department asks");
  }
  if (request.rebuild()) {
    return FieldError(absl::StatusCode::kPermissionDenied, "rebuild",
                      "only ops or admin may rebuild the evaluation from the audit log");
  }
  const bool office = actor.kind() == lotse::v1::ACTOR_KIND_OFFICE;
  const std::string_view own_field = office ? "office" : "department";
  const std::string_view other_field = office ? "department" : "office";
  const std::string& asked = office ? request.office() : request.department();
  const std::string& other = office ? request.department() : request.office();
  if (!other.empty()) {
    return FieldError(absl::StatusCode::kPermissionDenied, other_field,
                      StrCat(own_field, " ", actor.id(),
                             " sees only its own evaluation: ask "
                             "without --",
                             other_field));
  }
  if (!asked.empty() && asked != actor.id()) {
    return FieldError(absl::StatusCode::kPermissionDenied, own_field,
                      StrCat(own_field, " ", actor.id(), " sees only its own evaluation, not ",
                             Quoted(asked), "'s"));
  }
  if (office) {
    out.set_office(actor.id());
  } else {
    out.set_department(actor.id());
  }
  return out;
}

absl::StatusOr<std::pair<int64_t, int64_t>> Evaluator::PeriodMicros(
    const EvaluationRequest& request) const {
  LOTSE_ASSIGN_OR_RETURN(absl::CivilDay from, ParseDay("from", request.from()));
  LOTSE_ASSIGN_OR_RETURN(absl::CivilDay to, ParseDay("to", request.to()));
  if (from >= to) {
    return InvalidField("to", StrCat("to: must be after from (the period is [from, to), e.g. "
                                     "--from 2026-03-01 --to 2026-04-01 for March), got from ",
                                     request.from(), " and to ", request.to()));
  }
  return std::make_pair(absl::ToUnixMicros(absl::FromCivil(from, tz_)),
                        absl::ToUnixMicros(absl::FromCivil(to, tz_)));
}

absl::StatusOr<EvaluationReply> Evaluator::Evaluate(const FactsSource& source,
                                                    const EvaluationRequest& request) const {
  LOTSE_ASSIGN_OR_RETURN(const auto period, PeriodMicros(request));
  const int64_t from_us = period.first;
  const int64_t to_us = period.second;
  const std::string& department = request.department();
  const std::string& office = request.office();
  if (!department.empty() && !office.empty()) {
    return InvalidField("office", "give either a department or an office, not both");
  }
  if (!department.empty()) {
    LOTSE_RETURN_IF_ERROR(service::CheckId("department", department));
    if (FindUnit(department) == nullptr) {
      return FieldError(
          absl::StatusCode::kNotFound, "department",
          StrCat("department ", Quoted(department), " is unknown: see 'lotse departments'"));
    }
  }
  if (!office.empty()) {
    LOTSE_RETURN_IF_ERROR(service::CheckId("office", office));
    if (FindOffice(office) == nullptr) {
      return FieldError(absl::StatusCode::kNotFound, "office",
                        StrCat("office ", Quoted(office), " is unknown: see 'lotse departments'"));
    }
  }

  std::map<std::string, Tally> by_unit;
  std::map<std::string, Tally> by_office;
  Tally total;
  LOTSE_RETURN_IF_ERROR(source([&](const ReferralFacts& f) {
    const int64_t start = StartOf(f);
    if (start == 0 || start < from_us || start >= to_us) {
      return;
    }
    const std::string& unit = HandlerOf(f);
    if ((!department.empty() && unit != department) || (!office.empty() && f.office() != office)) {
      return;
    }
    const calendar::BusinessCalendar* cal = CalendarFor(unit);
    total.Add(f, start, cal);
    if (office.empty() && !unit.empty()) {
      by_unit[unit].Add(f, start, cal);
    }
    if (department.empty() && !f.office().empty()) {
      by_office[f.office()].Add(f, start, cal);
    }
  }));

  EvaluationReply reply;
  reply.set_from(request.from());
  reply.set_to(request.to());
  reply.set_time_zone(tz_name_);
  reply.set_rebuilt(request.rebuild());
  auto add = [](auto* groups, const Unit* unit, const std::string& id, const Tally* tally) {
    EvaluationGroup* g = groups->Add();
    g->set_id(id);
    if (unit != nullptr) {
      g->set_name(unit->name);
      g->set_home_department(unit->home_department);
    }
    *g->mutable_figures() = tally != nullptr ? tally->Figures() : Tally().Figures();
  };
  // Configured units in order (the one asked for, if any), then ids seen but no longer
  // configured, by id.
  auto list = [&](auto* groups, const std::vector<Unit>& units,
                  std::map<std::string, Tally>& tallies, const std::string& only) {
    for (const Unit& u : units) {
      if (only.empty() || u.id == only) {
        auto it = tallies.find(u.id);
        add(groups, &u, u.id, it == tallies.end() ? nullptr : &it->second);
        if (it != tallies.end()) {
          tallies.erase(it);
        }
      }
    }
    for (const auto& [id, tally] : tallies) {
      add(groups, nullptr, id, &tally);
    }
  };
  if (office.empty()) {
    list(reply.mutable_departments(), units_, by_unit, department);
  }
  if (department.empty()) {
    list(reply.mutable_offices(), offices_, by_office, office);
  }
  *reply.mutable_total() = total.Figures();
  return reply;
}

absl::StatusOr<EvaluationReply> Evaluator::RebuildFromChain(
    const store::Store& store, const EvaluationRequest& request) const {
  LOTSE_ASSIGN_OR_RETURN(auto facts, ReplayChain(store));
  EvaluationRequest rebuilt = request;
  rebuilt.set_rebuild(true);
  return Evaluate(FactsIn(facts), rebuilt);
}

}  // namespace lotse::audit
