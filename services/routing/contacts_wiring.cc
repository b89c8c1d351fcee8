// Routing's case work wiring for named contact persons, stand-ins and the company file: the
// commands `contacts`, `absence` and `company`, the contact person of a routed or forwarded
// referral, and the store reads they need. The decisions are the pure functions of contacts.h.
#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "common/clock/clock.h"
#include "common/format.h"
#include "common/service/errors.h"
#include "common/service/runner.h"
#include "common/status_macros.h"
#include "services/routing/routing_service.h"
#include "spdlog/spdlog.h"

namespace lotse::routing {
namespace {

using lotse::v1::AbsenceSet;
using lotse::v1::Envelope;
using lotse::v1::ReferralState;
using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;
using service::FieldError;

std::string Prefix(std::string_view id) { return StrCat(id, std::string(1, '\0')); }

void AddInvolved(ReferralState& s, const std::string& who) {
  if (who.empty() ||
      std::find(s.involved().begin(), s.involved().end(), who) != s.involved().end()) {
    return;
  }
  s.add_involved(who);
}

bool Involved(const ReferralState& s, const std::string& who) {
  if (s.assignee() == who || s.key_account() == who ||
      std::find(s.involved().begin(), s.involved().end(), who) != s.involved().end()) {
    return true;
  }
  for (const lotse::v1::Consultation& c : s.consultations()) {
    if (c.department() == who) {
      return true;
    }
  }
  return false;
}

// A cursor of a paged reply: the hex of the last key's part after the prefix. Anything else
// is refused rather than guessed at.
absl::StatusOr<std::string> FirstKey(std::string_view prefix, const std::string& after,
                                     std::string_view what) {
  if (after.empty()) {
    return std::string(prefix);
  }
  const bool hex = after.size() % 2 == 0 && std::all_of(after.begin(), after.end(),
                                                        absl::ascii_isxdigit);
  if (!hex) {
    return service::InvalidField(
        "after", StrCat("after is not a ", what,
                        " reply's 'next': pass it unchanged, or leave it empty for the first "
                        "page"));
  }
  return StrCat(prefix, absl::HexStringToBytes(after), std::string(1, '\0'));
}

}  // namespace

std::string RoutingService::Today(absl::Time now) const { return DayOf(now, config_.city.zone); }

absl::StatusOr<std::map<std::string, std::string>> RoutingService::ScanThrough(
    const store::Batch& batch, store::Cf cf, std::string_view prefix,
    std::set<std::string, std::less<>>& pending) {
  std::map<std::string, std::string> out;
  LOTSE_RETURN_IF_ERROR(store_->Scan(cf, prefix, "", [&](std::string_view k, std::string_view v) {
    out.emplace(std::string(k), std::string(v));
    return true;
  }));
  // The keys this batch put or deleted (`pending`; only those under the prefix: the set is
  // ordered), each read through the batch. The set is emptied after every commit (AfterCommit),
  // so the rest of what the store holds is as committed: no read per key, which made routing
  // one referral cost as much as its contact person's open items.
  for (auto it = pending.lower_bound(prefix);
       it != pending.end() && std::string_view(*it).substr(0, prefix.size()) == prefix; ++it) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> in_batch, batch.Get(cf, *it));
    if (in_batch.has_value()) {
      out[*it] = *std::move(in_batch);
    } else {
      out.erase(*it);
    }
  }
  return out;
}

absl::StatusOr<Absences> RoutingService::LoadAbsences(const store::Batch& batch,
                                                      std::string_view user) {
  LOTSE_ASSIGN_OR_RETURN(
      auto entries,
      ScanThrough(batch, kAbsences, user.empty() ? "" : Prefix(user), pending_absences_));
  Absences out;
  for (const auto& [key, value] : entries) {
    if (!out.emplace_back().ParseFromString(value)) {
      return absl::DataLossError("an absence record is damaged");
    }
  }
  return out;
}

absl::StatusOr<uint32_t> RoutingService::OpenItems(const store::Batch& batch,
                                                   std::string_view staff_id) {
  LOTSE_ASSIGN_OR_RETURN(const uint64_t open, counts_.Count(batch, kContacts, staff_id));
  return static_cast<uint32_t>(open);
}

void RoutingService::AssignContact(store::Batch& batch, Outcome& outcome, absl::Time now) {
  ReferralState& s = outcome.state;
  // The specialist of `department` for this referral: nullopt for a department without staff,
  // or if the store cannot be read (the referral still reaches the department's worklist).
  auto choose = [&](const std::string& department_id, std::string_view topic,
                    std::string_view question) -> std::optional<ContactChoice> {
    const config::Department* department = config_.FindDepartment(department_id);
    if (department == nullptr || department->staff.empty()) {
      return std::nullopt;
    }
    absl::StatusOr<Absences> absences = LoadAbsences(batch);
    OpenCounts open;
    absl::Status read = absences.status();
    for (const config::StaffMember& m : department->staff) {
      if (!read.ok()) {
        break;
      }
      absl::StatusOr<uint32_t> items = OpenItems(batch, m.id);
      read = items.status();
      open[m.id] = items.ok() ? *items : 0;
    }
    if (!read.ok()) {
      spdlog::error("referral {}: no contact person chosen in {}, the store could not be read: {}",
                    s.case_number(), department_id, read.message());
      return std::nullopt;
    }
    return ChooseContact(*department, topic, s.referral().subject(), question, open, *absences,
                         Today(now));
  };
  for (Envelope& e : outcome.events) {
    if (e.has_consultation_opened()) {
      for (const std::string& d : e.consultation_opened().departments()) {
        AddInvolved(s, d);
      }
      // Each newly consulted department's contribution is someone's item too.
      for (lotse::v1::Consultation& c : *s.mutable_consultations()) {
        if (c.contributed_at_us() != 0 || c.has_contact_person()) {
          continue;
        }
        // Asked about another department's case: any of its staff, by the question's words.
        if (std::optional<ContactChoice> choice = choose(c.department(), "", c.question())) {
          *c.mutable_contact_person() = choice->contact;
          c.set_stand_in_for(choice->stand_in_for);
          *e.mutable_consultation_opened()->add_contacts() = choice->contact;
        }
      }
    }
    if (!e.has_referral_routed() && !e.has_forwarded()) {
      continue;
    }
    AddInvolved(s, s.assignee());
    // A new assignee: the previous contact person is no longer the one.
    s.clear_contact_person();
    s.clear_stand_in_for();
    if (config_.FindKeyAccount(s.assignee()) != nullptr) {
      if (absl::StatusOr<Absences> absences = LoadAbsences(batch); absences.ok()) {
        StandInForKeyAccount(s, e, *absences, now);
      }
      continue;  // a KAM is the person itself: no contact person
    }
    std::optional<ContactChoice> choice =
        choose(s.assignee(), s.referral().topic(), s.referral().text());
    if (!choice.has_value()) {
      continue;
    }
    *s.mutable_contact_person() = choice->contact;
    s.set_stand_in_for(choice->stand_in_for);
    if (e.has_referral_routed()) {
      *e.mutable_referral_routed()->mutable_contact_person() = choice->contact;
      e.mutable_referral_routed()->set_stand_in_for(choice->stand_in_for);
    } else {
      *e.mutable_forwarded()->mutable_contact_person() = choice->contact;
      e.mutable_forwarded()->set_stand_in_for(choice->stand_in_for);
    }
  }
}

void RoutingService::StandInForKeyAccount(ReferralState& s, Envelope& e, const Absences& absences,
                                          absl::Time now) {
  const std::string absent = s.assignee();
  const std::string substitute = SubstituteOn(absences, absent, Today(now));
  if (substitute.empty() || config_.FindKeyAccount(substitute) == nullptr ||
      (e.has_forwarded() && e.forwarded().from() == substitute)) {
    return;
  }
  // The substitute KAM works it, on its own clock; key_account stays the company's own KAM, who
  // still sees the referral.
  const Deadlines deadlines = rules_.Schedule(substitute, now);
  s.set_assignee(substitute);
  s.set_stand_in_for(absent);
  s.set_due_at_us(clock::ToMicros(deadlines.due));
  s.set_warn_at_us(clock::ToMicros(deadlines.warn));
  AddInvolved(s, substitute);
  if (e.has_referral_routed()) {
    lotse::v1::ReferralRouted* routed = e.mutable_referral_routed();
    routed->set_assignee(substitute);
    routed->set_stand_in_for(absent);
    routed->set_due_at_us(s.due_at_us());
    routed->set_warn_at_us(s.warn_at_us());
  } else {
    lotse::v1::Forwarded* forwarded = e.mutable_forwarded();
    forwarded->set_to(substitute);
    forwarded->set_stand_in_for(absent);
    forwarded->set_due_at_us(s.due_at_us());
    forwarded->set_warn_at_us(s.warn_at_us());
  }
}

absl::StatusOr<std::vector<std::string>> RoutingService::StandsInFor(const store::Batch& batch,
                                                                     std::string_view kam,
                                                                     absl::Time now) {
  std::vector<std::string> absent;
  if (config_.FindKeyAccount(kam) == nullptr) {
    return absent;
  }
  LOTSE_ASSIGN_OR_RETURN(Absences absences, LoadAbsences(batch));
  const std::string today = Today(now);
  for (const config::KeyAccount& k : config_.key_accounts) {
    if (k.id != kam && SubstituteOn(absences, k.id, today) == kam) {
      absent.push_back(k.id);
    }
  }
  return absent;
}

absl::StatusOr<lotse::v1::Actor> RoutingService::ActingFor(const store::Batch& batch,
                                                           const lotse::v1::Actor& actor,
                                                           std::string_view holder,
                                                           absl::Time now) {
  if (actor.kind() != lotse::v1::ACTOR_KIND_DEPARTMENT || actor.id() == holder ||
      config_.FindKeyAccount(actor.id()) == nullptr || config_.FindKeyAccount(holder) == nullptr) {
    return actor;
  }
  LOTSE_ASSIGN_OR_RETURN(Absences absences, LoadAbsences(batch));  // a substitute may be away too
  if (SubstituteOn(absences, holder, Today(now)) != actor.id()) {
    return actor;
  }
  lotse::v1::Actor acting = actor;
  acting.set_id(std::string(holder));
  acting.set_user(actor.id());
  return acting;
}

absl::Status RoutingService::CheckWorklistUser(std::string_view assignee,
                                               std::string_view user) const {
  const config::Department* department = config_.FindDepartment(assignee);
  if (department != nullptr && department->FindStaff(user) != nullptr) {
    return absl::OkStatus();
  }
  return FieldError(absl::StatusCode::kNotFound, "user",
                    StrCat("'", user, "' is not a staff member of ", assignee,
                           ": see 'lotse contacts --department ", assignee, "'"));
}

absl::Status RoutingService::KeepCompanyFeedback(const Envelope& event, store::Batch& batch) {
  LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                         referrals_.Find(batch, event.referral_id()));
  if (!found.has_value()) {
    return absl::NotFoundError(StrCat("company feedback for referral ", event.referral_id(),
                                      " which routing does not know"));
  }
  // State only, no event of routing's own (Save writes only outcomes with events): the rating
  // changes none of the referral's index entries, so the record alone is written.
  const lotse::v1::CompanyFeedbackSubmitted& f = event.company_feedback_submitted();
  lotse::v1::Feedback* kept = found->mutable_company_feedback();
  kept->set_rating(f.rating());
  kept->set_resolved(f.resolved());
  kept->set_comment(f.comment());
  kept->set_submitted_at_us(event.occurred_at_us());
  referrals_.Update(batch, *found);
  return absl::OkStatus();
}

RoutingService::Reply RoutingService::Contacts(const RoutingRequest& request,
                                               service::CommandContext& context) {
  const lotse::v1::ContactsRequest& c = request.contacts();
  if (!c.department().empty() && config_.FindDepartment(c.department()) == nullptr) {
    return FieldError(absl::StatusCode::kNotFound, "department",
                      StrCat("department '", c.department(),
                             "' is unknown: see 'lotse departments'"));
  }
  if (!c.topic().empty() && config_.FindTopic(c.topic()) == nullptr) {
    return FieldError(absl::StatusCode::kNotFound, "topic",
                      StrCat("topic '", c.topic(), "' is unknown: see 'lotse topics'"));
  }
  LOTSE_ASSIGN_OR_RETURN(Absences absences, LoadAbsences(context.batch));
  const std::string today = Today(context.now);
  RoutingReply reply;
  lotse::v1::ContactsReply* out = reply.mutable_contacts();
  for (const config::Department& d : config_.departments) {
    if (!c.department().empty() && d.id != c.department()) {
      continue;
    }
    for (const config::StaffMember& m : d.staff) {
      if (!c.topic().empty() &&
          std::find(m.topics.begin(), m.topics.end(), c.topic()) == m.topics.end()) {
        continue;
      }
      lotse::v1::ContactsReply::Entry* entry = out->add_entries();
      *entry->mutable_contact() = ToContact(d, m);
      for (const std::string& t : m.topics) {
        entry->add_topics(t);
      }
      for (const std::string& k : m.keywords) {
        entry->add_keywords(k);
      }
      entry->set_lead(d.lead == m.id);
      LOTSE_ASSIGN_OR_RETURN(uint32_t open, OpenItems(context.batch, m.id));
      entry->set_open_items(open);
      // The absence in force today, else the next one.
      const AbsenceSet* shown = AbsenceOn(absences, m.id, today);
      for (const AbsenceSet& a : absences) {
        if (shown == nullptr && a.user() == m.id && !a.cancelled() && a.from_date() > today) {
          shown = &a;
        } else if (shown != nullptr && shown->from_date() > today && a.user() == m.id &&
                   !a.cancelled() && a.from_date() > today && a.from_date() < shown->from_date()) {
          shown = &a;
        }
      }
      if (shown != nullptr) {
        entry->set_absent_from(shown->from_date());
        entry->set_absent_to(shown->to_date());
        entry->set_substitute(shown->substitute());
      }
    }
  }
  return reply;
}

RoutingService::Reply RoutingService::Absence(const RoutingRequest& request,
                                              service::CommandContext& context) {
  store::Batch& batch = context.batch;
  const lotse::v1::AbsenceRequest& a = request.absence();
  LOTSE_RETURN_IF_ERROR(service::CheckId("idempotency_key", request.idempotency_key()));
  LOTSE_RETURN_IF_ERROR(service::CheckId("user", a.user()));
  LOTSE_ASSIGN_OR_RETURN(Retry retry, FindRetry(batch, request));
  if (retry.stored.has_value()) {
    return *std::move(retry.stored);
  }
  LOTSE_ASSIGN_OR_RETURN(Absences existing, LoadAbsences(batch, a.user()));
  LOTSE_ASSIGN_OR_RETURN(AbsenceSet set, CheckAbsence(config_, request.actor(), a, existing,
                                                      Today(context.now)));
  const std::string record = StrCat(Prefix(set.user()), set.from_date());
  if (set.cancelled()) {
    batch.Delete(kAbsences, record);
  } else {
    batch.Put(kAbsences, record, set.SerializeAsString());
  }
  pending_absences_.insert(record);
  Envelope event;  // about a person, not a referral: referral_id stays empty
  *event.mutable_actor() = request.actor();
  *event.mutable_absence_set() = set;
  service::Emit(batch, *store_, "routing", context.now, event);
  RoutingReply reply;
  reply.mutable_absence()->set_user(set.user());
  LOTSE_ASSIGN_OR_RETURN(Absences now_recorded, LoadAbsences(batch, set.user()));
  for (AbsenceSet& recorded : now_recorded) {
    *reply.mutable_absence()->add_absences() = std::move(recorded);
  }
  service::StoreReply(batch, retry.key, retry.fingerprint, reply.SerializeAsString(),
                      context.now);
  spdlog::info("absence of {} from {} to {} ({}) {} by {}", set.user(), set.from_date(),
               set.to_date(), set.substitute(), set.cancelled() ? "cancelled" : "recorded",
               request.actor().id());
  return reply;
}

RoutingService::Reply RoutingService::Company(const RoutingRequest& request,
                                              service::CommandContext& context) {
  const lotse::v1::CompanyRequest& c = request.company();
  LOTSE_RETURN_IF_ERROR(service::CheckText("company_id", c.company_id(), 128, true));
  const lotse::v1::Actor& actor = request.actor();
  const config::KeyAccount* kam = config_.KeyAccountForCompany(c.company_id());
  // Admin and the company's KAM see the whole file; a department what it was involved in; an
  // office what it submitted. Unknown company or nothing visible: an empty file, which tells
  // nothing about referrals the caller may not see.
  const bool all = actor.kind() == lotse::v1::ACTOR_KIND_ADMIN ||
                   (actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT && kam != nullptr &&
                    kam->id == actor.id());
  const std::string prefix = CompanyPrefix(c.company_id());
  LOTSE_ASSIGN_OR_RETURN(const std::string first, FirstKey(prefix, c.after(), "company"));
  std::vector<std::string> keys;
  LOTSE_RETURN_IF_ERROR(
      store_->Scan(kCompanies, prefix, "", [&](std::string_view key, std::string_view) {
        keys.emplace_back(key);
        return true;
      }));
  RoutingReply reply;
  lotse::v1::CompanyReply* file = reply.mutable_company();
  file->set_company_id(c.company_id());
  if (kam != nullptr) {
    file->set_key_account(kam->id);
  }
  const size_t room = static_cast<size_t>(config_.limits.max_message_bytes) / 2;
  size_t bytes = 0;
  uint32_t total = 0;
  bool full = false;
  std::string last;
  for (const std::string& key : keys) {
    const size_t id_at = prefix.size() + 9;  // inverted time, then '\0'
    if (key.size() <= id_at) {
      continue;
    }
    LOTSE_ASSIGN_OR_RETURN(std::optional<ReferralState> found,
                           referrals_.Find(context.batch, key.substr(id_at)));
    if (!found.has_value()) {
      continue;
    }
    const ReferralState& s = *found;
    bool visible = all;
    if (actor.kind() == lotse::v1::ACTOR_KIND_DEPARTMENT) {
      visible = visible || Involved(s, actor.id());
    } else if (actor.kind() == lotse::v1::ACTOR_KIND_OFFICE) {
      visible = s.referral().office() == actor.id();
    }
    if (!visible) {
      continue;
    }
    ++total;  // every page shows the same total
    if (file->company_name().empty()) {
      file->set_company_name(s.referral().company_name());
    }
    if (key < first || full) {
      continue;
    }
    lotse::v1::CompanyFileEntry entry;
    entry.set_referral_id(s.referral_id());
    entry.set_case_number(s.case_number());
    entry.set_status(s.status());
    entry.set_assignee(s.assignee());
    *entry.mutable_contact_person() = s.contact_person();
    entry.set_topic(s.referral().topic());
    entry.set_submitted_at_us(s.submitted_at_us());
    entry.set_due_at_us(s.due_at_us());
    entry.set_answered_at_us(s.answer().answered_at_us());
    entry.set_rating(s.feedback().rating());
    entry.set_company_rating(s.company_feedback().rating());
    entry.set_office(s.referral().office());
    entry.set_waiting(s.waiting_since_us() != 0);
    entry.set_reopen_count(s.reopen_count());
    const size_t size = entry.ByteSizeLong();
    const bool count_left = c.limit() == 0 || static_cast<uint32_t>(file->entries_size()) < c.limit();
    if (!count_left || (file->entries_size() > 0 && bytes + size > room)) {
      full = true;
      file->set_next(absl::BytesToHexString(last.substr(prefix.size())));
      continue;
    }
    bytes += size;
    last = key;
    *file->add_entries() = std::move(entry);
  }
  file->set_total(total);
  return reply;
}

}  // namespace lotse::routing
