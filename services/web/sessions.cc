#include "services/web/sessions.h"

#include <sodium.h>

#include <vector>

#include "common/clock/clock.h"
#include "common/status_macros.h"
#include "services/web/passwords.h"

namespace lotse::web {
namespace {

// 32 random bytes as base64url without padding (43 characters).
std::string RandomToken() {
  SodiumReady();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char out[sodium_base64_ENCODED_LEN(sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

// The key a session is stored under: the SHA-256 of its id, as raw bytes.
std::string KeyOf(std::string_view id) {
  SodiumReady();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(id.data()), id.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

absl::StatusOr<NewSession> SessionStore::Start(std::string_view login, uint32_t role,
                                               absl::Time now) {
  NewSession out;
  out.id = RandomToken();
  out.session.set_login(std::string(login));
  out.session.set_role(role);
  out.session.set_csrf_token(RandomToken());
  out.session.set_created_at_us(clock::ToMicros(now));
  out.session.set_last_seen_us(clock::ToMicros(now));
  std::lock_guard lock(*mu_);
  LOTSE_RETURN_IF_ERROR(Put(KeyOf(out.id), out.session));
  return out;
}

absl::StatusOr<std::optional<lotse::v1::WebSession>> SessionStore::Use(std::string_view id,
                                                                       absl::Time now) {
  if (id.empty() || id.size() > 128) {
    return std::nullopt;
  }
  const std::string key = KeyOf(id);
  std::lock_guard lock(*mu_);
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->Get(family_, key));
  if (!bytes.has_value()) {
    return std::nullopt;
  }
  lotse::v1::WebSession session;
  if (!session.ParseFromString(*bytes) || now - clock::FromMicros(session.last_seen_us()) > idle_) {
    store::Batch batch(store_);
    batch.Delete(family_, key);
    LOTSE_RETURN_IF_ERROR(store_->Commit(batch));
    return std::nullopt;
  }
  if (now - clock::FromMicros(session.last_seen_us()) >= absl::Minutes(1)) {
    session.set_last_seen_us(clock::ToMicros(now));
    LOTSE_RETURN_IF_ERROR(Put(key, session));
  }
  return session;
}

absl::Status SessionStore::SetRole(std::string_view id, uint32_t role) {
  std::lock_guard lock(*mu_);
  const std::string key = KeyOf(id);
  LOTSE_ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->Get(family_, key));
  lotse::v1::WebSession session;
  if (!bytes.has_value() || !session.ParseFromString(*bytes)) {
    return absl::NotFoundError("the session has ended");
  }
  session.set_role(role);
  return Put(key, session);
}

absl::Status SessionStore::End(std::string_view id) {
  std::lock_guard lock(*mu_);
  store::Batch batch(store_);
  batch.Delete(family_, KeyOf(id));
  return store_->Commit(batch);
}

absl::StatusOr<size_t> SessionStore::Sweep(absl::Time now) {
  std::vector<std::string> idle;
  std::lock_guard lock(*mu_);
  LOTSE_RETURN_IF_ERROR(
      store_->Scan(family_, "", "", [&](std::string_view key, std::string_view value) {
        lotse::v1::WebSession s;
        if (!s.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
            now - clock::FromMicros(s.last_seen_us()) > idle_) {
          idle.emplace_back(key);
        }
        return true;
      }));
  if (idle.empty()) {
    return 0;
  }
  store::Batch batch(store_);
  for (const std::string& key : idle) {
    batch.Delete(family_, key);
  }
  LOTSE_RETURN_IF_ERROR(store_->Commit(batch));
  return idle.size();
}

absl::Status SessionStore::Put(const std::string& key, const lotse::v1::WebSession& session) {
  store::Batch batch(store_);
  batch.Put(family_, key, session.SerializeAsString());
  return store_->Commit(batch);
}

bool CsrfMatches(const lotse::v1::WebSession& session, std::string_view token) {
  const std::string& want = session.csrf_token();
  return !want.empty() && token.size() == want.size() &&
         sodium_memcmp(want.data(), token.data(), want.size()) == 0;
}

}  // namespace lotse::web
