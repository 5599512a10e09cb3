// POST /events/{id}/queue: a place in a gated on-sale's waiting room. The
// first join gives the next position and fixes its admission time (the
// leaky bucket, in join_queue()); later joins give the same ticket until its
// token has expired, then a new position at the back.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kJoin{
    "join_queue",
    "SELECT o_status, o_code, o_position, (extract(epoch FROM o_admitted_at) * 1000000)::bigint, "
    "o_admitted_at <= clock_timestamp() FROM join_queue($1, $2)"};

int main() {
  return serve({.name = "queue_join", .statements = {kJoin}}, [](const Request& req, Db& db) {
    const User user = authenticate(req, db);
    const int64_t event = path_id(req, "event_not_found", "Event not found");
    const auto row = db.exec(kJoin.name, user.id, event)[0];
    if (Board* board = Board::get()) board->touch(Board::Kind::ticket, user.id, event);
    const int status = row[0].as<int>();
    if (status == 404) throw ApiError(404, "event_not_found", "Event not found");
    if (status == 409 && row[1].as<std::string>() == "no_queue")
      throw ApiError(409, "no_queue", "This event has no admission gate: no queue to join");
    if (status == 409) throw ApiError(409, "event_started", "The event has already started");
    return Response::json(status, queue_ticket_json(user.id, event, row[2].as<int64_t>(),
                                                    row[3].as<int64_t>(), row[4].as<bool>()));
  });
}
