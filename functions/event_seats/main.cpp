// GET /events/{id}/seats: the seat map that every client polls during an
// on-sale. A cheap version read decides between 304, this worker's cached
// map, and one query that builds the map as JSON inside PostgreSQL.
#include <map>
#include <tuple>

#include "evently/server.hpp"
#include "evently/validate.hpp"

using namespace evently;

static const Statement kVersion{"seat_map_version", "SELECT seat_map_version($1)", true};
static const Statement kSeatMap{
    "seat_map", "SELECT seat_map_version($1), seat_map_json($1, $2, $3)", true};

using MapKey = std::tuple<int64_t, std::string, std::string>;
struct CachedMap {
  int64_t version;
  std::string body;
};

// Process-local cache of recent maps; always checked against the version
// in PostgreSQL, so it is never stale.
static std::map<MapKey, CachedMap> g_cache;
constexpr size_t kCacheEntries = 256;

static std::string etag(const MapKey& key, int64_t version) {
  const auto& [id, section, status] = key;
  const size_t filter = std::hash<std::string>{}(section + '\n' + status);
  return "W/\"" + std::to_string(id) + "-" + std::to_string(version) + "-" +
         std::to_string(filter % 1000000007) + "\"";
}

int main() {
  return serve(
      {.name = "event_seats", .statements = {kVersion, kSeatMap}},
      [](const Request& req, Db& db) {
        const int64_t id = path_id(req, "event_not_found", "Event not found");
        Validator v;
        const auto section = req.param("section");
        const auto status = req.param("status");
        if (status && *status != "available" && *status != "booked")
          v.add("status", "must be available or booked");
        v.check();
        const MapKey key{id, section ? "s" + *section : "", status.value_or("")};

        const auto version = db.exec(kVersion.name, id);
        if (version[0][0].is_null()) throw ApiError(404, "event_not_found", "Event not found");
        const int64_t current = version[0][0].as<int64_t>();
        const std::string tag = etag(key, current);
        if (etag_matches(req.if_none_match, tag))
          return Response{.status = 304, .content_type = "", .body = "", .headers = {{"ETag", tag}}};

        auto cached = g_cache.find(key);
        if (cached == g_cache.end() || cached->second.version != current) {
          const auto map = db.exec(kSeatMap.name, id, or_null(section), or_null(status));
          if (map[0][0].is_null()) throw ApiError(404, "event_not_found", "Event not found");
          if (g_cache.size() >= kCacheEntries) g_cache.clear();
          cached = g_cache.insert_or_assign(key, CachedMap{map[0][0].as<int64_t>(), map[0][1].c_str()}).first;
        }
        return Response::json(200, cached->second.body)
            .header("ETag", etag(key, cached->second.version))
            .header("Cache-Control", "no-cache");
      });
}
