#pragma once

// The requests `lotse` sends, built from what a person asked for: plain values in, one request
// message out. Nothing here parses argv, talks to a service or prints (requests_test.cc), so
// anything that asks on a person's behalf (the CLI now, a web gateway later) builds the same
// requests. The `*Args` structs are what the CLI's flags fill in (command_line.h and the
// *_commands.cc files declare the flags).
//
// Who acts is part of each request: an office as OFFICE <office>; a department or key account
// as DEPARTMENT <department> with its staff member as `user`; the directory, histories without
// an office or department, and the audit check as OPS; the evaluation of every unit as ADMIN.

#include <cstdint>
#include <string>
#include <vector>

#include "lotse/v1/audit.pb.h"
#include "lotse/v1/intake.pb.h"
#include "lotse/v1/notification.pb.h"
#include "lotse/v1/routing.pb.h"
#include "lotse/v1/web.pb.h"

namespace lotse::client {

// `key`, or a new random idempotency key (32 hex digits) when it is empty.
std::string KeyOrRandom(const std::string& key);

// lotse departments | topics | offices | key-accounts: the directory, as ops.
lotse::v1::RoutingRequest DirectoryRequest();

// lotse submit: a company's question, from a citizen office.
struct SubmitArgs {
  std::string office, company_id, company_name, topic, subject, text;
  uint32_t employees = 0;
  std::string contact_name, contact_email, contact_phone;
  std::string priority = "normal";  // input.h ParsePriority; anything else is "normal"
  std::string key;                  // idempotency key; empty: a random one
  bool consent_email = false;       // the contact agreed to get the answer by e-mail
};
lotse::v1::IntakeRequest SubmitRequest(const SubmitArgs& args);

// lotse status REF --office O: intake's view of a referral, as the office.
lotse::v1::IntakeRequest OfficeReferralRequest(const std::string& ref, const std::string& office);
// lotse status REF --department D: routing's full record, as the department.
lotse::v1::RoutingRequest DepartmentReferralRequest(const std::string& ref,
                                                    const std::string& department);

// lotse feedback: the office rates the answer; this closes the referral.
struct FeedbackArgs {
  std::string ref, office;
  std::string resolved;  // input.h ParseYesNo; anything else is "no"
  std::string comment, key;
  int rating = 0;
  std::string code;  // the company's feedback code: CompanyFeedbackRequest instead
};
lotse::v1::IntakeRequest FeedbackRequest(const FeedbackArgs& args);

// lotse worklist: a department's open referrals, one page.
struct WorklistArgs {
  std::string department, user;
  uint32_t limit = 0;
  std::string after;  // a page's `next`
};
lotse::v1::RoutingRequest WorklistRequest(const WorklistArgs& args);

// The changing commands of a department: claim, unclaim, forward, consult, contribute, answer.
enum class Change { kClaim, kUnclaim, kForward, kConsult, kContribute, kAnswer };
struct ChangeArgs {
  std::string ref, department, user, key;
  std::string to, reason;         // forward
  std::vector<std::string> with;  // consult
  std::string question;           // consult
  std::string text;               // contribute, answer
  std::string outcome;            // answer: input.h ParseOutcome
  int64_t due_at_us = 0;          // consult: --due, read in the city's time (ParseCityTime)
  std::string due;                // consult: --due as typed
  bool confirm = false;           // answer: although consultations are still open
};
lotse::v1::RoutingRequest ChangeRequest(Change change, const ChangeArgs& args);

// lotse inbox: an office's (or, without office, a department's) inbox. The first page; the
// caller acknowledges what it has shown in the next request (`inbox.ack`).
struct InboxArgs {
  std::string office, department;
  // Another inbox than the caller's own: "staff/<id>" (the person's department, or admin without
  // --office/--department) or "head" (admin).
  std::string inbox;
  bool follow = false;  // park each request at the service for up to 20 s
};
lotse::v1::NotificationRequest InboxRequest(const InboxArgs& args);

// lotse evaluation: the joint evaluation of [from, to). An office or department asks for its
// own figures; without either, or with `rebuild`, the request is made as admin.
struct EvaluationArgs {
  std::string from, to, department, office;
  bool rebuild = false;
};
lotse::v1::AuditRequest EvaluationRequest(const EvaluationArgs& args);

// lotse history: a referral's events, as the office, else the department, else ops. The first
// page; the caller asks for the next ones with `history.after_index`.
struct HistoryArgs {
  std::string ref, office, department;
};
lotse::v1::AuditRequest HistoryRequest(const HistoryArgs& args);

// lotse audit verify: walk the audit log's hash chain, as ops.
lotse::v1::AuditRequest VerifyRequest();

// Personal data (erasure_commands.cc), as admin. lotse erase: one referral (`ref`) or every
// referral of a contact person (`contact_email`), with the reason kept in the audit log.
lotse::v1::IntakeRequest EraseRequest(const std::string& ref, const std::string& contact_email,
                                      const std::string& reason, const std::string& key);
// lotse personal-data: what intake holds about the contact person with this e-mail.
lotse::v1::IntakeRequest PersonalDataRequest(const std::string& contact_email);
// A referral's whole history, as admin (personal data included).
lotse::v1::AuditRequest AdminHistoryRequest(const std::string& ref, uint64_t after_index);

// Case work, intake's side (receipt_commands.cc).
// lotse receipt REF: the receipt, as the office (as admin without one).
lotse::v1::IntakeRequest ReceiptRequest(const std::string& ref, const std::string& office);
// lotse feedback --code C: the company's own rating, passed on by an office terminal (as admin
// without --office); `resolved` is left out unless yes or no was given.
lotse::v1::IntakeRequest CompanyFeedbackRequest(const FeedbackArgs& args);
// lotse referrals --office O: one page of the office's own referrals ("Unsere Anfragen"), newest
// first, as the office; with `admin`, any one office's, as admin. Words and dates go to intake
// as given: intake refuses what it does not accept, naming the field.
struct ListReferralsArgs {
  std::string office;
  bool admin = false;
  std::vector<std::string> states;  // open|waiting|answered|closed; none: every state
  std::string search;               // in the subject or the company's name, without case
  std::string from, to;             // submitted in [from, to): YYYY-MM-DD, the city's dates
  uint32_t limit = 0;               // 0: intake's default (50); at most 200
  std::string after;                // a page's `next`
};
lotse::v1::IntakeRequest ListReferralsRequest(const ListReferralsArgs& args);
// lotse follow-up REF --text X: the office's follow-up question on an answered referral.
lotse::v1::IntakeRequest FollowUpRequest(const std::string& ref, const std::string& office,
                                         const std::string& text, const std::string& key);

// Waiting on the company (casework_commands.cc).
// lotse ask-company: the department asks the company a question back; the answer clock pauses.
struct AskCompanyArgs {
  std::string ref, department, user, question, key;
};
lotse::v1::RoutingRequest AskCompanyRequest(const AskCompanyArgs& args);
// lotse company-replied: the company's reply, entered by the office (if given) or the department.
struct CompanyRepliedArgs {
  std::string ref, office, department, user, text, key;
};
lotse::v1::RoutingRequest CompanyRepliedRequest(const CompanyRepliedArgs& args);

// Attachments (attachment_commands.cc), as the office if given, else the department, else admin.
// lotse attach: one chunk of an upload (at most 512 KiB of `data` at `offset`); every chunk of
// one file carries the same key, size and sha256 (hex, of the whole file).
struct AttachArgs {
  std::string ref, office, department, name, key;
  uint64_t size = 0;
  std::string sha256;
  uint64_t offset = 0;
  std::string data;
};
lotse::v1::IntakeRequest AttachRequest(const AttachArgs& args);
// lotse attachment REF NAME: the attachment's bytes from `offset` on (as many as fit in one
// reply); lotse attachments REF: with an empty name, the list of the referral's attachments.
struct AttachmentArgs {
  std::string ref, office, department, name;
  uint64_t offset = 0;
};
lotse::v1::IntakeRequest AttachmentRequest(const AttachmentArgs& args);

// lotse similar REF: the department's earlier answers like REF (as admin without department).
struct SimilarArgs {
  std::string ref, department, user;
  uint32_t limit = 0;
};
lotse::v1::RoutingRequest SimilarRequest(const SimilarArgs& args);

// lotse company ID: the company's file, one page, as the office, else the department, else
// admin.
struct CompanyArgs {
  std::string company_id, office, department, after;
  uint32_t limit = 0;
};
lotse::v1::RoutingRequest CompanyRequest(const CompanyArgs& args);

// lotse users: the web terminal's accounts, as admin (lotse-web's accounts door).
struct AddAccountArgs {
  std::string login, display_name, password;
  std::vector<lotse::v1::AccountRole> roles;  // words.h ParseAccountRole
  std::string key;                            // idempotency key; empty: a random one
};
lotse::v1::AccountRequest AccountAddRequest(const AddAccountArgs& args);
lotse::v1::AccountRequest AccountPasswordRequest(const std::string& login,
                                                 const std::string& password);
lotse::v1::AccountRequest AccountDisabledRequest(const std::string& login, bool disabled);
lotse::v1::AccountRequest AccountListRequest();

}  // namespace lotse::client
