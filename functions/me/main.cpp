// GET /me: the signed-in user.
#include "evently/auth.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kMe{
    "me",
    "SELECT user_json(u)::text FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.token_hash = $1::bytea AND s.expires_at > now()",
    true};

int main() {
  return serve({.name = "me", .statements = {kMe}}, [](const Request& req, Db& db) {
    const auto rows = db.exec(kMe.name, token_digest(require_bearer(req)));
    if (rows.empty()) throw unauthorized("The token is invalid, expired or revoked");
    return Response::json(200, rows[0][0].c_str());
  });
}
