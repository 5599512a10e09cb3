// GET /events/{id}/queue: the caller's ticket, polled by every waiting
// client: one indexed read, the token made here from its signature key.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/server.hpp"

using namespace evently;

// The event (gated or not) and the caller's latest ticket, in one probe each.
static const Statement kTicket{
    "queue_ticket",
    "SELECT e.admission_rate IS NOT NULL, q.position, "
    "(extract(epoch FROM q.admitted_at) * 1000000)::bigint, q.admitted_at <= clock_timestamp() "
    "FROM events e LEFT JOIN LATERAL (SELECT t.position, t.admitted_at FROM queue_tickets t "
    "WHERE t.event_id = e.id AND t.user_id = $2 ORDER BY t.position DESC LIMIT 1) q ON true "
    "WHERE e.id = $1",
    true};

int main() {
  return serve({.name = "queue_get", .statements = {kTicket}}, [](const Request& req, Db& db) {
    const User user = authenticate(req, db);
    const int64_t event = path_id(req, "event_not_found", "Event not found");
    const auto rows = db.exec(kTicket.name, event, user.id);
    if (rows.empty()) throw ApiError(404, "event_not_found", "Event not found");
    if (!rows[0][0].as<bool>() || rows[0][1].is_null())
      throw ApiError(404, "not_in_queue", "You are not in this event's queue");
    return Response::json(200, queue_ticket_json(user.id, event, rows[0][1].as<int64_t>(),
                                                 rows[0][2].as<int64_t>(), rows[0][3].as<bool>()));
  });
}
