#include "services/intake/mirror.h"

namespace lotse::intake {

bool MirrorCaseWork(const lotse::v1::Envelope& event, lotse::v1::ReferralState& state) {
  switch (event.payload_case()) {
    case lotse::v1::Envelope::kReferralRouted: {
      const lotse::v1::ReferralRouted& routed = event.referral_routed();
      *state.mutable_contact_person() = routed.contact_person();
      state.set_stand_in_for(routed.stand_in_for());
      state.set_first_reaction_due_at_us(routed.first_reaction_due_at_us());
      state.set_first_reaction_warn_at_us(routed.first_reaction_warn_at_us());
      state.set_second_breach_at_us(routed.second_breach_at_us());
      state.set_assignee_since_us(event.occurred_at_us());
      return false;
    }
    case lotse::v1::Envelope::kForwarded: {
      const lotse::v1::Forwarded& forwarded = event.forwarded();
      *state.mutable_contact_person() = forwarded.contact_person();
      state.set_stand_in_for(forwarded.stand_in_for());
      state.set_warn_at_us(forwarded.warn_at_us());
      state.set_second_breach_at_us(forwarded.second_breach_at_us());
      state.set_second_escalated(false);
      state.set_assignee_since_us(event.occurred_at_us());
      return false;
    }
    case lotse::v1::Envelope::kClaimed:
      if (state.first_reacted_at_us() == 0) {
        state.set_first_reacted_at_us(event.occurred_at_us());
      }
      return false;
    case lotse::v1::Envelope::kCompanyAsked: {
      const lotse::v1::CompanyAsked& asked = event.company_asked();
      state.set_waiting_since_us(event.occurred_at_us());
      lotse::v1::CompanyQuestion* question = state.add_company_questions();
      question->set_question(asked.question());
      question->set_asked_by(asked.asked_by());
      question->set_asked_at_us(event.occurred_at_us());
      return true;
    }
    case lotse::v1::Envelope::kCompanyReplied: {
      const lotse::v1::CompanyReplied& replied = event.company_replied();
      state.set_waiting_since_us(0);
      for (int i = state.company_questions_size() - 1; i >= 0; --i) {
        lotse::v1::CompanyQuestion* question = state.mutable_company_questions(i);
        if (question->replied_at_us() == 0) {
          question->set_reply(replied.text());
          question->set_replied_by(replied.replied_by());
          question->set_replied_at_us(event.occurred_at_us());
          question->set_paused_business_us(replied.paused_business_us());
          break;
        }
      }
      state.set_paused_business_us(state.paused_business_us() + replied.paused_business_us());
      state.set_due_at_us(replied.due_at_us());
      state.set_warn_at_us(replied.warn_at_us());
      return true;
    }
    case lotse::v1::Envelope::kReopened: {
      // Open again with the same department or person; the earlier answer and the office's
      // feedback on it stay in the audit log's history, so the office can rate the new answer.
      const lotse::v1::Reopened& reopened = event.reopened();
      state.set_status(lotse::v1::REFERRAL_STATUS_ROUTED);
      state.set_assignee(reopened.assignee());
      *state.mutable_contact_person() = reopened.contact_person();
      state.clear_stand_in_for();
      state.set_due_at_us(reopened.due_at_us());
      state.set_warn_at_us(reopened.warn_at_us());
      state.set_reopen_count(reopened.reopen_count());
      state.clear_answer();
      state.clear_feedback();
      state.clear_claimed_by();
      state.set_warned(false);
      state.set_escalated(false);
      state.set_second_escalated(false);
      state.set_waiting_since_us(0);
      state.set_assignee_since_us(event.occurred_at_us());
      return true;
    }
    default:
      return false;
  }
}

void MirrorEscalation(const lotse::v1::Escalated& escalated, lotse::v1::ReferralState& state) {
  switch (escalated.deadline()) {
    case lotse::v1::DEADLINE_FIRST_REACTION:
      if (escalated.level() == lotse::v1::ESCALATION_LEVEL_WARNING) {
        state.set_first_reaction_warned(true);
      } else {
        state.set_first_reaction_escalated(true);
      }
      return;
    case lotse::v1::DEADLINE_CONSULTATION:
      return;
    default:
      break;
  }
  switch (escalated.level()) {
    case lotse::v1::ESCALATION_LEVEL_SECOND_BREACH:
      state.set_second_escalated(true);
      state.set_escalated(true);
      break;
    case lotse::v1::ESCALATION_LEVEL_BREACH:
      state.set_escalated(true);
      break;
    default:
      state.set_warned(true);
      break;
  }
}

}  // namespace lotse::intake
