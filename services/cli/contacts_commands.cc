// Named contact persons, stand-ins and the company file: lotse contacts, absence and company
// (command_line.h). Requests and renderings live here too: they are these commands' own.

#include <string>

#include "absl/strings/str_join.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"
#include "services/cli/table.h"

namespace lotse::cli {
namespace {

using lotse::v1::RoutingReply;
using lotse::v1::RoutingRequest;

lotse::v1::Actor Asking(const std::string& office, const std::string& department,
                        lotse::v1::ActorKind otherwise) {
  lotse::v1::Actor actor;
  if (!office.empty()) {
    actor.set_kind(lotse::v1::ACTOR_KIND_OFFICE);
    actor.set_id(office);
  } else if (!department.empty()) {
    actor.set_kind(lotse::v1::ACTOR_KIND_DEPARTMENT);
    actor.set_id(department);
  } else {
    actor.set_kind(otherwise);
  }
  return actor;
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return absl::StrJoin(list, ", ");
}

// ---------------------------------------------------------------------------------------------
// lotse contacts

struct ContactsFlags {
  std::string department, topic, office, asked_as;
};

std::string RenderContacts(const lotse::v1::ContactsReply& reply) {
  if (reply.entries().empty()) {
    return "No contact persons match.\n";
  }
  Table table({{"id", 16},
               {"name", 24},
               {"department", 22},
               {"phone", 16},
               {"topics", 40},
               {"keywords", 40},
               {"open", 5},
               {"away", 40}});
  for (const auto& e : reply.entries()) {
    std::string away;
    if (!e.absent_from().empty()) {
      away = StrCat(e.absent_from(), " to ", e.absent_to(), ", substitute ", e.substitute());
    }
    table.AddRow({e.contact().id(), StrCat(e.contact().name(), e.lead() ? " (lead)" : ""),
                  e.contact().department(), e.contact().phone(), Join(e.topics()),
                  Join(e.keywords()), StrCat(e.open_items()), away});
  }
  return StrCat(table.Render(), table.rows(), table.rows() == 1 ? " contact person" : " contact persons",
                ".\n");
}

int Contacts(Session& s, const ContactsFlags& f) {
  RoutingRequest request;
  *request.mutable_actor() = Asking(f.office, f.asked_as, lotse::v1::ACTOR_KIND_OPS);
  request.mutable_contacts()->set_department(f.department);
  request.mutable_contacts()->set_topic(f.topic);
  return s.CallThen(request, RoutingReply::kContacts, [&](const RoutingReply& r) {
    return s.Print(r.contacts(), RenderContacts(r.contacts()));
  });
}

// ---------------------------------------------------------------------------------------------
// lotse absence

struct AbsenceFlags {
  std::string user, from, to, substitute, department, key;
  bool cancel = false;
};

std::string RenderAbsences(const lotse::v1::AbsenceReply& reply, bool cancel) {
  std::string out = StrCat(cancel ? "Absence ended. " : "Absence recorded. ");
  if (reply.absences().empty()) {
    return StrCat(out, reply.user(), " has no absences recorded.\n");
  }
  out += StrCat("Absences of ", reply.user(), ":\n");
  for (const auto& a : reply.absences()) {
    out += StrCat("  ", a.from_date(), " to ", a.to_date(), ": substitute ", a.substitute(),
                  "\n");
  }
  return out;
}

int Absence(Session& s, const AbsenceFlags& f) {
  RoutingRequest request;
  // A department records its own staff's absences (a KAM its own); without --department, admin.
  *request.mutable_actor() = Asking("", f.department, lotse::v1::ACTOR_KIND_ADMIN);
  request.set_idempotency_key(client::KeyOrRandom(f.key));
  lotse::v1::AbsenceRequest* a = request.mutable_absence();
  a->set_user(f.user);
  a->set_from_date(f.from);
  a->set_to_date(f.to);
  a->set_substitute(f.substitute);
  a->set_cancel(f.cancel);
  return s.CallThen(request, RoutingReply::kAbsence, [&](const RoutingReply& r) {
    return s.Print(r.absence(), RenderAbsences(r.absence(), f.cancel));
  });
}

// ---------------------------------------------------------------------------------------------
// lotse company

std::string RenderCompany(const lotse::v1::CompanyReply& reply, const absl::TimeZone& zone,
                          const client::CompanyArgs& f) {
  std::string out = StrCat("Company ", reply.company_id());
  if (!reply.company_name().empty()) {
    out += StrCat(" (", reply.company_name(), ")");
  }
  if (!reply.key_account().empty()) {
    out += StrCat(", key account manager ", reply.key_account());
  }
  out += "\n";
  if (reply.entries().empty()) {
    return StrCat(out, "No referrals of this company that you may see.\n");
  }
  Table table({{"submitted", 26},
               {"case number", 14},
               {"status", 32},
               {"topic", 24},
               {"department / contact", 36},
               {"due", 26},
               {"answered", 26},
               {"rating", 6},
               {"company rating", 14}});
  for (const auto& e : reply.entries()) {
    std::string who = e.assignee();
    if (!e.contact_person().id().empty()) {
      who += StrCat(" / ", e.contact_person().name());
    }
    table.AddRow({LocalTime(e.submitted_at_us(), zone), e.case_number(),
                  StatusWord(e.status()) + (e.waiting() ? ", waiting on the company" : ""), e.topic(), who,
                  LocalTime(e.due_at_us(), zone),
                  e.answered_at_us() != 0 ? LocalTime(e.answered_at_us(), zone) : "",
                  e.rating() != 0 ? StrCat(e.rating()) : "",
                  e.company_rating() != 0 ? StrCat(e.company_rating()) : ""});
  }
  out += table.Render();
  out += StrCat("Showing ", reply.entries_size(), " of ", reply.total(), " referral(s).\n");
  if (!reply.next().empty()) {
    std::string as;
    if (!f.office.empty()) {
      as = StrCat(" --office ", f.office);
    } else if (!f.department.empty()) {
      as = StrCat(" --department ", f.department);
    }
    out += StrCat("More follow: lotse company ", reply.company_id(), as, " --after ", reply.next(),
                  "\n");
  }
  return out;
}

int Company(Session& s, const client::CompanyArgs& f) {
  const RoutingRequest request = client::CompanyRequest(f);
  return s.CallThen(request, RoutingReply::kCompany, [&](const RoutingReply& r) {
    return s.Print(r.company(), RenderCompany(r.company(), s.zone(), f));
  });
}

}  // namespace

void AddContactsCommands(CommandLine& cli) {
  {
    auto [sub, f] = cli.Add("contacts", "list the named contact persons: who answers what",
                            Contacts);
    sub->add_option("--department", f->department, "only this department's staff");
    sub->add_option("--topic", f->topic, "only who answers this topic");
    auto* office = sub->add_option("--office", f->office, "ask as this office");
    auto* as = sub->add_option("--as-department", f->asked_as, "ask as this department or KAM");
    office->excludes(as);
    as->excludes(office);
  }
  {
    auto [sub, f] = cli.Add(
        "absence", "record a staff member's absence and who stands in (or end it: --cancel)",
        Absence);
    sub->add_option("--user", f->user, "staff member or key account manager away")->required();
    sub->add_option("--from", f->from, "first day away, YYYY-MM-DD")->required();
    sub->add_option("--to", f->to, "last day away, YYYY-MM-DD");
    sub->add_option("--substitute", f->substitute, "the colleague who stands in");
    sub->add_flag("--cancel", f->cancel, "end the absence that covers --from");
    sub->add_option("--department", f->department,
                    "act as this department (or KAM); default: admin");
    AddKey(sub, f->key);
  }
  {
    auto [sub, f] = cli.Add("company", "a company's file: all its referrals, newest first",
                            Company);
    sub->add_option("ID", f->company_id, "company id as entered at intake")->required();
    AddAskAs(sub, f->office, f->department);
    sub->add_option("--limit", f->limit, "show at most this many");
    sub->add_option("--after", f->after, "the next page: what the previous page printed");
  }
}

}  // namespace lotse::cli
