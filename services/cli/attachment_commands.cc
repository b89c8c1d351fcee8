// Documents attached to a referral: lotse attach, lotse attachment and lotse attachments
// (command_line.h). A file travels to intake in chunks of at most 512 KiB (a message holds at
// most limits.max_message_bytes), all with one idempotency key, so a retried chunk or a
// repeated command never stores anything twice.

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "absl/strings/str_format.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/cli/command_line.h"
#include "services/cli/output.h"
#include "services/cli/table.h"

namespace lotse::cli {
namespace {

using lotse::v1::IntakeReply;

constexpr uint64_t kChunkBytes = uint64_t{512} << 10;  // intake's kChunkBytes

struct AttachFlags {
  std::string ref, file, name, office, department, key;
};

struct AttachmentFlags {
  std::string ref, name, out, office, department;
  bool force = false;
};

struct ListFlags {
  std::string ref, office, department;
};

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += absl::StrFormat("%02x", digest[i]);
  }
  return hex;
}

std::string Size(uint64_t bytes) {
  if (bytes < 1024) {
    return StrCat(bytes, " bytes");
  }
  if (bytes < (1 << 20)) {
    return absl::StrFormat("%.1f KiB", static_cast<double>(bytes) / 1024);
  }
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

// Exactly one of office and department must be given: who acts.
bool OneOf(Session& s, const std::string& office, const std::string& department, int* code) {
  if (office.empty() == department.empty()) {
    *code = s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                         "say who acts: --office O or --department D", "office"));
    return false;
  }
  return true;
}

int Attach(Session& s, const AttachFlags& f) {
  int code = kExitOk;
  if (!OneOf(s, f.office, f.department, &code)) {
    return code;
  }
  std::ifstream in(f.file, std::ios::binary);
  if (!in) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        StrCat("cannot read ", f.file, ": check the path"),
                                        "file"));
  }
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  client::AttachArgs chunk;
  chunk.ref = f.ref;
  chunk.office = f.office;
  chunk.department = f.department;
  chunk.key = client::KeyOrRandom(f.key);  // the same for every chunk
  chunk.name = f.name.empty() ? std::filesystem::path(f.file).filename().string() : f.name;
  chunk.size = content.size();
  chunk.sha256 = Sha256Hex(content);
  // An empty file still goes once, so that intake says why it refuses it.
  uint64_t offset = 0;
  do {
    chunk.offset = offset;
    chunk.data = content.substr(offset, kChunkBytes);
    IntakeReply reply;
    if (int c = s.Call(client::AttachRequest(chunk), IntakeReply::kAttached, reply); c != kExitOk) {
      return c;
    }
    offset += chunk.data.size();
    if (reply.attached().complete() || offset >= content.size()) {
      const lotse::v1::AttachmentRef& a = reply.attached().attachment();
      return s.Print(reply.attached(),
                     StrCat("Attached '", a.name(), "' (", Size(a.size()), ", sha256 ",
                            a.sha256(), ") to referral ", f.ref, ".\n"));
    }
  } while (true);
}

int ReadAttachment(Session& s, const AttachmentFlags& f) {
  int code = kExitOk;
  if (!OneOf(s, f.office, f.department, &code)) {
    return code;
  }
  std::error_code ec;
  if (!f.force && std::filesystem::exists(f.out, ec)) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_ALREADY_EXISTS,
                                        StrCat(f.out, " exists already: choose another --out, or "
                                               "add --force to overwrite it"),
                                        "out"));
  }
  client::AttachmentArgs get;
  get.ref = f.ref;
  get.office = f.office;
  get.department = f.department;
  get.name = f.name;
  std::string content;
  lotse::v1::AttachmentRef ref;
  while (true) {
    get.offset = content.size();
    IntakeReply reply;
    if (int c = s.Call(client::AttachmentRequest(get), IntakeReply::kAttachment, reply);
        c != kExitOk) {
      return c;
    }
    ref = reply.attachment().attachment();
    content += reply.attachment().data();
    if (content.size() >= ref.size() || reply.attachment().data().empty()) {
      break;
    }
  }
  if (content.size() != ref.size() || Sha256Hex(content) != ref.sha256()) {
    return s.Fail(kExitUnavailable,
                  MakeError(lotse::v1::ERROR_CODE_INTERNAL,
                            StrCat("the bytes received for '", ref.name(),
                                   "' do not match its size and SHA-256: nothing was written; "
                                   "try again, and tell your administrator if it persists")));
  }
  std::ofstream out(f.out, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) {
    return s.Fail(kExitUsage, MakeError(lotse::v1::ERROR_CODE_INVALID_ARGUMENT,
                                        StrCat("cannot write ", f.out, ": check the path and the "
                                               "free space"),
                                        "out"));
  }
  return s.Print(ref, StrCat("Wrote '", ref.name(), "' (", Size(ref.size()),
                             ", sha256 checked) to ", f.out, ".\n"));
}

int ListAttachments(Session& s, const ListFlags& f) {
  int code = kExitOk;
  if (!OneOf(s, f.office, f.department, &code)) {
    return code;
  }
  client::AttachmentArgs list;  // no name: the list
  list.ref = f.ref;
  list.office = f.office;
  list.department = f.department;
  const lotse::v1::IntakeRequest request = client::AttachmentRequest(list);
  return s.CallThen(request, IntakeReply::kAttachment, [&](const IntakeReply& r) {
    const lotse::v1::AttachmentChunk& list = r.attachment();
    if (list.attachments().empty()) {
      return s.Print(list, StrCat("Referral ", f.ref, " has no attachments.\n"));
    }
    Table table({{"name", 60}, {"size", 12}, {"added by", 30}, {"added", 16}, {"sha256", 16}});
    for (const lotse::v1::AttachmentRef& a : list.attachments()) {
      table.AddRow({a.name(), Size(a.size()), a.added_by(), LocalTime(a.added_at_us(), s.zone()),
                    a.sha256().substr(0, 16)});
    }
    return s.Print(list, table.Render());
  });
}

}  // namespace

void AddAttachmentCommands(CommandLine& cli) {
  {
    auto [sub, f] = cli.Add("attach",
                            "attach a document (up to 10 MiB; 50 MiB per referral) to a referral",
                            Attach);
    AddRef(sub, f->ref);
    sub->add_option("FILE", f->file, "the file to attach")->required();
    sub->add_option("--name", f->name, "its name in the referral (default: the file's name)");
    AddOfficeOrDepartment(sub, f->office, f->department, "attach as this office",
                          "attach as this department or KAM");
    AddKey(sub, f->key);
  }
  {
    auto [sub, f] = cli.Add("attachment", "save a referral's attachment to a file",
                            ReadAttachment);
    AddRef(sub, f->ref);
    sub->add_option("NAME", f->name, "the attachment's name ('lotse attachments REF')")
        ->required();
    sub->add_option("--out", f->out, "the file to write")->required();
    sub->add_flag("--force", f->force, "overwrite --out if it exists");
    AddAskAs(sub, f->office, f->department);
  }
  {
    auto [sub, f] = cli.Add("attachments", "list a referral's attachments", ListAttachments);
    AddRef(sub, f->ref);
    AddAskAs(sub, f->office, f->department);
  }
}

}  // namespace lotse::cli
