// GET /events/{id}: one event with its live seat counts. One round trip reads
// the event's version and, only when it is not the one this worker has
// cached, its JSON; the answer carries a weak ETag (304 to If-None-Match).
#include "evently/events.hpp"
#include "evently/server.hpp"

using namespace evently;

int main() {
  static LruCache cache(16 << 20);  // rendered events, by bytes, least recently used out
  // Event details may be a moment stale: they show counts, decide nothing.
  return serve({.name = "event_get",
                .statements = {kEventReadStatement},
                .session_sql = "SET plan_cache_mode = force_generic_plan",
                .stale_reads_ok = true},
               [](const Request& req, Db& db) {
                 const int64_t id = path_id(req, "event_not_found", "Event not found");
                 return event_answer(req, db, cache, id);
               });
}
