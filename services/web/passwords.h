#pragma once

// Passwords of the web terminal's accounts: argon2id through libsodium's crypto_pwhash_str
// (salt and parameters inside the stored string). New random passwords: client::RandomPassword.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lotse::web {

// Initialises libsodium once; false if it cannot (then nothing here works).
bool SodiumReady();

// The argon2id hash of `password` (libsodium's interactive limits: 2 passes over 64 MiB), as
// crypto_pwhash_str writes it ("$argon2id$v=19$m=65536,t=2,p=1$..."). A password must have 12
// to 1024 bytes: shorter is refused with InvalidArgument naming what to do.
absl::StatusOr<std::string> HashPassword(std::string_view password);

// Whether `password` is the one `hash` was made from. False for a malformed hash.
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace lotse::web
