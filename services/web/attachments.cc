#include "services/web/attachments.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "common/format.h"
#include "services/web/html.h"
#include "services/web/passwords.h"
#include "services/web/site.h"
#include "spdlog/spdlog.h"

namespace lotse::web {

bool TakesFiles(std::string_view path) {
  if (path == "/anfragen/neu") {
    return true;
  }
  constexpr std::string_view kPrefix = "/anfragen/";
  constexpr std::string_view kSuffix = "/anhaenge";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) {
    return false;
  }
  const std::string_view ref =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  return !ref.empty() && ref.size() <= 64 && std::all_of(ref.begin(), ref.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '-';
  });
}

std::optional<PostedForm> ReadPostedForm(const httplib::Request& request,
                                         httplib::Response& response,
                                         const httplib::ContentReader& reader,
                                         std::string_view file_field, bool keep_files) {
  PostedForm form{request, {}};
  uint64_t field_bytes = 0;  // the text fields' names and values
  bool fields_too_long = false;
  bool read = false;
  if (request.is_multipart_form_data()) {
    std::string* text = nullptr;  // the value of the text field being read
    PostedFile* file = nullptr;   // the file being read
    std::vector<bool> dropped;    // per file: its bytes are not kept
    uint64_t kept_bytes = 0;      // of every file
    read = reader(
        [&](const httplib::MultipartFormData& part) {
          text = nullptr;
          file = nullptr;
          if (!part.filename.empty() || part.name == file_field) {
            // A file of the file field; anything else with a file name, or the file field left
            // empty, is dropped.
            if (part.name == file_field && !part.filename.empty()) {
              file = &form.files.emplace_back();
              file->name = part.filename;
              dropped.push_back(!keep_files);
            }
            return true;
          }
          field_bytes += part.name.size();
          text = &form.request.params.emplace(part.name, std::string())->second;
          return true;
        },
        [&](const char* data, size_t size) {
          if (text != nullptr) {
            field_bytes += size;
            if (field_bytes > kMaxFormBytes) {
              fields_too_long = true;
              return false;
            }
            text->append(data, size);
            return true;
          }
          if (file == nullptr) {
            return true;
          }
          file->size += size;
          if (dropped.back()) {
            return true;
          }
          if (file->size > kMaxFileBytes || kept_bytes + size > kMaxReferralBytes) {
            kept_bytes -= file->content.size();
            file->content = std::string();
            dropped.back() = true;
            return true;
          }
          file->content.append(data, size);
          kept_bytes += size;
          return true;
        });
    for (size_t i = 0; i < form.files.size() && keep_files; ++i) {
      if (dropped[i]) {
        (form.files[i].size > kMaxFileBytes ? form.files[i].too_large : form.files[i].over_budget) =
            true;
      }
    }
  } else {
    std::string body;
    read = reader([&](const char* data, size_t size) {
      if (body.size() + size > kMaxFormBytes) {
        fields_too_long = true;
        return false;
      }
      body.append(data, size);
      return true;
    });
    if (read) {
      httplib::detail::parse_query_text(body, form.request.params);
    }
  }
  if (!read) {
    if (fields_too_long) {
      response.status = 413;
    } else if (response.status < 400) {
      response.status = 400;
    }
    return std::nullopt;
  }
  return form;
}

std::string Sha256Hex(std::string_view bytes) {
  SodiumReady();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

absl::StatusOr<lotse::v1::IntakeReply> AttachFile(Site& site, const Caller& caller,
                                                  client::AttachArgs args,
                                                  std::string_view content) {
  args.key = client::KeyOrRandom(args.key);  // one for every chunk of this file
  args.size = content.size();
  if (args.sha256.empty()) {
    args.sha256 = Sha256Hex(content);
  }
  args.offset = 0;
  for (;;) {
    args.data = std::string(content.substr(args.offset, kAttachChunkBytes));
    lotse::v1::IntakeRequest call = client::AttachRequest(args);
    *call.mutable_actor() = caller.Actor();
    absl::StatusOr<lotse::v1::IntakeReply> reply = site.services().Call(std::move(call));
    if (!reply.ok() || reply->has_error()) {
      return reply;
    }
    args.offset += args.data.size();
    if (reply->attached().complete() || args.offset >= content.size()) {
      return reply;
    }
  }
}

std::optional<NotAttached> AttachPostedFile(Site& site, const Caller& caller,
                                            const std::string& ref, const std::string& form_key,
                                            const PostedFile& file) {
  if (file.too_large) {
    return NotAttached::kTooLarge;
  }
  if (file.over_budget) {
    return NotAttached::kOverBudget;
  }
  client::AttachArgs args;
  args.ref = ref;
  args.name = file.name;
  args.sha256 = Sha256Hex(file.content);
  args.key = Sha256Hex(StrCat(form_key, std::string_view("\0", 1), file.name,
                              std::string_view("\0", 1), args.sha256))
                 .substr(0, 32);
  absl::StatusOr<lotse::v1::IntakeReply> reply = AttachFile(site, caller, args, file.content);
  if (!reply.ok()) {
    spdlog::error("'{}' ({}) could not attach a file to {}: {}", caller.account.login(),
                  caller.viewer.acts_for, ref, reply.status().message());
    return NotAttached::kNoReply;
  }
  if (!reply->has_error()) {
    if (reply->attached().complete()) {
      return std::nullopt;
    }
    return NotAttached::kRefused;
  }
  const lotse::v1::Error& error = reply->error();
  // Code and field only: intake's message may name the file, and a file's name is the
  // company's data, not the log's.
  spdlog::info("intake did not attach a file of {} bytes to {} for '{}': {} {}", file.size, ref,
               caller.account.login(), lotse::v1::ErrorCode_Name(error.code()), error.field());
  switch (error.code()) {
    case lotse::v1::ERROR_CODE_ALREADY_EXISTS:
      return NotAttached::kNameTaken;
    case lotse::v1::ERROR_CODE_RESOURCE_EXHAUSTED:
      return error.field() == "size" ? NotAttached::kOverBudget : NotAttached::kRefused;
    case lotse::v1::ERROR_CODE_UNAVAILABLE:
      return NotAttached::kNoReply;
    case lotse::v1::ERROR_CODE_INVALID_ARGUMENT:
      if (error.field() == "name") {
        return NotAttached::kBadName;
      }
      if (error.field() == "size") {
        return file.content.empty() ? NotAttached::kEmpty : NotAttached::kTooLarge;
      }
      return NotAttached::kRefused;
    default:
      return NotAttached::kRefused;
  }
}

std::string NotAttachedText(NotAttached why) {
  switch (why) {
    case NotAttached::kTooLarge:
      return "größer als 10 MB; bitte verkleinern (etwa als PDF mit geringerer Auflösung) oder "
             "aufteilen";
    case NotAttached::kOverBudget:
      return "die Anhänge der Anfrage wären zusammen größer als 50 MB";
    case NotAttached::kEmpty:
      return "die Datei ist leer";
    case NotAttached::kBadName:
      return "diesen Dateinamen nimmt Lotse nicht an (höchstens 255 Bytes, ohne Pfad und "
             "Steuerzeichen); bitte umbenennen";
    case NotAttached::kNameTaken:
      return "die Anfrage hat schon einen Anhang dieses Namens; bitte umbenennen";
    case NotAttached::kNoReply:
      return "Lotse war gerade nicht erreichbar; bitte in einer Minute nachreichen";
    case NotAttached::kRefused:
      break;
  }
  return "Lotse hat die Datei nicht angenommen; bitte später nachreichen oder die IT fragen";
}

std::string FileNames(const std::vector<PostedFile>& files) {
  std::string out;
  for (const PostedFile& f : files) {
    out += StrCat(out.empty() ? "" : ", ", f.name);
  }
  return out;
}

std::string AttachmentsSection(
    Site& site, const std::string& base,
    const google::protobuf::RepeatedPtrField<lotse::v1::AttachmentRef>& attachments,
    std::string_view empty, std::string_view more) {
  if (attachments.empty() && empty.empty() && more.empty()) {
    return "";
  }
  std::string items;
  for (const lotse::v1::AttachmentRef& a : attachments) {
    items += StrCat(R"(<li><a href=")", base, "/anhang?name=", Escape(UrlEncode(a.name())), R"(">)",
                    Escape(a.name()), "</a> (", (a.size() + 1023) / 1024, " KiB, ",
                    Escape(DateTime(a.added_at_us(), site.config().city.zone)), ")</li>");
  }
  return StrCat(R"(<section id="anhaenge"><h2>Anhänge</h2>)",
                items.empty() ? StrCat(R"(<p class="empty">)", Escape(empty), "</p>")
                              : StrCat("<ul>", items, "</ul>"),
                more, "</section>");
}

}  // namespace lotse::web
