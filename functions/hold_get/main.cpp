// GET /holds/{id}: one hold, for its owner or an admin; for anyone else it
// does not exist. Its status reads `expired` from expires_at on.
#include "evently/auth.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kHold{
    "hold_get",
    "SELECT hold_json(h.id)::text FROM holds h WHERE h.id = $1 AND (h.user_id = $2 OR $3)", true};

int main() {
  return serve({.name = "hold_get", .statements = {kHold}}, [](const Request& req, Db& db) {
    const User user = authenticate(req, db);
    const int64_t id = path_id(req, "hold_not_found", "Hold not found");
    const auto rows = db.exec(kHold.name, id, user.id, user.is_admin());
    if (rows.empty()) throw ApiError(404, "hold_not_found", "Hold not found");
    return Response::json(200, rows[0][0].c_str());
  });
}
