// POST /auth/register: a new account with an argon2id password hash.
#include "evently/accounts.hpp"
#include "evently/auth.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"
#include "evently/validate.hpp"

using namespace evently;

static const Statement kCreateUser{
    "create_user",
    "INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) "
    "ON CONFLICT (email) DO NOTHING RETURNING user_json(users)::text"};

int main() {
  return serve({.name = "auth_register", .statements = {kCreateUser}, .json_body = true},
               [](const Request& req, Db& db) {
                 const Json body = parse_json(req.body);
                 Validator v;
                 const cJSON* in = v.object(body.get());
                 const std::string email = normalize_email(v, in);
                 const std::string password = v.string(in, "", "password", 8, 128);
                 const std::string name = v.string(in, "", "name", 1, 100);
                 v.check();

                 const auto rows = db.exec(kCreateUser.name, email, name, hash_password(password));
                 if (rows.empty())
                   throw ApiError(409, "email_taken", "An account with this email already exists");
                 return Response::json(201, rows[0][0].c_str()).header("Location", "/me");
               });
}
