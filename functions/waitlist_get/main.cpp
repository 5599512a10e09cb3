// GET /waitlist/{id}: an entry with its status, position and offer, for its
// owner or an admin; for anyone else it does not exist.
#include "evently/auth.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kEntry{
    "waitlist_get",
    "SELECT waitlist_json(w.id)::text FROM waitlist_entries w "
    "WHERE w.id = $1 AND (w.user_id = $2 OR $3)",
    true};

int main() {
  return serve({.name = "waitlist_get", .statements = {kEntry}}, [](const Request& req, Db& db) {
    const User user = authenticate(req, db);
    const int64_t id = path_id(req, "waitlist_entry_not_found", "Waitlist entry not found");
    const auto rows = db.exec(kEntry.name, id, user.id, user.is_admin());
    if (rows.empty()) throw ApiError(404, "waitlist_entry_not_found", "Waitlist entry not found");
    return Response::json(200, rows[0][0].c_str());
  });
}
