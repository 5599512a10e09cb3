// POST /auth/login: trade email and password for a bearer token.
#include "evently/accounts.hpp"
#include "evently/auth.hpp"
#include "evently/config.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"
#include "evently/validate.hpp"

using namespace evently;

static const Statement kFindUser{
    "find_user", "SELECT password_hash, user_json(users)::text FROM users WHERE email = $1", true};
// A new session; the user's expired ones go at the same time.
static const Statement kCreateSession{
    "create_session",
    "WITH expired AS (DELETE FROM sessions WHERE expires_at <= now() "
    "  AND user_id = (SELECT id FROM users WHERE email = $2)) "
    "INSERT INTO sessions (token_hash, user_id, expires_at) "
    "SELECT $1::bytea, id, now() + make_interval(secs => $3) FROM users WHERE email = $2 "
    "RETURNING rfc3339_exact(expires_at)"};

// The login throttle (sql/010): per email, across every worker and host.
static const Statement kRetryAfter{"retry_after", "SELECT login_retry_after($1)"};
static const Statement kFailed{"login_failed", "SELECT login_failed($1)"};

int main() {
  return serve(
      {.name = "auth_login",
       .statements = {kFindUser, kCreateSession, kRetryAfter, kFailed},
       .json_body = true},
      [](const Request& req, Db& db) {
        const Json body = parse_json(req.body);
        Validator v;
        const cJSON* in = v.object(body.get());
        const std::string email = lowercase(v.string(in, "", "email", 1, 254));
        const std::string password = v.string(in, "", "password", 1, 1024);
        v.check();

        // 10 failures in 15 minutes: refused whatever the password, and not counted.
        const int wait = db.exec(kRetryAfter.name, email)[0][0].as<int>();
        if (wait > 0) throw rate_limited(wait, "Too many failed logins for this email; retry later");

        const auto user = db.exec(kFindUser.name, email);
        // The same answer whether the email or the password is wrong; a
        // dummy verification keeps the timing alike too.
        const bool ok = user.empty() ? (verify_password(dummy_password_hash(), password), false)
                                     : verify_password(user[0][0].c_str(), password);
        if (!ok) {
          db.exec(kFailed.name, email);
          throw ApiError(401, "invalid_credentials", "Wrong email or password");
        }

        const std::string token = new_token();
        const auto session = db.exec(kCreateSession.name, token_digest(token), email,
                                     config().token_ttl_seconds);
        if (session.empty()) throw ApiError(401, "invalid_credentials", "Wrong email or password");
        return Response::json(200, R"({"token":)" + quote(token) +
                                       R"(,"token_type":"Bearer","expires_at":)" +
                                       quote(session[0][0].c_str()) +
                                       R"(,"user":)" + user[0][1].c_str() + "}");
      });
}
