#include "tests/load/checker.h"

#include <functional>
#include <memory>
#include <set>
#include <unordered_map>

#include "absl/strings/str_join.h"
#include "common/format.h"
#include "common/status_macros.h"
#include "common/store/store.h"
#include "lotse/v1/audit.pb.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/notification.pb.h"
#include "services/audit/chain.h"
#include "services/audit/evaluation.h"
#include "services/routing/routing_service.h"

namespace lotse::load {
namespace {

using lotse::v1::Envelope;

constexpr size_t kMaxExamples = 8;
constexpr store::Cf kState = store::kFirstStateFamily;  // state_referrals / state_inbox

// What the stores say about one referral.
struct RefInfo {
  std::string key;  // idempotency key of its submission (from the subject)
  std::string office;
  std::string case_number;
  bool in_intake = false;
  bool in_routing = false;
  lotse::v1::ReferralStatus routing_status = lotse::v1::REFERRAL_STATUS_UNSPECIFIED;
  int submitted = 0;                   // ReferralSubmitted in intake's log
  int feedback = 0;                    // FeedbackSubmitted in intake's log
  int company_feedback = 0;            // CompanyFeedbackSubmitted in intake's log
  int32_t routing_company_rating = 0;  // the company's rating as routing holds it
  std::set<std::string> attachments;   // names in intake's record
  int attachments_logged = 0;          // AttachmentAdded in intake's log
  int routed = 0;                      // ReferralRouted in routing's log
  int answered = 0;                    // Answered in routing's log
  int closed = 0;                      // Closed in routing's log
  int reopened = 0;                    // Reopened in routing's log ("resolved: no" or a follow-up)
  bool unresolved = false;             // its FeedbackSubmitted said "resolved: no"
  int office_answers = 0;  // ANSWER messages in its office's inbox (notification's store)
  bool after_close = false;
};

uint64_t HashOf(std::string_view bytes) { return std::hash<std::string_view>{}(bytes); }

uint64_t ChangeHash(std::string_view ref, Cmd cmd, int64_t at_us, std::string_view detail) {
  return HashOf(StrCat(ref, "|", CmdName(cmd), "|", at_us, "|", detail));
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenStore(const std::string& path,
                                                        std::vector<std::string> families) {
  store::Options options;
  options.path = path;
  options.state_families = std::move(families);
  options.open_other_families = true;  // the services may keep more families than are read here
  absl::StatusOr<std::unique_ptr<store::Store>> s = store::Store::Open(options);
  if (!s.ok()) {
    return absl::Status(s.status().code(),
                        StrCat("cannot open the store ", path, ": ", s.status().message()));
  }
  return s;
}

// Calls fn(envelope, raw) for every event of the store's outbox, in seq order; records the
// hash of each event's bytes in `hashes` (index seq - 1).
absl::Status ForEachEvent(const store::Store& s, const std::string& stream,
                          std::vector<uint64_t>* hashes, CheckResult& result,
                          const std::function<void(const Envelope&)>& fn) {
  uint64_t expected = 1;
  std::vector<std::string> chunk;
  while (true) {
    chunk.clear();
    LOTSE_RETURN_IF_ERROR(s.ReadOutbox(expected - 1, 20000, SIZE_MAX, &chunk));
    if (chunk.empty()) {
      break;
    }
    for (const std::string& raw : chunk) {
      Envelope e;
      if (!e.ParseFromString(raw) || e.seq() != expected) {
        result.notes.push_back(StrCat(stream, " outbox: event ", expected,
                                      " is damaged or out of place (seq ", e.seq(), ")"));
        return absl::OkStatus();
      }
      hashes->push_back(HashOf(raw));
      fn(e);
      ++expected;
    }
  }
  result.log_heads[stream] = expected - 1;
  return absl::OkStatus();
}

void CountDeadLetters(const store::Store& s, const std::string& service, CheckResult& result) {
  uint64_t n = 0;
  (void)s.Scan(store::kDeadLetter, "", "", [&](std::string_view, std::string_view value) {
    lotse::v1::DeadLetter dead;
    if (++n <= 3 && dead.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      result.notes.push_back(StrCat(service, " dead letter: ", dead.reason()));
    }
    return true;
  });
  result.dead_letters[service] = n;
}

void CheckOffset(const store::Store& s, const std::string& service, const std::string& stream,
                 CheckResult& result) {
  absl::StatusOr<std::optional<store::Offset>> offset = s.GetOffset(stream);
  const uint64_t head = result.log_heads[stream];
  const uint64_t at = offset.ok() && offset->has_value() ? (*offset)->seq : 0;
  if (at != head) {
    result.notes.push_back(StrCat(service, " stands at seq ", at, " of stream '", stream,
                                  "' whose log ends at ", head,
                                  at < head ? ": events not applied" : ": beyond the head"));
  }
}

Cmd CmdOf(const Envelope& e) {
  switch (e.payload_case()) {
    case Envelope::kClaimed:
      return Cmd::kClaim;
    case Envelope::kForwarded:
      return Cmd::kForward;
    case Envelope::kConsultationOpened:
      return Cmd::kConsult;
    case Envelope::kContributionAdded:
      return Cmd::kContribute;
    case Envelope::kAnswered:
      return Cmd::kAnswer;
    case Envelope::kCompanyAsked:
      return Cmd::kAskCompany;
    case Envelope::kCompanyReplied:
      return Cmd::kCompanyReplied;
    default:
      return Cmd::kCount;
  }
}

std::string DetailOf(const Envelope& e) {
  switch (e.payload_case()) {
    case Envelope::kClaimed:
      return e.claimed().user();
    case Envelope::kForwarded:
      return e.forwarded().to();
    case Envelope::kConsultationOpened:
      return absl::StrJoin(e.consultation_opened().departments(), ",");
    case Envelope::kContributionAdded:
      return e.contribution_added().department();
    case Envelope::kAnswered:
      return e.answered().answer().department();
    case Envelope::kCompanyAsked:
      return e.company_asked().assignee();
    case Envelope::kCompanyReplied:
      return e.company_replied().replied_by();
    default:
      return "";
  }
}

// "routing-00ab...-17" -> ("routing", 17).
std::pair<std::string, uint64_t> ParseEventId(const std::string& id) {
  const size_t first = id.find('-');
  const size_t last = id.rfind('-');
  if (first == std::string::npos || last == first) {
    return {"", 0};
  }
  return {id.substr(0, first), std::strtoull(id.c_str() + last + 1, nullptr, 10)};
}

// A referral routed or forwarded to a person whose absence routing had logged before: the
// substitute should have got it. Counts the referrals a substitute got.
void CheckStandIn(const Envelope& e, const std::map<std::string, std::string>& absent,
                  const std::map<std::string, int>& logged, CheckResult& result) {
  std::string person;  // who works it: the contact person, or a key account manager
  std::string stand_in_for;
  if (e.has_referral_routed()) {
    const lotse::v1::ReferralRouted& r = e.referral_routed();
    person = r.has_contact_person() ? r.contact_person().id() : r.assignee();
    stand_in_for = r.stand_in_for();
  } else if (e.has_forwarded()) {
    const lotse::v1::Forwarded& f = e.forwarded();
    person = f.has_contact_person() ? f.contact_person().id() : f.to();
    stand_in_for = f.stand_in_for();
  } else {
    return;
  }
  if (!stand_in_for.empty()) {
    ++result.referrals["given_to_a_substitute"];
  }
  if (absent.count(person) > 0 && logged.count(person) > 0) {
    result.order.Add("given_to_absent_person", 1,
                     StrCat("routing gave ", e.case_number(), " (seq ", e.seq(), ") to ", person,
                            ", who is away; ", absent.at(person), " stands in"));
  }
}

}  // namespace

void Findings::Add(const std::string& category, uint64_t n, const std::string& example) {
  if (n == 0) {
    return;
  }
  counts_[category] += n;
  if (examples_.size() < kMaxExamples && !example.empty()) {
    examples_.push_back(example);
  }
}

uint64_t Findings::total() const {
  uint64_t sum = 0;
  for (const auto& [k, v] : counts_) {
    sum += v;
  }
  return sum;
}

Json Findings::ToJson() const {
  Json j = Json::MakeObject();
  j["total"] = total();
  Json by = Json::MakeObject();
  for (const auto& [k, v] : counts_) {
    by[k] = v;
  }
  j["by_kind"] = by;
  Json ex = Json::MakeArray();
  for (const std::string& e : examples_) {
    ex.Push(e);
  }
  j["examples"] = ex;
  return j;
}

absl::StatusOr<CheckResult> Check(const std::string& data_dir, const Ledger& ledger,
                                  const std::vector<InboxFindings>& inboxes) {
  CheckResult result;
  std::unordered_map<std::string, RefInfo> refs;
  std::unordered_map<std::string, int> intake_by_key, routing_by_key, submitted_by_key,
      routed_by_key;
  std::map<std::string, std::vector<uint64_t>> hashes;  // stream -> hash of event seq-1
  std::unordered_map<uint64_t, int> change_events;
  std::map<std::string, int> absences_logged;  // AbsenceSet in routing's log, by absent user

  // intake: referrals as submitted, its log of ReferralSubmitted and FeedbackSubmitted.
  {
    LOTSE_ASSIGN_OR_RETURN(
        auto s, OpenStore(data_dir + "/intake", {"state_referrals", "state_case_numbers"}));
    LOTSE_RETURN_IF_ERROR(s->Scan(kState, "", "", [&](std::string_view, std::string_view v) {
      lotse::v1::ReferralState state;
      if (state.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        RefInfo& r = refs[state.referral_id()];
        r.in_intake = true;
        r.key = KeyFromSubject(state.referral().subject());
        r.office = state.referral().office();
        r.case_number = state.case_number();
        for (const lotse::v1::AttachmentRef& a : state.attachments()) {
          r.attachments.insert(a.name());
        }
        ++intake_by_key[r.key];
      }
      return true;
    }));
    LOTSE_RETURN_IF_ERROR(
        ForEachEvent(*s, "intake", &hashes["intake"], result, [&](const Envelope& e) {
          RefInfo& r = refs[e.referral_id()];
          if (e.has_referral_submitted()) {
            ++r.submitted;
            ++submitted_by_key[KeyFromSubject(e.referral_submitted().referral().subject())];
          } else if (e.has_feedback_submitted()) {
            if (r.submitted == 0) {
              result.order.Add("intake_feedback_before_submission", 1,
                               StrCat("intake logged feedback on ", e.case_number(), " (seq ",
                                      e.seq(), ") before its submission"));
            }
            ++r.feedback;
            r.unresolved = !e.feedback_submitted().resolved();
          } else if (e.has_company_feedback_submitted()) {
            ++r.company_feedback;
          } else if (e.has_attachment_added()) {
            ++r.attachments_logged;
          }
        }));
    CountDeadLetters(*s, "intake", result);
  }

  // routing: the full records, its log of every step.
  {
    LOTSE_ASSIGN_OR_RETURN(
        auto s, OpenStore(data_dir + "/routing", routing::RoutingService::StateFamilies()));
    // The worklists' totals and the contact persons' loads are counts kept beside the entries
    // (counts.h): after every kill they must still equal the entries.
    LOTSE_ASSIGN_OR_RETURN(const auto wrong, routing::RoutingService::Counts().Verify(*s));
    for (const auto& [owner, counts] : wrong) {
      result.order.Add("routing_count_differs", 1,
                       StrCat("routing counts ", counts.first, " entries of ",
                              owner[0] == 'w' ? "the worklist of " : "the contact person ",
                              owner.substr(1), " where it holds ", counts.second));
    }
    LOTSE_RETURN_IF_ERROR(s->Scan(kState, "", "", [&](std::string_view, std::string_view v) {
      lotse::v1::ReferralState state;
      if (state.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        RefInfo& r = refs[state.referral_id()];
        r.in_routing = true;
        r.routing_status = state.status();
        r.routing_company_rating = state.company_feedback().rating();
        ++routing_by_key[KeyFromSubject(state.referral().subject())];
      }
      return true;
    }));
    LOTSE_RETURN_IF_ERROR(
        ForEachEvent(*s, "routing", &hashes["routing"], result, [&](const Envelope& e) {
          if (e.has_absence_set()) {  // no referral's event
            ++absences_logged[e.absence_set().user()];
            return;
          }
          CheckStandIn(e, ledger.absences(), absences_logged, result);
          RefInfo& r = refs[e.referral_id()];
          if (e.has_referral_routed()) {
            ++r.routed;
            ++routed_by_key[KeyFromSubject(e.referral_routed().subject())];
          } else if (r.routed == 0) {
            result.order.Add(
                "routing_event_before_routed", 1,
                StrCat("routing logged ",
                       Envelope::descriptor()->FindFieldByNumber(e.payload_case())->name(), " of ",
                       e.case_number(), " (seq ", e.seq(), ") before ReferralRouted"));
          }
          if (r.closed > 0) {
            result.order.Add("routing_event_after_closed", 1,
                             StrCat("routing logged seq ", e.seq(), " for ", e.case_number(),
                                    " after it was closed"));
          }
          if (e.has_answered()) {
            ++r.answered;
          }
          if (e.has_closed()) {
            ++r.closed;
          }
          if (e.has_reopened()) {
            ++r.reopened;
          }
          if (const Cmd cmd = CmdOf(e); cmd != Cmd::kCount) {
            ++change_events[ChangeHash(e.referral_id(), cmd, e.occurred_at_us(), DetailOf(e))];
          }
        }));
    CountDeadLetters(*s, "routing", result);
    CheckOffset(*s, "routing", "intake", result);
  }
  // intake consumes routing: checked once routing's head is known.
  {
    LOTSE_ASSIGN_OR_RETURN(
        auto s, OpenStore(data_dir + "/intake", {"state_referrals", "state_case_numbers"}));
    CheckOffset(*s, "intake", "routing", result);
  }

  // notification: every inbox message; office inboxes hold the answers.
  {
    LOTSE_ASSIGN_OR_RETURN(
        auto s, OpenStore(data_dir + "/notification",
                          {"state_inbox", "state_positions", "state_notes", "state_mail"}));
    std::map<std::pair<std::string, std::string>, uint64_t> last_source;  // (recipient, stream)
    LOTSE_RETURN_IF_ERROR(s->Scan(kState, "", "", [&](std::string_view, std::string_view v) {
      lotse::v1::InboxMessage m;
      if (!m.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        result.notes.push_back("notification: an inbox message cannot be read");
        return true;
      }
      if (m.kind() == lotse::v1::MESSAGE_KIND_ANSWER && m.recipient().rfind("office/", 0) == 0) {
        ++refs[m.referral_id()].office_answers;
      }
      const auto [stream, seq] = ParseEventId(m.source_event_id());
      uint64_t& last = last_source[{m.recipient(), stream}];
      if (seq == last) {
        result.duplicated.Add("inbox_message_twice", 1,
                              StrCat(m.recipient(), " got event ", m.source_event_id(),
                                     " twice (inbox seq ", m.seq(), ")"));
      } else if (seq < last) {
        result.order.Add(
            "inbox_out_of_event_order", 1,
            StrCat(m.recipient(), " message ", m.seq(), " comes from ", m.source_event_id(),
                   " after a message from ", stream, " seq ", last));
      }
      last = std::max(last, seq);
      return true;
    }));
    LOTSE_RETURN_IF_ERROR(
        ForEachEvent(*s, "notification", &hashes["notification"], result, [](const Envelope&) {}));
    CountDeadLetters(*s, "notification", result);
    CheckOffset(*s, "notification", "intake", result);
    CheckOffset(*s, "notification", "routing", result);
  }

  // audit: every event of every stream exactly once, in order per stream, and a chain that
  // verifies.
  {
    LOTSE_ASSIGN_OR_RETURN(auto s, OpenStore(data_dir + "/audit", audit::StateFamilies()));
    absl::StatusOr<lotse::v1::VerifyReply> verify = audit::Chain::Verify(*s);
    if (!verify.ok()) {
      result.chain_problem = std::string(verify.status().message());
    } else {
      result.chain_verified = verify->ok();
      result.chain_problem = verify->problem();
      result.chain_entries = verify->entries();
    }
    std::map<std::string, std::vector<bool>> seen;
    std::map<std::string, uint64_t> last;
    for (const auto& [stream, h] : hashes) {
      seen[stream].assign(h.size() + 1, false);
    }
    LOTSE_RETURN_IF_ERROR(
        s->Scan(audit::Chain::kEntries, "", "", [&](std::string_view, std::string_view v) {
          lotse::v1::AuditEntry entry;
          if (!entry.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
            return true;  // Verify names it
          }
          const std::string where = StrCat("audit entry ", entry.index(), " (", entry.stream(),
                                           " seq ", entry.seq(), ")");
          auto h = hashes.find(entry.stream());
          if (h == hashes.end() || entry.seq() == 0 || entry.seq() > h->second.size()) {
            result.duplicated.Add("audit_entry_without_event", 1,
                                  StrCat(where, " has no such event in the producer's log"));
            return true;
          }
          if (h->second[entry.seq() - 1] != HashOf(entry.event())) {
            result.chain_verified = false;
            result.notes.push_back(StrCat(where, " differs from the event in the producer's log"));
          }
          std::vector<bool>& s_seen = seen[entry.stream()];
          if (s_seen[entry.seq()]) {
            result.duplicated.Add("audit_entry_twice", 1, StrCat(where, " was chained before"));
            return true;
          }
          s_seen[entry.seq()] = true;
          uint64_t& l = last[entry.stream()];
          if (entry.seq() < l) {
            result.order.Add("audit_stream_order", 1,
                             StrCat(where, " comes after seq ", l, " of the same stream"));
          }
          l = std::max(l, entry.seq());
          return true;
        }));
    for (const auto& [stream, flags] : seen) {
      uint64_t missing = 0;
      std::string first;
      for (size_t seq = 1; seq < flags.size(); ++seq) {
        if (!flags[seq]) {
          if (++missing == 1) {
            first = StrCat(stream, " event ", seq, " is not in the audit chain");
          }
        }
      }
      result.lost.Add(StrCat("audit_missing_", stream, "_event"), missing, first);
    }
    CountDeadLetters(*s, "audit", result);
    for (const char* stream : {"intake", "routing", "notification"}) {
      CheckOffset(*s, "audit", stream, result);
    }
  }

  // The ledger against the stores.
  for (const auto& [key, submit] : ledger.submits()) {
    const int in_intake = intake_by_key.count(key) ? intake_by_key[key] : 0;
    const int in_routing = routing_by_key.count(key) ? routing_by_key[key] : 0;
    const int submitted = submitted_by_key.count(key) ? submitted_by_key[key] : 0;
    const int routed = routed_by_key.count(key) ? routed_by_key[key] : 0;
    const int most = std::max({in_intake, in_routing, submitted, routed});
    if (submit.acknowledged) {
      const std::string what = StrCat("acknowledged submission ", key, " from ", submit.office,
                                      " (referral ", submit.referral_id, ")");
      const RefInfo* r = refs.count(submit.referral_id) ? &refs[submit.referral_id] : nullptr;
      result.lost.Add("submit_not_in_intake", r == nullptr || !r->in_intake ? 1 : 0,
                      StrCat(what, " is not in intake's records"));
      result.lost.Add("submit_not_logged_by_intake", submitted == 0 ? 1 : 0,
                      StrCat(what, " has no ReferralSubmitted in intake's log"));
      result.lost.Add("submit_not_in_routing", r == nullptr || !r->in_routing ? 1 : 0,
                      StrCat(what, " is not in routing's records"));
      result.lost.Add("submit_not_routed", routed == 0 ? 1 : 0,
                      StrCat(what, " has no ReferralRouted in routing's log"));
      result.duplicated.Add(
          "acknowledged_submit_twice", most > 1 ? most - 1 : 0,
          StrCat(what, " exists ", most, " times (intake ", in_intake, ", routing ", in_routing,
                 ", logged ", submitted, "/", routed, ")"));
    } else {
      result.duplicated.Add("unacknowledged_submit_twice", most > 1 ? most - 1 : 0,
                            StrCat("unacknowledged submission ", key, " from ", submit.office,
                                   " exists ", most, " times"));
    }
  }
  uint64_t unknown = 0;
  std::string unknown_example;
  std::map<std::string, uint64_t> by_status;
  for (const auto& [id, r] : refs) {
    if (r.in_intake && !ledger.submits().count(r.key)) {
      if (++unknown == 1) {
        unknown_example = StrCat("intake holds referral ", r.case_number, " (", id,
                                 ") that no office submitted (key '", r.key, "')");
      }
    }
    if (r.in_intake && !r.in_routing) {
      result.lost.Add("referral_never_routed", 1,
                      StrCat("referral ", r.case_number, " (", id, ", key ", r.key,
                             ") is in intake but not in routing"));
    }
    result.duplicated.Add("submitted_event_twice", r.submitted > 1 ? r.submitted - 1 : 0,
                          StrCat("intake logged ", r.case_number, " ", r.submitted, " times"));
    result.duplicated.Add("routed_event_twice", r.routed > 1 ? r.routed - 1 : 0,
                          StrCat("routing routed ", id, " ", r.routed, " times"));
    // A reopened referral is answered once more per reopening.
    const int answers_allowed = 1 + r.reopened;
    result.duplicated.Add("answered_event_twice",
                          r.answered > answers_allowed ? r.answered - answers_allowed : 0,
                          StrCat("routing logged ", r.answered, " answers to ", id, " (reopened ",
                                 r.reopened, " times)"));
    result.duplicated.Add(
        "reopened_without_unresolved_feedback", r.reopened > (r.unresolved ? 1 : 0) ? 1 : 0,
        StrCat("routing reopened ", id, " ", r.reopened,
               " times; the office said resolved: ", r.unresolved ? "no once" : "yes or nothing"));
    result.duplicated.Add("closed_event_twice", r.closed > 1 ? r.closed - 1 : 0,
                          StrCat("routing closed ", id, " ", r.closed, " times"));
    result.duplicated.Add("feedback_event_twice", r.feedback > 1 ? r.feedback - 1 : 0,
                          StrCat("intake logged ", r.feedback, " feedbacks on ", id));
    result.duplicated.Add("company_feedback_event_twice",
                          r.company_feedback > 1 ? r.company_feedback - 1 : 0,
                          StrCat("intake logged ", r.company_feedback, " company ratings of ", id,
                                 " with one single-use code"));
    result.duplicated.Add(
        "answer_in_inbox_twice",
        r.office_answers > answers_allowed ? r.office_answers - answers_allowed : 0,
        StrCat("office inbox holds ", r.office_answers, " answers to ", id));
    if (r.in_routing) {
      ++by_status[lotse::v1::ReferralStatus_Name(r.routing_status)];
    }
    if (r.in_intake) {
      ++result.referrals["intake"];
    }
    if (r.in_routing) {
      ++result.referrals["routing"];
    }
  }
  for (const auto& [status, n] : by_status) {
    result.referrals[StrCat("routing_", status.substr(std::string("REFERRAL_STATUS_").size()))] = n;
  }
  result.duplicated.Add("referral_nobody_submitted", unknown, unknown_example);

  for (const ChangeRecord& c : ledger.changes()) {
    auto it = change_events.find(ChangeHash(c.referral_id, c.cmd, c.at_us, c.detail));
    if (it == change_events.end() || it->second == 0) {
      result.lost.Add(StrCat(CmdName(c.cmd), "_not_logged"), 1,
                      StrCat("acknowledged ", CmdName(c.cmd), " of referral ", c.referral_id,
                             " at ", c.at_us, " (", c.detail, ") has no event in routing's log"));
    } else {
      --it->second;
    }
  }

  std::map<std::string, const InboxFindings*> by_office;
  for (const InboxFindings& f : inboxes) {
    by_office[f.office] = &f;
    result.duplicated.Add("inbox_message_after_ack", f.redelivered_after_ack,
                          f.examples.empty() ? "" : f.examples.front());
    result.order.Add("inbox_reply_not_contiguous", f.order_violations,
                     f.examples.empty() ? "" : f.examples.front());
    result.lost.Add("inbox_acknowledgement_lost", f.ack_went_back,
                    f.examples.empty() ? "" : f.examples.front());
    for (const auto& [ref, n] : f.answers) {
      const int allowed = 1 + (refs.count(ref) ? refs.at(ref).reopened : 0);
      result.duplicated.Add("answer_seen_twice_by_office", n > allowed ? n - allowed : 0,
                            StrCat("office ", f.office, " received ", n, " answers to ", ref));
    }
  }
  for (const auto& [ref, office] : ledger.answers()) {
    const RefInfo* r = refs.count(ref) ? &refs.at(ref) : nullptr;
    result.lost.Add(
        "answer_not_in_office_inbox", r == nullptr || r->office_answers == 0 ? 1 : 0,
        StrCat("the acknowledged answer to ", ref, " is not in office ", office, "'s inbox"));
    const InboxFindings* f = by_office.count(office) ? by_office[office] : nullptr;
    const bool seen = f != nullptr && f->answers.count(ref) && f->answers.at(ref) > 0;
    result.lost.Add("answer_never_reached_office", seen ? 0 : 1,
                    StrCat("office ", office, " never received the acknowledged answer to ", ref));
  }
  for (const auto& [ref, n] : ledger.feedback()) {
    const RefInfo* r = refs.count(ref) ? &refs.at(ref) : nullptr;
    result.lost.Add("feedback_not_logged", r == nullptr || r->feedback == 0 ? 1 : 0,
                    StrCat("acknowledged feedback on ", ref, " has no FeedbackSubmitted"));
    // "Resolved: yes" closes the referral; "resolved: no" opens it again instead.
    if (r != nullptr && r->unresolved) {
      result.lost.Add(
          "unresolved_feedback_not_reopened", r->reopened == 0 ? 1 : 0,
          StrCat("acknowledged feedback 'resolved: no' on ", ref, " did not reopen the referral"));
    } else {
      result.lost.Add("feedback_not_closed", r == nullptr || r->closed == 0 ? 1 : 0,
                      StrCat("acknowledged feedback on ", ref, " did not close the referral"));
    }
  }
  for (const auto& [ref, n] : ledger.company_feedback()) {
    const RefInfo* r = refs.count(ref) ? &refs.at(ref) : nullptr;
    result.lost.Add(
        "company_feedback_not_logged", r == nullptr || r->company_feedback == 0 ? 1 : 0,
        StrCat("the company's acknowledged rating of ", ref, " has no CompanyFeedbackSubmitted"));
    result.lost.Add("company_feedback_not_in_routing",
                    r == nullptr || r->routing_company_rating == 0 ? 1 : 0,
                    StrCat("routing does not hold the company's acknowledged rating of ", ref));
  }
  for (const auto& [ref, name] : ledger.attachments()) {
    const RefInfo* r = refs.count(ref) ? &refs.at(ref) : nullptr;
    result.lost.Add("attachment_not_in_intake", r == nullptr || !r->attachments.count(name) ? 1 : 0,
                    StrCat("the acknowledged attachment ", name, " of ", ref,
                           " is not in intake's record"));
    result.lost.Add("attachment_not_logged", r == nullptr || r->attachments_logged == 0 ? 1 : 0,
                    StrCat("the acknowledged attachment of ", ref, " has no AttachmentAdded"));
    result.duplicated.Add(
        "attachment_logged_twice",
        r != nullptr && r->attachments_logged > 1 ? r->attachments_logged - 1 : 0,
        StrCat("intake logged ", r == nullptr ? 0 : r->attachments_logged,
               " attachments of ", ref, ", one was sent"));
  }
  for (const auto& [user, substitute] : ledger.absences()) {
    const int logged = absences_logged.count(user) ? absences_logged[user] : 0;
    result.lost.Add("absence_not_logged", logged == 0 ? 1 : 0,
                    StrCat("the acknowledged absence of ", user, " has no AbsenceSet"));
    result.duplicated.Add("absence_logged_twice", logged > 1 ? logged - 1 : 0,
                          StrCat("routing logged the absence of ", user, " ", logged, " times"));
  }
  const Ledger::Figures figures = ledger.figures();
  for (int i = 0; i < kCmdCount; ++i) {
    result.duplicated.Add(StrCat(CmdName(static_cast<Cmd>(i)), "_retry_answered_differently"),
                          figures.resend_differs[i],
                          figures.resend_examples.empty() ? "" : figures.resend_examples.front());
  }
  return result;
}

}  // namespace lotse::load
