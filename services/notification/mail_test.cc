#include "services/notification/mail.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lotse::notification {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

lotse::v1::InboxMessage Sample(std::string title) {
  lotse::v1::InboxMessage m;
  m.set_seq(7);
  m.set_recipient("department/umwelt");
  m.set_referral_id("r-123");
  m.set_case_number("2026-000042");
  m.set_title(std::move(title));
  m.set_body("Firma Muster GmbH fragt nach der Genehmigung.\nBitte bis Freitag antworten.");
  return m;
}

TEST(MailAddressForTest, FindsOfficeDepartmentAndKeyAccountAddresses) {
  const absl::StatusOr<config::Config> config =
      config::ParseConfig(config::DefaultConfigText(), "default");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(MailAddressFor(*config, "department/umwelt"), "umweltamt@example.org");
  EXPECT_EQ(MailAddressFor(*config, "office/bb-mitte"), "buergerbuero-mitte@example.org");
  ASSERT_FALSE(config->key_accounts.empty());
  const config::KeyAccount& kam = config->key_accounts.front();
  EXPECT_EQ(MailAddressFor(*config, "department/" + kam.id), kam.email);
  EXPECT_EQ(MailAddressFor(*config, "department/nonexistent"), "");
  EXPECT_EQ(MailAddressFor(*config, "umwelt"), "");
}

TEST(MailAddressForTest, FindsStaffAndTheHead) {
  const absl::StatusOr<config::Config> config =
      config::ParseConfig(config::DefaultConfigText(), "default");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(MailAddressFor(*config, "staff/bo-mueller"), "jana.mueller@example.org");
  EXPECT_EQ(MailAddressFor(*config, "staff/nobody"), "");
  EXPECT_EQ(MailAddressFor(*config, "head"), config->routing.head_email);
  EXPECT_FALSE(config->routing.head_email.empty());
  // The company's address is never in the config: it comes from the referral's note.
  EXPECT_EQ(MailAddressFor(*config, "company/r1"), "");
}

TEST(EncodeHeaderValueTest, KeepsAsciiAndEncodesUtf8InShortWords) {
  EXPECT_EQ(EncodeHeaderValue("Neue Anfrage 2026-000042"), "Neue Anfrage 2026-000042");
  EXPECT_EQ(EncodeHeaderValue("Bürgerbüro"), "=?UTF-8?B?QsO8cmdlcmLDvHJv?=");
  EXPECT_EQ(EncodeHeaderValue("a\r\nBcc: x@example.org"), "a  Bcc: x@example.org");

  const std::string long_title =
      "Neue Anfrage: Größere Fläche für die Erweiterung der Gießerei am Südhafen gesucht";
  const std::string encoded = EncodeHeaderValue(long_title);
  std::string decoded;
  for (const absl::string_view word : absl::StrSplit(encoded, "\r\n ")) {
    EXPECT_LE(word.size(), 75u) << word;
    ASSERT_TRUE(absl::StartsWith(word, "=?UTF-8?B?") && absl::EndsWith(word, "?="));
    std::string part;
    ASSERT_TRUE(absl::Base64Unescape(word.substr(10, word.size() - 12), &part));
    decoded += part;  // every word is whole UTF-8 on its own
  }
  EXPECT_EQ(decoded, long_title);
}

TEST(QuotedPrintableTest, EncodesUtf8EqualsAndLongLines) {
  EXPECT_EQ(QuotedPrintable("Grüße = 1\nok "), "Gr=C3=BC=C3=9Fe =3D 1\r\nok=20");
  const std::string long_line(200, 'x');
  const std::string out = QuotedPrintable(long_line);
  for (const absl::string_view line : absl::StrSplit(out, "\r\n")) {
    EXPECT_LE(line.size(), 76u);
  }
  EXPECT_EQ(absl::StrReplaceAll(out, {{"=\r\n", ""}}), long_line);
}

TEST(FormatMailTest, HasTheHeadersAndTheCaseNumber) {
  const std::string mail =
      FormatMail(Sample("Neue Anfrage für das Umweltamt"), "lotse@stadt.example",
                 "umweltamt@example.org", absl::FromUnixSeconds(1772438400));
  EXPECT_THAT(mail, StartsWith("From: Lotse <lotse@stadt.example>\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\nTo: <umweltamt@example.org>\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\nSubject: =?UTF-8?B?"));
  EXPECT_THAT(mail, HasSubstr("\r\nDate: Mon, 02 Mar 2026 08:00:00 +0000\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\nMessage-ID: <7.department/umwelt@lotse>\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
  EXPECT_THAT(mail, HasSubstr("\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
  EXPECT_THAT(mail, HasSubstr("Aktenzeichen: 2026-000042"));
  EXPECT_THAT(mail, HasSubstr("Bitte bis Freitag antworten."));
  EXPECT_THAT(mail, Not(HasSubstr("\n\n")));  // CRLF only
}

TEST(RetryDelayTest, DoublesFromInitialUpToTheMaximum) {
  EXPECT_EQ(RetryDelay(1, 1000, 300000, 0), absl::Seconds(1));
  EXPECT_EQ(RetryDelay(2, 1000, 300000, 0), absl::Seconds(2));
  EXPECT_EQ(RetryDelay(5, 1000, 300000, 0), absl::Seconds(16));
  EXPECT_EQ(RetryDelay(9, 1000, 300000, 0), absl::Seconds(256));
  EXPECT_EQ(RetryDelay(10, 1000, 300000, 0), absl::Seconds(300));
  EXPECT_EQ(RetryDelay(1000, 1000, 300000, 0), absl::Seconds(300));       // no overflow
  EXPECT_EQ(RetryDelay(1, 1000, 300000, 0.5), absl::Milliseconds(1050));  // jitter <= 10 %
  EXPECT_LT(RetryDelay(10, 1000, 300000, 0.999), absl::Seconds(330));
}

}  // namespace
}  // namespace lotse::notification
