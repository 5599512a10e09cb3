// POST /auth/logout: the caller's token stops working at once.
#include "evently/auth.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kRevoke{
    "revoke_session",
    "DELETE FROM sessions WHERE token_hash = $1::bytea AND expires_at > now() RETURNING 1"};

int main() {
  return serve({.name = "auth_logout", .statements = {kRevoke}}, [](const Request& req, Db& db) {
    const auto revoked = db.exec(kRevoke.name, token_digest(require_bearer(req)));
    if (revoked.empty()) throw unauthorized("The token is invalid, expired or revoked");
    return Response::no_content();
  });
}
