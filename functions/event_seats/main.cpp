// GET /events/{id}/seats: the seat map that every client polls during an
// on-sale. A cached map whose event the change board has not seen change is
// answered at once. Otherwise one cheap read of the seat-map tag decides
// between 404, 304 and this worker's cached map; when seats changed, one more
// query fetches their statuses and the map is rendered over the event's
// layout, which the worker loads once. A section the event does not have
// costs no rendering at all.
#include "evently/board.hpp"
#include "evently/config.hpp"
#include "evently/seat_map.hpp"
#include "evently/server.hpp"
#include "evently/validate.hpp"

using namespace evently;

// The tag moves with every write to the event's seats and at every instant a
// hold expires (sql/006, sql/013), so a cached map is never staler than its tag.
static const Statement kTag{"seat_map_tag", "SELECT seat_map_tag($1)", true};
static const Statement kStatuses{"seat_statuses", "SELECT seat_map_tag($1), seat_statuses($1)", true};

int main() {
  SeatMaps maps(config().seat_map_cache_bytes, config().seat_layout_cache_bytes);
  return serve(
      {.name = "event_seats", .statements = {kTag, kStatuses, kSeatLayoutStatement, kSectionsStatement}},
      [&maps](const Request& req, Db& db) {
        const SeatMapFilter filter{req.param("section"), req.param("status")};
        Validator v;
        if (filter.status && !valid_seat_status(*filter.status))
          v.add("status", "must be available, held or booked");
        v.check();
        const int64_t id = path_id(req, "event_not_found", "Event not found");
        const std::string key = seat_map_key(id, filter);
        const Board* board = Board::get();
        const uint64_t mark = board != nullptr ? board->mark(Board::Kind::event, id) : 0;
        if (const auto map = maps.on_board(key, mark))
          return maps.respond(req, key, map, seat_map_etag(id, map->version, filter));
        if (const auto tag = maps.tag_on_board(key, mark)) {
          const std::string etag = seat_map_etag(id, tag->version, filter);
          if (etag_matches(req.if_none_match, etag)) return not_modified(etag);
        }

        const auto tag = db.exec(kTag.name, id);
        if (tag[0][0].is_null()) throw ApiError(404, "event_not_found", "Event not found");
        const std::string version = tag[0][0].c_str();
        const std::string etag = seat_map_etag(id, version, filter);

        // A section the event does not have: the empty list, from the event's
        // sections alone (nothing rendered, nothing cached).
        if (filter.section) {
          const auto sections = maps.sections(db, id);
          if (!sections->index(*filter.section)) return maps.respond_empty(req, id, *sections, etag);
        }

        if (const auto map = maps.get(key, version)) {
          put_on_board(*map, mark, seat_map_tag_until(version));
          return maps.respond(req, key, map, etag);
        }
        if (etag_matches(req.if_none_match, etag)) {
          maps.remember_tag(key, version, mark);
          return not_modified(etag);
        }

        // The seats changed since this worker's map (or it has none): their
        // statuses now, at the tag they go with, rendered over the layout.
        const auto now = db.exec(kStatuses.name, id);
        if (now[0][0].is_null()) throw ApiError(404, "event_not_found", "Event not found");
        const std::string now_version = now[0][0].c_str();
        const std::string_view statuses(now[0][1].c_str(), now[0][1].size());
        const auto layout = maps.layout(db, id, statuses.size());
        const auto map = maps.render(key, now_version, id, *layout, statuses, filter);
        put_on_board(*map, mark, seat_map_tag_until(now_version));
        return maps.respond(req, key, map, seat_map_etag(id, now_version, filter));
      });
}
