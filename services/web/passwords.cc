#include "services/web/passwords.h"

#include <sodium.h>

#include "common/format.h"
#include "common/service/errors.h"

namespace lotse::web {
namespace {

constexpr size_t kMinPasswordBytes = 12;
constexpr size_t kMaxPasswordBytes = 1024;

}  // namespace

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

absl::StatusOr<std::string> HashPassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return service::InvalidField(
        "password", StrCat("a password needs ", kMinPasswordBytes, " to ", kMaxPasswordBytes,
                           " characters: choose a longer one (a few words make a "
                           "good one)"));
  }
  if (!SodiumReady()) {
    return absl::InternalError("libsodium could not be initialised");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return absl::ResourceExhaustedError(
        "the password could not be hashed: not enough memory (argon2id needs 64 MiB)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!SodiumReady() || hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      password.size() > kMaxPasswordBytes) {
    return false;
  }
  const std::string terminated(hash);  // crypto_pwhash_str_verify wants a C string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

}  // namespace lotse::web
