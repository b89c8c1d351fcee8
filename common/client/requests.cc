#include "common/client/requests.h"

#include "common/client/client.h"
#include "common/client/words.h"

namespace lotse::client {
namespace {

using lotse::v1::ActorKind;

lotse::v1::Actor MakeActor(ActorKind kind, const std::string& id = "",
                           const std::string& user = "") {
  lotse::v1::Actor actor;
  actor.set_kind(kind);
  actor.set_id(id);
  actor.set_user(user);
  return actor;
}

// The office if there is one, else the department if there is one, else `otherwise`.
lotse::v1::Actor OfficeOrDepartment(const std::string& office, const std::string& department,
                                    ActorKind otherwise) {
  if (!office.empty()) {
    return MakeActor(lotse::v1::ACTOR_KIND_OFFICE, office);
  }
  if (!department.empty()) {
    return MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, department);
  }
  return MakeActor(otherwise);
}

}  // namespace

std::string KeyOrRandom(const std::string& key) { return key.empty() ? RandomHex(32) : key; }

lotse::v1::RoutingRequest DirectoryRequest() {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_OPS);
  request.mutable_directory();
  return request;
}

lotse::v1::IntakeRequest SubmitRequest(const SubmitArgs& args) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_OFFICE, args.office);
  lotse::v1::SubmitReferralRequest* submit = request.mutable_submit();
  submit->set_idempotency_key(KeyOrRandom(args.key));
  lotse::v1::Referral* r = submit->mutable_referral();
  r->set_office(args.office);
  r->set_company_id(args.company_id);
  r->set_company_name(args.company_name);
  r->set_employees(args.employees);
  r->mutable_contact()->set_name(args.contact_name);
  r->mutable_contact()->set_email(args.contact_email);
  r->mutable_contact()->set_phone(args.contact_phone);
  r->mutable_contact()->set_consent_email(args.consent_email);
  r->set_topic(args.topic);
  r->set_subject(args.subject);
  r->set_text(args.text);
  r->set_priority(ParsePriority(args.priority).value_or(lotse::v1::PRIORITY_NORMAL));
  return request;
}

lotse::v1::IntakeRequest OfficeReferralRequest(const std::string& ref, const std::string& office) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_OFFICE, office);
  request.mutable_get()->set_ref(ref);
  return request;
}

lotse::v1::RoutingRequest DepartmentReferralRequest(const std::string& ref,
                                                    const std::string& department) {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, department);
  request.mutable_get()->set_ref(ref);
  return request;
}

lotse::v1::IntakeRequest FeedbackRequest(const FeedbackArgs& args) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_OFFICE, args.office);
  lotse::v1::SubmitFeedbackRequest* feedback = request.mutable_feedback();
  feedback->set_idempotency_key(KeyOrRandom(args.key));
  feedback->set_ref(args.ref);
  feedback->set_rating(args.rating);
  feedback->set_resolved(ParseYesNo(args.resolved).value_or(false));
  feedback->set_comment(args.comment);
  return request;
}

lotse::v1::RoutingRequest WorklistRequest(const WorklistArgs& args) {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() =
      MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, args.department, args.user);
  request.mutable_worklist()->set_assignee(args.department);
  request.mutable_worklist()->set_limit(args.limit);
  request.mutable_worklist()->set_after(args.after);
  request.mutable_worklist()->set_user(args.user);  // only that person's items
  return request;
}

lotse::v1::RoutingRequest ChangeRequest(Change change, const ChangeArgs& args) {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() =
      MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, args.department, args.user);
  request.set_idempotency_key(KeyOrRandom(args.key));
  switch (change) {
    case Change::kClaim:
      request.mutable_claim()->set_ref(args.ref);
      break;
    case Change::kUnclaim:
      request.mutable_unclaim()->set_ref(args.ref);
      break;
    case Change::kForward:
      request.mutable_forward()->set_ref(args.ref);
      request.mutable_forward()->set_to(args.to);
      request.mutable_forward()->set_reason(args.reason);
      break;
    case Change::kConsult:
      request.mutable_consult()->set_ref(args.ref);
      for (const std::string& d : args.with) {
        request.mutable_consult()->add_departments(d);
      }
      request.mutable_consult()->set_question(args.question);
      request.mutable_consult()->set_due_at_us(args.due_at_us);
      break;
    case Change::kContribute:
      request.mutable_contribute()->set_ref(args.ref);
      request.mutable_contribute()->set_text(args.text);
      break;
    case Change::kAnswer:
      request.mutable_answer()->set_ref(args.ref);
      request.mutable_answer()->set_text(args.text);
      request.mutable_answer()->set_outcome(
          ParseOutcome(args.outcome).value_or(lotse::v1::OUTCOME_UNSPECIFIED));
      request.mutable_answer()->set_confirm_open_consultations(args.confirm);
      break;
  }
  return request;
}

lotse::v1::NotificationRequest InboxRequest(const InboxArgs& args) {
  lotse::v1::NotificationRequest request;
  *request.mutable_actor() = OfficeOrDepartment(
      args.office, args.department,
      args.inbox.empty() ? lotse::v1::ACTOR_KIND_DEPARTMENT : lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_inbox()->set_wait_ms(args.follow ? 20000 : 0);
  request.mutable_inbox()->set_inbox(args.inbox);
  return request;
}

lotse::v1::AuditRequest EvaluationRequest(const EvaluationArgs& args) {
  lotse::v1::AuditRequest request;
  lotse::v1::EvaluationRequest* e = request.mutable_evaluation();
  e->set_from(args.from);
  e->set_to(args.to);
  e->set_rebuild(args.rebuild);
  e->set_office(args.office);
  e->set_department(args.department);
  // Every unit, or a rebuild: admin's.
  *request.mutable_actor() =
      args.rebuild ? MakeActor(lotse::v1::ACTOR_KIND_ADMIN)
                   : OfficeOrDepartment(args.office, args.department, lotse::v1::ACTOR_KIND_ADMIN);
  return request;
}

lotse::v1::AuditRequest HistoryRequest(const HistoryArgs& args) {
  lotse::v1::AuditRequest request;
  *request.mutable_actor() =
      OfficeOrDepartment(args.office, args.department, lotse::v1::ACTOR_KIND_OPS);
  request.mutable_history()->set_ref(args.ref);
  return request;
}

lotse::v1::AuditRequest VerifyRequest() {
  lotse::v1::AuditRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_OPS);
  request.mutable_verify();
  return request;
}

lotse::v1::IntakeRequest EraseRequest(const std::string& ref, const std::string& contact_email,
                                      const std::string& reason, const std::string& key) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_ADMIN);
  lotse::v1::EraseRequest* erase = request.mutable_erase();
  erase->set_idempotency_key(KeyOrRandom(key));
  erase->set_ref(ref);
  erase->set_contact_email(contact_email);
  erase->set_reason(reason);
  return request;
}

lotse::v1::IntakeRequest PersonalDataRequest(const std::string& contact_email) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_personal_data()->set_contact_email(contact_email);
  return request;
}

lotse::v1::AuditRequest AdminHistoryRequest(const std::string& ref, uint64_t after_index) {
  lotse::v1::AuditRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_history()->set_ref(ref);
  request.mutable_history()->set_after_index(after_index);
  return request;
}

lotse::v1::IntakeRequest ReceiptRequest(const std::string& ref, const std::string& office) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = office.empty() ? MakeActor(lotse::v1::ACTOR_KIND_ADMIN)
                                            : MakeActor(lotse::v1::ACTOR_KIND_OFFICE, office);
  request.mutable_receipt()->set_ref(ref);
  return request;
}

lotse::v1::IntakeRequest CompanyFeedbackRequest(const FeedbackArgs& args) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = args.office.empty()
                                 ? MakeActor(lotse::v1::ACTOR_KIND_ADMIN)
                                 : MakeActor(lotse::v1::ACTOR_KIND_OFFICE, args.office);
  lotse::v1::CompanyFeedbackRequest* feedback = request.mutable_company_feedback();
  feedback->set_idempotency_key(KeyOrRandom(args.key));
  feedback->set_code(args.code);
  feedback->set_rating(args.rating);
  if (std::optional<bool> resolved = ParseYesNo(args.resolved); resolved.has_value()) {
    feedback->set_resolved(*resolved);
  }
  feedback->set_comment(args.comment);
  return request;
}

lotse::v1::IntakeRequest ListReferralsRequest(const ListReferralsArgs& args) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = args.admin ? MakeActor(lotse::v1::ACTOR_KIND_ADMIN)
                                        : MakeActor(lotse::v1::ACTOR_KIND_OFFICE, args.office);
  lotse::v1::ListReferralsRequest* list = request.mutable_list_referrals();
  list->set_office(args.office);
  list->set_limit(args.limit);
  list->set_after(args.after);
  for (const std::string& state : args.states) {
    list->add_states(state);
  }
  list->set_search(args.search);
  list->set_submitted_from(args.from);
  list->set_submitted_to(args.to);
  return request;
}

lotse::v1::IntakeRequest FollowUpRequest(const std::string& ref, const std::string& office,
                                         const std::string& text, const std::string& key) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_OFFICE, office);
  lotse::v1::FollowUpRequest* follow_up = request.mutable_follow_up();
  follow_up->set_idempotency_key(KeyOrRandom(key));
  follow_up->set_ref(ref);
  follow_up->set_text(text);
  return request;
}

lotse::v1::RoutingRequest AskCompanyRequest(const AskCompanyArgs& args) {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() =
      MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, args.department, args.user);
  request.set_idempotency_key(KeyOrRandom(args.key));
  request.mutable_ask_company()->set_ref(args.ref);
  request.mutable_ask_company()->set_question(args.question);
  return request;
}

lotse::v1::RoutingRequest CompanyRepliedRequest(const CompanyRepliedArgs& args) {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() =
      args.office.empty() ? MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT, args.department, args.user)
                          : MakeActor(lotse::v1::ACTOR_KIND_OFFICE, args.office);
  request.set_idempotency_key(KeyOrRandom(args.key));
  request.mutable_company_replied()->set_ref(args.ref);
  request.mutable_company_replied()->set_text(args.text);
  return request;
}

lotse::v1::IntakeRequest AttachRequest(const AttachArgs& args) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() =
      OfficeOrDepartment(args.office, args.department, lotse::v1::ACTOR_KIND_ADMIN);
  lotse::v1::AttachRequest* attach = request.mutable_attach();
  attach->set_idempotency_key(KeyOrRandom(args.key));
  attach->set_ref(args.ref);
  attach->set_name(args.name);
  attach->set_size(args.size);
  attach->set_sha256(args.sha256);
  attach->set_offset(args.offset);
  attach->set_data(args.data);
  return request;
}

lotse::v1::IntakeRequest AttachmentRequest(const AttachmentArgs& args) {
  lotse::v1::IntakeRequest request;
  *request.mutable_actor() =
      OfficeOrDepartment(args.office, args.department, lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_attachment()->set_ref(args.ref);
  request.mutable_attachment()->set_name(args.name);
  request.mutable_attachment()->set_offset(args.offset);
  return request;
}

lotse::v1::RoutingRequest SimilarRequest(const SimilarArgs& args) {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() = args.department.empty() ? MakeActor(lotse::v1::ACTOR_KIND_ADMIN)
                                                     : MakeActor(lotse::v1::ACTOR_KIND_DEPARTMENT,
                                                                 args.department, args.user);
  request.mutable_similar()->set_ref(args.ref);
  request.mutable_similar()->set_limit(args.limit);
  return request;
}

lotse::v1::RoutingRequest CompanyRequest(const CompanyArgs& args) {
  lotse::v1::RoutingRequest request;
  *request.mutable_actor() =
      OfficeOrDepartment(args.office, args.department, lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_company()->set_company_id(args.company_id);
  request.mutable_company()->set_limit(args.limit);
  request.mutable_company()->set_after(args.after);
  return request;
}

lotse::v1::AccountRequest AccountAddRequest(const AddAccountArgs& args) {
  lotse::v1::AccountRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_ADMIN);
  lotse::v1::AddAccountRequest* add = request.mutable_add();
  add->set_login(args.login);
  add->set_display_name(args.display_name);
  for (const lotse::v1::AccountRole& role : args.roles) {
    *add->add_roles() = role;
  }
  add->set_password(args.password);
  add->set_key(KeyOrRandom(args.key));
  return request;
}

lotse::v1::AccountRequest AccountPasswordRequest(const std::string& login,
                                                 const std::string& password) {
  lotse::v1::AccountRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_passwd()->set_login(login);
  request.mutable_passwd()->set_password(password);
  return request;
}

lotse::v1::AccountRequest AccountDisabledRequest(const std::string& login, bool disabled) {
  lotse::v1::AccountRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_disable()->set_login(login);
  request.mutable_disable()->set_disabled(disabled);
  return request;
}

lotse::v1::AccountRequest AccountListRequest() {
  lotse::v1::AccountRequest request;
  *request.mutable_actor() = MakeActor(lotse::v1::ACTOR_KIND_ADMIN);
  request.mutable_list();
  return request;
}

}  // namespace lotse::client
