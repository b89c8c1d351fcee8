#include "services/web/first_accounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/client/client.h"
#include "common/format.h"
#include "common/status_macros.h"

namespace lotse::web {
namespace {

lotse::v1::AccountRole Role(lotse::v1::ActorKind kind, std::string id, std::string user = "") {
  lotse::v1::AccountRole r;
  r.set_kind(kind);
  r.set_id(std::move(id));
  r.set_user(std::move(user));
  return r;
}

absl::Status AppendPrivately(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        StrCat("cannot write the initial passwords to ", path, ": ", std::strerror(errno)));
  }
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    done += ok ? static_cast<size_t>(n) : 0;
  }
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) {
    return absl::DataLossError(
        StrCat("the initial passwords could not be written to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<FirstAccount> FirstAccounts(const config::Config& config) {
  std::vector<FirstAccount> out;
  for (const config::Office& o : config.offices) {
    out.push_back({o.id, o.name, Role(lotse::v1::ACTOR_KIND_OFFICE, o.id)});
  }
  for (const config::Department& d : config.departments) {
    if (d.staff.empty()) {
      out.push_back({d.id, d.name, Role(lotse::v1::ACTOR_KIND_DEPARTMENT, d.id)});
    }
    for (const config::StaffMember& m : d.staff) {
      out.push_back({m.id, m.name, Role(lotse::v1::ACTOR_KIND_DEPARTMENT, d.id, m.id)});
    }
  }
  for (const config::KeyAccount& k : config.key_accounts) {
    out.push_back({k.id, k.name, Role(lotse::v1::ACTOR_KIND_DEPARTMENT, k.id)});
  }
  out.push_back({"ops", "Betrieb", Role(lotse::v1::ACTOR_KIND_OPS, "ops")});
  out.push_back({"admin", "Verwaltung", Role(lotse::v1::ACTOR_KIND_ADMIN, "admin")});
  return out;
}

absl::StatusOr<size_t> CreateFirstAccounts(const config::Config& config, AccountStore& accounts,
                                           const std::string& passwords_file, absl::Time now) {
  size_t created = 0;
  for (const FirstAccount& a : FirstAccounts(config)) {
    LOTSE_ASSIGN_OR_RETURN(std::optional<lotse::v1::Account> existing, accounts.Find(a.login));
    if (existing.has_value()) {
      continue;
    }
    const std::string password = client::RandomPassword();
    // The line first: a crash before the account is stored leaves a line that a later start
    // follows with a new one for the same login (the last line of a login counts), never an
    // account whose password nobody has.
    LOTSE_RETURN_IF_ERROR(AppendPrivately(
        passwords_file, StrCat(a.login, "\t", password, "\t", DescribeRole(config, a.role), "\n")));
    LOTSE_RETURN_IF_ERROR(
        accounts.Add(config, a.login, a.display_name, {a.role}, password, now).status());
    ++created;
  }
  return created;
}

}  // namespace lotse::web
