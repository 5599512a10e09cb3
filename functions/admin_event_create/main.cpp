// POST /admin/events: an event, its sections and every one of its seats.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/events.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"

using namespace evently;

static const Statement kCreate{
    "create_event",
    "SELECT j::text, j->>'id' "
    "FROM create_event($1, $2, $3, $4, $5::jsonb, $6::integer, $7::timestamptz, $8::integer) AS j"};

int main() {
  return serve(
      {.name = "admin_event_create", .statements = {kCreate}, .json_body = true},
      [](const Request& req, Db& db) {
        require_admin(req, db);
        const Json body = parse_json(req.body);
        Validator v;
        const cJSON* in = v.object(body.get());
        const EventDetails event = read_event_details(v, in, true);
        const std::string sections = read_sections(v, in);
        v.check();
        const auto rate = event.admission_rate ? std::optional<std::string>(std::to_string(*event.admission_rate))
                                               : std::nullopt;
        const auto rows = db.exec(kCreate.name, *event.name, *event.venue,
                                  event.description.value_or(""), *event.starts_at, sections,
                                  event.hold_seconds.value_or(600), or_null(event.admission_opens_at),
                                  or_null(rate));
        if (Board* board = Board::get()) board->touch(Board::Kind::catalog, 0);
        return Response::json(201, rows[0][0].c_str())
            .header("Location", std::string("/events/") + rows[0][1].c_str());
      });
}
