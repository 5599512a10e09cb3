// PATCH /admin/events/{id}: change an event's details; never its layout.
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/events.hpp"
#include "evently/json.hpp"
#include "evently/server.hpp"

using namespace evently;

// Fields left NULL keep their value; updated_at moves only when one is given.
static const Statement kUpdate{
    "update_event",
    "UPDATE events SET name = coalesce($2, name), venue = coalesce($3, venue), "
    "description = coalesce($4, description), starts_at = coalesce($5::timestamptz, starts_at), "
    "hold_seconds = coalesce($6::integer, hold_seconds), "
    "admission_opens_at = CASE WHEN $7 THEN $8::timestamptz ELSE admission_opens_at END, "
    "admission_rate = CASE WHEN $7 THEN $9::integer ELSE admission_rate END, "
    "updated_at = CASE WHEN num_nonnulls($2, $3, $4, $5, $6) > 0 OR $7 THEN clock_timestamp() "
    "ELSE updated_at END "
    "WHERE id = $1 RETURNING event_json(events)::text"};

int main() {
  return serve(
      {.name = "admin_event_update", .statements = {kUpdate}, .json_body = true},
      [](const Request& req, Db& db) {
        require_admin(req, db);
        const Json body = parse_json(req.body);
        Validator v;
        const cJSON* in = v.object(body.get());
        const EventDetails event = read_event_details(v, in, false);
        if (cJSON_GetObjectItemCaseSensitive(in, "sections") != nullptr)
          v.add("sections", "the seat layout of an event cannot be changed");
        v.check();
        const int64_t id = path_id(req, "event_not_found", "Event not found");
        const auto hold_seconds =
            event.hold_seconds ? std::optional<std::string>(std::to_string(*event.hold_seconds)) : std::nullopt;
        const auto rate =
            event.admission_rate ? std::optional<std::string>(std::to_string(*event.admission_rate)) : std::nullopt;

        const auto rows = db.exec(kUpdate.name, id, or_null(event.name), or_null(event.venue),
                                  or_null(event.description), or_null(event.starts_at),
                                  or_null(hold_seconds), event.admission_given,
                                  or_null(event.admission_opens_at), or_null(rate));
        if (rows.empty()) throw ApiError(404, "event_not_found", "Event not found");
        touch_event_and_catalog(id);
        return Response::json(200, rows[0][0].c_str());
      });
}
