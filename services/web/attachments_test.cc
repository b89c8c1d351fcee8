// Reading a form with files as it arrives, without HTTP: which paths may send files, text fields
// as params, a file field left empty, files over the per-file and per-referral limits counted and
// not kept, nothing kept for a caller who may not attach, text beyond 1 MiB refused.
#include "services/web/attachments.h"

#include <string>
#include <vector>

#include "common/format.h"
#include "gtest/gtest.h"

namespace lotse::web {
namespace {

// A part of a multipart body: its field, file name ("" for a text field) and bytes.
struct Part {
  std::string name, filename, content;
};

// A ContentReader that hands `parts` to the multipart callbacks as httplib's parser does, the
// bytes in pieces of at most 1 MiB; it stops, as httplib does, when a callback says no.
httplib::ContentReader MultipartReader(const std::vector<Part>& parts) {
  return httplib::ContentReader(
      [](const httplib::ContentReceiver&) { return false; },
      [parts](const httplib::MultipartContentHeader& header,
              const httplib::ContentReceiver& receiver) {
        for (const Part& part : parts) {
          httplib::MultipartFormData data;
          data.name = part.name;
          data.filename = part.filename;
          if (!header(data)) {
            return false;
          }
          for (size_t at = 0; at == 0 || at < part.content.size(); at += size_t{1} << 20) {
            const std::string_view piece =
                std::string_view(part.content).substr(at, size_t{1} << 20);
            if (!receiver(piece.data(), piece.size())) {
              return false;
            }
          }
        }
        return true;
      });
}

httplib::Request Multipart() {
  httplib::Request request;
  request.method = "POST";
  request.path = "/anfragen/neu";
  request.set_header("Content-Type", "multipart/form-data; boundary=x");
  return request;
}

TEST(TakesFilesTest, OnlyTheNewReferralAndAnAttachFormTakeFiles) {
  EXPECT_TRUE(TakesFiles("/anfragen/neu"));
  EXPECT_TRUE(TakesFiles("/anfragen/r1a24cd828a41a2e41a87aee36f0/anhaenge"));
  EXPECT_TRUE(TakesFiles("/anfragen/2026-000001/anhaenge"));
  for (const char* path : {"/anfragen/neu/", "/anfragen//anhaenge", "/anfragen/a/b/anhaenge",
                           "/anfragen/x%2F/anhaenge", "/vorgaenge/x/anhaenge", "/anmelden",
                           "/api/v1/referrals/x/attachments", "/anfragen/x/nachfrage"}) {
    EXPECT_FALSE(TakesFiles(path)) << path;
  }
  EXPECT_FALSE(TakesFiles(StrCat("/anfragen/", std::string(65, 'a'), "/anhaenge")));
}

TEST(ReadPostedFormTest, TextFieldsBecomeParamsAndAnEmptyFileFieldIsNoFile) {
  httplib::Response response;
  std::optional<PostedForm> form =
      ReadPostedForm(Multipart(), response,
                     MultipartReader({{"csrf", "", "token"},
                                      {"subject", "", "Lagerhalle"},
                                      {"anhang", "Plan.pdf", std::string("%PDF\0\r\n--x", 11)},
                                      {"anhang", "", ""},
                                      {"other", "fremd.txt", "not a file of the form"}}),
                     "anhang", true);
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->request.get_param_value("csrf"), "token");
  EXPECT_EQ(form->request.get_param_value("subject"), "Lagerhalle");
  EXPECT_FALSE(form->request.has_param("anhang"));
  EXPECT_FALSE(form->request.has_param("other"));
  ASSERT_EQ(form->files.size(), 1u);
  EXPECT_EQ(form->files[0].name, "Plan.pdf");
  EXPECT_EQ(form->files[0].content, std::string("%PDF\0\r\n--x", 11));
  EXPECT_EQ(form->files[0].size, 11u);
  EXPECT_FALSE(form->files[0].too_large || form->files[0].over_budget);
}

TEST(ReadPostedFormTest, KeepsFilesUpToTheLimitsAndNamesTheRest) {
  const std::string nine(size_t{9} << 20, 'n');
  std::vector<Part> parts = {{"anhang", "gross.tif", std::string(kMaxFileBytes + 1, 'g')},
                             {"anhang", "genau.pdf", std::string(kMaxFileBytes, 'e')}};
  for (int i = 0; i < 5; ++i) {  // 10 + 45 MiB: the fifth of these is beyond 50 MiB
    parts.push_back({"anhang", StrCat("teil", i, ".pdf"), nine});
  }
  parts.push_back({"anhang", "klein.txt", "passt noch"});
  httplib::Response response;
  std::optional<PostedForm> form =
      ReadPostedForm(Multipart(), response, MultipartReader(parts), "anhang", true);
  ASSERT_TRUE(form.has_value());
  ASSERT_EQ(form->files.size(), 8u);
  EXPECT_TRUE(form->files[0].too_large);
  EXPECT_EQ(form->files[0].size, kMaxFileBytes + 1);
  EXPECT_TRUE(form->files[0].content.empty());
  EXPECT_FALSE(form->files[1].too_large || form->files[1].over_budget);
  EXPECT_EQ(form->files[1].content.size(), kMaxFileBytes);
  for (int i = 2; i < 6; ++i) {
    EXPECT_FALSE(form->files[i].too_large || form->files[i].over_budget) << i;
    EXPECT_EQ(form->files[i].content, nine) << i;
  }
  EXPECT_TRUE(form->files[6].over_budget);
  EXPECT_FALSE(form->files[6].too_large);
  EXPECT_TRUE(form->files[6].content.empty());
  EXPECT_EQ(form->files[7].content, "passt noch");  // 10 + 36 MiB and 10 bytes
}

TEST(ReadPostedFormTest, KeepsNothingForACallerWhoMayNotAttach) {
  httplib::Response response;
  std::optional<PostedForm> form = ReadPostedForm(
      Multipart(), response,
      MultipartReader({{"csrf", "", "token"}, {"anhang", "Plan.pdf", std::string(1000, 'p')}}),
      "anhang", false);
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->request.get_param_value("csrf"), "token");
  ASSERT_EQ(form->files.size(), 1u);
  EXPECT_TRUE(form->files[0].content.empty());
  EXPECT_EQ(form->files[0].size, 1000u);
}

TEST(ReadPostedFormTest, RefusesTextBeyondAMebibyte) {
  httplib::Response response;
  EXPECT_FALSE(ReadPostedForm(Multipart(), response,
                              MultipartReader({{"text", "", std::string(kMaxFormBytes, 't')}}),
                              "anhang", true)
                   .has_value());
  EXPECT_EQ(response.status, 413);
}

TEST(ReadPostedFormTest, ReadsAnUrlencodedFormToo) {
  httplib::Request request;
  request.method = "POST";
  request.set_header("Content-Type", "application/x-www-form-urlencoded");
  const std::string body = "csrf=t%C3%B6ken&subject=Lager+halle";
  httplib::Response response;
  std::optional<PostedForm> form =
      ReadPostedForm(request, response,
                     httplib::ContentReader(
                         [&](const httplib::ContentReceiver& receiver) {
                           return receiver(body.data(), body.size());
                         },
                         [](const httplib::MultipartContentHeader&,
                            const httplib::ContentReceiver&) { return false; }),
                     "anhang", true);
  ASSERT_TRUE(form.has_value());
  EXPECT_EQ(form->request.get_param_value("csrf"), "töken");
  EXPECT_EQ(form->request.get_param_value("subject"), "Lager halle");
  EXPECT_TRUE(form->files.empty());
}

TEST(NotAttachedTextTest, SaysEveryReasonInGerman) {
  for (NotAttached why : {NotAttached::kTooLarge, NotAttached::kOverBudget, NotAttached::kEmpty,
                          NotAttached::kBadName, NotAttached::kNameTaken, NotAttached::kNoReply,
                          NotAttached::kRefused}) {
    EXPECT_FALSE(NotAttachedText(why).empty());
  }
  EXPECT_EQ(NotAttachedText(NotAttached::kTooLarge).rfind("größer als 10 MB", 0), 0u);
}

}  // namespace
}  // namespace lotse::web
