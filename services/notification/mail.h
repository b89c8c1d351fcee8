#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/config/config.h"
#include "lotse/v1/notification.pb.h"

namespace lotse::notification {

// The e-mail channel's pure parts: who gets a mail at which address, what the mail looks like,
// and when a failed mail is tried again. All functions are pure and thread-safe.

// The e-mail address of an inbox `recipient` ("office/<id>" -> offices[].email,
// "department/<id>" -> departments[].email or key_accounts[].email, "staff/<id>" -> the staff
// member's email, "head" -> routing.head_email). Returns "" if the recipient is unknown or has no
// address (then it gets no mail). "company/<referral>" is not in the config: the service takes
// the company contact's address from its note of the referral.
std::string MailAddressFor(const config::Config& config, std::string_view recipient);

// A header value: as is if it is printable ASCII, else RFC 2047 encoded words
// ("=?UTF-8?B?...?=", each at most 75 characters, folded onto continuation lines). Line breaks
// in `text` become spaces, so a value can never start a new header.
std::string EncodeHeaderValue(std::string_view text);

// `text` as quoted-printable (RFC 2045) with CRLF line ends and lines of at most 76 characters.
std::string QuotedPrintable(std::string_view text);

// The whole RFC 5322 message for one inbox message, CRLF line ends: From, To, Subject (the
// title), Date, Message-ID "<seq.recipient@lotse>", MIME headers (text/plain; charset=utf-8,
// quoted-printable), and as body the title, the body and the case number.
std::string FormatMail(const lotse::v1::InboxMessage& message, std::string_view from,
                       std::string_view to, absl::Time date);

// The delay before the next attempt after `failed_attempts` (>= 1) failures: initial_ms,
// doubling per failure, at most max_ms, plus `jitter` (in [0, 1)) times 10 % of that.
absl::Duration RetryDelay(int failed_attempts, int initial_ms, int max_ms, double jitter);

}  // namespace lotse::notification
