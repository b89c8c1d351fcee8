#include "common/receipt/receipt.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace lotse::receipt {
namespace {

absl::TimeZone Berlin() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &zone));
  return zone;
}

int64_t At(int y, int mo, int d, int h, int mi) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), Berlin()));
}

lotse::v1::Receipt Sample() {
  lotse::v1::Receipt r;
  r.set_case_number("2026-000123");
  r.set_submitted_at_us(At(2026, 3, 9, 10, 15));
  r.set_office("bb-mitte");
  r.set_office_name("Bürgerbüro Mitte");
  r.set_topic("baugenehmigung");
  r.set_topic_name("Baugenehmigung und Bauvoranfrage");
  r.set_department("bauordnung");
  r.set_department_name("Bauordnungsamt");
  r.mutable_contact_person()->set_name("Jana Müller");
  r.mutable_contact_person()->set_phone("0391 540-4411");
  r.set_expected_by_us(At(2026, 3, 12, 16, 0));
  r.set_next_steps("Ihre Anfrage liegt beim Bauordnungsamt.");
  r.set_feedback_code("K7QM-3XRT-9PAB-WD4E");
  r.set_company_name("Müller & Söhne GmbH");
  r.set_city("Musterstadt");
  return r;
}

TEST(GermanDateTimeTest, WritesWeekdayDateAndTimeInTheCityZone) {
  EXPECT_EQ(GermanDateTime(At(2026, 3, 12, 16, 0), Berlin()), "Do, 12.03.2026, 16:00 Uhr");
  EXPECT_EQ(GermanDateTime(At(2026, 7, 5, 8, 5), Berlin()), "So, 05.07.2026, 08:05 Uhr");
  EXPECT_EQ(GermanDateTime(0, Berlin()), "");
}

TEST(EscapeHtmlTest, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\">Tom's & Co</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Co&lt;/a&gt;");
  EXPECT_EQ(EscapeHtml("Bürgerbüro"), "Bürgerbüro");
}

TEST(RenderTextTest, ShowsEveryFactAndTheCode) {
  const std::string text = RenderText(Sample(), Berlin());
  for (const char* part :
       {"Empfangsbestätigung – Stadt Musterstadt", "2026-000123", "Mo, 09.03.2026, 10:15 Uhr",
        "Müller & Söhne GmbH", "Baugenehmigung und Bauvoranfrage", "Bauordnungsamt",
        "Jana Müller, Tel. 0391 540-4411", "Do, 12.03.2026, 16:00 Uhr", "Bürgerbüro Mitte",
        "So geht es weiter", "Ihre Anfrage liegt beim Bauordnungsamt.",
        "K7QM-3XRT-9PAB-WD4E"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
}

TEST(RenderTextTest, KeepsLinesWithin76Columns) {
  lotse::v1::Receipt r = Sample();
  r.set_next_steps(std::string(30, 'x') + " " + std::string(30, 'y') + " " +
                   std::string(30, 'z') + " Ende.");
  const std::string text = RenderText(r, Berlin());
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    size_t columns = 0;
    for (char c : line) {
      columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    EXPECT_LE(columns, 76u) << line;
    start = end + 1;
  }
}

TEST(RenderTextTest, SaysWhatIsNotKnownYetBeforeRouting) {
  lotse::v1::Receipt r = Sample();
  r.clear_department();
  r.clear_department_name();
  r.clear_contact_person();
  r.set_expected_by_us(0);
  const std::string text = RenderText(r, Berlin());
  EXPECT_NE(text.find("wird gerade ermittelt"), std::string::npos) << text;
  EXPECT_NE(text.find("wird mitgeteilt, sobald das Fachamt"), std::string::npos) << text;
  EXPECT_EQ(text.find("Ansprechperson"), std::string::npos) << text;
}

TEST(RenderTextTest, NamesTheAttachedDocumentsOnlyWhenThereAreAny) {
  EXPECT_EQ(RenderText(Sample(), Berlin()).find("Anlagen"), std::string::npos);
  lotse::v1::Receipt r = Sample();
  r.add_attachments("Lageplan.pdf");
  r.add_attachments("Skizze <Halle>.png");
  EXPECT_NE(RenderText(r, Berlin()).find("Anlagen:"), std::string::npos) << RenderText(r, Berlin());
  EXPECT_NE(RenderText(r, Berlin()).find("Lageplan.pdf, Skizze <Halle>.png"), std::string::npos);
  const std::string sheet = RenderSheet(r, Berlin());
  EXPECT_NE(sheet.find("<th scope=\"row\">Anlagen</th><td>Lageplan.pdf, Skizze &lt;Halle&gt;.png"),
            std::string::npos)
      << sheet;
}

TEST(RenderHtmlTest, EscapesWhatTheOfficeTypedAndLoadsNothing) {
  lotse::v1::Receipt r = Sample();
  r.set_company_name("<script>alert('x')</script> GmbH");
  r.set_next_steps("a <b>bold</b> move");
  const std::string html = RenderHtml(r, Berlin());
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; GmbH"), std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("@page { size: A4"), std::string::npos);
  // Self-contained: nothing fetched from elsewhere.
  for (const char* outside : {"http://", "https://", "src=", "<link", "@import", "url("}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
  EXPECT_NE(html.find("K7QM-3XRT-9PAB-WD4E"), std::string::npos);
  EXPECT_NE(html.find("Müller"), std::string::npos);
}

}  // namespace
}  // namespace lotse::receipt
