// DELETE /admin/events/{id}: the event goes, with its seats and bookings.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/server.hpp"

using namespace evently;

// Bookings in flight hold the event row FOR KEY SHARE; this waits for them.
static const Statement kDelete{"delete_event", "DELETE FROM events WHERE id = $1 RETURNING 1"};

int main() {
  return serve({.name = "admin_event_delete", .statements = {kDelete}},
               [](const Request& req, Db& db) {
                 require_admin(req, db);
                 const int64_t id = path_id(req, "event_not_found", "Event not found");
                 if (db.exec(kDelete.name, id).empty())
                   throw ApiError(404, "event_not_found", "Event not found");
                 touch_event_and_catalog(id);
                 return Response::no_content();
               });
}
