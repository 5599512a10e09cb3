// GET /events/{id}/seats: the seat map that every client polls during an
// on-sale. One cheap version read decides between 304 and this worker's
// cached map; when seats changed, one more query fetches their statuses and
// the map is rendered over the event's layout, which the worker loads once.
#include <map>
#include <tuple>

#include "evently/compress.hpp"
#include "evently/seat_map.hpp"
#include "evently/server.hpp"
#include "evently/validate.hpp"

using namespace evently;

// The tag moves with every write to the event's seats and at every instant a
// hold expires (sql/006), so a cached map is never staler than its tag.
static const Statement kVersion{"seat_map_tag", "SELECT seat_map_tag($1)", true};
static const Statement kStatuses{"seat_statuses", "SELECT seat_map_tag($1), seat_statuses($1)", true};

// Process-local caches, always checked against the version in PostgreSQL.
using MapKey = std::tuple<int64_t, std::optional<std::string>, std::optional<std::string>>;
struct CachedMap {
  std::string version;
  std::string body;
  std::string gzipped;  // made on the first request that accepts gzip
};
static std::map<MapKey, CachedMap> g_maps;
static std::map<int64_t, SeatLayout> g_layouts;
constexpr size_t kCacheEntries = 64;

static std::string etag(const MapKey& key, const std::string& version) {
  const auto& [id, section, status] = key;
  const size_t filter = std::hash<std::string>{}((section ? "s" + *section : "") + '\n' + status.value_or(""));
  return "W/\"" + std::to_string(id) + "-" + version + "-" +
         std::to_string(filter % 1000000007) + "\"";
}

static const SeatLayout& layout_of(Db& db, int64_t id, size_t seats) {
  auto it = g_layouts.find(id);
  if (it == g_layouts.end() || it->second.seats.size() != seats) {
    if (g_layouts.size() >= kCacheEntries) g_layouts.clear();
    it = g_layouts.insert_or_assign(id, load_seat_layout(db, id)).first;
  }
  return it->second;
}

int main() {
  return serve(
      {.name = "event_seats", .statements = {kVersion, kStatuses, kSeatLayoutStatement, kSectionsStatement}},
      [](const Request& req, Db& db) {
        const auto section = req.param("section");
        const auto status = req.param("status");
        Validator v;
        if (status && *status != "available" && *status != "held" && *status != "booked")
          v.add("status", "must be available, held or booked");
        v.check();
        const int64_t id = path_id(req, "event_not_found", "Event not found");
        const MapKey key{id, section, status};

        const auto version = db.exec(kVersion.name, id);
        if (version[0][0].is_null()) throw ApiError(404, "event_not_found", "Event not found");
        const std::string tag = etag(key, version[0][0].c_str());
        if (etag_matches(req.if_none_match, tag))
          return Response{.status = 304, .content_type = "", .body = "",
                          .headers = {{"ETag", tag}, {"Cache-Control", "no-cache"}}};

        auto cached = g_maps.find(key);
        if (cached == g_maps.end() || cached->second.version != version[0][0].c_str()) {
          const auto now = db.exec(kStatuses.name, id);
          if (now[0][0].is_null()) throw ApiError(404, "event_not_found", "Event not found");
          const std::string_view statuses(now[0][1].c_str(), now[0][1].size());
          const SeatLayout& layout = layout_of(db, id, statuses.size());
          if (g_maps.size() >= kCacheEntries) g_maps.clear();
          cached = g_maps.insert_or_assign(key, CachedMap{now[0][0].c_str(),
                                                          render_seat_map(id, layout, statuses, section, status), {}}).first;
        }
        CachedMap& map = cached->second;
        const bool gzipped = accepts_gzip(req.accept_encoding);
        if (gzipped && map.gzipped.empty()) map.gzipped = gzip(map.body);
        Response res = Response::json(200, gzipped ? map.gzipped : map.body);
        if (gzipped) res.header("Content-Encoding", "gzip");
        return res.header("ETag", etag(key, map.version))
            .header("Cache-Control", "no-cache")
            .header("Vary", "Accept-Encoding");
      });
}
