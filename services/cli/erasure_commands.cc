// Personal data, for the admin: lotse erase (GDPR Art. 17) and lotse personal-data (Art. 15).
// docs/datenschutz.md describes what they reach.

#include <cstdio>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "common/client/json.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"

namespace lotse::cli {
namespace {

using lotse::v1::AuditReply;
using lotse::v1::IntakeReply;

struct EraseFlags {
  std::string ref, contact_email, reason, key;
};

int Erase(Session& s, const EraseFlags& f) {
  if (f.ref.empty() == f.contact_email.empty()) {
    return s.Fail(kExitUsage,
                  MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                            "name either one referral (lotse erase 2026-000123 --reason ...) or a "
                            "contact person (--contact-email), not both and not neither",
                            "ref"));
  }
  return s.CallThen(
      client::EraseRequest(f.ref, f.contact_email, f.reason, f.key), IntakeReply::kErased,
      [&](const IntakeReply& r) {
        std::string text;
        for (const lotse::v1::ErasedReferral& e : r.erased().erased()) {
          text += StrCat("The personal data of referral ", e.case_number(),
                         " is erased: contact person, texts and documents, in every service.\n");
        }
        text += StrCat(
            "Case numbers, topics, departments, times and ratings stay; the evaluation "
            "does not change. The audit log records the erasure (lotse history ",
            r.erased().erased().empty() ? std::string("REF") : r.erased().erased(0).case_number(),
            ").\n");
        return s.Print(r.erased(), text);
      });
}

// `text` as a JSON string.
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += absl::StrFormat("\\u%04x", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The message as JSON, or the reason it could not be printed as a JSON string.
std::string JsonOf(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = client::ToJson(message);
  return json.ok() ? *json : JsonString(std::string(json.status().message()));
}

struct PersonalDataFlags {
  std::string contact_email;
};

// Always JSON: the answer to a person's request for access (Art. 15) is a document.
int PersonalData(Session& s, const PersonalDataFlags& f) {
  IntakeReply intake;
  if (int code =
          s.Call(client::PersonalDataRequest(f.contact_email), IntakeReply::kPersonalData, intake);
      code != kExitOk) {
    return code;
  }
  std::string json =
      StrCat("{\"contact_email\": ", JsonString(f.contact_email), ", \"referrals\": [");
  for (int i = 0; i < intake.personal_data().referrals_size(); ++i) {
    const lotse::v1::ReferralState& state = intake.personal_data().referrals(i);
    json += StrCat(i == 0 ? "" : ", ", "{\"referral\": ", JsonOf(state), ", \"history\": [");
    uint64_t after = 0;
    bool first = true;
    do {
      AuditReply history;
      if (int code = s.Call(client::AdminHistoryRequest(state.referral_id(), after),
                            AuditReply::kHistory, history);
          code != kExitOk) {
        return code;
      }
      for (const lotse::v1::HistoryEntry& entry : history.history().entries()) {
        json += StrCat(first ? "" : ", ", JsonOf(entry));
        first = false;
      }
      after = history.history().next_index();
    } while (after != 0);
    json += "]}";
  }
  json += "]}\n";
  std::fputs(json.c_str(), stdout);
  return kExitOk;
}

}  // namespace

void AddErasureCommands(CommandLine& cli) {
  {
    auto [sub, f] = cli.Add("erase",
                            "erase the personal data of one referral, or of every referral of a "
                            "contact person, in every service (admin); the audit log keeps that "
                            "it happened, who and why",
                            Erase);
    sub->add_option("ref", f->ref, "the referral's case number (e.g. 2026-000123) or id");
    sub->add_option("--contact-email", f->contact_email,
                    "instead of REF: every referral whose contact person has this e-mail");
    sub->add_option("--reason", f->reason,
                    "why, for the audit log, naming no person (e.g. 'Antrag auf Löschung vom "
                    "2026-12-01, Vorgang DS-17')")
        ->required();
    AddKey(sub, f->key);
  }
  {
    auto [sub, f] = cli.Add("personal-data",
                            "everything Lotse holds about a contact person, as JSON (admin; "
                            "for a request for access, GDPR Art. 15)",
                            PersonalData);
    sub->add_option("--contact-email", f->contact_email, "the contact person's e-mail")->required();
  }
}

}  // namespace lotse::cli
