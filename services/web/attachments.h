#pragma once

// Documents attached to a referral, as lotse-web takes them from a browser's form and sends them
// to intake: the form's body read as it arrives (files kept only up to intake's limits, so a file
// too large is named, not buffered), a whole file sent in intake's chunks (the pages and the JSON
// API share the loop), why a file was not attached in German, and the list of a referral's
// attachments as a page section. Intake decides; these limits are intake's
// (services/intake/attachments.h), repeated here because the pages state them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/client/requests.h"
#include "httplib.h"
#include "lotse/v1/intake.pb.h"

namespace lotse::web {

class Site;
struct Caller;

inline constexpr uint64_t kMaxFileBytes = uint64_t{10} << 20;       // per file, as intake
inline constexpr uint64_t kMaxReferralBytes = uint64_t{50} << 20;   // per referral, as intake
inline constexpr uint64_t kAttachChunkBytes = uint64_t{512} << 10;  // one AttachRequest's data
// Any request body, and the text fields of a form with files together.
inline constexpr uint64_t kMaxFormBytes = uint64_t{1} << 20;
// The most a form with files may send at all: twice a referral's attachments, so that a person
// who chose a little too much learns per file what was not attached; beyond, lotse-web answers
// 413 and nothing is done. Nothing beyond kMaxReferralBytes is kept.
inline constexpr uint64_t kMaxUploadBytes = 2 * kMaxReferralBytes;
// What the pages say of the limits, next to each file field.
inline constexpr char kFileHint[] =
    "Höchstens 10 MB je Datei und 50 MB je Anfrage; Sie können mehrere Dateien wählen.";

// Whether `path` is a form that carries files (a POST whose body may be up to kMaxUploadBytes):
// /anfragen/neu and /anfragen/<ref>/anhaenge.
bool TakesFiles(std::string_view path);

// A file of a posted form.
struct PostedFile {
  std::string name;     // as the browser sent it
  std::string content;  // its bytes, when kept
  uint64_t size = 0;    // the bytes that arrived
  // Not kept: larger than kMaxFileBytes, or with the files before it beyond kMaxReferralBytes.
  bool too_large = false;
  bool over_budget = false;
};

// A POSTed form: `request` holds every text field as a param (Param, Trimmed and the CSRF check
// read it as any form), `files` the files of the form's file field in the order sent; a part
// without a file name (the field left empty) is no file.
struct PostedForm {
  httplib::Request request;
  std::vector<PostedFile> files;
};

// Reads the body of `request` through `reader` as it arrives, urlencoded or multipart/form-data,
// taking the files of the field `file_field`. Keeps each file up to kMaxFileBytes and the files
// together up to kMaxReferralBytes (what is beyond is counted, not kept); with `keep_files` false
// it keeps no file's bytes at all (a caller who may not attach: the body is read and dropped).
// nullopt: the body is not a form lotse-web takes (text fields beyond kMaxFormBytes, a body
// beyond kMaxUploadBytes, a broken multipart body); `response.status` says which (413, 400).
std::optional<PostedForm> ReadPostedForm(const httplib::Request& request,
                                         httplib::Response& response,
                                         const httplib::ContentReader& reader,
                                         std::string_view file_field, bool keep_files);

// The SHA-256 of `bytes` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view bytes);

// Sends the whole file `content` to intake as the attachment `args.name` of `args.ref`, acting as
// the caller's role for the person: in chunks of at most kAttachChunkBytes, each under `args.key`
// (a random one if empty) with the file's size and SHA-256 (`args.sha256` if given, else
// computed), as `lotse attach` sends it. An empty file goes once, so that intake says why it
// refuses it. Returns intake's reply to the last chunk sent: `attached`, complete once the file
// is stored, or the error intake refused a chunk with; a status when no reply came.
absl::StatusOr<lotse::v1::IntakeReply> AttachFile(Site& site, const Caller& caller,
                                                  client::AttachArgs args,
                                                  std::string_view content);

// Why a file of a form is not attached.
enum class NotAttached {
  kTooLarge,    // larger than kMaxFileBytes
  kOverBudget,  // the referral's attachments would exceed kMaxReferralBytes
  kEmpty,       // 0 bytes
  kBadName,     // intake refuses the name (a path, control characters, over 255 bytes)
  kNameTaken,   // the referral has a file of that name already
  kNoReply,     // intake did not answer
  kRefused,     // intake refused it otherwise (its words are in the log)
};

// Attaches `file` to `ref` as `caller`. The upload's key is made from the form's `form_key`, the
// file's name and its SHA-256: the same file sent again with the same form (a double submit, a
// reload) is the same upload, which intake stores once. Returns why it is not attached, or
// nullopt once it is.
std::optional<NotAttached> AttachPostedFile(Site& site, const Caller& caller,
                                            const std::string& ref, const std::string& form_key,
                                            const PostedFile& file);

// The reason in German, as a clause after the file's name: "größer als 10 MB; …".
std::string NotAttachedText(NotAttached why);

// The names of `files`, comma-separated.
std::string FileNames(const std::vector<PostedFile>& files);

// The referral's attachments as a page section (id "anhaenge"), each a link to its download
// under `base` ("/vorgaenge/<ref>"): name, size in KiB and when it was added. `empty` is said
// when there are none ("" for no section at all); `more` is HTML after the list (a form).
std::string AttachmentsSection(
    Site& site, const std::string& base,
    const google::protobuf::RepeatedPtrField<lotse::v1::AttachmentRef>& attachments,
    std::string_view empty = "", std::string_view more = "");

}  // namespace lotse::web
