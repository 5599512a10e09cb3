#pragma once
/// Accounts: argon2id password hashes, bearer tokens of which only a hash
/// is stored, and the checks that guard protected routes.

#include <cstdint>
#include <string>
#include <string_view>

#include "evently/db.hpp"
#include "evently/errors.hpp"
#include "evently/request.hpp"

namespace evently {

struct User {
  int64_t id = 0;
  std::string role;
  [[nodiscard]] bool is_admin() const { return role == "admin"; }
};

/// The statements authenticate() needs; every function that checks tokens
/// lists them.
extern const Statement kAuthStatement;

/// argon2id (libsodium crypto_pwhash_str) of a password.
std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

/// A new bearer token: 256 random bits, base64url.
std::string new_token();
/// The stored form of a token: SHA-256, as PostgreSQL bytea hex text.
std::string token_digest(std::string_view token);
/// The bearer token of an Authorization header, or "" when malformed.
std::string bearer_token(const std::string& authorization);

/// The request's bearer token; 401 unauthorized when missing or malformed.
std::string require_bearer(const Request& req);

/// The signed-in user; 401 unauthorized otherwise.
User authenticate(const Request& req, Db& db);
/// The signed-in admin; 401, then 403 forbidden for anyone else.
User require_admin(const Request& req, Db& db);

/// For a route whose SQL function checks the session itself, in the same
/// round trip: the stored form of the request's bearer token (401 when it
/// is missing or malformed), once `read` has read the body and path. When
/// `read` refuses them, the session is looked up first, so that a bad token
/// is 401 before the 400 or 404.
template <class Read>
std::string session_for(const Request& req, Db& db, Read&& read) {
  std::string session = token_digest(require_bearer(req));
  try {
    read();
  } catch (const ApiError&) {
    authenticate(req, db);
    throw;
  }
  return session;
}

/// The rows of such a function, whose o_status 401 says there is no
/// session; 401 unauthorized then.
const pqxx::result& with_session(const pqxx::result& rows);

}  // namespace evently
