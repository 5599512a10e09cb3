// POST /auth/logout: the caller's token stops working at once.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kRevoke{
    "revoke_session",
    "DELETE FROM sessions WHERE token_hash = $1::bytea AND expires_at > now() RETURNING 1"};

int main() {
  return serve({.name = "auth_logout", .statements = {kRevoke}}, [](const Request& req, Db& db) {
    const std::string session = token_digest(require_bearer(req));
    if (db.exec(kRevoke.name, session).empty()) throw unauthorized("The token is invalid, expired or revoked");
    if (Board* board = Board::get()) board->touch(Board::Kind::session, session);
    return Response::no_content();
  });
}
