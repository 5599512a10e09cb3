// GET /events/{id}: one event with its live seat counts.
#include "evently/server.hpp"

using namespace evently;

static const Statement kEvent{"event_get", "SELECT event_json(e)::text FROM events e WHERE e.id = $1",
                              true};

int main() {
  // Event details may be a moment stale: they show counts, decide nothing.
  return serve({.name = "event_get", .statements = {kEvent}, .stale_reads_ok = true},
               [](const Request& req, Db& db) {
                 const int64_t id = path_id(req, "event_not_found", "Event not found");
                 const auto rows = db.exec(kEvent.name, id);
                 if (rows.empty()) throw ApiError(404, "event_not_found", "Event not found");
                 return Response::json(200, rows[0][0].c_str());
               });
}
