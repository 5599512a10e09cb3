#include "evently/auth.hpp"

#include <sodium.h>

#include <cctype>

namespace evently {

const Statement kAuthStatement{
    "auth_session",
    "SELECT u.id, u.role FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.token_hash = $1::bytea AND s.expires_at > now()",
    true};

std::string hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::bad_alloc();
  return out;
}

bool verify_password(const std::string& hash, std::string_view password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

namespace {
constexpr size_t kTokenBytes = 32;
constexpr size_t kTokenChars = 43;  // base64url of 32 bytes, unpadded
}  // namespace

std::string new_token() {
  unsigned char raw[kTokenBytes];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string token_digest(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string("\\x") + hex;
}

std::string bearer_token(const std::string& authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() != kScheme.size() + kTokenChars) return {};
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return {};
  std::string token = authorization.substr(kScheme.size());
  for (const char c : token)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return {};
  return token;
}

std::string require_bearer(const Request& req) {
  if (req.authorization.empty()) throw unauthorized("A bearer token is required");
  std::string token = bearer_token(req.authorization);
  if (token.empty()) throw unauthorized("The bearer token is malformed");
  return token;
}

User authenticate(const Request& req, Db& db) {
  const auto rows = db.exec(kAuthStatement.name, token_digest(require_bearer(req)));
  if (rows.empty()) throw unauthorized("The token is invalid, expired or revoked");
  return User{rows[0][0].as<int64_t>(), rows[0][1].as<std::string>()};
}

const pqxx::result& with_session(const pqxx::result& rows) {
  if (rows[0][0].as<int>() == 401) throw unauthorized("The token is invalid, expired or revoked");
  return rows;
}

User require_admin(const Request& req, Db& db) {
  User user = authenticate(req, db);
  if (!user.is_admin()) throw ApiError(403, "forbidden", "This route is for admins only");
  return user;
}

}  // namespace evently
