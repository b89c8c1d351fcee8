#include "services/notification/mail.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "common/format.h"
#include "services/notification/messages.h"

namespace lotse::notification {
namespace {

constexpr std::string_view kOfficePrefix = "office/";
constexpr std::string_view kDepartmentPrefix = "department/";
constexpr size_t kEncodedChunkBytes = 45;  // base64: 60 characters, +12 = 72 <= 75
constexpr size_t kQpLineLength = 76;

bool IsPlainHeaderText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x7F;
  });
}

// The length of the longest prefix of `text` of at most `max` bytes that ends on a UTF-8
// character boundary (at least one byte, so progress is guaranteed on invalid input).
size_t Utf8Prefix(std::string_view text, size_t max) {
  if (text.size() <= max) {
    return text.size();
  }
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) {
    --n;
  }
  return n == 0 ? max : n;
}

std::string OneLine(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

}  // namespace

std::string MailAddressFor(const config::Config& config, std::string_view recipient) {
  if (recipient.starts_with(kOfficePrefix)) {
    const config::Office* office = config.FindOffice(recipient.substr(kOfficePrefix.size()));
    return office != nullptr ? office->email : "";
  }
  if (recipient.starts_with(kDepartmentPrefix)) {
    const std::string_view id = recipient.substr(kDepartmentPrefix.size());
    if (const config::Department* department = config.FindDepartment(id)) {
      return department->email;
    }
    if (const config::KeyAccount* account = config.FindKeyAccount(id)) {
      return account->email;
    }
  }
  if (recipient.starts_with(kStaffPrefix)) {
    const config::StaffMember* member =
        config.FindStaff(recipient.substr(kStaffPrefix.size())).second;
    return member != nullptr ? member->email : "";
  }
  if (recipient == kHeadInbox) {
    return config.routing.head_email;
  }
  return "";
}

std::string EncodeHeaderValue(std::string_view text) {
  const std::string line = OneLine(text);
  if (IsPlainHeaderText(line)) {
    return line;
  }
  std::string out;
  std::string_view rest = line;
  while (!rest.empty()) {
    const size_t n = Utf8Prefix(rest, kEncodedChunkBytes);
    if (!out.empty()) {
      out += "\r\n ";
    }
    out += StrCat("=?UTF-8?B?", absl::Base64Escape(std::string(rest.substr(0, n))), "?=");
    rest.remove_prefix(n);
  }
  return out;
}

std::string QuotedPrintable(std::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t column = 0;
  auto put = [&](std::string_view piece) {
    if (column + piece.size() > kQpLineLength - 1) {  // room for the soft break's '='
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the '\n' ends the line
    }
    if (byte == '\n') {
      out += "\r\n";
      column = 0;
      continue;
    }
    const bool line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    const bool literal =
        (byte >= 33 && byte <= 126 && byte != '=') || ((byte == ' ' || byte == '\t') && !line_end);
    if (literal) {
      put(std::string_view(reinterpret_cast<const char*>(&text[i]), 1));
    } else {
      const char encoded[3] = {'=', kHex[byte >> 4], kHex[byte & 0x0F]};
      put(std::string_view(encoded, 3));
    }
  }
  return out;
}

std::string FormatMail(const lotse::v1::InboxMessage& message, std::string_view from,
                       std::string_view to, absl::Time date) {
  std::string body = message.title();
  body += "\n\n";
  body += message.body();
  if (!message.case_number().empty()) {
    body += StrCat("\n\nAktenzeichen: ", message.case_number());
  }
  body += "\n\n-- \nLotse, Vorgang ";
  body += message.referral_id();
  body += "\n";
  std::string out;
  out += StrCat("From: Lotse <", from, ">\r\n");
  out += StrCat("To: <", to, ">\r\n");
  out += StrCat("Subject: ", EncodeHeaderValue(message.title()), "\r\n");
  out += StrCat(
      "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", date, absl::UTCTimeZone()), "\r\n");
  out += StrCat("Message-ID: <", message.seq(), ".", OneLine(message.recipient()), "@lotse>\r\n");
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += QuotedPrintable(body);
  return out;
}

absl::Duration RetryDelay(int failed_attempts, int initial_ms, int max_ms, double jitter) {
  int64_t delay = std::max(initial_ms, 1);
  for (int i = 1; i < failed_attempts && delay < max_ms; ++i) {
    delay *= 2;
  }
  delay = std::min<int64_t>(delay, max_ms);
  const double spread = std::clamp(jitter, 0.0, 1.0) * 0.1 * static_cast<double>(delay);
  return absl::Milliseconds(delay) + absl::Milliseconds(static_cast<int64_t>(spread));
}

}  // namespace lotse::notification
