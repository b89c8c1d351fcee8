#include "services/intake/office_list.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "common/format.h"
#include "common/service/errors.h"
#include "common/status_macros.h"
#include "services/intake/validate.h"

namespace lotse::intake {
namespace {

using lotse::v1::ReferralListEntry;
using lotse::v1::ReferralState;
using service::FieldError;
using service::InvalidField;

constexpr size_t kBuildChunk = 1000;
constexpr std::array<std::string_view, 4> kStateWords = {"open", "waiting", "answered", "closed"};

bool IsLeadByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

// The name of a department or key account manager id; the id if the config has neither.
std::string AssigneeName(const config::Config& config, std::string_view id) {
  if (const config::Department* d = config.FindDepartment(id); d != nullptr) {
    return d->name;
  }
  if (const config::KeyAccount* k = config.FindKeyAccount(id); k != nullptr) {
    return k->name;
  }
  return std::string(id);
}

// A local date "YYYY-MM-DD" exactly, as the evaluation reads it (services/audit/evaluation.cc).
absl::StatusOr<absl::CivilDay> ParseDay(std::string_view field, std::string_view text) {
  LOTSE_RETURN_IF_ERROR(service::CheckText(field, text, 32, true));
  absl::CivilDay day;
  bool ok = text.size() == 10 && text[4] == '-' && text[7] == '-';
  for (size_t i = 0; ok && i < text.size(); ++i) {
    ok = i == 4 || i == 7 || (text[i] >= '0' && text[i] <= '9');
  }
  ok = ok && absl::ParseCivilTime(absl::string_view(text.data(), text.size()), &day) &&
       absl::FormatCivilTime(day) == text;
  if (!ok) {
    return InvalidField(field, StrCat(field, ": expected a date YYYY-MM-DD, got '", text, "'"));
  }
  return day;
}

// A referral id as intake makes them ("r" + hex digits), or at least a plausible id: printable
// ASCII without spaces, 1..64 bytes.
bool PlausibleId(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

// Who asks for whose list: the office whose list it is, or the error to answer.
absl::StatusOr<std::string> ListedOffice(const config::Config& config,
                                         const lotse::v1::Actor& actor, const std::string& office) {
  if (!office.empty()) {
    LOTSE_RETURN_IF_ERROR(service::CheckId("office", office));
  }
  switch (actor.kind()) {
    case lotse::v1::ACTOR_KIND_OFFICE:
      LOTSE_RETURN_IF_ERROR(CheckOfficeActor(config, actor));
      if (!office.empty() && office != actor.id()) {
        return FieldError(
            absl::StatusCode::kPermissionDenied, "office",
            StrCat("office ", actor.id(), " cannot list the referrals of office '", office,
                   "': an office sees only its own (leave out --office's other "
                   "value, or use that office's terminal)"));
      }
      return actor.id();
    case lotse::v1::ACTOR_KIND_ADMIN:
      if (office.empty()) {
        return InvalidField("office",
                            "admin lists one office's referrals at a time: name the office "
                            "(see 'lotse offices' for the ids)");
      }
      if (config.FindOffice(office) == nullptr) {
        return FieldError(
            absl::StatusCode::kNotFound, "office",
            StrCat("office '", office, "' is not configured: see 'lotse offices' for the ids"));
      }
      return office;
    default:
      return FieldError(absl::StatusCode::kPermissionDenied, "actor",
                        "the list of referrals is for citizen offices (each its own) and admin");
  }
}

// What a request's filters let through.
struct Filter {
  std::vector<std::string> states;  // words; empty = every state
  std::string search;               // folded; empty = any text
  bool Matches(const ReferralListEntry& entry) const {
    if (!states.empty() && std::find(states.begin(), states.end(), entry.state()) == states.end()) {
      return false;
    }
    return search.empty() || FoldCase(entry.subject()).find(search) != std::string::npos ||
           FoldCase(entry.company_name()).find(search) != std::string::npos;
  }
};

absl::StatusOr<Filter> ParseFilter(const lotse::v1::ListReferralsRequest& request) {
  Filter filter;
  for (const std::string& given : request.states()) {
    LOTSE_RETURN_IF_ERROR(service::CheckText("states", given, 32, true));
    const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(given));
    if (std::find(kStateWords.begin(), kStateWords.end(), word) == kStateWords.end()) {
      return InvalidField("states", StrCat("states: '", given,
                                           "' is not a state of a referral: use open, waiting, "
                                           "answered or closed"));
    }
    filter.states.push_back(word);
  }
  LOTSE_RETURN_IF_ERROR(service::CheckText("search", request.search(), 200, false));
  filter.search = FoldCase(ToStd(absl::StripAsciiWhitespace(request.search())));
  return filter;
}

// The key range [start, end) of the office's list that the dates and the cursor leave.
struct Range {
  std::string start, end;
  bool empty = false;  // nothing can match (a period before any submission)
};

absl::StatusOr<Range> ParseRange(const config::Config& config, const std::string& prefix,
                                 const lotse::v1::ListReferralsRequest& request) {
  Range range{prefix, prefix};
  range.end.back() = '\1';  // just past every key that begins with office + '\0'
  std::optional<int64_t> from_us;
  std::optional<int64_t> to_us;
  if (!request.submitted_from().empty()) {
    LOTSE_ASSIGN_OR_RETURN(absl::CivilDay day,
                           ParseDay("submitted_from", request.submitted_from()));
    from_us = absl::ToUnixMicros(absl::FromCivil(day, config.city.zone));
  }
  if (!request.submitted_to().empty()) {
    LOTSE_ASSIGN_OR_RETURN(absl::CivilDay day, ParseDay("submitted_to", request.submitted_to()));
    to_us = absl::ToUnixMicros(absl::FromCivil(day, config.city.zone));
  }
  if (from_us.has_value() && to_us.has_value() && *from_us >= *to_us) {
    return InvalidField("submitted_to",
                        StrCat("submitted_to must be after submitted_from (the period is [from, "
                               "to): to is the first day after it), got ",
                               request.submitted_from(), " and ", request.submitted_to()));
  }
  // Keys run newest first: `to` bounds the start, `from` the end. Before 1970 nothing was
  // submitted.
  if (to_us.has_value()) {
    if (*to_us <= 1) {
      range.empty = true;
      return range;
    }
    range.start = prefix + store::EncodeU64(~static_cast<uint64_t>(*to_us - 1));
  }
  if (from_us.has_value() && *from_us > 1) {
    range.end =
        std::min(range.end, prefix + store::EncodeU64(~static_cast<uint64_t>(*from_us - 1)));
  }
  const std::string& after = request.after();
  if (!after.empty()) {
    const bool hex = after.size() % 2 == 0 && std::all_of(after.begin(), after.end(), [](char c) {
                       return absl::ascii_isxdigit(static_cast<unsigned char>(c));
                     });
    std::string key = hex ? absl::HexStringToBytes(after) : "";
    // Only a key of this office's own list: no cursor reaches another office's keys.
    const size_t id_at = prefix.size() + 8;
    if (!absl::StartsWith(key, prefix) || key.size() <= id_at ||
        !PlausibleId(std::string_view(key).substr(id_at))) {
      return InvalidField("after",
                          "after is not a 'next' of this office's list: pass it unchanged, or "
                          "leave it empty for the first page");
    }
    key.push_back('\0');  // the key right after the cursor's
    range.start = std::max(range.start, key);
  }
  range.empty = range.empty || range.start >= range.end;
  return range;
}

}  // namespace

std::string_view ListStateOf(const ReferralState& state) {
  switch (state.status()) {
    case lotse::v1::REFERRAL_STATUS_CLOSED:
      return kStateWords[3];
    case lotse::v1::REFERRAL_STATUS_ANSWERED:
      return kStateWords[2];
    default:
      return state.waiting_since_us() != 0 ? kStateWords[1] : kStateWords[0];
  }
}

std::string Excerpt(std::string_view text, size_t max_chars) {
  if (max_chars == 0) {
    return "";
  }
  // On one line, and no longer than it takes to hold max_chars + 1 characters (at most 4 bytes
  // each): what is beyond is cut anyway.
  std::string line;
  const size_t enough = 4 * (max_chars + 1);
  bool space = false;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !line.empty();
      continue;
    }
    if (space) {
      line.push_back(' ');
      space = false;
    }
    line.push_back(c);
    if (line.size() >= enough) {
      break;
    }
  }
  size_t chars = 0;
  size_t keep = 0;  // bytes of the first max_chars - 1 characters
  for (size_t i = 0; i < line.size(); ++i) {
    if (!IsLeadByte(line[i])) {
      continue;
    }
    if (chars == max_chars - 1) {
      keep = i;
    }
    if (chars == max_chars) {
      // Longer: max_chars - 1 characters and the mark, after a whole word if one ends late
      // enough.
      line.resize(keep);
      if (const size_t word_end = line.rfind(' ');
          word_end != std::string::npos && word_end >= keep * 4 / 5) {
        line.resize(word_end);
      }
      while (!line.empty() && line.back() == ' ') {
        line.pop_back();
      }
      return line + "…";
    }
    ++chars;
  }
  return line;
}

std::string FoldCase(std::string_view text) {
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c < 0x80) {
      out[i] = absl::ascii_tolower(out[i]);
    } else if (c == 0xC3 && i + 1 < out.size()) {
      // U+00C0..U+00DE are Latin-1 capitals (but U+00D7, the multiplication sign): their small
      // letters are 0x20 above, within the same lead byte.
      const auto next = static_cast<unsigned char>(out[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97) {
        out[i + 1] = static_cast<char>(next + 0x20);
      }
      ++i;
    }
  }
  return out;
}

ReferralListEntry ListEntryOf(const ReferralState& state) {
  ReferralListEntry entry;
  entry.set_referral_id(state.referral_id());
  entry.set_case_number(state.case_number());
  entry.set_subject(state.referral().subject());
  entry.set_company_name(state.referral().company_name());
  entry.set_topic(state.referral().topic());
  entry.set_state(std::string(ListStateOf(state)));
  entry.set_status(state.status());
  entry.set_department(state.assignee());
  if (!state.contact_person().id().empty()) {
    *entry.mutable_contact_person() = state.contact_person();
  }
  entry.set_due_at_us(state.due_at_us());
  entry.set_submitted_at_us(state.submitted_at_us());
  if (state.has_answer()) {
    entry.set_answered_at_us(state.answer().answered_at_us());
    entry.set_answer_excerpt(Excerpt(state.answer().text(), kAnswerExcerptChars));
  }
  return entry;
}

std::string OfficeListPrefix(std::string_view office) {
  std::string prefix(office);
  prefix.push_back('\0');
  return prefix;
}

std::string OfficeListKey(const ReferralState& state) {
  return OfficeListPrefix(state.referral().office()) +
         store::EncodeU64(~static_cast<uint64_t>(state.submitted_at_us())) + state.referral_id();
}

void OfficeList::Put(store::Batch& batch, const ReferralState& state) const {
  batch.Put(cf_, OfficeListKey(state), ListEntryOf(state).SerializeAsString());
}

absl::StatusOr<size_t> OfficeList::BuildOnce(store::Store& store, store::Cf referrals) const {
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> built,
                         store.Get(store::kMeta, kOfficeListBuiltKey));
  if (built.has_value()) {
    return 0;
  }
  size_t written = 0;
  std::string start;
  for (;;) {
    std::vector<ReferralState> chunk;
    std::string last;
    bool more = false;
    absl::Status damaged;
    LOTSE_RETURN_IF_ERROR(
        store.ScanRange(referrals, start, "", [&](std::string_view key, std::string_view value) {
          if (chunk.size() == kBuildChunk) {
            more = true;
            return false;
          }
          ReferralState state;
          if (!state.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            damaged = absl::DataLossError(
                StrCat("the stored record of referral ", key,
                       " is damaged: the office list cannot be built without it"));
            return false;
          }
          chunk.push_back(std::move(state));
          last = std::string(key);
          return true;
        }));
    LOTSE_RETURN_IF_ERROR(damaged);
    store::Batch batch(&store);
    for (const ReferralState& state : chunk) {
      Put(batch, state);
    }
    if (!more) {
      batch.Put(store::kMeta, kOfficeListBuiltKey, "1");
    }
    LOTSE_RETURN_IF_ERROR(store.Commit(batch));
    written += chunk.size();
    if (!more) {
      return written;
    }
    start = last;
    start.push_back('\0');
  }
}

absl::StatusOr<lotse::v1::ReferralList> OfficeList::List(
    const config::Config& config, const store::Store& store, const lotse::v1::Actor& actor,
    const lotse::v1::ListReferralsRequest& request) const {
  LOTSE_ASSIGN_OR_RETURN(const std::string office, ListedOffice(config, actor, request.office()));
  if (request.limit() > kMaxListLimit) {
    return InvalidField("limit",
                        StrCat("limit is at most ", kMaxListLimit, " referrals a page, got ",
                               request.limit(), ": ask for fewer and page on with 'after'"));
  }
  const uint32_t limit = request.limit() == 0 ? kDefaultListLimit : request.limit();
  LOTSE_ASSIGN_OR_RETURN(const Filter filter, ParseFilter(request));
  LOTSE_ASSIGN_OR_RETURN(const Range range, ParseRange(config, OfficeListPrefix(office), request));

  lotse::v1::ReferralList list;
  list.set_office(office);
  if (range.empty) {
    return list;
  }
  // A reply always fits in one message, however long the entries: the rest is the next page.
  const size_t room = static_cast<size_t>(config.limits.max_message_bytes) / 2;
  size_t bytes = 0;
  size_t examined = 0;
  std::string last;  // the last key this page has dealt with: shown, or passed over
  bool more = false;
  absl::Status damaged;
  LOTSE_RETURN_IF_ERROR(store.ScanRange(
      cf_, range.start, range.end, [&](std::string_view key, std::string_view value) {
        if (static_cast<uint32_t>(list.entries_size()) == limit || examined == kMaxListScan) {
          more = true;
          return false;
        }
        ++examined;
        ReferralListEntry entry;
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          damaged = absl::DataLossError("an entry of the office's list is damaged");
          return false;
        }
        if (!filter.Matches(entry)) {
          last = std::string(key);
          return true;
        }
        if (!entry.department().empty()) {
          entry.set_department_name(AssigneeName(config, entry.department()));
        }
        const config::Topic* topic = config.FindTopic(entry.topic());
        entry.set_topic_name(topic != nullptr ? topic->name : entry.topic());
        const size_t size = entry.ByteSizeLong();
        if (list.entries_size() > 0 && bytes + size > room) {
          more = true;
          return false;
        }
        bytes += size;
        *list.add_entries() = std::move(entry);
        last = std::string(key);
        return true;
      }));
  LOTSE_RETURN_IF_ERROR(damaged);
  if (more) {
    list.set_next(absl::BytesToHexString(last));
  }
  return list;
}

}  // namespace lotse::intake
