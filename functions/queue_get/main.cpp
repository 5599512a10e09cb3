// GET /events/{id}/queue: the caller's ticket, polled by every waiting
// client: one indexed read, the token made here from its signature key.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/server.hpp"

using namespace evently;

// The session, the event (gated or not) and the caller's latest ticket: one
// probe each, in one round trip.
static const Statement kTicket{
    "queue_ticket",
    "SELECT e.id IS NOT NULL, e.admission_rate IS NOT NULL, s.user_id, q.position, "
    "(extract(epoch FROM q.admitted_at) * 1000000)::bigint, q.admitted_at <= clock_timestamp() "
    "FROM sessions s LEFT JOIN events e ON e.id = $2 "
    "LEFT JOIN LATERAL (SELECT t.position, t.admitted_at FROM queue_tickets t "
    "WHERE t.event_id = e.id AND t.user_id = s.user_id ORDER BY t.position DESC LIMIT 1) q ON true "
    "WHERE s.token_hash = $1::bytea AND s.expires_at > now()",
    true};

int main() {
  return serve({.name = "queue_get", .statements = {kTicket}}, [](const Request& req, Db& db) {
    const std::string token = token_digest(require_bearer(req));
    int64_t event = 0;
    try {
      event = path_id(req, "event_not_found", "Event not found");
    } catch (const ApiError&) {
      authenticate(req, db);  // a bad token is 401 before the path's 404
      throw;
    }
    const auto rows = db.exec(kTicket.name, token, event);
    if (rows.empty()) throw unauthorized("The token is invalid, expired or revoked");
    const auto& row = rows[0];
    if (!row[0].as<bool>()) throw ApiError(404, "event_not_found", "Event not found");
    if (!row[1].as<bool>() || row[3].is_null())
      throw ApiError(404, "not_in_queue", "You are not in this event's queue");
    const int64_t user = row[2].as<int64_t>();
    return Response::json(200, queue_ticket_json(user, event, row[3].as<int64_t>(), row[4].as<int64_t>(),
                                                 row[5].as<bool>()));
  });
}
